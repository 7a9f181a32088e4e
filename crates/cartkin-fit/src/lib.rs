//! # cartkin-fit
//!
//! Fitting CAR-T PK/PD models to time-course data: data files, error models, likelihood,
//! optimizers and uncertainty. Virtual populations, survival, calibration to trial figures and
//! scenarios are in `cartkin-trial`; the two crates do not depend on each other.
//!
//! | you want to ... | use |
//! |---|---|
//! | read a NONMEM-style or long CSV | [`data::read_nonmem`], [`data::read_long`] |
//! | set up a maximum-likelihood problem | [`setup::build`] with [`setup::FitSettings`] |
//! | fit pooled or per subject (two-stage) | [`fit::fit`] |
//! | standard errors, profile likelihood | [`uncertainty`] (used by [`fit::fit`]) |

#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod error_model;
pub mod fit;
pub mod optimizer;
pub mod problem;
pub mod report;
pub mod setup;
pub mod transform;
pub mod uncertainty;
