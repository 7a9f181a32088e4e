//! # cartkin-core
//!
//! Models, regimens, ODE solving and clinical outcomes for CD19 CAR-T cell therapy in
//! B-cell acute lymphoblastic leukemia.
//!
//! | you want to ... | use |
//! |---|---|
//! | load a model file (`models/*.toml`) | [`model::Model::load`], [`model::resolve`] |
//! | override parameters | [`model::Model::set`] |
//! | build a regimen | [`regimen::resolve`] (a name in [`regimen::NAMED`] or a TOML file) |
//! | derive a scenario arm (dose, target AUC, timing) | [`regimen::Regimen::with_drug_dose`], [`regimen::Regimen::with_target_auc`], [`regimen::Regimen::with_infusion_delay`], [`regimen::Regimen::scaled_drug`] |
//! | dose fludarabine to a target AUC | [`model::FludarabineDosing::for_model`], [`simulate::Request::with_regimen_dosed_by`] |
//! | simulate a patient | [`simulate::simulate`] with a [`simulate::Request`] |
//! | get clinical outcomes | [`outcome::Outcomes::compute`] |
//! | sample a trajectory on a grid | [`outcome::sample`] |
//!
//! ```
//! use cartkin_core::{model, outcome, patient::Patient, regimen, simulate};
//!
//! let model = model::Model::load(&model::resolve("stein_2019")?)?;
//! let patient = Patient::new(35.0, 140.0, None, 120.0, 11.0, "example")?;
//! let regimen = regimen::resolve("none")?;
//! let request = simulate::Request::with_regimen(&model, patient, &regimen, None, 365.0, Default::default());
//! let sim = simulate::simulate(&request)?;
//! let outcomes = outcome::Outcomes::compute(&sim, model.spec());
//! let kinetics = outcomes.car_t.ok_or("stein_2019 declares a CAR-T observable")?;
//! assert!((kinetics.tmax_day - 9.3).abs() < 1e-3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(clippy::float_cmp)]
#![warn(missing_docs)]

pub mod bundled;
pub mod error;
pub mod format;
pub mod model;
pub mod outcome;
pub mod patient;
pub mod regimen;
pub mod simulate;
pub mod solve;
pub mod stats;

pub use error::{InputError, Location, SimulationError};
