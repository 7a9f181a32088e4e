//! Scenarios: "what if" trials on a calibrated virtual population — arms that differ in
//! CAR-T dose, lymphodepletion, product or disease setting, simulated on the same virtual
//! patients and compared side by side.
//!
//! ```toml
//! [scenario]
//! name = "dose_response"
//! description = "Remission, RFS and severe CRS against the CAR-T dose"
//! model = "cart_all_eliana"        # a model name or file, usually a calibrated one
//! n = 1000                          # patients per arm
//! seed = 20261125
//! follow_up_days = 1825
//! rfs_months = [6, 12, 24]
//!
//! [defaults]                        # applied to every arm
//! regimen = "eliana"
//!
//! [[arm]]
//! name = "CD19 only"
//! set = { w_22 = 0.0 }              # parameter typical values (product or patient settings)
//!
//! [sweep.x]                         # optional: every arm at every grid point
//! key = "dose_per_kg"               # or dose_cells, fludarabine_mg_per_m2, set.L0, ...
//! from = 1e5
//! to = 1e8
//! points = 7
//! scale = "log"
//! ```
//!
//! Arm keys: `regimen`, `dose_per_kg`, `dose_cells`, `fludarabine_mg_per_m2`,
//! `cyclophosphamide_mg_per_m2`, `fludarabine_target_auc` (model-informed dosing to a total
//! F-ara-A AUC), `infusion_delay_days`, `set = { PARAM = value }`, `description`.
//!
//! Every arm simulates the same patients: patient `i` draws covariates, between-patient
//! deviations and event times from its own stream of the scenario's seed, whatever the arm
//! (common random numbers), so differences between arms are the intervention's.

pub mod arm;
pub mod file;
mod raw;
pub mod report;
pub mod run;
pub mod sweep;

pub use arm::ArmSettings;
pub use file::{ArmPlan, Scenario, Sweep, load, parse};
pub use report::{ArmSummary, summarize};
pub use run::simulate_arms;
