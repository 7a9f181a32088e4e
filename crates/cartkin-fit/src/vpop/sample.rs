//! Drawing virtual patients: every patient has its own random stream derived from
//! (seed, patient index), so results do not depend on the thread count and the first n
//! patients of a larger run are the same patients.

use cartkin_core::model::Model;
use cartkin_core::patient::Patient;
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use super::spec::{Draw, PopulationSpec, Spread};

/// One virtual patient's draws.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualPatient {
    /// Index (0-based).
    pub index: usize,
    /// Covariates.
    pub patient: Patient,
    /// CAR-T dose [cells], if the model takes one.
    pub dose_cells: Option<f64>,
    /// Model parameter values (all of them, in model order).
    pub values: Vec<f64>,
    /// Day of death from non-relapse causes (infinity if none within any horizon).
    pub death_day: f64,
    /// Day of loss to follow-up (infinity if none).
    pub dropout_day: f64,
}

/// SplitMix64 finaliser: decorrelates nearby seeds.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The random stream of patient `index` in a run seeded with `seed`.
pub fn stream(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(mix(seed ^ mix(index as u64)))
}

/// One of a patient's independent sub-streams (covariates, dose, parameters, events): what is
/// drawn for one component never shifts the draws of another, so two arms that differ only in
/// their dose rule (fixed, or a distribution) still share every other draw.
fn component(seed: u64, index: usize, part: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed ^ mix(index as u64)) ^ mix(part)))
}

/// Draws patients for a population spec and a model (typical values from the model).
pub struct Sampler<'a> {
    spec: &'a PopulationSpec,
    model: &'a Model,
    cholesky: DMatrix<f64>,
}

impl<'a> Sampler<'a> {
    /// A sampler; the spec's correlation matrix was checked positive definite when it was read.
    pub fn new(spec: &'a PopulationSpec, model: &'a Model) -> Self {
        let n = spec.parameters.len();
        let corr = DMatrix::from_fn(n, n, |i, j| {
            spec.correlation
                .get(i)
                .and_then(|r| r.get(j))
                .copied()
                .unwrap_or(if i == j { 1.0 } else { 0.0 })
        });
        let cholesky =
            nalgebra::Cholesky::new(corr).map_or_else(|| DMatrix::identity(n, n), |c| c.l());
        Sampler {
            spec,
            model,
            cholesky,
        }
    }

    /// Patient `index` of a run seeded with `seed`. Covariates, dose, parameters and event
    /// times come from separate sub-streams of the patient's stream.
    pub fn patient(&self, seed: u64, index: usize) -> VirtualPatient {
        let mut rng = component(seed, index, 1);
        let typical = self.model.spec().defaults.patient;
        let mut covariate = |name: &str, default: f64| {
            self.spec
                .covariates
                .get(name)
                .map_or(default, |d| draw(d, &mut rng))
        };
        let weight = covariate("weight_kg", typical.weight_kg);
        let height = covariate("height_cm", typical.height_cm);
        let age = covariate("age_years", typical.age_years);
        let egfr = covariate("egfr", typical.egfr);
        // covariate draws are truncated to valid ranges, so this cannot fail; fall back to the
        // typical patient rather than panic
        let patient = Patient::new(weight, height, None, egfr, age, "population")
            .or_else(|_| typical.patient("population"));
        let patient = match patient {
            Ok(p) => p,
            Err(_) => Patient {
                weight_kg: 35.0,
                height_cm: 140.0,
                bsa_m2: 1.17,
                egfr: 120.0,
                age_years: 11.0,
            },
        };
        let mut rng = component(seed, index, 2);
        let dose_cells = self.spec.dose.map(|rule| {
            if patient.weight_kg > rule.flat_above_kg {
                draw(&rule.flat, &mut rng)
            } else {
                draw(&rule.per_kg, &mut rng) * patient.weight_kg
            }
        });
        let mut rng = component(seed, index, 3);
        let n = self.spec.parameters.len();
        let iid = DVector::from_fn(n, |_, _| rng.sample::<f64, _>(StandardNormal));
        let z = &self.cholesky * iid;
        let mut values = self.model.values().to_vec();
        for (k, p) in self.spec.parameters.iter().enumerate() {
            let spec = &self.model.spec().parameters[p.index];
            let typical = values[p.index];
            let v = match p.spread {
                Spread::Lognormal { omega } => typical * (omega * z[k]).exp(),
                Spread::Logitnormal { omega } => {
                    let (lo, hi) = (spec.lower, spec.upper);
                    let u = ((typical - lo) / (hi - lo)).clamp(1e-12, 1.0 - 1e-12);
                    lo + (hi - lo) / (1.0 + (-((u / (1.0 - u)).ln() + omega * z[k])).exp())
                }
                Spread::Normal { sd } => typical + sd * z[k],
                Spread::Uniform { lower, upper } => {
                    lower + (upper - lower) * crate::error_model::normal_cdf(z[k])
                }
            };
            values[p.index] = v.clamp(spec.lower, spec.upper);
        }
        let mut rng = component(seed, index, 4);
        let per_day = |per_year: f64| per_year / 365.25;
        let mut exponential = |rate: f64| {
            if rate > 0.0 {
                -(1.0 - rng.random::<f64>()).ln() / rate
            } else {
                f64::INFINITY
            }
        };
        let death_day = exponential(per_day(self.spec.non_relapse_mortality_per_year));
        let dropout_day = exponential(per_day(self.spec.dropout_per_year));
        VirtualPatient {
            index,
            patient,
            dose_cells,
            values,
            death_day,
            dropout_day,
        }
    }
}

/// One draw from a covariate or dose distribution (truncation by rejection, then clamping).
fn draw(d: &Draw, rng: &mut StdRng) -> f64 {
    match *d {
        Draw::Fixed { value } => value,
        Draw::Uniform { lower, upper } => lower + (upper - lower) * rng.random::<f64>(),
        Draw::Lognormal {
            median,
            cv,
            lower,
            upper,
        } => {
            let omega = (1.0 + cv * cv).ln().sqrt();
            truncated(rng, lower, upper, |z| median * (omega * z).exp())
        }
        Draw::Normal {
            mean,
            sd,
            lower,
            upper,
        } => truncated(rng, lower, upper, |z| mean + sd * z),
    }
}

fn truncated(rng: &mut StdRng, lower: f64, upper: f64, f: impl Fn(f64) -> f64) -> f64 {
    let mut last = f64::NAN;
    for _ in 0..100 {
        last = f(rng.sample::<f64, _>(StandardNormal));
        if last >= lower && last <= upper {
            return last;
        }
    }
    last.clamp(lower, upper)
}
