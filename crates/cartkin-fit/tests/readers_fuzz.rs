//! Property tests of the fitting crate's input readers: NONMEM CSV and long CSV.
//!
//! Every input is either accepted or refused with an error naming the file, the line and, for
//! a bad cell, the column (`PATH:LINE: ...`); no input may panic. Each reader is fed structured
//! mutations of valid files (a grid of cells), text edits of the same files, random text, and
//! random bytes through a file. Accepted datasets are checked against the documented rules
//! (finite times that do not decrease within a subject, positive amounts, ...). Cases per
//! property: `CARTKIN_FUZZ_CASES` (see `cartkin-core/tests/fuzz/mod.rs`);
//! `scripts/fuzz_readers.sh` runs the long version.

#[path = "../../cartkin-core/tests/fuzz/mod.rs"]
mod fuzz;
mod fuzz_csv;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cartkin_fit::data::{self, DataError, Dataset};
use fuzz::*;
use fuzz_csv::Grid;
use proptest::prelude::*;
use proptest::sample::Index;

/// Bugs found by these properties and tolerated until the library is fixed (each with an
/// `#[ignore]`d regression test below): none left; the regression tests run.
const KNOWN_FAILURES: &[Known] = &[];

/// `text` with every lone `\r` (an old Mac line end, which ends a CSV record) made a `\n`:
/// the lines the CSV readers number, so the line checks count them the same way.
fn lines_as_read(text: &str) -> String {
    let b = text.as_bytes();
    text.char_indices()
        .map(|(i, c)| {
            if c == '\r' && b.get(i + 1) != Some(&b'\n') {
                '\n'
            } else {
                c
            }
        })
        .collect()
}

/// Errors that legitimately name no line: `PATH: message`.
const WHOLE_FILE: &[WholeFile] = &[
    // the CSV readers: nothing to point at
    WholeFile {
        reader: "nonmem",
        fragment: "the file is empty; expected a header line",
    },
    WholeFile {
        reader: "nonmem",
        fragment: "no data rows: the file has a header but no records",
    },
    WholeFile {
        reader: "nonmem",
        fragment: "no observations: every row is a dose",
    },
    WholeFile {
        reader: "long",
        fragment: "the file is empty; expected a header line",
    },
    WholeFile {
        reader: "long",
        fragment: "no data rows: the file has a header but no records",
    },
    WholeFile {
        reader: "long",
        fragment: "no observations: the file has no data rows",
    },
];

fn root() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).expect("root")
}

fn judge(reader: &'static str) -> Judge<'static> {
    Judge {
        reader,
        known: KNOWN_FAILURES,
        whole_file: WHOLE_FILE,
    }
}

// ------------------------------------------------------------------------------ CSV

/// A CSV reader's name, `parse_*` and `read_*`.
struct CsvReader {
    name: &'static str,
    parse: fn(&Path, &str) -> Result<Dataset, DataError>,
    read: fn(&Path) -> Result<Dataset, DataError>,
}

const NONMEM: CsvReader = CsvReader {
    name: "nonmem",
    parse: data::parse_nonmem,
    read: data::read_nonmem,
};

const LONG: CsvReader = CsvReader {
    name: "long",
    parse: data::parse_long,
    read: data::read_long,
};

struct CsvSeeds {
    texts: Vec<String>,
    grids: Vec<Grid>,
    vocabulary: &'static [String],
    bytes: &'static [Vec<u8>],
}

fn csv_seeds(texts: Vec<String>, extra: &[&str]) -> CsvSeeds {
    let grids: Vec<Grid> = texts.iter().map(|t| fuzz_csv::grid(t)).collect();
    let mut vocabulary = fuzz_csv::vocabulary(&grids);
    vocabulary.extend(extra.iter().map(|s| s.to_string()));
    CsvSeeds {
        vocabulary: leak(vocabulary),
        bytes: leak(texts.iter().map(|t| t.clone().into_bytes()).collect()),
        grids,
        texts,
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("seed")
}

/// Doses without EVID (a positive AMT makes a dose), an infusion RATE, a lymphodepletion dose
/// on another CMT, a zero AMT on an observation row.
const NONMEM_NO_EVID: &str = "\
ID,TIME,AMT,RATE,CMT,DV,WT
A,-5,30,720,2,.,70
A,0,1e8,.,1,.,70
A,1,.,.,1,500,70
A,7,0,.,1,1500,70
B,0,5e7,0,1,0,55
B,3,.,.,1,80,55
";

/// EVID 0/1/2, MDV, BLQ with and without a DV, LLOQ, zero ADDL/II/SS, covariates with gaps.
const NONMEM_BLQ: &str = "\
ID,TIME,EVID,AMT,CMT,DV,MDV,BLQ,LLOQ,ADDL,II,SS,AGE,EGFR
1,0,1,1e8,1,.,1,.,.,0,0,0,11,120
1,0.5,0,.,1,.,0,1,50,.,.,.,11,120
1,1,0,.,1,40,0,1,.,.,.,.,11,120
1,2,2,.,.,.,1,.,.,.,.,.,11,120
1,7,0,.,1,1200,0,0,50,.,.,.,11,120
2,0,1,2e8,1,0,1,0,.,0,.,.,.,.
2,14,0,.,3,3.5,0,0,.,.,.,.,.,.
";

/// Lower-case names with spaces around them.
const NONMEM_LOWER: &str = "\
 id , time ,dv,evid,amt,cmt,rate
x,0,.,1,1e8,1,1e9
x,0.25,12,0,.,1,.
x,0.25,14,0,.,1,.
";

const LONG_EVERY_COLUMN: &str = "\
ID,Time,Observable,Value,BLQ,LLOQ,WT,AGE
s1,0,CAR_T,.,1,10,70,30
s1,3,CAR_T,2.5e4,0,10,70,30
s1,3,IL6,15,0,.,70,30
s2,-1,B_leuk,0.4,.,.,.,.
s2,28,B_leuk,0.01,1,.,.,.
";

const LONG_MINIMAL: &str = "id,time,observable,value\n1,0,E,3\n1,1,E,4\n2,0,E,5\n";

fn nonmem_seeds() -> &'static CsvSeeds {
    static S: OnceLock<CsvSeeds> = OnceLock::new();
    S.get_or_init(|| {
        csv_seeds(
            vec![
                read("data/synthetic_eliana_ck.csv"),
                read("crates/cartkin-fit/tests/data/nonmem_3subjects.csv"),
                NONMEM_NO_EVID.into(),
                NONMEM_BLQ.into(),
                NONMEM_LOWER.into(),
            ],
            &[
                "ID", "TIME", "DV", "EVID", "AMT", "CMT", "MDV", "RATE", "BLQ", "LLOQ", "ADDL",
                "II", "SS",
            ],
        )
    })
}

fn long_seeds() -> &'static CsvSeeds {
    static S: OnceLock<CsvSeeds> = OnceLock::new();
    S.get_or_init(|| {
        csv_seeds(
            vec![
                read("crates/cartkin-fit/tests/data/long.csv"),
                LONG_EVERY_COLUMN.into(),
                LONG_MINIMAL.into(),
            ],
            &["id", "time", "observable", "value", "blq", "lloq"],
        )
    })
}

/// What an accepted dataset promises (module docs of `cartkin_fit::data`).
fn check_dataset(d: &Dataset, text: &str) -> Result<(), TestCaseError> {
    let lines = text.matches('\n').count() + 1;
    let line_ok = |line: usize| (2..=lines).contains(&line);
    let mut ids = std::collections::HashSet::new();
    prop_assert!(d.n_observations() > 0, "accepted without observations");
    for s in &d.subjects {
        prop_assert!(
            !s.id.is_empty() && s.id != "." && ids.insert(s.id.clone()),
            "subject id `{}` empty or repeated",
            s.id
        );
        prop_assert!(s.covariates.values().all(|v| v.is_finite()));
        let mut times: Vec<(usize, f64)> = Vec::new();
        for o in &s.observations {
            prop_assert!(o.time.is_finite(), "observation time {}", o.time);
            prop_assert!(o.value.is_none_or(f64::is_finite), "value {:?}", o.value);
            prop_assert!(o.value.is_some() || o.blq, "missing value without BLQ");
            prop_assert!(
                o.lloq.is_none_or(|l| l.is_finite() && l > 0.0),
                "lloq {:?}",
                o.lloq
            );
            prop_assert!(
                !(o.blq && o.value.is_none() && o.lloq.is_none()),
                "BLQ without value or LLOQ"
            );
            prop_assert!(line_ok(o.line), "line {}", o.line);
            times.push((o.line, o.time));
        }
        for dose in &s.doses {
            prop_assert!(dose.time.is_finite(), "dose time {}", dose.time);
            prop_assert!(
                dose.amount.is_finite() && dose.amount > 0.0,
                "amount {}",
                dose.amount
            );
            prop_assert!(dose.cmt >= 1);
            prop_assert!(
                dose.rate.is_none_or(|r| r.is_finite() && r > 0.0),
                "rate {:?}",
                dose.rate
            );
            prop_assert!(line_ok(dose.line), "line {}", dose.line);
            times.push((dose.line, dose.time));
        }
        times.sort_by_key(|(line, _)| *line);
        prop_assert!(
            times.windows(2).all(|w| w[0].1 <= w[1].1),
            "times decrease within `{}`: {:?}",
            s.id,
            times
        );
    }
    Ok(())
}

/// Reads `text` with `reader`: judged like the TOML readers; a bad cell's line must hold the
/// cell (when the file has no quotes or carriage returns); an accepted dataset must keep the
/// format's promises.
fn check_csv(
    reader: &CsvReader,
    path: &Path,
    text: &str,
    out: &mut Outcomes,
) -> Result<(), TestCaseError> {
    let result = call(|| (reader.parse)(path, text));
    let text = &lines_as_read(text);
    // a cell, header or ordering error names its column
    if let Ok(Err(
        e @ (DataError::Cell { .. } | DataError::Header { .. } | DataError::Structure { .. }),
    )) = &result
    {
        let message = e.to_string();
        if !message.contains("column ") {
            return Err(fail(reader.name, "error without a column", &message, text));
        }
    }
    if let Ok(Err(DataError::Cell {
        line,
        found: Some(found),
        column,
        ..
    })) = &result
        && !found.is_empty()
        && !text.contains(['"', '\r'])
    {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let held = body
            .split('\n')
            .nth(line.saturating_sub(1))
            .is_some_and(|l| l.split(',').any(|c| c.trim() == found));
        if !held {
            return Err(fail(
                reader.name,
                &format!("line {line} does not hold the bad cell `{found}` (column {column})"),
                &result.unwrap().unwrap_err().to_string(),
                text,
            ));
        }
    }
    if let Some(d) = judge(reader.name).judge(out, path, text, result)? {
        check_dataset(&d, text).map_err(|e| {
            fail(
                reader.name,
                "accepted dataset breaks a rule",
                &e.to_string(),
                text,
            )
        })?;
    }
    Ok(())
}

fn csv_structured(name: &str, reader: &'static CsvReader, seeds: &'static CsvSeeds) {
    let path = Path::new("data.csv");
    fuzz(
        name,
        (any::<Index>(), fuzz_csv::csv_muts(seeds.vocabulary)),
        |(seed, (muts, layout)), out| {
            let grid = fuzz_csv::apply(seed.get(&seeds.grids), &muts);
            check_csv(reader, path, &fuzz_csv::write(&grid, &layout), out)
        },
    );
}

fn csv_text_edits(name: &str, reader: &'static CsvReader, seeds: &'static CsvSeeds) {
    let path = Path::new("data.csv");
    fuzz(
        name,
        (any::<Index>(), text_edits(seeds.vocabulary)),
        |(seed, edits), out| {
            check_csv(
                reader,
                path,
                &apply_text_edits(seed.get::<String>(&seeds.texts), &edits),
                out,
            )
        },
    );
}

fn csv_random_text(name: &str, reader: &'static CsvReader, seeds: &'static CsvSeeds) {
    let path = Path::new("data.csv");
    let token = prop_oneof![
        3 => proptest::sample::select(seeds.vocabulary),
        2 => proptest::sample::select(vec![",", ",", ",", "\n", "\n", "\r\n", "\r", "\"", " ", "."])
            .prop_map(str::to_string),
        1 => number_literal(),
        1 => odd_string(),
    ];
    let text = prop_oneof![
        1 => any::<String>(),
        3 => proptest::collection::vec(token, 0..60).prop_map(|t| t.concat()),
    ];
    fuzz(name, text, |text, out| check_csv(reader, path, &text, out));
}

fn csv_random_bytes(name: &str, reader: &'static CsvReader, seeds: &'static CsvSeeds) {
    fuzz(name, bytes_from(seeds.bytes), |bytes, out| {
        let path = temp_file("data.csv", &bytes.0);
        let text = lines_as_read(&String::from_utf8_lossy(&bytes.0));
        if let Some(d) =
            judge(reader.name).judge(out, &path, &text, call(|| (reader.read)(&path)))?
        {
            check_dataset(&d, &text).map_err(|e| {
                fail(
                    reader.name,
                    "accepted dataset breaks a rule",
                    &e.to_string(),
                    &text,
                )
            })?;
        }
        Ok(())
    });
}

#[test]
fn nonmem_seeds_are_valid() {
    for t in &nonmem_seeds().texts {
        let d = data::parse_nonmem(Path::new("data.csv"), t).unwrap_or_else(|e| panic!("{e}"));
        check_dataset(&d, t).unwrap();
    }
}

#[test]
fn nonmem_structured_mutations() {
    csv_structured("nonmem_structured_mutations", &NONMEM, nonmem_seeds());
}

#[test]
fn nonmem_text_edits() {
    csv_text_edits("nonmem_text_edits", &NONMEM, nonmem_seeds());
}

#[test]
fn nonmem_random_text() {
    csv_random_text("nonmem_random_text", &NONMEM, nonmem_seeds());
}

#[test]
fn nonmem_random_bytes() {
    csv_random_bytes("nonmem_random_bytes", &NONMEM, nonmem_seeds());
}

#[test]
fn long_csv_seeds_are_valid() {
    for t in &long_seeds().texts {
        let d = data::parse_long(Path::new("data.csv"), t).unwrap_or_else(|e| panic!("{e}"));
        check_dataset(&d, t).unwrap();
    }
}

#[test]
fn long_csv_structured_mutations() {
    csv_structured("long_csv_structured_mutations", &LONG, long_seeds());
}

#[test]
fn long_csv_text_edits() {
    csv_text_edits("long_csv_text_edits", &LONG, long_seeds());
}

#[test]
fn long_csv_random_text() {
    csv_random_text("long_csv_random_text", &LONG, long_seeds());
}

#[test]
fn long_csv_random_bytes() {
    csv_random_bytes("long_csv_random_bytes", &LONG, long_seeds());
}

// ------------------------------------------------------------------------------ regressions
//
// Bugs found by the properties above, minimised, and fixed: their regression tests.

/// Asserts that `err` reads `PATH:LINE: ...`.
#[track_caller]
fn at_line(err: &str, path: &Path, line: usize) {
    assert!(
        err.starts_with(&format!("{}:{line}: ", path.display())),
        "expected `{}:{line}: ...`, got `{err}`",
        path.display()
    );
}

#[test]
fn csv_readers_count_a_lone_cr_as_a_line_break() {
    let path = Path::new("data.csv");
    let err = data::parse_nonmem(path, "ID,TIME,DV,CMT\r1,0,5,1\r1,x,6,1\r")
        .unwrap_err()
        .to_string();
    at_line(&err, path, 3);
    let err = data::parse_long(path, "id,time,observable,value\r1,0,E,5\r1,x,E,6\r")
        .unwrap_err()
        .to_string();
    at_line(&err, path, 3);
    let d = data::parse_long(path, "id,time,observable,value\r1,0,E,5\r1,1,E,6\r").unwrap();
    let lines: Vec<usize> = d.subjects[0].observations.iter().map(|o| o.line).collect();
    assert_eq!(lines, vec![2, 3]);
}
