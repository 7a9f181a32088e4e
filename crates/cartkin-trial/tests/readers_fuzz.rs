//! Property tests of the trial crate's input readers: population tables, targets files and
//! scenario files.
//!
//! Every input is either accepted or refused with an error naming the file and the line
//! (`PATH:LINE: ...`); no input may panic. Each reader is fed structured mutations of valid
//! files (TOML parsed with `toml`, mutated, written back), text edits of the same files, random
//! text, and random bytes through a file. Accepted targets and populations are written back
//! and read again (round trip). Cases per property: `CARTKIN_FUZZ_CASES` (see
//! `cartkin-core/tests/fuzz/mod.rs`); `scripts/fuzz_readers.sh` runs the long version.

#[path = "../../cartkin-core/tests/fuzz/mod.rs"]
mod fuzz;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cartkin_core::model::{self, ModelSpec};
use cartkin_trial::scenario;
use cartkin_trial::vpop::spec as popspec;
use cartkin_trial::vpop::targets::Targets;
use fuzz::*;
use proptest::prelude::*;
use proptest::sample::Index;

/// Bugs found by these properties and tolerated until the library is fixed (each with an
/// `#[ignore]`d regression test below): none left; the regression tests run.
const KNOWN_FAILURES: &[Known] = &[];

/// Errors that legitimately name no line: none for these readers.
const WHOLE_FILE: &[WholeFile] = &[];

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
        // every targets file of data/ (validation.toml is `cartkin validate`'s, another format)
        let seeds: Vec<TomlSeed> = toml_files("data")
            .into_iter()
            .filter(|p| p.file_name().is_none_or(|n| n != "validation.toml"))
            .map(toml_seed)
            .collect();
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
