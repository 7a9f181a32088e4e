//! Figures of a virtual population: RFS Kaplan–Meier with its band (and target points, for
//! calibration), and CAR-T exposure by response.

use cartkin_core::model::Model;
use cartkin_trial::endpoint::{Endpoint, HasRecord, Var, kaplan_meier};
use cartkin_trial::survival::KaplanMeier;

use crate::plot::{Figure, Panel, Series, SeriesStyle};

/// A published point to show beside the simulated curve: (month, survival, [lo, hi]).
pub type TargetPoint = (f64, f64, [f64; 2]);

/// Step-function points (t, value) of a Kaplan–Meier quantity.
pub(crate) fn steps(
    km: &KaplanMeier,
    value: impl Fn(&cartkin_trial::survival::KmStep) -> f64,
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

/// The population figures.
pub fn figures<P: HasRecord>(
    model: &Model,
    patients: &[P],
    targets: &[TargetPoint],
) -> Vec<(String, Figure)> {
    let km = &Endpoint::Rfs.def().time_to_event().map_or(
        KaplanMeier {
            n: 0,
            steps: Vec::new(),
        },
        |f| kaplan_meier(patients, f),
    );
    let mut series = vec![
        Series::from_pairs(
            "simulated RFS (Kaplan–Meier)",
            &steps(km, |s| s.survival, 1.0),
            SeriesStyle::Line,
        )
        .with_colour(0),
        Series::from_pairs(
            "95% CI (Greenwood, log-log)",
            &steps(km, |s| s.ci95[0], 1.0),
            SeriesStyle::Line,
        )
        .dashed()
        .with_colour(0),
        Series::from_pairs("", &steps(km, |s| s.ci95[1], 1.0), SeriesStyle::Line)
            .dashed()
            .with_colour(0),
    ];
    if !targets.is_empty() {
        let pts: Vec<(f64, f64)> = targets.iter().map(|t| (t.0, t.1)).collect();
        series.push(
            Series::from_pairs("published RFS and 95% CI", &pts, SeriesStyle::Points)
                .with_colour(1),
        );
        for t in targets {
            series.push(
                Series::from_pairs("", &[(t.0, t.2[0]), (t.0, t.2[1])], SeriesStyle::Line)
                    .with_colour(1),
            );
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
    // without an assessed response (no response in the model, follow-up short of month 3)
    // there is no RFS curve and no split by response
    let assessed = patients
        .iter()
        .map(HasRecord::record)
        .any(|p| p.evaluable() && p.flag(Var::ResponseAssessed));
    let by_response = |responder: Option<bool>| -> Vec<(f64, f64)> {
        patients
            .iter()
            .map(HasRecord::record)
            .filter(|p| p.evaluable() && responder.is_none_or(|r| p.flag(Var::Responder) == r))
            .filter_map(|p| Some((p.value(Var::Auc28)?, p.value(Var::Cmax)?)))
            .collect()
    };
    let exposure_series = if assessed {
        vec![
            Series::from_pairs("responders", &by_response(Some(true)), SeriesStyle::Points)
                .with_colour(0),
            Series::from_pairs(
                "non-responders",
                &by_response(Some(false)),
                SeriesStyle::Points,
            )
            .with_colour(1),
        ]
    } else {
        vec![
            Series::from_pairs("all patients", &by_response(None), SeriesStyle::Points)
                .with_colour(0),
        ]
    };
    let spec = model.spec();
    let unit = spec
        .outcomes
        .car_t
        .as_ref()
        .and_then(|c| spec.column_index(c))
        .and_then(|i| spec.column_unit(i))
        .unwrap_or_default()
        .to_string();
    let exposure = Figure {
        title: format!("{} — CAR-T exposure by response", model.name()),
        x_label: String::new(),
        times: Vec::new(),
        panels: vec![Panel {
            title: "Cmax against AUC0–28d".into(),
            y_label: format!("Cmax ({unit})"),
            x_label: Some(format!("AUC0–28d ({unit} · day)")),
            log_x: true,
            log_y: true,
            series: exposure_series,
            ..Default::default()
        }],
        events: Vec::new(),
    };
    let mut figures = Vec::new();
    if assessed {
        figures.push(("rfs_km".into(), rfs));
    }
    figures.push(("exposure_by_response".into(), exposure));
    figures
}

/// Simulated rates against their targets: one point per endpoint, with the acceptance interval.
pub fn rates_figure(
    model: &Model,
    comparisons: &[cartkin_trial::vpop::targets::Comparison],
) -> Figure {
    let rates: Vec<&cartkin_trial::vpop::targets::Comparison> =
        comparisons.iter().filter(|c| !c.curve_point).collect();
    let xs: Vec<f64> = (1..=rates.len()).map(|k| k as f64).collect();
    let mut series = vec![
        Series::from_pairs(
            "published ± acceptance",
            &xs.iter()
                .zip(&rates)
                .map(|(x, c)| (*x - 0.1, c.target))
                .collect::<Vec<_>>(),
            SeriesStyle::Points,
        )
        .with_colour(1),
        Series::from_pairs(
            "simulated",
            &xs.iter()
                .zip(&rates)
                .map(|(x, c)| (*x + 0.1, c.achieved))
                .collect::<Vec<_>>(),
            SeriesStyle::Points,
        )
        .with_colour(0),
    ];
    for (x, c) in xs.iter().zip(&rates) {
        series.push(
            Series::from_pairs(
                "",
                &[(x - 0.1, c.accept[0]), (x - 0.1, c.accept[1])],
                SeriesStyle::Line,
            )
            .with_colour(1),
        );
    }
    let names = rates
        .iter()
        .enumerate()
        .map(|(k, c)| format!("{} = {}", k + 1, c.endpoint))
        .collect::<Vec<_>>()
        .join(", ");
    Figure {
        title: format!("{} — rates against targets", model.name()),
        x_label: String::new(),
        times: Vec::new(),
        panels: vec![Panel {
            title: "Remission, MRD, CD19-negative share, CRS".into(),
            y_label: "Proportion".into(),
            x_label: Some(names),
            x_range: Some((0.5, rates.len() as f64 + 0.5)),
            y_range: Some((0.0, 1.0)),
            series,
            ..Default::default()
        }],
        events: Vec::new(),
    }
}
