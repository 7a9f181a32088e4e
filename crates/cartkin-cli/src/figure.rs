//! Builds the trajectory figures from a simulation: pure data shaping, no drawing.

use cartkin_core::model::{ModelSpec, Transform};
use cartkin_core::outcome::Outcomes;
use cartkin_core::simulate::EventKind;

use crate::plot::{EventMarker, Figure, Panel, Series, Threshold};

/// At most this many events are labelled on a figure.
const MAX_EVENTS: usize = 8;

/// Which events a figure marks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The whole follow-up: late events only (relapse, B-cell recovery, cure).
    Full,
    /// The first weeks: expansion, remission, CRS.
    Early,
}

/// One panel per entry of the model's `[[plot.panels]]` (or one per state if it has none).
pub fn trajectory_figure(
    spec: &ModelSpec,
    grid: &[f64],
    table: &[Vec<f64>],
    outcomes: &Outcomes,
    subtitle: &str,
    window: Window,
) -> Figure {
    let column = |name: &str| -> Vec<f64> {
        match spec.column_index(name) {
            Some(i) => table.iter().map(|row| row[i]).collect(),
            None => vec![f64::NAN; grid.len()],
        }
    };
    let panels: Vec<Panel> = if spec.panels.is_empty() {
        spec.states
            .iter()
            .map(|s| Panel {
                title: s.description.clone(),
                y_label: format!("{} ({})", s.name, s.unit),
                log_y: s.transform == Transform::Log,
                series: vec![Series {
                    label: s.name.clone(),
                    values: column(&s.name),
                    dashed: false,
                    ..Default::default()
                }],
                thresholds: Vec::new(),
                ..Default::default()
            })
            .collect()
    } else {
        spec.panels
            .iter()
            .map(|p| Panel {
                title: p.title.clone(),
                y_label: p.y_label.clone(),
                log_y: p.log_y,
                series: p
                    .series
                    .iter()
                    .zip(&p.labels)
                    .enumerate()
                    .map(|(k, (s, label))| Series {
                        label: label.clone(),
                        values: column(s),
                        dashed: k > 0 && p.series.len() > 2,
                        ..Default::default()
                    })
                    .collect(),
                thresholds: p
                    .thresholds
                    .iter()
                    .map(|t| Threshold {
                        label: t.label.clone(),
                        value: t.value,
                    })
                    .chain(grade_map(spec, &p.series))
                    .collect(),
                ..Default::default()
            })
            .collect()
    };
    Figure {
        title: format!("{} — {}", spec.name, subtitle),
        x_label: "Time since CAR-T infusion (days)".into(),
        times: grid.to_vec(),
        panels,
        events: events(
            outcomes,
            window,
            grid.first().copied().unwrap_or(0.0),
            grid.last().copied().unwrap_or(0.0),
        ),
    }
}

/// Clinical and extinction events worth marking (doses are left out: they crowd day 0).
fn events(outcomes: &Outcomes, window: Window, from: f64, to: f64) -> Vec<EventMarker> {
    let mut markers: Vec<EventMarker> = outcomes
        .events
        .iter()
        .filter(|e| e.time >= from && e.time <= to)
        .filter_map(|e| {
            let early = matches!(
                e.kind,
                EventKind::CarTPeak
                    | EventKind::CompleteRemission
                    | EventKind::MrdNegative
                    | EventKind::BCellAplasiaStart
                    | EventKind::PhaseSwitch
            );
            if window == Window::Full && early {
                return None;
            }
            let label = match e.kind {
                EventKind::CarTPeak => "CAR-T peak".to_string(),
                EventKind::CompleteRemission => "CR".to_string(),
                EventKind::MrdNegative => "MRD-neg".to_string(),
                EventKind::Relapse => e
                    .detail
                    .split(' ')
                    .next()
                    .map_or("relapse".into(), |t| format!("{t} relapse")),
                EventKind::Cure => "cure".to_string(),
                EventKind::BCellAplasiaStart => "B-cell aplasia".to_string(),
                EventKind::BCellRecovery => "B-cell recovery".to_string(),
                EventKind::Extinction => e
                    .detail
                    .split(' ')
                    .next()
                    .map_or("extinct".into(), |s| format!("{s} extinct")),
                EventKind::Seeding => e
                    .detail
                    .split(' ')
                    .next()
                    .map_or("seeded".into(), |s| format!("{s} arose")),
                EventKind::PhaseSwitch => e.detail.split(':').next().unwrap_or("phase").to_string(),
                EventKind::Dose | EventKind::InfusionEnd => return None,
            };
            Some(EventMarker {
                time: e.time,
                label,
            })
        })
        .collect();
    // "cure" repeats the last clone's extinction
    markers.dedup_by(|b, a| {
        (a.time - b.time).abs() < 1e-9 && b.label.ends_with("extinct") && a.label == "cure"
    });
    markers.truncate(MAX_EVENTS);
    markers
}

/// The model's CRS grade map drawn on the panel that shows its cytokine: one line per grade
/// edge, so a calibrated model's figure shows the map it uses (not a file's fixed lines).
fn grade_map(spec: &ModelSpec, series: &[String]) -> Vec<Threshold> {
    let roles = &spec.outcomes;
    match (&roles.cytokine, &roles.crs_grade_edges) {
        (Some(cytokine), Some(edges)) if series.iter().any(|s| s == cytokine) => edges
            .iter()
            .enumerate()
            .map(|(k, &value)| Threshold {
                label: format!("CRS grade {}", k + 1),
                value,
            })
            .collect(),
        _ => Vec::new(),
    }
}
