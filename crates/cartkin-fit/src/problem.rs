//! The estimation problem: which parameters are free, on which scale, and the −2 log-likelihood
//! of the data given them.

use cartkin_core::model::Model;
use cartkin_core::outcome::MAX_COLUMNS;
use cartkin_core::patient::Patient;
use cartkin_core::regimen::Dose;
use cartkin_core::simulate::{Request, simulate};
use cartkin_core::solve::SolverOptions;
use serde::Serialize;

use crate::error_model::{BlqMethod, ErrorModel, PENALTY};
use crate::transform::Transform;

/// What a free parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A model parameter (index in the model's parameter list).
    Model(usize),
    /// The additive residual SD `a`.
    SigmaAdd,
    /// The proportional residual SD `b`.
    SigmaProp,
}

/// A free parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreeParameter {
    /// Name (model symbol, `sigma_add` or `sigma_prop`).
    pub name: String,
    /// What it sets.
    pub target: Target,
    /// Estimation scale.
    pub transform: Transform,
    /// Starting value (natural scale).
    pub initial: f64,
    /// Lower bound (natural scale).
    pub lower: f64,
    /// Upper bound (natural scale).
    pub upper: f64,
}

/// One observation ready for the likelihood.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Time [day].
    pub time: f64,
    /// Model column (state or observable index).
    pub column: usize,
    /// Column name.
    pub output: String,
    /// Observed value (NaN for a BLQ record without one).
    pub value: f64,
    /// Below the limit of quantification.
    pub blq: bool,
    /// Limit of quantification (NaN if unknown).
    pub lloq: f64,
    /// Line in the data file.
    pub line: usize,
}

/// One subject's simulation inputs and observations.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectData {
    /// Identifier.
    pub id: String,
    /// Covariates.
    pub patient: Patient,
    /// Doses.
    pub doses: Vec<Dose>,
    /// Observations, in time order.
    pub points: Vec<Point>,
}

/// Everything needed to evaluate −2LL(θ).
#[derive(Clone)]
pub struct Problem {
    /// The model with fixed parameters at their values.
    pub model: Model,
    /// Free parameters.
    pub free: Vec<FreeParameter>,
    /// Residual error model (values of fixed SDs).
    pub error: ErrorModel,
    /// BLQ handling.
    pub blq: BlqMethod,
    /// Subjects.
    pub subjects: Vec<SubjectData>,
    /// Solver settings for every simulation.
    pub options: SolverOptions,
}

/// Penalty weight per unit of θ beyond a parameter's bounds.
const BOUND_PENALTY: f64 = 1e6;

impl Problem {
    /// Number of free parameters.
    pub fn n_free(&self) -> usize {
        self.free.len()
    }

    /// Starting point on the estimation scale.
    pub fn theta0(&self) -> Vec<f64> {
        self.free
            .iter()
            .map(|p| p.transform.to_theta(p.initial))
            .collect()
    }

    /// Natural-scale values of θ, clamped to the bounds, and the penalty for leaving them.
    pub fn natural(&self, theta: &[f64]) -> (Vec<f64>, f64) {
        let mut penalty = 0.0;
        let values = self
            .free
            .iter()
            .zip(theta)
            .map(|(p, &t)| {
                let v = p.transform.to_param(t);
                let clamped = v.clamp(p.lower, p.upper);
                if !v.is_finite() {
                    penalty += BOUND_PENALTY;
                } else if clamped != v {
                    let inside = p.transform.to_theta(clamped);
                    penalty += BOUND_PENALTY * (t - inside) * (t - inside);
                }
                if clamped.is_finite() {
                    clamped
                } else {
                    p.initial
                }
            })
            .collect();
        (values, penalty)
    }

    /// The model and error model at natural values `values` of the free parameters.
    pub fn bind(&self, values: &[f64]) -> (Model, ErrorModel) {
        let mut model = self.model.clone();
        let mut error = self.error;
        for (p, &v) in self.free.iter().zip(values) {
            match p.target {
                // values are clamped to bounds within the model's own bounds (checked at set-up)
                Target::Model(i) => {
                    let _ = model.set_index(i, v);
                }
                Target::SigmaAdd => error.a = v,
                Target::SigmaProp => error.b = v,
            }
        }
        (model, error)
    }

    /// Model predictions at a subject's observation times, or `None` if the simulation failed.
    pub fn predictions(&self, model: &Model, subject: &SubjectData) -> Option<Vec<f64>> {
        let last = subject.points.last()?.time;
        let first = subject.points.first()?.time;
        let request = Request {
            model,
            patient: subject.patient,
            doses: subject.doses.clone(),
            start: Some(first.min(0.0)),
            days: last.max(first.min(0.0) + 1e-6),
            options: self.options,
        };
        let sim = simulate(&request).ok()?;
        let mut buf = [0.0; MAX_COLUMNS];
        subject
            .points
            .iter()
            .map(|p| sim.columns_at(p.time, &mut buf).then(|| buf[p.column]))
            .collect()
    }

    /// Simulates every subject at the starting values, so that a model that cannot be simulated
    /// for some subject fails with the reason instead of an optimization of penalties.
    pub fn check(&self) -> Result<(), crate::error::FitError> {
        let (values, _) = self.natural(&self.theta0());
        let (model, _) = self.bind(&values);
        for s in self.subjects.iter().filter(|s| !s.points.is_empty()) {
            let (first, last) = (s.points[0].time, s.points[s.points.len() - 1].time);
            let request = Request {
                model: &model,
                patient: s.patient,
                doses: s.doses.clone(),
                start: Some(first.min(0.0)),
                days: last.max(first.min(0.0) + 1e-6),
                options: self.options,
            };
            simulate(&request).map_err(|e| crate::error::FitError::Setting {
                setting: format!("subject {}", s.id),
                message: format!("cannot be simulated at the starting values: {e}"),
            })?;
        }
        Ok(())
    }

    /// −2LL of one subject's observations given the model and error model.
    pub fn subject_minus2ll(
        &self,
        model: &Model,
        error: &ErrorModel,
        subject: &SubjectData,
    ) -> f64 {
        let Some(pred) = self.predictions(model, subject) else {
            return PENALTY;
        };
        subject
            .points
            .iter()
            .zip(pred)
            .map(|(p, f)| match (p.blq, self.blq) {
                (false, _) => error.minus2ll(f, p.value),
                (true, BlqMethod::Drop) => 0.0,
                (true, BlqMethod::M3) => error.minus2ll_blq(f, p.lloq),
            })
            .sum::<f64>()
            .min(PENALTY)
    }

    /// −2LL of the given subjects at θ (plus the bound penalty). Subjects are summed in order,
    /// so the value is the same whatever the thread count.
    pub fn minus2ll(&self, theta: &[f64], subjects: &[usize]) -> f64 {
        let (values, penalty) = self.natural(theta);
        let (model, error) = self.bind(&values);
        let total: f64 = subjects
            .iter()
            .map(|&s| self.subject_minus2ll(&model, &error, &self.subjects[s]))
            .sum();
        if total.is_finite() {
            total + penalty
        } else {
            PENALTY
        }
    }

    /// Number of observations entering the likelihood for these subjects.
    pub fn n_observations(&self, subjects: &[usize]) -> usize {
        subjects
            .iter()
            .map(|&s| {
                self.subjects[s]
                    .points
                    .iter()
                    .filter(|p| !p.blq || self.blq == BlqMethod::M3)
                    .count()
            })
            .sum()
    }
}
