//! End-to-end tests of the `cartkin` binary: what it writes for good input, and that bad input
//! is refused with exit code 1 (2 for usage errors), a message on stderr naming the offending
//! thing and what was expected, no panic, and no output files.

mod common;

use std::path::{Path, PathBuf};

use cartkin_core::model::{Model, resolve};
use serde_json::Value;
use tempfile::TempDir;

use common::{Run, assert_refused, cartkin, entries_in, files_in, json, num};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");
const BUNDLED: [&str; 4] = [
    "cart_all",
    "fludarabine_langenhorst_2019",
    "leon_triana_2021",
    "stein_2019",
];

/// `cartkin simulate --out OUT ARGS...`
fn simulate(out: &Path, args: &[&str]) -> Run {
    let mut all = vec!["simulate", "--out", out.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    cartkin(&all)
}

/// A fresh temporary directory and a not-yet-existing `out` path inside it.
fn fresh() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    (tmp, out)
}

/// Runs a successful simulation into a fresh directory; returns the directory.
fn simulate_ok(args: &[&str]) -> (TempDir, PathBuf) {
    let (tmp, out) = fresh();
    simulate(&out, args).assert_ok();
    (tmp, out)
}

fn outcomes(out: &Path) -> Value {
    json(&out.join("outcomes.json"))
}

/// `cartkin simulate --out FRESH ARGS...` must fail with exit code 1, name every `parts` on
/// stderr, and leave no output directory behind.
fn assert_bad_input(args: &[&str], parts: &[&str]) {
    let (_tmp, out) = fresh();
    let run = simulate(&out, args);
    assert_refused(&run, 1, parts);
    assert!(
        run.stderr.starts_with("error: "),
        "message should start with `error: `:\n{}",
        run.stderr
    );
    assert!(
        !out.exists(),
        "output directory created for bad input {args:?}: {:?}",
        entries_in(&out)
    );
}

/// 1-based line of `needle` in the file at `path`.
fn line_in(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("readable file");
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {}", path.display()));
    text[..offset].matches('\n').count() + 1
}

fn model_path(name: &str) -> PathBuf {
    Path::new(MODELS).join(format!("{name}.toml"))
}

/// A model file in `dir` made from a bundled one by replacing `from` by `to`.
fn write_model(dir: &Path, file: &str, base: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(model_path(base)).expect("bundled model");
    assert!(text.contains(from), "`{from}` not in {base}");
    let path = dir.join(file);
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write model");
    path
}

const SPLIT_REGIMEN: &str = r#"# ELIANA lymphodepletion, CAR-T split in two halves a week apart
name = "half_and_half"
description = "Flu/Cy as eliana; 50% of the CAR-T dose on day 0 and 50% on day 7"

[[drug]]
drug = "fludarabine"
dose_mg_per_m2 = 30.0
days = [-5.0, -4.0, -3.0, -2.0]
infusion_hours = 1.0

[[drug]]
drug = "cyclophosphamide"
dose_mg_per_m2 = 500.0
days = [-5.0, -4.0]
infusion_hours = 1.0

[[car_t]]
day = 0.0
fraction = 0.5

[[car_t]]
day = 7.0
fraction = 0.5
"#;

// =============================================================================================
// cartkin models

#[test]
fn models_lists_the_four_bundled_models() {
    let run = cartkin(&["models"]);
    run.assert_ok();
    for name in BUNDLED {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(name)),
            "{name} not listed:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("invalid"), "{}", run.stdout);
}

#[test]
fn models_show_prints_states_and_parameters_with_units_and_sources() {
    let run = cartkin(&["models", "show", "cart_all"]);
    run.assert_ok();
    let out = &run.stdout;
    for heading in [
        "STATES",
        "PARAMETERS",
        "OBSERVABLES",
        "DOSING ROUTES",
        "REFERENCES",
    ] {
        assert!(out.contains(heading), "no {heading} in:\n{out}");
    }
    let model = Model::load(&resolve("cart_all").expect("bundled")).expect("valid");
    let spec = model.spec();
    for s in &spec.states {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{} ", s.name)) && l.contains(&s.unit)),
            "state {} with unit {} not shown",
            s.name,
            s.unit
        );
    }
    for p in &spec.parameters {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", p.name)))
            .unwrap_or_else(|| panic!("parameter {} not shown", p.name));
        assert!(line.contains(&p.unit), "unit of {} missing: {line}", p.name);
        assert!(
            line.contains(&p.source),
            "source of {} missing: {line}",
            p.name
        );
    }
}

#[test]
fn models_show_accepts_a_path() {
    let path = model_path("stein_2019");
    let run = cartkin(&["models", "show", path.to_str().unwrap()]);
    run.assert_ok();
    assert!(run.stdout.starts_with("stein_2019"), "{}", run.stdout);
    assert!(run.stdout.contains("DOSING ROUTES: none"), "{}", run.stdout);
}

#[test]
fn models_show_unknown_model_lists_the_bundled_ones() {
    let run = cartkin(&["models", "show", "no_such_model"]);
    assert_refused(&run, 1, &["no_such_model", "cart_all", "stein_2019"]);
}

#[test]
fn models_show_malformed_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(
        tmp.path(),
        "bad_model.toml",
        "stein_2019",
        "value = 0.16",
        "value = 99.0",
    );
    let line = line_in(&path, "value = 99.0");
    let run = cartkin(&["models", "show", path.to_str().unwrap()]);
    assert_refused(
        &run,
        1,
        &[
            &format!("bad_model.toml:{line}"),
            "alpha",
            "[0.0001, 10]",
            "99",
        ],
    );
}

// =============================================================================================
// cartkin simulate: good input

#[test]
fn simulate_defaults_write_csv_json_and_png() {
    let (_tmp, out) = simulate_ok(&[]);
    let files = files_in(&out);
    for f in ["trajectory.csv", "outcomes.json", "trajectory.png"] {
        assert!(files.contains(&f.to_string()), "{f} missing: {files:?}");
    }
    // nothing but finished outputs (no leftover temporary files)
    for f in &files {
        assert!(
            f.ends_with(".csv") || f.ends_with(".json") || f.ends_with(".png"),
            "unexpected file {f}"
        );
    }

    // trajectory.csv: time, then states and observables in model order
    let csv = std::fs::read_to_string(out.join("trajectory.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().expect("a header");
    assert!(
        header.starts_with(
            "time,E,M,Lp,Ln,B,N,IL6,F1,F2,F3,Cy,AUCF,X,P,H_neg,car_t,transgene,blast_fraction,"
        ),
        "{header}"
    );
    let model = Model::load(&resolve("cart_all").unwrap()).unwrap();
    let expected: Vec<&str> = std::iter::once("time")
        .chain(model.spec().column_names())
        .collect();
    assert_eq!(header.split(',').collect::<Vec<_>>(), expected);
    let rows: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().expect("a number"))
                .collect()
        })
        .collect();
    assert!(rows.len() > 100, "only {} rows", rows.len());
    for row in &rows {
        assert_eq!(row.len(), expected.len());
        assert!(row.iter().all(|v| v.is_finite()), "{row:?}");
    }
    assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]), "time increases");
    let json = outcomes(&out);
    let days = num(&json, "/days");
    assert!(
        (rows.last().unwrap()[0] - days).abs() < 1e-9,
        "ends at day {days}"
    );

    // outcomes.json
    assert_eq!(
        json["model"], "cart_all_eliana",
        "the calibrated flagship by default"
    );
    assert_eq!(json["regimen"]["name"], "eliana");
    // Stein 2019's typical Tmax 9.3 d, 90% range ≈ 3–25 d
    let tmax = num(&json, "/outcomes/car_t/tmax_day");
    assert!((5.0..=14.0).contains(&tmax), "tmax {tmax}");

    // trajectory.png is a PNG
    let png = std::fs::read(out.join("trajectory.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}

#[test]
fn format_svg_writes_svg_only() {
    let (_tmp, out) = simulate_ok(&["--days", "60", "--format", "svg"]);
    let files = files_in(&out);
    assert_eq!(
        files,
        ["outcomes.json", "trajectory.csv", "trajectory.svg"],
        "{files:?}"
    );
    let svg = std::fs::read_to_string(out.join("trajectory.svg")).unwrap();
    assert!(svg.contains("<svg"), "not an SVG");
}

#[test]
fn format_both_writes_png_and_svg() {
    let (_tmp, out) = simulate_ok(&["--days", "60", "--format", "both"]);
    let files = files_in(&out);
    assert_eq!(
        files,
        [
            "outcomes.json",
            "trajectory.csv",
            "trajectory.png",
            "trajectory.svg"
        ],
        "{files:?}"
    );
}

#[test]
fn each_bundled_model_runs() {
    for (model, header) in [
        ("stein_2019", "time,E,M,transgene"),
        ("fludarabine_langenhorst_2019", "time,"),
        ("leon_triana_2021", "time,"),
    ] {
        let (_tmp, out) = simulate_ok(&["--model", model, "--days", "60"]);
        let json = outcomes(&out);
        assert_eq!(json["model"], model);
        let csv = std::fs::read_to_string(out.join("trajectory.csv")).unwrap();
        let first = csv.lines().next().unwrap();
        assert!(first.starts_with(header), "{model}: {first}");
        let spec = Model::load(&resolve(model).unwrap()).unwrap();
        assert_eq!(
            first.split(',').skip(1).collect::<Vec<_>>(),
            spec.spec().column_names(),
            "{model}"
        );
    }
}

#[test]
fn a_model_given_by_path_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("my_copy.toml");
    std::fs::copy(model_path("stein_2019"), &copy).unwrap();
    let out = tmp.path().join("out");
    simulate(&out, &["--model", copy.to_str().unwrap(), "--days", "60"]).assert_ok();
    let json = outcomes(&out);
    assert_eq!(json["model"], "stein_2019");
    let cmax = num(&json, "/outcomes/car_t/cmax");
    assert!((cmax - 24_000.0).abs() < 1.0, "Stein Cmax {cmax}");
}

#[test]
fn dose_changes_the_infused_cells_and_speeds_up_expansion() {
    let (_a, low) = simulate_ok(&["--days", "60", "--dose", "1e7"]);
    let (_b, high) = simulate_ok(&["--days", "60", "--dose", "1e9"]);
    let (low, high) = (outcomes(&low), outcomes(&high));
    assert_eq!(num(&low, "/car_t_dose_cells"), 1e7);
    assert_eq!(num(&high, "/car_t_dose_cells"), 1e9);
    assert!(
        num(&high, "/outcomes/car_t/tmax_day") < num(&low, "/outcomes/car_t/tmax_day"),
        "a larger dose peaks earlier"
    );
    assert!(
        num(&high, "/outcomes/car_t/cmax") > num(&low, "/outcomes/car_t/cmax"),
        "a larger dose peaks higher"
    );
}

#[test]
fn dose_per_kg_is_multiplied_by_the_weight() {
    let (_a, out) = simulate_ok(&["--days", "60", "--dose-per-kg", "1e6", "--weight", "20"]);
    let json = outcomes(&out);
    assert_eq!(num(&json, "/car_t_dose_cells"), 2e7);
    assert_eq!(num(&json, "/patient/weight_kg"), 20.0);
}

#[test]
fn regimens_change_outcomes_in_the_expected_direction() {
    let (_a, eliana) = simulate_ok(&["--days", "60"]);
    let (_b, none) = simulate_ok(&["--days", "60", "--regimen", "none"]);
    let (_c, zuma3) = simulate_ok(&["--days", "60", "--regimen", "zuma3"]);
    let (eliana, none, zuma3) = (outcomes(&eliana), outcomes(&none), outcomes(&zuma3));
    assert_eq!(none["regimen"]["name"], "none");
    assert_eq!(zuma3["regimen"]["name"], "zuma3");
    // no lymphodepletion: no space for expansion, much lower CAR-T peak and no fludarabine
    let cmax = |o: &Value| num(o, "/outcomes/car_t/cmax");
    assert!(
        cmax(&none) < cmax(&eliana) / 100.0,
        "none {} vs eliana {}",
        cmax(&none),
        cmax(&eliana)
    );
    let flu = |o: &Value| o["outcomes"]["fludarabine_auc"].as_f64().unwrap_or(0.0);
    assert!(flu(&none) < 1e-9, "fludarabine AUC without fludarabine");
    // ZUMA-3 gives 75 mg/m² fludarabine against ELIANA's 120
    assert!(flu(&zuma3) > 0.0 && flu(&zuma3) < flu(&eliana));
}

#[test]
fn a_regimen_file_with_a_split_car_t_schedule() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("split.toml");
    std::fs::write(&path, SPLIT_REGIMEN).unwrap();
    let out = tmp.path().join("out");
    simulate(&out, &["--days", "60", "--regimen", path.to_str().unwrap()]).assert_ok();
    let (_a, eliana) = simulate_ok(&["--days", "60"]);
    let (split, eliana) = (outcomes(&out), outcomes(&eliana));
    assert_eq!(split["regimen"]["name"], "half_and_half");
    let car_t_doses: Vec<(f64, String)> = split["outcomes"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "dose" && e["detail"].as_str().unwrap().starts_with("car_t"))
        .map(|e| {
            (
                e["time"].as_f64().unwrap(),
                e["detail"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(car_t_doses.len(), 2, "{car_t_doses:?}");
    assert_eq!(car_t_doses[0].0, 0.0);
    assert_eq!(car_t_doses[1].0, 7.0);
    assert!(
        car_t_doses.iter().all(|(_, d)| d.contains("5.2500e7")),
        "{car_t_doses:?}"
    );
    // half the cells on day 0: the expansion peaks later than with the full dose
    assert!(num(&split, "/outcomes/car_t/tmax_day") > num(&eliana, "/outcomes/car_t/tmax_day"));
}

#[test]
fn a_failed_run_leaves_earlier_results_untouched() {
    let (_tmp, out) = simulate_ok(&["--days", "60"]);
    let before: Vec<(String, Vec<u8>)> = files_in(&out)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(out.join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    let run = simulate(&out, &["--days", "60", "--set", "gamma=1000"]);
    assert_refused(&run, 1, &["gamma"]);
    let after: Vec<(String, Vec<u8>)> = files_in(&out)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(out.join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    assert!(before == after, "outputs changed by a failed run");
}

#[cfg(unix)]
#[test]

fn output_files_have_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, out) = simulate_ok(&["--days", "60"]);
    let reference = out.join("reference");
    std::fs::write(&reference, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for f in ["trajectory.csv", "outcomes.json", "trajectory.png"] {
        assert_eq!(
            mode(&out.join(f)),
            mode(&reference),
            "{f}: mode {:o} vs an ordinary file's {:o}",
            mode(&out.join(f)),
            mode(&reference)
        );
    }
}

// =============================================================================================
// cartkin simulate: bad input

#[test]
fn unknown_model_name() {
    assert_bad_input(
        &["--model", "no_such_model"],
        &["no_such_model", "unknown model", "cart_all", "stein_2019"],
    );
}

#[test]
fn missing_model_file_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing_model.toml");
    assert_bad_input(
        &["--model", missing.to_str().unwrap()],
        &["missing_model.toml"],
    );
}

#[test]
fn set_unknown_parameter() {
    assert_bad_input(
        &["--set", "no_such_param=1"],
        &["no_such_param", "unknown parameter", "rho_E", "gamma"],
    );
}

#[test]
fn set_without_equals() {
    assert_bad_input(&["--set", "gamma"], &["--set gamma", "PARAM=VALUE"]);
}

#[test]
fn set_non_numeric_value() {
    assert_bad_input(
        &["--set", "gamma=fast"],
        &["--set gamma=fast", "number", "`fast`"],
    );
}

#[test]
fn set_out_of_bounds() {
    // the default model, cart_all_eliana, lists gamma (its calibrated value): the error names
    // that line
    let line = line_in(&model_path("cart_all_eliana"), "name = \"gamma\"");
    assert_bad_input(
        &["--set", "gamma=1000"],
        &[
            "--set gamma=1000",
            &format!("cart_all_eliana.toml:{line}"),
            "gamma",
            "[0, 100]",
            "1/day",
            "1000",
        ],
    );
}

#[test]
fn set_nan() {
    for value in ["gamma=NaN", "gamma=nan", "gamma=inf"] {
        assert_bad_input(&["--set", value], &["gamma", "[0, 100]"]);
    }
}

#[test]
fn set_applies_to_the_run() {
    let (_tmp, out) = simulate_ok(&["--days", "60", "--set", "gamma=2.5", "--set", " K_A = 1e7 "]);
    let json = outcomes(&out);
    assert_eq!(num(&json, "/parameters/gamma"), 2.5);
    assert_eq!(num(&json, "/parameters/K_A"), 1e7);
}

#[test]
fn negative_dose() {
    assert_bad_input(&["--dose=-5"], &["dose", "positive", "-5"]);
}

#[test]
fn dose_nan() {
    assert_bad_input(&["--dose", "NaN"], &["dose", "positive", "NaN"]);
}

#[test]
fn dose_per_kg_zero() {
    assert_bad_input(
        &["--dose-per-kg", "0"],
        &["dose-per-kg", "positive", "got 0"],
    );
}

#[test]
fn dose_above_the_maximum() {
    assert_bad_input(&["--dose", "1e13"], &["dose", "1e12"]);
}

#[test]

fn dose_per_kg_times_weight_above_the_maximum() {
    // 1e11 cells/kg x 100 kg = 1e13 cells, while --dose 1e13 is refused
    assert_bad_input(
        &["--days", "60", "--dose-per-kg", "1e11", "--weight", "100"],
        &["dose", "1e12"],
    );
}

#[test]
fn negative_weight() {
    assert_bad_input(
        &["--dose-per-kg", "1e6", "--weight=-3"],
        &["weight", "[1, 400] kg", "-3"],
    );
}

#[test]

fn negative_numbers_given_as_separate_arguments() {
    for (flag, value, expected) in [
        ("--dose", "-5", "positive"),
        ("--weight", "-3", "[1, 400]"),
        ("--step", "-1", "positive"),
        ("--days", "-1", "36500"),
    ] {
        let (_tmp, out) = fresh();
        let run = simulate(&out, &[flag, value]);
        assert_refused(&run, 1, &[flag.trim_start_matches('-'), expected, value]);
        assert!(!out.exists());
    }
}

#[test]
fn unknown_regimen() {
    assert_bad_input(
        &["--regimen", "no_such_regimen"],
        &[
            "no_such_regimen",
            "unknown regimen",
            "eliana",
            "zuma3",
            "none",
        ],
    );
}

#[test]
fn malformed_regimen_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    // a value out of range
    let path = tmp.path().join("bad_regimen.toml");
    let text = SPLIT_REGIMEN.replacen("fraction = 0.5", "fraction = -0.5", 1);
    std::fs::write(&path, &text).unwrap();
    let line = line_in(&path, "fraction = -0.5");
    assert_bad_input(
        &["--regimen", path.to_str().unwrap()],
        &[
            &format!("bad_regimen.toml:{line}"),
            "car_t.fraction",
            "(0, 10]",
            "-0.5",
        ],
    );
    // a TOML syntax error
    let path = tmp.path().join("broken_regimen.toml");
    let text = SPLIT_REGIMEN.replacen("[[car_t]]", "[[car_t]", 1);
    std::fs::write(&path, &text).unwrap();
    let line = line_in(&path, "[[car_t]\n");
    assert_bad_input(
        &["--regimen", path.to_str().unwrap()],
        &[&format!("broken_regimen.toml:{line}"), "`]`"],
    );
    // an unknown drug
    let path = tmp.path().join("drug_regimen.toml");
    let text = SPLIT_REGIMEN.replacen("\"cyclophosphamide\"", "\"busulfan\"", 1);
    std::fs::write(&path, &text).unwrap();
    let line = line_in(&path, "\"busulfan\"");
    assert_bad_input(
        &["--regimen", path.to_str().unwrap()],
        &[
            &format!("drug_regimen.toml:{line}"),
            "drug.drug",
            "fludarabine",
            "busulfan",
        ],
    );
}

#[test]
fn malformed_model_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(
        tmp.path(),
        "bad_model.toml",
        "cart_all",
        "name = \"gamma\"",
        "name = \"gama\"",
    );
    let line = line_in(&path, "name = \"gama\"");
    assert_bad_input(
        &["--model", path.to_str().unwrap()],
        &[
            &format!("bad_model.toml:{line}"),
            "unknown parameter",
            "gama",
            "gamma",
        ],
    );
}

#[test]

fn unknown_default_regimen_in_a_model_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(
        tmp.path(),
        "bad_default.toml",
        "stein_2019",
        "regimen = \"none\"",
        "regimen = \"no_such_regimen\"",
    );
    let line = line_in(&path, "regimen = \"no_such_regimen\"");
    assert_bad_input(
        &["--model", path.to_str().unwrap()],
        &[
            &format!("bad_default.toml:{line}"),
            "regimen",
            "no_such_regimen",
        ],
    );
}

#[test]
fn zero_days() {
    assert_bad_input(&["--days", "0"], &["days", "(0, 36500]", "got 0"]);
}

#[test]
fn days_nan() {
    assert_bad_input(&["--days", "NaN"], &["days", "NaN"]);
}

#[test]
fn negative_step() {
    assert_bad_input(
        &["--days", "60", "--step=-1"],
        &["--step", "positive", "-1"],
    );
}

#[test]
fn zero_step() {
    assert_bad_input(
        &["--days", "60", "--step", "0"],
        &["--step", "positive", "got 0"],
    );
}

#[test]

fn absurdly_small_step() {
    assert_bad_input(&["--days", "60", "--step", "1e-300"], &["--step"]);
}

#[test]
fn rtol_too_large() {
    assert_bad_input(&["--rtol", "2"], &["rtol", "[1e-14, 0.1]", "got 2"]);
}

#[test]
fn atol_zero() {
    assert_bad_input(&["--atol", "0"], &["atol", "[1e-16, 1]", "got 0"]);
}

#[test]
fn dose_for_a_model_without_a_car_t_route() {
    assert_bad_input(
        &["--model", "stein_2019", "--dose", "1e8"],
        &["stein_2019", "no CAR-T dosing route", "--dose"],
    );
    assert_bad_input(
        &["--model", "stein_2019", "--dose-per-kg", "1e6"],
        &["stein_2019", "no CAR-T dosing route", "--dose-per-kg"],
    );
}

#[test]
fn patient_covariates_out_of_range() {
    assert_bad_input(&["--height", "5"], &["height", "[30, 250] cm", "5"]);
    assert_bad_input(&["--bsa", "9"], &["bsa", "[0.1, 4]", "9"]);
    assert_bad_input(&["--egfr", "0"], &["egfr", "[1, 400]", "got 0"]);
    assert_bad_input(&["--age", "200"], &["age", "[0, 120]", "200"]);
}

#[test]
fn out_path_that_cannot_be_created() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    std::fs::write(&file, b"a regular file").unwrap();
    let out = file.join("sub");
    let run = simulate(&out, &["--days", "60"]);
    assert_refused(&run, 1, &["f/sub", "cannot create"]);
    assert_eq!(std::fs::read(&file).unwrap(), b"a regular file");
    assert_eq!(entries_in(tmp.path()), ["f"], "nothing else written");
}

// =============================================================================================
// usage errors (clap): exit code 2

#[test]
fn unknown_subcommand_exits_2() {
    let run = cartkin(&["frobnicate"]);
    assert_refused(&run, 2, &["frobnicate"]);
}

#[test]
fn unknown_flag_exits_2() {
    let (_tmp, out) = fresh();
    let run = simulate(&out, &["--frobnicate"]);
    assert_refused(&run, 2, &["--frobnicate"]);
    assert!(!out.exists());
}

#[test]
fn unparsable_number_exits_2_naming_the_flag() {
    let (_tmp, out) = fresh();
    let run = simulate(&out, &["--dose", "lots"]);
    assert_refused(&run, 2, &["--dose", "lots"]);
    assert!(!out.exists());
}

#[test]
fn unknown_format_exits_2() {
    let (_tmp, out) = fresh();
    let run = simulate(&out, &["--format", "gif"]);
    assert_refused(&run, 2, &["gif", "png", "svg", "both"]);
    assert!(!out.exists());
}

#[test]
fn dose_and_dose_per_kg_conflict_exits_2() {
    let (_tmp, out) = fresh();
    let run = simulate(&out, &["--dose", "1e8", "--dose-per-kg", "1e6"]);
    assert_refused(&run, 2, &["--dose", "--dose-per-kg"]);
    assert!(!out.exists());
}

#[test]
fn missing_subcommand_exits_2() {
    let run = cartkin(&[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("Usage"), "{}", run.stderr);
}

#[test]
fn simulate_doses_fludarabine_to_the_target_auc_of_the_regimen() {
    // a toddler with impaired renal function: 30 mg/m² x4 would give ≈ 31 mg·h/L
    let (_tmp, out) = simulate_ok(&[
        "--model",
        "fludarabine_langenhorst_2019",
        "--regimen",
        "eliana_flu_auc20",
        "--weight",
        "15",
        "--height",
        "95",
        "--egfr",
        "60",
        "--days",
        "30",
    ]);
    let o = outcomes(&out);
    // default rtol 1e-6: the AUC integral is good to ~1e-6 relative; 1e-4 leaves margin
    let auc = num(&o, "/outcomes/fludarabine_auc");
    assert!((auc / 20.0 - 1.0).abs() < 1e-4, "AUC {auc}");
    assert_eq!(num(&o, "/regimen/drugs/0/target_auc_mg_h_per_l"), 20.0);
    // the concrete doses are recorded: four equal fludarabine infusions
    let doses = o["doses"].as_array().expect("doses listed");
    let flu: Vec<f64> = doses
        .iter()
        .filter(|d| d["route"] == "fludarabine")
        .map(|d| d["amount"].as_f64().expect("amount"))
        .collect();
    assert_eq!(flu.len(), 4);
    // a model without fludarabine PK says that it left the course out
    let (_tmp, out) = fresh();
    let run = simulate(
        &out,
        &["--model", "stein_2019", "--regimen", "eliana_flu_auc20"],
    );
    run.assert_ok();
    assert!(
        run.stderr.contains("no fludarabine PK") && run.stderr.contains("target AUC"),
        "{}",
        run.stderr
    );
}
