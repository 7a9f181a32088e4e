//! # cartkin-trial
//!
//! Virtual trials of CAR-T therapy: populations of virtual patients, their clinical endpoints,
//! survival statistics, calibration of population hyperparameters to trial figures, and
//! scenarios that compare arms on the same patients.
//!
//! | you want to ... | use |
//! |---|---|
//! | simulate a virtual population | [`vpop::spec::load`], [`vpop::simulate_population`], [`vpop::summary::summarize`] |
//! | Kaplan–Meier with Greenwood CIs | [`survival::KaplanMeier`] |
//! | compare arms (dose, lymphodepletion, product) on the same patients | [`scenario::load`], [`scenario::simulate_arms`], [`scenario::summarize`] |
//! | calibrate hyperparameters to trial figures | [`vpop::calibrate::Calibration`] with [`vpop::targets::Targets`] |
//! | check a model against held-out published figures | [`validate::ValidationFile`], [`validate::Plan`] |

#![warn(missing_docs)]

pub mod endpoint;
pub mod error;
pub mod scenario;
pub mod survival;
pub mod validate;
pub mod vpop;

pub use error::TrialError;
