//! # cartkin-fit
//!
//! Fitting CAR-T PK/PD models to time-course data.

pub mod data;
pub mod error;
pub mod error_model;
pub mod fit;
pub mod optimizer;
pub mod problem;
pub mod setup;
pub mod survival;
pub mod transform;
pub mod uncertainty;
pub mod vpop;
