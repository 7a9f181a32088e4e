//! # cartkin-fit
//!
//! Fitting CAR-T PK/PD models to data and to clinical endpoints.
//!
//! | you want to ... | use |
//! |---|---|
//! | read a NONMEM-style or long CSV | [`data::read_nonmem`], [`data::read_long`] |
//! | set up a maximum-likelihood problem | [`setup::build`] with [`setup::FitSettings`] |
//! | fit pooled or per subject (two-stage) | [`fit::fit`] |
//! | standard errors, profile likelihood | [`uncertainty`] (used by [`fit::fit`]) |
//! | Kaplan–Meier with Greenwood CIs | [`survival::KaplanMeier`] |
//! | simulate a virtual population | [`vpop::spec::load`], [`vpop::simulate_population`], [`vpop::summary::summarize`] |
//! | compare arms (dose, lymphodepletion, product) on the same patients | [`scenario::load`], [`scenario::simulate_arms`], [`scenario::summarize`] |
//! | calibrate hyperparameters to trial figures | [`vpop::calibrate::Calibration`] with [`vpop::targets::Targets`] |

#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod error_model;
pub mod fit;
pub mod optimizer;
pub mod problem;
pub mod scenario;
pub mod setup;
pub mod survival;
pub mod transform;
pub mod uncertainty;
pub mod vpop;
