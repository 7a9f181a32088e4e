//! Long CSV data files: one observation per row.
//!
//! Columns (names case-insensitive): `id`, `time` (days), `observable` (a model column:
//! state or observable name, case-sensitive), `value`; optional `blq` (0/1) and `lloq`
//! (> 0); every other column is a time-constant numeric covariate, stored upper-case.
//! The same rules as the NONMEM reader apply to IDs (contiguous), time (finite, not
//! decreasing within a subject), values (finite; missing only with `blq=1`, which then
//! needs an `lloq`) and covariates. Doses are not read from this format.

use std::path::Path;

use super::nonmem::table::{self, Subjects, Table, is_missing};
use super::{Dataset, Observation, OutputRef};
use crate::data::DataError;

/// What the format needs, for messages.
const FORMAT: &str = "a long data file needs id, time, observable and value";

/// Columns with a meaning; every other column is a covariate.
const KNOWN: &[&str] = &["ID", "TIME", "OBSERVABLE", "VALUE", "LLOQ", "BLQ"];

/// Reads and validates a long CSV file.
pub fn read_long(path: &Path) -> Result<Dataset, DataError> {
    let text = table::read_text(path)?;
    parse_long(path, &text)
}

/// Validates long CSV `text`, reporting errors against `path`.
pub fn parse_long(path: &Path, text: &str) -> Result<Dataset, DataError> {
    let text = table::unify_line_ends(text);
    let mut table = Table::open(path, &text, FORMAT)?;
    let [id, time, observable, value] =
        table.required(["id", "time", "observable", "value"], FORMAT)?;
    let blq = table.column("BLQ");
    let lloq = table.column("LLOQ");
    let covariates = table.covariates(KNOWN);

    let mut subjects = Subjects::new(path);
    while let Some(row) = table.next_row()? {
        let (subject, t) = subjects.begin(&row, id, time, &covariates)?;
        let name = row.cell(observable);
        if is_missing(name) {
            return Err(row.invalid(observable, "a model column name (a state or an observable)"));
        }
        let (v, blq, lloq) = row.measurement(value, blq, lloq)?;
        subject.observations.push(Observation {
            time: t,
            output: OutputRef::Name(name.to_string()),
            value: v,
            blq,
            lloq,
            line: row.line(),
        });
    }
    subjects.finish("no observations: the file has no data rows")
}
