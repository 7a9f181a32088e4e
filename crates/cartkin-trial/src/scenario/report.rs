//! Per-arm endpoints and their tables (`arms.csv`, `arms.md`).

use serde::Serialize;

use super::file::Scenario;
use super::sweep::format_value;
use crate::vpop::PatientResult;
use crate::vpop::summary::{self, Summary};

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
                summary: summary::summarize(patients, &scenario.rfs_months),
            }
        })
        .collect()
}

/// `arms.csv`: one row per arm, endpoints with their 95% CIs (empty when undefined).
pub fn csv(scenario: &Scenario, arms: &[ArmSummary]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["arm".into()];
    if let Some(s) = &scenario.sweep {
        header.push(s.x.key.clone());
        if let Some(y) = &s.y {
            header.push(y.key.clone());
        }
    }
    let triple = |name: &str| [name.to_string(), format!("{name}_lo"), format!("{name}_hi")];
    header.extend(["n".into(), "not_evaluable".into()]);
    header.extend(triple("remission"));
    header.extend(triple("mrd_negative"));
    for m in &scenario.rfs_months {
        header.extend(triple(&format!("rfs_{}mo", format_value(*m))));
    }
    for m in &scenario.rfs_months {
        header.extend(triple(&format!("efs_{}mo", format_value(*m))));
    }
    header.extend(["median_rfs_months".into(), "relapses".into()]);
    header.extend(triple("cd19_negative_relapse_share"));
    header.extend(triple("cd22_negative_relapse_share"));
    header.extend(triple("crs_any_grade"));
    header.extend(triple("crs_grade3plus"));
    header.extend(
        [
            "cmax_geomean",
            "auc28_geomean",
            "cmax_geomean_responders",
            "auc28_geomean_responders",
            "tmax_median_day",
            "flu_auc_p05",
            "flu_auc_median",
            "flu_auc_p95",
        ]
        .map(String::from),
    );
    header.extend(triple("flu_auc_at_least_13_8"));
    header.push("settings".into());
    w.write_record(&header)?;
    // undefined values (no responder for RFS, no relapse for a share) are empty cells
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.6}"))
    };
    let sci = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4e}"));
    let with_ci = |v: Option<f64>, ci: Option<[f64; 2]>| {
        [num(v), num(ci.map(|c| c[0])), num(ci.map(|c| c[1]))]
    };
    for a in arms {
        let s = &a.summary;
        let mut row: Vec<String> = vec![a.arm.clone()];
        row.extend(a.sweep.iter().map(|(_, v)| format!("{v:e}")));
        row.extend([s.n.to_string(), s.not_evaluable.to_string()]);
        row.extend(with_ci(s.orr, s.orr_ci95));
        row.extend(with_ci(s.mrd_negative_rate, s.mrd_negative_ci95));
        // one triple per month of each curve, empty where the curve is not applicable
        for curve in [&s.rfs_km, &s.efs_km] {
            for m in &scenario.rfs_months {
                let p = curve.iter().find(|p| p.month.to_bits() == m.to_bits());
                row.extend(with_ci(p.map(|p| p.survival), p.map(|p| p.ci95)));
            }
        }
        row.extend([num(s.median_rfs_months), s.relapses.to_string()]);
        row.extend(with_ci(
            s.cd19_negative_relapse_share,
            s.cd19_negative_relapse_share_ci95,
        ));
        row.extend(with_ci(
            s.cd22_negative_relapse_share,
            s.cd22_negative_relapse_share_ci95,
        ));
        row.extend(with_ci(s.crs_any_grade, s.crs_any_grade_ci95));
        row.extend(with_ci(s.crs_grade3plus, s.crs_grade3plus_ci95));
        row.extend([
            sci(s.cmax_all.geometric_mean),
            sci(s.auc28_all.geometric_mean),
            sci(s.cmax_responders.geometric_mean),
            sci(s.auc28_responders.geometric_mean),
            num(s.tmax_median_day),
            num(s.flu_auc.p05),
            num(s.flu_auc.median),
            num(s.flu_auc.p95),
        ]);
        row.extend(with_ci(
            s.flu_auc_at_least_13_8,
            s.flu_auc_at_least_13_8_ci95,
        ));
        row.push(a.settings.clone());
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

/// `arms.md`: the scenario, then a table of the main endpoints (95% CIs in brackets).
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
    // CD22 typing only for models that carry the second antigen
    let cd22 = arms
        .iter()
        .any(|a| a.summary.cd22_negative_relapse_share.is_some());
    out.push_str(&format!(
        "| arm | remission (CR/CRi by month 3) | MRD-negative | RFS {m} mo | EFS {m} mo | \
         CD19− share of relapses |{} CRS any grade | CRS grade ≥ 3 | CAR-T Cmax (geo. mean) | \
         Flu AUC median [mg·h/L] | Flu AUC ≥ 13.8 |\n",
        if cd22 {
            " CD22− share of relapses |"
        } else {
            ""
        }
    ));
    out.push_str(if cd22 {
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    } else {
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    });
    let at = |points: &[summary::RfsPoint]| {
        points
            .iter()
            .find(|p| (p.month - month).abs() < 1e-9)
            .map_or("–".into(), |p| pct(Some(p.survival), Some(p.ci95)))
    };
    for a in arms {
        let s = &a.summary;
        let cd22_cell = if cd22 {
            format!(
                " {} |",
                pct(
                    s.cd22_negative_relapse_share,
                    s.cd22_negative_relapse_share_ci95
                )
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |{cd22_cell} {} | {} | {} | {} | {} |\n",
            a.arm,
            pct(s.orr, s.orr_ci95),
            pct(s.mrd_negative_rate, s.mrd_negative_ci95),
            at(&s.rfs_km),
            at(&s.efs_km),
            pct(
                s.cd19_negative_relapse_share,
                s.cd19_negative_relapse_share_ci95
            ),
            pct(s.crs_any_grade, s.crs_any_grade_ci95),
            pct(s.crs_grade3plus, s.crs_grade3plus_ci95),
            s.cmax_all
                .geometric_mean
                .map_or("–".into(), |c| format!("{c:.3e}")),
            s.flu_auc.median.map_or("–".into(), |c| format!("{c:.1}")),
            pct(s.flu_auc_at_least_13_8, s.flu_auc_at_least_13_8_ci95),
        ));
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
         2022 linked to fewer relapses.\n",
    );
    out
}
