//! Recovery of known parameters from synthetic data.
//!
//! Data are simulated from the model at known values, with log-normal residual noise of known
//! SD, then fitted. Bounds are two-sided and justified by the noise: the truth must lie within
//! 4 estimated standard errors (probability 6e-5 of failing by chance if the SEs are right),
//! and the SEs must be small enough (stated per test) for the test to be able to fail.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cartkin_core::model::{self, Model};
use cartkin_core::outcome::MAX_COLUMNS;
use cartkin_core::patient::Patient;
use cartkin_core::regimen::Dose;
use cartkin_core::simulate::{Request, simulate};
use cartkin_fit::data::{Dataset, DoseRecord, Observation, OutputRef, Subject};
use cartkin_fit::error_model::ErrorKind;
use cartkin_fit::fit::{FitOptions, fit};
use cartkin_fit::setup::{FitSettings, build};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

fn load(name: &str) -> Model {
    Model::load(&model::resolve(name).expect("bundled")).expect("valid")
}

/// Simulates `n` identical subjects observed at `times` (column `output`, CMT 1) with
/// log-normal noise of SD `sigma`, dosed as `doses` (given as CMT-indexed records).
fn synthetic(
    model: &Model,
    output: &str,
    times: &[f64],
    n: usize,
    sigma: f64,
    seed: u64,
    doses: &[(f64, u32, f64)],
) -> Dataset {
    let patient = Patient::new(35.0, 140.0, None, 120.0, 11.0, "test").expect("patient");
    let routes = model.routes();
    let core_doses: Vec<Dose> = doses
        .iter()
        .map(|&(time, cmt, amount)| Dose {
            time,
            route: routes[cmt as usize - 1].name,
            amount,
            kind: cartkin_core::regimen::DoseKind::Bolus,
        })
        .collect();
    let sim = simulate(&Request {
        model,
        patient,
        doses: core_doses,
        start: None,
        days: times.iter().copied().fold(0.0, f64::max),
        options: cartkin_core::solve::SolverOptions {
            rtol: 1e-10,
            atol: 1e-12,
            ..Default::default()
        },
    })
    .expect("simulation");
    let column = model.spec().column_index(output).expect("column");
    let mut buf = [0.0; MAX_COLUMNS];
    let truth: Vec<f64> = times
        .iter()
        .map(|&t| {
            assert!(sim.columns_at(t, &mut buf));
            buf[column]
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, sigma).expect("sigma");
    let subjects = (0..n)
        .map(|i| Subject {
            id: format!("{}", i + 1),
            covariates: BTreeMap::from([("WT".to_string(), 35.0), ("HT".to_string(), 140.0)]),
            doses: doses
                .iter()
                .map(|&(time, cmt, amount)| DoseRecord {
                    time,
                    cmt,
                    amount,
                    rate: None,
                    line: 0,
                })
                .collect(),
            observations: times
                .iter()
                .zip(&truth)
                .map(|(&time, &f)| Observation {
                    time,
                    output: OutputRef::Name(output.to_string()),
                    value: Some(f * noise.sample(&mut rng).exp()),
                    blq: false,
                    lloq: None,
                    line: 0,
                })
                .collect(),
        })
        .collect();
    Dataset {
        path: PathBuf::from("synthetic.csv"),
        subjects,
    }
}

fn assert_recovered(
    report: &cartkin_fit::fit::FitResult,
    truth: &[(&str, f64)],
    max_rse_percent: f64,
) {
    for (name, value) in truth {
        let (_, e) = report
            .parameters
            .iter()
            .find(|(n, _)| n == name)
            .expect("estimated");
        let se = e.se.expect("standard error");
        assert!(
            (e.estimate - value).abs() < 4.0 * se,
            "{name}: estimate {} ± {se} vs truth {value}",
            e.estimate
        );
        let rse = e.rse_percent.expect("rse");
        assert!(
            rse < max_rse_percent,
            "{name}: RSE {rse}% ≥ {max_rse_percent}%: the test could not fail"
        );
    }
}

#[test]
fn stein_parameters_are_recovered_from_a_pooled_fit() {
    let model = load("stein_2019");
    let times = [
        1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 14.0, 21.0, 28.0, 42.0, 56.0, 91.0, 183.0, 274.0, 365.0,
    ];
    let data = synthetic(&model, "transgene", &times, 20, 0.2, 7, &[]);
    // start away from the truth
    let settings = FitSettings {
        initial: BTreeMap::from([
            ("Cmax".into(), 15_000.0),
            ("Tmax".into(), 8.0),
            ("alpha".into(), 0.25),
            ("beta".into(), 0.005),
        ]),
        error: ErrorKind::LogAdditive,
        sigma_add: 0.4,
        ..FitSettings::default()
    };
    let problem = build(&model, &data, &settings).expect("problem");
    let report = fit(
        &problem,
        &FitOptions {
            pooled: true,
            ..FitOptions::default()
        },
        &|| {},
    )
    .expect("fit");
    let pooled = report.pooled.expect("pooled");
    assert!(pooled.convergence.converged, "{:?}", pooled.convergence);
    // 300 observations with σ = 0.2: every parameter is determined to a few percent
    assert_recovered(
        &pooled,
        &[
            ("Cmax", 24_000.0),
            ("foldx", 3900.0),
            ("Tmax", 9.3),
            ("alpha", 0.16),
            ("FB", 0.0079),
            ("beta", 0.0032),
            ("sigma_add", 0.2),
        ],
        15.0,
    );
}
