//! Criterion benchmark of a single-subject fit: `cargo bench -p cartkin-fit --bench fit`.
//!
//! Workload `stein_single_subject_6_parameters`: one subject with 15 transgene samples over a
//! year, the 6 Stein parameters free (residual SD fixed), Nelder–Mead from values 20–60% off
//! the truth, then the finite-difference Hessian for standard errors.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;

use cartkin_core::model::{self, Model};
use cartkin_core::outcome::MAX_COLUMNS;
use cartkin_core::patient::Patient;
use cartkin_core::simulate::{Request, simulate};
use cartkin_fit::data::{Dataset, Observation, OutputRef, Subject};
use cartkin_fit::error_model::ErrorKind;
use cartkin_fit::fit::{FitOptions, fit};
use cartkin_fit::setup::{FitSettings, build};
use criterion::{Criterion, criterion_group, criterion_main};

fn dataset(model: &Model) -> Dataset {
    let patient = Patient::new(35.0, 140.0, None, 120.0, 11.0, "bench").expect("patient");
    let sim = simulate(&Request {
        model,
        patient,
        doses: Vec::new(),
        start: None,
        days: 365.0,
        options: Default::default(),
    })
    .expect("simulation");
    let column = model.spec().column_index("transgene").expect("column");
    let times = [
        1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 14.0, 21.0, 28.0, 42.0, 56.0, 91.0, 183.0, 274.0, 365.0,
    ];
    let mut buf = [0.0; MAX_COLUMNS];
    // deterministic ±20% "noise" pattern
    let observations = times
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            assert!(sim.columns_at(t, &mut buf));
            let factor = if k % 2 == 0 { 1.2 } else { 0.85 };
            Observation {
                time: t,
                output: OutputRef::Name("transgene".into()),
                value: Some(buf[column] * factor),
                blq: false,
                lloq: None,
                line: k + 2,
            }
        })
        .collect();
    let subject = Subject {
        id: "1".into(),
        covariates: BTreeMap::new(),
        doses: Vec::new(),
        observations,
    };
    Dataset {
        path: PathBuf::from("bench.csv"),
        subjects: vec![subject],
    }
}

fn bench(c: &mut Criterion) {
    let model = Model::load(&model::resolve("stein_2019").expect("model")).expect("valid");
    let data = dataset(&model);
    let settings = FitSettings {
        initial: BTreeMap::from([
            ("Cmax".into(), 15_000.0),
            ("foldx".into(), 2000.0),
            ("Tmax".into(), 7.0),
            ("alpha".into(), 0.25),
            ("FB".into(), 0.012),
            ("beta".into(), 0.005),
        ]),
        error: ErrorKind::LogAdditive,
        sigma_add: 0.2,
        fix_error: true,
        ..FitSettings::default()
    };
    let problem = build(&model, &data, &settings).expect("problem");
    let report = fit(&problem, &FitOptions::default(), &|| {}).expect("fit");
    let f = &report.individual[0];
    println!(
        "stein_single_subject_6_parameters: {} −2LL evaluations, {} iterations, {}",
        f.convergence.function_evaluations, f.convergence.iterations, f.convergence.termination
    );
    c.bench_function("stein_single_subject_6_parameters", |b| {
        b.iter(|| black_box(fit(black_box(&problem), &FitOptions::default(), &|| {}).expect("fit")))
    });
}

criterion_group! {
    name = fit_benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(fit_benches);
