//! Clinical endpoints of virtual patients, declared once in a table.
//!
//! - [`table`]: every per-patient variable ([`table::VARS`]) and every trial endpoint
//!   ([`table::ENDPOINTS`]) with its statistic, its keys and columns and its figure label.
//! - [`record`]: one patient's values of the variables, extracted once from its outcomes.
//! - [`statistic`]: rates with Wilson CIs, Kaplan–Meier with Greenwood log-log CIs, medians,
//!   geometric means, quantiles.
//! - [`summary`]: the table evaluated over a set of patients (`summary.json`, a row of
//!   `arms.csv`).
//! - [`months`]: the unit of survival endpoints and the rule for which months a follow-up
//!   reports.
//!
//! `patients.csv`, `summary.json`, `arms.csv`/`arms.md`/`arms.json`, the comparison with
//! targets (and so calibration's discrepancy) and the endpoint figures are all generated from
//! the table: an endpoint added there appears in all of them.

pub mod months;
pub mod record;
pub mod statistic;
pub mod summary;
pub mod table;

pub use months::{DAYS_PER_MONTH, RFS_MONTHS, check_months, default_months, within_follow_up};
pub use record::{Course, Format, HasRecord, PatientContext, Record};
pub use statistic::{GeoMean, Quantiles, Stat, SurvivalPoint, TimeToEvent, Value, kaplan_meier};
pub use summary::{Summary, summarize};
pub use table::{ENDPOINTS, Endpoint, EndpointDef, Need, Plot, VARS, Var, VarDef};
