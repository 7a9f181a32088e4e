//! Turning a dataset, a model and the user's choices into a [`Problem`].

mod subject;

use std::collections::BTreeMap;

use cartkin_core::model::{Model, ModelSpec};
use cartkin_core::regimen::{CarTDose, Regimen};
use cartkin_core::solve::SolverOptions;

use crate::data::Dataset;
use crate::error::FitError;
use crate::error_model::{BlqMethod, ErrorKind, ErrorModel};
use crate::problem::{FreeParameter, Problem, Target};
use crate::transform::Transform;
use subject::subject_data;

/// Latest observation time accepted [day] (the simulator's horizon).
const MAX_DAYS: f64 = cartkin_core::simulate::MAX_FOLLOW_UP_DAYS;

/// Doses for datasets without dose records (the long format).
#[derive(Debug, Clone)]
pub struct CommonDosing {
    /// Regimen given to every subject.
    pub regimen: Regimen,
    /// Nominal CAR-T dose.
    pub car_t: Option<CarTDose>,
}

/// The user's choices.
#[derive(Debug, Clone)]
pub struct FitSettings {
    /// Parameters to estimate (empty: those with variability in the model file).
    pub estimate: Vec<String>,
    /// Starting values overriding the model file's.
    pub initial: BTreeMap<String, f64>,
    /// Residual error model.
    pub error: ErrorKind,
    /// Starting (or fixed) additive SD.
    pub sigma_add: f64,
    /// Starting (or fixed) proportional SD.
    pub sigma_prop: f64,
    /// Keep the residual SDs fixed.
    pub fix_error: bool,
    /// BLQ handling.
    pub blq: BlqMethod,
    /// CMT → model column name (default: CMT k is the k-th observable).
    pub observe: BTreeMap<u32, String>,
    /// Doses for datasets without dose records.
    pub dosing: Option<CommonDosing>,
    /// Solver settings (tighter than for simulation: finite-difference Hessians need it).
    pub solver: SolverOptions,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            estimate: Vec::new(),
            initial: BTreeMap::new(),
            error: ErrorKind::LogAdditive,
            sigma_add: 0.5,
            sigma_prop: 0.2,
            fix_error: false,
            blq: BlqMethod::M3,
            observe: BTreeMap::new(),
            dosing: None,
            solver: SolverOptions {
                rtol: 1e-9,
                atol: 1e-11,
                ..SolverOptions::default()
            },
        }
    }
}

/// Builds the problem, validating the data against the model.
pub fn build(model: &Model, data: &Dataset, settings: &FitSettings) -> Result<Problem, FitError> {
    let spec = model.spec();
    let model = with_initial_values(model, &settings.initial)?;
    let mut free = estimated_parameters(spec, &model, &settings.estimate)?;
    free.extend(residual_parameters(settings)?);
    let error = ErrorModel {
        kind: settings.error,
        a: settings.sigma_add,
        b: settings.sigma_prop,
    };
    let mut subjects = Vec::with_capacity(data.subjects.len());
    for s in &data.subjects {
        subjects.push(subject_data(s, &model, spec, data, settings)?);
    }
    if subjects.iter().all(|s| s.points.is_empty()) {
        return Err(FitError::Setting {
            setting: "data".into(),
            message: "no observations to fit".into(),
        });
    }
    Ok(Problem {
        model,
        free,
        error,
        blq: settings.blq,
        subjects,
        options: settings.solver,
    })
}

/// The model with the user's starting values: the fit starts there, and fixed parameters stay
/// there. Refuses unknown names and values out of bounds.
fn with_initial_values(model: &Model, initial: &BTreeMap<String, f64>) -> Result<Model, FitError> {
    let mut model = model.clone();
    for (name, value) in initial {
        model.set(name, *value).map_err(|e| FitError::Setting {
            setting: format!("initial {name}"),
            message: e.to_string(),
        })?;
    }
    Ok(model)
}

/// The model parameters to estimate, in the order named (or, when none is named, those with
/// log-, logit- or normal between-patient variability in the model file), each starting at the model's value on the
/// scale its bounds call for. Refuses an empty list, unknown or repeated names, and a
/// non-positive start for a log-scale parameter.
fn estimated_parameters(
    spec: &ModelSpec,
    model: &Model,
    estimate: &[String],
) -> Result<Vec<FreeParameter>, FitError> {
    let names: Vec<String> = if estimate.is_empty() {
        spec.parameters
            .iter()
            // a uniform spread is a patient's random draw over the bounds (e.g. an event
            // threshold), not a typical value the data could inform
            .filter(|p| {
                p.variability
                    .as_ref()
                    .is_some_and(|v| v.distribution != "uniform")
            })
            .map(|p| p.name.clone())
            .collect()
    } else {
        estimate.to_vec()
    };
    if names.is_empty() {
        return Err(FitError::Setting {
            setting: "estimate".into(),
            message: format!(
                "no parameter to estimate; name some of: {}",
                parameter_names(spec)
            ),
        });
    }
    let mut free = Vec::new();
    for name in &names {
        let i = spec
            .parameter_index(name)
            .ok_or_else(|| FitError::Setting {
                setting: "estimate".into(),
                message: format!(
                    "unknown parameter `{name}` of model `{}`; expected one of: {}",
                    spec.name,
                    parameter_names(spec)
                ),
            })?;
        if free.iter().any(|f: &FreeParameter| f.name == *name) {
            return Err(FitError::Setting {
                setting: "estimate".into(),
                message: format!("`{name}` listed twice"),
            });
        }
        free.push(model_parameter(spec, model, i, name)?);
    }
    Ok(free)
}

/// The model's parameter names, comma-separated (for messages).
fn parameter_names(spec: &ModelSpec) -> String {
    spec.parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Model parameter `i` (`name`) as a free parameter within its bounds, starting at the model's
/// value, on the scale its bounds call for (logit, log or none); a log-scale parameter needs a
/// positive start.
fn model_parameter(
    spec: &ModelSpec,
    model: &Model,
    i: usize,
    name: &str,
) -> Result<FreeParameter, FitError> {
    let p = &spec.parameters[i];
    let initial = model.values()[i];
    let transform = Transform::for_bounds(p.lower, p.upper);
    if transform == Transform::Log && initial <= 0.0 {
        return Err(FitError::Setting {
            setting: format!("initial {name}"),
            message: format!("a positive start is needed for a log-scale parameter, got {initial}"),
        });
    }
    Ok(FreeParameter {
        name: name.to_string(),
        target: Target::Model(i),
        transform,
        initial,
        lower: p.lower,
        upper: p.upper,
    })
}

/// The residual SDs the error model uses, estimated on a log scale unless fixed. Refuses a
/// non-positive or non-finite SD the error model needs, even when fixed.
fn residual_parameters(settings: &FitSettings) -> Result<Vec<FreeParameter>, FitError> {
    let sd_ok = |v: f64| v.is_finite() && v > 0.0;
    for (needed, value, setting) in [
        (
            settings.error.has_additive(),
            settings.sigma_add,
            "sigma_add",
        ),
        (
            settings.error.has_proportional(),
            settings.sigma_prop,
            "sigma_prop",
        ),
    ] {
        if needed && !sd_ok(value) {
            return Err(FitError::Setting {
                setting: setting.into(),
                message: format!(
                    "a residual SD must be positive and finite (the error model uses it), got {value}"
                ),
            });
        }
    }
    let mut free = Vec::new();
    if !settings.fix_error {
        if settings.error.has_additive() {
            free.push(FreeParameter {
                name: "sigma_add".into(),
                target: Target::SigmaAdd,
                transform: Transform::Log,
                initial: settings.sigma_add,
                lower: 1e-8,
                upper: 1e8,
            });
        }
        if settings.error.has_proportional() {
            free.push(FreeParameter {
                name: "sigma_prop".into(),
                target: Target::SigmaProp,
                transform: Transform::Log,
                initial: settings.sigma_prop,
                lower: 1e-8,
                upper: 100.0,
            });
        }
    }
    Ok(free)
}
