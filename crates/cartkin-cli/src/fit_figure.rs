//! Data shaping for the fit plots: fitted curves, residuals, and the figures built from them.

use cartkin_core::model::Model;
use cartkin_core::outcome::MAX_COLUMNS;
use cartkin_core::simulate::{Request, simulate};
use cartkin_fit::fit::{FitMode, FitReport};
use cartkin_fit::problem::{Problem, SubjectData};
use cartkin_fit::uncertainty::CHI2_95_1DF;

use crate::plot::{Figure, Panel, ReferenceLine, Series, SeriesStyle, Threshold};

/// Subjects per page of the per-subject figure.
pub const PER_PAGE: usize = 24;
/// Most pages of subject plots written (480 subjects): a 100,000-subject fit would otherwise
/// write thousands of pages. The residual plots and `residuals.csv` cover every subject.
pub const MAX_SUBJECT_PAGES: usize = 20;
/// Points on a fitted curve.
const CURVE_POINTS: usize = 400;

/// One residual row.
pub struct Residual {
    pub time: f64,
    pub output: String,
    pub observed: f64,
    pub predicted: f64,
    pub residual: f64,
    pub weighted_residual: f64,
    pub blq: bool,
}

/// A subject's fitted curve and residuals.
pub struct SubjectCurves {
    pub id: String,
    pub output: String,
    pub curve: Vec<(f64, f64)>,
    pub observed: Vec<(f64, f64)>,
    pub blq: Vec<(f64, f64)>,
    pub residuals: Vec<Residual>,
}

/// θ used for each subject: its own (individual fits) or the pooled one.
fn theta_for<'a>(report: &'a FitReport, id: &str) -> Option<&'a [f64]> {
    match (&report.pooled, report.mode) {
        (Some(p), FitMode::Pooled) => Some(&p.theta),
        _ => report
            .individual
            .iter()
            .find(|f| f.subjects.first().is_some_and(|s| s == id))
            .map(|f| f.theta.as_slice()),
    }
}

/// Fitted curves and residuals of every subject with observations.
pub fn curves(problem: &Problem, report: &FitReport) -> Vec<SubjectCurves> {
    problem
        .subjects
        .iter()
        .filter(|s| !s.points.is_empty())
        .filter_map(|s| {
            let theta = theta_for(report, &s.id)?;
            let (values, _) = problem.natural(theta);
            let (model, error) = problem.bind(&values);
            let predicted = problem.predictions(&model, s)?;
            let residuals = s
                .points
                .iter()
                .zip(&predicted)
                .map(|(p, &f)| {
                    let y = if p.blq { p.lloq } else { p.value };
                    Residual {
                        time: p.time,
                        output: p.output.clone(),
                        observed: y,
                        predicted: f,
                        residual: error.residual(f, y),
                        weighted_residual: error.weighted_residual(f, y),
                        blq: p.blq,
                    }
                })
                .collect();
            Some(SubjectCurves {
                id: s.id.clone(),
                output: s.points[0].output.clone(),
                curve: curve(problem, &model, s),
                observed: s
                    .points
                    .iter()
                    .filter(|p| !p.blq)
                    .map(|p| (p.time, p.value))
                    .collect(),
                blq: s
                    .points
                    .iter()
                    .filter(|p| p.blq)
                    .map(|p| (p.time, p.lloq))
                    .collect(),
                residuals,
            })
        })
        .collect()
}

/// The first observed output of a subject on a fine grid over its observation period.
fn curve(problem: &Problem, model: &Model, s: &SubjectData) -> Vec<(f64, f64)> {
    let (Some(first), Some(last)) = (s.points.first(), s.points.last()) else {
        return Vec::new();
    };
    let start = first.time.min(0.0);
    let request = Request {
        model,
        patient: s.patient,
        doses: s.doses.clone(),
        start: Some(start),
        days: last.time,
        options: problem.options,
    };
    let Ok(sim) = simulate(&request) else {
        return Vec::new();
    };
    let mut buf = [0.0; MAX_COLUMNS];
    (0..=CURVE_POINTS)
        .map(|k| start + (last.time - start) * k as f64 / CURVE_POINTS as f64)
        .filter_map(|t| {
            if sim.columns_at(t, &mut buf) {
                Some((t, buf[first.column]))
            } else {
                None
            }
        })
        .collect()
}

/// All fit figures: per-subject pages, observed vs predicted, residuals, profile.
pub fn figures(
    model: &Model,
    curves: &[SubjectCurves],
    report: &FitReport,
) -> Vec<(String, Figure)> {
    let unit = |name: &str| {
        let spec = model.spec();
        spec.column_index(name)
            .and_then(|i| spec.column_unit(i))
            .unwrap_or_default()
            .to_string()
    };
    let mut figures = Vec::new();
    let pages = curves.chunks(PER_PAGE).count();
    for (page, chunk) in curves.chunks(PER_PAGE).enumerate().take(MAX_SUBJECT_PAGES) {
        let panels = chunk
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let first = page == 0 && k == 0;
                let label = |s: &str| if first { s.to_string() } else { String::new() };
                Panel {
                    title: format!("subject {}", c.id),
                    y_label: format!("{} ({})", c.output, unit(&c.output)),
                    log_y: true,
                    series: vec![
                        Series::from_pairs(label("fitted"), &c.curve, SeriesStyle::Line),
                        Series::from_pairs(label("observed"), &c.observed, SeriesStyle::Points),
                        Series::from_pairs(label("BLQ (at LLOQ)"), &c.blq, SeriesStyle::Points),
                    ],
                    ..Default::default()
                }
            })
            .collect();
        let name = if pages == 1 {
            "fit_subjects".to_string()
        } else {
            format!("fit_subjects_{}", page + 1)
        };
        figures.push((
            name,
            Figure {
                title: format!(
                    "{} — {} fit, observed and fitted ({}/{})",
                    model.name(),
                    report.mode,
                    page + 1,
                    pages
                ),
                x_label: "Time since CAR-T infusion (days)".into(),
                times: Vec::new(),
                panels,
                events: Vec::new(),
            },
        ));
    }

    let quantified: Vec<&Residual> = curves
        .iter()
        .flat_map(|c| c.residuals.iter())
        .filter(|r| !r.blq)
        .collect();
    let pairs: Vec<(f64, f64)> = quantified
        .iter()
        .map(|r| (r.predicted, r.observed))
        .collect();
    let lo = pairs
        .iter()
        .flat_map(|p| [p.0, p.1])
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let hi = pairs.iter().flat_map(|p| [p.0, p.1]).fold(0.0, f64::max);
    let output = curves.first().map_or(String::new(), |c| c.output.clone());
    figures.push((
        "fit_observed_vs_predicted".into(),
        Figure {
            title: format!("{} — observed vs predicted", model.name()),
            x_label: String::new(),
            times: Vec::new(),
            panels: vec![Panel {
                title: "Observed vs predicted".into(),
                y_label: format!("Observed {output} ({})", unit(&output)),
                x_label: Some(format!("Predicted {output} ({})", unit(&output))),
                log_y: true,
                log_x: true,
                series: vec![Series::from_pairs(
                    "observations",
                    &pairs,
                    SeriesStyle::Points,
                )],
                reference_lines: if lo.is_finite() && hi > lo {
                    vec![ReferenceLine {
                        label: "identity".into(),
                        from: (lo, lo),
                        to: (hi, hi),
                    }]
                } else {
                    Vec::new()
                },
                ..Default::default()
            }],
            events: Vec::new(),
        },
    ));

    let wres: Vec<(f64, f64)> = quantified
        .iter()
        .map(|r| (r.time, r.weighted_residual))
        .collect();
    figures.push((
        "fit_residuals".into(),
        Figure {
            title: format!("{} — weighted residuals", model.name()),
            x_label: "Time since CAR-T infusion (days)".into(),
            times: Vec::new(),
            panels: vec![Panel {
                title: "Weighted residuals vs time".into(),
                y_label: "Weighted residual (SD units)".into(),
                series: vec![Series::from_pairs(
                    "observations",
                    &wres,
                    SeriesStyle::Points,
                )],
                thresholds: vec![
                    Threshold {
                        label: "0".into(),
                        value: 0.0,
                    },
                    Threshold {
                        label: "±2".into(),
                        value: 2.0,
                    },
                    Threshold {
                        label: String::new(),
                        value: -2.0,
                    },
                ],
                ..Default::default()
            }],
            events: Vec::new(),
        },
    ));

    let profile = report
        .pooled
        .as_ref()
        .and_then(|p| p.profile.as_ref())
        .or_else(|| report.individual.first().and_then(|f| f.profile.as_ref()));
    if let Some(p) = profile {
        let points: Vec<(f64, f64)> = p
            .points
            .iter()
            .filter(|q| q.delta.is_finite())
            .map(|q| (q.value, q.delta))
            .collect();
        figures.push((
            "fit_profile".into(),
            Figure {
                title: format!("{} — profile likelihood of {}", model.name(), p.parameter),
                x_label: String::new(),
                times: Vec::new(),
                panels: vec![Panel {
                    title: format!("Profile of {}", p.parameter),
                    y_label: "Δ(−2 log-likelihood)".into(),
                    x_label: Some(match model.spec().parameter_index(&p.parameter) {
                        Some(i) => format!("{} ({})", p.parameter, model.spec().parameters[i].unit),
                        None => p.parameter.clone(),
                    }),
                    series: vec![Series::from_pairs(
                        "profile",
                        &points,
                        SeriesStyle::LineAndPoints,
                    )],
                    thresholds: vec![Threshold {
                        label: "χ²(1) 95%: 3.84".into(),
                        value: CHI2_95_1DF,
                    }],
                    ..Default::default()
                }],
                events: Vec::new(),
            },
        ));
    }
    figures
}
