//! Months: the unit of survival endpoints, and the one rule for which months a follow-up can
//! report.

/// Days per month (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Months at which RFS and EFS are reported by default.
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
