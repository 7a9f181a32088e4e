//! `cartkin validate` end to end on a small population: the files are written, the table has
//! its rows, an impossible band is reported FAIL (exit 0), a not-modelled figure is not
//! simulated, and bad input is refused with its file and line.

mod common;

use common::cartkin;
use tempfile::TempDir;

const FILE: &str = r#"n = 200
seed = 11

[[figure]]
id = "crs_onset_median"
figure = "Median CRS onset among patients with CRS"
unit = "day"
published = 3.0
source = "Levine 2021"
tag = "V"
model = "cart_all_eliana"
measure = "crs_onset_median"
accept = [0.0, 100.0]
band_reason = "wide on purpose: this test needs a pass"

[[figure]]
id = "impossible_efs"
figure = "EFS at 12 months in an impossible band"
unit = "proportion"
published = 0.5
source = "test"
tag = "R"
model = "cart_all_eliana"
measure = "efs_at_month"
month = 12.0
accept = [1.5, 2.0]
band_reason = "a survival above 1 cannot be reached: must FAIL"

[[figure]]
id = "os_6mo"
figure = "OS at 6 months"
published = 0.9
source = "Laetsch 2023"
tag = "V"
measure = "not_modelled"
"#;

#[test]
fn writes_the_table_and_reports_an_impossible_band_as_fail() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("v.toml");
    std::fs::write(&file, FILE).unwrap();
    let out = dir.path().join("out");
    let args = [
        "validate",
        "--validation",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
    ];
    let run = cartkin(&args);
    run.assert_ok();
    assert!(
        run.stdout.contains("1 of 2 inside their bands"),
        "{}",
        run.stdout
    );
    for f in [
        "validation.md",
        "validation.json",
        "forest.png",
        "forest.svg",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let md = std::fs::read_to_string(out.join("validation.md")).unwrap();
    assert!(
        md.contains("`crs_onset_median`") && md.contains("**pass**"),
        "{md}"
    );
    assert!(
        md.contains("`impossible_efs`") && md.contains("**FAIL**"),
        "{md}"
    );
    assert!(
        md.contains("`os_6mo`") && md.contains("**not simulated**"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("validation.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "cartkin.validation/1");
    assert_eq!(json["figures"].as_array().unwrap().len(), 3);
    assert_eq!(json["figures"][1]["status"], "fail");
    assert_eq!(json["figures"][2]["status"], "not_simulated");
    assert!(json["figures"][2]["simulated"].is_null());
    // the same figures with one thread: bit-identical results
    let out1 = dir.path().join("out1");
    let mut one = args;
    one[4] = out1.to_str().unwrap();
    one[6] = "1";
    cartkin(&one).assert_ok();
    assert_eq!(
        std::fs::read(out.join("validation.json")).unwrap(),
        std::fs::read(out1.join("validation.json")).unwrap()
    );
}

#[test]
fn bad_input_names_the_file_line_and_field() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("v.toml");
    let out = dir.path().join("out");
    let run_with = |text: &str| {
        std::fs::write(&file, text).unwrap();
        cartkin(&[
            "validate",
            "--validation",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let run = run_with(&FILE.replace("measure = \"efs_at_month\"", "measure = \"efs\""));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("v.toml:24:") && run.stderr.contains("unknown measure `efs`"),
        "{}",
        run.stderr
    );
    let run = run_with(&FILE.replace(
        "model = \"cart_all_eliana\"\nmeasure = \"efs",
        "model = \"stein_2019\"\nmeasure = \"efs",
    ));
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("v.toml:16:") && run.stderr.contains("needs a leukemia response"),
        "{}",
        run.stderr
    );
    let run = run_with(&FILE.replace("month = 12.0", "month = 120.0"));
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("month") && run.stderr.contains("follow-up"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is written for bad input");
    assert!(!run.stderr.contains("panicked"));
}
