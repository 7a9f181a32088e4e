//! Trial-level endpoints of a set of patients: every entry of the endpoint table evaluated
//! once (`summary.json`, one row of `arms.csv`).

use serde::Serialize;
use serde::ser::SerializeMap;

use super::record::{HasRecord, Record};
use super::statistic::{GeoMean, Quantiles, SurvivalPoint, Value};
use super::table::{ENDPOINTS, Endpoint, Var};

/// The endpoints of a set of patients, in table order.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Patients simulated.
    pub n: usize,
    /// Patients whose simulation failed (excluded from every statistic).
    pub not_evaluable: usize,
    /// Patients whose run passed a plausibility ceiling of the model (`implausible` in
    /// `patients.csv`): they count in every statistic, but describe no real patient.
    pub implausible: usize,
    /// Remission was assessed: the model has a leukemia response and the follow-up reaches
    /// month 3. Otherwise the endpoints that need it are not applicable (`null`, empty).
    pub response_assessed: bool,
    /// One value per entry of [`ENDPOINTS`].
    values: Vec<Value>,
}

/// The endpoints of `patients`, survival curves at `months`.
pub fn summarize<P: HasRecord>(patients: &[P], months: &[f64]) -> Summary {
    let evaluable = || {
        patients
            .iter()
            .map(HasRecord::record)
            .filter(|r| r.evaluable())
    };
    // a response is assessed for every evaluable patient or none (it depends on the model and
    // the follow-up only)
    let assessed = evaluable().any(|r| r.flag(Var::ResponseAssessed));
    let n_evaluable = evaluable().count();
    let values = ENDPOINTS
        .iter()
        .map(|def| {
            if def.needs_response && !assessed {
                def.stat.not_applicable()
            } else {
                def.stat.evaluate(patients, months)
            }
        })
        .collect();
    Summary {
        n: patients.len(),
        not_evaluable: patients.len() - n_evaluable,
        implausible: evaluable().filter(|r| r.flag(Var::Implausible)).count(),
        response_assessed: assessed,
        values,
    }
}

impl Summary {
    /// The value of an endpoint.
    pub fn value(&self, e: Endpoint) -> &Value {
        &self.values[e as usize]
    }

    /// A rate's proportion (`None` for other statistics, or an empty denominator).
    pub fn rate(&self, e: Endpoint) -> Option<f64> {
        match self.value(e) {
            Value::Rate { value, .. } => *value,
            _ => None,
        }
    }

    /// A rate's 95% Wilson interval.
    pub fn ci95(&self, e: Endpoint) -> Option<[f64; 2]> {
        match self.value(e) {
            Value::Rate { ci95, .. } => *ci95,
            _ => None,
        }
    }

    /// A count (0 for other statistics).
    pub fn count(&self, e: Endpoint) -> usize {
        match self.value(e) {
            Value::Count(c) => *c,
            _ => 0,
        }
    }

    /// A survival curve's points (empty for other statistics, or not applicable).
    pub fn curve(&self, e: Endpoint) -> &[SurvivalPoint] {
        match self.value(e) {
            Value::Curve(p) => p,
            _ => &[],
        }
    }

    /// A survival curve's point at `month`.
    pub fn at(&self, e: Endpoint, month: f64) -> Option<&SurvivalPoint> {
        self.curve(e)
            .iter()
            .find(|p| (p.month - month).abs() < 1e-9)
    }

    /// A number (a median time, a quantile).
    pub fn number(&self, e: Endpoint) -> Option<f64> {
        match self.value(e) {
            Value::Number(x) => *x,
            _ => None,
        }
    }

    /// A geometric mean.
    pub fn geomean(&self, e: Endpoint) -> Option<&GeoMean> {
        match self.value(e) {
            Value::GeoMean(g) => Some(g),
            _ => None,
        }
    }

    /// Percentiles.
    pub fn quantiles(&self, e: Endpoint) -> Option<&Quantiles> {
        match self.value(e) {
            Value::Quantiles(q) => Some(q),
            _ => None,
        }
    }

    /// The headline number of an endpoint, for figures and tables: a rate, a curve's
    /// survival at `month`, a geometric mean, a median; with its 95% confidence interval
    /// where it has one (percentiles are not a CI: a median comes alone).
    pub fn headline(&self, e: Endpoint, month: f64) -> Option<(f64, Option<[f64; 2]>)> {
        let finite = |v: f64| v.is_finite().then_some(v);
        match self.value(e) {
            Value::Count(c) => Some((*c as f64, None)),
            Value::Rate { value, ci95, .. } => value.and_then(finite).map(|v| (v, *ci95)),
            Value::Curve(points) => {
                // a curve at the report months: at `month` (else its first month); a curve at
                // fixed months (B-cell aplasia at 6 and 12): its first month, which its
                // titles name, whatever the report month
                let at_month = points.iter().find(|p| (p.month - month).abs() < 1e-9);
                let p = if e.def().is_report_curve() {
                    at_month.or(points.first())
                } else {
                    points.first()
                }?;
                finite(p.survival).map(|s| (s, Some(p.ci95)))
            }
            Value::Number(x) => x.and_then(finite).map(|v| (v, None)),
            Value::GeoMean(g) => g.geometric_mean.map(|v| (v, None)),
            Value::Quantiles(q) => q.median.map(|m| (m, None)),
        }
    }
}

/// `summary.json`'s endpoints: the counts, then each endpoint under its key (a rate's CI
/// under its CI key).
impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("n", &self.n)?;
        map.serialize_entry("not_evaluable", &self.not_evaluable)?;
        map.serialize_entry("implausible", &self.implausible)?;
        map.serialize_entry("response_assessed", &self.response_assessed)?;
        for (def, value) in ENDPOINTS.iter().zip(&self.values) {
            match value {
                Value::Count(c) => map.serialize_entry(def.json, c)?,
                Value::Rate { value, ci95, .. } => {
                    map.serialize_entry(def.json, value)?;
                    map.serialize_entry(&def.json_ci_key(), ci95)?;
                }
                Value::Curve(points) => map.serialize_entry(def.json, points)?,
                Value::Number(x) => map.serialize_entry(def.json, x)?,
                Value::GeoMean(g) => map.serialize_entry(def.json, g)?,
                Value::Quantiles(q) => map.serialize_entry(def.json, q)?,
            }
        }
        map.end()
    }
}

impl HasRecord for Record {
    fn record(&self) -> &Record {
        self
    }
}
