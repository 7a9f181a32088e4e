//! Scenario files (TOML): a base (model, population, size, seed, follow-up), arms that
//! override regimen, dose, lymphodepletion or parameters, and an optional one- or
//! two-variable sweep expanded into arms. Every error names the file, the line, the arm and
//! the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cartkin_core::model::{self, Model};
use cartkin_core::regimen::{self, MAX_CAR_T_CELLS, Regimen};
use cartkin_core::solve::Method;
use toml::Spanned;

use super::arm::{ArmSettings, NUMERIC_KEYS};
use super::raw::{Num, RawArm, RawAxis, RawFile, arm_at, line_of};
use super::sweep::{self, Axis, Scale};
use crate::endpoint::months;
use crate::error::TrialError;
use crate::vpop::spec::{self as popspec, PopulationSpec};

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

    // the base
    let h = raw.scenario.into_inner();
    let name = h.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(err(
            h.name.span().start,
            None,
            "scenario.name",
            "expected a non-empty name".into(),
        ));
    }
    let model_name = relative(dir, h.model.get_ref());
    let model_path = model::resolve(&model_name)
        .map_err(|e| err(h.model.span().start, None, "scenario.model", e.to_string()))?;
    let model = Model::load(&model_path)
        .map_err(|e| err(h.model.span().start, None, "scenario.model", e.to_string()))?;
    // a population file of its own must hold a [population] table; the model file may not
    let loaded = match &h.population {
        Some(p) => {
            let name = relative(dir, p.get_ref());
            let path =
                cartkin_core::bundled::resolve(cartkin_core::bundled::Kind::Population, &name)
                    .unwrap_or_else(|| PathBuf::from(&name));
            popspec::load_file(&path, model.spec())
        }
        None => popspec::load(&model_path, model.spec()),
    };
    let mut population = loaded.map_err(|e| {
        let at = h
            .population
            .as_ref()
            .map_or(h.model.span().start, |p| p.span().start);
        err(at, None, "scenario.population", e.to_string())
    })?;
    let count = |v: &Option<Spanned<Num>>, key: &str, lo: f64, hi: f64, default: f64| {
        let Some(v) = v else { return Ok(default) };
        let x = v.get_ref().0;
        if x.is_finite() && x.fract() == 0.0 && (lo..=hi).contains(&x) {
            Ok(x)
        } else {
            Err(err(
                v.span().start,
                None,
                key,
                format!("expected a whole number in [{lo}, {hi}], got {x}"),
            ))
        }
    };
    let n = count(&h.n, "scenario.n", 1.0, 1e6, population.n as f64)? as usize;
    let seed = count(
        &h.seed,
        "scenario.seed",
        0.0,
        9.007e15,
        population.seed as f64,
    )? as u64;
    if let Some(d) = &h.follow_up_days {
        let days = d.get_ref().0;
        cartkin_core::simulate::check_follow_up(days)
            .map_err(|m| err(d.span().start, None, "scenario.follow_up_days", m))?;
        population.follow_up_days = days;
    }
    let follow_up = population.follow_up_days;
    // remission, and so RFS and EFS, exist only for a model with a response followed to month 3
    let assessable = model.spec().outcomes.blast_fraction.is_some()
        && follow_up >= cartkin_core::outcome::MONTH_3;
    let rfs_months = match &h.rfs_months {
        Some(m) => {
            let months: Vec<f64> = m.get_ref().iter().map(|x| x.0).collect();
            let checked = if months.is_empty() {
                Err("expected at least one month".to_string())
            } else if !assessable {
                Err(format!(
                    "expected no RFS months: remission is not assessed (model `{}` {})",
                    model.name(),
                    if model.spec().outcomes.blast_fraction.is_none() {
                        "has no leukemia response".to_string()
                    } else {
                        format!("followed for {follow_up} days, less than month 3")
                    }
                ))
            } else {
                months::check_months(&months, follow_up)
            };
            checked.map_err(|message| err(m.span().start, None, "scenario.rfs_months", message))?;
            months
        }
        None if assessable => months::default_months(follow_up),
        None => Vec::new(),
    };
    let method = match h
        .method
        .as_ref()
        .map(|m| (m.get_ref().as_str(), m.span().start))
    {
        None | Some(("dop853", _)) => Method::Dop853,
        Some(("dopri5", _)) => Method::Dopri5,
        Some((other, at)) => {
            return Err(err(
                at,
                None,
                "scenario.method",
                format!("expected \"dop853\" or \"dopri5\", got \"{other}\""),
            ));
        }
    };

    // arms as written
    let defaults = match raw.defaults {
        Some(d) => {
            if let Some(n) = &d.get_ref().name {
                return Err(err(
                    n.span().start,
                    None,
                    "defaults.name",
                    "expected no name in [defaults] (arms have names)".into(),
                ));
            }
            settings(&d.into_inner(), None, &err)?
        }
        None => (ArmSettings::default(), KeyOffsets::new()),
    };
    let (defaults, default_offsets) = defaults;
    let mut written: Vec<(String, ArmSettings, usize, String, KeyOffsets)> = Vec::new();
    for a in &raw.arm {
        let at = a.span().start;
        let arm = a.get_ref();
        let Some(name) = &arm.name else {
            return Err(err(
                at,
                None,
                "arm.name",
                "expected every [[arm]] to have a name".into(),
            ));
        };
        let label = name.get_ref().trim().to_string();
        if label.is_empty() || written.iter().any(|w| w.0 == label) {
            return Err(err(
                name.span().start,
                Some(&label),
                "name",
                "expected a non-empty name, unique among the arms".into(),
            ));
        }
        let (s, offsets) = settings(arm, Some(&label), &err)?;
        let mut all = default_offsets.clone();
        all.extend(offsets);
        written.push((
            label,
            defaults.merged(&s),
            name.span().start,
            arm.description.clone(),
            all,
        ));
    }

    // the sweep
    let sweep = match &raw.sweep {
        Some(s) => {
            let s = s.get_ref();
            let x = axis(&s.x, "sweep.x", &model, &err)?;
            let y =
                s.y.as_ref()
                    .map(|y| axis(y, "sweep.y", &model, &err))
                    .transpose()?;
            let exclusive = |a: &str, b: &str| {
                let pair = |p: &str, q: &str| (a == p && b == q) || (a == q && b == p);
                a == b
                    || pair("dose_per_kg", "dose_cells")
                    || pair("fludarabine_mg_per_m2", "fludarabine_target_auc")
            };
            if let Some(y) = &y
                && exclusive(&x.key, &y.key)
            {
                return Err(err(
                    s.y.as_ref().map_or(0, |y| y.span().start),
                    None,
                    "sweep.y.key",
                    format!(
                        "expected a key that can vary together with sweep.x ({}); {} sets the same dose",
                        x.key, y.key
                    ),
                ));
            }
            Some(Sweep { x, y })
        }
        None => None,
    };
    if written.is_empty() {
        if sweep.is_none() {
            return Err(err(
                0,
                None,
                "arm",
                "expected at least one [[arm]] or a [sweep]".into(),
            ));
        }
        written.push((
            String::new(),
            defaults.clone(),
            0,
            String::new(),
            default_offsets.clone(),
        ));
    }

    // expansion: each written arm at each grid point
    let base_regimen = population.regimen.clone();
    let grid = sweep.as_ref().map(|s| sweep::points(&s.x, s.y.as_ref()));
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
    for (base, (label, written_settings, at, description, offsets)) in written.iter().enumerate() {
        // a value the sweep replaces at every grid point would never be used: refuse it
        for axis in sweep
            .iter()
            .flat_map(|s| std::iter::once(&s.x).chain(s.y.as_ref()))
        {
            let replaced = [axis.key.as_str(), exclusive_partner(&axis.key)];
            if let Some((key, offset)) =
                offsets.iter().find(|(k, _)| replaced.contains(&k.as_str()))
            {
                return Err(err(
                    *offset,
                    (!label.is_empty()).then_some(label.as_str()),
                    key,
                    format!(
                        "the sweep varies {} at every grid point, so this value would never be \
                         used; remove it here (or in [defaults]) or from the sweep",
                        axis.key
                    ),
                ));
            }
        }
        let points: Vec<Option<(usize, Option<usize>)>> = match &grid {
            Some(g) => g.iter().copied().map(Some).collect(),
            None => vec![None],
        };
        for point in points {
            let mut s = written_settings.clone();
            let mut name = label.clone();
            if let (Some(sw), Some((i, j))) = (&sweep, point) {
                let mut assign = |axis: &Axis, k: usize| -> Result<(), TrialError> {
                    let v = axis.values[k];
                    s.set_key(&axis.key, v)
                        .map_err(|m| err(*at, Some(label), &axis.key, m))?;
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
            // point at the key's own line when it was written in this arm (or the defaults)
            let arm_err = |key: String, message: String| {
                let line = offsets.get(&key).copied().unwrap_or(*at);
                err(line, Some(&name), &key, message)
            };
            let regimen_name = s.regimen.clone().unwrap_or_else(|| base_regimen.clone());
            let base_reg = regimen::resolve(&relative(dir, &regimen_name))
                .map_err(|e| arm_err("regimen".into(), e.to_string()))?;
            let regimen = s.regimen(&base_reg).map_err(|(k, m)| arm_err(k, m))?;
            let arm_model = s.model(&model).map_err(|(k, m)| arm_err(k, m))?;
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
            let arm_population = s.population(&population);
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
            // every name is non-empty: a written arm has one, a sweep point adds its values
            arms.push(ArmPlan {
                name,
                base,
                grid: point,
                description: description.clone(),
                population: arm_population,
                settings: s,
                model: arm_model,
                regimen,
            });
        }
    }
    Ok(Scenario {
        path: path.to_path_buf(),
        name,
        description: h.description,
        model,
        population,
        n,
        seed,
        rfs_months,
        method,
        sweep,
        base_arms: written.into_iter().map(|w| w.0).collect(),
        arms,
    })
}

/// An arm's settings, each number checked for its key's range.
fn settings(
    arm: &RawArm,
    label: Option<&str>,
    err: &impl Fn(usize, Option<&str>, &str, String) -> TrialError,
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
    err: &impl Fn(usize, Option<&str>, &str, String) -> TrialError,
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
    let values = match (&a.values, a.from, a.to, a.points) {
        (Some(v), None, None, None) => v.iter().map(|x| x.0).collect::<Vec<_>>(),
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
            sweep::grid(from.0, to.0, p as usize, scale)
        }
        _ => {
            return Err(err(
                at,
                None,
                name,
                "expected either values = [...] or from, to and points".into(),
            ));
        }
    };
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
