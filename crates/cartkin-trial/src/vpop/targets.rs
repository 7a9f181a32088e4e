//! Clinical targets of a calibration (`data/eliana.toml`, `data/zuma3.toml`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::summary::{Summary, wilson};
use crate::error::TrialError;

/// A proportion reported by a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTarget {
    /// Reported proportion.
    pub value: f64,
    /// Patients it was measured on.
    pub n: Option<usize>,
    /// Reported 95% CI.
    pub ci95: Option<[f64; 2]>,
    /// Acceptance half-width (absolute), when the project sets one (overrides the CI for
    /// acceptance; the discrepancy still uses `n`).
    pub tolerance: Option<f64>,
    /// Source and verification tag.
    pub source: String,
}

/// A Kaplan–Meier point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfsTarget {
    /// Months from remission onset.
    pub month: f64,
    /// Reported RFS.
    pub value: f64,
    /// Reported 95% CI.
    pub ci95: Option<[f64; 2]>,
    /// Source and verification tag.
    pub source: String,
}

/// A targets file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Trial name.
    pub name: String,
    /// Product.
    #[serde(default)]
    pub product: String,
    /// Regimen name (or path) the trial used.
    pub regimen: Option<String>,
    /// Population description.
    #[serde(default)]
    pub population: String,
    /// Caveats about the targets, copied into calibration reports.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Overall remission (CR/CRi by month 3).
    pub remission: Option<RateTarget>,
    /// MRD-negative remission by month 3.
    pub mrd_negative: Option<RateTarget>,
    /// RFS among responders.
    #[serde(default)]
    pub rfs: Vec<RfsTarget>,
    /// Share of relapses that are CD19-negative.
    pub cd19_negative_relapse_share: Option<RateTarget>,
    /// CRS of any grade.
    pub crs_any_grade: Option<RateTarget>,
    /// CRS grade ≥ 3.
    pub crs_grade3plus: Option<RateTarget>,
}

/// Acceptance tolerance of an RFS point without a published CI [proportion].
pub const RFS_TOLERANCE: f64 = 0.08;

/// One target beside the simulated value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Endpoint.
    pub endpoint: String,
    /// Published value.
    pub target: f64,
    /// Acceptance interval: the target's tolerance, else the published CI, else Wilson from n
    /// (rates) or ±8 points (RFS).
    pub accept: [f64; 2],
    /// Simulated value.
    pub achieved: f64,
    /// Whether the simulated value lies in the acceptance interval.
    pub inside: bool,
    /// Contribution to the discrepancy.
    pub discrepancy: f64,
    /// Source.
    pub source: String,
}

impl Targets {
    /// Reads a targets file (or a bundled one by its virtual path); errors name the file and
    /// line.
    pub fn load(path: &Path) -> Result<Self, TrialError> {
        let text = TrialError::read_text(path)?;
        Self::parse(path, &text)
    }

    /// [`Targets::load`] from text.
    pub fn parse(path: &Path, text: &str) -> Result<Self, TrialError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let t: Targets = toml::from_str(text).map_err(|e| TrialError::Mismatch {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |s| line_of(s.start)),
            message: e.message().trim().to_string(),
        })?;
        // the line of a table header (`[remission]`, the k-th `[[rfs]]`), for messages
        // the line of `key` in a table (`[remission]`, the k-th `[[rfs]]`), else of its header
        let key_line = |name: &str, k: usize, key: &str| {
            let needle = format!("[{name}]");
            let Some((at, _)) = text
                .match_indices(&needle)
                .filter(|(at, _)| *at == 0 || text[..*at].ends_with('\n'))
                .nth(k)
            else {
                return 1;
            };
            let mut offset = at;
            for (n, l) in text[at..].split_inclusive('\n').enumerate() {
                let t = l.trim_start();
                if n > 0 && t.starts_with('[') {
                    break;
                }
                let is_key = t
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='));
                if n > 0 && is_key {
                    return line_of(offset);
                }
                offset += l.len();
            }
            line_of(at)
        };
        let bad = |line: usize, message: String| TrialError::Mismatch {
            path: path.to_path_buf(),
            line,
            message,
        };
        let proportion = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        let check_ci = |ci: Option<[f64; 2]>, value: f64| match ci {
            Some([lo, hi]) if !(proportion(lo) && proportion(hi) && lo <= value && value <= hi) => {
                Err(format!(
                    "ci95: expected proportions lo <= value <= hi, got [{lo}, {hi}] around {value}"
                ))
            }
            _ => Ok(()),
        };
        for (what, r) in t.rates() {
            let line = |key: &str| key_line(what, 0, key);
            if !proportion(r.value) {
                return Err(bad(
                    line("value"),
                    format!(
                        "{what}.value: expected a proportion in [0, 1], got {}",
                        r.value
                    ),
                ));
            }
            check_ci(r.ci95, r.value).map_err(|m| bad(line("ci95"), format!("{what}.{m}")))?;
            if r.n == Some(0) {
                return Err(bad(
                    line("n"),
                    format!("{what}.n: expected at least one patient, got 0"),
                ));
            }
            if let Some(tol) = r.tolerance
                && !(tol.is_finite() && tol > 0.0 && tol < 1.0)
            {
                return Err(bad(
                    line("tolerance"),
                    format!("{what}.tolerance: expected a proportion in (0, 1), got {tol}"),
                ));
            }
        }
        for (k, r) in t.rfs.iter().enumerate() {
            let line = |key: &str| key_line("[rfs]", k, key);
            if !(r.month.is_finite() && r.month > 0.0) {
                return Err(bad(
                    line("month"),
                    format!(
                        "rfs.month: expected a positive number of months, got {}",
                        r.month
                    ),
                ));
            }
            if !proportion(r.value) {
                return Err(bad(
                    line("value"),
                    format!(
                        "rfs.value: expected a proportion in [0, 1], got {}",
                        r.value
                    ),
                ));
            }
            check_ci(r.ci95, r.value).map_err(|m| bad(line("ci95"), format!("rfs.{m}")))?;
            if t.rfs[..k].iter().any(|q| q.month == r.month) {
                return Err(bad(
                    line("month"),
                    format!(
                        "rfs.month: month {} given twice; expected each month once",
                        r.month
                    ),
                ));
            }
        }
        Ok(t)
    }

    /// Checks that `model` reports every endpoint the targets name: remission, MRD and RFS
    /// need a leukemia response, the CD19-negative share CD19-typed clones, CRS a cytokine
    /// with grade edges.
    pub fn check_model(&self, model: &cartkin_core::model::ModelSpec) -> Result<(), String> {
        let roles = &model.outcomes;
        let response = roles.blast_fraction.is_some();
        let mut missing = Vec::new();
        if !response
            && (self.remission.is_some() || self.mrd_negative.is_some() || !self.rfs.is_empty())
        {
            missing.push("remission, MRD and RFS (the model has no leukemia response, outcomes.blast_fraction)");
        }
        if self.cd19_negative_relapse_share.is_some()
            && !(response && roles.cd19_negative.is_some())
        {
            missing.push("the CD19-negative share of relapses (no outcomes.cd19_negative clone)");
        }
        if (self.crs_any_grade.is_some() || self.crs_grade3plus.is_some())
            && !(roles.cytokine.is_some() && roles.crs_grade_edges.is_some())
        {
            missing.push("CRS grades (no outcomes.cytokine with crs_grade_edges)");
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "targets {}: model `{}` cannot report {}",
                self.name,
                model.name,
                missing.join("; ")
            ))
        }
    }

    /// Checks that the targets can be measured in a population followed for
    /// `follow_up_days`: every RFS month within the follow-up and, for response targets,
    /// month 3 reached.
    pub fn check_follow_up(&self, follow_up_days: f64) -> Result<(), String> {
        let months: Vec<f64> = self.rfs.iter().map(|r| r.month).collect();
        super::summary::check_months(&months, follow_up_days)
            .map_err(|m| format!("targets {}: RFS {m}", self.name))?;
        let needs_month_3 =
            self.remission.is_some() || self.mrd_negative.is_some() || !months.is_empty();
        if needs_month_3 && follow_up_days < cartkin_core::outcome::MONTH_3 {
            return Err(format!(
                "targets {}: remission is assessed at month 3 ({} days); the follow-up of {follow_up_days} days ends before it",
                self.name,
                cartkin_core::outcome::MONTH_3
            ));
        }
        Ok(())
    }

    fn rates(&self) -> Vec<(&'static str, &RateTarget)> {
        [
            ("remission", &self.remission),
            ("mrd_negative", &self.mrd_negative),
            (
                "cd19_negative_relapse_share",
                &self.cd19_negative_relapse_share,
            ),
            ("crs_any_grade", &self.crs_any_grade),
            ("crs_grade3plus", &self.crs_grade3plus),
        ]
        .into_iter()
        .filter_map(|(n, r)| r.as_ref().map(|r| (n, r)))
        .collect()
    }

    /// Compares a simulated population with the targets.
    ///
    /// Discrepancy (documented in the README): for a rate reported on n patients, the binomial
    /// deviance of the trial's count given the simulated rate p,
    /// `2n[p̂ ln(p̂/p) + (1 − p̂) ln((1 − p̂)/(1 − p))]` (−2 log likelihood ratio); for an RFS
    /// point, `((S_sim − S_target)/se)²` with se from the published CI ((hi − lo)/3.92) or, without
    /// one, from ±8 points read as a 95% interval.
    pub fn compare(&self, s: &Summary) -> Vec<Comparison> {
        let mut out = Vec::new();
        let achieved = |name: &str| -> f64 {
            match name {
                "remission" => s.orr.unwrap_or(f64::NAN),
                "mrd_negative" => s.mrd_negative_rate.unwrap_or(f64::NAN),
                "cd19_negative_relapse_share" => s.cd19_negative_relapse_share.unwrap_or(0.0),
                "crs_any_grade" => s.crs_any_grade.unwrap_or(0.0),
                _ => s.crs_grade3plus.unwrap_or(0.0),
            }
        };
        for (name, r) in self.rates() {
            let p = achieved(name);
            let n = r.n.unwrap_or(100) as f64;
            let accept = match (r.tolerance, r.ci95) {
                (Some(t), _) => [r.value - t, r.value + t],
                (None, Some(ci)) => ci,
                (None, None) => r.n.map_or([r.value - 0.1, r.value + 0.1], |n| {
                    wilson((r.value * n as f64).round() as usize, n)
                }),
            };
            out.push(Comparison {
                endpoint: name.to_string(),
                target: r.value,
                accept,
                achieved: p,
                inside: accept[0] <= p && p <= accept[1],
                discrepancy: binomial_deviance(r.value, p, n),
                source: r.source.clone(),
            });
        }
        for r in &self.rfs {
            let sim = s
                .rfs_km
                .iter()
                .find(|q| (q.month - r.month).abs() < 1e-9)
                .map_or(f64::NAN, |q| q.survival);
            let accept = r
                .ci95
                .unwrap_or([r.value - RFS_TOLERANCE, r.value + RFS_TOLERANCE]);
            let se = (accept[1] - accept[0]) / (2.0 * cartkin_core::stats::Z_975);
            let z = (sim - r.value) / se;
            out.push(Comparison {
                endpoint: format!("rfs_{}mo", r.month),
                target: r.value,
                accept,
                achieved: sim,
                inside: accept[0] <= sim && sim <= accept[1],
                discrepancy: if z.is_finite() { z * z } else { 1e6 },
                source: r.source.clone(),
            });
        }
        out
    }

    /// Months at which the RFS targets are reported.
    pub fn rfs_months(&self) -> Vec<f64> {
        let mut m: Vec<f64> = super::summary::RFS_MONTHS.to_vec();
        for r in &self.rfs {
            if !m.iter().any(|x| (x - r.month).abs() < 1e-9) {
                m.push(r.month);
            }
        }
        m.sort_by(f64::total_cmp);
        m
    }
}

/// −2 log likelihood ratio of observing proportion `observed` among `n` when the rate is `p`.
pub fn binomial_deviance(observed: f64, p: f64, n: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    let term = |a: f64, b: f64| if a > 0.0 { a * (a / b).ln() } else { 0.0 };
    2.0 * n * (term(observed, p) + term(1.0 - observed, 1.0 - p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn deviance_is_zero_at_the_observed_rate_and_grows_away() {
        assert_relative_eq!(binomial_deviance(0.82, 0.82, 79.0), 0.0, epsilon = 1e-12);
        let near = binomial_deviance(0.82, 0.80, 79.0);
        let far = binomial_deviance(0.82, 0.70, 79.0);
        assert!(near > 0.0 && far > near);
        // hand computation: 2·79·[0.82 ln(0.82/0.7) + 0.18 ln(0.18/0.3)] = 5.9716
        assert_relative_eq!(far, 5.9716, max_relative = 1e-3);
    }
}
