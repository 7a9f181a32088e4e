//! Clinical targets of a calibration (`data/eliana.toml`, `data/zuma3.toml`): figures a
//! trial reported for endpoints of the endpoint table.

use std::path::Path;

use std::collections::BTreeMap;

use serde::de::IntoDeserializer;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::endpoint::table::{self, Endpoint, EndpointDef};
use crate::endpoint::{RFS_MONTHS, Summary, check_months};
use crate::error::TrialError;
use cartkin_core::stats::wilson;

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

/// A point of a Kaplan–Meier curve reported by a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointTarget {
    /// Months from the curve's origin (remission onset for RFS, the infusion for EFS and
    /// B-cell aplasia).
    pub month: f64,
    /// Reported survival (share still event-free).
    pub value: f64,
    /// Reported 95% CI.
    pub ci95: Option<[f64; 2]>,
    /// Source and verification tag.
    pub source: String,
}

/// A targets file: the trial's description, then any endpoint of the endpoint table that has
/// a target key (`remission`, `[[rfs]]`, `crs_grade3plus`, `[[b_cell_aplasia]]`, ...): a rate
/// as a table, a survival curve as an array of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Trial name.
    pub name: String,
    /// Product.
    pub product: String,
    /// Regimen name (or path) the trial used.
    pub regimen: Option<String>,
    /// Population description.
    pub population: String,
    /// Caveats about the targets, copied into calibration reports.
    pub notes: Vec<String>,
    /// Targeted rates, in table order.
    pub rates: BTreeMap<Endpoint, RateTarget>,
    /// Targeted survival curves, in table order.
    pub curves: BTreeMap<Endpoint, Vec<PointTarget>>,
}

/// Acceptance tolerance of a survival point without a published CI [proportion].
pub const RFS_TOLERANCE: f64 = 0.08;

/// One target beside the simulated value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Endpoint.
    pub endpoint: String,
    /// Published value.
    pub target: f64,
    /// Acceptance interval: the target's tolerance, else the published CI, else Wilson from n
    /// (rates) or ±8 points (survival).
    pub accept: [f64; 2],
    /// Simulated value.
    pub achieved: f64,
    /// Whether the simulated value lies in the acceptance interval.
    pub inside: bool,
    /// Contribution to the discrepancy.
    pub discrepancy: f64,
    /// Source.
    pub source: String,
    /// A point of a survival curve (RFS, EFS, B-cell aplasia at a month), not a rate.
    #[serde(skip)]
    pub curve_point: bool,
}

/// The keys of a targets file besides the endpoints.
const DESCRIPTION_KEYS: [&str; 5] = ["name", "product", "regimen", "population", "notes"];

impl Targets {
    /// Targets with a description and no endpoint.
    pub fn new(name: &str) -> Self {
        Targets {
            name: name.to_string(),
            product: String::new(),
            regimen: None,
            population: String::new(),
            notes: Vec::new(),
            rates: BTreeMap::new(),
            curves: BTreeMap::new(),
        }
    }

    /// Reads a targets file (or a bundled one by its virtual path); errors name the file and
    /// line.
    pub fn load(path: &Path) -> Result<Self, TrialError> {
        let text = TrialError::read_text(path)?;
        Self::parse(path, &text)
    }

    /// [`Targets::load`] from text.
    pub fn parse(path: &Path, text: &str) -> Result<Self, TrialError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let bad = |offset: usize, message: String| TrialError::Mismatch {
            path: path.to_path_buf(),
            line: line_of(offset),
            message,
        };
        let de_error = |e: toml::de::Error, at: usize| TrialError::Mismatch {
            path: path.to_path_buf(),
            line: line_of(e.span().map_or(at, |s| s.start)),
            message: e.message().trim().to_string(),
        };
        let root = DeTable::parse(text).map_err(|e| de_error(e, 0))?;
        let mut t = Targets::new("");
        let mut named = false;
        for (key, value) in root.into_inner() {
            let at = key.span().start;
            let key: &str = key.get_ref();
            let raw = value.clone();
            match key {
                "name" => {
                    t.name = String::deserialize(value.into_deserializer())
                        .map_err(|e| de_error(e, at))?;
                    named = true;
                }
                "product" => {
                    t.product = String::deserialize(value.into_deserializer())
                        .map_err(|e| de_error(e, at))?;
                }
                "regimen" => {
                    t.regimen = Some(
                        String::deserialize(value.into_deserializer())
                            .map_err(|e| de_error(e, at))?,
                    );
                }
                "population" => {
                    t.population = String::deserialize(value.into_deserializer())
                        .map_err(|e| de_error(e, at))?;
                }
                "notes" => {
                    t.notes = Vec::<String>::deserialize(value.into_deserializer())
                        .map_err(|e| de_error(e, at))?;
                }
                _ => match table::by_target(key) {
                    Some(def) if def.is_curve() => {
                        let points = Vec::<PointTarget>::deserialize(value.into_deserializer())
                            .map_err(|e| de_error(e, at))?;
                        check_curve(def, &points, &raw).map_err(|(o, m)| bad(o, m))?;
                        t.curves.insert(def.endpoint, points);
                    }
                    Some(def) => {
                        let rate = RateTarget::deserialize(value.into_deserializer())
                            .map_err(|e| de_error(e, at))?;
                        check_rate(key, &rate, &raw).map_err(|(o, m)| bad(o, m))?;
                        t.rates.insert(def.endpoint, rate);
                    }
                    None => {
                        return Err(bad(
                            at,
                            format!(
                                "unknown key `{key}`; expected one of {}, or an endpoint: {}",
                                DESCRIPTION_KEYS.join(", "),
                                table::ENDPOINTS
                                    .iter()
                                    .filter_map(|d| d.target)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                },
            }
        }
        if !named {
            return Err(bad(0, "missing field `name`".into()));
        }
        Ok(t)
    }

    /// The rate targeted for `e`.
    pub fn rate(&self, e: Endpoint) -> Option<&RateTarget> {
        self.rates.get(&e)
    }

    /// The points targeted on curve `e` (empty if none).
    pub fn curve(&self, e: Endpoint) -> &[PointTarget] {
        self.curves.get(&e).map_or(&[], Vec::as_slice)
    }

    /// The endpoints targeted, in table order.
    pub fn endpoints(&self) -> impl Iterator<Item = Endpoint> + '_ {
        let mut all: Vec<Endpoint> = self
            .rates
            .keys()
            .chain(self.curves.keys())
            .copied()
            .collect();
        all.sort();
        all.into_iter()
    }

    /// Checks that `model` reports every endpoint the targets name (remission, MRD and RFS
    /// need a leukemia response, the CD19-negative share CD19-typed clones, CRS a cytokine
    /// with grade edges, ...).
    pub fn check_model(&self, model: &cartkin_core::model::ModelSpec) -> Result<(), String> {
        let missing: Vec<String> = self
            .endpoints()
            .map(Endpoint::def)
            .filter(|d| !d.needs.met_by(&model.outcomes))
            .map(|d| {
                format!(
                    "{} (it needs {})",
                    d.target.unwrap_or(d.json),
                    d.needs.describe()
                )
            })
            .collect();
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
    /// `follow_up_days`: every survival month within the follow-up and, for targets that need
    /// a response, month 3 reached.
    pub fn check_follow_up(&self, follow_up_days: f64) -> Result<(), String> {
        for (e, points) in &self.curves {
            let months: Vec<f64> = points.iter().map(|r| r.month).collect();
            check_months(&months, follow_up_days).map_err(|m| {
                format!(
                    "targets {}: {} {m}",
                    self.name,
                    e.def().target.unwrap_or(e.def().json)
                )
            })?;
        }
        let needs_month_3 = self.endpoints().any(|e| e.def().needs_response);
        if needs_month_3 && follow_up_days < cartkin_core::outcome::MONTH_3 {
            return Err(format!(
                "targets {}: remission is assessed at month 3 ({} days); the follow-up of {follow_up_days} days ends before it",
                self.name,
                cartkin_core::outcome::MONTH_3
            ));
        }
        Ok(())
    }

    /// Compares a simulated population with the targets, in table order (rates, then curve
    /// points).
    ///
    /// Discrepancy (documented in the README): for a rate reported on n patients, the binomial
    /// deviance of the trial's count given the simulated rate p,
    /// `2n[p̂ ln(p̂/p) + (1 − p̂) ln((1 − p̂)/(1 − p))]` (−2 log likelihood ratio); for a survival
    /// point, `((S_sim − S_target)/se)²` with se from the published CI ((hi − lo)/3.92) or,
    /// without one, from ±8 points read as a 95% interval. A rate whose denominator is empty
    /// (no relapse for a share of relapses) counts as 0, one that needs a response as NaN.
    pub fn compare(&self, s: &Summary) -> Vec<Comparison> {
        let mut out = Vec::new();
        for (&e, r) in &self.rates {
            let def = e.def();
            let fallback = if def.needs_response { f64::NAN } else { 0.0 };
            let p = s.rate(e).unwrap_or(fallback);
            let n = r.n.unwrap_or(100) as f64;
            let accept = match (r.tolerance, r.ci95) {
                (Some(t), _) => [r.value - t, r.value + t],
                (None, Some(ci)) => ci,
                (None, None) => r.n.map_or([r.value - 0.1, r.value + 0.1], |n| {
                    wilson((r.value * n as f64).round() as usize, n)
                }),
            };
            out.push(Comparison {
                endpoint: def.target.unwrap_or(def.json).to_string(),
                target: r.value,
                accept,
                achieved: p,
                inside: accept[0] <= p && p <= accept[1],
                discrepancy: binomial_deviance(r.value, p, n),
                source: r.source.clone(),
                curve_point: false,
            });
        }
        for (&e, points) in &self.curves {
            let def = e.def();
            for r in points {
                let sim = s.at(e, r.month).map_or(f64::NAN, |q| q.survival);
                let accept = r
                    .ci95
                    .unwrap_or([r.value - RFS_TOLERANCE, r.value + RFS_TOLERANCE]);
                let se = (accept[1] - accept[0]) / (2.0 * cartkin_core::stats::Z_975);
                let z = (sim - r.value) / se;
                out.push(Comparison {
                    endpoint: format!("{}_{}mo", def.target.unwrap_or(def.json), r.month),
                    target: r.value,
                    accept,
                    achieved: sim,
                    inside: accept[0] <= sim && sim <= accept[1],
                    discrepancy: if z.is_finite() { z * z } else { 1e6 },
                    source: r.source.clone(),
                    curve_point: true,
                });
            }
        }
        out
    }

    /// Months of the targeted curves reported at the report months (RFS, EFS).
    pub fn report_curve_months(&self) -> Vec<f64> {
        self.curves
            .iter()
            .filter(|(e, _)| e.def().is_report_curve())
            .flat_map(|(_, p)| p.iter().map(|r| r.month))
            .collect()
    }

    /// The default report months with the targeted curves' months.
    pub fn report_months(&self) -> Vec<f64> {
        let mut m: Vec<f64> = RFS_MONTHS.to_vec();
        for month in self.report_curve_months() {
            if !m.iter().any(|x| (x - month).abs() < 1e-9) {
                m.push(month);
            }
        }
        m.sort_by(f64::total_cmp);
        m
    }
}

fn proportion(v: f64) -> bool {
    v.is_finite() && (0.0..=1.0).contains(&v)
}

fn check_ci(ci: Option<[f64; 2]>, value: f64) -> Result<(), String> {
    match ci {
        Some([lo, hi]) if !(proportion(lo) && proportion(hi) && lo <= value && value <= hi) => {
            Err(format!(
                "ci95: expected proportions lo <= value <= hi, got [{lo}, {hi}] around {value}"
            ))
        }
        _ => Ok(()),
    }
}

/// The byte offset of `field` in a table value (else of the table).
fn offset_of(table: &Spanned<DeValue<'_>>, field: &str) -> usize {
    table
        .get_ref()
        .get(field)
        .map_or(table.span().start, |f| f.span().start)
}

/// A rate target's values: errors are (byte offset, message).
fn check_rate(
    key: &str,
    r: &RateTarget,
    raw: &Spanned<DeValue<'_>>,
) -> Result<(), (usize, String)> {
    let at = |field: &str| offset_of(raw, field);
    if !proportion(r.value) {
        return Err((
            at("value"),
            format!(
                "{key}.value: expected a proportion in [0, 1], got {}",
                r.value
            ),
        ));
    }
    check_ci(r.ci95, r.value).map_err(|m| (at("ci95"), format!("{key}.{m}")))?;
    if r.n == Some(0) {
        return Err((
            at("n"),
            format!("{key}.n: expected at least one patient, got 0"),
        ));
    }
    if let Some(tol) = r.tolerance
        && !(tol.is_finite() && tol > 0.0 && tol < 1.0)
    {
        return Err((
            at("tolerance"),
            format!("{key}.tolerance: expected a proportion in (0, 1), got {tol}"),
        ));
    }
    Ok(())
}

/// A curve target's points: months positive, distinct and (for a curve at fixed months)
/// among them; values and CIs proportions.
fn check_curve(
    def: &EndpointDef,
    points: &[PointTarget],
    raw: &Spanned<DeValue<'_>>,
) -> Result<(), (usize, String)> {
    let key = def.target.unwrap_or(def.json);
    for (k, r) in points.iter().enumerate() {
        let at = |field: &str| {
            raw.get_ref()
                .get(k)
                .map_or(raw.span().start, |p| offset_of(p, field))
        };
        if !(r.month.is_finite() && r.month > 0.0) {
            return Err((
                at("month"),
                format!(
                    "{key}.month: expected a positive number of months, got {}",
                    r.month
                ),
            ));
        }
        if let Some(months) = def.fixed_months()
            && !months.contains(&r.month)
        {
            return Err((
                at("month"),
                format!(
                    "{key}.month: expected one of the months the endpoint reports ({}), got {}",
                    months
                        .iter()
                        .map(|m| m.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.month
                ),
            ));
        }
        if !proportion(r.value) {
            return Err((
                at("value"),
                format!(
                    "{key}.value: expected a proportion in [0, 1], got {}",
                    r.value
                ),
            ));
        }
        check_ci(r.ci95, r.value).map_err(|m| (at("ci95"), format!("{key}.{m}")))?;
        if points[..k].iter().any(|q| q.month == r.month) {
            return Err((
                at("month"),
                format!(
                    "{key}.month: month {} given twice; expected each month once",
                    r.month
                ),
            ));
        }
    }
    Ok(())
}

/// A targets file as TOML: the description, then each endpoint under its key.
impl Serialize for Targets {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("product", &self.product)?;
        if let Some(r) = &self.regimen {
            map.serialize_entry("regimen", r)?;
        }
        map.serialize_entry("population", &self.population)?;
        map.serialize_entry("notes", &self.notes)?;
        for (e, r) in &self.rates {
            map.serialize_entry(e.def().target.unwrap_or(e.def().json), r)?;
        }
        for (e, p) in &self.curves {
            map.serialize_entry(e.def().target.unwrap_or(e.def().json), p)?;
        }
        map.end()
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
