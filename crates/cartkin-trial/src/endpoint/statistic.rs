//! The statistics an endpoint can report, and their values over a set of patients.

use serde::Serialize;

use super::record::{HasRecord, Record};
use crate::survival::{KaplanMeier, Observation};
use cartkin_core::stats::{quantile, wilson};

/// A patient's time to event [months] and whether the event happened (else censored).
pub type TimeToEvent = fn(&Record) -> Option<(f64, bool)>;
/// Whether a patient counts.
pub type Predicate = fn(&Record) -> bool;
/// A patient's value, where it has one.
pub type Quantity = fn(&Record) -> Option<f64>;

/// How an endpoint summarises its patients.
#[derive(Clone, Copy)]
pub enum Stat {
    /// Patients that satisfy a predicate.
    Count(Predicate),
    /// A proportion `of` patients `among` a denominator, with its 95% Wilson interval.
    Rate {
        /// The numerator (applied to patients `among`).
        of: Predicate,
        /// The denominator.
        among: Predicate,
    },
    /// Kaplan–Meier at the report months (Greenwood log-log 95% CIs).
    Survival(TimeToEvent),
    /// Kaplan–Meier at fixed months. A month past the curve's last observation (while
    /// survival is still above 0) is not reported: the estimate would repeat its last value as
    /// if observed.
    SurvivalAt {
        /// The time to event.
        curve: TimeToEvent,
        /// Months reported.
        months: &'static [f64],
    },
    /// The Kaplan–Meier median [months] (`None` if not reached).
    MedianSurvival(TimeToEvent),
    /// Geometric mean of the positive values.
    GeoMean {
        /// The value.
        value: Quantity,
        /// Patients contributing.
        among: Predicate,
    },
    /// The 5th, 50th and 95th percentiles.
    Quantiles {
        /// The value.
        value: Quantity,
        /// Patients contributing.
        among: Predicate,
    },
    /// One quantile.
    Quantile {
        /// The value.
        value: Quantity,
        /// Patients contributing.
        among: Predicate,
        /// The quantile, in (0, 1).
        q: f64,
    },
}

/// A survival estimate at one time point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalPoint {
    /// Months (from the curve's origin).
    pub month: f64,
    /// Kaplan–Meier estimate (NaN when nobody is in the curve).
    pub survival: f64,
    /// Greenwood 95% CI (log-log).
    pub ci95: [f64; 2],
    /// Patients still at risk.
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

/// The value of one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A count.
    Count(usize),
    /// A proportion and its 95% Wilson interval (`None` with an empty denominator).
    Rate {
        /// The proportion.
        value: Option<f64>,
        /// Its interval.
        ci95: Option<[f64; 2]>,
        /// The denominator.
        n: usize,
    },
    /// Survival at several months.
    Curve(Vec<SurvivalPoint>),
    /// A number (a median time, a quantile), `None` when undefined.
    Number(Option<f64>),
    /// A geometric mean.
    GeoMean(GeoMean),
    /// Percentiles.
    Quantiles(Quantiles),
}

impl Stat {
    /// This statistic over `records`, survival curves at `months`.
    pub fn evaluate<P: HasRecord>(&self, patients: &[P], months: &[f64]) -> Value {
        let records = || patients.iter().map(HasRecord::record);
        // a time to event nobody has (no responder, or a model without B cells) has no
        // curve and no median: not applicable, not a curve of nobody at 100%
        if let Stat::Survival(curve) | Stat::SurvivalAt { curve, .. } | Stat::MedianSurvival(curve) =
            *self
            && records().all(|r| curve(r).is_none())
        {
            return self.not_applicable();
        }
        match *self {
            Stat::Count(p) => Value::Count(records().filter(|r| p(r)).count()),
            Stat::Rate { of, among } => {
                let (mut k, mut n) = (0, 0);
                for r in records().filter(|r| among(r)) {
                    n += 1;
                    k += usize::from(of(r));
                }
                Value::Rate {
                    value: (n > 0).then(|| k as f64 / n as f64),
                    ci95: (n > 0).then(|| wilson(k, n)),
                    n,
                }
            }
            Stat::Survival(curve) => Value::Curve(points(&kaplan_meier(patients, curve), months)),
            Stat::SurvivalAt { curve, months } => {
                let (km, last) = kaplan_meier_with_end(patients, curve);
                let mut p = points(&km, months);
                for point in &mut p {
                    // 1% slack, as for the report months and the follow-up
                    if point.month > 1.01 * last && point.survival > 0.0 {
                        point.survival = f64::NAN;
                        point.ci95 = [f64::NAN; 2];
                    }
                }
                Value::Curve(p)
            }
            Stat::MedianSurvival(curve) => Value::Number(kaplan_meier(patients, curve).median()),
            Stat::GeoMean { value, among } => {
                let mut sum = 0.0;
                let mut n = 0;
                for x in records().filter(|r| among(r)).filter_map(value) {
                    if x > 0.0 {
                        sum += x.ln();
                        n += 1;
                    }
                }
                Value::GeoMean(GeoMean {
                    geometric_mean: (n > 0).then(|| (sum / n as f64).exp()),
                    n,
                })
            }
            Stat::Quantiles { value, among } => {
                let v = sorted(patients, value, among);
                Value::Quantiles(Quantiles {
                    p05: quantile(&v, 0.05),
                    median: quantile(&v, 0.5),
                    p95: quantile(&v, 0.95),
                })
            }
            Stat::Quantile { value, among, q } => {
                Value::Number(quantile(&sorted(patients, value, among), q))
            }
        }
    }

    /// The value of this statistic where it does not apply (remission not assessed): no
    /// proportion, no curve, no number.
    pub fn not_applicable(&self) -> Value {
        match self {
            Stat::Count(_) => Value::Count(0),
            Stat::Rate { .. } => Value::Rate {
                value: None,
                ci95: None,
                n: 0,
            },
            Stat::Survival(_) | Stat::SurvivalAt { .. } => Value::Curve(Vec::new()),
            Stat::MedianSurvival(_) | Stat::Quantile { .. } => Value::Number(None),
            Stat::GeoMean { .. } => Value::GeoMean(GeoMean {
                geometric_mean: None,
                n: 0,
            }),
            Stat::Quantiles { .. } => Value::Quantiles(Quantiles {
                p05: None,
                median: None,
                p95: None,
            }),
        }
    }
}

fn sorted<P: HasRecord>(patients: &[P], value: Quantity, among: Predicate) -> Vec<f64> {
    let mut v: Vec<f64> = patients
        .iter()
        .map(HasRecord::record)
        .filter(|r| among(r))
        .filter_map(value)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The Kaplan–Meier estimate of `curve` over the patients that have one.
pub fn kaplan_meier<P: HasRecord>(patients: &[P], curve: TimeToEvent) -> KaplanMeier {
    kaplan_meier_with_end(patients, curve).0
}

/// [`kaplan_meier`] and the last time observed [months].
fn kaplan_meier_with_end<P: HasRecord>(patients: &[P], curve: TimeToEvent) -> (KaplanMeier, f64) {
    let data: Vec<Observation> = patients
        .iter()
        .map(HasRecord::record)
        .filter_map(curve)
        .map(|(time, event)| Observation { time, event })
        .collect();
    let last = data.iter().map(|o| o.time).fold(0.0, f64::max);
    // times are finite and non-negative by construction (days of a validated follow-up)
    let km = KaplanMeier::new(&data).unwrap_or(KaplanMeier {
        n: 0,
        steps: Vec::new(),
    });
    (km, last)
}

/// Kaplan–Meier points at `months`; with nobody in the curve (e.g. no responder) every
/// point is NaN (`null` in JSON), not a survival of 1.
fn points(km: &KaplanMeier, months: &[f64]) -> Vec<SurvivalPoint> {
    months
        .iter()
        .map(|&m| {
            if km.n == 0 {
                SurvivalPoint {
                    month: m,
                    survival: f64::NAN,
                    ci95: [f64::NAN; 2],
                    at_risk: 0,
                }
            } else {
                SurvivalPoint {
                    month: m,
                    survival: km.survival_at(m),
                    ci95: km.ci95_at(m),
                    at_risk: km.at_risk_after(m),
                }
            }
        })
        .collect()
}
