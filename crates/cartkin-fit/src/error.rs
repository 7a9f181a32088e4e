//! Errors of the fitting crate.

use std::path::PathBuf;

use crate::data::DataError;

/// What can go wrong setting up or running a fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// The data file.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Model, regimen or patient input.
    #[error(transparent)]
    Input(#[from] cartkin_core::InputError),
    /// The data do not fit the model or the settings (e.g. an unknown CMT).
    #[error("{path}:{line}: {message}")]
    Mismatch {
        /// Data file.
        path: PathBuf,
        /// Line in the data file.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A fit setting is invalid.
    #[error("{setting}: {message}")]
    Setting {
        /// The setting (command-line flag or fit-file key).
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
    /// The optimizer failed.
    #[error("optimizer: {0}")]
    Optimizer(String),
}

impl FitError {
    /// Reads `path` as text (or a bundled file): a failed read names the file, and text that
    /// is not UTF-8 the line of its first invalid byte.
    pub fn read_text(path: &std::path::Path) -> Result<String, FitError> {
        cartkin_core::bundled::read_text(path).map_err(|e| match e {
            cartkin_core::bundled::ReadError::NotUtf8 { line } => FitError::Mismatch {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            },
            cartkin_core::bundled::ReadError::Io(_) => FitError::Setting {
                setting: path.display().to_string(),
                message: e.to_string(),
            },
        })
    }
}
