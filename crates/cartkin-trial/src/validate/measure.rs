//! The closed catalogue of validation measures: what each one computes from a simulated
//! population, the design settings it needs, and what the model must report for it.

use crate::endpoint::Need;

/// A named validation measure (the `measure` key of a validation file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Median day of the CAR-T peak (Tmax) among responders [day].
    TmaxMedianResponders,
    /// Share of responders whose Tmax is before `threshold` days.
    TmaxShareBeforeResponders,
    /// Geometric-mean CAR-T Cmax of responders over that of non-responders.
    CmaxRatioResponders,
    /// Geometric-mean CAR-T AUC0–28d of responders over that of non-responders.
    Auc28RatioResponders,
    /// Responders' median day to < 5% marrow blasts (remission onset) [day].
    RemissionDayMedian,
    /// Share of responders below 5% marrow blasts before `threshold` days.
    RemissionShareBefore,
    /// Share of patients whose fastest CAR-T doubling time ln2/ρ_E is under `threshold`
    /// hours (`rho_E` among the population's varying parameters).
    FastDoublingShare,
    /// Variance of ln Cmax over all patients (Stein's Cmax ω²).
    CmaxLogVariance,
    /// Median CRS onset (first day at grade ≥ 1) among patients with CRS [day].
    CrsOnsetMedian,
    /// Grade ≥ 3 CRS rate of the first of `arms` minus that of the second, on the same
    /// patients (percentage points as a proportion).
    SevereCrsArmDifference,
    /// Grade ≥ 3 CRS rate among patients without expansion: CAR-T Cmax below
    /// `expansion_fold` × the infused cells.
    SevereCrsWithoutExpansion,
    /// Grade ≥ 3 CRS rate.
    SevereCrsRate,
    /// Hazard ratio of relapse (death in remission censors) among responders for a
    /// fludarabine AUC below `threshold` mg·h/L against at or above it (Cox).
    RelapseHazardRatioFluAuc,
    /// Hazard ratio of relapse among responders in remission at `landmark_day` for B-cell
    /// recovery before that day against ongoing aplasia (landmark Cox, time from the landmark).
    RelapseHazardRatioBCellRecovery,
    /// CD19-negative share of the relapses that happen under ongoing B-cell aplasia.
    Cd19NegativeShareUnderAplasia,
    /// CD19-negative relapse incidence among responders with a leukemia burden `L0` above the
    /// population's median over that below it.
    Cd19NegativeRatioByBurden,
    /// Median fludarabine (F-ara-A) AUC [mg·h/L].
    FluAucMedian,
    /// Share of patients with a fludarabine AUC below `threshold` mg·h/L.
    FluAucShareBelow,
    /// Event-free survival from the infusion at `month` (Kaplan–Meier).
    EfsAtMonth,
    /// Relapse-free survival of responders from remission onset at `month` (Kaplan–Meier).
    RfsAtMonth,
    /// A published figure the model cannot simulate (listed, reported as not simulated).
    NotModelled,
}

/// A design setting of a figure besides its model and regimen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKey {
    /// `threshold`: a cut-off in the measure's unit.
    Threshold,
    /// `arms`: two regimens compared on the same patients.
    Arms,
    /// `month`: a month of a survival curve.
    Month,
    /// `landmark_day`: the landmark of a landmark analysis [day].
    LandmarkDay,
    /// `expansion_fold`: the Cmax/dose ratio below which a patient did not expand.
    ExpansionFold,
}

impl DesignKey {
    /// The key in a validation file.
    pub fn key(self) -> &'static str {
        match self {
            DesignKey::Threshold => "threshold",
            DesignKey::Arms => "arms",
            DesignKey::Month => "month",
            DesignKey::LandmarkDay => "landmark_day",
            DesignKey::ExpansionFold => "expansion_fold",
        }
    }

    /// Every design key.
    pub const ALL: [DesignKey; 5] = [
        DesignKey::Threshold,
        DesignKey::Arms,
        DesignKey::Month,
        DesignKey::LandmarkDay,
        DesignKey::ExpansionFold,
    ];
}

impl Measure {
    /// Every measure, in catalogue order.
    pub const ALL: [Measure; 21] = [
        Measure::TmaxMedianResponders,
        Measure::TmaxShareBeforeResponders,
        Measure::CmaxRatioResponders,
        Measure::Auc28RatioResponders,
        Measure::RemissionDayMedian,
        Measure::RemissionShareBefore,
        Measure::FastDoublingShare,
        Measure::CmaxLogVariance,
        Measure::CrsOnsetMedian,
        Measure::SevereCrsArmDifference,
        Measure::SevereCrsWithoutExpansion,
        Measure::SevereCrsRate,
        Measure::RelapseHazardRatioFluAuc,
        Measure::RelapseHazardRatioBCellRecovery,
        Measure::Cd19NegativeShareUnderAplasia,
        Measure::Cd19NegativeRatioByBurden,
        Measure::FluAucMedian,
        Measure::FluAucShareBelow,
        Measure::EfsAtMonth,
        Measure::RfsAtMonth,
        Measure::NotModelled,
    ];

    /// Its name in a validation file.
    pub fn name(self) -> &'static str {
        match self {
            Measure::TmaxMedianResponders => "tmax_median_responders",
            Measure::TmaxShareBeforeResponders => "tmax_share_before_responders",
            Measure::CmaxRatioResponders => "cmax_ratio_responders",
            Measure::Auc28RatioResponders => "auc28_ratio_responders",
            Measure::RemissionDayMedian => "remission_day_median",
            Measure::RemissionShareBefore => "remission_share_before",
            Measure::FastDoublingShare => "fast_doubling_share",
            Measure::CmaxLogVariance => "cmax_log_variance",
            Measure::CrsOnsetMedian => "crs_onset_median",
            Measure::SevereCrsArmDifference => "severe_crs_arm_difference",
            Measure::SevereCrsWithoutExpansion => "severe_crs_without_expansion",
            Measure::SevereCrsRate => "severe_crs_rate",
            Measure::RelapseHazardRatioFluAuc => "relapse_hr_flu_auc",
            Measure::RelapseHazardRatioBCellRecovery => "relapse_hr_b_cell_recovery",
            Measure::Cd19NegativeShareUnderAplasia => "cd19_negative_share_under_aplasia",
            Measure::Cd19NegativeRatioByBurden => "cd19_negative_ratio_by_burden",
            Measure::FluAucMedian => "flu_auc_median",
            Measure::FluAucShareBelow => "flu_auc_share_below",
            Measure::EfsAtMonth => "efs_at_month",
            Measure::RfsAtMonth => "rfs_at_month",
            Measure::NotModelled => "not_modelled",
        }
    }

    /// The measure named `name`.
    pub fn by_name(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Every name, for messages.
    pub fn names() -> String {
        Measure::ALL.map(Measure::name).join(", ")
    }

    /// The design keys it needs (and the only ones it accepts besides `regimen`).
    pub fn keys(self) -> &'static [DesignKey] {
        match self {
            Measure::TmaxShareBeforeResponders
            | Measure::RemissionShareBefore
            | Measure::FastDoublingShare
            | Measure::RelapseHazardRatioFluAuc
            | Measure::FluAucShareBelow => &[DesignKey::Threshold],
            Measure::SevereCrsArmDifference => &[DesignKey::Arms],
            Measure::SevereCrsWithoutExpansion => &[DesignKey::ExpansionFold],
            Measure::RelapseHazardRatioBCellRecovery => &[DesignKey::LandmarkDay],
            Measure::EfsAtMonth | Measure::RfsAtMonth => &[DesignKey::Month],
            _ => &[],
        }
    }

    /// What the model must report (its outcome roles).
    pub fn needs(self) -> &'static [Need] {
        match self {
            Measure::TmaxMedianResponders
            | Measure::TmaxShareBeforeResponders
            | Measure::CmaxRatioResponders
            | Measure::Auc28RatioResponders => &[Need::CarT, Need::Response],
            Measure::RemissionDayMedian
            | Measure::RemissionShareBefore
            | Measure::EfsAtMonth
            | Measure::RfsAtMonth => &[Need::Response],
            Measure::FastDoublingShare | Measure::NotModelled => &[],
            Measure::CrsOnsetMedian | Measure::SevereCrsArmDifference | Measure::SevereCrsRate => {
                &[Need::Crs]
            }
            Measure::SevereCrsWithoutExpansion => &[Need::Crs, Need::CarT],
            Measure::CmaxLogVariance => &[Need::CarT],
            Measure::RelapseHazardRatioFluAuc => &[Need::Fludarabine, Need::Response],
            Measure::RelapseHazardRatioBCellRecovery => &[Need::BCells],
            Measure::Cd19NegativeShareUnderAplasia => &[Need::BCells, Need::Cd19Typing],
            Measure::Cd19NegativeRatioByBurden => &[Need::Cd19Typing],
            Measure::FluAucMedian | Measure::FluAucShareBelow => &[Need::Fludarabine],
        }
    }

    /// The varying population parameter it reads, if any.
    pub fn parameter(self) -> Option<&'static str> {
        match self {
            Measure::FastDoublingShare => Some("rho_E"),
            Measure::Cd19NegativeRatioByBurden => Some("L0"),
            _ => None,
        }
    }

    /// The simulated value is a ratio (hazard ratio, ratio of means or rates): compared on a
    /// log scale.
    pub fn is_ratio(self) -> bool {
        matches!(
            self,
            Measure::CmaxRatioResponders
                | Measure::Auc28RatioResponders
                | Measure::RelapseHazardRatioFluAuc
                | Measure::RelapseHazardRatioBCellRecovery
                | Measure::Cd19NegativeRatioByBurden
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for m in Measure::ALL {
            assert_eq!(Measure::by_name(m.name()), Some(m));
        }
        let names: std::collections::BTreeSet<_> = Measure::ALL.map(Measure::name).into();
        assert_eq!(names.len(), Measure::ALL.len());
        assert_eq!(Measure::by_name("tmax"), None);
    }
}
