//! Calibration recovers the hyperparameters that generated a synthetic target set.

use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_trial::endpoint::Endpoint;
use cartkin_trial::vpop::calibrate::{Calibration, Free, Hyper, Optimizer, Settings};
use cartkin_trial::vpop::spec;
use cartkin_trial::vpop::targets::{PointTarget, RateTarget, Targets};

#[test]
fn calibration_recovers_the_hyperparameters_behind_synthetic_targets() {
    // Targets are the endpoints of a 400-patient population simulated at known values
    // (gamma = 3.0, typical f_neg = 1e-8) with the calibration's own seed, reported as if
    // measured on 400 patients. Starting from gamma = 6 and f_neg = 1e-10, the calibration must
    // return within 20% of gamma and a factor 3 of f_neg (whose effect on the endpoints is
    // logarithmic: relapse timing depends on ln f_neg).
    let path = model::resolve("cart_all").expect("bundled");
    let base = Model::load(&path).expect("valid");
    let spec = spec::load(&path, base.spec()).expect("population");
    let regimen = regimen::resolve("eliana").expect("regimen");
    let settings = Settings {
        optimizer: Optimizer::NelderMead,
        starts: 1,
        n: 400,
        seed: 99,
        max_iters: 60,
        fit_crs_edges: true,
        slice_points: 0,
        options: SolverOptions::default(),
    };
    let free = vec![
        Free {
            parameter: "gamma".into(),
            hyper: Hyper::Typical,
            lower: 0.5,
            upper: 20.0,
        },
        Free {
            parameter: "f_neg".into(),
            hyper: Hyper::Typical,
            lower: 1e-13,
            upper: 1e-4,
        },
    ];
    let truth = [3.0, 1e-8];
    let empty = Targets::new("synthetic");
    let generator = Calibration {
        model: &base,
        spec: &spec,
        regimen: &regimen,
        targets: &empty,
        free: free.clone(),
        settings: settings.clone(),
    };
    let truth_run = generator.evaluate(&truth, settings.seed, None);
    // the fresh draw's path (known CRS edges) simulates the same calibrated values: remission
    // does not depend on the edges, so it must be identical (it differed when the edges were
    // applied by rebuilding the model from its file, which reset gamma and f_neg)
    let with_edges = generator.evaluate(&truth, settings.seed, Some(&[20.0, 100.0, 400.0, 1500.0]));
    assert_eq!(
        with_edges.summary.rate(Endpoint::Remission),
        truth_run.summary.rate(Endpoint::Remission),
        "an evaluation with known CRS edges must keep the hyperparameter values"
    );
    let s = &truth_run.summary;
    let rate = |value: f64, n: usize| {
        Some(RateTarget {
            value,
            n: Some(n),
            ci95: None,
            tolerance: None,
            source: "synthetic".into(),
        })
    };
    let mut targets = empty.clone();
    let rates = [
        (
            Endpoint::Remission,
            rate(s.rate(Endpoint::Remission).expect("assessed"), 400),
        ),
        (
            Endpoint::MrdNegative,
            rate(s.rate(Endpoint::MrdNegative).expect("assessed"), 400),
        ),
        (
            Endpoint::Cd19NegativeShare,
            s.rate(Endpoint::Cd19NegativeShare)
                .and_then(|v| rate(v, s.count(Endpoint::Relapses))),
        ),
    ];
    for (e, r) in rates {
        if let Some(r) = r {
            targets.rates.insert(e, r);
        }
    }
    targets.curves.insert(
        Endpoint::Rfs,
        s.curve(Endpoint::Rfs)
            .iter()
            .filter(|p| [6.0, 12.0, 24.0, 60.0].contains(&p.month))
            .map(|p| PointTarget {
                month: p.month,
                value: p.survival,
                ci95: Some(p.ci95),
                source: "synthetic".into(),
            })
            .collect(),
    );
    let mut start = base.clone();
    start.set("gamma", 6.0).expect("in bounds");
    start.set("f_neg", 1e-10).expect("in bounds");
    let calibration = Calibration {
        model: &start,
        spec: &spec,
        regimen: &regimen,
        targets: &targets,
        free,
        settings: Settings {
            slice_points: 5,
            ..settings
        },
    };
    let calls = std::sync::atomic::AtomicU64::new(0);
    let report = calibration
        .run(&|_, _| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .expect("calibration");
    // every evaluation, the slices' 2 × 4 off-centre points included, is reported as progress
    // and counted
    assert_eq!(calls.into_inner(), report.evaluations);
    let gamma = report.values[0].1;
    let f_neg = report.values[1].1;
    assert!((gamma / truth[0] - 1.0).abs() < 0.2, "gamma {gamma}");
    assert!((f_neg / truth[1]).ln().abs() < 3f64.ln(), "f_neg {f_neg:e}");
    // at the optimum every target is inside its acceptance interval on the calibration draw
    assert!(
        report.calibration.comparisons.iter().all(|c| c.inside),
        "{:#?}",
        report.calibration.comparisons
    );
    // the slices pass through the calibrated values (rise 0 there), and the kill rate, which
    // moves remission strongly, is bounded on both sides within ×/÷ e, around the truth
    assert_eq!(report.slices.len(), 2);
    let slice_points: u64 = report
        .slices
        .iter()
        .map(|sl| sl.points.len() as u64 - 1)
        .sum();
    assert!(slice_points >= 8 && report.evaluations > slice_points);
    for sl in &report.slices {
        assert_eq!(sl.points.len(), 5, "{sl:?}");
        assert!(
            sl.points.iter().any(|p| p.0 == sl.value && p.1 == 0.0),
            "{sl:?}"
        );
        assert!(sl.points.windows(2).all(|w| w[0].0 < w[1].0), "{sl:?}");
    }
    let g = &report.slices[0];
    match g.range {
        (Some(lo), Some(hi)) => assert!(lo <= truth[0] * 1.2 && hi >= truth[0] / 1.2, "{g:?}"),
        _ => panic!("gamma not bounded by its targets: {g:?}"),
    }
}

/// A uniform spread spans the parameter's bounds whatever its typical value, so calibrating
/// that typical value would move nothing but the typical patient: refused, naming the parameter.
#[test]
fn the_typical_value_of_a_uniformly_spread_parameter_cannot_be_calibrated() {
    let path = model::resolve("cart_all").expect("bundled");
    let base = Model::load(&path).expect("valid");
    let spec = spec::load(&path, base.spec()).expect("population");
    let regimen = regimen::resolve("eliana").expect("regimen");
    let empty = Targets::new("synthetic");
    let calibration = |parameter: &str, lower: f64, upper: f64| Calibration {
        model: &base,
        spec: &spec,
        regimen: &regimen,
        targets: &empty,
        free: vec![Free {
            parameter: parameter.into(),
            hyper: Hyper::Typical,
            lower,
            upper,
        }],
        settings: Settings {
            optimizer: Optimizer::NelderMead,
            starts: 1,
            n: 10,
            seed: 1,
            max_iters: 1,
            fit_crs_edges: false,
            slice_points: 0,
            options: SolverOptions::default(),
        },
    };
    let err = calibration("q_neg", 0.1, 0.9)
        .validate()
        .expect_err("q_neg is uniform")
        .to_string();
    assert!(err.contains("q_neg") && err.contains("uniformly"), "{err}");
    // a log-normally spread parameter with the same kind of bounds is accepted
    calibration("gamma", 0.5, 20.0)
        .validate()
        .expect("gamma is log-normal");
}
