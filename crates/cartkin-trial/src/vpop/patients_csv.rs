//! `patients.csv`: one row per virtual patient (the contract in the README). The columns are
//! the id, the varying parameters in the population's order, the covariates and the dose, the
//! endpoint table's variables in table order, then the run's diagnostics.

use std::io::Write;

use super::run::PatientResult;
use super::spec::PopulationSpec;
use crate::endpoint::table::LAST_VAR_BEFORE_DIAGNOSTICS;
use crate::endpoint::{Format, VARS, VarDef};

/// The written variables before the diagnostic columns, and after them.
fn written() -> (
    impl Iterator<Item = &'static VarDef>,
    impl Iterator<Item = &'static VarDef>,
) {
    let split = LAST_VAR_BEFORE_DIAGNOSTICS as usize + 1;
    let shown = |v: &&VarDef| v.format != Format::Hidden;
    (
        VARS[..split].iter().filter(shown),
        VARS[split..].iter().filter(shown),
    )
}

/// Writes `patients.csv` row by row to any writer.
pub struct PatientsCsv<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> PatientsCsv<W> {
    /// Starts the file: writes the header of a population `spec`.
    pub fn new(inner: W, spec: &PopulationSpec) -> Result<Self, csv::Error> {
        let mut writer = csv::Writer::from_writer(inner);
        writer.write_record(header(spec))?;
        Ok(PatientsCsv { writer })
    }

    /// Writes one patient's row.
    pub fn write(&mut self, patient: &PatientResult) -> Result<(), csv::Error> {
        self.writer.write_record(row(patient))
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> Result<W, csv::Error> {
        self.writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// `patients.csv` of `patients`, in memory.
pub fn to_bytes(spec: &PopulationSpec, patients: &[PatientResult]) -> Result<Vec<u8>, csv::Error> {
    let mut w = PatientsCsv::new(Vec::new(), spec)?;
    for p in patients {
        w.write(p)?;
    }
    w.finish()
}

/// The header: id, the varying parameters in spec order, covariates, dose, the table's
/// variables, diagnostics.
pub fn header(spec: &PopulationSpec) -> Vec<String> {
    let mut header: Vec<String> = vec!["id".into()];
    header.extend(spec.parameters.iter().map(|p| p.name.clone()));
    header.extend(["weight_kg", "age_years", "height_cm", "egfr", "dose_cells"].map(String::from));
    let (before, after) = written();
    header.extend(before.map(|v| v.column.to_string()));
    header.extend(["implausible", "rhs_evaluations", "error"].map(String::from));
    header.extend(after.map(|v| v.column.to_string()));
    header
}

/// One patient's row.
pub fn row(p: &PatientResult) -> Vec<String> {
    // a value a failed patient does not have is an empty cell, never `NaN`
    let fixed = |v: f64, digits: usize| {
        if v.is_finite() {
            format!("{v:.digits$}")
        } else {
            String::new()
        }
    };
    let sci = |v: f64| {
        if v.is_finite() {
            format!("{v:.6e}")
        } else {
            String::new()
        }
    };
    let mut row: Vec<String> = vec![p.id.to_string()];
    row.extend(p.parameters.iter().map(|v| sci(*v)));
    row.extend([
        fixed(p.weight_kg, 3),
        fixed(p.age_years, 2),
        fixed(p.height_cm, 2),
        fixed(p.egfr, 2),
        p.dose_cells.map_or(String::new(), sci),
    ]);
    let (before, after) = written();
    row.extend(before.map(|v| p.record.cell(v.var, v.format)));
    row.extend([
        p.implausible.clone().unwrap_or_default(),
        p.rhs_evaluations.to_string(),
        p.error.clone().unwrap_or_default(),
    ]);
    row.extend(after.map(|v| p.record.cell(v.var, v.format)));
    row
}
