//! Errors of the virtual-trial crate.

use std::path::PathBuf;

/// What can go wrong reading a population, targets or scenario file, or running a trial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrialError {
    /// Model, regimen or patient input.
    #[error(transparent)]
    Input(#[from] cartkin_core::InputError),
    /// A file's content is wrong at a line.
    #[error("{path}:{line}: {message}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Line in the file.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A setting is invalid: a file that cannot be read, a hyperparameter, a population.
    #[error("{setting}: {message}")]
    Setting {
        /// The setting (a file, a key, a hyperparameter).
        setting: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A scenario file is invalid: the file, line, arm (if any), key and what was expected.
    #[error("{path}:{line}: {}{key}: {message}", arm.as_ref().map(|a| format!("arm \"{a}\": ")).unwrap_or_default())]
    Scenario {
        /// Scenario file.
        path: PathBuf,
        /// Line in the file.
        line: usize,
        /// Name of the arm the key belongs to.
        arm: Option<String>,
        /// The key (e.g. `dose_per_kg`, `set.L0`, `sweep.x.points`).
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The calibration's optimizer failed.
    #[error("optimizer: {0}")]
    Optimizer(String),
}

impl TrialError {
    /// Reads `path` as text (or a bundled file): a failed read names the file, and text that
    /// is not UTF-8 the line of its first invalid byte.
    pub fn read_text(path: &std::path::Path) -> Result<String, TrialError> {
        cartkin_core::bundled::read_text(path).map_err(|e| match e {
            cartkin_core::bundled::ReadError::NotUtf8 { line } => TrialError::Mismatch {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            },
            cartkin_core::bundled::ReadError::Io(_) => TrialError::Setting {
                setting: path.display().to_string(),
                message: e.to_string(),
            },
        })
    }
}
