//! Drawing virtual patients: every patient has its own random stream derived from
//! (seed, patient index), so results do not depend on the thread count and the first n
//! patients of a larger run are the same patients.

use cartkin_core::model::Model;
use cartkin_core::patient::Patient;
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use super::spec::{DoseRule, Draw, PopulationSpec, Spread};

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

/// The sub-stream of shared random effect `effect`: keyed by the effect's name (FNV-1a, stable
/// across Rust versions, unlike `std`'s hasher), so adding, removing or renaming one effect
/// leaves every other effect's draws, and the parameters' independent draws, where they were.
fn effect_part(effect: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"shared:".iter().chain(effect.as_bytes()) {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A shared random effect: its name and the varying parameters (spec order) that take its
/// deviate.
struct Effect {
    name: String,
    members: Vec<usize>,
}

/// Most attempts to draw a correlated block of parameters inside their bounds (see
/// [`Sampler::check`], which refuses a block that accepts less than 1% of its draws).
const MAX_BLOCK_TRIES: usize = 100_000;

/// Draws patients for a population spec and a model (typical values from the model).
///
/// Every draw comes from its stated distribution truncated to its bounds (the covariate's
/// range, the dose limits, the parameter's bounds in the model file), never clamped:
/// independent draws by the inverse CDF of the truncated distribution (one uniform number per
/// draw), a block of correlated parameters by redrawing the block until all of it lies within
/// the bounds (the exact truncated multivariate normal).
///
/// A shared random effect (`shared = "eta_CL"`) is one standard-normal deviate per patient,
/// truncated to the intersection of its members' intervals on the deviate (so every member
/// stays within its bounds, and the truncation is exact: one uniform number by the inverse
/// CDF, no redraw), scaled by each member's own ω. It draws from a sub-stream of its own
/// ([`effect_part`]); its members draw nothing from the parameters' stream, which gives its
/// uniform numbers, in spec order, to the independent parameters only. So a model without
/// shared effects draws exactly as before they existed, and adding an effect over parameters
/// that did not vary shifts no other draw. (Making a parameter that varied independently a
/// member does shift the independent draws of the parameters after it in the model's order.)
///
/// Common random numbers: an independent draw keeps its uniform number when an arm moves the
/// typical value or the bounds, so it moves monotonically with them. A correlated block does
/// not have this property: which redraw is accepted depends on the bounds, so an arm that
/// changes a correlated parameter's typical value may draw other values for some patients.
pub struct Sampler<'a> {
    spec: &'a PopulationSpec,
    model: &'a Model,
    cholesky: DMatrix<f64>,
    /// Varying parameters (spec order) that are correlated with another.
    correlated: Vec<bool>,
    /// The shared random effects, in the order of their first member.
    effects: Vec<Effect>,
}

/// A draw that failed: the patient is not evaluable, with this reason.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleFailure {
    /// Why.
    pub message: String,
}

/// The share of a stated distribution that lies outside its bounds (and is redistributed
/// inside them by truncated sampling).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Truncation {
    /// `covariate weight_kg`, `dose per_kg`, `parameter gamma`.
    pub draw: String,
    /// Probability of the untruncated distribution outside the bounds (for parameters: at the
    /// typical value, marginally).
    pub share_outside_bounds: f64,
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
        let correlated = (0..n)
            .map(|i| (0..n).any(|j| j != i && corr[(i, j)].abs() > 0.0))
            .collect();
        let cholesky =
            nalgebra::Cholesky::new(corr).map_or_else(|| DMatrix::identity(n, n), |c| c.l());
        let mut effects: Vec<Effect> = Vec::new();
        for (k, p) in spec.parameters.iter().enumerate() {
            let Some(name) = &p.shared else { continue };
            match effects.iter_mut().find(|e| &e.name == name) {
                Some(e) => e.members.push(k),
                None => effects.push(Effect {
                    name: name.clone(),
                    members: vec![k],
                }),
            }
        }
        Sampler {
            spec,
            model,
            cholesky,
            correlated,
            effects,
        }
    }

    /// The interval of a shared effect's deviate that keeps every member within its bounds.
    fn effect_z_bounds(&self, effect: &Effect) -> (f64, f64) {
        effect
            .members
            .iter()
            .map(|&k| self.z_bounds(k))
            .fold((f64::NEG_INFINITY, f64::INFINITY), |(a, b), (c, d)| {
                (a.max(c), b.min(d))
            })
    }

    /// The bounds of varying parameter `k` (spec order) on its standard-normal deviate, at the
    /// model's current typical value.
    fn z_bounds(&self, k: usize) -> (f64, f64) {
        let p = &self.spec.parameters[k];
        let bounds = &self.model.spec().parameters[p.index];
        let typical = self.model.values()[p.index];
        spread_z_bounds(p.spread, typical, bounds.lower, bounds.upper)
    }

    /// Refuses a population whose draws cannot honour their bounds: a parameter whose
    /// distribution keeps almost nothing inside its bounds, or a correlated block that falls
    /// inside them less than 1% of the time. Call once before a run; `Err` says which.
    pub fn check(&self) -> Result<(), String> {
        if self.spec.dose.is_some() && !self.model.takes(cartkin_core::model::Agent::CarT) {
            return Err(format!(
                "population.dose: model `{}` has no CAR-T route (its dose is built into its parameters); remove [population.dose]",
                self.model.name()
            ));
        }
        for (k, p) in self.spec.parameters.iter().enumerate() {
            let bounds = &self.model.spec().parameters[p.index];
            if matches!(p.spread, Spread::Logitnormal { .. }) && bounds.upper <= bounds.lower {
                return Err(format!(
                    "parameter `{}`: a logit-normal spread needs lower < upper bounds, got [{}, {}]",
                    p.name, bounds.lower, bounds.upper
                ));
            }
            if matches!(p.spread, Spread::Lognormal { .. }) && self.model.values()[p.index] < 0.0 {
                return Err(format!(
                    "parameter `{}`: a lognormal spread needs a typical value >= 0, got {}",
                    p.name,
                    self.model.values()[p.index]
                ));
            }
            let (a, b) = self.z_bounds(k);
            if super::truncated::mass(a, b) < super::truncated::MIN_MASS {
                let bounds = &self.model.spec().parameters[p.index];
                return Err(format!(
                    "parameter `{}`: its distribution around the typical value {} keeps almost \
                     nothing inside its bounds [{}, {}] (an empty truncation interval)",
                    p.name,
                    self.model.values()[p.index],
                    bounds.lower,
                    bounds.upper
                ));
            }
        }
        for e in &self.effects {
            let (a, b) = self.effect_z_bounds(e);
            if super::truncated::mass(a, b) < super::truncated::MIN_MASS {
                return Err(format!(
                    "shared effect `{}`: the bounds of its members ({}) around their typical values leave its deviate no room (an empty truncation interval)",
                    e.name,
                    e.members
                        .iter()
                        .map(|&k| self.spec.parameters[k].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if self.correlated.iter().any(|c| *c) {
            let tries = 2000;
            let mut rng = component(0, 0, 99);
            let accepted = (0..tries)
                .filter(|_| self.correlated_block(&mut rng, 1).is_some())
                .count();
            if accepted * 100 < tries {
                return Err(format!(
                    "the correlated parameters fall inside their bounds together in only {accepted} \
                     of {tries} draws; widen the bounds, lower the correlations or the omegas"
                ));
            }
        }
        Ok(())
    }

    /// The share of each stated distribution outside its bounds (those above 0).
    pub fn truncation(&self) -> Vec<Truncation> {
        let mut out = Vec::new();
        let mut push = |draw: String, (a, b): (f64, f64)| {
            let outside = 1.0 - super::truncated::mass(a, b);
            if outside > 1e-12 {
                out.push(Truncation {
                    draw,
                    share_outside_bounds: outside,
                });
            }
        };
        for (name, d) in &self.spec.covariates {
            push(format!("covariate {name}"), draw_z_bounds(d));
        }
        match &self.spec.dose {
            Some(DoseRule::PerKg { per_kg, flat_above }) => {
                push("dose per_kg".into(), draw_z_bounds(per_kg));
                if let Some((_, flat)) = flat_above {
                    push("dose flat".into(), draw_z_bounds(flat));
                }
            }
            Some(DoseRule::Flat { cells }) => push("dose flat".into(), draw_z_bounds(cells)),
            None => {}
        }
        for (k, p) in self.spec.parameters.iter().enumerate() {
            if p.shared.is_none() {
                push(format!("parameter {}", p.name), self.z_bounds(k));
            }
        }
        for e in &self.effects {
            push(format!("shared effect {}", e.name), self.effect_z_bounds(e));
        }
        out
    }

    /// The correlated parameters' deviates, redrawn until all lie within their bounds
    /// (`None` after `tries` draws).
    fn correlated_block(&self, rng: &mut StdRng, tries: usize) -> Option<DVector<f64>> {
        let n = self.spec.parameters.len();
        for _ in 0..tries {
            let iid = DVector::from_fn(n, |i, _| {
                if self.correlated[i] {
                    rng.sample::<f64, _>(StandardNormal)
                } else {
                    0.0
                }
            });
            let z = &self.cholesky * iid;
            let inside = (0..n).filter(|&k| self.correlated[k]).all(|k| {
                let (a, b) = self.z_bounds(k);
                z[k] >= a && z[k] <= b
            });
            if inside {
                return Some(z);
            }
        }
        None
    }

    /// Patient `index` of a run seeded with `seed`. Covariates, dose, parameters and event
    /// times come from separate sub-streams of the patient's stream.
    pub fn patient(&self, seed: u64, index: usize) -> Result<VirtualPatient, SampleFailure> {
        let mut rng = component(seed, index, 1);
        let typical = self.model.spec().defaults.patient;
        let mut covariate = |name: &str, default: f64| {
            self.spec
                .covariates
                .get(name)
                .map_or(default, |d| draw(d, rng.random::<f64>()))
        };
        let weight = covariate("weight_kg", typical.weight_kg);
        let height = covariate("height_cm", typical.height_cm);
        let age = covariate("age_years", typical.age_years);
        let egfr = covariate("egfr", typical.egfr);
        // draws lie within the covariates' ranges, so this fails only for a hand-built spec
        let patient = Patient::new(weight, height, None, egfr, age, "population").map_err(|e| {
            SampleFailure {
                message: format!("covariates drawn outside their valid ranges: {e}"),
            }
        })?;
        let mut rng = component(seed, index, 2);
        let u = rng.random::<f64>();
        let dose_cells = self.spec.dose.map(|rule| match rule {
            DoseRule::PerKg {
                flat_above: Some((kg, flat)),
                ..
            } if patient.weight_kg > kg => draw(&flat, u),
            DoseRule::PerKg { per_kg, .. } => draw(&per_kg, u) * patient.weight_kg,
            DoseRule::Flat { cells } => draw(&cells, u),
        });
        let mut rng = component(seed, index, 3);
        // one uniform per independent parameter, in spec order (members of a shared effect
        // take theirs from the effect's stream, below)
        let uniforms: Vec<f64> = self
            .spec
            .parameters
            .iter()
            .map(|p| {
                if p.shared.is_none() {
                    rng.random::<f64>()
                } else {
                    f64::NAN
                }
            })
            .collect();
        let mut shared_z: Vec<Option<f64>> = vec![None; self.spec.parameters.len()];
        for e in &self.effects {
            let u = component(seed, index, effect_part(&e.name)).random::<f64>();
            let (a, b) = self.effect_z_bounds(e);
            let z = super::truncated::deviate(u, a, b);
            for &k in &e.members {
                shared_z[k] = Some(z);
            }
        }
        let block = if self.correlated.iter().any(|c| *c) {
            let mut rng = component(seed, index, 5);
            Some(
                self.correlated_block(&mut rng, MAX_BLOCK_TRIES)
                    .ok_or_else(|| SampleFailure {
                        message: format!(
                            "no draw of the correlated parameters inside their bounds in {MAX_BLOCK_TRIES} tries"
                        ),
                    })?,
            )
        } else {
            None
        };
        let mut values = self.model.values().to_vec();
        for (k, p) in self.spec.parameters.iter().enumerate() {
            let bounds = &self.model.spec().parameters[p.index];
            let z = match (&block, shared_z[k]) {
                (_, Some(z)) => z,
                (Some(z), None) if self.correlated[k] => z[k],
                _ => {
                    let (a, b) = self.z_bounds(k);
                    super::truncated::deviate(uniforms[k], a, b)
                }
            };
            let v = spread_value(p.spread, values[p.index], bounds.lower, bounds.upper, z);
            // inside the bounds by construction; round-off at a bound stays at the bound
            values[p.index] = v.clamp(bounds.lower, bounds.upper);
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
        Ok(VirtualPatient {
            index,
            patient,
            dose_cells,
            values,
            death_day,
            dropout_day,
        })
    }
}

/// A parameter's value at standard-normal deviate `z` around `typical`.
fn spread_value(spread: Spread, typical: f64, lower: f64, upper: f64, z: f64) -> f64 {
    match spread {
        Spread::Lognormal { omega } => typical * (omega * z).exp(),
        Spread::Logitnormal { omega } => {
            let u = ((typical - lower) / (upper - lower)).clamp(1e-12, 1.0 - 1e-12);
            lower + (upper - lower) / (1.0 + (-((u / (1.0 - u)).ln() + omega * z)).exp())
        }
        Spread::Normal { sd } => typical + sd * z,
        Spread::Uniform { lower, upper } => {
            lower + (upper - lower) * cartkin_core::stats::normal_cdf(z)
        }
    }
}

/// The interval of the deviate `z` whose values lie within `[lower, upper]` (the whole line
/// for spreads that cannot leave the bounds).
pub(super) fn spread_z_bounds(spread: Spread, typical: f64, lower: f64, upper: f64) -> (f64, f64) {
    let all = (f64::NEG_INFINITY, f64::INFINITY);
    match spread {
        Spread::Lognormal { omega } if omega > 0.0 && typical > 0.0 => {
            let z = |x: f64| {
                if x <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    (x / typical).ln() / omega
                }
            };
            (z(lower), z(upper))
        }
        Spread::Normal { sd } if sd > 0.0 => ((lower - typical) / sd, (upper - typical) / sd),
        // no spread, logit-normal and uniform stay within the bounds by construction
        _ => all,
    }
}

/// The interval of the deviate of a covariate or dose draw within its bounds.
fn draw_z_bounds(d: &Draw) -> (f64, f64) {
    match *d {
        Draw::Lognormal {
            median,
            cv,
            lower,
            upper,
        } => {
            let omega = (1.0 + cv * cv).ln().sqrt();
            if omega > 0.0 {
                let z = |x: f64| {
                    if x <= 0.0 {
                        f64::NEG_INFINITY
                    } else {
                        (x / median).ln() / omega
                    }
                };
                (z(lower), z(upper))
            } else {
                (f64::NEG_INFINITY, f64::INFINITY)
            }
        }
        Draw::Normal {
            mean,
            sd,
            lower,
            upper,
        } if sd > 0.0 => ((lower - mean) / sd, (upper - mean) / sd),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// The value of a covariate or dose distribution, truncated to its bounds, at uniform `u`.
fn draw(d: &Draw, u: f64) -> f64 {
    let z = || {
        let (a, b) = draw_z_bounds(d);
        super::truncated::deviate(u, a, b)
    };
    match *d {
        Draw::Fixed { value } => value,
        Draw::Uniform { lower, upper } => lower + (upper - lower) * u,
        Draw::Lognormal {
            median,
            cv,
            lower,
            upper,
        } => {
            let omega = (1.0 + cv * cv).ln().sqrt();
            (median * (omega * z()).exp()).clamp(lower, upper)
        }
        Draw::Normal {
            mean,
            sd,
            lower,
            upper,
        } => (mean + sd * z()).clamp(lower, upper),
    }
}
