//! Virtual populations: drawing patients from a population specification, simulating them in
//! parallel, and writing their rows (`patients.csv`); their endpoints are those of
//! [`crate::endpoint`].
//!
//! ```
//! use cartkin_core::{model, regimen, solve::SolverOptions};
//! use cartkin_trial::endpoint::{Endpoint, RFS_MONTHS, summarize};
//! use cartkin_trial::vpop::{simulate_population, spec};
//!
//! let path = model::resolve("cart_all_eliana")?;
//! let model = model::Model::load(&path)?;
//! let population = spec::load(&path, model.spec())?;
//! let regimen = regimen::resolve(&population.regimen)?;
//! // 40 patients of the ELIANA-calibrated population, seed 1 (any thread count, same result)
//! let patients = simulate_population(&model, &population, &regimen, 40, 1, SolverOptions::default(), &|| {});
//! let s = summarize(&patients, &RFS_MONTHS);
//! assert_eq!(s.n, 40);
//! let orr = s.rate(Endpoint::Remission).ok_or("cart_all_eliana assesses remission")?;
//! assert!(orr > 0.5 && orr <= 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calibrate;
pub mod patients_csv;
pub mod report;
pub mod run;
pub mod sample;
pub mod spec;
pub mod targets;
pub mod truncated;

pub use run::{PatientResult, Streamed, simulate_population};
pub use sample::{Sampler, VirtualPatient};
pub use spec::PopulationSpec;
