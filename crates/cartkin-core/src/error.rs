//! Errors of the core library.
//!
//! Every variant carries enough context to tell a modeler *what* was wrong and *where*:
//! the file, the line, the field and what was expected. The CLI prints them with `{:#}`.

use std::path::PathBuf;

/// Where in a text file something was found: file path and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file that was read.
    pub path: PathBuf,
    /// 1-based line number, when known.
    pub line: Option<usize>,
}

impl Location {
    /// A location in `path` at the byte offset `offset` of `text`.
    pub fn at_offset(path: impl Into<PathBuf>, text: &str, offset: usize) -> Self {
        let line = text
            .get(..offset.min(text.len()))
            .map_or(1, |head| head.bytes().filter(|b| *b == b'\n').count() + 1);
        Location {
            path: path.into(),
            line: Some(line),
        }
    }

    /// A location in `path` with no line information.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            line: None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// Errors raised while reading or validating model, regimen and patient input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A file could not be read.
    #[error("{path}: cannot read file: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML syntax or its shape is wrong.
    #[error("{location}: {message}")]
    Syntax {
        /// Where.
        location: Location,
        /// What the parser said.
        message: String,
    },
    /// A field has a value outside what is allowed.
    #[error("{location}: {field}: expected {expected}, got {found}")]
    Invalid {
        /// Where.
        location: Location,
        /// The offending field (dotted path or parameter name).
        field: String,
        /// What would have been accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A name given on its own (not in a file) that names nothing: a model or regimen name.
    /// The caller says where it came from (a flag, a file key).
    #[error("unknown {kind} `{name}`; expected one of: {available}")]
    UnknownName {
        /// What kind of thing.
        kind: &'static str,
        /// The name given.
        name: String,
        /// Comma-separated names that exist.
        available: String,
    },
    /// An error in what a model file inherits from a file it extends: reported at its
    /// `extends`, with the inherited line named by the inner error.
    #[error("{location}: {error} (inherited through `extends`)")]
    Inherited {
        /// The extending file, at its `extends` line.
        location: Location,
        /// The error, at the inherited line.
        error: Box<InputError>,
    },
    /// A name that does not exist (model, parameter, state, regimen, route ...).
    #[error("{location}: unknown {kind} `{name}`; expected one of: {available}")]
    Unknown {
        /// Where.
        location: Location,
        /// What kind of name ("model", "parameter", ...).
        kind: &'static str,
        /// The name that was given.
        name: String,
        /// The names that exist, comma-separated.
        available: String,
    },
}

impl InputError {
    /// The error with every location passed through `place` (e.g. from a line of a resolved
    /// model to the line of the file it came from).
    pub fn relocate(self, place: impl Fn(&Location) -> Location) -> Self {
        match self {
            InputError::Syntax { location, message } => InputError::Syntax {
                location: place(&location),
                message,
            },
            InputError::Invalid {
                location,
                field,
                expected,
                found,
            } => InputError::Invalid {
                location: place(&location),
                field,
                expected,
                found,
            },
            InputError::Unknown {
                location,
                kind,
                name,
                available,
            } => InputError::Unknown {
                location: place(&location),
                kind,
                name,
                available,
            },
            other => other,
        }
    }
}

impl InputError {
    /// Where the error was found, if in a file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            InputError::Syntax { location, .. }
            | InputError::Invalid { location, .. }
            | InputError::Unknown { location, .. }
            | InputError::Inherited { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Errors raised while integrating a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// The solver needed more steps than allowed.
    #[error(
        "model `{model}`: the solver needed more than {max_steps} steps before day {time:.6}; \
         the model may be stiff or oscillating there. Try a looser --rtol/--atol, --method dop853, \
         or check the parameters for extreme values"
    )]
    TooManySteps {
        /// Model name.
        model: String,
        /// Day reached.
        time: f64,
        /// The step budget.
        max_steps: u32,
    },
    /// A seeded population arose too many times (it dies out as soon as it appears).
    #[error(
        "model `{model}`: state `{state}` arose {count} times by day {time:.6} (more than allowed); \
         the population dies out as soon as it appears and its arrival rate is far too high: \
         check the parameters of its hazard `{hazard}` (e.g. an escape rate per cell killed)"
    )]
    TooManySeedings {
        /// Model name.
        model: String,
        /// The seeded state.
        state: String,
        /// Its hazard state.
        hazard: String,
        /// Seedings so far.
        count: usize,
        /// Day reached.
        time: f64,
    },
    /// The step size collapsed.
    #[error(
        "model `{model}`: step size underflow at day {time:.6}; the solution changes too fast there \
         (a rate parameter may be orders of magnitude too large)"
    )]
    StepSizeUnderflow {
        /// Model name.
        model: String,
        /// Day reached.
        time: f64,
    },
    /// Dopri5/Dop853 detected stiffness.
    #[error(
        "model `{model}`: the equations became stiff at day {time:.6} and an explicit method cannot \
         integrate them efficiently; check fast rate parameters (e.g. a drug elimination or a \
         cytokine clearance several orders of magnitude faster than the rest)"
    )]
    Stiff {
        /// Model name.
        model: String,
        /// Day reached.
        time: f64,
    },
    /// A state or derivative became non-finite or absurdly large.
    #[error(
        "model `{model}`: state `{state}` blew up (value {value:e}) at day {time:.6}; \
         check growth-rate parameters and capacities"
    )]
    BlowUp {
        /// Model name.
        model: String,
        /// The state.
        state: String,
        /// Its value when the run was stopped.
        value: f64,
        /// Day reached.
        time: f64,
    },
    /// Invalid solver settings or simulation window.
    #[error("invalid simulation setting `{field}`: expected {expected}, got {found}")]
    Setting {
        /// Field.
        field: &'static str,
        /// Expectation.
        expected: &'static str,
        /// What was found.
        found: String,
    },
}

impl InputError {
    /// The error of reading `path` as text (a failed read, or the line of the first byte that
    /// is not UTF-8).
    pub fn from_read(path: &std::path::Path, e: crate::bundled::ReadError) -> Self {
        match e {
            crate::bundled::ReadError::Io(source) => InputError::Read {
                path: path.to_path_buf(),
                source,
            },
            crate::bundled::ReadError::NotUtf8 { line } => InputError::Syntax {
                location: Location {
                    path: path.to_path_buf(),
                    line: Some(line),
                },
                message: "the file is not valid UTF-8 text; re-save it as UTF-8".to_string(),
            },
        }
    }
}
