//! Validation against held-out clinical figures (`cartkin validate`): published figures the
//! model was not calibrated to, each simulated by a named [`Measure`] on a virtual population
//! of its model and design, compared with an acceptance band whose justification is written
//! in the validation file.
//!
//! - [`file`]: the validation file (`data/validation.toml`), refused at its line when wrong.
//! - [`measure`]: the closed catalogue of measures, what they read and need.
//! - [`compute`]: each measure on its simulated population(s), with a 95% CI.
//! - [`interval`]: medians, proportions, ratios and paired differences with their CIs.
//! - [`cox`]: Cox proportional hazards with one binary covariate (relapse hazard ratios).
//! - [`report`]: `validation.json` and `validation.md`.
//!
//! [`Plan::prepare`] checks everything (models, regimens, what each model reports, the
//! parameters a measure reads, survival months within the follow-up) before [`Plan::run`]
//! simulates each distinct (model, regimen) population once, seeded: results are bit-identical
//! whatever the thread count.

pub mod compute;
pub mod cox;
pub mod file;
pub mod interval;
pub mod measure;
pub mod report;

use std::path::{Path, PathBuf};

use cartkin_core::model::{self, Model};
use cartkin_core::regimen::{self, Regimen};
use cartkin_core::solve::SolverOptions;
use serde::Serialize;

pub use file::{Band, Design, FigureSpec, Tag, ValidationFile};
pub use measure::Measure;

use crate::error::TrialError;
use crate::vpop::{PatientResult, PopulationSpec, Sampler, simulate_population, spec};

/// The model `--model` replaces: figures simulated on the ELIANA-calibrated model are those a
/// freshly calibrated model is checked on.
pub const ELIANA_MODEL: &str = "cart_all_eliana";

/// One population to simulate: a model (with its population) under a regimen.
struct Population {
    model: Model,
    spec: PopulationSpec,
    regimen: Regimen,
    /// The model as named (after `--model`), for keys and reports.
    model_name: String,
    regimen_name: String,
}

/// A figure with the populations it reads (indices into [`Plan`]'s populations).
struct Planned {
    spec: FigureSpec,
    model_name: Option<String>,
    populations: Vec<usize>,
    /// Position of the measure's varying parameter in the patients' parameters.
    parameter: Option<usize>,
}

/// A validated validation run: every model, population and regimen loaded and checked.
pub struct Plan {
    file: ValidationFile,
    populations: Vec<Population>,
    figures: Vec<Planned>,
    model_override: Option<String>,
}

/// Outcome of one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The simulated value lies inside the acceptance band.
    Pass,
    /// It lies outside, or cannot be estimated in the simulation.
    Fail,
    /// Reported without a band (no published value to compare with).
    Reported,
    /// Not simulated (the model does not describe it).
    NotSimulated,
}

impl Status {
    /// As printed: `pass`, `FAIL`, `reported`, `not simulated`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Reported => "reported",
            Status::NotSimulated => "not simulated",
        }
    }
}

/// One figure's result: published beside simulated, with the band and its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Figure id.
    pub id: String,
    /// The figure in words.
    pub figure: String,
    /// Unit (empty for proportions and ratios).
    pub unit: String,
    /// Measure name.
    pub measure: &'static str,
    /// Model simulated (`null` when not simulated).
    pub model: Option<String>,
    /// Regimen(s) simulated.
    pub regimens: Vec<String>,
    /// Published value.
    pub published: Option<f64>,
    /// The published finding in words, where it is not a number.
    pub published_text: Option<String>,
    /// Published 95% CI.
    pub published_ci95: Option<[f64; 2]>,
    /// Simulated value.
    pub simulated: Option<f64>,
    /// Its 95% CI.
    pub simulated_ci95: Option<[f64; 2]>,
    /// Patients the simulated statistic is computed on (the smaller group of a comparison).
    pub n: Option<usize>,
    /// Acceptance band [lo, hi].
    pub accept: Option<[f64; 2]>,
    /// Why the band is what it is.
    pub band_reason: Option<String>,
    /// The band is compared on a log scale (ratios).
    pub log_scale: bool,
    /// Pass, fail, reported, not simulated.
    pub status: Status,
    /// Why a figure has no simulated value.
    pub note: Option<String>,
    /// Source of the published value.
    pub source: String,
    /// Verification tag.
    pub tag: &'static str,
}

/// A finished validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// The validation file.
    pub validation_file: PathBuf,
    /// Patients per population.
    pub n: usize,
    /// Seed of every population.
    pub seed: u64,
    /// The model that replaced `cart_all_eliana`, if any.
    pub model_override: Option<String>,
    /// One row per figure, in file order.
    pub rows: Vec<Row>,
}

impl Validation {
    /// Figures inside their bands.
    pub fn passed(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status == Status::Pass)
            .count()
    }

    /// Figures compared with a band (passed or failed).
    pub fn compared(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, Status::Pass | Status::Fail))
            .count()
    }
}

impl Plan {
    /// Loads and checks every model, population and regimen the figures need. `model_override`
    /// replaces [`ELIANA_MODEL`] wherever a figure names it.
    pub fn prepare(file: ValidationFile, model_override: Option<&str>) -> Result<Plan, TrialError> {
        let mut plan = Plan {
            populations: Vec::new(),
            figures: Vec::new(),
            model_override: model_override.map(str::to_string),
            file,
        };
        let figures = plan.file.figures.clone();
        for f in figures {
            let planned = plan.plan_figure(f)?;
            plan.figures.push(planned);
        }
        Ok(plan)
    }

    fn plan_figure(&mut self, f: FigureSpec) -> Result<Planned, TrialError> {
        let file_path = self.file.path.clone();
        let err = |message: String| TrialError::Mismatch {
            path: file_path.clone(),
            line: f.line,
            message: format!("figure `{}`: {message}", f.id),
        };
        let Some(named) = f.model.clone() else {
            return Ok(Planned {
                spec: f,
                model_name: None,
                populations: Vec::new(),
                parameter: None,
            });
        };
        let name = match &self.model_override {
            Some(m) if named == ELIANA_MODEL => m.clone(),
            _ => named,
        };
        let regimens: Vec<Option<String>> = match &f.design.arms {
            Some([a, b]) => vec![Some(a.clone()), Some(b.clone())],
            None => vec![f.design.regimen.clone()],
        };
        let mut populations = Vec::new();
        for r in regimens {
            let k = self.population(&name, r.as_deref()).map_err(err)?;
            populations.push(k);
        }
        let pop = &self.populations[populations[0]];
        let outcomes = &pop.model.spec().outcomes;
        for need in f.measure.needs() {
            if !need.met_by(outcomes) {
                return Err(err(format!(
                    "measure `{}` needs {}; model `{}` has none",
                    f.measure.name(),
                    need.describe(),
                    name
                )));
            }
        }
        let parameter = match f.measure.parameter() {
            Some(p) => Some(
                pop.spec
                    .parameters
                    .iter()
                    .position(|v| v.name == p)
                    .ok_or_else(|| {
                        err(format!(
                            "measure `{}` reads the varying parameter `{p}`; model `{name}` does not vary it (varying: {})",
                            f.measure.name(),
                            pop.spec
                                .parameters
                                .iter()
                                .map(|v| v.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?,
            ),
            None => None,
        };
        if f.measure == Measure::SevereCrsWithoutExpansion {
            let spec = pop.model.spec();
            let unit = outcomes
                .car_t
                .as_ref()
                .and_then(|c| spec.column_index(c))
                .and_then(|i| spec.column_unit(i))
                .unwrap_or_default();
            if unit != "cells" {
                return Err(err(format!(
                    "expansion_fold compares CAR-T Cmax with the infused cells; model `{name}`'s CAR-T observable is in `{unit}`, expected `cells`"
                )));
            }
        }
        let follow_up = pop.spec.follow_up_days;
        let reach = f
            .design
            .month
            .map(|m| (m * compute::MONTH_DAYS, "month"))
            .or(f.design.landmark_day.map(|d| (d, "landmark_day")));
        if let Some((day, key)) = reach
            && day >= follow_up
        {
            return Err(err(format!(
                "{key}: day {day:.1} is not within the population's follow-up of {follow_up} days"
            )));
        }
        if !f.measure.needs().is_empty() && follow_up < cartkin_core::outcome::MONTH_3 {
            return Err(err(format!(
                "the population's follow-up ({follow_up} days) ends before remission is assessed at month 3"
            )));
        }
        Ok(Planned {
            spec: f,
            model_name: Some(name),
            populations,
            parameter,
        })
    }

    /// The index of the population of model `name` under `regimen` (`None`: the population's
    /// own), loading it on first use.
    fn population(&mut self, name: &str, regimen: Option<&str>) -> Result<usize, String> {
        let path = model::resolve(name).map_err(|e| format!("model: {e}"))?;
        let loaded = self
            .populations
            .iter()
            .find(|p| p.model_name == name)
            .map(|p| (p.model.clone(), p.spec.clone()));
        let (model, spec) = match loaded {
            Some(x) => x,
            None => {
                let model = Model::load(&path).map_err(|e| format!("model: {e}"))?;
                let spec = spec::load(&path, model.spec())
                    .map_err(|e| format!("model `{name}`'s population: {e}"))?;
                Sampler::new(&spec, &model)
                    .check()
                    .map_err(|m| format!("model `{name}`'s population: {m}"))?;
                (model, spec)
            }
        };
        let regimen_name = regimen.unwrap_or(&spec.regimen).to_string();
        if let Some(k) = self
            .populations
            .iter()
            .position(|p| p.model_name == name && p.regimen_name == regimen_name)
        {
            return Ok(k);
        }
        let resolved = resolve_regimen(&regimen_name, regimen.is_some(), &self.file.path)
            .map_err(|e| format!("regimen: {e}"))?;
        self.populations.push(Population {
            model,
            spec,
            regimen: resolved,
            model_name: name.to_string(),
            regimen_name,
        });
        Ok(self.populations.len() - 1)
    }

    /// Populations the run simulates.
    pub fn population_count(&self) -> usize {
        self.populations.len()
    }

    /// Simulates every population (`n` patients, `seed`) and computes every figure.
    /// `progress` is called after each patient.
    pub fn run(
        &self,
        n: usize,
        seed: u64,
        options: SolverOptions,
        progress: &(dyn Fn() + Sync),
    ) -> Validation {
        let simulated: Vec<Vec<PatientResult>> = self
            .populations
            .iter()
            .map(|p| simulate_population(&p.model, &p.spec, &p.regimen, n, seed, options, progress))
            .collect();
        let rows = self
            .figures
            .iter()
            .map(|f| self.row(f, &simulated))
            .collect();
        Validation {
            validation_file: self.file.path.clone(),
            n,
            seed,
            model_override: self.model_override.clone(),
            rows,
        }
    }

    fn row(&self, f: &Planned, simulated: &[Vec<PatientResult>]) -> Row {
        let s = &f.spec;
        let arms: Vec<compute::Simulated<'_>> = f
            .populations
            .iter()
            .map(|k| compute::Simulated {
                patients: &simulated[*k],
                parameter: f.parameter,
            })
            .collect();
        let (estimate, note) = if s.measure == Measure::NotModelled {
            (
                None,
                Some("not simulated: the model does not describe it".to_string()),
            )
        } else {
            match compute::compute(s.measure, &s.design, &arms) {
                Ok(e) => (Some(e), None),
                Err(m) => (None, Some(format!("not estimable: {m}"))),
            }
        };
        let value = estimate.map(|e| e.value).filter(|v| v.is_finite());
        let status = match (&s.band, s.measure) {
            (_, Measure::NotModelled) => Status::NotSimulated,
            (None, _) => Status::Reported,
            (Some(b), _) => match value {
                Some(v) if b.lo <= v && v <= b.hi => Status::Pass,
                _ => Status::Fail,
            },
        };
        Row {
            id: s.id.clone(),
            figure: s.figure.clone(),
            unit: s.unit.clone(),
            measure: s.measure.name(),
            model: f.model_name.clone(),
            regimens: f
                .populations
                .iter()
                .map(|k| self.populations[*k].regimen_name.clone())
                .collect(),
            published: s.published,
            published_text: s.published_text.clone(),
            published_ci95: s.ci95,
            simulated: value,
            simulated_ci95: estimate.and_then(|e| e.ci95),
            n: estimate.map(|e| e.n),
            accept: s.band.as_ref().map(|b| [b.lo, b.hi]),
            band_reason: s.band.as_ref().map(|b| b.reason.clone()),
            log_scale: s.measure.is_ratio(),
            status,
            note,
            source: s.source.clone(),
            tag: s.tag.label(),
        }
    }
}

/// A regimen by name, or a file: a path written in the validation file is relative to it.
fn resolve_regimen(name: &str, from_file: bool, file: &Path) -> Result<Regimen, String> {
    if from_file && (name.contains('/') || name.ends_with(".toml")) {
        let dir = file.parent().unwrap_or(Path::new("."));
        let path = dir.join(name);
        return regimen::load(&path).map_err(|e| e.to_string());
    }
    regimen::resolve(name).map_err(|e| e.to_string())
}
