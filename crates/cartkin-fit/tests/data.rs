//! Data readers: NONMEM-style and long CSV files, good and bad.

use std::path::{Path, PathBuf};

use approx::assert_relative_eq;
use cartkin_fit::data::{
    DataError, Dataset, DoseRecord, Observation, OutputRef, read_long, read_nonmem,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

// `parse_nonmem`/`parse_long` are not re-exported from `cartkin_fit::data` yet, so inline
// fixtures go through a temporary file named `data.csv` / `long.csv`; messages then start
// with `<tmpdir>/data.csv:LINE:`.
fn through_file(
    name: &str,
    text: &str,
    read: fn(&Path) -> Result<Dataset, DataError>,
) -> Result<Dataset, DataError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    read(&path)
}

fn nonmem(text: &str) -> Result<Dataset, DataError> {
    through_file("data.csv", text, read_nonmem)
}

fn long(text: &str) -> Result<Dataset, DataError> {
    through_file("long.csv", text, read_long)
}

/// Asserts that `result` is an error whose message contains every fragment.
#[track_caller]
fn fails(result: Result<Dataset, DataError>, fragments: &[&str]) -> DataError {
    let err = match result {
        Ok(d) => panic!("expected an error containing {fragments:?}, got {d:#?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    for f in fragments {
        assert!(msg.contains(f), "`{msg}` does not contain `{f}`");
    }
    err
}

fn obs(
    time: f64,
    cmt: u32,
    value: Option<f64>,
    blq: bool,
    lloq: Option<f64>,
    line: usize,
) -> Observation {
    Observation {
        time,
        output: OutputRef::Cmt(cmt),
        value,
        blq,
        lloq,
        line,
    }
}

// ---------------------------------------------------------------- good files

#[test]
fn nonmem_three_subjects_every_field() {
    let path = fixture("nonmem_3subjects.csv");
    let d = read_nonmem(&path).unwrap();
    assert_eq!(d.path, path);
    assert_eq!(d.subjects.len(), 3);
    assert_eq!(d.n_observations(), 5);

    let s1 = &d.subjects[0];
    assert_eq!(s1.id, "1");
    assert_eq!(
        s1.covariates
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        vec![("AGE", 34.0), ("EGFR", 95.0), ("WT", 70.0)]
    );
    assert_eq!(
        s1.doses,
        vec![
            // Infusion before day 0 (lymphodepletion).
            DoseRecord {
                time: -5.0,
                cmt: 2,
                amount: 30.0,
                rate: Some(30.0),
                line: 2
            },
            // RATE=0: bolus.
            DoseRecord {
                time: 0.0,
                cmt: 1,
                amount: 1e8,
                rate: None,
                line: 3
            },
        ]
    );
    // Line 4 has MDV=1 and line 7 is EVID=2: both skipped.
    assert_eq!(
        s1.observations,
        vec![
            obs(1.0, 1, Some(1200.0), false, Some(50.0), 5),
            obs(7.0, 1, None, true, Some(50.0), 6),
        ]
    );

    let s2 = &d.subjects[1];
    assert_eq!(s2.id, "2");
    assert_eq!(s2.covariates.len(), 3);
    assert_relative_eq!(s2.covariates["WT"], 82.5);
    assert_relative_eq!(s2.covariates["AGE"], 12.0);
    assert_relative_eq!(s2.covariates["EGFR"], 110.0);
    assert_eq!(
        s2.doses,
        vec![DoseRecord {
            time: 0.0,
            cmt: 1,
            amount: 5e7,
            rate: None,
            line: 8
        }]
    );
    assert_eq!(
        s2.observations,
        vec![
            // AMT=0 on an observation row is fine; missing covariates on a row are fine.
            obs(2.0, 1, Some(3400.0), false, None, 9),
            obs(2.0, 3, Some(15.2), false, None, 10),
            // BLQ=1 with the DV present: the value is kept.
            obs(28.0, 1, Some(20.0), true, Some(25.0), 11),
        ]
    );

    // A subject with a dose and no observation is kept.
    let s3 = &d.subjects[2];
    assert_eq!(s3.id, "3");
    assert!(s3.covariates.is_empty());
    assert_eq!(s3.doses.len(), 1);
    assert_eq!(s3.doses[0].line, 12);
    assert!(s3.observations.is_empty());
}

#[test]
fn nonmem_without_evid_infers_doses_from_amt() {
    let d = nonmem(
        "id,Time,amt,Cmt,dv,wt\n\
         A,0,1e6,1,.,55\n\
         A,0.5,0,2,-1.5,55\n\
         A,1,.,2,0,.\n\
         B-7, 0 , . , 1 , 3 , 40 \n",
    )
    .unwrap();
    assert_eq!(d.subjects.len(), 2);
    let a = &d.subjects[0];
    assert_eq!(a.id, "A");
    assert_eq!(a.doses.len(), 1);
    assert_eq!(a.doses[0].amount, 1e6);
    // Non-positive DVs are allowed (the error model decides).
    assert_eq!(
        a.observations,
        vec![
            obs(0.5, 2, Some(-1.5), false, None, 3),
            obs(1.0, 2, Some(0.0), false, None, 4),
        ]
    );
    assert_eq!(a.covariates["WT"], 55.0);
    // Cells are trimmed.
    assert_eq!(d.subjects[1].id, "B-7");
    assert_eq!(d.subjects[1].observations[0].value, Some(3.0));
    assert_eq!(d.subjects[1].covariates["WT"], 40.0);
}

#[test]
fn nonmem_missing_evid_cell_is_inferred_and_integers_may_be_written_as_reals() {
    let d = nonmem(
        "ID,TIME,EVID,AMT,CMT,DV,BLQ\n\
         1,0,.,10,1.0,.,.\n\
         1,1,0.0,.,2,4,0.0\n",
    )
    .unwrap();
    assert_eq!(d.subjects[0].doses[0].cmt, 1);
    assert_eq!(d.subjects[0].observations[0].output, OutputRef::Cmt(2));
}

#[test]
fn nonmem_zero_addl_and_bom_are_accepted_and_blank_lines_keep_line_numbers() {
    let d = nonmem(
        "\u{feff}ID,TIME,EVID,AMT,CMT,DV,ADDL,II,SS\n\
         1,0,1,10,1,.,0,0,0\n\
         \n\
         1,1,0,.,1,4,.,.,.\n",
    )
    .unwrap();
    assert!(!d.subjects[0].covariates.contains_key("ADDL"));
    assert_eq!(d.subjects[0].observations[0].line, 4);
    // An error after a blank line names the right line.
    fails(
        nonmem("ID,TIME,DV,CMT\n1,0,1,1\n\n\n1,1,x,1\n"),
        &["data.csv:5:", "column DV"],
    );
}

#[test]
fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
    fails(
        nonmem("\n\nID,TIME,CMT\n1,0,1\n"),
        &["data.csv:3:", "column DV"],
    );
    fails(
        nonmem("ID,TIME,DV,CMT\r\n1,0,1,1\r\n\r\n1,1,x,1\r\n"),
        &["data.csv:4:", "column DV", "`x`"],
    );
    fails(
        nonmem("ID,TIME,DV,CMT\n\"a\nb\",0,1,1\n\"a\nb\",1,x,1\n"),
        &["data.csv:4:", "column DV", "`x`"],
    );
    fails(
        nonmem("ID,TIME,DV,CMT\n1,0,1,1\n\n\n1,1,1\n"),
        &["data.csv:5:", "expected 4 fields like the header, got 3"],
    );
    let d = nonmem("ID,TIME,DV,CMT\r\n1,0,1,1\r\n\r\n1,1,2,1\r\n").unwrap();
    let lines: Vec<usize> = d.subjects[0].observations.iter().map(|o| o.line).collect();
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn long_file_every_field() {
    let path = fixture("long.csv");
    let d = read_long(&path).unwrap();
    assert_eq!(d.path, path);
    assert_eq!(d.subjects.len(), 2);
    assert_eq!(d.n_observations(), 4);
    let p1 = &d.subjects[0];
    assert_eq!(p1.id, "p1");
    assert!(p1.doses.is_empty());
    assert_eq!(p1.covariates.len(), 1);
    assert_eq!(p1.covariates["WT"], 60.0);
    let name = |n: &str| OutputRef::Name(n.to_string());
    assert_eq!(
        p1.observations,
        vec![
            Observation {
                time: 0.0,
                output: name("CAR_T"),
                value: None,
                blq: true,
                lloq: Some(10.0),
                line: 2
            },
            Observation {
                time: 7.0,
                output: name("CAR_T"),
                value: Some(5e4),
                blq: false,
                lloq: Some(10.0),
                line: 3
            },
            Observation {
                time: 7.0,
                output: name("CRP"),
                value: Some(12.5),
                blq: false,
                lloq: None,
                line: 4
            },
        ]
    );
    let p2 = &d.subjects[1];
    assert_eq!(p2.id, "p2");
    assert!(p2.covariates.is_empty());
    assert_eq!(
        p2.observations,
        vec![Observation {
            time: 1.0,
            output: name("B_leuk"),
            value: Some(0.3),
            blq: false,
            lloq: None,
            line: 5
        }]
    );
}

#[test]
fn long_header_is_case_insensitive() {
    let d = long("ID, Time ,OBSERVABLE,Value\n1,0,car_t,3\n").unwrap();
    assert_eq!(
        d.subjects[0].observations[0].output,
        OutputRef::Name("car_t".into())
    );
}

// ---------------------------------------------------------------- bad files: NONMEM

const HEAD: &str = "ID,TIME,EVID,AMT,CMT,RATE,DV,MDV,BLQ,LLOQ,WT\n\
                    1,0,1,100,1,.,.,1,.,.,70\n\
                    1,1,0,.,1,.,5,0,0,.,70\n";

/// The good two rows (lines 2-3) followed by `rows` (from line 4).
fn with(rows: &str) -> Result<Dataset, DataError> {
    nonmem(&format!("{HEAD}{rows}\n"))
}

#[test]
fn display_matches_the_project_style() {
    let err = with("1,2,1,.,1,.,.,1,.,.,70").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.ends_with(
            "/data.csv:4: column AMT: expected a positive amount on a dose row (EVID=1), got `.`"
        ),
        "{msg}"
    );
    match err {
        DataError::Cell {
            path,
            line,
            column,
            found,
            ..
        } => {
            assert!(path.ends_with("data.csv"));
            assert_eq!(line, 4);
            assert_eq!(column, "AMT");
            assert_eq!(found.as_deref(), Some("."));
        }
        other => panic!("expected a cell error, got {other:?}"),
    }
}

#[test]
fn dose_amount_must_be_positive() {
    for (amt, got) in [
        ("", "an empty cell"),
        ("0", "`0`"),
        ("-5", "`-5`"),
        ("abc", "`abc`"),
        ("inf", "`inf`"),
    ] {
        fails(
            with(&format!("1,2,1,{amt},1,.,.,1,.,.,70")),
            &[
                "data.csv:4:",
                "column AMT",
                "positive amount on a dose row",
                got,
            ],
        );
    }
    // A dose row in a file without an AMT column.
    fails(
        nonmem("ID,TIME,EVID,CMT,DV\n1,0,0,1,3\n1,1,1,1,.\n"),
        &[
            "data.csv:3:",
            "column AMT",
            "positive amount",
            "the file has no such column",
        ],
    );
    // Without EVID, a negative amount is neither a dose nor an observation.
    fails(
        nonmem("ID,TIME,AMT,CMT,DV\n1,0,-3,1,.\n"),
        &["data.csv:2:", "column AMT", "positive amount", "`-3`"],
    );
}

#[test]
fn cmt_must_be_a_positive_integer() {
    for cmt in [".", "0", "1.5", "-1", "one"] {
        fails(
            with(&format!("1,2,1,100,{cmt},.,.,1,.,.,70")),
            &[
                "data.csv:4:",
                "column CMT",
                "positive integer compartment",
                "dose row",
                &format!("`{cmt}`"),
            ],
        );
        fails(
            with(&format!("1,2,0,.,{cmt},.,5,0,.,.,70")),
            &[
                "data.csv:4:",
                "column CMT",
                "positive integer compartment",
                "observation row",
                &format!("`{cmt}`"),
            ],
        );
    }
    fails(
        nonmem("ID,TIME,DV\n1,0,3\n"),
        &[
            "data.csv:2:",
            "column CMT",
            "positive integer",
            "no such column",
        ],
    );
}

#[test]
fn dv_must_be_a_finite_number() {
    for dv in ["abc", "NaN", "inf", "-inf", "1e999", "."] {
        fails(
            with(&format!("1,2,0,.,1,.,{dv},0,.,.,70")),
            &[
                "data.csv:4:",
                "column DV",
                "a finite number on an observation row",
                &format!("`{dv}`"),
            ],
        );
    }
    // On a dose row, DV is missing or 0.
    fails(
        with("1,2,1,100,1,.,3,1,.,.,70"),
        &[
            "data.csv:4:",
            "column DV",
            "missing or zero DV on a dose row",
            "`3`",
        ],
    );
    fails(
        with("1,2,1,100,1,.,x,1,.,.,70"),
        &[
            "data.csv:4:",
            "column DV",
            "missing or zero DV on a dose row",
        ],
    );
}

#[test]
fn amt_on_an_observation_row_is_rejected() {
    fails(
        with("1,2,0,50,1,.,5,0,.,.,70"),
        &[
            "data.csv:4:",
            "column AMT",
            "missing or zero amount on an observation row",
            "`50`",
        ],
    );
}

#[test]
fn time_must_be_finite_and_not_decrease_within_an_id() {
    fails(
        with("1,0.5,0,.,1,.,5,0,.,.,70"),
        &[
            "data.csv:4:",
            "column TIME",
            "do not decrease within ID `1`",
            "got 0.5 after 1 (line 3)",
        ],
    );
    for t in [".", "day1", "NaN", "inf"] {
        fails(
            with(&format!("1,{t},0,.,1,.,5,0,.,.,70")),
            &[
                "data.csv:4:",
                "column TIME",
                "a time in days",
                &format!("`{t}`"),
            ],
        );
    }
    // A new ID may start at an earlier time.
    assert!(with("2,-1,0,.,1,.,5,0,.,.,70").is_ok());
}

#[test]
fn id_must_be_present_and_contiguous() {
    fails(
        with("2,0,0,.,1,.,5,0,.,.,70\n1,3,0,.,1,.,5,0,.,.,70"),
        &[
            "data.csv:5:",
            "column ID",
            "ID `1` reappears after ID `2`",
            "contiguous",
            "line 2",
        ],
    );
    fails(
        with(".,2,0,.,1,.,5,0,.,.,70"),
        &["data.csv:4:", "column ID", "a subject ID", "`.`"],
    );
    fails(
        with(",2,0,.,1,.,5,0,.,.,70"),
        &["data.csv:4:", "column ID", "a subject ID", "an empty cell"],
    );
}

#[test]
fn rate_must_be_missing_zero_or_positive() {
    for r in ["-2", "-1", "-0.5", "fast"] {
        fails(
            with(&format!("1,2,1,100,1,{r},.,1,.,.,70")),
            &[
                "data.csv:4:",
                "column RATE",
                "positive infusion rate",
                "not supported",
                &format!("`{r}`"),
            ],
        );
    }
}

#[test]
fn evid_must_be_0_1_or_2() {
    for e in ["3", "4"] {
        fails(
            with(&format!("1,2,{e},.,1,.,5,0,.,.,70")),
            &[
                "data.csv:4:",
                "column EVID",
                "EVID=3, EVID=4) are not supported",
                &format!("`{e}`"),
            ],
        );
    }
    for e in ["7", "-1", "1.5", "dose"] {
        let err = fails(
            with(&format!("1,2,{e},.,1,.,5,0,.,.,70")),
            &[
                "data.csv:4:",
                "column EVID",
                "EVID 0 (observation), 1 (dose) or 2 (other event)",
                &format!("`{e}`"),
            ],
        );
        assert!(!err.to_string().contains("reset"));
    }
}

#[test]
fn mdv_must_be_0_or_1() {
    fails(
        with("1,2,0,.,1,.,5,2,.,.,70"),
        &["data.csv:4:", "column MDV", "0 or 1", "`2`"],
    );
}

#[test]
fn blq_and_lloq() {
    fails(
        with("1,2,0,.,1,.,5,0,2,.,70"),
        &["data.csv:4:", "column BLQ", "0 or 1", "`2`"],
    );
    fails(
        with("1,2,0,.,1,.,.,0,1,.,70"),
        &[
            "data.csv:4:",
            "column BLQ",
            "BLQ=1 needs LLOQ or a DV holding the limit",
            "`1`",
        ],
    );
    for l in ["-1", "0", "x", "inf"] {
        fails(
            with(&format!("1,2,0,.,1,.,5,0,0,{l},70")),
            &[
                "data.csv:4:",
                "column LLOQ",
                "missing or positive LLOQ",
                &format!("`{l}`"),
            ],
        );
    }
    // BLQ=1 with a DV and no LLOQ: the DV holds the limit.
    let d = with("1,2,0,.,1,.,10,0,1,.,70").unwrap();
    assert_eq!(
        d.subjects[0].observations[1],
        obs(2.0, 1, Some(10.0), true, None, 4)
    );
}

#[test]
fn additional_and_steady_state_doses_are_not_supported() {
    for col in ["ADDL", "II", "SS"] {
        fails(
            nonmem(&format!(
                "ID,TIME,AMT,CMT,DV,{col}\n1,0,10,1,.,3\n1,1,.,1,5,.\n"
            )),
            &[
                "data.csv:2:",
                &format!("column {col}"),
                "not supported",
                "`3`",
            ],
        );
    }
}

#[test]
fn wrong_field_count() {
    fails(
        with("1,2,0,.,1,.,5,0,.,.,70,99"),
        &[
            "data.csv:4:",
            "CSV syntax",
            "expected 11 fields like the header, got 12",
        ],
    );
    fails(
        with("1,2,0,.,1"),
        &["data.csv:4:", "expected 11 fields like the header, got 5"],
    );
}

#[test]
fn header_problems() {
    for (missing, header, row) in [
        ("ID", "TIME,DV,CMT", "0,1,1"),
        ("TIME", "ID,DV,CMT", "1,1,1"),
        ("DV", "ID,TIME,CMT", "1,0,1"),
    ] {
        let err = fails(
            nonmem(&format!("{header}\n{row}\n")),
            &[
                "data.csv:1:",
                &format!("column {missing}"),
                &format!("a column named {missing}"),
                "ID, TIME and DV",
                &format!("only the columns {}", header.replace(',', ", ")),
            ],
        );
        assert!(matches!(err, DataError::Header { .. }));
    }
    fails(
        nonmem("ID,TIME,DV,CMT,time\n1,0,1,1,0\n"),
        &[
            "data.csv:1:",
            "column time",
            "each column once",
            "`TIME` in field 2 and `time` in field 5",
        ],
    );
    fails(
        nonmem("ID,TIME,DV,CMT,\n1,0,1,1,\n"),
        &["data.csv:1:", "column 5", "a column name", "empty name"],
    );
}

#[test]
fn covariates_are_numeric_and_time_constant() {
    let err = fails(
        with("1,2,0,.,1,.,5,0,.,.,72"),
        &[
            "data.csv:4:",
            "column WT",
            "the value 70 given for ID `1` on line 2",
            "time-varying covariates are not supported",
            "`72`",
        ],
    );
    assert!(matches!(err, DataError::Cell { .. }));
    fails(
        with("1,2,0,.,1,.,5,0,.,.,heavy"),
        &[
            "data.csv:4:",
            "column WT",
            "a number (covariate)",
            "`heavy`",
        ],
    );
    // Also on rows that are otherwise skipped.
    fails(
        with("1,2,2,.,.,.,.,1,.,.,heavy"),
        &["data.csv:4:", "column WT", "a number (covariate)"],
    );
    fails(
        nonmem("ID,TIME,CMT,DV,SEX\n1,0,1,3,F\n"),
        &["data.csv:2:", "column SEX", "a number (covariate)", "`F`"],
    );
    // The first non-missing value counts; 70 and 70.0 are the same value.
    let d = nonmem("ID,TIME,CMT,DV,wt\n1,0,1,3,.\n1,1,1,3,70\n1,2,1,3,70.0\n").unwrap();
    assert_eq!(d.subjects[0].covariates["WT"], 70.0);
}

#[test]
fn empty_files_and_no_observations() {
    for text in ["", "  \n\n", "\u{feff}"] {
        let err = fails(
            nonmem(text),
            &["data.csv:", "the file is empty", "ID, TIME and DV"],
        );
        assert!(matches!(err, DataError::Empty { .. }));
    }
    fails(
        nonmem("ID,TIME,EVID,AMT,CMT,DV\n"),
        &["data.csv:", "no data rows"],
    );
    fails(
        nonmem(
            "ID,TIME,EVID,AMT,CMT,DV,MDV\n\
             1,0,1,10,1,.,1\n\
             1,1,0,.,1,5,1\n\
             1,2,2,.,.,.,1\n",
        ),
        &["data.csv:", "no observations", "EVID=0, MDV=0"],
    );
}

#[test]
fn read_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.csv");
    let err = read_nonmem(&missing).unwrap_err();
    assert!(matches!(err, DataError::Read { .. }));
    assert!(err.to_string().contains("absent.csv: cannot read file"));

    let latin1 = dir.path().join("latin1.csv");
    std::fs::write(&latin1, b"ID,TIME,CMT,DV\n1,0,1,3\n1,1,1,\xb5\n").unwrap();
    let err = read_nonmem(&latin1).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("latin1.csv:3:"), "{msg}");
    assert!(msg.contains("UTF-8"), "{msg}");
}

// ---------------------------------------------------------------- bad files: long

#[test]
fn long_bad_files() {
    let head = "id,time,observable,value,blq,lloq,wt\np1,0,CAR_T,5,0,1,60\n";
    let with = |row: &str| long(&format!("{head}{row}\n"));
    fails(
        long("id,time,value\n1,0,3\n"),
        &[
            "long.csv:1:",
            "column observable",
            "id, time, observable and value",
        ],
    );
    fails(
        with("p1,1,.,3,0,1,60"),
        &[
            "long.csv:3:",
            "column observable",
            "a model column name",
            "`.`",
        ],
    );
    fails(
        with("p1,1,CAR_T,.,0,1,60"),
        &["long.csv:3:", "column value", "a finite number", "`.`"],
    );
    fails(
        with("p1,1,CAR_T,NaN,0,1,60"),
        &["long.csv:3:", "column value", "a finite number", "`NaN`"],
    );
    fails(
        with("p1,-1,CAR_T,3,0,1,60"),
        &[
            "long.csv:3:",
            "column time",
            "do not decrease within ID `p1`",
        ],
    );
    fails(
        with("p2,0,CAR_T,3,0,1,60\np1,1,CAR_T,3,0,1,60"),
        &[
            "long.csv:4:",
            "column id",
            "ID `p1` reappears after ID `p2`",
        ],
    );
    fails(
        with("p1,1,CAR_T,.,1,.,60"),
        &[
            "long.csv:3:",
            "column blq",
            "needs LLOQ or a value holding the limit",
        ],
    );
    fails(
        with("p1,1,CAR_T,3,2,1,60"),
        &["long.csv:3:", "column blq", "0 or 1", "`2`"],
    );
    fails(
        with("p1,1,CAR_T,3,0,-1,60"),
        &["long.csv:3:", "column lloq", "positive LLOQ", "`-1`"],
    );
    fails(
        with("p1,1,CAR_T,3,0,1,61"),
        &[
            "long.csv:3:",
            "column wt",
            "time-varying covariates are not supported",
        ],
    );
    fails(
        with("p1,1,CAR_T,3,0,1"),
        &["long.csv:3:", "expected 7 fields like the header, got 6"],
    );
    fails(
        long("id,time,observable,value\n"),
        &["long.csv:", "no data rows"],
    );
    fails(long(""), &["long.csv:", "the file is empty"]);
}
