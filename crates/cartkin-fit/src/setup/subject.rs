//! One subject of a dataset, checked against the model: its patient, doses and observations
//! as the fit simulates and scores them. Every error names the data row (or the setting) at
//! fault.

use std::collections::BTreeMap;

use cartkin_core::model::{Agent, Model, ModelSpec, PatientDefaults, Route, RouteKind};
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{Dose, DoseKind};

use super::{FitSettings, MAX_DAYS};
use crate::data::{Dataset, DoseRecord, Observation, OutputRef, Subject};
use crate::error::FitError;
use crate::error_model::{BlqMethod, ErrorKind};
use crate::problem::{Point, SubjectData};

/// Subject `s` as the fit simulates and scores it: the patient from its covariates, its dose
/// records plus the common dosing, and its observations as points in time order. Refuses a
/// subject with observations but no CAR-T cells when the model needs them.
pub(super) fn subject_data(
    s: &Subject,
    model: &Model,
    spec: &ModelSpec,
    data: &Dataset,
    settings: &FitSettings,
) -> Result<SubjectData, FitError> {
    let patient = subject_patient(s, spec.defaults.patient, data)?;
    let routes = model.routes();
    let mut doses = recorded_doses(s, routes, spec, data)?;
    if let Some(common) = &settings.dosing {
        let cells = common.car_t.map(|c| c.cells(&patient));
        // AUC-targeted fludarabine: dosed with the model file's values (the starting
        // point of the fit), fixed during the fit as the clinic's doses were
        let dosing = cartkin_core::model::FludarabineDosing::for_model(model, &patient);
        doses.extend(common.regimen.doses_with(&patient, cells, dosing));
    }
    require_car_t(s, routes, &doses, spec)?;
    let mut points = Vec::with_capacity(s.observations.len());
    for o in &s.observations {
        points.push(observation_point(o, spec, data, settings)?);
    }
    points.sort_by(|a, b| a.time.total_cmp(&b.time));
    Ok(SubjectData {
        id: s.id.clone(),
        patient,
        doses,
        points,
    })
}

/// The subject's patient: covariates WT, HT, BSA, EGFR and AGE from the data, the model's
/// typical patient where missing (BSA is then computed), validated.
fn subject_patient(
    s: &Subject,
    defaults: PatientDefaults,
    data: &Dataset,
) -> Result<Patient, FitError> {
    let cov = |key: &str| s.covariates.get(key).copied();
    let origin = format!("{} (subject {})", data.path.display(), s.id);
    Ok(Patient::new(
        cov("WT").unwrap_or(defaults.weight_kg),
        cov("HT").unwrap_or(defaults.height_cm),
        cov("BSA"),
        cov("EGFR").unwrap_or(defaults.egfr),
        cov("AGE").unwrap_or(defaults.age_years),
        &origin,
    )?)
}

/// The subject's dose records as doses of the model's routes (CMT k is the k-th route), each
/// a bolus or an infusion (a positive RATE) as its route takes. A model without dosing routes
/// (e.g. Stein) takes no doses: they are skipped.
fn recorded_doses(
    s: &Subject,
    routes: &[Route],
    spec: &ModelSpec,
    data: &Dataset,
) -> Result<Vec<Dose>, FitError> {
    let mut doses = Vec::new();
    for d in &s.doses {
        let Some(route) = d.cmt.checked_sub(1).and_then(|k| routes.get(k as usize)) else {
            if routes.is_empty() {
                continue; // a model without dosing routes (e.g. Stein): doses do not enter
            }
            return Err(mismatch(
                data,
                d.line,
                format!(
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
            ));
        };
        let kind = match d.rate {
            Some(rate) if rate > 0.0 => DoseKind::Infusion {
                duration: d.amount / rate,
            },
            _ => DoseKind::Bolus,
        };
        // a dose the route cannot take is refused here, naming its row (never given
        // another way)
        if let Some(message) = route_refusal(d, kind, route, spec) {
            return Err(mismatch(data, d.line, message));
        }
        doses.push(Dose {
            time: d.time,
            route: route.agent,
            amount: d.amount,
            kind,
        });
    }
    Ok(doses)
}

/// Why `route` cannot take dose record `d` given as `kind` (an infusion on a bolus-only route,
/// or a bolus on an infusion-only one); `None` when it can.
fn route_refusal(
    d: &DoseRecord,
    kind: DoseKind,
    route: &Route,
    spec: &ModelSpec,
) -> Option<String> {
    match (kind, route.kind) {
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
    }
}

/// Refuses a subject with observations that receives no CAR-T cells when the model has a
/// CAR-T route: its fit would describe an untreated patient.
fn require_car_t(
    s: &Subject,
    routes: &[Route],
    doses: &[Dose],
    spec: &ModelSpec,
) -> Result<(), FitError> {
    if routes.iter().any(|r| r.agent == Agent::CarT)
        && !s.observations.is_empty()
        && !doses.iter().any(|d| d.route == Agent::CarT)
    {
        return Err(FitError::Setting {
            setting: "dose".into(),
            message: format!(
                "subject {} receives no CAR-T cells: model `{}` needs them; add dose rows for CMT {} (car_t) to the data, or give a CAR-T dose",
                s.id,
                spec.name,
                routes
                    .iter()
                    .position(|r| r.agent == Agent::CarT)
                    .map_or(1, |k| k + 1)
            ),
        });
    }
    Ok(())
}

/// One observation as a point to fit: the model output and column it measures, a time within
/// the simulator's horizon, a value the error model can score (positive for log-additive
/// unless BLQ) and, for a BLQ record under M3, its limit of quantification.
fn observation_point(
    o: &Observation,
    spec: &ModelSpec,
    data: &Dataset,
    settings: &FitSettings,
) -> Result<Point, FitError> {
    let name = observed_output(o, spec, data, &settings.observe)?;
    let column = output_column(&name, o, spec, data)?;
    if o.time > MAX_DAYS {
        return Err(mismatch(
            data,
            o.line,
            format!(
                "column TIME: expected a time within {MAX_DAYS} days of the CAR-T infusion, got {}",
                o.time
            ),
        ));
    }
    let value = o.value.unwrap_or(f64::NAN);
    let positive = value > 0.0;
    if !o.blq && settings.error == ErrorKind::LogAdditive && !positive {
        return Err(mismatch(
            data,
            o.line,
            format!(
                "column DV: the log-additive error model needs a positive observation, got {value}; mark it BLQ or choose another error model"
            ),
        ));
    }
    let lloq = o
        .lloq
        .or(if o.blq { o.value } else { None })
        .unwrap_or(f64::NAN);
    if o.blq
        && settings.blq == BlqMethod::M3
        && !(lloq > 0.0 || settings.error != ErrorKind::LogAdditive && lloq.is_finite())
    {
        return Err(mismatch(
            data,
            o.line,
            "column LLOQ: a BLQ record needs its limit for the M3 likelihood".into(),
        ));
    }
    Ok(Point {
        time: o.time,
        column,
        output: name,
        value,
        blq: o.blq,
        lloq,
        line: o.line,
    })
}

/// The name of the model output an observation measures: given by name, or by CMT through
/// the user's `observe` map, else the CMT-th observable of the model.
fn observed_output(
    o: &Observation,
    spec: &ModelSpec,
    data: &Dataset,
    observe: &BTreeMap<u32, String>,
) -> Result<String, FitError> {
    let c = match &o.output {
        OutputRef::Name(n) => return Ok(n.clone()),
        OutputRef::Cmt(c) => c,
    };
    if let Some(n) = observe.get(c) {
        return Ok(n.clone());
    }
    match c
        .checked_sub(1)
        .and_then(|k| spec.observables.get(k as usize))
    {
        Some(observable) => Ok(observable.name.clone()),
        None => Err(mismatch(
            data,
            o.line,
            format!(
                "column CMT: observation compartment {c} has no model output; map it to a model output (observe {c} = NAME; model `{}` observables: {})",
                spec.name,
                spec.observables
                    .iter()
                    .enumerate()
                    .map(|(k, o)| format!("{}={}", k + 1, o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The model column of output `name`; an unknown output is the user's `observe` mapping's
/// fault when the observation gave a CMT, the data row's when it gave a name.
fn output_column(
    name: &str,
    o: &Observation,
    spec: &ModelSpec,
    data: &Dataset,
) -> Result<usize, FitError> {
    match (spec.column_index(name), &o.output) {
        (Some(c), _) => Ok(c),
        (None, OutputRef::Cmt(c)) => Err(FitError::Setting {
            setting: format!("observe {c}"),
            message: format!(
                "unknown model output `{name}`; expected one of: {}",
                spec.column_names().join(", ")
            ),
        }),
        (None, OutputRef::Name(_)) => Err(mismatch(
            data,
            o.line,
            format!(
                "column observable: unknown model output `{name}`; expected one of: {}",
                spec.column_names().join(", ")
            ),
        )),
    }
}

/// A data error at `line` of the dataset.
fn mismatch(data: &Dataset, line: usize, message: String) -> FitError {
    FitError::Mismatch {
        path: data.path.clone(),
        line,
        message,
    }
}
