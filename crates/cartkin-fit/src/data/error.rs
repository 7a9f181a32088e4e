//! Errors of the data readers.
//!
//! Every variant names the file and, where there is one, the 1-based line (the header is
//! line 1), the column, what was expected and what was found, so that a modeler can go
//! straight to the offending cell.

use std::path::PathBuf;

/// Errors raised while reading or validating a time-course data file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be read.
    #[error("{}: cannot read file: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The CSV syntax is wrong (a row with the wrong number of fields, bad UTF-8 ...).
    #[error("{}:{line}: CSV syntax: {message}", .path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A missing, duplicated or unnamed column in the header.
    #[error(
        "{}:{line}: header: column {column}: expected {expected}, got {found}",
        .path.display()
    )]
    Header {
        /// The file.
        path: PathBuf,
        /// 1-based line of the header (normally 1).
        line: usize,
        /// The column concerned (`field N` for an unnamed one).
        column: String,
        /// What would have been accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A cell holds a value that is not allowed.
    #[error(
        "{}:{line}: column {column}: expected {expected}, got {}",
        .path.display(),
        show_found(.found.as_deref())
    )]
    Cell {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// The column, as spelled in the header (or its standard name when absent).
        column: String,
        /// What would have been accepted.
        expected: String,
        /// The cell as written (trimmed); `None` when the file has no such column.
        found: Option<String>,
    },
    /// Rows that are individually valid but inconsistent with each other (time going
    /// backwards within a subject, a subject's rows not contiguous).
    #[error("{}:{line}: {message}", .path.display())]
    Structure {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending row.
        line: usize,
        /// What is wrong, naming the column.
        message: String,
    },
    /// Nothing to fit: an empty file, a header without rows, or no observation at all.
    #[error("{}: {message}", .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

/// How a found cell is shown in a message.
fn show_found(found: Option<&str>) -> String {
    match found {
        None => "nothing (the file has no such column)".to_string(),
        Some("") => "an empty cell".to_string(),
        Some(cell) => format!("`{cell}`"),
    }
}
