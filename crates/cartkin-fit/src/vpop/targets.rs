//! Clinical targets of a calibration (`data/eliana.toml`, `data/zuma3.toml`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::summary::{Summary, wilson};
use crate::error::FitError;

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
    /// Reads a targets file; errors name the file and line.
    pub fn load(path: &Path) -> Result<Self, FitError> {
        let text = std::fs::read_to_string(path).map_err(|e| FitError::Setting {
            setting: path.display().to_string(),
            message: format!("cannot read file: {e}"),
        })?;
        let t: Targets = toml::from_str(&text).map_err(|e| FitError::Mismatch {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            }),
            message: e.message().trim().to_string(),
        })?;
        let bad = |what: &str, v: f64| FitError::Setting {
            setting: path.display().to_string(),
            message: format!("{what}: expected a proportion in [0, 1], got {v}"),
        };
        for (what, r) in t.rates() {
            if !(0.0..=1.0).contains(&r.value) {
                return Err(bad(what, r.value));
            }
        }
        for r in &t.rfs {
            if !((0.0..=1.0).contains(&r.value) && r.month.is_finite() && r.month > 0.0) {
                return Err(bad(&format!("rfs at month {}", r.month), r.value));
            }
        }
        Ok(t)
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
                "remission" => s.orr,
                "mrd_negative" => s.mrd_negative_rate,
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
            let se = (accept[1] - accept[0]) / (2.0 * crate::uncertainty::Z_975);
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
