//! Virtual populations: drawing patients from a population specification, simulating them in
//! parallel, and summarising clinical endpoints.

pub mod calibrate;
pub mod run;
pub mod sample;
pub mod spec;
pub mod summary;
pub mod targets;

pub use run::{PatientResult, simulate_population};
pub use sample::{Sampler, VirtualPatient};
pub use spec::PopulationSpec;
