//! The population specification: the `[population]` table of a model file (or a file of its
//! own with the same table).
//!
//! ```toml
//! [population]
//! n = 2000                       # default number of virtual patients
//! seed = 20261125
//! regimen = "eliana"
//! follow_up_days = 1825
//! non_relapse_mortality_per_year = 0.03   # constant hazard of death in remission
//! dropout_per_year = 0.0                  # constant hazard of loss to follow-up
//!
//! [population.covariates]
//! weight_kg = { distribution = "lognormal", median = 30.0, cv = 0.6, lower = 10.0, upper = 120.0 }
//! age_years = { distribution = "uniform", lower = 3.0, upper = 24.0 }
//!
//! [population.dose]               # ELIANA label: per kg up to 50 kg, flat above
//! per_kg = { distribution = "lognormal", median = 3.0e6, cv = 0.4, lower = 0.2e6, upper = 5.0e6 }
//! flat_above_kg = 50.0
//! flat = { distribution = "lognormal", median = 1.0e8, cv = 0.5, lower = 0.1e8, upper = 2.5e8 }
//!
//! [[population.parameters]]       # overrides or adds to the model file's variability
//! name = "gamma"
//! distribution = "lognormal"
//! cv = 0.5
//! # shared = "eta_X"             # one deviate per patient for every parameter naming eta_X
//!
//! [population.correlations]       # between the normal deviates of two varying parameters
//! "rho_E,gamma" = 0.3
//! ```
//!
//! `calibrate = ["f_neg:typical:1e-13:1e-3", ...]` in `[population]` sets the hyperparameters
//! `cartkin calibrate` frees when `--free` is not given.

use std::collections::BTreeMap;
use std::path::Path;

use cartkin_core::model::ModelSpec;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use cartkin_core::regimen::MAX_CAR_T_CELLS;

use crate::error::TrialError;
use cartkin_core::model::extends::Resolved;

/// A univariate distribution of a covariate or a dose.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum Draw {
    /// Log-normal with this median and CV, truncated to [lower, upper].
    Lognormal {
        /// Median.
        median: f64,
        /// Coefficient of variation (√(e^{ω²} − 1)).
        cv: f64,
        /// Truncation.
        lower: f64,
        /// Truncation.
        upper: f64,
    },
    /// Uniform on [lower, upper].
    Uniform {
        /// Lower end.
        lower: f64,
        /// Upper end.
        upper: f64,
    },
    /// Normal with this mean and SD, truncated to [lower, upper].
    Normal {
        /// Mean.
        mean: f64,
        /// SD.
        sd: f64,
        /// Truncation.
        lower: f64,
        /// Truncation.
        upper: f64,
    },
    /// Always this value.
    Fixed {
        /// The value.
        value: f64,
    },
}

/// How one model parameter varies between patients around its typical value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// p = typical · e^{ω z}.
    Lognormal {
        /// ω, the SD of ln p.
        omega: f64,
    },
    /// logit((p − lo)/(hi − lo)) = logit of the typical value + ω z.
    Logitnormal {
        /// ω on the logit scale.
        omega: f64,
    },
    /// p = typical + sd · z.
    Normal {
        /// SD.
        sd: f64,
    },
    /// p uniform on [lower, upper] (through Φ(z), so correlations still apply).
    Uniform {
        /// Lower end.
        lower: f64,
        /// Upper end.
        upper: f64,
    },
}

/// A varying model parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VaryingParameter {
    /// Name.
    pub name: String,
    /// Index in the model's parameter list.
    pub index: usize,
    /// Distribution around the typical value.
    pub spread: Spread,
    /// The shared random effect whose deviate it takes (`shared = "eta_CL"`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<String>,
}

/// CAR-T dose rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseRule {
    /// Cells per kg; above a weight, a flat total instead (ELIANA's label: per kg up to 50 kg).
    PerKg {
        /// Cells per kg.
        per_kg: Draw,
        /// Weight above which the flat dose applies [kg], and that dose [cells].
        flat_above: Option<(f64, Draw)>,
    },
    /// The same distribution of total cells whatever the weight.
    Flat {
        /// Total cells.
        cells: Draw,
    },
}

/// A validated population specification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationSpec {
    /// Default number of patients.
    pub n: usize,
    /// Default seed.
    pub seed: u64,
    /// Regimen name or path.
    pub regimen: String,
    /// Follow-up after infusion [day].
    pub follow_up_days: f64,
    /// Constant hazard of death in remission [1/year].
    pub non_relapse_mortality_per_year: f64,
    /// Constant hazard of loss to follow-up [1/year].
    pub dropout_per_year: f64,
    /// Covariate distributions (weight_kg, height_cm, age_years, egfr); missing ones are fixed at
    /// the model's typical patient.
    pub covariates: BTreeMap<String, Draw>,
    /// Dose rule (models with a CAR-T route); None: the model's default dose for everyone.
    pub dose: Option<DoseRule>,
    /// Varying parameters.
    pub parameters: Vec<VaryingParameter>,
    /// Correlation matrix of the parameters' normal deviates (identity if none given).
    pub correlation: Vec<Vec<f64>>,
    /// Default free hyperparameters of `cartkin calibrate` (`NAME:typical|omega:LOWER:UPPER`).
    pub calibrate: Vec<String>,
}

/// A file holding a `[population]` table: a population file of its own, or a model file (whose
/// other tables the model reader checks). Any other top-level key is an error, so that a
/// misspelt `[populaton]` cannot silently fall back to defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RawFile {
    population: Option<Spanned<RawPopulation>>,
    model: Option<toml::Value>,
    defaults: Option<toml::Value>,
    parameters: Option<toml::Value>,
    states: Option<toml::Value>,
    observables: Option<toml::Value>,
    outcomes: Option<toml::Value>,
    plot: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    n: Option<Spanned<usize>>,
    seed: Option<u64>,
    regimen: Option<String>,
    follow_up_days: Option<Spanned<f64>>,
    non_relapse_mortality_per_year: Option<Spanned<f64>>,
    dropout_per_year: Option<Spanned<f64>>,
    #[serde(default)]
    covariates: BTreeMap<String, Spanned<RawDraw>>,
    dose: Option<Spanned<RawDose>>,
    #[serde(default)]
    parameters: Vec<Spanned<RawParameter>>,
    #[serde(default)]
    correlations: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    calibrate: Vec<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawDraw {
    distribution: DrawKind,
    median: Option<f64>,
    mean: Option<f64>,
    cv: Option<f64>,
    sd: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    value: Option<f64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum DrawKind {
    Lognormal,
    Uniform,
    Normal,
    Fixed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDose {
    per_kg: Option<RawDraw>,
    flat_above_kg: Option<f64>,
    flat: Option<RawDraw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: String,
    distribution: String,
    omega2: Option<f64>,
    cv: Option<f64>,
    sd: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    shared: Option<String>,
}

const COVARIATES: [&str; 4] = ["weight_kg", "height_cm", "age_years", "egfr"];

/// Reads the `[population]` table of the model file at `path` for `model`; a model file without
/// one gets defaults: the parameters with variability in the model file vary, everyone else is
/// the typical patient.
pub fn load(path: &Path, model: &ModelSpec) -> Result<PopulationSpec, TrialError> {
    parse(path, &read(path)?, model)
}

/// Reads a population file given on its own (`--population FILE`, a scenario's `population`):
/// it must hold a `[population]` table.
pub fn load_file(path: &Path, model: &ModelSpec) -> Result<PopulationSpec, TrialError> {
    parse_file(path, &read(path)?, model)
}

fn read(path: &Path) -> Result<String, TrialError> {
    TrialError::read_text(path)
}

/// [`load`] from text.
pub fn parse(path: &Path, text: &str, model: &ModelSpec) -> Result<PopulationSpec, TrialError> {
    parse_with(path, text, model, false)
}

/// [`load_file`] from text.
pub fn parse_file(
    path: &Path,
    text: &str,
    model: &ModelSpec,
) -> Result<PopulationSpec, TrialError> {
    parse_with(path, text, model, true)
}

fn parse_with(
    path: &Path,
    text: &str,
    model: &ModelSpec,
    required: bool,
) -> Result<PopulationSpec, TrialError> {
    // a model file's population is that of its whole `extends` chain; an error names the file
    // and line of the chain it came from
    // (a population file that is a model file extending another, too: its inherited
    // [population] keys count)
    let resolved = Some(Resolved::parse(path, text)?);
    let text = resolved.as_ref().map_or(text, |r| r.text.as_str());
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let err = |offset: usize, message: String| {
        let line = line_of(offset);
        match resolved.as_ref().map(|r| r.report_at(line)) {
            // inherited through `extends`: at the extending file's `extends`, naming the line
            Some((at, Some(origin))) => TrialError::Mismatch {
                path: at.path,
                line: at.line.unwrap_or(1),
                message: format!("{origin}: {message} (inherited through `extends`)"),
            },
            Some((at, None)) => TrialError::Mismatch {
                path: at.path,
                line: at.line.unwrap_or(line),
                message,
            },
            None => TrialError::Mismatch {
                path: path.to_path_buf(),
                line,
                message,
            },
        }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        err(
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_string(),
        )
    })?;
    let (raw, at) = match raw.population {
        Some(p) => {
            let at = p.span().start;
            (Some(p.into_inner()), at)
        }
        None => (None, 0),
    };
    let defaults = &model.defaults;
    if raw.is_none() && required {
        return Err(err(
            0,
            "expected a [population] table (this file has none)".into(),
        ));
    }
    let Some(raw) = raw else {
        return Ok(PopulationSpec {
            n: 1000,
            seed: 20_261_125,
            regimen: defaults.regimen.clone(),
            follow_up_days: defaults.days,
            non_relapse_mortality_per_year: 0.0,
            dropout_per_year: 0.0,
            covariates: BTreeMap::new(),
            dose: None,
            parameters: model_variability(model, &mut Vec::new()).map_err(|m| err(0, m))?,
            correlation: Vec::new(),
            calibrate: Vec::new(),
        }
        .with_identity());
    };
    // each key's own line, or the table's when it is left out
    let at_key = |v: &Option<Spanned<f64>>| v.as_ref().map_or(at, |v| v.span().start);
    let rate = |v: &Option<Spanned<f64>>, field: &str| -> Result<f64, TrialError> {
        let x = v.as_ref().map_or(0.0, |v| *v.get_ref());
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(err(
                at_key(v),
                format!("population.{field}: expected a non-negative rate per year, got {x}"),
            ))
        }
    };
    let follow_up_days = raw
        .follow_up_days
        .as_ref()
        .map_or(defaults.days, |v| *v.get_ref());
    cartkin_core::simulate::check_follow_up(follow_up_days).map_err(|m| {
        err(
            at_key(&raw.follow_up_days),
            format!("population.follow_up_days: {m}"),
        )
    })?;
    let n = match &raw.n {
        Some(n) if *n.get_ref() == 0 => {
            return Err(err(
                n.span().start,
                "population.n: expected at least one patient, got 0".into(),
            ));
        }
        Some(n) => *n.get_ref(),
        None => 1000,
    };
    let mut covariates = BTreeMap::new();
    for (name, d) in raw.covariates {
        if !COVARIATES.contains(&name.as_str()) {
            return Err(err(
                d.span().start,
                format!(
                    "population.covariates: unknown covariate `{name}`; expected one of: {}",
                    COVARIATES.join(", ")
                ),
            ));
        }
        let span = d.span().start;
        let (lo, hi, unit) = cartkin_core::patient::covariate_range(covariate_kind(&name));
        covariates.insert(
            name.clone(),
            draw(d.into_inner(), (lo, hi, unit))
                .map_err(|m| err(span, format!("population.covariates.{name}: {m}")))?,
        );
    }
    let dose = match raw.dose {
        None => None,
        Some(d) => {
            let span = d.span().start;
            let d = d.into_inner();
            // a drawn dose is positive and its total at most MAX_CAR_T_CELLS for any valid weight
            let heaviest = cartkin_core::patient::covariate_range("weight").1;
            let per_kg = d
                .per_kg
                .map(|k| draw(k, (0.0, MAX_CAR_T_CELLS / heaviest, "cells/kg")))
                .transpose()
                .map_err(|m| err(span, format!("population.dose.per_kg: {m}")))?;
            let flat = d
                .flat
                .map(|f| draw(f, (0.0, MAX_CAR_T_CELLS, "cells")))
                .transpose()
                .map_err(|m| err(span, format!("population.dose.flat: {m}")))?;
            let rule = match (per_kg, d.flat_above_kg, flat) {
                (Some(per_kg), None, None) => DoseRule::PerKg {
                    per_kg,
                    flat_above: None,
                },
                (Some(per_kg), Some(kg), Some(flat)) if kg.is_finite() && kg > 0.0 => {
                    DoseRule::PerKg {
                        per_kg,
                        flat_above: Some((kg, flat)),
                    }
                }
                (None, None, Some(cells)) => DoseRule::Flat { cells },
                (_, Some(kg), _) if !(kg.is_finite() && kg > 0.0) => {
                    return Err(err(
                        span,
                        format!(
                            "population.dose.flat_above_kg: expected a positive weight, got {kg}"
                        ),
                    ));
                }
                _ => {
                    return Err(err(
                        span,
                        "population.dose: expected per_kg (cells/kg), per_kg with flat_above_kg \
                         and flat (a flat dose above that weight), or flat alone (one dose for \
                         everyone)"
                            .into(),
                    ));
                }
            };
            Some(rule)
        }
    };
    // a model file declares between-patient variability once, in its parameters; a population
    // file of its own (another population for the model) may re-spread them
    if let (false, Some(p)) = (required, raw.parameters.first()) {
        return Err(err(
            p.span().start,
            format!(
                "population.parameters: a model file declares between-patient variability once, in each parameter's `variability`; move `{}` there (a population file of its own, --population FILE, may re-spread parameters)",
                p.get_ref().name
            ),
        ));
    }
    let mut overrides = Vec::new();
    // where each re-spread parameter is written (errors about shared effects go there)
    let mut override_at: Vec<(usize, usize)> = Vec::new();
    for p in raw.parameters {
        let span = p.span().start;
        let p = p.into_inner();
        let index = model.parameter_index(&p.name).ok_or_else(|| {
            err(
                span,
                format!(
                    "population.parameters: unknown parameter `{}`; expected one of: {}",
                    p.name,
                    model
                        .parameters
                        .iter()
                        .map(|q| q.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if overrides
            .iter()
            .any(|o: &VaryingParameter| o.index == index)
        {
            return Err(err(
                span,
                format!(
                    "population.parameters: `{}` listed twice; expected each parameter once",
                    p.name
                ),
            ));
        }
        // keys the distribution does not use would be silently ignored
        let used: &[&str] = match p.distribution.as_str() {
            "lognormal" | "logitnormal" => &["omega2", "cv"],
            "normal" => &["sd"],
            "uniform" => &["lower", "upper"],
            _ => &[],
        };
        let given = [
            ("omega2", p.omega2.is_some()),
            ("cv", p.cv.is_some()),
            ("sd", p.sd.is_some()),
            ("lower", p.lower.is_some()),
            ("upper", p.upper.is_some()),
        ];
        if let Some((key, _)) = given
            .iter()
            .find(|(k, g)| *g && !used.is_empty() && !used.contains(k))
        {
            return Err(err(
                span,
                format!(
                    "population.parameters `{}`: {key} does not apply to a {} spread; expected only {}",
                    p.name,
                    p.distribution,
                    used.join(" or ")
                ),
            ));
        }
        let bounds = &model.parameters[index];
        let spread = spread(&p.distribution, p.omega2, p.cv, p.sd, p.lower, p.upper)
            .and_then(|s| within_bounds(s, bounds.lower, bounds.upper, &bounds.unit))
            .map_err(|m| err(span, format!("population.parameters `{}`: {m}", p.name)))?;
        if let Some(effect) = &p.shared
            && (effect.is_empty()
                || !effect
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(err(
                span,
                format!(
                    "population.parameters `{}`: shared: expected the name of a shared random effect (letters, digits, `_`; e.g. \"eta_CL\"), got \"{effect}\"",
                    p.name
                ),
            ));
        }
        override_at.push((index, span));
        overrides.push(VaryingParameter {
            name: p.name,
            index,
            spread,
            shared: p.shared,
        });
    }
    let parameters = model_variability(model, &mut overrides).map_err(|m| err(at, m))?;
    // a member re-spread here is reported at its entry; one the model file declares, at the
    // model file's line of that parameter
    check_shared(&parameters, model).map_err(|(index, message)| {
        match override_at.iter().find(|(i, _)| *i == index) {
            Some((_, span)) => err(*span, message),
            None => match &model.parameters[index].location {
                Some(l) => TrialError::Mismatch {
                    path: l.path.clone(),
                    line: l.line.unwrap_or(1),
                    message,
                },
                None => err(at, message),
            },
        }
    })?;
    let mut spec = PopulationSpec {
        n,
        seed: raw.seed.unwrap_or(20_261_125),
        regimen: raw.regimen.unwrap_or_else(|| defaults.regimen.clone()),
        follow_up_days,
        non_relapse_mortality_per_year: rate(
            &raw.non_relapse_mortality_per_year,
            "non_relapse_mortality_per_year",
        )?,
        dropout_per_year: rate(&raw.dropout_per_year, "dropout_per_year")?,
        covariates,
        dose,
        parameters,
        correlation: Vec::new(),
        calibrate: raw.calibrate,
    }
    .with_identity();
    let mut pairs_seen: Vec<(usize, usize)> = Vec::new();
    for (pair, r) in raw.correlations {
        let span = r.span().start;
        let value = *r.get_ref();
        let names: Vec<&str> = pair.split(',').map(str::trim).collect();
        let position = |n: &str| spec.parameters.iter().position(|p| p.name == n);
        let (Some(i), Some(j), 2) = (
            names.first().and_then(|n| position(n)),
            names.get(1).and_then(|n| position(n)),
            names.len(),
        ) else {
            return Err(err(
                span,
                format!(
                    "population.correlations: `{pair}` must name two varying parameters as \"A,B\""
                ),
            ));
        };
        if !(value.is_finite() && value > -1.0 && value < 1.0) || i == j {
            return Err(err(
                span,
                format!(
                    "population.correlations `{pair}`: expected a correlation in (-1, 1) between two different parameters, got {value}"
                ),
            ));
        }
        if let Some(p) = [i, j]
            .iter()
            .map(|&k| &spec.parameters[k])
            .find(|p| p.shared.is_some())
        {
            return Err(err(
                span,
                format!(
                    "population.correlations `{pair}`: `{}` takes the shared effect `{}`, whose deviate is fixed by the effect; expected correlations between parameters without `shared` (a shared effect is itself a perfect correlation)",
                    p.name,
                    p.shared.as_deref().unwrap_or_default()
                ),
            ));
        }
        if pairs_seen.contains(&(i.min(j), i.max(j))) {
            return Err(err(
                span,
                format!(
                    "population.correlations `{pair}`: this pair is already given (in either order); expected each pair once"
                ),
            ));
        }
        pairs_seen.push((i.min(j), i.max(j)));
        spec.correlation[i][j] = value;
        spec.correlation[j][i] = value;
    }
    if nalgebra::Cholesky::new(nalgebra::DMatrix::from_fn(
        spec.parameters.len(),
        spec.parameters.len(),
        |i, j| spec.correlation[i][j],
    ))
    .is_none()
    {
        return Err(err(
            at,
            "population.correlations: the correlation matrix is not positive definite".into(),
        ));
    }
    Ok(spec)
}

impl PopulationSpec {
    /// Refuses a dose rule that can give one patient more than [`MAX_CAR_T_CELLS`] over a
    /// regimen that infuses `regimen_fraction` times the dose (its infusions' fractions).
    pub fn check_dose_cap(
        &self,
        typical_weight_kg: f64,
        regimen_fraction: f64,
    ) -> Result<(), String> {
        match self.max_dose_cells(typical_weight_kg) {
            Some(max) if max * regimen_fraction.max(1.0) > MAX_CAR_T_CELLS => Err(format!(
                "population.dose: the rule can give {max:.3e} cells per infusion course, {:.3e} over the regimen's infusions ({regimen_fraction} times the dose); expected at most {MAX_CAR_T_CELLS:e} cells",
                max * regimen_fraction.max(1.0)
            )),
            _ => Ok(()),
        }
    }

    /// The largest CAR-T dose [cells] the dose rule can give one patient (the largest weight
    /// the population can draw, else `typical_weight_kg`), or `None` without a rule.
    pub fn max_dose_cells(&self, typical_weight_kg: f64) -> Option<f64> {
        let top = |d: &Draw| match *d {
            Draw::Fixed { value } => value,
            Draw::Uniform { upper, .. }
            | Draw::Lognormal { upper, .. }
            | Draw::Normal { upper, .. } => upper,
        };
        let heaviest = self
            .covariates
            .get("weight_kg")
            .map_or(typical_weight_kg, top);
        Some(match self.dose.as_ref()? {
            DoseRule::PerKg {
                per_kg,
                flat_above: None,
            } => top(per_kg) * heaviest,
            DoseRule::PerKg {
                per_kg,
                flat_above: Some((kg, flat)),
            } => (top(per_kg) * heaviest.min(*kg)).max(top(flat)),
            DoseRule::Flat { cells } => top(cells),
        })
    }

    /// The `[population]` table (with its sub-tables) as TOML that [`parse_file`] reads back
    /// to an equal spec: a population file of its own.
    pub fn to_toml(&self) -> String {
        self.write_toml(true)
    }

    /// The `[population]` table without `[[population.parameters]]`: the population of a
    /// model file, whose parameters declare their own variability.
    pub fn settings_toml(&self) -> String {
        self.write_toml(false)
    }

    fn write_toml(&self, spreads: bool) -> String {
        use std::fmt::Write as _;
        // a TOML string literal (escapes as TOML does, not as Rust's `{:?}`)
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::new();
        let _ = write!(
            out,
            "[population]\nn = {}\nseed = {}\nregimen = {}\nfollow_up_days = {:?}\nnon_relapse_mortality_per_year = {:?}\ndropout_per_year = {:?}\n",
            self.n,
            self.seed,
            quote(&self.regimen),
            self.follow_up_days,
            self.non_relapse_mortality_per_year,
            self.dropout_per_year
        );
        if !self.calibrate.is_empty() {
            let list: Vec<String> = self.calibrate.iter().map(|c| quote(c)).collect();
            let _ = writeln!(out, "calibrate = [{}]", list.join(", "));
        }
        let draw = |d: &Draw| match *d {
            Draw::Lognormal {
                median,
                cv,
                lower,
                upper,
            } => format!(
                "{{ distribution = \"lognormal\", median = {median:?}, cv = {cv:?}, lower = {lower:?}, upper = {upper:?} }}"
            ),
            Draw::Uniform { lower, upper } => {
                format!("{{ distribution = \"uniform\", lower = {lower:?}, upper = {upper:?} }}")
            }
            Draw::Normal {
                mean,
                sd,
                lower,
                upper,
            } => format!(
                "{{ distribution = \"normal\", mean = {mean:?}, sd = {sd:?}, lower = {lower:?}, upper = {upper:?} }}"
            ),
            Draw::Fixed { value } => format!("{{ distribution = \"fixed\", value = {value:?} }}"),
        };
        if !self.covariates.is_empty() {
            out.push_str("\n[population.covariates]\n");
            for (name, d) in &self.covariates {
                let _ = writeln!(out, "{} = {}", quote(name), draw(d));
            }
        }
        match &self.dose {
            Some(DoseRule::PerKg { per_kg, flat_above }) => {
                let _ = write!(out, "\n[population.dose]\nper_kg = {}\n", draw(per_kg));
                if let Some((kg, flat)) = flat_above {
                    let _ = write!(out, "flat_above_kg = {kg:?}\nflat = {}\n", draw(flat));
                }
            }
            Some(DoseRule::Flat { cells }) => {
                let _ = write!(out, "\n[population.dose]\nflat = {}\n", draw(cells));
            }
            None => {}
        }
        for p in self.parameters.iter().filter(|_| spreads) {
            let body = match p.spread {
                Spread::Lognormal { omega } => {
                    format!("distribution = \"lognormal\"\nomega2 = {:?}", omega * omega)
                }
                Spread::Logitnormal { omega } => format!(
                    "distribution = \"logitnormal\"\nomega2 = {:?}",
                    omega * omega
                ),
                Spread::Normal { sd } => format!("distribution = \"normal\"\nsd = {sd:?}"),
                Spread::Uniform { lower, upper } => {
                    format!("distribution = \"uniform\"\nlower = {lower:?}\nupper = {upper:?}")
                }
            };
            let shared = p
                .shared
                .as_ref()
                .map_or_else(String::new, |e| format!("shared = {}\n", quote(e)));
            let _ = write!(
                out,
                "\n[[population.parameters]]\nname = {}\n{body}\n{shared}",
                quote(&p.name)
            );
        }
        let mut correlations = String::new();
        for i in 0..self.parameters.len() {
            for j in 0..i {
                let r = self.correlation[i][j];
                if r.abs() > 0.0 {
                    let _ = writeln!(
                        correlations,
                        "{} = {r:?}",
                        quote(&format!(
                            "{},{}",
                            self.parameters[j].name, self.parameters[i].name
                        ))
                    );
                }
            }
        }
        if !correlations.is_empty() {
            let _ = write!(out, "\n[population.correlations]\n{correlations}");
        }
        out
    }

    fn with_identity(mut self) -> Self {
        let n = self.parameters.len();
        self.correlation = (0..n)
            .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect();
        self
    }
}

/// Checks the shared random effects of a population's varying parameters (after a population
/// file re-spread some): each named by at least two parameters, all of one kind of spread, and
/// a deviate that can lie within every member's bounds at its typical value. `Err` gives the
/// model index of the member to report at, and why.
fn check_shared(parameters: &[VaryingParameter], model: &ModelSpec) -> Result<(), (usize, String)> {
    for (k, p) in parameters.iter().enumerate() {
        let Some(effect) = &p.shared else { continue };
        if parameters[..k]
            .iter()
            .any(|q| q.shared.as_ref() == Some(effect))
        {
            continue; // checked with its first member
        }
        let members: Vec<&VaryingParameter> = parameters
            .iter()
            .filter(|q| q.shared.as_ref() == Some(effect))
            .collect();
        if members.len() < 2 {
            return Err((
                p.index,
                format!(
                    "`{}`: shared effect `{effect}` is named by no other parameter; expected a shared effect named by at least two parameters (one alone is an independent effect: remove `shared`, or name the effect as its other members do)",
                    p.name
                ),
            ));
        }
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        for q in members {
            if std::mem::discriminant(&q.spread) != std::mem::discriminant(&p.spread) {
                return Err((
                    q.index,
                    format!(
                        "`{}`: shared effect `{effect}`: expected the spread of its other members ({} as `{}`), got {}",
                        q.name,
                        spread_kind(&p.spread),
                        p.name,
                        spread_kind(&q.spread)
                    ),
                ));
            }
            let bounds = &model.parameters[q.index];
            let (a, b) =
                super::sample::spread_z_bounds(q.spread, bounds.value, bounds.lower, bounds.upper);
            (lo, hi) = (lo.max(a), hi.min(b));
            if super::truncated::mass(lo, hi) < super::truncated::MIN_MASS {
                return Err((
                    q.index,
                    format!(
                        "`{}`: shared effect `{effect}`: its bounds [{}, {}] around {} leave the effect's deviate no room beside the other members' (an empty truncation interval [{lo}, {hi}]); expected bounds whose intersection on the deviate is not empty",
                        q.name, bounds.lower, bounds.upper, bounds.value
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The name of a spread's distribution, as written in files.
fn spread_kind(s: &Spread) -> &'static str {
    match s {
        Spread::Lognormal { .. } => "lognormal",
        Spread::Logitnormal { .. } => "logitnormal",
        Spread::Normal { .. } => "normal",
        Spread::Uniform { .. } => "uniform",
    }
}

/// The model file's variabilities, replaced or extended by `overrides` (drained).
fn model_variability(
    model: &ModelSpec,
    overrides: &mut Vec<VaryingParameter>,
) -> Result<Vec<VaryingParameter>, String> {
    let mut out = Vec::new();
    for (index, p) in model.parameters.iter().enumerate() {
        if let Some(k) = overrides.iter().position(|o| o.index == index) {
            out.push(overrides.remove(k));
        } else if let Some(v) = &p.variability {
            let spread = spread(
                &v.distribution,
                v.omega2,
                v.cv,
                None,
                Some(p.lower),
                Some(p.upper),
            )
            .map_err(|m| format!("{}: variability of `{}`: {m}", model.path.display(), p.name))?;
            out.push(VaryingParameter {
                name: p.name.clone(),
                index,
                spread,
                shared: v.shared.clone(),
            });
        }
    }
    Ok(out)
}

fn spread(
    distribution: &str,
    omega2: Option<f64>,
    cv: Option<f64>,
    sd: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
) -> Result<Spread, String> {
    let omega = || -> Result<f64, String> {
        match (omega2, cv) {
            (Some(w), None) if w.is_finite() && w >= 0.0 => Ok(w.sqrt()),
            (None, Some(cv)) if cv.is_finite() && cv >= 0.0 => Ok((1.0 + cv * cv).ln().sqrt()),
            (Some(w), None) => Err(format!("expected a finite omega2 >= 0, got {w}")),
            (None, Some(cv)) => Err(format!("expected a finite cv >= 0, got {cv}")),
            (Some(_), Some(_)) => Err("expected omega2 or cv, not both".into()),
            (None, None) => Err("needs omega2 or cv".into()),
        }
    };
    match distribution {
        "lognormal" => Ok(Spread::Lognormal { omega: omega()? }),
        "logitnormal" => Ok(Spread::Logitnormal { omega: omega()? }),
        "normal" => match sd {
            Some(sd) if sd.is_finite() && sd >= 0.0 => Ok(Spread::Normal { sd }),
            _ => Err("normal needs a non-negative sd".into()),
        },
        "uniform" => match (lower, upper) {
            (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() && lo <= hi => {
                Ok(Spread::Uniform {
                    lower: lo,
                    upper: hi,
                })
            }
            _ => Err("uniform needs finite lower <= upper".into()),
        },
        other => Err(format!(
            "unknown distribution `{other}`; expected lognormal, logitnormal, normal or uniform"
        )),
    }
}

/// Which of `Patient`'s covariate ranges a population covariate name has.
fn covariate_kind(name: &str) -> &'static str {
    match name {
        "weight_kg" => "weight",
        "height_cm" => "height",
        "age_years" => "age",
        _ => "egfr",
    }
}

/// A uniform spread must lie within the parameter's bounds (other spreads are truncated to them
/// when drawn).
fn within_bounds(spread: Spread, lower: f64, upper: f64, unit: &str) -> Result<Spread, String> {
    match spread {
        Spread::Uniform { lower: a, upper: b } if a < lower || b > upper => Err(format!(
            "expected uniform bounds within the parameter's bounds [{lower}, {upper}] {unit}, got [{a}, {b}]"
        )),
        s => Ok(s),
    }
}

/// A validated draw. `valid` is the range every value must lie in (a covariate's physiological
/// range, a dose's limits): bounds left out default to it, bounds written outside it are
/// refused, and the distribution must keep some probability between its bounds.
fn draw(d: RawDraw, valid: (f64, f64, &str)) -> Result<Draw, String> {
    let (lo_valid, hi_valid, unit) = valid;
    let bounds = |lo: Option<f64>, hi: Option<f64>| -> Result<(f64, f64), String> {
        for (what, v) in [("lower", lo), ("upper", hi)] {
            if let Some(v) = v
                && !(v.is_finite() && v >= lo_valid && v <= hi_valid)
            {
                return Err(format!(
                    "expected {what} within the valid range [{lo_valid}, {hi_valid}] {unit}, got {v}"
                ));
            }
        }
        let (lo, hi) = (lo.unwrap_or(lo_valid), hi.unwrap_or(hi_valid));
        if lo < hi {
            Ok((lo, hi))
        } else {
            Err(format!(
                "expected lower < upper (an empty truncation interval cannot be drawn from), got [{lo}, {hi}]"
            ))
        }
    };
    // the probability the distribution keeps between the bounds
    let keeps = |a: f64, b: f64, what: &str| -> Result<(), String> {
        let m = super::truncated::mass(a, b);
        if m >= super::truncated::MIN_MASS {
            Ok(())
        } else {
            Err(format!(
                "{what} keeps a probability of {m:.1e} between its bounds: an empty truncation \
                 interval; expected bounds around the bulk of the distribution"
            ))
        }
    };
    let out = match d.distribution {
        DrawKind::Lognormal => {
            let (median, cv) = (
                d.median.ok_or("lognormal needs a median")?,
                d.cv.ok_or("lognormal needs a cv")?,
            );
            if !(median.is_finite() && median > 0.0 && cv.is_finite() && cv >= 0.0) {
                return Err(format!(
                    "expected a positive median and a non-negative cv, got {median} and {cv}"
                ));
            }
            let (lower, upper) = bounds(d.lower, d.upper)?;
            let omega = (1.0 + cv * cv).ln().sqrt();
            let z = |x: f64| {
                if x <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    (x / median).ln() / omega
                }
            };
            if omega > 0.0 {
                keeps(z(lower), z(upper), "the lognormal")?;
            } else if !(lower..=upper).contains(&median) {
                return Err(format!(
                    "expected the median within [{lower}, {upper}] when cv = 0, got {median}"
                ));
            }
            Draw::Lognormal {
                median,
                cv,
                lower,
                upper,
            }
        }
        DrawKind::Uniform => {
            let (Some(_), Some(_)) = (d.lower, d.upper) else {
                return Err("uniform needs lower and upper".into());
            };
            let (lower, upper) = bounds(d.lower, d.upper)?;
            Draw::Uniform { lower, upper }
        }
        DrawKind::Normal => {
            let (mean, sd) = (
                d.mean.ok_or("normal needs a mean")?,
                d.sd.ok_or("normal needs an sd")?,
            );
            if !(mean.is_finite() && sd.is_finite() && sd >= 0.0) {
                return Err(format!(
                    "expected a finite mean and a non-negative sd, got {mean} and {sd}"
                ));
            }
            let (lower, upper) = bounds(d.lower, d.upper)?;
            if sd > 0.0 {
                keeps((lower - mean) / sd, (upper - mean) / sd, "the normal")?;
            } else if !(lower..=upper).contains(&mean) {
                return Err(format!(
                    "expected the mean within [{lower}, {upper}] when sd = 0, got {mean}"
                ));
            }
            Draw::Normal {
                mean,
                sd,
                lower,
                upper,
            }
        }
        DrawKind::Fixed => {
            if d.lower.is_some() || d.upper.is_some() {
                return Err("a fixed value takes no lower or upper".into());
            }
            let value = d.value.ok_or("fixed needs a value")?;
            if !(value.is_finite() && value >= lo_valid && value <= hi_valid) {
                return Err(format!(
                    "expected a value within the valid range [{lo_valid}, {hi_valid}] {unit}, got {value}"
                ));
            }
            Draw::Fixed { value }
        }
    };
    // keys that belong to another distribution would be silently unused
    let unused: Vec<&str> = [
        (
            "median",
            d.median.is_some(),
            matches!(d.distribution, DrawKind::Lognormal),
        ),
        (
            "cv",
            d.cv.is_some(),
            matches!(d.distribution, DrawKind::Lognormal),
        ),
        (
            "mean",
            d.mean.is_some(),
            matches!(d.distribution, DrawKind::Normal),
        ),
        (
            "sd",
            d.sd.is_some(),
            matches!(d.distribution, DrawKind::Normal),
        ),
        (
            "value",
            d.value.is_some(),
            matches!(d.distribution, DrawKind::Fixed),
        ),
    ]
    .iter()
    .filter(|(_, given, used)| *given && !*used)
    .map(|(k, _, _)| *k)
    .collect();
    if !unused.is_empty() {
        return Err(format!(
            "{} does not apply to this distribution; expected only its own keys",
            unused.join(", ")
        ));
    }
    Ok(out)
}
