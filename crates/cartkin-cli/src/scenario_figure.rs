//! Figures of a scenario: RFS and EFS curves of the arms overlaid, endpoints by arm with their
//! CIs, dose-response (one-variable sweep) curves with CI bands, and heatmaps of two-variable
//! sweeps.

use cartkin_trial::endpoint::{DAYS_PER_MONTH, ENDPOINTS, Endpoint, EndpointDef, kaplan_meier};
use cartkin_trial::scenario::{ArmSummary, Scenario, sweep::Scale};
use cartkin_trial::vpop::PatientResult;

use crate::plot::heatmap::Heatmap;
use crate::plot::{Figure, Panel, Series, SeriesStyle};
use crate::population_figure::steps;

/// Most curves overlaid in one panel (the palette has eight colours).
const MAX_CURVES: usize = 8;

/// Figures named by file stem.
pub type Named<T> = Vec<(String, T)>;

/// A value with its 95% CI.
type WithCi = (f64, Option<[f64; 2]>);

/// Every figure of the scenario, named by file stem: panel figures, and heatmaps for a
/// two-variable sweep.
pub fn figures(
    scenario: &Scenario,
    results: &[Vec<PatientResult>],
    arms: &[ArmSummary],
) -> (Named<Figure>, Named<Heatmap>) {
    // survival only where remission was assessed (a model with a response, month 3 reached)
    let assessed = arms.iter().any(|a| a.summary.response_assessed);
    let mut panels = Vec::new();
    if assessed {
        panels.push(("survival_by_arm".to_string(), survival(scenario, results)));
    }
    let mut maps = Vec::new();
    // only endpoints some arm has (a model without a response has no remission, no CRS...)
    let month = scenario.headline_month();
    let shown: Vec<&EndpointDef> = ENDPOINTS
        .iter()
        .filter(|d| d.figure.is_some())
        .filter(|d| {
            arms.iter()
                .any(|a| a.summary.headline(d.endpoint, month).is_some())
        })
        .collect();
    if shown.is_empty() {
        return (panels, maps);
    }
    match &scenario.sweep {
        None => panels.push((
            "endpoints_by_arm".into(),
            endpoints_by_arm(scenario, arms, &shown),
        )),
        Some(s) if s.y.is_none() => panels.push((
            format!("sweep_{}", stem(&s.x.key)),
            one_variable(scenario, arms, &shown),
        )),
        Some(_) => maps = heatmaps(scenario, arms, &shown),
    }
    (panels, maps)
}

/// An endpoint's value and CI in an arm, at the headline month.
fn get(def: &EndpointDef, a: &ArmSummary, month: f64) -> Option<(f64, Option<[f64; 2]>)> {
    a.summary.headline(def.endpoint, month)
}

/// Panel title and y label of an endpoint, and its y range (proportions on [0, 1]).
fn panel_text(def: &EndpointDef, month: f64) -> (String, String, Option<(f64, f64)>) {
    let m = cartkin_trial::scenario::sweep::format_value(month);
    let (title, axis) = def.figure.map_or((def.json, ""), |p| (p.title, p.axis));
    let range = def.is_proportion().then_some((0.0, 1.0));
    (title.replace("{m}", &m), axis.to_string(), range)
}

fn stem(key: &str) -> String {
    key.replace('.', "_")
}

/// Indices of at most [`MAX_CURVES`] arms, evenly spread and including the first and last.
fn chosen(n: usize) -> Vec<usize> {
    if n <= MAX_CURVES {
        return (0..n).collect();
    }
    let mut picks: Vec<usize> = (0..MAX_CURVES)
        .map(|k| (k as f64 * (n - 1) as f64 / (MAX_CURVES - 1) as f64).round() as usize)
        .collect();
    picks.dedup();
    picks
}

/// RFS from remission (responders) and EFS from infusion (everyone), one curve per arm.
fn survival(scenario: &Scenario, results: &[Vec<PatientResult>]) -> Figure {
    let picks = chosen(scenario.arms.len());
    let curve = |e: Endpoint| -> Vec<Series> {
        let Some(time_to_event) = e.def().time_to_event() else {
            return Vec::new();
        };
        picks
            .iter()
            .enumerate()
            .map(|(colour, &a)| {
                let km = kaplan_meier(&results[a], time_to_event);
                Series::from_pairs(
                    legend_label(scenario, a),
                    &steps(&km, |s| s.survival, 1.0),
                    SeriesStyle::Line,
                )
                .with_colour(colour)
            })
            .collect()
    };
    let horizon = scenario.population.follow_up_days / DAYS_PER_MONTH;
    let shown = if picks.len() < scenario.arms.len() {
        format!(" ({} of {} arms shown)", picks.len(), scenario.arms.len())
    } else {
        String::new()
    };
    Figure {
        title: format!(
            "{} — survival, n = {} per arm{shown}",
            scenario.name,
            results.first().map_or(0, Vec::len)
        ),
        x_label: "Months".into(),
        times: Vec::new(),
        panels: vec![
            survival_panel(
                "Relapse-free survival of responders, from remission",
                "Relapse-free survival",
                "Months since remission onset",
                horizon,
                curve(Endpoint::Rfs),
            ),
            survival_panel(
                "Event-free survival from infusion (no remission = event)",
                "Event-free survival",
                "Months since CAR-T infusion",
                horizon,
                curve(Endpoint::Efs),
            ),
        ],
        events: Vec::new(),
    }
}

/// A short legend label for arm `a`: a swept arm's values with their units ("Flu/Cy (ELIANA),
/// 3.162e7 cells") rather than its full name, which repeats the key and overflows legends.
fn legend_label(scenario: &Scenario, a: usize) -> String {
    use cartkin_trial::scenario::sweep::labels;
    let arm = &scenario.arms[a];
    let (Some(sweep), Some((i, j))) = (&scenario.sweep, arm.grid) else {
        return arm.name.clone();
    };
    let value = |axis: &cartkin_trial::scenario::sweep::Axis, k: usize| {
        let v = &labels(&axis.values)[k];
        match axis.key.as_str() {
            "dose_cells" => format!("{v} cells"),
            "dose_per_kg" => format!("{v} cells/kg"),
            "fludarabine_mg_per_m2" => format!("Flu {v} mg/m²"),
            "cyclophosphamide_mg_per_m2" => format!("Cy {v} mg/m²"),
            "fludarabine_target_auc" => format!("Flu AUC {v}"),
            "infusion_delay_days" => format!("infusion +{v} d"),
            key => format!("{}={v}", key.strip_prefix("set.").unwrap_or(key)),
        }
    };
    let mut parts = vec![value(&sweep.x, i)];
    if let (Some(y), Some(j)) = (&sweep.y, j) {
        parts.push(value(y, j));
    }
    let base = &scenario.base_arms[arm.base];
    if !base.is_empty() {
        parts.insert(0, base.clone());
    }
    parts.join(", ")
}

/// A Kaplan–Meier panel: survival from 0 to 1 over `horizon` months.
fn survival_panel(
    title: &str,
    y_label: &str,
    x_label: &str,
    horizon: f64,
    series: Vec<Series>,
) -> Panel {
    Panel {
        title: title.into(),
        y_label: y_label.into(),
        x_label: Some(x_label.into()),
        x_range: Some((0.0, horizon)),
        y_range: Some((0.0, 1.0)),
        series,
        ..Default::default()
    }
}

/// Endpoints of each arm with 95% CI whiskers, one colour per arm.
fn endpoints_by_arm(scenario: &Scenario, arms: &[ArmSummary], shown: &[&EndpointDef]) -> Figure {
    let month = scenario.headline_month();
    let panels = shown
        .iter()
        .copied()
        .enumerate()
        .map(|(k, def)| {
            let (title, y_label, y_range) = panel_text(def, month);
            let mut series = Vec::new();
            for (i, a) in arms.iter().enumerate() {
                let x = (i + 1) as f64;
                // legend once, in the first panel
                let label = if k == 0 { a.arm.clone() } else { String::new() };
                match get(def, a, month) {
                    Some((v, ci)) => {
                        series.push(
                            Series::from_pairs(label, &[(x, v)], SeriesStyle::Points)
                                .with_colour(i),
                        );
                        if let Some([lo, hi]) = ci {
                            series.push(
                                Series::from_pairs("", &[(x, lo), (x, hi)], SeriesStyle::Line)
                                    .with_colour(i),
                            );
                        }
                    }
                    None => series.push(
                        Series::from_pairs(label, &[(x, f64::NAN)], SeriesStyle::Points)
                            .with_colour(i),
                    ),
                }
            }
            Panel {
                title,
                y_label,
                x_label: Some("Arm (95% CI bars)".into()),
                x_range: Some((0.5, arms.len() as f64 + 0.5)),
                y_range,
                series,
                ..Default::default()
            }
        })
        .collect();
    Figure {
        title: format!(
            "{} — endpoints by arm (n = {} each)",
            scenario.name,
            arms.first().map_or(0, |a| a.summary.n)
        ),
        x_label: String::new(),
        times: Vec::new(),
        panels,
        events: Vec::new(),
    }
}

/// Axis label of a sweep key, with its unit.
pub fn key_label(scenario: &Scenario, key: &str) -> String {
    match key {
        "dose_per_kg" => "CAR-T dose (cells/kg)".into(),
        "dose_cells" => "CAR-T dose (cells)".into(),
        "fludarabine_mg_per_m2" => "Fludarabine per day (mg/m²)".into(),
        "cyclophosphamide_mg_per_m2" => "Cyclophosphamide per day (mg/m²)".into(),
        "fludarabine_target_auc" => "Fludarabine target AUC (mg·h/L)".into(),
        "infusion_delay_days" => "Days from last lymphodepletion dose to infusion".into(),
        _ => {
            let name = key.strip_prefix("set.").unwrap_or(key);
            let spec = scenario.model.spec();
            match spec.parameter_index(name).map(|i| &spec.parameters[i]) {
                Some(p) if !p.unit.is_empty() && p.unit != "-" => format!("{name} ({})", p.unit),
                _ => name.to_string(),
            }
        }
    }
}

/// Endpoints against the swept variable, one curve per written arm, dashed 95% CI bands.
fn one_variable(scenario: &Scenario, arms: &[ArmSummary], shown: &[&EndpointDef]) -> Figure {
    let Some(sweep) = &scenario.sweep else {
        return endpoints_by_arm(scenario, arms, shown);
    };
    let month = scenario.headline_month();
    let log_x = sweep.x.scale == Scale::Log;
    let panels = shown
        .iter()
        .copied()
        .enumerate()
        .map(|(k, def)| {
            let (title, y_label, y_range) = panel_text(def, month);
            let mut series = Vec::new();
            for (b, base) in scenario.base_arms.iter().enumerate() {
                let rows: Vec<(f64, Option<WithCi>)> = scenario
                    .arms
                    .iter()
                    .zip(arms)
                    .filter(|(plan, _)| plan.base == b)
                    .filter_map(|(plan, a)| {
                        Some((sweep.x.values[plan.grid?.0], get(def, a, month)))
                    })
                    .collect();
                let has_ci = rows.iter().any(|(_, v)| v.is_some_and(|v| v.1.is_some()));
                let pick = |f: fn(&WithCi) -> f64| -> Vec<(f64, f64)> {
                    rows.iter()
                        .map(|(x, v)| (*x, v.as_ref().map_or(f64::NAN, f)))
                        .collect()
                };
                let name = if base.is_empty() {
                    "simulated".to_string()
                } else {
                    base.clone()
                };
                let label = if k == 0 { name } else { String::new() };
                series.push(
                    Series::from_pairs(label, &pick(|v| v.0), SeriesStyle::LineAndPoints)
                        .with_colour(b),
                );
                if has_ci {
                    let band = if k == 0 && b == 0 { "95% CI" } else { "" };
                    let lo = pick(|v| v.1.map_or(f64::NAN, |c| c[0]));
                    let hi = pick(|v| v.1.map_or(f64::NAN, |c| c[1]));
                    series.push(
                        Series::from_pairs(band, &lo, SeriesStyle::Line)
                            .dashed()
                            .with_colour(b),
                    );
                    series.push(
                        Series::from_pairs("", &hi, SeriesStyle::Line)
                            .dashed()
                            .with_colour(b),
                    );
                }
            }
            Panel {
                title,
                y_label,
                x_label: Some(key_label(scenario, &sweep.x.key)),
                log_x,
                y_range,
                series,
                ..Default::default()
            }
        })
        .collect();
    Figure {
        title: format!(
            "{} — endpoints against {}, n = {} per point",
            scenario.name,
            key_label(scenario, &sweep.x.key),
            arms.first().map_or(0, |a| a.summary.n)
        ),
        x_label: String::new(),
        times: Vec::new(),
        panels,
        events: Vec::new(),
    }
}

/// One heatmap per endpoint (and per written arm) of a two-variable sweep.
fn heatmaps(scenario: &Scenario, arms: &[ArmSummary], shown: &[&EndpointDef]) -> Named<Heatmap> {
    let Some(sweep) = &scenario.sweep else {
        return Vec::new();
    };
    let Some(y) = &sweep.y else {
        return Vec::new();
    };
    let month = scenario.headline_month();
    let mut out = Vec::new();
    for (b, base) in scenario.base_arms.iter().enumerate() {
        // the colour scale is a proportion (0–100%): days and exposures have no heatmap
        for &def in shown.iter().filter(|d| d.is_proportion()) {
            let name = def.slug;
            let (title, _, _) = panel_text(def, month);
            let mut values = vec![vec![f64::NAN; y.values.len()]; sweep.x.values.len()];
            for (plan, a) in scenario.arms.iter().zip(arms).filter(|(p, _)| p.base == b) {
                if let Some((i, Some(j))) = plan.grid {
                    values[i][j] = get(def, a, month).map_or(f64::NAN, |v| v.0);
                }
            }
            let suffix = if base.is_empty() {
                String::new()
            } else {
                format!(" — {base}")
            };
            let file = if scenario.base_arms.len() > 1 {
                format!("heatmap_{name}_{}", b + 1)
            } else {
                format!("heatmap_{name}")
            };
            out.push((
                file,
                Heatmap {
                    title: format!("{} — {title}{suffix}", scenario.name),
                    x_label: key_label(scenario, &sweep.x.key),
                    y_label: key_label(scenario, &y.key),
                    x_values: sweep.x.values.clone(),
                    y_values: y.values.clone(),
                    values,
                    value_label: title.clone(),
                },
            ));
        }
    }
    out
}
