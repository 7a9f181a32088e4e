//! NONMEM-style CSV data files.
//!
//! One row per event. Columns (names case-insensitive):
//!
//! | column | meaning |
//! |---|---|
//! | `ID` (required) | subject identifier (any non-empty text); a subject's rows are contiguous |
//! | `TIME` (required) | time in days, finite, may be negative, not decreasing within a subject |
//! | `DV` (required) | observed value; missing or 0 on dose rows |
//! | `EVID` | 0 observation, 1 dose, 2 other event (skipped); 3/4 (reset) are not supported. Absent or missing: a row with a positive `AMT` is a dose, any other row an observation |
//! | `AMT` | dose amount (cells or mg), > 0 on dose rows; missing or 0 on observation rows |
//! | `CMT` | positive integer: the dosing route (dose rows) or the measured output (observation rows) |
//! | `MDV` | 0/1; an observation row with `MDV=1` is skipped |
//! | `RATE` | missing or 0: bolus; > 0: infusion rate (amount per day); negative (modelled rate/duration) not supported |
//! | `DUR` | missing or 0: bolus; > 0: infusion duration [day] (give `RATE` or `DUR`, not both) |
//! | `BLQ` | 0/1; with `BLQ=1` the DV may be missing, but then `LLOQ` is required |
//! | `LLOQ` | lower limit of quantification, > 0 |
//! | `ADDL`, `II`, `SS` | must be missing or 0 (additional and steady-state doses are not supported: write each dose as its own row) |
//! | anything else | a time-constant numeric covariate, stored upper-case |
//!
//! `.` or an empty cell means missing. Cells are trimmed of surrounding spaces.

use std::path::Path;

use super::{Dataset, DoseRecord, Observation, OutputRef};
use crate::data::DataError;
use table::{Subjects, Table};

/// What the format needs, for messages.
const FORMAT: &str = "a NONMEM data file needs ID, TIME and DV";

/// Columns with a meaning; every other column is a covariate.
const KNOWN: &[&str] = &[
    "ID", "TIME", "DV", "EVID", "AMT", "CMT", "MDV", "RATE", "DUR", "BLQ", "LLOQ", "ADDL", "II",
    "SS",
];

/// Reads and validates a NONMEM-style CSV file.
pub fn read_nonmem(path: &Path) -> Result<Dataset, DataError> {
    let text = table::read_text(path)?;
    parse_nonmem(path, &text)
}

/// What a row is.
enum Event {
    Observation,
    Dose,
    Other,
}

/// Validates NONMEM-style CSV `text`, reporting errors against `path`.
pub fn parse_nonmem(path: &Path, text: &str) -> Result<Dataset, DataError> {
    let text = table::unify_line_ends(text);
    let mut table = Table::open(path, &text, FORMAT)?;
    let [id, time, dv] = table.required(["ID", "TIME", "DV"], FORMAT)?;
    let evid = table.column("EVID");
    let amt = table.column("AMT");
    let cmt = table.column("CMT");
    let mdv = table.column("MDV");
    let rate = table.column("RATE");
    let dur = table.column("DUR");
    let blq = table.column("BLQ");
    let lloq = table.column("LLOQ");
    let unsupported: Vec<usize> = ["ADDL", "II", "SS"]
        .iter()
        .filter_map(|name| table.column(name))
        .collect();
    let covariates = table.covariates(KNOWN);

    let mut subjects = Subjects::new(path);
    while let Some(row) = table.next_row()? {
        let (subject, t) = subjects.begin(&row, id, time, &covariates)?;
        for &col in &unsupported {
            if row.number(col, NOT_ADDL)?.is_some_and(|v| v != 0.0) {
                return Err(row.invalid(col, NOT_ADDL));
            }
        }
        let event = match evid {
            Some(col) => match row.number(col, EVID)? {
                None => None,
                Some(0.0) => Some(Event::Observation),
                Some(1.0) => Some(Event::Dose),
                Some(2.0) => Some(Event::Other),
                Some(3.0 | 4.0) => return Err(row.invalid(col, EVID_RESET)),
                Some(_) => return Err(row.invalid(col, EVID)),
            },
            None => None,
        };
        // Without EVID (or with a missing one): a positive AMT makes a dose.
        let event = match (event, amt) {
            (Some(e), _) => e,
            (None, None) => Event::Observation,
            (None, Some(col)) => match row.number(col, AMT_ANY)? {
                Some(a) if a > 0.0 => Event::Dose,
                Some(a) if a < 0.0 => return Err(row.invalid(col, AMT_ANY)),
                _ => Event::Observation,
            },
        };
        match event {
            Event::Other => {}
            Event::Dose => {
                let amount = match amt {
                    None => return Err(row.absent("AMT", DOSE_AMT)),
                    Some(col) => match row.number(col, DOSE_AMT)? {
                        Some(a) if a > 0.0 => a,
                        _ => return Err(row.invalid(col, DOSE_AMT)),
                    },
                };
                let cmt = row.positive_int(cmt, "CMT", DOSE_CMT)?;
                let rate = match rate {
                    None => None,
                    Some(col) => match row.number(col, RATE)? {
                        None => None,
                        Some(0.0) => None,
                        Some(r) if r > 0.0 => Some(r),
                        Some(_) => return Err(row.invalid(col, RATE)),
                    },
                };
                let duration = match dur {
                    None => None,
                    Some(col) => match row.number(col, DUR)? {
                        None | Some(0.0) => None,
                        Some(d) if d > 0.0 && rate.is_none() => Some(d),
                        Some(_) => return Err(row.invalid(col, DUR)),
                    },
                };
                // one infusion description: a rate, or a duration
                let rate = rate.or(duration.map(|d| amount / d));
                if row.number(dv, DOSE_DV)?.is_some_and(|v| v != 0.0) {
                    return Err(row.invalid(dv, DOSE_DV));
                }
                subject.doses.push(DoseRecord {
                    time: t,
                    cmt,
                    amount,
                    rate,
                    line: row.line(),
                });
            }
            Event::Observation => {
                if let Some(col) = amt
                    && row.number(col, OBS_AMT)?.is_some_and(|a| a != 0.0)
                {
                    return Err(row.invalid(col, OBS_AMT));
                }
                if row.flag(mdv, "0 or 1 for MDV")? {
                    continue;
                }
                let (value, blq, lloq) = row.measurement(dv, blq, lloq)?;
                let cmt = row.positive_int(cmt, "CMT", OBS_CMT)?;
                subject.observations.push(Observation {
                    time: t,
                    output: OutputRef::Cmt(cmt),
                    value,
                    blq,
                    lloq,
                    line: row.line(),
                });
            }
        }
    }
    subjects.finish(
        "no observations: every row is a dose, an EVID=2 event or has MDV=1; \
         expected at least one observation row (EVID=0, MDV=0)",
    )
}

const NOT_ADDL: &str = "a missing or zero value (additional and steady-state doses ADDL/II/SS \
                        are not supported; write each dose as its own row)";
const EVID: &str = "EVID 0 (observation), 1 (dose) or 2 (other event)";
const EVID_RESET: &str = "EVID 0 (observation), 1 (dose) or 2 (other event); \
                          reset events (EVID=3, EVID=4) are not supported";
const AMT_ANY: &str = "a missing, zero or positive amount";
const DOSE_AMT: &str = "a positive amount on a dose row (EVID=1)";
const OBS_AMT: &str = "a missing or zero amount on an observation row (EVID=0); \
                       a dose row needs EVID=1";
const DOSE_CMT: &str = "a positive integer compartment (the model's 1-based dosing route) \
                        on a dose row (EVID=1)";
const OBS_CMT: &str = "a positive integer compartment (the measured output) \
                       on an observation row (EVID=0)";
const RATE: &str = "a missing or zero rate (bolus) or a positive infusion rate [amount/day]; \
                    modelled rate/duration (RATE=-1, RATE=-2) is not supported";
const DUR: &str = "a missing or zero duration (bolus) or a positive infusion duration [day], \
                   on a row without a positive RATE (give one of the two)";
const DOSE_DV: &str = "a missing or zero DV on a dose row (EVID=1)";

/// Reading machinery shared by the NONMEM and long readers: the header, cells, and the
/// per-subject checks (contiguous IDs, time order, time-constant covariates).
pub(super) mod table {
    use std::collections::{BTreeMap, HashMap};
    use std::path::Path;

    use csv::StringRecord;

    use crate::data::{DataError, Dataset, Subject};

    /// Reads a file as UTF-8 text.
    pub(in crate::data) fn read_text(path: &Path) -> Result<String, DataError> {
        cartkin_core::bundled::read_text(path).map_err(|e| match e {
            cartkin_core::bundled::ReadError::Io(source) => DataError::Read {
                path: path.to_path_buf(),
                source,
            },
            cartkin_core::bundled::ReadError::NotUtf8 { line } => DataError::Csv {
                path: path.to_path_buf(),
                line,
                message: "the file is not valid UTF-8 text; re-save it as UTF-8".to_string(),
            },
        })
    }

    /// The text with lone carriage returns (old Mac line ends) turned into line feeds: the csv
    /// crate ends a record at either, and lines are counted by `\n`.
    pub(in crate::data) fn unify_line_ends(text: &str) -> std::borrow::Cow<'_, str> {
        let lone = |(i, _): (usize, char)| text.as_bytes().get(i + 1) != Some(&b'\n');
        if !text.char_indices().filter(|(_, c)| *c == '\r').any(lone) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\r' && chars.peek() != Some(&'\n') {
                out.push('\n');
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// `.` or an empty cell.
    pub(in crate::data) fn is_missing(cell: &str) -> bool {
        cell.is_empty() || cell == "."
    }

    /// Turns csv byte offsets into 1-based file lines.
    ///
    /// The csv crate reports a record at the end of the previous one, before the blank
    /// lines it skips, so its own line numbers are off after a blank line; this counts the
    /// newlines before the record's first byte instead.
    struct Lines<'a> {
        text: &'a str,
        /// Offset up to which newlines have been counted, and the line there.
        offset: usize,
        line: usize,
    }

    impl Lines<'_> {
        /// The line of the record reported at `position` (the current line if unknown).
        fn at(&mut self, position: Option<&csv::Position>) -> usize {
            let Some(position) = position else {
                return self.line;
            };
            let bytes = self.text.as_bytes();
            let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
            start = start.min(bytes.len());
            // Skip the blank lines csv skips.
            while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
                start += 1;
            }
            if start < self.offset {
                self.offset = 0;
                self.line = 1;
            }
            let newlines = bytes
                .get(self.offset..start)
                .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
            self.offset = start;
            self.line += newlines;
            self.line
        }
    }

    /// A CSV file with a validated header.
    pub(in crate::data) struct Table<'a> {
        path: &'a Path,
        reader: csv::Reader<&'a [u8]>,
        /// Column names as written.
        names: Vec<String>,
        /// Upper-case column name → field index.
        index: HashMap<String, usize>,
        header_line: usize,
        lines: Lines<'a>,
        record: StringRecord,
        rows: usize,
    }

    impl<'a> Table<'a> {
        /// Reads the header of `text`; `format` says which columns are required.
        pub(in crate::data) fn open(
            path: &'a Path,
            text: &'a str,
            format: &str,
        ) -> Result<Self, DataError> {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.trim().is_empty() {
                return Err(DataError::Empty {
                    path: path.to_path_buf(),
                    message: format!("the file is empty; expected a header line ({format})"),
                });
            }
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(false)
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            let mut lines = Lines {
                text,
                offset: 0,
                line: 1,
            };
            let header = match reader.headers() {
                Ok(header) => header.clone(),
                Err(e) => return Err(csv_error(path, &e, lines.at(e.position()))),
            };
            let header_line = lines.at(Some(&csv::Position::new()));
            let names: Vec<String> = header.iter().map(str::to_string).collect();
            let mut index: HashMap<String, usize> = HashMap::new();
            for (i, name) in names.iter().enumerate() {
                if name.is_empty() {
                    return Err(DataError::Header {
                        path: path.to_path_buf(),
                        line: header_line,
                        column: format!("{} (field {})", i + 1, i + 1),
                        expected: "a column name".to_string(),
                        found: "an empty name (a trailing comma?)".to_string(),
                    });
                }
                if let Some(&first) = index.get(&name.to_uppercase()) {
                    return Err(DataError::Header {
                        path: path.to_path_buf(),
                        line: header_line,
                        column: name.clone(),
                        expected: "each column once (names are case-insensitive)".to_string(),
                        found: format!(
                            "`{}` in field {} and `{name}` in field {}",
                            names.get(first).map_or("", String::as_str),
                            first + 1,
                            i + 1
                        ),
                    });
                }
                index.insert(name.to_uppercase(), i);
            }
            Ok(Table {
                path,
                reader,
                names,
                index,
                header_line,
                lines,
                record: StringRecord::new(),
                rows: 0,
            })
        }

        /// Indices of the required columns `names` (upper-case), or a header error naming
        /// the first missing one.
        pub(in crate::data) fn required<const N: usize>(
            &self,
            names: [&str; N],
            format: &str,
        ) -> Result<[usize; N], DataError> {
            let mut found = [0; N];
            for (slot, name) in found.iter_mut().zip(names) {
                *slot = self.column(name).ok_or_else(|| DataError::Header {
                    path: self.path.to_path_buf(),
                    line: self.header_line,
                    column: name.to_string(),
                    expected: format!(
                        "a column named {name} ({format}; names are case-insensitive)"
                    ),
                    found: format!("only the columns {}", self.names.join(", ")),
                })?;
            }
            Ok(found)
        }

        /// Index of the column named `name` (any case).
        pub(in crate::data) fn column(&self, name: &str) -> Option<usize> {
            self.index.get(&name.to_uppercase()).copied()
        }

        /// The covariate columns: every column not in `known` (upper-case), with its
        /// upper-case name.
        pub(in crate::data) fn covariates(&self, known: &[&str]) -> Vec<(usize, String)> {
            self.names
                .iter()
                .enumerate()
                .map(|(i, n)| (i, n.to_uppercase()))
                .filter(|(_, n)| !known.contains(&n.as_str()))
                .collect()
        }

        /// The next data row, if any.
        pub(in crate::data) fn next_row(&mut self) -> Result<Option<Row<'_>>, DataError> {
            let more = match self.reader.read_record(&mut self.record) {
                Ok(more) => more,
                Err(e) => {
                    let line = self.lines.at(e.position());
                    return Err(csv_error(self.path, &e, line));
                }
            };
            if !more {
                if self.rows == 0 {
                    return Err(DataError::Empty {
                        path: self.path.to_path_buf(),
                        message: "no data rows: the file has a header but no records".to_string(),
                    });
                }
                return Ok(None);
            }
            self.rows += 1;
            Ok(Some(Row {
                path: self.path,
                line: self.lines.at(self.record.position()),
                record: &self.record,
                names: &self.names,
            }))
        }
    }

    fn csv_error(path: &Path, e: &csv::Error, line: usize) -> DataError {
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("expected {expected_len} fields like the header, got {len}"),
            _ => e.to_string(),
        };
        DataError::Csv {
            path: path.to_path_buf(),
            line,
            message,
        }
    }

    /// One data row.
    pub(in crate::data) struct Row<'r> {
        path: &'r Path,
        line: usize,
        record: &'r StringRecord,
        names: &'r [String],
    }

    impl Row<'_> {
        /// 1-based file line.
        pub(in crate::data) fn line(&self) -> usize {
            self.line
        }

        /// The trimmed cell of column `col`.
        pub(in crate::data) fn cell(&self, col: usize) -> &str {
            // ok: `flexible(false)` makes every record as long as the header.
            self.record.get(col).unwrap_or("")
        }

        fn name(&self, col: usize) -> String {
            self.names.get(col).cloned().unwrap_or_default()
        }

        /// A cell error on column `col`.
        pub(in crate::data) fn invalid(&self, col: usize, expected: &str) -> DataError {
            DataError::Cell {
                path: self.path.to_path_buf(),
                line: self.line,
                column: self.name(col),
                expected: expected.to_string(),
                found: Some(self.cell(col).to_string()),
            }
        }

        /// A cell error for a column the file does not have.
        pub(in crate::data) fn absent(&self, column: &str, expected: &str) -> DataError {
            DataError::Cell {
                path: self.path.to_path_buf(),
                line: self.line,
                column: column.to_string(),
                expected: expected.to_string(),
                found: None,
            }
        }

        /// A finite number, or `None` when missing.
        pub(in crate::data) fn number(
            &self,
            col: usize,
            expected: &str,
        ) -> Result<Option<f64>, DataError> {
            let cell = self.cell(col);
            if is_missing(cell) {
                return Ok(None);
            }
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(self.invalid(col, expected)),
            }
        }

        /// A 0/1 flag of an optional column; missing means 0.
        pub(in crate::data) fn flag(
            &self,
            col: Option<usize>,
            expected: &str,
        ) -> Result<bool, DataError> {
            let Some(col) = col else { return Ok(false) };
            match self.number(col, expected)? {
                None => Ok(false),
                Some(0.0) => Ok(false),
                Some(1.0) => Ok(true),
                Some(_) => Err(self.invalid(col, expected)),
            }
        }

        /// A required positive integer of column `col` (named `name` when absent).
        pub(in crate::data) fn positive_int(
            &self,
            col: Option<usize>,
            name: &str,
            expected: &str,
        ) -> Result<u32, DataError> {
            let Some(col) = col else {
                return Err(self.absent(name, expected));
            };
            match self.number(col, expected)? {
                Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) => {
                    // ok: integral and within u32 range, checked above.
                    Ok(v as u32)
                }
                _ => Err(self.invalid(col, expected)),
            }
        }

        /// The measured value with its BLQ flag and LLOQ: `(value, blq, lloq)`.
        ///
        /// The value (column `value`) is required unless BLQ=1; BLQ=1 needs an LLOQ or a
        /// value holding the limit; the LLOQ, when given, is positive.
        pub(in crate::data) fn measurement(
            &self,
            value: usize,
            blq: Option<usize>,
            lloq: Option<usize>,
        ) -> Result<(Option<f64>, bool, Option<f64>), DataError> {
            let blq_flag =
                self.flag(blq, "0 or 1 for BLQ (1: below the limit of quantification)")?;
            let lloq_value = match lloq {
                None => None,
                Some(col) => match self.number(col, LLOQ)? {
                    Some(l) if l <= 0.0 => return Err(self.invalid(col, LLOQ)),
                    l => l,
                },
            };
            let expected_value = if blq_flag {
                "a finite number or a missing value on a BLQ row"
            } else {
                "a finite number on an observation row (missing only with BLQ=1)"
            };
            let v = self.number(value, expected_value)?;
            if v.is_none() && !blq_flag {
                return Err(self.invalid(value, expected_value));
            }
            if blq_flag && v.is_none() && lloq_value.is_none() {
                let msg = format!(
                    "an LLOQ or a {} holding the limit on a BLQ=1 row \
                     (BLQ=1 needs LLOQ or a {} holding the limit)",
                    self.name(value),
                    self.name(value)
                );
                return Err(match blq {
                    Some(col) => self.invalid(col, &msg),
                    None => self.absent("BLQ", &msg),
                });
            }
            Ok((v, blq_flag, lloq_value))
        }
    }

    const LLOQ: &str = "a missing or positive LLOQ";

    /// Builds the subjects row by row, checking that a subject's rows are contiguous and in
    /// time order and that its covariates are constant.
    pub(in crate::data) struct Subjects<'a> {
        path: &'a Path,
        done: Vec<Subject>,
        current: Option<Subject>,
        /// ID → line where the subject starts.
        first_line: HashMap<String, usize>,
        /// Time and line of the current subject's previous row.
        previous: (f64, usize),
        /// Covariate name → line where the current subject's value was set.
        covariate_line: BTreeMap<String, usize>,
    }

    impl<'a> Subjects<'a> {
        pub(in crate::data) fn new(path: &'a Path) -> Self {
            Subjects {
                path,
                done: Vec::new(),
                current: None,
                first_line: HashMap::new(),
                previous: (f64::NEG_INFINITY, 0),
                covariate_line: BTreeMap::new(),
            }
        }

        /// Starts a row: reads its ID (column `id`), time (column `time`) and
        /// covariates; returns the row's subject and time.
        pub(in crate::data) fn begin(
            &mut self,
            row: &Row<'_>,
            id: usize,
            time: usize,
            covariates: &[(usize, String)],
        ) -> Result<(&mut Subject, f64), DataError> {
            let line = row.line();
            let name = row.cell(id);
            if is_missing(name) {
                return Err(row.invalid(id, "a subject ID (any text other than `.`)"));
            }
            let t = row
                .number(time, "a time in days (a finite number)")?
                .ok_or_else(|| row.invalid(time, "a time in days (a finite number)"))?;
            let same = self.current.as_ref().is_some_and(|s| s.id == name);
            if same {
                let (previous, previous_line) = self.previous;
                if t < previous {
                    return Err(DataError::Structure {
                        path: self.path.to_path_buf(),
                        line,
                        message: format!(
                            "column {}: expected times that do not decrease within ID `{name}`, \
                             got {} after {previous} (line {previous_line}); \
                             sort each subject's rows by time",
                            row.name(time),
                            row.cell(time)
                        ),
                    });
                }
            } else {
                if let Some(first) = self.first_line.get(name) {
                    let other = self.current.as_ref().map_or("", |s| s.id.as_str());
                    return Err(DataError::Structure {
                        path: self.path.to_path_buf(),
                        line,
                        message: format!(
                            "column {}: ID `{name}` reappears after ID `{other}`; expected \
                             the rows of each subject to be contiguous (ID `{name}` starts \
                             on line {first})",
                            row.name(id)
                        ),
                    });
                }
                self.first_line.insert(name.to_string(), line);
                self.covariate_line.clear();
                self.done.extend(self.current.take());
            }
            let subject = self.current.get_or_insert_with(|| Subject {
                id: name.to_string(),
                covariates: BTreeMap::new(),
                doses: Vec::new(),
                observations: Vec::new(),
            });
            self.previous = (t, line);
            for (col, cov) in covariates {
                let Some(v) = row.number(*col, "a number (covariate)")? else {
                    continue;
                };
                match subject.covariates.get(cov) {
                    None => {
                        subject.covariates.insert(cov.clone(), v);
                        self.covariate_line.insert(cov.clone(), line);
                    }
                    Some(&old) if old != v => {
                        let at = self.covariate_line.get(cov).copied().unwrap_or(0);
                        return Err(row.invalid(
                            *col,
                            &format!(
                                "the value {old} given for ID `{}` on line {at} \
                                 (time-varying covariates are not supported)",
                                subject.id
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            Ok((subject, t))
        }

        /// The dataset; an error when it has no observation (`no_observations` says why).
        pub(in crate::data) fn finish(self, no_observations: &str) -> Result<Dataset, DataError> {
            let mut subjects = self.done;
            subjects.extend(self.current);
            let dataset = Dataset {
                path: self.path.to_path_buf(),
                subjects,
            };
            if dataset.n_observations() == 0 {
                return Err(DataError::Empty {
                    path: self.path.to_path_buf(),
                    message: no_observations.to_string(),
                });
            }
            Ok(dataset)
        }
    }
}
