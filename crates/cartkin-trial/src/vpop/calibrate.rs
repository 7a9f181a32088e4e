//! Calibrating population hyperparameters to clinical targets.
//!
//! Chosen hyperparameters — a parameter's typical value or its between-patient ω — are
//! estimated on a log scale within bounds by minimizing the discrepancy of
//! [`Targets::compare`] over a virtual population drawn with common random numbers (the same
//! seed, hence the same patients' random draws, at every evaluation). CRS grade bin edges are
//! not free parameters: after each simulation they are set so that the simulated grade
//! frequencies equal the targets (no IL-6 level defines a CRS grade clinically; the edges are
//! a mapping fitted to grade frequencies), and the fresh-seed check tests them out of sample.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;
use argmin::solver::particleswarm::ParticleSwarm;
use cartkin_core::model::Model;
use cartkin_core::regimen::Regimen;
use cartkin_core::solve::SolverOptions;
use serde::Serialize;

use super::run::{PatientResult, simulate_population};
use super::spec::{PopulationSpec, Spread};
use super::targets::{Comparison, Targets};
use crate::endpoint::{Endpoint, Summary, Var, summarize};
use crate::error::TrialError;

/// What a free hyperparameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hyper {
    /// The parameter's typical value (in the model file).
    Typical,
    /// Its between-patient ω (log or logit scale).
    Omega,
}

/// A free hyperparameter with bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Free {
    /// Model parameter.
    pub parameter: String,
    /// Typical value or ω.
    pub hyper: Hyper,
    /// Lower bound (positive).
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl std::str::FromStr for Free {
    type Err = String;
    /// `NAME:typical:LO:HI` or `NAME:omega:LO:HI`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let [name, hyper, lo, hi] = parts[..] else {
            return Err(format!(
                "`{s}`: expected NAME:typical:LOWER:UPPER or NAME:omega:LOWER:UPPER"
            ));
        };
        let hyper = match hyper {
            "typical" => Hyper::Typical,
            "omega" => Hyper::Omega,
            other => {
                return Err(format!(
                    "`{s}`: expected `typical` or `omega`, got `{other}`"
                ));
            }
        };
        let num = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("`{s}`: `{v}` is not a number"))
        };
        let (lower, upper) = (num(lo)?, num(hi)?);
        if !(lower > 0.0 && upper > lower && upper.is_finite()) {
            return Err(format!("`{s}`: expected 0 < LOWER < UPPER"));
        }
        Ok(Free {
            parameter: name.to_string(),
            hyper,
            lower,
            upper,
        })
    }
}

/// Which optimizer drives the calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Nelder–Mead from the model's current values (and from random starts with `starts` > 1).
    NelderMead,
    /// A seeded particle swarm over the log box, its best particle polished by Nelder–Mead.
    ParticleSwarm,
}

/// Settings of a calibration run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Nelder–Mead starts (the first from the current values, the others uniform in the box).
    pub starts: usize,
    /// Patients per evaluation.
    pub n: usize,
    /// Seed of the calibration draw.
    pub seed: u64,
    /// Nelder–Mead iteration limit.
    pub max_iters: u64,
    /// Solver settings of each patient.
    pub options: SolverOptions,
    /// Fit the CRS grade edges to the grade targets at every evaluation (a first calibration,
    /// which sets the one grade map); `false` keeps the model's edges, so a second trial's CRS
    /// rates are predictions of the same map.
    pub fit_crs_edges: bool,
    /// Points of each hyperparameter's discrepancy slice after the fit (0: none); see
    /// [`Slice`].
    pub slice_points: usize,
}

/// The problem: model, population, regimen, targets and what is free.
pub struct Calibration<'a> {
    /// Model with its typical values.
    pub model: &'a Model,
    /// Population specification.
    pub spec: &'a PopulationSpec,
    /// Regimen.
    pub regimen: &'a Regimen,
    /// Targets.
    pub targets: &'a Targets,
    /// Free hyperparameters.
    pub free: Vec<Free>,
    /// Settings.
    pub settings: Settings,
}

/// One evaluation of a hyperparameter vector.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Endpoints.
    pub summary: Summary,
    /// Target by target.
    pub comparisons: Vec<Comparison>,
    /// Total discrepancy.
    pub discrepancy: f64,
    /// CRS grade edges used (fitted to the targets).
    pub crs_grade_edges: Vec<f64>,
    /// Patients.
    #[serde(skip)]
    pub patients: Vec<PatientResult>,
}

/// The result of a calibration.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Free hyperparameters and their calibrated values.
    pub values: Vec<(Free, f64)>,
    /// The calibration draw.
    pub calibration: Evaluation,
    /// A fresh draw (new patients) with the calibrated values and edges.
    pub fresh: Evaluation,
    /// Seeds of both draws.
    pub seeds: [u64; 2],
    /// Discrepancy evaluations made, the slices' included.
    pub evaluations: u64,
    /// Free hyperparameters that ended within 1% (on the log scale) of a bound: the targets
    /// pull beyond the allowed range, a sign of a mechanism the model lacks or of wrong bounds.
    pub at_bounds: Vec<String>,
    /// The discrepancy along each free hyperparameter, the others held at their calibrated
    /// values (empty with `slice_points` 0).
    pub slices: Vec<Slice>,
}

/// Rise of the discrepancy that bounds a hyperparameter's range on its slice: 3.84, the 95%
/// point of χ² with one degree of freedom. The discrepancy is a deviance (binomial deviances and
/// squared z-scores), so a rise of 3.84 is where the targets reject a value at the 5% level —
/// for a slice, with the others fixed, a range narrower than a profile's.
pub const SLICE_RISE: f64 = 3.84;

/// The discrepancy along one free hyperparameter, on a log grid of ±1 (×/÷ e) around its
/// calibrated value within its bounds, the others held at their calibrated values (a slice,
/// not a profile: they are not re-optimized, so it shows what the targets say about this value
/// alone, and understates how far it can move if another compensates).
#[derive(Debug, Clone, Serialize)]
pub struct Slice {
    /// The hyperparameter.
    pub free: Free,
    /// Its calibrated value.
    pub value: f64,
    /// (value, discrepancy − the calibrated discrepancy), in increasing value.
    pub points: Vec<(f64, f64)>,
    /// Lowest and highest grid value whose rise is below [`SLICE_RISE`]; `None` where the
    /// rise stays below it up to the grid's end (not bounded by the targets within ×/÷ e, or
    /// within the hyperparameter's bounds).
    pub range: (Option<f64>, Option<f64>),
}

impl Calibration<'_> {
    /// Checks the free hyperparameters against the model and the population.
    pub fn validate(&self) -> Result<(), TrialError> {
        // a kept grade map must exist: a default in its place would be a map nobody fitted
        if !self.settings.fit_crs_edges && self.model.spec().outcomes.crs_grade_edges.is_none() {
            return Err(TrialError::Setting {
                setting: "keep_crs_edges".into(),
                message: format!(
                    "model `{}` has no CRS grade edges (outcomes.crs_grade_edges) to keep",
                    self.model.name()
                ),
            });
        }
        for (k, f) in self.free.iter().enumerate() {
            if self.free[..k]
                .iter()
                .any(|g| g.parameter == f.parameter && g.hyper == f.hyper)
            {
                return Err(TrialError::Setting {
                    setting: "free".into(),
                    message: format!(
                        "`{}:{}` is freed twice; expected each hyperparameter once",
                        f.parameter,
                        match f.hyper {
                            Hyper::Typical => "typical",
                            Hyper::Omega => "omega",
                        }
                    ),
                });
            }
            let Some(i) = self.model.spec().parameter_index(&f.parameter) else {
                return Err(TrialError::Setting {
                    setting: "free".into(),
                    message: format!("unknown parameter `{}`", f.parameter),
                });
            };
            let p = &self.model.spec().parameters[i];
            match f.hyper {
                Hyper::Typical if f.lower < p.lower || f.upper > p.upper => {
                    return Err(TrialError::Setting {
                        setting: "free".into(),
                        message: format!(
                            "bounds of `{}` must lie within the model's [{}, {}]",
                            f.parameter, p.lower, p.upper
                        ),
                    });
                }
                // a uniform spread spans the parameter's bounds whatever its typical value, so a
                // calibrated typical value would change nothing in the population (and only the
                // typical patient outside it)
                Hyper::Typical
                    if self.spec.parameters.iter().any(|v| {
                        v.name == f.parameter && matches!(v.spread, Spread::Uniform { .. })
                    }) =>
                {
                    return Err(TrialError::Setting {
                        setting: "free".into(),
                        message: format!(
                            "`{}` is drawn uniformly over its bounds in the population, so its typical value has no effect on the patients; free another parameter",
                            f.parameter
                        ),
                    });
                }
                Hyper::Omega
                    if !self.spec.parameters.iter().any(|v| {
                        v.name == f.parameter
                            && matches!(
                                v.spread,
                                Spread::Lognormal { .. } | Spread::Logitnormal { .. }
                            )
                    }) =>
                {
                    return Err(TrialError::Setting {
                        setting: "free".into(),
                        message: format!(
                            "`{}` has no log- or logit-normal variability in the population to calibrate the ω of",
                            f.parameter
                        ),
                    });
                }
                _ => {}
            }
        }
        self.targets
            .check_model(self.model.spec())
            .and_then(|()| self.targets.check_follow_up(self.spec.follow_up_days))
            .map_err(|message| TrialError::Setting {
                setting: "targets".into(),
                message,
            })?;
        self.spec
            .check_dose_cap(
                self.model.spec().defaults.patient.weight_kg,
                self.regimen.car_t_fraction(),
            )
            .map_err(|message| TrialError::Setting {
                setting: "[population]".into(),
                message,
            })?;
        super::Sampler::new(self.spec, self.model)
            .check()
            .map_err(|message| TrialError::Setting {
                setting: "[population]".into(),
                message,
            })?;
        Ok(())
    }

    /// The model and population with free hyperparameters at `values`.
    pub fn apply(&self, values: &[f64]) -> (Model, PopulationSpec) {
        let mut model = self.model.clone();
        let mut spec = self.spec.clone();
        for (f, &v) in self.free.iter().zip(values) {
            match f.hyper {
                Hyper::Typical => {
                    let _ = model.set(&f.parameter, v); // within the model's bounds (validated)
                }
                Hyper::Omega => {
                    for p in spec.parameters.iter_mut().filter(|p| p.name == f.parameter) {
                        match &mut p.spread {
                            Spread::Lognormal { omega } | Spread::Logitnormal { omega } => {
                                *omega = v
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        (model, spec)
    }

    /// Simulates and scores hyperparameter values with a seed (CRS edges fitted when `edges` is
    /// None, else applied).
    pub fn evaluate(&self, values: &[f64], seed: u64, edges: Option<&[f64]>) -> Evaluation {
        let (model, spec) = self.apply(values);
        // known edges (the fresh draw) are simulated with: grades and CRS onset then come from
        // the trajectories themselves
        let model = match edges {
            Some(e) => with_crs_edges(model, e),
            None => model,
        };
        let mut patients = simulate_population(
            &model,
            &spec,
            self.regimen,
            self.settings.n,
            seed,
            self.settings.options,
            &|| {},
        );
        let edges = match edges {
            Some(e) => e.to_vec(),
            None => fit_edges(
                &patients,
                self.targets,
                model
                    .spec()
                    .outcomes
                    .crs_grade_edges
                    .as_deref()
                    .unwrap_or(&[20.0, 100.0, 400.0, 1500.0]),
            ),
        };
        let onset_known = model
            .spec()
            .outcomes
            .crs_grade_edges
            .as_ref()
            .is_some_and(|m| m.first() == edges.first());
        for p in &mut patients {
            if let Some(peak) = p.record.value(Var::CrsPeak) {
                let grade = edges.iter().filter(|e| peak >= **e).count();
                p.record.set(Var::CrsGrade, grade as f64);
            }
            // onset is the first crossing of the grade-1 edge: with a refitted edge it is not
            // known without the trajectory, so it is not reported (never a stale day)
            if !onset_known {
                p.record.set(Var::CrsOnsetDay, f64::NAN);
            }
        }
        let summary = summarize(&patients, &self.targets.report_months());
        let comparisons = self.targets.compare(&summary);
        let discrepancy = comparisons.iter().map(|c| c.discrepancy).sum();
        Evaluation {
            summary,
            comparisons,
            discrepancy,
            crs_grade_edges: edges,
            patients,
        }
    }

    /// Runs Nelder–Mead from the model's current values, then evaluates a fresh draw.
    pub fn run(&self, progress: &(dyn Fn(u64, f64) + Sync)) -> Result<Report, TrialError> {
        self.validate()?;
        let evaluations = std::sync::atomic::AtomicU64::new(0);
        let cost = || Cost {
            calibration: self,
            evaluations: &evaluations,
            progress,
        };
        let first: Vec<f64> = self
            .free
            .iter()
            .map(|f| self.current(f).clamp(f.lower, f.upper).ln())
            .collect();
        let (lower, upper): (Vec<f64>, Vec<f64>) = self
            .free
            .iter()
            .map(|f| (f.lower.ln(), f.upper.ln()))
            .unzip();
        // starts: the current values, then (multistart) uniform points of the log box, or the
        // best particle of a seeded swarm
        let mut starts = vec![first.clone()];
        let mut rng = crate::vpop::sample::stream(self.settings.seed, usize::MAX);
        for _ in 1..self.settings.starts.max(1) {
            starts.push(
                lower
                    .iter()
                    .zip(&upper)
                    .map(|(lo, hi)| lo + (hi - lo) * rand::RngExt::random::<f64>(&mut rng))
                    .collect(),
            );
        }
        if self.settings.optimizer == Optimizer::ParticleSwarm {
            use rand_xoshiro::rand_core::SeedableRng as _;
            let swarm = ParticleSwarm::new((lower.clone(), upper.clone()), 10 + 2 * first.len())
                .with_rng_generator(rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
                    self.settings.seed,
                ));
            let res = Executor::new(cost(), swarm)
                .configure(|s| s.max_iters(self.settings.max_iters / 4))
                .run()
                .map_err(|e| TrialError::Optimizer(e.to_string()))?;
            if let Some(p) = res.state().get_best_param() {
                starts[0] = p.position.clone();
            }
        }
        let mut best: Option<(Vec<f64>, f64)> = None;
        for start in starts {
            let simplex: Vec<Vec<f64>> = std::iter::once(start.clone())
                .chain((0..start.len()).map(|i| {
                    let mut v = start.clone();
                    // a step of a fifth of the log range (at least ×1.3), towards the box's inside
                    let step = ((self.free[i].upper / self.free[i].lower).ln() / 5.0).max(0.26);
                    v[i] += if v[i] + step <= upper[i] { step } else { -step };
                    v
                }))
                .collect();
            let solver = NelderMead::new(simplex)
                .with_sd_tolerance(1e-3)
                .map_err(|e| TrialError::Optimizer(e.to_string()))?;
            let res = Executor::new(cost(), solver)
                .configure(|s| s.max_iters(self.settings.max_iters))
                .run()
                .map_err(|e| TrialError::Optimizer(e.to_string()))?;
            let (x, f) = (
                res.state().get_best_param().cloned().unwrap_or(start),
                res.state().get_best_cost(),
            );
            if best.as_ref().is_none_or(|b| f < b.1) {
                best = Some((x, f));
            }
        }
        let best = best.map_or(first, |b| b.0);
        let values: Vec<f64> = self
            .free
            .iter()
            .zip(&best)
            .map(|(f, x)| x.exp().clamp(f.lower, f.upper))
            .collect();
        let kept = self.kept_edges();
        let calibration = self.evaluate(&values, self.settings.seed, kept.as_deref());
        let fresh_seed = self.settings.seed.wrapping_add(1);
        let fresh = self.evaluate(&values, fresh_seed, Some(&calibration.crs_grade_edges));
        let at_bounds = self
            .free
            .iter()
            .zip(&values)
            .filter_map(|(f, v)| {
                let span = (f.upper / f.lower).ln();
                let (lo, hi) = ((v / f.lower).ln() / span, (f.upper / v).ln() / span);
                (lo < 0.01 || hi < 0.01).then(|| {
                    format!(
                        "{} {:?} = {v:.4e} is at its {} bound",
                        f.parameter,
                        f.hyper,
                        if lo < 0.01 { "lower" } else { "upper" }
                    )
                })
            })
            .collect();
        let slices = self.slices(&values, calibration.discrepancy, &evaluations, progress);
        Ok(Report {
            slices,
            at_bounds,
            values: self.free.iter().cloned().zip(values).collect(),
            calibration,
            fresh,
            seeds: [self.settings.seed, fresh_seed],
            evaluations: evaluations.load(std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Each free hyperparameter's [`Slice`] through `values` (the calibrated values, whose
    /// discrepancy is `at`), on the calibration draw; each evaluation is counted in
    /// `evaluations` and reported to `progress` like the optimizer's.
    fn slices(
        &self,
        values: &[f64],
        at: f64,
        evaluations: &std::sync::atomic::AtomicU64,
        progress: &(dyn Fn(u64, f64) + Sync),
    ) -> Vec<Slice> {
        let k = self.settings.slice_points;
        if k < 2 {
            return Vec::new();
        }
        let kept = self.kept_edges();
        self.free
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let centre = values[i].ln();
                let (lo, hi) = (
                    (centre - 1.0).max(f.lower.ln()),
                    (centre + 1.0).min(f.upper.ln()),
                );
                let mut points: Vec<(f64, f64)> = (0..k)
                    .map(|j| (lo + (hi - lo) * j as f64 / (k - 1) as f64).exp())
                    .filter(|v| (v.ln() - centre).abs() > 1e-9)
                    .map(|v| {
                        let mut x = values.to_vec();
                        x[i] = v;
                        let d = self
                            .evaluate(&x, self.settings.seed, kept.as_deref())
                            .discrepancy;
                        let k = evaluations.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(k, d);
                        (v, d - at)
                    })
                    .collect();
                points.push((values[i], 0.0));
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                // the contiguous run of points below the rise around the calibrated value; a
                // point that could not be evaluated (NaN) ends the run, and the report says so
                let c = points.iter().position(|p| p.0 == values[i]).unwrap_or(0);
                let below = |p: &(f64, f64)| p.1 < SLICE_RISE;
                let first = (0..=c)
                    .rev()
                    .take_while(|&j| below(&points[j]))
                    .last()
                    .unwrap_or(c);
                let last = (c..points.len())
                    .take_while(|&j| below(&points[j]))
                    .last()
                    .unwrap_or(c);
                let range = (
                    (first > 0).then(|| points[first].0),
                    (last + 1 < points.len()).then(|| points[last].0),
                );
                Slice {
                    free: f.clone(),
                    value: values[i],
                    points,
                    range,
                }
            })
            .collect()
    }

    /// The model's CRS grade edges when they are kept (not fitted), else `None`.
    fn kept_edges(&self) -> Option<Vec<f64>> {
        (!self.settings.fit_crs_edges).then(|| {
            self.model
                .spec()
                .outcomes
                .crs_grade_edges
                .clone()
                // refused by `validate` when the model has none
                .unwrap_or_default()
        })
    }

    /// The free hyperparameters' values before calibration (the model's typical values and
    /// the population's ωs), within their bounds.
    pub fn start_values(&self) -> Vec<(Free, f64)> {
        self.free
            .iter()
            .map(|f| (f.clone(), self.current(f).clamp(f.lower, f.upper)))
            .collect()
    }

    fn current(&self, f: &Free) -> f64 {
        match f.hyper {
            Hyper::Typical => self.model.get(&f.parameter).unwrap_or(f.lower),
            Hyper::Omega => self
                .spec
                .parameters
                .iter()
                .find(|p| p.name == f.parameter)
                .and_then(|p| match p.spread {
                    Spread::Lognormal { omega } | Spread::Logitnormal { omega } => Some(omega),
                    _ => None,
                })
                .unwrap_or(f.lower),
        }
    }
}

struct Cost<'c, 'a> {
    calibration: &'c Calibration<'a>,
    evaluations: &'c std::sync::atomic::AtomicU64,
    progress: &'c (dyn Fn(u64, f64) + Sync),
}

impl CostFunction for Cost<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        let c = self.calibration;
        let mut penalty = 0.0;
        let values: Vec<f64> = c
            .free
            .iter()
            .zip(x)
            .map(|(f, &t)| {
                let (lo, hi) = (f.lower.ln(), f.upper.ln());
                let inside = t.clamp(lo, hi);
                penalty += 1e3 * (t - inside) * (t - inside);
                inside.exp()
            })
            .collect();
        let kept = c.kept_edges();
        let d = c
            .evaluate(&values, c.settings.seed, kept.as_deref())
            .discrepancy
            + penalty;
        let k = self
            .evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        (self.progress)(k, d);
        Ok(d)
    }
}

/// `model` with CRS grade edges `edges` (unchanged if the edges are refused, e.g. not
/// increasing: the grades are then recomputed from the peaks).
fn with_crs_edges(model: Model, edges: &[f64]) -> Model {
    let mut spec = model.spec().clone();
    spec.outcomes.crs_grade_edges = Some(edges.to_vec());
    let Ok(mut edged) = Model::from_spec(spec) else {
        return model;
    };
    // `from_spec` starts from the file's values: carry over the calibrated typical values
    for (i, &v) in model.values().iter().enumerate() {
        if edged.set_index(i, v).is_err() {
            return model;
        }
    }
    edged
}

/// CRS bin edges that reproduce the targeted grade frequencies on these patients: grade ≥ 1 for
/// the share `crs_any_grade`, grade ≥ 3 for `crs_grade3plus`; grade 2 and 4 edges are placed
/// geometrically between and beyond. Missing targets keep the model's edges.
fn fit_edges(patients: &[PatientResult], targets: &Targets, model_edges: &[f64]) -> Vec<f64> {
    let mut peaks: Vec<f64> = patients
        .iter()
        .filter(|p| p.error.is_none())
        .filter_map(|p| p.record.value(Var::CrsPeak))
        .collect();
    peaks.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = model_edges.to_vec();
    if peaks.is_empty() || edges.len() != 4 {
        return edges;
    }
    // the edge above which a share `share` of the peaks lies
    let above = |share: f64| {
        let k = ((1.0 - share) * peaks.len() as f64).round() as usize;
        match k {
            0 => peaks[0] * 0.999,
            k if k >= peaks.len() => peaks[peaks.len() - 1] * 1.001,
            k => (peaks[k - 1] * peaks[k]).sqrt(),
        }
    };
    if let Some(t) = targets.rate(Endpoint::CrsAnyGrade) {
        edges[0] = above(t.value);
    }
    if let Some(t) = targets.rate(Endpoint::CrsGrade3Plus) {
        edges[2] = above(t.value).max(edges[0] * 1.01);
    }
    edges[1] = (edges[0] * edges[2]).sqrt();
    edges[3] = edges[3].max(edges[2] * (edges[2] / edges[1]));
    edges
}
