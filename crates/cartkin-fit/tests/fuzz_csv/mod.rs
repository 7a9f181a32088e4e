//! Structured mutations of CSV files for the data readers' property tests: rows and columns
//! deleted, duplicated or swapped, cells replaced by awkward values, unknown columns, header
//! case, ragged rows, blank lines, quoting, line endings, a byte-order mark and truncation.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;

use crate::fuzz::{floor_boundary, odd_string};

/// A CSV file as a grid: the header is row 0.
pub type Grid = Vec<Vec<String>>;

/// Splits simple CSV `text` (no quotes) into a grid.
pub fn grid(text: &str) -> Grid {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// How a header name is re-cased.
#[derive(Debug, Clone, Copy)]
pub enum Case {
    /// lower case.
    Lower,
    /// UPPER CASE.
    Upper,
    /// First letter upper, rest lower.
    Title,
    /// Padded with spaces.
    Padded,
}

/// A structural mutation of a CSV grid.
#[derive(Debug, Clone)]
pub enum CsvMut {
    /// Delete a row (the header is row 0).
    DeleteRow(Index),
    /// Duplicate a row in place.
    DuplicateRow(Index),
    /// Swap two rows.
    SwapRows(Index, Index),
    /// Delete a column.
    DeleteColumn(Index),
    /// Duplicate a column (header included).
    DuplicateColumn(Index),
    /// Swap two columns.
    SwapColumns(Index, Index),
    /// Replace a data cell (row ≥ 1).
    Cell(Index, Index, String),
    /// Replace a cell by another cell of the same column.
    CopyCell(Index, Index, Index),
    /// Replace a header name.
    HeaderName(Index, String),
    /// Re-case a header name.
    HeaderCase(Index, Case),
    /// Add a column with this name and fill.
    AddColumn(String, String),
    /// Add (`true`) or drop a field at the end of a row.
    Ragged(Index, bool),
    /// Insert a blank or whitespace-only line before a row.
    BlankLine(Index, &'static str),
    /// Quote a cell (with an embedded quote, comma or newline).
    Quote(Index, Index, &'static str),
}

/// How the grid is written.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `\n`, `\r\n` or `\r`.
    pub newline: &'static str,
    /// A trailing newline.
    pub final_newline: bool,
    /// A UTF-8 byte-order mark first.
    pub bom: bool,
    /// Cut the text at a (char-boundary) byte.
    pub truncate: Option<Index>,
}

/// Awkward cell values, numbers of every kind, and `vocabulary` (cells and names of the
/// format).
pub fn cell(vocabulary: &'static [String]) -> BoxedStrategy<String> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            ".", "", " ", "NaN", "nan", "inf", "-inf", "Infinity", "-1", "0", "1", "2", "3",
            "4", "-0", "0.5", "1e308", "1e309", "-1e308", "5e-324", "1e-320", "text", " 1 ",
            "4294967295", "4294967296", "1.5", "1e8", "1.0", "+1", "0x10", "1,5", "µ", "é",
            "\u{feff}1", "1 2", "..", "TRUE",
        ])
        .prop_map(str::to_string),
        2 => proptest::sample::select(vocabulary),
        1 => odd_string(),
        1 => any::<f64>().prop_map(|x| x.to_string()),
        1 => (-50.0f64..50.0).prop_map(|x| format!("{x}")),
        1 => any::<u32>().prop_map(|x| x.to_string()),
    ]
    .boxed()
}

/// One CSV mutation.
pub fn csv_mut(vocabulary: &'static [String]) -> impl Strategy<Value = CsvMut> {
    let case = proptest::sample::select(vec![Case::Lower, Case::Upper, Case::Title, Case::Padded]);
    let blank = proptest::sample::select(vec!["", " ", "\t", ",,", " , "]);
    let quote = proptest::sample::select(vec!["\"", "\"\"", ",", "\n", "\r\n", "x\"y"]);
    prop_oneof![
        3 => any::<Index>().prop_map(CsvMut::DeleteRow),
        2 => any::<Index>().prop_map(CsvMut::DuplicateRow),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| CsvMut::SwapRows(a, b)),
        2 => any::<Index>().prop_map(CsvMut::DeleteColumn),
        1 => any::<Index>().prop_map(CsvMut::DuplicateColumn),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| CsvMut::SwapColumns(a, b)),
        8 => (any::<Index>(), any::<Index>(), cell(vocabulary))
            .prop_map(|(r, c, v)| CsvMut::Cell(r, c, v)),
        3 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(r, c, from)| CsvMut::CopyCell(r, c, from)),
        1 => (any::<Index>(), cell(vocabulary)).prop_map(|(c, v)| CsvMut::HeaderName(c, v)),
        2 => (any::<Index>(), case).prop_map(|(c, k)| CsvMut::HeaderCase(c, k)),
        2 => (cell(vocabulary), cell(vocabulary)).prop_map(|(n, v)| CsvMut::AddColumn(n, v)),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(r, add)| CsvMut::Ragged(r, add)),
        1 => (any::<Index>(), blank).prop_map(|(r, b)| CsvMut::BlankLine(r, b)),
        1 => (any::<Index>(), any::<Index>(), quote).prop_map(|(r, c, q)| CsvMut::Quote(r, c, q)),
    ]
}

/// One to five mutations and a layout.
pub fn csv_muts(vocabulary: &'static [String]) -> impl Strategy<Value = (Vec<CsvMut>, Layout)> {
    let layout = (
        prop_oneof![8 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r")],
        any::<bool>(),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.15, any::<Index>()),
    )
        .prop_map(|(newline, final_newline, bom, truncate)| Layout {
            newline,
            final_newline,
            bom,
            truncate,
        });
    (
        proptest::collection::vec(csv_mut(vocabulary), 1..=5),
        layout,
    )
}

fn width(g: &Grid) -> usize {
    g.iter().map(Vec::len).max().unwrap_or(0)
}

/// Applies `muts` to `grid`.
pub fn apply(grid: &Grid, muts: &[CsvMut]) -> Grid {
    let mut g = grid.clone();
    // blank lines are kept as rows holding one marker cell
    for m in muts {
        let rows = g.len();
        let cols = width(&g);
        match m {
            CsvMut::DeleteRow(r) if rows > 0 => {
                g.remove(r.index(rows));
            }
            CsvMut::DuplicateRow(r) if rows > 0 => {
                let k = r.index(rows);
                let row = g[k].clone();
                g.insert(k, row);
            }
            CsvMut::SwapRows(a, b) if rows > 0 => g.swap(a.index(rows), b.index(rows)),
            CsvMut::DeleteColumn(c) if cols > 0 => {
                let k = c.index(cols);
                for row in &mut g {
                    if k < row.len() {
                        row.remove(k);
                    }
                }
            }
            CsvMut::DuplicateColumn(c) if cols > 0 => {
                let k = c.index(cols);
                for row in &mut g {
                    if k < row.len() {
                        let v = row[k].clone();
                        row.insert(k, v);
                    }
                }
            }
            CsvMut::SwapColumns(a, b) if cols > 0 => {
                let (a, b) = (a.index(cols), b.index(cols));
                for row in &mut g {
                    if a < row.len() && b < row.len() {
                        row.swap(a, b);
                    }
                }
            }
            CsvMut::Cell(r, c, v) if rows > 1 => {
                let row = &mut g[1 + r.index(rows - 1)];
                if !row.is_empty() {
                    let k = c.index(row.len());
                    row[k] = v.clone();
                }
            }
            CsvMut::CopyCell(r, c, from) if rows > 1 && cols > 0 => {
                let k = c.index(cols);
                let source = &g[1 + from.index(rows - 1)];
                if let Some(v) = source.get(k).cloned() {
                    let row = &mut g[1 + r.index(rows - 1)];
                    if k < row.len() {
                        row[k] = v;
                    }
                }
            }
            CsvMut::HeaderName(c, v) if rows > 0 && !g[0].is_empty() => {
                let k = c.index(g[0].len());
                g[0][k] = v.clone();
            }
            CsvMut::HeaderCase(c, case) if rows > 0 && !g[0].is_empty() => {
                let k = c.index(g[0].len());
                let name = &g[0][k];
                g[0][k] = match case {
                    Case::Lower => name.to_lowercase(),
                    Case::Upper => name.to_uppercase(),
                    Case::Title => {
                        let mut chars = name.chars();
                        chars.next().map_or_else(String::new, |f| {
                            f.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase()
                        })
                    }
                    Case::Padded => format!("  {name} "),
                };
            }
            CsvMut::AddColumn(name, fill) => {
                for (i, row) in g.iter_mut().enumerate() {
                    row.push(if i == 0 { name.clone() } else { fill.clone() });
                }
            }
            CsvMut::Ragged(r, add) if rows > 0 => {
                let row = &mut g[r.index(rows)];
                if *add {
                    row.push("1".into());
                } else {
                    row.pop();
                }
            }
            CsvMut::BlankLine(r, b) => {
                let at = r.index(rows + 1);
                g.insert(at, vec![format!("\u{0}BLANK{b}")]);
            }
            CsvMut::Quote(r, c, q) if rows > 0 => {
                let row = &mut g[r.index(rows)];
                if !row.is_empty() {
                    let k = c.index(row.len());
                    let inner = format!("{}{q}", row[k]).replace('"', "\"\"");
                    row[k] = format!("\"{inner}\"");
                }
            }
            _ => {}
        }
    }
    g
}

/// Writes `grid` with `layout`.
pub fn write(grid: &Grid, layout: &Layout) -> String {
    let lines: Vec<String> = grid
        .iter()
        .map(|row| match row.as_slice() {
            [one] if one.starts_with("\u{0}BLANK") => one["\u{0}BLANK".len()..].to_string(),
            _ => row.join(","),
        })
        .collect();
    let mut text = lines.join(layout.newline);
    if layout.final_newline {
        text.push_str(layout.newline);
    }
    if layout.bom {
        text.insert(0, '\u{feff}');
    }
    if let Some(i) = &layout.truncate {
        let cut = floor_boundary(&text, i.index(text.len() + 1));
        text.truncate(cut);
    }
    text
}

/// Every distinct cell and header name of `grids`.
pub fn vocabulary(grids: &[Grid]) -> Vec<String> {
    let mut out: Vec<String> = grids.iter().flatten().flatten().cloned().collect();
    out.sort();
    out.dedup();
    out
}
