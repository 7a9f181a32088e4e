//! Models: model files, the [`Dynamics`] interface and the built-in structures.
//!
//! A [`Model`] is a validated [`ModelSpec`] (from a TOML file in `models/`), the built-in
//! [`Structure`] it names, and the current parameter values (the file's typical values,
//! possibly overridden with [`Model::set`]).

pub mod builtin;
pub mod dynamics;
pub mod expr;
pub mod extends;
pub mod file;
pub mod overlay;
pub mod spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builtin::FludarabineDosing;
pub use dynamics::{
    Agent, Dynamics, MAX_ROUTES, MAX_STATES, ParameterDomain, Route, RouteKind, Seed,
    SegmentInputs, Structure,
};
pub use spec::*;

use crate::error::{InputError, Location};
use crate::patient::Patient;

/// A model ready to simulate. Cloning is cheap (the spec is shared), so a fit can keep one
/// copy per parameter vector.
#[derive(Clone)]
pub struct Model {
    spec: Arc<ModelSpec>,
    structure: &'static dyn Structure,
    values: Vec<f64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.spec.name)
            .field("values", &self.values)
            .finish()
    }
}

impl Model {
    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        Self::from_spec(file::load(path)?)
    }

    /// Wraps an already validated spec.
    pub fn from_spec(spec: ModelSpec) -> Result<Self, InputError> {
        let structure = builtin::find(&spec.structure).ok_or_else(|| InputError::Unknown {
            location: Location::file(&spec.path),
            kind: "structure",
            name: spec.structure.clone(),
            available: join_names(builtin::STRUCTURES.iter().map(|s| s.id())),
        })?;
        let values = spec.parameters.iter().map(|p| p.value).collect();
        Ok(Model {
            spec: Arc::new(spec),
            structure,
            values,
        })
    }

    /// The model's description.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Model name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Dosing routes.
    pub fn routes(&self) -> &'static [Route] {
        self.structure.routes()
    }

    /// Whether the model takes `agent` (has a route for it).
    pub fn takes(&self, agent: Agent) -> bool {
        self.routes().iter().any(|r| r.agent == agent)
    }

    /// Current parameter values, in the order of `spec().parameters`.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Current value of a parameter.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.spec.parameter_index(name).map(|i| self.values[i])
    }

    /// Overrides a parameter, checking that it exists and lies within its bounds.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), InputError> {
        let index = self
            .spec
            .parameter_index(name)
            .ok_or_else(|| InputError::Unknown {
                location: Location::file(&self.spec.path),
                kind: "parameter",
                name: name.to_string(),
                available: join_names(self.spec.parameters.iter().map(|p| p.name.as_str())),
            })?;
        let p = &self.spec.parameters[index];
        if !(value.is_finite() && value >= p.lower && value <= p.upper) {
            return Err(InputError::Invalid {
                location: p
                    .location
                    .clone()
                    .unwrap_or_else(|| Location::file(&self.spec.path)),
                field: format!("parameter `{name}`"),
                expected: format!(
                    "a number within its bounds [{}, {}] {}",
                    p.lower, p.upper, p.unit
                ),
                found: value.to_string(),
            });
        }
        self.values[index] = value;
        Ok(())
    }

    /// Overrides the parameter at `index` (in `spec().parameters` order), checking its bounds.
    pub fn set_index(&mut self, index: usize, value: f64) -> Result<(), InputError> {
        match self.spec.parameters.get(index) {
            Some(p) if value.is_finite() && value >= p.lower && value <= p.upper => {
                self.values[index] = value;
                Ok(())
            }
            Some(p) => {
                let name = p.name.clone();
                self.set(&name, value)
            }
            None => Err(InputError::Invalid {
                location: Location::file(&self.spec.path),
                field: "parameter index".into(),
                expected: format!("an index below {}", self.spec.parameters.len()),
                found: index.to_string(),
            }),
        }
    }

    /// The initial state [natural units, model order] from the model file's `initial`
    /// expressions at the current parameter values and `patient`'s covariates
    /// ([`crate::patient::COVARIATE_NAMES`], read after the parameters). Not checked here:
    /// [`crate::simulate`] refuses a non-finite or negative one.
    pub fn initial_state(&self, patient: &Patient, x0: &mut [f64]) {
        let mut values = Vec::with_capacity(self.values.len() + 4);
        values.extend_from_slice(&self.values);
        values.extend_from_slice(&patient.covariate_values());
        for (x, s) in x0.iter_mut().zip(&self.spec.states) {
            *x = s.initial_expr.eval(&values);
        }
    }

    /// Binds the current parameters and the patient's covariates.
    pub fn dynamics(&self, patient: &Patient) -> Box<dyn Dynamics> {
        self.structure.build(&self.values, patient)
    }
}

/// Where model files named without a path are looked for before the bundled ones: the
/// directory in `$CARTKIN_MODELS`, if set.
pub fn search_dirs() -> Vec<PathBuf> {
    std::env::var_os("CARTKIN_MODELS")
        .map(PathBuf::from)
        .into_iter()
        .collect()
}

/// Resolves `NAME|PATH`: an existing file path, `NAME.toml` in [`search_dirs`], or a model
/// bundled with cartkin ([`crate::bundled::MODELS`]).
pub fn resolve(name_or_path: &str) -> Result<PathBuf, InputError> {
    let as_path = Path::new(name_or_path);
    if as_path.is_file() || crate::bundled::is_bundled(as_path) {
        return Ok(as_path.to_path_buf());
    }
    let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    if looks_like_path {
        return Err(InputError::Read {
            path: as_path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such model file"),
        });
    }
    for dir in search_dirs() {
        let candidate = dir.join(format!("{name_or_path}.toml"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    crate::bundled::path(crate::bundled::Kind::Model, name_or_path).ok_or_else(|| {
        InputError::UnknownName {
            kind: "model (name or file)",
            name: name_or_path.to_string(),
            available: join_names(list_bundled().iter().map(|(n, _)| n.as_str())),
        }
    })
}

/// Model names and their files: those in [`search_dirs`], then the bundled ones they do not
/// override, sorted by name.
pub fn list_bundled() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in search_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        found.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p))),
        );
    }
    for name in crate::bundled::Kind::Model.names() {
        if !found.iter().any(|(n, _)| n == name)
            && let Some(p) = crate::bundled::path(crate::bundled::Kind::Model, name)
        {
            found.push((name.to_string(), p));
        }
    }
    found.sort();
    found
}
