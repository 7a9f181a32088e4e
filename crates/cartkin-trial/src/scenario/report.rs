//! Per-arm endpoints and their tables (`arms.csv`, `arms.md`), generated from the endpoint
//! table.

use serde::Serialize;

use super::file::Scenario;
use super::sweep::format_value;
use crate::endpoint::table::LAST_ENDPOINT_BEFORE_SETTINGS;
use crate::endpoint::{
    ENDPOINTS, Endpoint, EndpointDef, Stat, Summary, Value, summarize as summarize_endpoints,
};
use crate::vpop::PatientResult;

/// The endpoints of one arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSummary {
    /// Arm name.
    pub arm: String,
    /// What the arm sets.
    pub settings: String,
    /// Swept values (key, value), in axis order.
    pub sweep: Vec<(String, f64)>,
    /// Endpoints (remission, RFS and EFS with CIs, CD19-negative share, CRS, exposure).
    #[serde(flatten)]
    pub summary: Summary,
}

/// Summaries of every arm, in scenario order.
pub fn summarize(scenario: &Scenario, results: &[Vec<PatientResult>]) -> Vec<ArmSummary> {
    scenario
        .arms
        .iter()
        .zip(results)
        .map(|(arm, patients)| {
            let mut sweep = Vec::new();
            if let (Some(s), Some((i, j))) = (&scenario.sweep, arm.grid) {
                sweep.push((s.x.key.clone(), s.x.values[i]));
                if let (Some(y), Some(j)) = (&s.y, j) {
                    sweep.push((y.key.clone(), y.values[j]));
                }
            }
            ArmSummary {
                arm: arm.name.clone(),
                settings: arm.settings.describe(),
                sweep,
                summary: summarize_endpoints(patients, &scenario.rfs_months),
            }
        })
        .collect()
}

/// The `arms.csv` columns of an endpoint: a rate's value and CI, a curve's value and CI at
/// each month, quantiles' p05/median/p95, else one column.
fn csv_columns(def: &EndpointDef, base: &str, report_months: &[f64]) -> Vec<String> {
    let triple = |name: &str| vec![name.to_string(), format!("{name}_lo"), format!("{name}_hi")];
    match def.stat {
        Stat::Rate { .. } => triple(base),
        Stat::Survival(_) => report_months
            .iter()
            .flat_map(|m| triple(&format!("{base}_{}mo", format_value(*m))))
            .collect(),
        Stat::SurvivalAt { months, .. } => months
            .iter()
            .flat_map(|m| triple(&format!("{base}_{}mo", format_value(*m))))
            .collect(),
        Stat::Quantiles { .. } => ["p05", "median", "p95"]
            .map(|q| format!("{base}_{q}"))
            .to_vec(),
        _ => vec![base.to_string()],
    }
}

/// The `arms.csv` cells of an endpoint's value (empty where undefined: no responder for RFS,
/// no relapse for a share).
fn csv_cells(def: &EndpointDef, value: &Value, report_months: &[f64]) -> Vec<String> {
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.6}"))
    };
    let with_ci = |v: Option<f64>, ci: Option<[f64; 2]>| {
        [num(v), num(ci.map(|c| c[0])), num(ci.map(|c| c[1]))]
    };
    match value {
        Value::Count(c) => vec![c.to_string()],
        Value::Rate { value, ci95, .. } => with_ci(*value, *ci95).to_vec(),
        Value::Curve(points) => {
            // one triple per month, empty where the curve is not applicable
            let months = def.fixed_months().unwrap_or(report_months);
            months
                .iter()
                .flat_map(|m| {
                    let p = points.iter().find(|p| p.month.to_bits() == m.to_bits());
                    with_ci(p.map(|p| p.survival), p.map(|p| p.ci95))
                })
                .collect()
        }
        Value::Number(x) => vec![num(*x)],
        Value::GeoMean(g) => vec![
            g.geometric_mean
                .map_or(String::new(), |x| format!("{x:.4e}")),
        ],
        Value::Quantiles(q) => vec![num(q.p05), num(q.median), num(q.p95)],
    }
}

/// `arms.csv`: one row per arm; the endpoints of the endpoint table that have `arms.csv`
/// columns, in table order, with their 95% CIs; the arm's `settings` after the endpoints of
/// the first release ([`LAST_ENDPOINT_BEFORE_SETTINGS`]), later endpoints after it.
pub fn csv(scenario: &Scenario, arms: &[ArmSummary]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["arm".into()];
    if let Some(s) = &scenario.sweep {
        header.push(s.x.key.clone());
        if let Some(y) = &s.y {
            header.push(y.key.clone());
        }
    }
    header.extend(["n".into(), "not_evaluable".into()]);
    for def in ENDPOINTS {
        if let Some(base) = def.csv {
            header.extend(csv_columns(def, base, &scenario.rfs_months));
        }
        if def.endpoint == LAST_ENDPOINT_BEFORE_SETTINGS {
            header.push("settings".into());
        }
    }
    w.write_record(&header)?;
    for a in arms {
        let s = &a.summary;
        let mut row: Vec<String> = vec![a.arm.clone()];
        row.extend(a.sweep.iter().map(|(_, v)| format!("{v:e}")));
        row.extend([s.n.to_string(), s.not_evaluable.to_string()]);
        for def in ENDPOINTS {
            if def.csv.is_some() {
                row.extend(csv_cells(def, s.value(def.endpoint), &scenario.rfs_months));
            }
            if def.endpoint == LAST_ENDPOINT_BEFORE_SETTINGS {
                row.push(a.settings.clone());
            }
        }
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A percentage with its CI: `82.1% [79.0, 85.0]`, or `–`.
fn pct(v: Option<f64>, ci: Option<[f64; 2]>) -> String {
    match (v.filter(|x| x.is_finite()), ci) {
        (Some(v), Some([lo, hi])) => {
            format!("{:.1}% [{:.1}, {:.1}]", 100.0 * v, 100.0 * lo, 100.0 * hi)
        }
        (Some(v), None) => format!("{:.1}%", 100.0 * v),
        _ => "–".into(),
    }
}

/// The `arms.md` cell of an endpoint: a percentage with its CI for rates and curves (at the
/// headline month), a geometric mean in scientific notation, a median with one decimal.
fn md_cell(s: &Summary, e: Endpoint, month: f64) -> String {
    match (s.value(e), s.headline(e, month)) {
        (_, None) => "–".into(),
        (Value::Rate { .. } | Value::Curve(_), Some((v, ci))) => pct(Some(v), ci),
        (Value::GeoMean(_), Some((v, _))) => format!("{v:.3e}"),
        (_, Some((v, _))) => format!("{v:.1}"),
    }
}

/// `arms.md`: the scenario, then a table of the endpoints with an `arms.md` title that some
/// arm reports (95% CIs in brackets).
pub fn markdown(scenario: &Scenario, arms: &[ArmSummary]) -> String {
    let mut out = format!("# Scenario `{}`\n\n", scenario.name);
    if !scenario.description.is_empty() {
        out.push_str(&format!("{}\n\n", scenario.description.trim()));
    }
    out.push_str(&format!(
        "Model `{}`; {} virtual patients per arm (the same patients in every arm: seed {}); \
         follow-up {} days; file `{}`.\n\n",
        scenario.model.name(),
        arms.first().map_or(0, |a| a.summary.n),
        scenario.seed,
        scenario.population.follow_up_days,
        scenario.path.display()
    ));
    let month = scenario.headline_month();
    let m = format_value(month);
    // a column for every endpoint with a title that some arm reports (a model without CD22
    // typing has no CD22 column)
    let columns: Vec<(&EndpointDef, String)> = ENDPOINTS
        .iter()
        .filter_map(|d| d.md.map(|t| (d, t.replace("{m}", &m))))
        .filter(|(d, _)| {
            arms.iter()
                .any(|a| a.summary.headline(d.endpoint, month).is_some())
        })
        .collect();
    out.push_str("| arm |");
    for (_, title) in &columns {
        out.push_str(&format!(" {title} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    for a in arms {
        out.push_str(&format!("| {} |", a.arm));
        for (d, _) in &columns {
            out.push_str(&format!(" {} |", md_cell(&a.summary, d.endpoint, month)));
        }
        out.push('\n');
    }
    out.push_str("\n## Arm settings\n\n");
    for (a, plan) in arms.iter().zip(&scenario.arms) {
        // the regimen is named first; the rest is what the arm changes
        let changes = plan.settings.describe_changes().join("; ");
        let settings = if changes.is_empty() {
            "the population's defaults otherwise".to_string()
        } else {
            changes
        };
        out.push_str(&format!(
            "- **{}**: regimen `{}`; {}{}\n",
            a.arm,
            plan.regimen.name,
            settings,
            if plan.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", plan.description)
            }
        ));
    }
    out.push_str(
        "\nRemission: blasts < 5% by month 3. RFS: Kaplan–Meier from remission onset among \
         responders (relapse or death are events). EFS: from the CAR-T infusion, with no \
         remission by month 3 an event at day 0. 95% CIs: Wilson for rates, Greenwood \
         (log-log) for survival. CRS grades come from the model's calibrated cytokine edges \
         (a modelling assumption). Fludarabine AUC ≥ 13.8 mg·h/L: the exposure Fabrizio et al. \
         2022 linked to fewer relapses. Tmax: day of the CAR-T peak. CRS onset: first day at \
         grade ≥ 1, among patients with CRS. B-cell aplasia: Kaplan–Meier of ongoing aplasia \
         among responders from the infusion (recovery is the event; no aplasia counts as \
         recovery at day 0).\n",
    );
    out
}
