//! End-to-end tests of `cartkin scenario`: the files it writes, and bad scenario files refused
//! with the file, line, arm and key, exit code 1 and nothing written.

mod common;

use std::path::Path;

use common::{assert_refused, cartkin, files_in};

const SCENARIO: &str = r#"
[scenario]
name = "cli"
model = "cart_all_eliana"
n = 6
seed = 3
follow_up_days = 200
rfs_months = [3, 6]

[[arm]]
name = "ELIANA"
regimen = "eliana"

[[arm]]
name = "no LD"
regimen = "none"
"#;

fn write(dir: &Path, text: &str) -> String {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).expect("writable temp dir");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn a_scenario_writes_tables_patients_and_figures() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), SCENARIO);
    let out = tmp.path().join("out");
    let run = cartkin(&[
        "scenario",
        &file,
        "--out",
        out.to_str().expect("utf-8"),
        "--format",
        "both",
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("2 arms x 6 patients"), "{}", run.stdout);
    assert_eq!(
        files_in(&out),
        [
            "arms.csv",
            "arms.json",
            "arms.md",
            "endpoints_by_arm.png",
            "endpoints_by_arm.svg",
            "patients",
            "survival_by_arm.png",
            "survival_by_arm.svg"
        ]
    );
    assert_eq!(
        files_in(&out.join("patients")),
        ["001_eliana.csv", "002_no_ld.csv"]
    );
    let csv = std::fs::read_to_string(out.join("arms.csv")).expect("arms.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    for column in [
        "arm",
        "remission",
        "remission_lo",
        "rfs_6mo_hi",
        "efs_3mo",
        "crs_grade3plus",
        "flu_auc_at_least_13_8",
    ] {
        assert!(header.contains(&column), "no {column} in {header:?}");
    }
    assert_eq!(lines.count(), 2);
    let md = std::fs::read_to_string(out.join("arms.md")).expect("arms.md");
    assert!(
        md.contains("| ELIANA |") && md.contains("| no LD |"),
        "{md}"
    );
    let patients = std::fs::read_to_string(out.join("patients/001_eliana.csv")).expect("patients");
    assert_eq!(patients.lines().count(), 7);
}

#[test]
fn a_two_variable_sweep_draws_heatmaps() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = SCENARIO
        .split("[[arm]]")
        .next()
        .expect("header")
        .to_string()
        + "[sweep.x]\nkey = \"dose_per_kg\"\nvalues = [1e6, 3e6]\n[sweep.y]\nkey = \"set.L0\"\nvalues = [1e10, 1e11]\n";
    let file = write(tmp.path(), &text);
    let out = tmp.path().join("out");
    cartkin(&["scenario", &file, "--out", out.to_str().expect("utf-8")]).assert_ok();
    let files = files_in(&out);
    for f in [
        "heatmap_remission.png",
        "heatmap_rfs.png",
        "heatmap_crs_grade3plus.png",
    ] {
        assert!(files.contains(&f.to_string()), "{files:?}");
    }
    assert_eq!(files_in(&out.join("patients")).len(), 4);
}

#[test]
fn bad_scenarios_name_the_file_line_arm_and_key_and_write_nothing() {
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "regimen = \"eliana\"",
            "regimen = \"bogus\"",
            &["s.toml:12", "arm \"ELIANA\"", "regimen", "bogus"],
        ),
        (
            "regimen = \"none\"",
            "regimen = \"none\"\nset = { gamma = 1e9 }",
            &["s.toml:17", "arm \"no LD\"", "set.gamma", "bounds"],
        ),
        (
            "regimen = \"none\"",
            "regimen = \"none\"\nfludarabine_target_auc = 20",
            &["arm \"no LD\"", "fludarabine_target_auc", "fludarabine"],
        ),
        (
            "n = 6",
            "n = 6\nfoo = 1",
            &["s.toml:6", "unknown field `foo`"],
        ),
    ];
    for (from, to, parts) in cases {
        let tmp = tempfile::tempdir().expect("temp dir");
        let file = write(tmp.path(), &SCENARIO.replacen(from, to, 1));
        let out = tmp.path().join("out");
        let run = cartkin(&["scenario", &file, "--out", out.to_str().expect("utf-8")]);
        assert_refused(&run, 1, parts);
        assert!(!out.exists(), "output written for a bad scenario ({to})");
    }
    let run = cartkin(&["scenario", "no/such/file.toml"]);
    assert_refused(&run, 1, &["no/such/file.toml", "cannot read"]);
}

#[test]
fn a_rerun_replaces_the_earlier_result_set_whole_and_huge_runs_are_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let out_s = out.to_str().expect("utf-8");
    let file = write(tmp.path(), SCENARIO);
    cartkin(&["scenario", &file, "--out", out_s]).assert_ok();
    let one_arm = SCENARIO
        .split("[[arm]]\nname = \"no LD\"")
        .next()
        .expect("first arm");
    let file = write(tmp.path(), one_arm);
    assert!(out.join("patients/002_no_ld.csv").is_file());
    let run = cartkin(&["scenario", &file, "--out", out_s]);
    run.assert_ok();
    // the earlier run's second arm is gone with its result set: no stale file remains
    assert!(!out.join("patients/002_no_ld.csv").exists());
    assert!(out.join("patients/001_eliana.csv").is_file());
    let run = cartkin(&["scenario", &file, "--n", "9000000", "--out", out_s]);
    assert_refused(&run, 1, &["--n", "1000000"]);
    let run = cartkin(&["scenario", &file, "--n", "1000001", "--out", out_s]);
    assert_refused(&run, 1, &["--n", "1000000"]);
}
