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
    /// The optimizer failed.
    #[error("optimizer: {0}")]
    Optimizer(String),
}
