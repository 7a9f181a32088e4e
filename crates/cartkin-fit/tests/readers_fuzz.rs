//! Property tests of the fitting crate's input readers: population tables, targets files,
//! scenario files, NONMEM CSV and long CSV.
//!
//! Every input is either accepted or refused with an error naming the file and the line
//! (`PATH:LINE: ...`; for CSV also the column of a bad cell); no input may panic. Each reader
//! is fed structured mutations of valid files (TOML parsed with `toml`, mutated, written back;
//! CSV as a grid of cells), text edits of the same files, random text, and random bytes through
//! a file. Accepted datasets are checked against the documented rules (finite times that do
//! not decrease within a subject, positive amounts, ...). The targets file, whose type derives
//! `Serialize`, is also written back and read again (round trip). Cases per property:
//! `CARTKIN_FUZZ_CASES` (see `cartkin-core/tests/fuzz/mod.rs`); `scripts/fuzz_readers.sh` runs
//! the long version.

#[path = "../../cartkin-core/tests/fuzz/mod.rs"]
mod fuzz;
mod fuzz_csv;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cartkin_core::model::{self, ModelSpec};
use cartkin_fit::data::{self, DataError, Dataset};
use cartkin_fit::scenario;
use cartkin_fit::vpop::spec as popspec;
use cartkin_fit::vpop::targets::Targets;
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

/// The `.toml` files of `dir` (under the workspace root), sorted.
fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("seed directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

struct TomlSeed {
    path: PathBuf,
    text: String,
    doc: toml::Table,
}

fn toml_seed(path: PathBuf) -> TomlSeed {
    let text = std::fs::read_to_string(&path).expect("seed");
    let doc = text.parse().expect("seed is TOML");
    TomlSeed { path, text, doc }
}

fn vocabulary(seeds: &[&toml::Table], extra: &[&str]) -> &'static [String] {
    let docs: Vec<toml::Table> = seeds.iter().map(|d| (*d).clone()).collect();
    let mut v = toml_vocabulary(&docs);
    v.extend(extra.iter().map(|s| s.to_string()));
    leak(v)
}

// ------------------------------------------------------------------------------ population

struct PopulationSeed {
    seed: TomlSeed,
    model: ModelSpec,
}

struct Populations {
    seeds: Vec<PopulationSeed>,
    vocabulary: &'static [String],
    bytes: &'static [Vec<u8>],
}

/// The `[population]` tables of the bundled models (as a file of their own, each with its
/// model) and `data/populations/zuma3_adults.toml` (with `cart_all`).
fn populations() -> &'static Populations {
    static P: OnceLock<Populations> = OnceLock::new();
    P.get_or_init(|| {
        let mut seeds = Vec::new();
        for path in toml_files("models") {
            let full = toml_seed(path.clone());
            let Some(table) = full.doc.get("population").cloned() else {
                continue;
            };
            let mut doc = toml::Table::new();
            doc.insert("population".into(), table);
            let text = to_toml(&doc).expect("serializable");
            seeds.push(PopulationSeed {
                seed: TomlSeed { path, text, doc },
                model: model::file::load(&full.path).expect("bundled model"),
            });
        }
        for path in toml_files("data/populations") {
            seeds.push(PopulationSeed {
                seed: toml_seed(path),
                model: model::file::load(&root().join("models/cart_all.toml"))
                    .expect("bundled model"),
            });
        }
        let docs: Vec<&toml::Table> = seeds.iter().map(|s| &s.seed.doc).collect();
        let mut extra: Vec<&str> = vec![
            "lognormal",
            "logitnormal",
            "normal",
            "uniform",
            "fixed",
            "weight_kg",
            "height_cm",
            "age_years",
            "egfr",
            "median",
            "mean",
            "sd",
            "cv",
            "omega2",
            "lower",
            "upper",
            "value",
            "flat_above_kg",
        ];
        let names: Vec<String> = seeds[0]
            .model
            .parameters
            .iter()
            .map(|p| p.name.clone())
            .collect();
        let pairs: Vec<String> = names
            .windows(2)
            .map(|w| format!("{},{}", w[0], w[1]))
            .collect();
        let names: &'static [String] = leak(names);
        let pairs: &'static [String] = leak(pairs);
        extra.extend(names.iter().map(String::as_str));
        extra.extend(pairs.iter().map(String::as_str));
        Populations {
            vocabulary: vocabulary(&docs, &extra),
            bytes: leak(
                seeds
                    .iter()
                    .map(|s| s.seed.text.clone().into_bytes())
                    .collect(),
            ),
            seeds,
        }
    })
}

fn check_population(
    s: &PopulationSeed,
    path: &Path,
    text: &str,
    out: &mut Outcomes,
) -> Result<(), TestCaseError> {
    let spec = judge("population").judge(
        out,
        path,
        text,
        call(|| popspec::parse(path, text, &s.model)),
    )?;
    if let Some(spec) = spec {
        let n = spec.parameters.len();
        prop_assert!(
            spec.correlation.len() == n && spec.correlation.iter().all(|r| r.len() == n),
            "correlation matrix not {n}×{n}"
        );
        // round trip through the writer `cartkin calibrate` uses
        let written = spec.to_toml();
        match popspec::parse_file(Path::new("written.toml"), &written, &s.model) {
            Ok(again) => prop_assert!(again == spec, "written back differently:\n{written}"),
            Err(e) => prop_assert!(false, "the written table is refused: {e}\n{written}"),
        }
    }
    Ok(())
}

#[test]
fn population_seeds_are_valid() {
    for s in &populations().seeds {
        popspec::parse(&s.seed.path, &s.seed.text, &s.model).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn population_structured_mutations() {
    let p = populations();
    fuzz(
        "population_structured_mutations",
        (any::<Index>(), toml_muts(p.vocabulary)),
        |(seed, muts), out| {
            let s = seed.get(&p.seeds);
            let Some(text) = to_toml(&apply_toml_muts(&s.seed.doc, &muts)) else {
                out.unserializable();
                return Ok(());
            };
            check_population(s, &s.seed.path, &text, out)
        },
    );
}

#[test]
fn population_text_edits() {
    let p = populations();
    fuzz(
        "population_text_edits",
        (any::<Index>(), text_edits(p.vocabulary)),
        |(seed, edits), out| {
            let s = seed.get(&p.seeds);
            let text = apply_text_edits(&s.seed.text, &edits);
            check_population(s, &s.seed.path, &text, out)
        },
    );
}

#[test]
fn population_random_text() {
    let p = populations();
    fuzz(
        "population_random_text",
        (any::<Index>(), random_text(p.vocabulary)),
        |(seed, text), out| {
            let s = seed.get(&p.seeds);
            check_population(s, Path::new("random.toml"), &text, out)
        },
    );
}

#[test]
fn population_random_bytes() {
    let p = populations();
    fuzz(
        "population_random_bytes",
        (any::<Index>(), bytes_from(p.bytes)),
        |(seed, bytes), out| {
            let s = seed.get(&p.seeds);
            let path = temp_file("population.toml", &bytes.0);
            let text = String::from_utf8_lossy(&bytes.0).into_owned();
            judge("population").judge(
                out,
                &path,
                &text,
                call(|| popspec::load(&path, &s.model)),
            )?;
            Ok(())
        },
    );
}

// ------------------------------------------------------------------------------ targets

struct TargetSeeds {
    seeds: Vec<TomlSeed>,
    vocabulary: &'static [String],
    bytes: &'static [Vec<u8>],
}

fn targets() -> &'static TargetSeeds {
    static T: OnceLock<TargetSeeds> = OnceLock::new();
    T.get_or_init(|| {
        let seeds: Vec<TomlSeed> = toml_files("data").into_iter().map(toml_seed).collect();
        let docs: Vec<&toml::Table> = seeds.iter().map(|s| &s.doc).collect();
        TargetSeeds {
            vocabulary: vocabulary(&docs, &["tolerance", "ci95", "n"]),
            bytes: leak(seeds.iter().map(|s| s.text.clone().into_bytes()).collect()),
            seeds,
        }
    })
}

/// Reads `bytes` as a targets file; an accepted file is written back with its `Serialize`
/// and must read again to the same value.
fn check_targets(bytes: &[u8], out: &mut Outcomes) -> Result<(), TestCaseError> {
    let path = temp_file("targets.toml", bytes);
    let text = String::from_utf8_lossy(bytes).into_owned();
    let Some(t) = judge("targets").judge(out, &path, &text, call(|| Targets::load(&path)))? else {
        return Ok(());
    };
    let written = toml::to_string(&t).map_err(|e| {
        fail(
            "targets",
            "round trip: cannot serialize",
            &e.to_string(),
            &text,
        )
    })?;
    let again = temp_file("targets_again.toml", written.as_bytes());
    let back = Targets::load(&again).map_err(|e| {
        fail(
            "targets",
            "round trip: the written file is refused",
            &e.to_string(),
            &written,
        )
    })?;
    // Debug, not PartialEq: NaN in an unchecked field (ci95, tolerance) is not equal to itself
    prop_assert_eq!(
        format!("{back:?}"),
        format!("{t:?}"),
        "round trip changed the value; written:\n{}",
        written
    );
    Ok(())
}

#[test]
fn targets_seeds_are_valid() {
    for s in &targets().seeds {
        Targets::load(&s.path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn targets_structured_mutations_and_round_trip() {
    let t = targets();
    fuzz(
        "targets_structured_mutations_and_round_trip",
        (any::<Index>(), toml_muts(t.vocabulary)),
        |(seed, muts), out| {
            let s = seed.get(&t.seeds);
            let Some(text) = to_toml(&apply_toml_muts(&s.doc, &muts)) else {
                out.unserializable();
                return Ok(());
            };
            check_targets(text.as_bytes(), out)
        },
    );
}

#[test]
fn targets_text_edits_and_round_trip() {
    let t = targets();
    fuzz(
        "targets_text_edits_and_round_trip",
        (any::<Index>(), text_edits(t.vocabulary)),
        |(seed, edits), out| {
            let s = seed.get(&t.seeds);
            check_targets(apply_text_edits(&s.text, &edits).as_bytes(), out)
        },
    );
}

#[test]
fn targets_random_text() {
    let t = targets();
    fuzz(
        "targets_random_text",
        random_text(t.vocabulary),
        |text, out| check_targets(text.as_bytes(), out),
    );
}

#[test]
fn targets_random_bytes() {
    let t = targets();
    fuzz("targets_random_bytes", bytes_from(t.bytes), |bytes, out| {
        check_targets(&bytes.0, out)
    });
}

// ------------------------------------------------------------------------------ scenarios

struct ScenarioSeeds {
    seeds: Vec<TomlSeed>,
    vocabulary: &'static [String],
    bytes: &'static [Vec<u8>],
    random_path: PathBuf,
}

/// `scripts/scenarios/*.toml`, read from their own (absolute) paths so that the files they
/// name resolve as they do for `cartkin scenario`.
fn scenarios() -> &'static ScenarioSeeds {
    static S: OnceLock<ScenarioSeeds> = OnceLock::new();
    S.get_or_init(|| {
        let seeds: Vec<TomlSeed> = toml_files("scripts/scenarios")
            .into_iter()
            .map(toml_seed)
            .collect();
        let docs: Vec<&toml::Table> = seeds.iter().map(|s| &s.doc).collect();
        let extra = [
            "dop853",
            "dopri5",
            "log",
            "linear",
            "dose_per_kg",
            "dose_cells",
            "fludarabine_mg_per_m2",
            "cyclophosphamide_mg_per_m2",
            "fludarabine_target_auc",
            "infusion_delay_days",
            "set.L0",
            "set.gamma",
            "set.nope",
            "from",
            "to",
            "points",
            "values",
            "scale",
            "cart_all",
            "cart_all_eliana",
            "stein_2019",
            "leon_triana_2021",
            "fludarabine_langenhorst_2019",
            "../../data/populations/zuma3_adults.toml",
            "../../data/regimens/eliana.toml",
            "eliana_flu_auc20",
            "none",
            "reduced",
        ];
        ScenarioSeeds {
            vocabulary: vocabulary(&docs, &extra),
            bytes: leak(seeds.iter().map(|s| s.text.clone().into_bytes()).collect()),
            random_path: root().join("scripts/scenarios/random.toml"),
            seeds,
        }
    })
}

fn check_scenario(path: &Path, text: &str, out: &mut Outcomes) -> Result<(), TestCaseError> {
    judge("scenario").judge(out, path, text, call(|| scenario::parse(path, text)))?;
    Ok(())
}

#[test]
fn scenario_seeds_are_valid() {
    for s in &scenarios().seeds {
        scenario::parse(&s.path, &s.text).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn scenario_structured_mutations() {
    let c = scenarios();
    fuzz(
        "scenario_structured_mutations",
        (any::<Index>(), toml_muts(c.vocabulary)),
        |(seed, muts), out| {
            let s = seed.get(&c.seeds);
            let Some(text) = to_toml(&apply_toml_muts(&s.doc, &muts)) else {
                out.unserializable();
                return Ok(());
            };
            check_scenario(&s.path, &text, out)
        },
    );
}

#[test]
fn scenario_text_edits() {
    let c = scenarios();
    fuzz(
        "scenario_text_edits",
        (any::<Index>(), text_edits(c.vocabulary)),
        |(seed, edits), out| {
            let s = seed.get(&c.seeds);
            check_scenario(&s.path, &apply_text_edits(&s.text, &edits), out)
        },
    );
}

#[test]
fn scenario_random_text() {
    let c = scenarios();
    fuzz(
        "scenario_random_text",
        random_text(c.vocabulary),
        |text, out| check_scenario(&c.random_path, &text, out),
    );
}

#[test]
fn scenario_random_bytes() {
    let c = scenarios();
    // in the temporary directory (nothing left in the repository if the run is killed); the
    // seeds name only bundled models and regimens
    fuzz(
        "scenario_random_bytes",
        bytes_from(c.bytes),
        |bytes, out| {
            let path = temp_file("scenario.toml", &bytes.0);
            let text = String::from_utf8_lossy(&bytes.0).into_owned();
            judge("scenario").judge(out, &path, &text, call(|| scenario::load(&path)))?;
            Ok(())
        },
    );
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

/// A TOML file whose second line holds a byte that is not UTF-8.
const INVALID_UTF8: &[u8] = b"name = \"x\"\ndescription = \"\xff\"\n";

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
fn population_load_names_the_line_of_invalid_utf8() {
    let path = temp_file("population.toml", INVALID_UTF8);
    let model = &populations().seeds[0].model;
    let err = popspec::load(&path, model).unwrap_err().to_string();
    at_line(&err, &path, 2);
}

#[test]
fn targets_load_names_the_line_of_invalid_utf8() {
    let path = temp_file("targets.toml", INVALID_UTF8);
    let err = Targets::load(&path).unwrap_err().to_string();
    at_line(&err, &path, 2);
}

#[test]
fn scenario_load_names_the_line_of_invalid_utf8() {
    let path = temp_file("scenario.toml", INVALID_UTF8);
    let err = scenario::load(&path).unwrap_err().to_string();
    at_line(&err, &path, 2);
}

#[test]
fn targets_refuse_out_of_range_values_with_a_line() {
    for (text, line) in [
        (
            "name = \"x\"\n[remission]\nvalue = 2.0\nsource = \"s\"\n",
            3,
        ),
        (
            "name = \"x\"\n[crs_any_grade]\nvalue = nan\nsource = \"s\"\n",
            3,
        ),
        (
            "name = \"x\"\n[[rfs]]\nmonth = 6\nvalue = -0.1\nsource = \"s\"\n",
            4,
        ),
    ] {
        let path = temp_file("targets.toml", text.as_bytes());
        let err = Targets::load(&path).unwrap_err().to_string();
        at_line(&err, &path, line);
    }
}

#[test]
fn targets_name_the_month_when_an_rfs_month_is_bad() {
    let text = "name = \"x\"\n[[rfs]]\nmonth = -1\nvalue = 0.5\nsource = \"s\"\n";
    let path = temp_file("targets.toml", text.as_bytes());
    let err = Targets::load(&path).unwrap_err().to_string();
    at_line(&err, &path, 3);
    assert!(
        err.contains("month") && !err.contains("expected a proportion"),
        "{err}"
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
