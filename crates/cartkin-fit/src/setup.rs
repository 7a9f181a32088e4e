//! Turning a dataset, a model and the user's choices into a [`Problem`].

use std::collections::BTreeMap;

use cartkin_core::model::{Model, RouteKind};
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{CarTDose, Dose, DoseKind, Regimen};
use cartkin_core::solve::SolverOptions;

use crate::data::{Dataset, OutputRef};
use crate::error::FitError;
use crate::error_model::{BlqMethod, ErrorKind, ErrorModel};
use crate::problem::{FreeParameter, Point, Problem, SubjectData, Target};
use crate::transform::Transform;

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
    let mut model = model.clone();
    for (name, value) in &settings.initial {
        model.set(name, *value).map_err(|e| FitError::Setting {
            setting: format!("initial {name}"),
            message: e.to_string(),
        })?;
    }
    let names: Vec<String> = if settings.estimate.is_empty() {
        spec.parameters
            .iter()
            .filter(|p| p.variability.is_some())
            .map(|p| p.name.clone())
            .collect()
    } else {
        settings.estimate.clone()
    };
    if names.is_empty() {
        return Err(FitError::Setting {
            setting: "estimate".into(),
            message: format!(
                "no parameter to estimate; name some of: {}",
                spec.parameters
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
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
                    spec.parameters
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        if free.iter().any(|f: &FreeParameter| f.name == *name) {
            return Err(FitError::Setting {
                setting: "estimate".into(),
                message: format!("`{name}` listed twice"),
            });
        }
        let p = &spec.parameters[i];
        let initial = model.values()[i];
        let transform = Transform::for_bounds(p.lower, p.upper);
        if transform == Transform::Log && initial <= 0.0 {
            return Err(FitError::Setting {
                setting: format!("initial value of {name}"),
                message: format!(
                    "a positive start is needed for a log-scale parameter, got {initial}"
                ),
            });
        }
        free.push(FreeParameter {
            name: name.clone(),
            target: Target::Model(i),
            transform,
            initial,
            lower: p.lower,
            upper: p.upper,
        });
    }
    let sd_ok = |v: f64| v.is_finite() && v > 0.0;
    if settings.error.has_additive() && !sd_ok(settings.sigma_add)
        || settings.error.has_proportional() && !sd_ok(settings.sigma_prop)
    {
        return Err(FitError::Setting {
            setting: "sigma_add".into(),
            message: "residual SDs (sigma_add, sigma_prop) must be positive".into(),
        });
    }
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
    let error = ErrorModel {
        kind: settings.error,
        a: settings.sigma_add,
        b: settings.sigma_prop,
    };

    let routes = model.routes();
    let defaults = spec.defaults.patient;
    let mut subjects = Vec::with_capacity(data.subjects.len());
    for s in &data.subjects {
        let cov = |key: &str| s.covariates.get(key).copied();
        let origin = format!("{} (subject {})", data.path.display(), s.id);
        let patient = Patient::new(
            cov("WT").unwrap_or(defaults.weight_kg),
            cov("HT").unwrap_or(defaults.height_cm),
            cov("BSA"),
            cov("EGFR").unwrap_or(defaults.egfr),
            cov("AGE").unwrap_or(defaults.age_years),
            &origin,
        )?;
        let mut doses = Vec::new();
        for d in &s.doses {
            let Some(route) = d.cmt.checked_sub(1).and_then(|k| routes.get(k as usize)) else {
                if routes.is_empty() {
                    continue; // a model without dosing routes (e.g. Stein): doses do not enter
                }
                return Err(FitError::Mismatch {
                    path: data.path.clone(),
                    line: d.line,
                    message: format!(
                        "column CMT: dose compartment {} does not exist in model `{}`; expected 1..={} ({})",
                        d.cmt,
                        spec.name,
                        routes.len(),
                        routes
                            .iter()
                            .enumerate()
                            .map(|(k, r)| format!("{}={}", k + 1, r.agent))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            let kind = match d.rate {
                Some(rate) if rate > 0.0 => DoseKind::Infusion {
                    duration: d.amount / rate,
                },
                _ => DoseKind::Bolus,
            };
            // a dose the route cannot take is refused here, naming its row (never given
            // another way)
            let refused = match (kind, route.kind) {
                (DoseKind::Infusion { .. }, RouteKind::Bolus) => Some(format!(
                    "columns RATE/DUR: route CMT {} ({}) of model `{}` takes boluses only (a CAR-T \
                     infusion lasts minutes); expected a missing or zero RATE and DUR",
                    d.cmt, route.agent, spec.name
                )),
                (DoseKind::Bolus, RouteKind::Infusion) => Some(format!(
                    "columns RATE/DUR: route CMT {} ({}) of model `{}` takes infusions only; \
                     expected a positive RATE (amount/day) or DUR (days)",
                    d.cmt, route.agent, spec.name
                )),
                _ => None,
            };
            if let Some(message) = refused {
                return Err(FitError::Mismatch {
                    path: data.path.clone(),
                    line: d.line,
                    message,
                });
            }
            doses.push(Dose {
                time: d.time,
                route: route.agent,
                amount: d.amount,
                kind,
            });
        }
        if let Some(common) = &settings.dosing {
            let cells = common.car_t.map(|c| c.cells(&patient));
            // AUC-targeted fludarabine: dosed with the model file's values (the starting
            // point of the fit), fixed during the fit as the clinic's doses were
            let dosing = cartkin_core::model::FludarabineDosing::for_model(&model, &patient);
            doses.extend(common.regimen.doses_with(&patient, cells, dosing));
        }
        if routes
            .iter()
            .any(|r| r.agent == cartkin_core::model::Agent::CarT)
            && !s.observations.is_empty()
            && !doses
                .iter()
                .any(|d| d.route == cartkin_core::model::Agent::CarT)
        {
            return Err(FitError::Setting {
                setting: "dose".into(),
                message: format!(
                    "subject {} receives no CAR-T cells: model `{}` needs them; add dose rows for CMT {} (car_t) to the data, or give a CAR-T dose",
                    s.id,
                    spec.name,
                    routes
                        .iter()
                        .position(|r| r.agent == cartkin_core::model::Agent::CarT)
                        .map_or(1, |k| k + 1)
                ),
            });
        }
        let mut points = Vec::with_capacity(s.observations.len());
        for o in &s.observations {
            let name = match &o.output {
                OutputRef::Name(n) => n.clone(),
                OutputRef::Cmt(c) => match settings.observe.get(c) {
                    Some(n) => n.clone(),
                    None => c
                        .checked_sub(1)
                        .and_then(|k| spec.observables.get(k as usize))
                        .map(|o| o.name.clone())
                        .ok_or_else(|| FitError::Mismatch {
                            path: data.path.clone(),
                            line: o.line,
                            message: format!(
                                "column CMT: observation compartment {c} has no model output; map it to a model output (observe {c} = NAME; model `{}` observables: {})",
                                spec.name,
                                spec.observables.iter().enumerate().map(|(k, o)| format!("{}={}", k + 1, o.name)).collect::<Vec<_>>().join(", ")
                            ),
                        })?,
                },
            };
            let column = match (spec.column_index(&name), &o.output) {
                (Some(c), _) => c,
                (None, OutputRef::Cmt(c)) => {
                    return Err(FitError::Setting {
                        setting: format!("observe {c}"),
                        message: format!(
                            "unknown model output `{name}`; expected one of: {}",
                            spec.column_names().join(", ")
                        ),
                    });
                }
                (None, OutputRef::Name(_)) => {
                    return Err(FitError::Mismatch {
                        path: data.path.clone(),
                        line: o.line,
                        message: format!(
                            "column observable: unknown model output `{name}`; expected one of: {}",
                            spec.column_names().join(", ")
                        ),
                    });
                }
            };
            if o.time > MAX_DAYS {
                return Err(FitError::Mismatch {
                    path: data.path.clone(),
                    line: o.line,
                    message: format!(
                        "column TIME: expected a time within {MAX_DAYS} days of the CAR-T infusion, got {}",
                        o.time
                    ),
                });
            }
            let value = o.value.unwrap_or(f64::NAN);
            let positive = value > 0.0;
            if !o.blq && settings.error == ErrorKind::LogAdditive && !positive {
                return Err(FitError::Mismatch {
                    path: data.path.clone(),
                    line: o.line,
                    message: format!(
                        "column DV: the log-additive error model needs a positive observation, got {value}; mark it BLQ or choose another error model"
                    ),
                });
            }
            let lloq = o
                .lloq
                .or(if o.blq { o.value } else { None })
                .unwrap_or(f64::NAN);
            if o.blq
                && settings.blq == BlqMethod::M3
                && !(lloq > 0.0 || settings.error != ErrorKind::LogAdditive && lloq.is_finite())
            {
                return Err(FitError::Mismatch {
                    path: data.path.clone(),
                    line: o.line,
                    message: "column LLOQ: a BLQ record needs its limit for the M3 likelihood"
                        .into(),
                });
            }
            points.push(Point {
                time: o.time,
                column,
                output: name,
                value,
                blq: o.blq,
                lloq,
                line: o.line,
            });
        }
        points.sort_by(|a, b| a.time.total_cmp(&b.time));
        subjects.push(SubjectData {
            id: s.id.clone(),
            patient,
            doses,
            points,
        });
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
