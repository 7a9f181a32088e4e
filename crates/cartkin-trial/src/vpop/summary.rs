//! Trial-level endpoints of a simulated population (`summary.json`).

use serde::Serialize;

use super::endpoints::{Endpoints, HasEndpoints};
use crate::survival::{KaplanMeier, Observation};
use cartkin_core::stats::quantile;
pub use cartkin_core::stats::wilson;

/// Days per month (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Months at which RFS is reported by default.
pub const RFS_MONTHS: [f64; 6] = [6.0, 12.0, 18.0, 24.0, 36.0, 60.0];

/// Whether a survival estimate at `month` lies within a follow-up of `follow_up_days` (1%
/// slack: "1825 days" is five years of 365 days, 60 months of 30.44 days are 1826). A
/// Kaplan–Meier estimate past the last follow-up would repeat its last value as if observed.
pub fn within_follow_up(month: f64, follow_up_days: f64) -> bool {
    month * DAYS_PER_MONTH <= 1.01 * follow_up_days
}

/// The default report months ([`RFS_MONTHS`]) within a follow-up.
pub fn default_months(follow_up_days: f64) -> Vec<f64> {
    RFS_MONTHS
        .iter()
        .copied()
        .filter(|m| within_follow_up(*m, follow_up_days))
        .collect()
}

/// Checks months asked for: positive, finite, and within the follow-up.
pub fn check_months(months: &[f64], follow_up_days: f64) -> Result<(), String> {
    if let Some(m) = months.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(format!("expected positive numbers of months, got {m}"));
    }
    if let Some(m) = months
        .iter()
        .find(|m| !within_follow_up(**m, follow_up_days))
    {
        return Err(format!(
            "expected months within the follow-up of {follow_up_days} days ({:.1} months), got {m} months",
            follow_up_days / DAYS_PER_MONTH
        ));
    }
    Ok(())
}

/// RFS at one time point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfsPoint {
    /// Months since remission onset.
    pub month: f64,
    /// Kaplan–Meier estimate (NaN when nobody is in the curve).
    pub survival: f64,
    /// Greenwood 95% CI (log-log).
    pub ci95: [f64; 2],
    /// Responders still at risk.
    pub at_risk: usize,
}

/// Geometric mean (and n) of a positive quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoMean {
    /// Geometric mean.
    pub geometric_mean: Option<f64>,
    /// Patients contributing.
    pub n: usize,
}

/// Distribution summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    /// 5th percentile.
    pub p05: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Patients simulated.
    pub n: usize,
    /// Patients whose simulation failed (excluded from every rate).
    pub not_evaluable: usize,
    /// Patients whose run passed a plausibility ceiling of the model (`implausible` in
    /// `patients.csv`): they count in every rate, but describe no real patient.
    pub implausible: usize,
    /// Remission was assessed: the model has a leukemia response and the follow-up reaches
    /// month 3. Otherwise remission, MRD, RFS and EFS are not applicable (`null`, empty).
    pub response_assessed: bool,
    /// Overall remission rate (CR/CRi by month 3).
    pub orr: Option<f64>,
    /// Its 95% Wilson interval.
    pub orr_ci95: Option<[f64; 2]>,
    /// MRD-negative remission rate by month 3 (all patients).
    pub mrd_negative_rate: Option<f64>,
    /// Its 95% Wilson interval.
    pub mrd_negative_ci95: Option<[f64; 2]>,
    /// Responders.
    pub responders: usize,
    /// Relapse-free survival among responders from remission onset, Kaplan–Meier.
    pub rfs_km: Vec<RfsPoint>,
    /// Event-free survival from the CAR-T infusion, Kaplan–Meier: relapse or death are events,
    /// and so is no remission by month 3 (at day 0, the usual convention).
    pub efs_km: Vec<RfsPoint>,
    /// Median RFS [months]; None if not reached.
    pub median_rfs_months: Option<f64>,
    /// Relapses (events that are relapses, not deaths).
    pub relapses: usize,
    /// Deaths in remission.
    pub deaths_in_remission: usize,
    /// Share of relapses that are CD19-negative.
    pub cd19_negative_relapse_share: Option<f64>,
    /// Its 95% Wilson interval.
    pub cd19_negative_relapse_share_ci95: Option<[f64; 2]>,
    /// Share of relapses that are CD22-negative (models that type CD22).
    pub cd22_negative_relapse_share: Option<f64>,
    /// Its 95% Wilson interval.
    pub cd22_negative_relapse_share_ci95: Option<[f64; 2]>,
    /// CRS of any grade.
    pub crs_any_grade: Option<f64>,
    /// Its 95% Wilson interval.
    pub crs_any_grade_ci95: Option<[f64; 2]>,
    /// CRS grade ≥ 3.
    pub crs_grade3plus: Option<f64>,
    /// Its 95% Wilson interval.
    pub crs_grade3plus_ci95: Option<[f64; 2]>,
    /// Geometric mean CAR-T Cmax, all evaluable patients.
    pub cmax_all: GeoMean,
    /// Geometric mean CAR-T AUC0–28d, all evaluable patients.
    pub auc28_all: GeoMean,
    /// Geometric mean Cmax in responders and non-responders.
    pub cmax_responders: GeoMean,
    /// As above, non-responders.
    pub cmax_nonresponders: GeoMean,
    /// Geometric mean AUC0–28d in responders.
    pub auc28_responders: GeoMean,
    /// As above, non-responders.
    pub auc28_nonresponders: GeoMean,
    /// Median Tmax [day], all patients.
    pub tmax_median_day: Option<f64>,
    /// Fludarabine AUC distribution [mg·h/L].
    pub flu_auc: Quantiles,
    /// Share with fludarabine AUC ≥ 13.8 mg·h/L (Fabrizio 2022).
    pub flu_auc_at_least_13_8: Option<f64>,
    /// Its 95% Wilson interval.
    pub flu_auc_at_least_13_8_ci95: Option<[f64; 2]>,
}

/// The Kaplan–Meier estimate of RFS (months) among evaluable responders.
pub fn rfs_curve<P: HasEndpoints>(patients: &[P]) -> KaplanMeier {
    let data: Vec<Observation> = patients
        .iter()
        .map(HasEndpoints::endpoints)
        .filter(|p| p.evaluable && p.responder)
        .filter_map(|p| {
            Some(Observation {
                time: p.rfs_time_day? / DAYS_PER_MONTH,
                event: p.rfs_event?,
            })
        })
        .collect();
    // times are finite and non-negative by construction
    KaplanMeier::new(&data).unwrap_or(KaplanMeier {
        n: 0,
        steps: Vec::new(),
    })
}

/// The Kaplan–Meier estimate of event-free survival (months) from the CAR-T infusion among
/// evaluable patients: a non-responder has an event at day 0; a responder's RFS is counted from
/// the infusion (remission day + RFS time).
pub fn efs_curve<P: HasEndpoints>(patients: &[P]) -> KaplanMeier {
    let data: Vec<Observation> = patients
        .iter()
        .map(HasEndpoints::endpoints)
        .filter(|p| p.evaluable)
        .filter_map(|p| {
            if !p.responder {
                return Some(Observation {
                    time: 0.0,
                    event: true,
                });
            }
            Some(Observation {
                time: (p.remission_day? + p.rfs_time_day?) / DAYS_PER_MONTH,
                event: p.rfs_event?,
            })
        })
        .collect();
    KaplanMeier::new(&data).unwrap_or(KaplanMeier {
        n: 0,
        steps: Vec::new(),
    })
}

/// Kaplan–Meier points at `months`; with nobody in the curve (e.g. no responder) every
/// point is NaN (`null` in JSON), not a survival of 1.
fn km_points(km: &KaplanMeier, months: &[f64]) -> Vec<RfsPoint> {
    if km.n == 0 {
        return months
            .iter()
            .map(|&m| RfsPoint {
                month: m,
                survival: f64::NAN,
                ci95: [f64::NAN; 2],
                at_risk: 0,
            })
            .collect();
    }
    months
        .iter()
        .map(|&m| RfsPoint {
            month: m,
            survival: km.survival_at(m),
            ci95: km.ci95_at(m),
            at_risk: km.at_risk_after(m),
        })
        .collect()
}

/// A share and its Wilson interval (None when nobody is in the denominator).
fn share_ci(count: usize, n: usize) -> (Option<f64>, Option<[f64; 2]>) {
    (share(count, n), (n > 0).then(|| wilson(count, n)))
}

fn share(count: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| count as f64 / n as f64)
}

fn geomean<'a>(values: impl Iterator<Item = &'a Option<f64>>) -> GeoMean {
    let logs: Vec<f64> = values
        .filter_map(|v| v.filter(|x| *x > 0.0).map(f64::ln))
        .collect();
    GeoMean {
        geometric_mean: (!logs.is_empty())
            .then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp()),
        n: logs.len(),
    }
}

/// Endpoints of a simulated population, RFS reported at `months`.
pub fn summarize<P: HasEndpoints>(patients: &[P], months: &[f64]) -> Summary {
    let all: Vec<Endpoints> = patients.iter().map(HasEndpoints::endpoints).collect();
    let ok: Vec<&Endpoints> = all.iter().filter(|p| p.evaluable).collect();
    let n = ok.len();
    let responders = ok.iter().filter(|p| p.responder).count();
    let km = rfs_curve(&all);
    let relapses: Vec<&&Endpoints> = ok
        .iter()
        .filter(|p| p.rfs_event == Some(true) && !p.died_in_remission)
        .collect();
    let cd19_negative = relapses
        .iter()
        .filter(|p| p.relapse_cd19_negative == Some(true))
        .count();
    let graded: Vec<u8> = ok.iter().filter_map(|p| p.crs_grade).collect();
    let mut tmax: Vec<f64> = ok.iter().filter_map(|p| p.tmax_day).collect();
    tmax.sort_by(f64::total_cmp);
    let mut flu: Vec<f64> = ok.iter().filter_map(|p| p.flu_auc).collect();
    flu.sort_by(f64::total_cmp);
    let mrd = ok.iter().filter(|p| p.mrd_negative).count();
    let (cd19_share, cd19_ci) = share_ci(cd19_negative, relapses.len());
    let typed22: Vec<&&&Endpoints> = relapses
        .iter()
        .filter(|p| p.relapse_cd22_negative.is_some())
        .collect();
    let cd22_negative = typed22
        .iter()
        .filter(|p| p.relapse_cd22_negative == Some(true))
        .count();
    let (cd22_share, cd22_ci) = share_ci(cd22_negative, typed22.len());
    let (crs_any, crs_any_ci) = share_ci(graded.iter().filter(|g| **g >= 1).count(), graded.len());
    let (crs3, crs3_ci) = share_ci(graded.iter().filter(|g| **g >= 3).count(), graded.len());
    let (flu_hi, flu_hi_ci) = share_ci(flu.iter().filter(|a| **a >= 13.8).count(), flu.len());
    // a response is assessed for every evaluable patient or none (it depends on the model and
    // the follow-up only)
    let assessed = ok.iter().any(|p| p.response_assessed);
    let (assessed_n, months) = if assessed { (n, months) } else { (0, &[][..]) };
    let (orr, orr_ci95) = share_ci(responders, assessed_n);
    let (mrd_negative_rate, mrd_negative_ci95) = share_ci(mrd, assessed_n);
    Summary {
        n: patients.len(),
        not_evaluable: patients.len() - n,
        implausible: ok.iter().filter(|p| p.implausible).count(),
        response_assessed: assessed,
        orr,
        orr_ci95,
        mrd_negative_rate,
        mrd_negative_ci95,
        responders,
        rfs_km: km_points(&km, months),
        efs_km: km_points(&efs_curve(&all), months),
        median_rfs_months: if assessed { km.median() } else { None },
        relapses: relapses.len(),
        deaths_in_remission: ok.iter().filter(|p| p.died_in_remission).count(),
        cd19_negative_relapse_share: cd19_share,
        cd19_negative_relapse_share_ci95: cd19_ci,
        cd22_negative_relapse_share: cd22_share,
        cd22_negative_relapse_share_ci95: cd22_ci,
        crs_any_grade: crs_any,
        crs_any_grade_ci95: crs_any_ci,
        crs_grade3plus: crs3,
        crs_grade3plus_ci95: crs3_ci,
        cmax_all: geomean(ok.iter().map(|p| &p.cmax)),
        auc28_all: geomean(ok.iter().map(|p| &p.auc28)),
        cmax_responders: geomean(ok.iter().filter(|p| p.responder).map(|p| &p.cmax)),
        cmax_nonresponders: geomean(ok.iter().filter(|p| !p.responder).map(|p| &p.cmax)),
        auc28_responders: geomean(ok.iter().filter(|p| p.responder).map(|p| &p.auc28)),
        auc28_nonresponders: geomean(ok.iter().filter(|p| !p.responder).map(|p| &p.auc28)),
        tmax_median_day: quantile(&tmax, 0.5),
        flu_auc: Quantiles {
            p05: quantile(&flu, 0.05),
            median: quantile(&flu, 0.5),
            p95: quantile(&flu, 0.95),
        },
        flu_auc_at_least_13_8: flu_hi,
        flu_auc_at_least_13_8_ci95: flu_hi_ci,
    }
}
