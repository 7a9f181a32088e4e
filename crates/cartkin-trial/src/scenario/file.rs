//! Scenario files (TOML): a base (model, population, size, seed, follow-up), arms that
//! override regimen, dose, lymphodepletion or parameters, and an optional one- or
//! two-variable sweep expanded into arms. Every error names the file, the line, the arm and
//! the key.

mod expand;
mod header;
mod written;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cartkin_core::model::Model;
use cartkin_core::regimen::{MAX_CAR_T_CELLS, Regimen};
use cartkin_core::solve::Method;
use toml::Spanned;

use super::arm::{ArmSettings, NUMERIC_KEYS};
use super::raw::{RawArm, RawAxis, RawFile, arm_at, line_of};
use super::sweep::{self, Axis, Scale};
use crate::error::TrialError;
use crate::vpop::spec::PopulationSpec;

/// A validated scenario: every arm's model, population and regimen are built.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file.
    pub path: PathBuf,
    /// Short name (file and table titles).
    pub name: String,
    /// What the scenario asks.
    pub description: String,
    /// The base model (before arm settings).
    pub model: Model,
    /// The base population (follow-up overridden by the scenario).
    pub population: PopulationSpec,
    /// Patients per arm.
    pub n: usize,
    /// Seed: every arm simulates the same patients (common random numbers).
    pub seed: u64,
    /// Months at which RFS is reported.
    pub rfs_months: Vec<f64>,
    /// Integration method.
    pub method: Method,
    /// The sweep, if any.
    pub sweep: Option<Sweep>,
    /// Names of the written arms (`[[arm]]`), before sweep expansion; one unnamed arm when a
    /// sweep has none.
    pub base_arms: Vec<String>,
    /// The arms to simulate (written arms × sweep grid points).
    pub arms: Vec<ArmPlan>,
}

impl Scenario {
    /// The month shown where one RFS figure stands for all: 12 if reported, else the first
    /// reported month.
    pub fn headline_month(&self) -> f64 {
        self.rfs_months
            .iter()
            .copied()
            .find(|m| (*m - 12.0).abs() < 1e-9)
            .or_else(|| self.rfs_months.first().copied())
            .unwrap_or(12.0)
    }
}

/// The swept variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// First variable (x axis of plots; columns of a heatmap).
    pub x: Axis,
    /// Optional second variable (rows of a heatmap).
    pub y: Option<Axis>,
}

/// One arm, ready to simulate.
#[derive(Debug, Clone)]
pub struct ArmPlan {
    /// Unique name.
    pub name: String,
    /// Index into [`Scenario::base_arms`].
    pub base: usize,
    /// Grid indices `(i, j)` into the sweep's axes.
    pub grid: Option<(usize, Option<usize>)>,
    /// The written arm's description.
    pub description: String,
    /// Everything the arm sets (written arm, defaults and sweep values merged).
    pub settings: ArmSettings,
    /// Model with the arm's typical values.
    pub model: Model,
    /// Population with the arm's dose rule.
    pub population: PopulationSpec,
    /// Regimen with the arm's lymphodepletion.
    pub regimen: Regimen,
}

/// Largest number of arms after sweep expansion.
pub const MAX_ARMS: usize = 400;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, TrialError> {
    let text = TrialError::read_text(path)?;
    parse(path, &text)
}

/// A named file next to the scenario file, or as given (relative to the working directory).
fn relative(dir: &Path, name: &str) -> String {
    let beside = dir.join(name);
    if (name.contains('/') || name.ends_with(".toml")) && beside.is_file() {
        beside.display().to_string()
    } else {
        name.to_string()
    }
}

/// Validates scenario `text`, reporting errors against `path`.
///
/// The steps run in the file's order, each refusing what it reads before the next starts: the
/// `[scenario]` table, `[defaults]`, the `[[arm]]` tables, the `[sweep]`, then every arm at
/// every grid point.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, TrialError> {
    let err = |offset: usize, arm: Option<&str>, key: &str, message: String| TrialError::Scenario {
        path: path.to_path_buf(),
        line: line_of(text, offset),
        arm: arm.map(str::to_string),
        key: key.to_string(),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        err(at, arm_at(text, at).as_deref(), "syntax", message)
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let header = header::read(raw.scenario.into_inner(), dir, &err)?;
    let (defaults, default_offsets) = written::defaults(raw.defaults, &err)?;
    let mut arms = written::arms(&raw.arm, &defaults, &default_offsets, &err)?;
    let sweep = raw
        .sweep
        .as_ref()
        .map(|s| written::sweep(s, &header.model, &err))
        .transpose()?;
    if arms.is_empty() {
        arms.push(written::sweep_only_arm(
            sweep.is_some(),
            &defaults,
            &default_offsets,
            &err,
        )?);
    }
    let plans = expand::arm_plans(&arms, sweep.as_ref(), &header, dir, &err)?;
    Ok(Scenario {
        path: path.to_path_buf(),
        name: header.name,
        description: header.description,
        model: header.model,
        population: header.population,
        n: header.n,
        seed: header.seed,
        rfs_months: header.rfs_months,
        method: header.method,
        sweep,
        base_arms: arms.into_iter().map(|a| a.label).collect(),
        arms: plans,
    })
}

/// Builds the error of a scenario file from `(offset, arm, key, message)`: the byte offset
/// gives the line, the arm and the key say where in the scenario.
trait ErrorAt: Fn(usize, Option<&str>, &str, String) -> TrialError {}

impl<F: Fn(usize, Option<&str>, &str, String) -> TrialError> ErrorAt for F {}

/// An arm's settings, each number checked for its key's range.
fn settings(
    arm: &RawArm,
    label: Option<&str>,
    err: &impl ErrorAt,
) -> Result<(ArmSettings, KeyOffsets), TrialError> {
    let mut offsets = KeyOffsets::new();
    if let Some(r) = &arm.regimen {
        offsets.insert("regimen".into(), r.span().start);
    }
    let mut s = ArmSettings {
        regimen: arm.regimen.as_ref().map(|r| r.get_ref().clone()),
        ..Default::default()
    };
    let numbers = [
        (&arm.dose_per_kg, "dose_per_kg"),
        (&arm.dose_cells, "dose_cells"),
        (&arm.fludarabine_mg_per_m2, "fludarabine_mg_per_m2"),
        (
            &arm.cyclophosphamide_mg_per_m2,
            "cyclophosphamide_mg_per_m2",
        ),
        (&arm.fludarabine_target_auc, "fludarabine_target_auc"),
        (&arm.infusion_delay_days, "infusion_delay_days"),
    ];
    for (value, key) in numbers {
        let Some(v) = value else { continue };
        offsets.insert(key.to_string(), v.span().start);
        let x = v.get_ref().0;
        check(key, x).map_err(|m| err(v.span().start, label, key, m))?;
        // the key is one of NUMERIC_KEYS: set_key cannot fail
        s.set_key(key, x)
            .map_err(|m| err(v.span().start, label, key, m))?;
    }
    for (a, b, a_key, b_key) in [
        (
            &arm.dose_per_kg,
            &arm.dose_cells,
            "dose_per_kg",
            "dose_cells",
        ),
        (
            &arm.fludarabine_mg_per_m2,
            &arm.fludarabine_target_auc,
            "fludarabine_mg_per_m2",
            "fludarabine_target_auc",
        ),
    ] {
        if let (Some(_), Some(second)) = (a, b) {
            return Err(err(
                second.span().start,
                label,
                b_key,
                format!("expected {a_key} or {b_key}, not both"),
            ));
        }
    }
    for (name, v) in &arm.set {
        let x = v.get_ref().0;
        if !x.is_finite() {
            return Err(err(
                v.span().start,
                label,
                &format!("set.{name}"),
                format!("expected a finite number, got {x}"),
            ));
        }
        s.set.push((name.clone(), x));
        offsets.insert(format!("set.{name}"), v.span().start);
    }
    Ok((s, offsets))
}

/// The key a setting excludes (the other way of giving the CAR-T dose or fludarabine), or
/// `""` for keys without one.
fn exclusive_partner(key: &str) -> &'static str {
    match key {
        "dose_per_kg" => "dose_cells",
        "dose_cells" => "dose_per_kg",
        "fludarabine_mg_per_m2" => "fludarabine_target_auc",
        "fludarabine_target_auc" => "fludarabine_mg_per_m2",
        _ => "",
    }
}

/// Where each key of an arm was written (byte offsets), to point errors at the key's line.
type KeyOffsets = BTreeMap<String, usize>;

/// The valid range of a numeric arm key.
fn check(key: &str, x: f64) -> Result<(), String> {
    let (ok, expected) = match key {
        "dose_per_kg" => (x > 0.0 && x <= 1e10, "a dose in (0, 1e10] cells/kg"),
        "dose_cells" => (x > 0.0 && x <= MAX_CAR_T_CELLS, "a dose in (0, 1e12] cells"),
        "fludarabine_mg_per_m2" | "cyclophosphamide_mg_per_m2" => (
            (0.0..=5000.0).contains(&x),
            "a dose in [0, 5000] mg/m² per administration",
        ),
        "fludarabine_target_auc" => (x > 0.0 && x <= 200.0, "a total AUC in (0, 200] mg·h/L"),
        "infusion_delay_days" => ((0.0..=30.0).contains(&x), "a delay in [0, 30] days"),
        _ => (x.is_finite(), "a finite number"),
    };
    if x.is_finite() && ok {
        Ok(())
    } else {
        Err(format!("expected {expected}, got {x}"))
    }
}

/// A sweep axis: `values = [...]`, or `from`, `to`, `points` and `scale`.
fn axis(
    raw: &Spanned<RawAxis>,
    name: &str,
    model: &Model,
    err: &impl ErrorAt,
) -> Result<Axis, TrialError> {
    let at = raw.span().start;
    let a = raw.get_ref();
    let key = a.key.get_ref().clone();
    let known = NUMERIC_KEYS.contains(&key.as_str())
        || key.strip_prefix("set.").is_some_and(|p| !p.is_empty());
    if !known {
        return Err(err(
            a.key.span().start,
            None,
            &format!("{name}.key"),
            format!(
                "expected one of {} or set.PARAMETER, got \"{key}\"",
                NUMERIC_KEYS.join(", ")
            ),
        ));
    }
    let scale = match a.scale.as_deref() {
        None | Some("linear") => Scale::Linear,
        Some("log") => Scale::Log,
        Some(other) => {
            return Err(err(
                at,
                None,
                &format!("{name}.scale"),
                format!("expected \"linear\" or \"log\", got \"{other}\""),
            ));
        }
    };
    let values = axis_values(a, at, name, scale, err)?;
    if values.is_empty() || values.len() > 100 {
        return Err(err(
            at,
            None,
            &format!("{name}.values"),
            format!("expected 1 to 100 values, got {}", values.len()),
        ));
    }
    let field = format!("{name}.values");
    for v in &values {
        check(&key, *v).map_err(|m| err(at, None, &field, m))?;
        if scale == Scale::Log && *v <= 0.0 {
            return Err(err(
                at,
                None,
                &field,
                format!("expected positive values on a log scale, got {v}"),
            ));
        }
    }
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(err(at, None, &field, "expected distinct values".into()));
    }
    // a swept parameter must exist and every value lie within its bounds
    if let Some(param) = key.strip_prefix("set.") {
        let mut m = model.clone();
        for v in &values {
            m.set(param, *v)
                .map_err(|e| err(a.key.span().start, None, &key, e.to_string()))?;
        }
    }
    Ok(Axis { key, values, scale })
}

/// The values of sweep axis `name` (written at byte offset `at`): as listed, or a grid of
/// `points` from `from` to `to` on its scale. Refuses both ways at once (or neither), a
/// number of points outside [2, 100] and a range that is empty (or not positive on a log
/// scale).
fn axis_values(
    a: &RawAxis,
    at: usize,
    name: &str,
    scale: Scale,
    err: &impl ErrorAt,
) -> Result<Vec<f64>, TrialError> {
    match (&a.values, a.from, a.to, a.points) {
        (Some(v), None, None, None) => Ok(v.iter().map(|x| x.0).collect()),
        (None, Some(from), Some(to), Some(points)) => {
            let p = points.0;
            if !(p.fract() == 0.0 && (2.0..=100.0).contains(&p)) {
                return Err(err(
                    at,
                    None,
                    &format!("{name}.points"),
                    format!("expected a whole number of points in [2, 100], got {p}"),
                ));
            }
            if !(from.0.is_finite() && to.0.is_finite() && from.0 < to.0)
                || (scale == Scale::Log && from.0 <= 0.0)
            {
                return Err(err(
                    at,
                    None,
                    &format!("{name}.from"),
                    format!(
                        "expected finite from < to (positive on a log scale), got {} and {}",
                        from.0, to.0
                    ),
                ));
            }
            Ok(sweep::grid(from.0, to.0, p as usize, scale))
        }
        _ => Err(err(
            at,
            None,
            name,
            "expected either values = [...] or from, to and points".into(),
        )),
    }
}
