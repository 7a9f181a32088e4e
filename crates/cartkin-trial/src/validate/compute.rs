//! Each measure computed from its simulated population(s): the figure as the model gives it,
//! with a 95% CI, or why it cannot be estimated.

use crate::endpoint::{DAYS_PER_MONTH, Endpoint, Var, summarize};
use crate::vpop::PatientResult;

use super::cox::{self, Subject};
use super::file::Design;
use super::interval::{self, Estimate};
use super::measure::Measure;

/// A simulated population a measure reads: its patients and where its varying parameters
/// sit in [`PatientResult::parameters`].
pub struct Simulated<'a> {
    /// The patients, in index order.
    pub patients: &'a [PatientResult],
    /// Position of the measure's varying parameter (`rho_E`, `L0`) in each patient's
    /// parameters, when it reads one.
    pub parameter: Option<usize>,
}

/// CD19-negative relapse code of [`Var::RelapseCd19`].
const CD19_NEGATIVE: f64 = -1.0;

/// Computes `measure` on `arms` (one population, or two for an arm comparison). `Err` says
/// why the figure is not estimable in this simulation (e.g. no patient in a group).
pub fn compute(
    measure: Measure,
    design: &Design,
    arms: &[Simulated<'_>],
) -> Result<Estimate, String> {
    let Some(first) = arms.first() else {
        return Err("no population simulated".into());
    };
    let pop = first.patients;
    let threshold = design.threshold.unwrap_or(f64::NAN);
    let evaluable = || pop.iter().filter(|p| p.record.evaluable());
    let responders = || evaluable().filter(|p| p.record.flag(Var::Responder));
    let values = |it: &mut dyn Iterator<Item = &PatientResult>, var: Var| -> Vec<f64> {
        it.filter_map(|p| p.record.value(var)).collect()
    };
    let share = |it: &mut dyn Iterator<Item = &PatientResult>, var: Var, below: f64| {
        let v = values(it, var);
        interval::proportion(v.iter().filter(|x| **x < below).count(), v.len())
    };
    let none = |what: &str| format!("no {what} in the simulated population");
    match measure {
        Measure::TmaxMedianResponders => interval::median(&values(&mut responders(), Var::TmaxDay))
            .ok_or_else(|| none("responder")),
        Measure::TmaxShareBeforeResponders => {
            share(&mut responders(), Var::TmaxDay, threshold).ok_or_else(|| none("responder"))
        }
        Measure::CmaxRatioResponders | Measure::Auc28RatioResponders => {
            let var = if measure == Measure::CmaxRatioResponders {
                Var::Cmax
            } else {
                Var::Auc28
            };
            let assessed = || evaluable().filter(|p| p.record.flag(Var::ResponseAssessed));
            let non = values(
                &mut assessed().filter(|p| !p.record.flag(Var::Responder)),
                var,
            );
            interval::geometric_mean_ratio(&values(&mut responders(), var), &non)
                .ok_or_else(|| "fewer than two responders or non-responders".to_string())
        }
        Measure::CmaxLogVariance => interval::log_variance(&values(&mut evaluable(), Var::Cmax))
            .ok_or_else(|| none("pair of patients with a CAR-T peak")),
        Measure::RemissionDayMedian => {
            interval::median(&values(&mut responders(), Var::RemissionDay))
                .ok_or_else(|| none("responder"))
        }
        Measure::RemissionShareBefore => {
            share(&mut responders(), Var::RemissionDay, threshold).ok_or_else(|| none("responder"))
        }
        Measure::FastDoublingShare => {
            let k = first
                .parameter
                .ok_or("no rho_E among the varying parameters")?;
            // doubling time ln2/ρ_E [day] against the threshold in hours
            let rho: Vec<f64> = pop
                .iter()
                .filter_map(|p| p.parameters.get(k).copied())
                .filter(|r| r.is_finite() && *r > 0.0)
                .collect();
            let fast = rho
                .iter()
                .filter(|r| std::f64::consts::LN_2 / **r * 24.0 < threshold)
                .count();
            interval::proportion(fast, rho.len()).ok_or_else(|| none("patient"))
        }
        Measure::CrsOnsetMedian => interval::median(&values(
            &mut evaluable().filter(|p| p.record.get(Var::CrsGrade) >= 1.0),
            Var::CrsOnsetDay,
        ))
        .ok_or_else(|| none("patient with CRS")),
        Measure::SevereCrsRate => {
            let graded = values(&mut evaluable(), Var::CrsGrade);
            interval::proportion(graded.iter().filter(|g| **g >= 3.0).count(), graded.len())
                .ok_or_else(|| none("graded patient"))
        }
        Measure::SevereCrsArmDifference => {
            let [a, b] = arms else {
                return Err("expected two arms".into());
            };
            // the same patient (same index, same draws) in both arms: a paired difference
            let severe = |p: &PatientResult| {
                p.record
                    .value(Var::CrsGrade)
                    .filter(|_| p.record.evaluable())
                    .map(|g| if g >= 3.0 { 1.0 } else { 0.0 })
            };
            let pairs: Vec<(f64, f64)> = a
                .patients
                .iter()
                .zip(b.patients)
                .filter_map(|(x, y)| Some((severe(x)?, severe(y)?)))
                .collect();
            interval::paired_difference(&pairs).ok_or_else(|| none("pair of graded patients"))
        }
        Measure::SevereCrsWithoutExpansion => {
            let fold = design.expansion_fold.unwrap_or(f64::NAN);
            let grades: Vec<f64> = evaluable()
                .filter(|p| {
                    matches!((p.record.value(Var::Cmax), p.dose_cells),
                        (Some(c), Some(d)) if d > 0.0 && c < fold * d)
                })
                .filter_map(|p| p.record.value(Var::CrsGrade))
                .collect();
            interval::proportion(grades.iter().filter(|g| **g >= 3.0).count(), grades.len())
                .ok_or_else(|| "every simulated patient expands".to_string())
        }
        Measure::RelapseHazardRatioFluAuc => {
            let subjects: Vec<Subject> = responders()
                .filter_map(|p| {
                    let r = &p.record;
                    Some(Subject {
                        time: r.value(Var::RfsTimeDay)?,
                        // death in remission censors: relapse is the event
                        event: r.flag(Var::RfsEvent) && !r.flag(Var::DiedInRemission),
                        exposed: r.value(Var::FluAuc)? < threshold,
                    })
                })
                .collect();
            hazard_ratio(&subjects)
        }
        Measure::RelapseHazardRatioBCellRecovery => {
            let landmark = design.landmark_day.unwrap_or(f64::NAN);
            let subjects: Vec<Subject> = responders()
                .filter_map(|p| {
                    let r = &p.record;
                    let end = r.value(Var::RemissionDay)? + r.value(Var::RfsTimeDay)?;
                    // in remission and observed at the landmark
                    if end <= landmark || !r.flag(Var::BCellsAssessed) {
                        return None;
                    }
                    // no aplasia at all counts as recovery at day 0 (the endpoint table's rule)
                    let recovered = r.value(Var::BCellAplasiaOnsetDay).is_none()
                        || r.value(Var::BCellRecoveryDay)
                            .is_some_and(|d| d <= landmark);
                    Some(Subject {
                        time: end - landmark,
                        event: r.flag(Var::RfsEvent) && !r.flag(Var::DiedInRemission),
                        exposed: recovered,
                    })
                })
                .collect();
            hazard_ratio(&subjects)
        }
        Measure::Cd19NegativeShareUnderAplasia => {
            let phenotypes: Vec<bool> = responders()
                .filter(|p| p.record.flag(Var::RfsEvent) && !p.record.flag(Var::DiedInRemission))
                .filter_map(|p| {
                    let r = &p.record;
                    let day = r.value(Var::RemissionDay)? + r.value(Var::RfsTimeDay)?;
                    let onset = r.value(Var::BCellAplasiaOnsetDay)?;
                    let ongoing =
                        onset <= day && r.value(Var::BCellRecoveryDay).is_none_or(|rec| rec > day);
                    ongoing.then(|| r.get(Var::RelapseCd19) == CD19_NEGATIVE)
                })
                .collect();
            interval::proportion(phenotypes.iter().filter(|n| **n).count(), phenotypes.len())
                .ok_or_else(|| none("relapse under B-cell aplasia"))
        }
        Measure::Cd19NegativeRatioByBurden => {
            let k = first
                .parameter
                .ok_or("no L0 among the varying parameters")?;
            let rows: Vec<(f64, bool)> = responders()
                .filter_map(|p| {
                    let burden = *p.parameters.get(k)?;
                    let cd19_negative_relapse = p.record.flag(Var::RfsEvent)
                        && !p.record.flag(Var::DiedInRemission)
                        && p.record.get(Var::RelapseCd19) == CD19_NEGATIVE;
                    burden
                        .is_finite()
                        .then_some((burden, cd19_negative_relapse))
                })
                .collect();
            let mut burdens: Vec<f64> = rows.iter().map(|r| r.0).collect();
            burdens.sort_by(f64::total_cmp);
            let median =
                cartkin_core::stats::quantile(&burdens, 0.5).ok_or_else(|| none("responder"))?;
            let count = |high: bool| {
                let group: Vec<&(f64, bool)> =
                    rows.iter().filter(|r| (r.0 > median) == high).collect();
                (group.iter().filter(|r| r.1).count(), group.len())
            };
            let ((a1, n1), (a2, n2)) = (count(true), count(false));
            interval::ratio_of_proportions(a1, n1, a2, n2).ok_or_else(|| {
                format!("CD19-negative relapses: {a1} of {n1} above the median burden, {a2} of {n2} below: a ratio needs events in both")
            })
        }
        Measure::FluAucMedian => {
            interval::median(&values(&mut evaluable(), Var::FluAuc)).ok_or_else(|| none("patient"))
        }
        Measure::FluAucShareBelow => {
            share(&mut evaluable(), Var::FluAuc, threshold).ok_or_else(|| none("patient"))
        }
        Measure::EfsAtMonth | Measure::RfsAtMonth => {
            let month = design.month.unwrap_or(f64::NAN);
            let endpoint = if measure == Measure::EfsAtMonth {
                Endpoint::Efs
            } else {
                Endpoint::Rfs
            };
            let s = summarize(pop, &[month]);
            let p = s
                .at(endpoint, month)
                .filter(|p| p.survival.is_finite())
                .ok_or_else(|| format!("no Kaplan–Meier estimate at month {month}"))?;
            let n = if endpoint == Endpoint::Efs {
                evaluable().count()
            } else {
                responders().count()
            };
            Ok(Estimate {
                value: p.survival,
                ci95: Some(p.ci95),
                n,
            })
        }
        Measure::NotModelled => Err("not simulated".into()),
    }
}

/// The Cox hazard ratio, or why it is not estimable.
fn hazard_ratio(subjects: &[Subject]) -> Result<Estimate, String> {
    let fit = cox::fit(subjects).map_err(|e| e.to_string())?;
    Ok(Estimate {
        value: fit.hazard_ratio,
        ci95: Some(fit.ci95),
        n: fit.n[0].min(fit.n[1]),
    })
}

/// Days per month, re-exported for the follow-up check of survival months.
pub(super) const MONTH_DAYS: f64 = DAYS_PER_MONTH;
