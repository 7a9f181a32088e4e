//! Figures of a virtual population: RFS Kaplan–Meier with its band (and target points, for
//! calibration), and CAR-T exposure by response.

use cartkin_core::model::Model;
use cartkin_fit::survival::KaplanMeier;
use cartkin_fit::vpop::PatientResult;

use crate::plot::{Figure, Panel, Series, SeriesStyle};

/// A published point to show beside the simulated curve: (month, survival, [lo, hi]).
pub type TargetPoint = (f64, f64, [f64; 2]);

/// Step-function points (t, value) of a Kaplan–Meier quantity.
fn steps(
    km: &KaplanMeier,
    value: impl Fn(&cartkin_fit::survival::KmStep) -> f64,
    start: f64,
) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, start)];
    let mut last = start;
    for s in &km.steps {
        out.push((s.time, last));
        last = value(s);
        out.push((s.time, last));
    }
    if let Some(t) = km.steps.last().map(|s| s.time) {
        out.push((t, last));
    }
    out
}

fn xy(label: &str, points: &[(f64, f64)], style: SeriesStyle, dashed: bool) -> Series {
    Series {
        label: label.into(),
        x: Some(points.iter().map(|p| p.0).collect()),
        values: points.iter().map(|p| p.1).collect(),
        style,
        dashed,
    }
}

/// The population figures.
pub fn figures(
    model: &Model,
    patients: &[PatientResult],
    km: &KaplanMeier,
    targets: &[TargetPoint],
) -> Vec<(String, Figure)> {
    let mut series = vec![
        xy(
            "simulated RFS (Kaplan–Meier)",
            &steps(km, |s| s.survival, 1.0),
            SeriesStyle::Line,
            false,
        ),
        xy(
            "95% CI (Greenwood, log-log)",
            &steps(km, |s| s.ci95[0], 1.0),
            SeriesStyle::Line,
            true,
        ),
        xy("", &steps(km, |s| s.ci95[1], 1.0), SeriesStyle::Line, true),
    ];
    if !targets.is_empty() {
        let pts: Vec<(f64, f64)> = targets.iter().map(|t| (t.0, t.1)).collect();
        series.push(xy("published RFS", &pts, SeriesStyle::Points, false));
        for t in targets {
            series.push(xy(
                "",
                &[(t.0, t.2[0]), (t.0, t.2[1])],
                SeriesStyle::Line,
                false,
            ));
        }
    }
    let rfs = Figure {
        title: format!(
            "{} — relapse-free survival of responders (n = {})",
            model.name(),
            km.n
        ),
        x_label: "Months since remission onset".into(),
        times: Vec::new(),
        panels: vec![Panel {
            title: "RFS among responders".into(),
            y_label: "Relapse-free survival".into(),
            y_range: Some((0.0, 1.0)),
            series,
            ..Default::default()
        }],
        events: Vec::new(),
    };
    let by_response = |responder: bool| -> Vec<(f64, f64)> {
        patients
            .iter()
            .filter(|p| p.error.is_none() && p.responder == responder)
            .filter_map(|p| Some((p.auc28?, p.cmax?)))
            .collect()
    };
    let exposure = Figure {
        title: format!("{} — CAR-T exposure by response", model.name()),
        x_label: String::new(),
        times: Vec::new(),
        panels: vec![Panel {
            title: "Cmax against AUC0–28d".into(),
            y_label: "Cmax".into(),
            x_label: Some("AUC0–28d".into()),
            log_x: true,
            log_y: true,
            series: vec![
                xy("responders", &by_response(true), SeriesStyle::Points, false),
                xy(
                    "non-responders",
                    &by_response(false),
                    SeriesStyle::Points,
                    false,
                ),
            ],
            ..Default::default()
        }],
        events: Vec::new(),
    };
    vec![
        ("rfs_km".into(), rfs),
        ("exposure_by_response".into(), exposure),
    ]
}
