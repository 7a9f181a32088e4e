//! Virtual populations: drawing patients from a population specification, simulating them in
//! parallel, and summarising clinical endpoints.
//!
//! ```
//! use cartkin_core::{model, regimen, solve::SolverOptions};
//! use cartkin_trial::vpop::{simulate_population, spec, summary};
//!
//! let path = model::resolve("cart_all_eliana")?;
//! let model = model::Model::load(&path)?;
//! let population = spec::load(&path, model.spec())?;
//! let regimen = regimen::resolve(&population.regimen)?;
//! // 40 patients of the ELIANA-calibrated population, seed 1 (any thread count, same result)
//! let patients = simulate_population(&model, &population, &regimen, 40, 1, SolverOptions::default(), &|| {});
//! let s = summary::summarize(&patients, &summary::RFS_MONTHS);
//! assert_eq!(s.n, 40);
//! let orr = s.orr.ok_or("cart_all_eliana assesses remission")?;
//! assert!(orr > 0.5 && orr <= 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calibrate;
pub mod endpoints;
pub mod run;
pub mod sample;
pub mod spec;
pub mod summary;
pub mod targets;
pub mod truncated;

pub use endpoints::{Endpoints, HasEndpoints};
pub use run::{PatientResult, Streamed, simulate_population};
pub use sample::{Sampler, VirtualPatient};
pub use spec::PopulationSpec;
