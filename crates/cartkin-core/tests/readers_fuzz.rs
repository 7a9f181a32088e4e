//! Property tests of the core's input readers: model files and regimen files.
//!
//! Every input is either accepted or refused with an error naming the file and the line
//! (`PATH:LINE: ...`); no input may panic. Each reader is fed structured mutations of the
//! bundled files (parsed with `toml`, mutated, written back), text edits of the same files
//! (truncation, lines deleted, duplicated or swapped, fragments inserted), random text, and
//! random bytes through a file. Cases per property: `CARTKIN_FUZZ_CASES` (see `fuzz/mod.rs`);
//! `scripts/fuzz_readers.sh` runs the long version.
//!
//! Neither reader has a writer of its format in the library (`cartkin fit` and `cartkin
//! calibrate` write model files by editing the original text, inside the CLI binary; a
//! `Regimen` serializes with `drugs`, not the file's `drug`), so there is no round trip here.

mod fuzz;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cartkin_core::model;
use cartkin_core::regimen;
use fuzz::*;
use proptest::prelude::*;
use proptest::sample::Index;

/// Bugs found by these properties and tolerated until the library is fixed (each with an
/// `#[ignore]`d regression test below): none left; the regression tests run.
const KNOWN_FAILURES: &[Known] = &[];

/// Errors that legitimately name no line: `PATH: message`.
const WHOLE_FILE: &[WholeFile] = &[
    // a parameter of the structure has no [[parameters]] entry: nothing to point at
    WholeFile {
        reader: "model",
        fragment: "parameters: expected every parameter of structure",
    },
    // no [[states]] / [[observables]] at all (with entries, the first one's line is named)
    WholeFile {
        reader: "model",
        fragment: "states: expected states [",
    },
    WholeFile {
        reader: "model",
        fragment: "observables: expected observables [",
    },
];

struct Seed {
    path: PathBuf,
    text: String,
    doc: toml::Table,
}

struct Corpus {
    seeds: Vec<Seed>,
    vocabulary: &'static [String],
    bytes: &'static [Vec<u8>],
    /// Path reported for random text (in the seeds' directory).
    random_path: PathBuf,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus(dir: &str, extra: &[&str]) -> Corpus {
    let dir = std::fs::canonicalize(root().join(dir)).expect("seed directory");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("seed directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let seeds: Vec<Seed> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("seed");
            let doc = text.parse().expect("seed is TOML");
            Seed { path, text, doc }
        })
        .collect();
    let docs: Vec<toml::Table> = seeds.iter().map(|s| s.doc.clone()).collect();
    let mut vocabulary = toml_vocabulary(&docs);
    vocabulary.extend(extra.iter().map(|s| s.to_string()));
    Corpus {
        bytes: leak(seeds.iter().map(|s| s.text.clone().into_bytes()).collect()),
        seeds,
        vocabulary: leak(vocabulary),
        random_path: dir.join("random.toml"),
    }
}

fn models() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| {
        corpus(
            "models",
            &[
                "day",
                "log",
                "linear",
                "lognormal",
                "logitnormal",
                "normal",
                "uniform",
                "none",
                "zuma3",
                "cart_all",
                "cart_dual",
                "leon_triana",
                "stein",
                "fludarabine",
            ],
        )
    })
}

fn regimens() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| corpus("data/regimens", &["fludarabine", "cyclophosphamide"]))
}

fn judge(reader: &'static str) -> Judge<'static> {
    Judge {
        reader,
        known: KNOWN_FAILURES,
        whole_file: WHOLE_FILE,
    }
}

/// Reads `text` as `path` with `read` and judges the outcome.
fn check_text<T, E: std::fmt::Display>(
    reader: &'static str,
    read: fn(&Path, &str) -> Result<T, E>,
    path: &Path,
    text: &str,
    out: &mut Outcomes,
) -> Result<Option<T>, TestCaseError> {
    judge(reader).judge(out, path, text, call(|| read(path, text)))
}

/// Writes `bytes` to a file named like `like` and reads it with `load`.
fn check_bytes<T, E: std::fmt::Display>(
    reader: &'static str,
    load: fn(&Path) -> Result<T, E>,
    like: &Path,
    bytes: &[u8],
    out: &mut Outcomes,
) -> Result<(), TestCaseError> {
    let path = temp_file(
        &like.file_name().expect("a file name").to_string_lossy(),
        bytes,
    );
    let text = String::from_utf8_lossy(bytes).into_owned();
    judge(reader).judge(out, &path, &text, call(|| load(&path)))?;
    Ok(())
}

// ------------------------------------------------------------------------------ model files

#[test]
fn model_file_seeds_are_valid() {
    for s in &models().seeds {
        model::file::parse(&s.path, &s.text).unwrap_or_else(|e| panic!("{e}"));
        let written = to_toml(&s.doc).expect("serializable");
        model::file::parse(&s.path, &written).unwrap_or_else(|e| panic!("{e}\n{written}"));
    }
}

#[test]
fn model_file_structured_mutations() {
    let c = models();
    let seeds = &c.seeds;
    fuzz(
        "model_file_structured_mutations",
        (any::<Index>(), toml_muts(c.vocabulary)),
        |(seed, muts), out| {
            let s = seed.get(seeds);
            let Some(text) = to_toml(&apply_toml_muts(&s.doc, &muts)) else {
                out.unserializable();
                return Ok(());
            };
            check_text("model", model::file::parse, &s.path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn model_file_text_edits() {
    let c = models();
    let seeds = &c.seeds;
    fuzz(
        "model_file_text_edits",
        (any::<Index>(), text_edits(c.vocabulary)),
        |(seed, edits), out| {
            let s = seed.get(seeds);
            let text = apply_text_edits(&s.text, &edits);
            check_text("model", model::file::parse, &s.path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn model_file_random_text() {
    let c = models();
    fuzz(
        "model_file_random_text",
        random_text(c.vocabulary),
        |text, out| {
            check_text("model", model::file::parse, &c.random_path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn model_file_random_bytes() {
    let c = models();
    fuzz(
        "model_file_random_bytes",
        bytes_from(c.bytes),
        |bytes, out| check_bytes("model", model::file::load, &c.random_path, &bytes.0, out),
    );
}

// ------------------------------------------------------------------------------ regimen files

#[test]
fn regimen_file_seeds_are_valid() {
    for s in &regimens().seeds {
        regimen::parse(&s.path, &s.text).unwrap_or_else(|e| panic!("{e}"));
        let written = to_toml(&s.doc).expect("serializable");
        regimen::parse(&s.path, &written).unwrap_or_else(|e| panic!("{e}\n{written}"));
    }
}

#[test]
fn regimen_file_structured_mutations() {
    let c = regimens();
    let seeds = &c.seeds;
    fuzz(
        "regimen_file_structured_mutations",
        (any::<Index>(), toml_muts(c.vocabulary)),
        |(seed, muts), out| {
            let s = seed.get(seeds);
            let Some(text) = to_toml(&apply_toml_muts(&s.doc, &muts)) else {
                out.unserializable();
                return Ok(());
            };
            check_text("regimen", regimen::parse, &s.path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn regimen_file_text_edits() {
    let c = regimens();
    let seeds = &c.seeds;
    fuzz(
        "regimen_file_text_edits",
        (any::<Index>(), text_edits(c.vocabulary)),
        |(seed, edits), out| {
            let s = seed.get(seeds);
            let text = apply_text_edits(&s.text, &edits);
            check_text("regimen", regimen::parse, &s.path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn regimen_file_random_text() {
    let c = regimens();
    fuzz(
        "regimen_file_random_text",
        random_text(c.vocabulary),
        |text, out| {
            check_text("regimen", regimen::parse, &c.random_path, &text, out)?;
            Ok(())
        },
    );
}

#[test]
fn regimen_file_random_bytes() {
    let c = regimens();
    fuzz(
        "regimen_file_random_bytes",
        bytes_from(c.bytes),
        |bytes, out| check_bytes("regimen", regimen::load, &c.random_path, &bytes.0, out),
    );
}

// ------------------------------------------------------------------------------ regressions
//
// Bugs found by the properties above, minimised, and fixed: their regression tests.

/// A file whose second line holds a byte that is not UTF-8.
const INVALID_UTF8: &[u8] = b"name = \"x\"\ndescription = \"\xff\"\n";

#[test]
fn model_file_load_names_the_line_of_invalid_utf8() {
    let path = temp_file("model.toml", INVALID_UTF8);
    let err = model::file::load(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
}

#[test]
fn regimen_file_load_names_the_line_of_invalid_utf8() {
    let path = temp_file("regimen.toml", INVALID_UTF8);
    let err = regimen::load(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
}
