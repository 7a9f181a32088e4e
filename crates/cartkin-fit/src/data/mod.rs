//! Time-course datasets: NONMEM-style CSV and a simple long CSV.
//!
//! Both readers produce a [`Dataset`]: subjects with their doses (which drive the
//! simulation) and observations (which are fitted). Every data error names the file, the
//! 1-based line (row) and the column, and says what was expected; nothing is fitted from a
//! file that failed validation.

mod error;
mod long;
mod nonmem;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use error::DataError;
pub use long::{parse_long, read_long};
pub use nonmem::{parse_nonmem, read_nonmem};

/// Which model output an observation measures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputRef {
    /// NONMEM compartment number (mapped to a model column by the fit set-up).
    Cmt(u32),
    /// A model column (state or observable) by name, from the long format.
    Name(String),
}

/// A dose record.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseRecord {
    /// Time [day].
    pub time: f64,
    /// Compartment (1-based index of the model's dosing route).
    pub cmt: u32,
    /// Amount (cells or mg).
    pub amount: f64,
    /// Infusion rate [amount/day]; `None` for a bolus.
    pub rate: Option<f64>,
    /// 1-based line in the file.
    pub line: usize,
}

/// An observation record.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Time [day].
    pub time: f64,
    /// What was measured.
    pub output: OutputRef,
    /// Observed value (for a BLQ record, the value if given, otherwise `None`).
    pub value: Option<f64>,
    /// Below the limit of quantification.
    pub blq: bool,
    /// Lower limit of quantification, when known.
    pub lloq: Option<f64>,
    /// 1-based line in the file.
    pub line: usize,
}

/// One subject's records, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// Subject identifier as written in the file.
    pub id: String,
    /// Time-constant covariates by upper-case column name (e.g. `WT`, `AGE`, `EGFR`).
    pub covariates: BTreeMap<String, f64>,
    /// Doses.
    pub doses: Vec<DoseRecord>,
    /// Observations.
    pub observations: Vec<Observation>,
}

/// A validated dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// File it was read from.
    pub path: PathBuf,
    /// Subjects in file order.
    pub subjects: Vec<Subject>,
}

impl Dataset {
    /// Number of observations over all subjects.
    pub fn n_observations(&self) -> usize {
        self.subjects.iter().map(|s| s.observations.len()).sum()
    }
}
