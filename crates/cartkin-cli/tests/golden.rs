//! Golden outputs: what the shipped commands write, byte for byte. A refactor must leave them
//! identical; a change of behaviour regenerates them on purpose and shows in review:
//!
//! ```sh
//! CARTKIN_BLESS=1 cargo test -p cartkin-cli --test golden    # rewrite tests/golden/
//! ```
//!
//! Covered: `simulate`'s `outcomes.json` (the README's main command), a population's
//! `patients.csv` and `summary.json`, and every shipped scenario's `arms.csv` (40 patients per
//! arm, to keep the suite fast; the same code paths as the full runs).

mod common;

use std::path::{Path, PathBuf};

use common::cartkin;
use tempfile::TempDir;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compares `produced` with the golden file `name` (or writes it when blessing).
fn check(produced: &Path, name: &str) {
    let golden = golden_dir().join(name);
    let bytes = std::fs::read(produced).unwrap_or_else(|e| panic!("{}: {e}", produced.display()));
    if std::env::var_os("CARTKIN_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&golden, &bytes).expect("write golden");
        return;
    }
    let expected = std::fs::read(&golden).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with CARTKIN_BLESS=1 to create it)",
            golden.display()
        )
    });
    if bytes != expected {
        let (a, b) = (
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&bytes),
        );
        let line = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(a.lines().count().min(b.lines().count()));
        panic!(
            "{name} differs from its golden file at line {}:\n  golden:   {}\n  produced: {}\n(CARTKIN_BLESS=1 rewrites the golden files if the change is intended)",
            line + 1,
            a.lines().nth(line).unwrap_or("<end>"),
            b.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn simulate_outcomes_are_unchanged() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    cartkin(&["simulate", "--out", out.to_str().expect("utf-8")]).assert_ok();
    check(&out.join("outcomes.json"), "simulate/outcomes.json");
}

#[test]
fn population_tables_are_unchanged() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--targets",
        "eliana",
        "--n",
        "200",
        "--seed",
        "7",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .assert_ok();
    check(&out.join("patients.csv"), "population/patients.csv");
    check(&out.join("summary.json"), "population/summary.json");
}

#[test]
fn shipped_scenarios_are_unchanged() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = root().join("scripts/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("scripts/scenarios")
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".toml")
                .map(String::from)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let out = tmp.path().join(&name);
        let file = dir.join(format!("{name}.toml"));
        cartkin(&[
            "scenario",
            file.to_str().expect("utf-8"),
            "--n",
            "40",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .assert_ok();
        check(&out.join("arms.csv"), &format!("scenarios/{name}.csv"));
    }
}
