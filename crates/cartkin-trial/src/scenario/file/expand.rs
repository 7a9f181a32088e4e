//! Expansion: every written arm at every grid point of the sweep becomes an [`ArmPlan`], its
//! model, population and regimen built and checked. Errors point at the key's own line when
//! the arm (or `[defaults]`) wrote it, else at the arm's name.

use std::path::Path;

use cartkin_core::regimen;

use super::header::Header;
use super::written::WrittenArm;
use super::{ArmPlan, ErrorAt, MAX_ARMS, Sweep, exclusive_partner, relative};
use crate::error::TrialError;
use crate::scenario::arm::ArmSettings;
use crate::scenario::sweep::{self, Axis};

/// A grid point of the sweep: indices `(i, j)` into its x and y axes.
type GridPoint = (usize, Option<usize>);

/// Every written arm at every grid point (once without a sweep), in that order. Refuses more
/// than [`MAX_ARMS`] arms, before building any.
pub(super) fn arm_plans(
    written: &[WrittenArm],
    sweep: Option<&Sweep>,
    header: &Header,
    dir: &Path,
    err: &impl ErrorAt,
) -> Result<Vec<ArmPlan>, TrialError> {
    let grid = sweep.map(|s| sweep::points(&s.x, s.y.as_ref()));
    let total = written.len() * grid.as_ref().map_or(1, Vec::len);
    if total > MAX_ARMS {
        return Err(err(
            0,
            None,
            "sweep",
            format!("expected at most {MAX_ARMS} arms after expansion, got {total}"),
        ));
    }
    let mut arms = Vec::with_capacity(total);
    for (base, arm) in written.iter().enumerate() {
        refuse_swept_keys(arm, sweep, err)?;
        let points: Vec<Option<GridPoint>> = match &grid {
            Some(g) => g.iter().copied().map(Some).collect(),
            None => vec![None],
        };
        for point in points {
            let at_point = at_grid_point(arm, base, sweep, point, err)?;
            arms.push(arm_plan(arm, at_point, header, dir, err)?);
        }
    }
    Ok(arms)
}

/// Refuses a value the arm (or `[defaults]`) writes for a key the sweep varies, or for its
/// exclusive partner: the sweep replaces it at every grid point, so it would never be used.
fn refuse_swept_keys(
    arm: &WrittenArm,
    sweep: Option<&Sweep>,
    err: &impl ErrorAt,
) -> Result<(), TrialError> {
    for axis in sweep
        .iter()
        .flat_map(|s| std::iter::once(&s.x).chain(s.y.as_ref()))
    {
        let replaced = [axis.key.as_str(), exclusive_partner(&axis.key)];
        if let Some((key, offset)) = arm
            .offsets
            .iter()
            .find(|(k, _)| replaced.contains(&k.as_str()))
        {
            return Err(err(
                *offset,
                (!arm.label.is_empty()).then_some(arm.label.as_str()),
                key,
                format!(
                    "the sweep varies {} at every grid point, so this value would never be \
                     used; remove it here (or in [defaults]) or from the sweep",
                    axis.key
                ),
            ));
        }
    }
    Ok(())
}

/// Written arm `base` at a grid point: its settings with the sweep's values set, and its name,
/// the written name followed by `key=value` for each swept key (never empty: a written arm has
/// a name, a grid point adds its values).
fn at_grid_point(
    arm: &WrittenArm,
    base: usize,
    sweep: Option<&Sweep>,
    point: Option<GridPoint>,
    err: &impl ErrorAt,
) -> Result<ArmPoint, TrialError> {
    let mut s = arm.settings.clone();
    let mut name = arm.label.clone();
    if let (Some(sw), Some((i, j))) = (sweep, point) {
        let mut assign = |axis: &Axis, k: usize| -> Result<(), TrialError> {
            let v = axis.values[k];
            s.set_key(&axis.key, v)
                .map_err(|m| err(arm.at, Some(&arm.label), &axis.key, m))?;
            let part = format!("{}={}", axis.key, sweep::labels(&axis.values)[k]);
            name = if name.is_empty() {
                part
            } else {
                format!("{name} {part}")
            };
            Ok(())
        };
        assign(&sw.x, i)?;
        if let (Some(y), Some(j)) = (&sw.y, j) {
            assign(y, j)?;
        }
    }
    Ok(ArmPoint {
        base,
        grid: point,
        name,
        settings: s,
    })
}

/// One arm at one grid point, before its model, population and regimen are built.
struct ArmPoint {
    /// Index of the written arm.
    base: usize,
    /// The grid point, if there is a sweep.
    grid: Option<GridPoint>,
    /// The arm's unique name.
    name: String,
    /// Its settings: written arm, defaults and sweep values merged.
    settings: ArmSettings,
}

/// Builds the arm's regimen (its own or the population's, with its lymphodepletion), model
/// and population, and checks that they go together: dosing to a target AUC needs a model
/// with fludarabine PK, the population must sample under the arm's model, and no patient may
/// get more than the largest CAR-T dose.
fn arm_plan(
    arm: &WrittenArm,
    point: ArmPoint,
    header: &Header,
    dir: &Path,
    err: &impl ErrorAt,
) -> Result<ArmPlan, TrialError> {
    let ArmPoint {
        base,
        grid,
        name,
        settings: s,
    } = point;
    // point at the key's own line when it was written in this arm (or the defaults)
    let arm_err = |key: String, message: String| {
        let line = arm.offsets.get(&key).copied().unwrap_or(arm.at);
        err(line, Some(&name), &key, message)
    };
    let regimen_name = s
        .regimen
        .clone()
        .unwrap_or_else(|| header.population.regimen.clone());
    let base_reg = regimen::resolve(&relative(dir, &regimen_name))
        .map_err(|e| arm_err("regimen".into(), e.to_string()))?;
    let regimen = s.regimen(&base_reg).map_err(|(k, m)| arm_err(k, m))?;
    let arm_model = s.model(&header.model).map_err(|(k, m)| arm_err(k, m))?;
    // dosing to a target AUC needs the model's fludarabine clearance
    if regimen.targets_auc()
        && let Ok(p) = arm_model.spec().defaults.patient.patient("typical patient")
        && cartkin_core::model::FludarabineDosing::for_model(&arm_model, &p).is_none()
    {
        return Err(arm_err(
            "fludarabine_target_auc".into(),
            format!(
                "expected a model with fludarabine PK (CL_nr, theta_GFR, eGFR_max, F_dose) to dose to a target AUC; {} has none",
                arm_model.name()
            ),
        ));
    }
    let arm_population = s.population(&header.population);
    // a uniform spread spans the parameter's bounds whatever its typical value: setting it
    // would change nothing in the population, so it is refused rather than silently ignored
    for (name, _) in &s.set {
        if arm_population.parameters.iter().any(|v| {
            &v.name == name && matches!(v.spread, crate::vpop::spec::Spread::Uniform { .. })
        }) {
            return Err(arm_err(
                format!("set.{name}"),
                format!(
                    "`{name}` is drawn uniformly over its bounds in the population, so its typical value has no effect on the patients; expected a parameter whose typical value the population uses"
                ),
            ));
        }
    }
    crate::vpop::Sampler::new(&arm_population, &arm_model)
        .check()
        .map_err(|m| arm_err("population".into(), m))?;
    // the largest dose a patient of this arm can get, over all its infusions
    let dose_key = if s.dose_cells.is_some() {
        "dose_cells"
    } else {
        "dose_per_kg"
    };
    arm_population
        .check_dose_cap(
            arm_model.spec().defaults.patient.weight_kg,
            regimen.car_t_fraction(),
        )
        .map_err(|m| arm_err(dose_key.into(), m))?;
    Ok(ArmPlan {
        name,
        base,
        grid,
        description: arm.description.clone(),
        population: arm_population,
        settings: s,
        model: arm_model,
        regimen,
    })
}
