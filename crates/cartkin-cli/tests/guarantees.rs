//! The guarantees of issue #11, end to end: every accepted input does what it says, every
//! refused one is refused before anything is computed or written, and a result set is written
//! whole or not at all. One test per behaviour, named after it.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Run, assert_refused, cartkin, entries_in, files_in, json, num};
use tempfile::TempDir;

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// The `[population]` table of the ELIANA-calibrated model (cart_all's, which it extends), as
/// a file of its own.
fn eliana_population() -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/cart_all.toml"),
    )
    .expect("model file");
    let at = text.find("[population]").expect("a [population] table");
    text[at..].to_string()
}

/// `patients.csv` as rows of (header → cell).
fn patients(dir: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("patients.csv")).expect("patients.csv");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn column(rows: &[std::collections::BTreeMap<String, String>], name: &str) -> Vec<f64> {
    rows.iter()
        .map(|r| r[name].parse::<f64>().expect("a number"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// populations

#[test]
fn covariate_draws_follow_their_truncated_distribution_not_the_typical_patient() {
    let tmp = TempDir::new().expect("temp dir");
    let pop = eliana_population().replace(
        "age_years = { distribution = \"uniform\", lower = 3.0, upper = 24.0 }",
        "age_years = { distribution = \"normal\", mean = 5.0, sd = 5.0 }",
    );
    let file = write(tmp.path(), "pop.toml", &pop);
    let out = tmp.path().join("out");
    cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--population",
        p(&file),
        "--n",
        "300",
        "--days",
        "120",
        "--out",
        p(&out),
    ])
    .assert_ok();
    let rows = patients(&out);
    let ages = column(&rows, "age_years");
    // normal(5, 5) truncated to the valid ages [0, 120]: none below 0, none replaced by the
    // typical 11 years (the old fallback), and the mean of the truncated normal,
    // 5 + 5·φ(1)/Φ(1) = 6.438 (SE of 300 draws ≈ 0.22; bound 4 SE)
    assert!(ages.iter().all(|a| *a >= 0.0 && *a <= 120.0));
    let typical = rows
        .iter()
        .filter(|r| r["age_years"] == "11.00" && r["weight_kg"] == "35.000")
        .count();
    assert_eq!(typical, 0, "no patient falls back to the typical patient");
    let mean = ages.iter().sum::<f64>() / ages.len() as f64;
    assert!((mean - 6.438).abs() < 0.9, "mean age {mean}");
    let summary = json(&out.join("summary.json"));
    let truncation = summary["truncation"].as_array().expect("truncation");
    let age = truncation
        .iter()
        .find(|t| t["draw"] == "covariate age_years")
        .expect("age truncation reported");
    // Φ(−1) = 0.1587 of normal(5, 5) lies below 0
    assert!((num(age, "/share_outside_bounds") - 0.1587).abs() < 1e-3);
}

#[test]
fn covariate_bounds_outside_the_valid_range_or_empty_intervals_are_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let weight = "weight_kg = { distribution = \"lognormal\", median = 39.0, cv = 0.55, lower = 14.0, upper = 140.0 }";
    for (replacement, parts) in [
        (
            "weight_kg = { distribution = \"lognormal\", median = 39.0, cv = 0.55, lower = 500.0, upper = 600.0 }",
            &["population.covariates.weight_kg", "valid range", "500"][..],
        ),
        (
            "weight_kg = { distribution = \"lognormal\", median = 30.0, cv = 0.01, lower = 100.0, upper = 110.0 }",
            &["weight_kg", "empty truncation interval"][..],
        ),
        (
            "weight_kg = { distribution = \"uniform\", lower = 50.0, upper = 40.0 }",
            &["weight_kg", "lower < upper"][..],
        ),
        (
            "weight_kg = { distribution = \"normal\", mean = 30.0, sd = 5.0, median = 3.0 }",
            &["weight_kg", "median does not apply"][..],
        ),
    ] {
        let file = write(
            tmp.path(),
            "pop.toml",
            &eliana_population().replace(weight, replacement),
        );
        let out = tmp.path().join("out");
        let run = cartkin(&[
            "population",
            "--model",
            "cart_all_eliana",
            "--population",
            p(&file),
            "--n",
            "5",
            "--out",
            p(&out),
        ]);
        assert_refused(&run, 1, parts);
        assert!(run.stderr.contains("pop.toml:"), "{}", run.stderr);
        assert!(!out.exists());
    }
}

#[test]
fn parameter_draws_come_from_the_truncated_distribution_without_point_masses_at_bounds() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    // the calibrated model with gamma's typical value near its bound, so that a good share of
    // its log-normal lies beyond (the calibration's own value may sit far from it)
    let eliana = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/cart_all_eliana.toml");
    let near = tmp.path().join("near.toml");
    std::fs::write(
        &near,
        format!(
            "[model]\nname = \"near\"\nextends = {:?}\n\n[[parameters]]\nname = \"gamma\"\nvalue = 80.0\nvariability = {{ distribution = \"lognormal\", omega2 = 0.25 }}\nsource = \"test\"\n",
            eliana.display().to_string()
        ),
    )
    .expect("write");
    cartkin(&[
        "population",
        "--model",
        near.to_str().expect("utf-8"),
        "--n",
        "600",
        "--days",
        "100",
        "--out",
        p(&out),
    ])
    .assert_ok();
    let rows = patients(&out);
    // gamma's bound is 100 /day (typical 80, ω 0.5: 33% of the log-normal beyond) and rho_E's
    // 2.77 /day (a 6-h doubling); clamping would put those patients exactly on the bound
    for (name, bound) in [("gamma", 100.0), ("rho_E", 2.77)] {
        let values = column(&rows, name);
        assert!(values.iter().all(|v| *v < bound), "{name} at its bound");
        assert!(values.iter().all(|v| *v > 0.0));
    }
    let summary = json(&out.join("summary.json"));
    let gamma = summary["truncation"]
        .as_array()
        .expect("truncation")
        .iter()
        .find(|t| t["draw"] == "parameter gamma")
        .cloned()
        .expect("gamma truncation reported");
    assert!(num(&gamma, "/share_outside_bounds") > 0.1);
}

#[test]
fn a_population_file_must_hold_a_population_table_and_no_unknown_table() {
    let tmp = TempDir::new().expect("temp dir");
    let regimen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/regimens/eliana.toml");
    for (text, parts) in [
        ("", &["empty.toml:1", "expected a [population] table"][..]),
        (
            "[populaton]\nn = 3\n",
            &["empty.toml:1", "unknown field `populaton`"][..],
        ),
        (
            &*eliana_population().replace("dropout_per_year", "dropout_per_yr"),
            &["empty.toml:", "unknown field `dropout_per_yr`"][..],
        ),
    ] {
        let file = write(tmp.path(), "empty.toml", text);
        let out = tmp.path().join("out");
        let run = cartkin(&[
            "population",
            "--model",
            "cart_all_eliana",
            "--population",
            p(&file),
            "--out",
            p(&out),
        ]);
        assert_refused(&run, 1, parts);
        assert!(!out.exists());
    }
    let run = cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--population",
        p(&regimen),
        "--out",
        p(&tmp.path().join("out")),
    ]);
    assert_refused(&run, 1, &["eliana.toml:", "unknown field"]);
}

#[test]
fn endpoints_beyond_the_follow_up_are_refused_and_remission_needs_month_3() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    for (args, parts) in [
        (
            &["--months", "6,12,120,1000"][..],
            &["--months", "120 months"][..],
        ),
        (&["--months", "0"][..], &["--months", "positive"][..]),
        (
            &["--days", "300", "--months", "12"][..],
            &["--months", "within the follow-up"][..],
        ),
    ] {
        let mut all = vec![
            "population",
            "--model",
            "cart_all_eliana",
            "--n",
            "5",
            "--out",
            p(&out),
        ];
        all.extend_from_slice(args);
        assert_refused(&cartkin(&all), 1, parts);
        assert!(!out.exists(), "nothing written for {args:?}");
    }
    // 30 days: remission (assessed at month 3) is not applicable, and no RFS is reported
    let run = cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--n",
        "20",
        "--days",
        "30",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("not applicable"), "{}", run.stdout);
    let summary = json(&out.join("summary.json"));
    assert!(summary["orr"].is_null() && summary["mrd_negative_rate"].is_null());
    assert_eq!(summary["rfs_km"].as_array().map(Vec::len), Some(0));
    assert!(!files_in(&out).contains(&"rfs_km.png".to_string()));
    // calibration refuses targets the follow-up cannot measure
    let pop = eliana_population().replace("follow_up_days = 1825.0", "follow_up_days = 300.0");
    let file = write(tmp.path(), "pop.toml", &pop);
    let run = cartkin(&[
        "calibrate",
        "--model",
        "cart_all_eliana",
        "--population",
        p(&file),
        "--targets",
        "eliana",
        "--n",
        "20",
        "--free",
        "gamma:typical:1:60",
        "--out",
        p(&out.join("cal")),
    ]);
    assert_refused(&run, 1, &["--targets", "months"]);
}

#[test]
fn a_model_without_a_response_reports_remission_as_not_applicable() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "population",
        "--model",
        "stein_2019",
        "--n",
        "20",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("not applicable"), "{}", run.stdout);
    assert!(!run.stdout.contains("ORR 0"), "{}", run.stdout);
    let summary = json(&out.join("summary.json"));
    assert!(summary["orr"].is_null(), "{:#}", summary["orr"]);
    assert_eq!(summary["response_assessed"], false);
    assert!(summary["efs_km"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn population_sizes_beyond_memory_are_refused_before_the_run() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--n",
        "1000000000000",
        "--out",
        p(&out),
    ]);
    assert_refused(&run, 1, &["--n 1000000000000", "memory"]);
    assert_eq!(run.code, Some(1), "an error, not an abort");
    assert!(!out.exists());
}

// ---------------------------------------------------------------------------------------------
// data and fits

#[test]
fn an_infusion_on_a_bolus_route_is_refused_naming_the_row() {
    let tmp = TempDir::new().expect("temp dir");
    for column in ["RATE", "DUR"] {
        let value = if column == "RATE" { "1e7" } else { "10" };
        let data = write(
            tmp.path(),
            "d.csv",
            &format!(
                "ID,TIME,EVID,AMT,CMT,{column},DV\n1,0,1,1e8,1,{value},.\n1,1,0,.,1,.,1e8\n1,7,0,.,1,.,1e9\n1,14,0,.,1,.,1e9\n1,28,0,.,1,.,1e8\n"
            ),
        );
        for model in ["cart_all", "leon_triana_2021"] {
            let out = tmp.path().join("out");
            let run = cartkin(&[
                "fit",
                "--model",
                model,
                "--data",
                p(&data),
                "--observe",
                "1=car_t",
                "--estimate",
                "rho_C",
                "--out",
                p(&out),
            ]);
            // cart_all has no rho_C: only the row check matters, and it comes first
            if model == "cart_all" {
                assert_eq!(run.code, Some(1));
                continue;
            }
            assert_refused(&run, 1, &["d.csv:2", "RATE/DUR", "car_t", "boluses only"]);
            assert!(!out.exists());
        }
    }
}

#[test]
fn a_dur_column_is_an_infusion_duration_not_a_covariate() {
    let tmp = TempDir::new().expect("temp dir");
    // fludarabine (CMT 2 of cart_all's routes) over DUR days: accepted as an infusion
    let data = write(
        tmp.path(),
        "d.csv",
        "ID,TIME,EVID,AMT,CMT,DUR,DV\n1,-5,1,36,2,0.0416667,.\n1,0,1,1e8,1,.,.\n1,7,0,.,1,.,1e10\n1,14,0,.,1,.,1e11\n1,28,0,.,1,.,1e10\n1,60,0,.,1,.,1e9\n",
    );
    let out = tmp.path().join("out");
    cartkin(&[
        "fit",
        "--model",
        "cart_all",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "rho_E",
        "--fix-error",
        "--out",
        p(&out),
    ])
    .assert_ok();
    // and a bolus on fludarabine's infusion route is refused, naming the row
    let bolus = write(
        tmp.path(),
        "b.csv",
        "ID,TIME,EVID,AMT,CMT,DV\n1,-5,1,36,2,.\n1,0,1,1e8,1,.\n1,7,0,.,1,1e10\n1,14,0,.,1,1e11\n",
    );
    let run = cartkin(&[
        "fit",
        "--model",
        "cart_all",
        "--data",
        p(&bolus),
        "--pooled",
        "--estimate",
        "rho_E",
        "--out",
        p(&tmp.path().join("out2")),
    ]);
    assert_refused(&run, 1, &["b.csv:2", "infusions only"]);
}

/// A Stein dataset: subject 1 entirely below the limit, subjects 2–3 well measured.
const BLQ_DATA: &str = "ID,TIME,EVID,AMT,CMT,DV,MDV,BLQ,LLOQ
1,1,0,.,1,.,0,1,50
1,7,0,.,1,.,0,1,50
1,14,0,.,1,.,0,1,50
1,28,0,.,1,.,0,1,50
1,90,0,.,1,.,0,1,50
2,1,0,.,1,300,0,0,50
2,4,0,.,1,2500,0,0,50
2,9,0,.,1,21000,0,0,50
2,14,0,.,1,11000,0,0,50
2,28,0,.,1,1500,0,0,50
2,90,0,.,1,320,0,0,50
3,1,0,.,1,150,0,0,50
3,4,0,.,1,1300,0,0,50
3,10,0,.,1,30000,0,0,50
3,21,0,.,1,6000,0,0,50
3,28,0,.,1,2500,0,0,50
3,90,0,.,1,400,0,0,50
";

#[test]
fn an_unidentifiable_subject_is_listed_with_its_reason_and_left_out_of_the_summary() {
    let tmp = TempDir::new().expect("temp dir");
    let data = write(tmp.path(), "blq.csv", BLQ_DATA);
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "fit",
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--estimate",
        "Cmax,Tmax",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("excluded: subject 1"), "{}", run.stdout);
    let fit = json(&out.join("fit.json"));
    let excluded = fit["excluded"].as_array().expect("excluded");
    assert!(
        excluded.iter().any(|e| e["id"] == "1"
            && e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("below the limit"))),
        "{excluded:?}"
    );
    let ids: Vec<&str> = fit["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, ["2", "3"], "subject 1 is not fitted");
    // the summary comes from the two identifiable subjects, with a finite CV
    assert_eq!(num(&fit, "/parameters/Cmax/n"), 2.0);
    assert!(num(&fit, "/parameters/Cmax/between_subject_cv_percent") < 1e4);
}

#[test]
fn a_single_subject_fit_reports_its_own_estimates_and_confidence_intervals() {
    let tmp = TempDir::new().expect("temp dir");
    let one: String = BLQ_DATA
        .lines()
        .filter(|l| l.starts_with("ID") || l.starts_with("2,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let data = write(tmp.path(), "one.csv", &one);
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "fit",
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--estimate",
        "Cmax,Tmax",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(!run.stdout.contains("NaN"), "{}", run.stdout);
    assert!(run.stdout.contains("one subject"), "{}", run.stdout);
    let fit = json(&out.join("fit.json"));
    let own = num(&fit, "/subjects/0/parameters/Cmax/estimate");
    assert_eq!(num(&fit, "/parameters/Cmax/estimate"), own);
    assert_eq!(
        num(&fit, "/parameters/Cmax/ci95/0"),
        num(&fit, "/subjects/0/parameters/Cmax/ci95/0")
    );
    assert!(fit["parameters"]["Cmax"]["between_subject_cv_percent"].is_null());
}

#[test]
fn a_fit_into_an_unwritable_out_fails_before_fitting() {
    let tmp = TempDir::new().expect("temp dir");
    let data = write(tmp.path(), "blq.csv", BLQ_DATA);
    let file = write(tmp.path(), "f", "a regular file");
    let started = std::time::Instant::now();
    let run = cartkin(&[
        "fit",
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--out",
        p(&file.join("out")),
    ]);
    assert_refused(&run, 1, &["--out", "cannot create"]);
    assert!(!run.stderr.contains("fitting"));
    // a fit of this dataset takes seconds; the refusal comes before it
    assert!(
        started.elapsed().as_secs_f64() < 2.0,
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// calibration and scenarios

#[test]
fn a_hyperparameter_freed_twice_is_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "calibrate",
        "--model",
        "cart_all_eliana",
        "--targets",
        "eliana",
        "--n",
        "20",
        "--free",
        "gamma:typical:1:60",
        "--free",
        "gamma:typical:2:50",
        "--out",
        p(&out),
    ]);
    assert_refused(&run, 1, &["--free", "gamma:typical", "twice"]);
    assert!(!out.exists());
}

#[test]
fn a_slice_of_one_point_is_refused() {
    // one point cannot show a rise: `--slices` is 0 (none) or at least 2
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "calibrate",
        "--model",
        "cart_all_eliana",
        "--targets",
        "eliana",
        "--n",
        "20",
        "--free",
        "gamma:typical:1:60",
        "--slices",
        "1",
        "--out",
        p(&out),
    ]);
    assert_refused(&run, 1, &["--slices", "got 1"]);
    assert!(!out.exists());
}

// ---------------------------------------------------------------------------------------------
// simulate

#[test]
fn huge_trajectory_tables_are_refused_with_the_step_that_fits() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "simulate",
        "--days",
        "36500",
        "--step",
        "0.0074",
        "--out",
        p(&out),
    ]);
    assert_refused(&run, 1, &["--step", "rows", "choose --step"]);
    assert!(!out.exists());
}

#[test]
fn a_run_beyond_the_model_plausibility_ceilings_is_warned_about() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    // IL-6 production 10^5 times the typical value drives IL-6 far above 1e6 pg/mL
    let run = cartkin(&[
        "simulate",
        "--model",
        "cart_all",
        "--set",
        "p_IL6=9e5",
        "--days",
        "60",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(run.stderr.contains("IL6 reached"), "{}", run.stderr);
    let doc = json(&out.join("outcomes.json"));
    let implausible = doc["outcomes"]["implausible"]
        .as_array()
        .expect("implausible");
    assert!(
        implausible.iter().any(|w| w["column"] == "IL6"),
        "{implausible:?}"
    );
    assert!(doc["notes"].as_array().is_some_and(|n| !n.is_empty()));
}

#[test]
fn a_car_t_infusion_outside_the_follow_up_is_noted() {
    let tmp = TempDir::new().expect("temp dir");
    let regimen = write(
        tmp.path(),
        "late.toml",
        "name = \"late\"\n[[car_t]]\nday = 200.0\nfraction = 1.0\n",
    );
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "simulate",
        "--regimen",
        p(&regimen),
        "--days",
        "100",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(run.stderr.contains("day 200"), "{}", run.stderr);
    let none = write(tmp.path(), "none.toml", "name = \"no car-t\"\n");
    let run = cartkin(&[
        "simulate",
        "--regimen",
        p(&none),
        "--days",
        "60",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(
        run.stderr.contains("no CAR-T cells were given"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_car_t_cap_applies_to_the_sum_of_split_infusions() {
    let tmp = TempDir::new().expect("temp dir");
    let regimen = write(
        tmp.path(),
        "split.toml",
        "name = \"split\"\n[[car_t]]\nday = 0.0\nfraction = 5.0\n[[car_t]]\nday = 1.0\nfraction = 5.0\n",
    );
    let out = tmp.path().join("out");
    // 2e11 cells nominal, 10 times over the infusions: 2e12 > 1e12
    let run = cartkin(&[
        "simulate",
        "--regimen",
        p(&regimen),
        "--dose",
        "2e11",
        "--days",
        "60",
        "--out",
        p(&out),
    ]);
    assert_refused(&run, 1, &["dose", "over the regimen's infusions"]);
}

// ---------------------------------------------------------------------------------------------
// result sets

/// Starts `cartkin ARGS` in the background.
fn spawn(args: &[&str], cwd: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_cartkin"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CARTKIN_MODELS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cartkin starts")
}

/// Waits until `dir` holds a staging directory (the run has started writing).
fn wait_for_staging(dir: &Path) {
    for _ in 0..400 {
        if entries_in(dir)
            .iter()
            .any(|e| e.contains("cartkin-staging"))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no staging directory appeared in {}", dir.display());
}

#[test]
fn a_second_run_into_the_same_out_is_refused_while_the_first_runs() {
    let tmp = TempDir::new().expect("temp dir");
    let mut first = spawn(
        &[
            "population",
            "--model",
            "cart_all_eliana",
            "--n",
            "4000",
            "--threads",
            "1",
            "--out",
            "out",
        ],
        tmp.path(),
    );
    wait_for_staging(tmp.path());
    let second = Command::new(env!("CARGO_BIN_EXE_cartkin"))
        .args([
            "population",
            "--model",
            "cart_all_eliana",
            "--n",
            "5",
            "--out",
            "out",
        ])
        .current_dir(tmp.path())
        .output()
        .expect("runs");
    let run = Run {
        code: second.status.code(),
        stdout: String::from_utf8_lossy(&second.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&second.stderr).into_owned(),
    };
    assert_refused(&run, 1, &["--out out", "another cartkin run"]);
    assert!(first.wait().expect("first finishes").success());
    // the first run's result set, whole
    assert_eq!(
        files_in(&tmp.path().join("out")),
        [
            "exposure_by_response.png",
            "patients.csv",
            "rfs_km.png",
            "summary.json"
        ]
    );
    assert_eq!(entries_in(tmp.path()), ["out"], "no staging left behind");
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_nothing_behind_and_earlier_results_intact() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--n",
        "10",
        "--out",
        p(&out),
    ])
    .assert_ok();
    let before = std::fs::read(out.join("patients.csv")).expect("patients.csv");
    for signal in ["-INT", "-TERM"] {
        let mut child = spawn(
            &[
                "population",
                "--model",
                "cart_all_eliana",
                "--n",
                "50000",
                "--threads",
                "1",
                "--out",
                "out",
            ],
            tmp.path(),
        );
        wait_for_staging(tmp.path());
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = child.wait().expect("exits");
        assert_eq!(code.code(), Some(130), "{signal}");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read");
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert_eq!(
            entries_in(tmp.path()),
            ["out"],
            "{signal}: nothing left behind"
        );
        assert_eq!(
            std::fs::read(out.join("patients.csv")).expect("kept"),
            before
        );
    }
    // an interrupted first run into a new directory leaves no directory at all
    let mut child = spawn(
        &[
            "population",
            "--model",
            "cart_all_eliana",
            "--n",
            "50000",
            "--threads",
            "1",
            "--out",
            "new",
        ],
        tmp.path(),
    );
    wait_for_staging(tmp.path());
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    child.wait().expect("exits");
    assert_eq!(entries_in(tmp.path()), ["out"]);
}

#[test]
fn files_of_an_earlier_run_are_replaced_whole_and_foreign_files_are_never_deleted() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    cartkin(&["simulate", "--days", "200", "--out", p(&out)]).assert_ok();
    assert!(out.join("trajectory_early.png").is_file());
    // a shorter run writes no early-days figure: the old one goes with the old set
    cartkin(&["simulate", "--days", "60", "--out", p(&out)]).assert_ok();
    assert_eq!(
        files_in(&out),
        ["outcomes.json", "trajectory.csv", "trajectory.png"]
    );
    // a file cartkin did not write: the run is refused and the file kept
    write(&out, "notes.txt", "mine");
    let run = cartkin(&["simulate", "--days", "60", "--out", p(&out)]);
    assert_refused(
        &run,
        1,
        &[
            "--out",
            "notes.txt",
            "not part of an earlier cartkin result set",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).expect("kept"),
        "mine"
    );
    let run = cartkin(&["simulate", "--days", "60", "--out", "."]);
    assert_refused(&run, 1, &["--out", "directory name"]);
}

// ---------------------------------------------------------------------------------------------
// the binary on its own

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [
        &["models"][..],
        &["models", "show", "cart_all"][..],
        &["--help"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cartkin"))
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        // read one byte, then close the pipe, as `| head -c 1` would
        let mut stdout = child.stdout.take().expect("stdout");
        let mut byte = [0u8; 1];
        stdout.read_exact(&mut byte).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("exits");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            out.status.code() == Some(0) || out.status.code().is_none(),
            "{args:?}: {:?}",
            out.status
        );
    }
}

#[test]
fn the_binary_runs_from_an_empty_directory_without_the_source_tree() {
    // a copy of the binary, run from an empty directory: models, targets, populations and
    // datasets come from the binary itself (`cargo install` gives the same)
    let tmp = TempDir::new().expect("temp dir");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let exe = bin.join("cartkin");
    std::fs::copy(env!("CARGO_BIN_EXE_cartkin"), &exe).expect("copy");
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let run = |args: &[&str]| {
        let out = Command::new(&exe)
            .args(args)
            .current_dir(&work)
            .env_remove("CARTKIN_MODELS")
            .output()
            .expect("runs");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let models = run(&["models"]);
    models.assert_ok();
    for name in [
        "cart_all",
        "cart_all_eliana",
        "stein_2019",
        "leon_triana_2021",
    ] {
        assert!(models.stdout.contains(name), "{}", models.stdout);
    }
    run(&["simulate", "--model", "cart_all_eliana", "--days", "60"]).assert_ok();
    assert!(work.join("out/simulate/trajectory.csv").is_file());
    run(&[
        "population",
        "--model",
        "cart_all",
        "--population",
        "zuma3_adults",
        "--targets",
        "zuma3",
        "--n",
        "10",
        "--days",
        "400",
    ])
    .assert_ok();
    run(&[
        "fit",
        "--model",
        "stein_2019",
        "--data",
        "synthetic_eliana_ck",
        "--pooled",
        "--estimate",
        "Tmax",
    ])
    .assert_ok();
    // a model directory still overrides the bundled models
    let dir = tmp.path().join("models");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(
        dir.join("mine.toml"),
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/stein_2019.toml"),
        )
        .expect("model")
        .replace("name = \"stein_2019\"", "name = \"mine\""),
    )
    .expect("write");
    let out = Command::new(&exe)
        .args(["models"])
        .current_dir(&work)
        .env("CARTKIN_MODELS", &dir)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("mine"));
}

#[test]
fn a_population_says_which_regimen_doses_its_model_does_not_take() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "population",
        "--model",
        "stein_2019",
        "--regimen",
        "eliana",
        "--n",
        "5",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(
        run.stderr.contains("does not describe fludarabine"),
        "{}",
        run.stderr
    );
    // RFS months cannot be reported when remission is not assessed
    let run = cartkin(&[
        "population",
        "--model",
        "cart_all_eliana",
        "--days",
        "91",
        "--months",
        "3",
        "--out",
        p(&tmp.path().join("o2")),
    ]);
    assert_refused(&run, 1, &["--months", "month 3"]);
    // nor targets the model cannot report
    let run = cartkin(&[
        "population",
        "--model",
        "stein_2019",
        "--targets",
        "eliana",
        "--out",
        p(&tmp.path().join("o3")),
    ]);
    assert_refused(&run, 1, &["--targets", "cannot report"]);
}

#[cfg(unix)]
#[test]
fn an_output_path_that_is_not_utf8_is_written_and_recorded() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = TempDir::new().expect("temp dir");
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname");
    let out = tmp.path().join(name);
    let status = Command::new(env!("CARGO_BIN_EXE_cartkin"))
        .arg("simulate")
        .arg("--model")
        .arg("stein_2019")
        .arg("--days")
        .arg("30")
        .arg("--out")
        .arg(&out)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("runs");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn a_scenario_of_a_model_without_a_response_writes_no_survival() {
    let tmp = TempDir::new().expect("temp dir");
    let file = write(
        tmp.path(),
        "pk.toml",
        "[scenario]\nname = \"pk\"\nmodel = \"stein_2019\"\nn = 4\nseed = 1\n[[arm]]\nname = \"A\"\n[[arm]]\nname = \"B\"\nset = { Cmax = 30000 }\n",
    );
    let out = tmp.path().join("out");
    cartkin(&["scenario", p(&file), "--out", p(&out)]).assert_ok();
    let files = files_in(&out);
    assert!(
        !files.iter().any(|f| f.starts_with("survival_by_arm")),
        "{files:?}"
    );
    let arms = std::fs::read_to_string(out.join("arms.csv")).expect("arms.csv");
    assert!(!arms.contains("NaN"), "{arms}");
}

#[test]
fn a_fit_of_many_subjects_plots_at_most_twenty_pages() {
    let tmp = TempDir::new().expect("temp dir");
    // 500 subjects (21 pages of 24) with two observations each
    let mut text = String::from("ID,TIME,DV,CMT\n");
    for id in 1..=500 {
        text.push_str(&format!("{id},7,20000,1\n{id},28,3000,1\n"));
    }
    let data = write(tmp.path(), "many.csv", &text);
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "fit",
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "Tmax",
        "--fix-error",
        "--out",
        p(&out),
    ]);
    run.assert_ok();
    assert!(
        run.stderr.contains("first 480 of 500 subjects"),
        "{}",
        run.stderr
    );
    let files = files_in(&out);
    assert!(files.contains(&"fit_subjects_20.png".to_string()));
    assert!(!files.contains(&"fit_subjects_21.png".to_string()));
    let fit = json(&out.join("fit.json"));
    assert_eq!(num(&fit, "/subject_figures/pages"), 20.0);
    assert_eq!(num(&fit, "/subject_figures/subjects"), 500.0);
    // every subject is in the residuals
    let residuals = std::fs::read_to_string(out.join("residuals.csv")).expect("residuals");
    assert_eq!(residuals.lines().count(), 1 + 1000);
}
