//! End-to-end tests of `cartkin fit`: what it writes for good input (fit.json, fitted_model.toml,
//! residuals.csv, plots) and that bad input is refused with a non-zero exit code, an `error:`
//! message naming the file and line or the flag and what was expected, no panic, and no output
//! directory.
//!
//! Runs are kept small (a few subjects of the bundled synthetic dataset, written to temporary
//! files) so that the whole file stays fast in debug builds.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use common::{Run, assert_refused, cartkin, entries_in, files_in, json, num};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/synthetic_eliana_ck.csv"
);
const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The free parameters of a default `stein_2019` fit.
const STEIN_PARAMETERS: [&str; 6] = ["Cmax", "foldx", "Tmax", "alpha", "FB", "beta"];

// =============================================================================================
// helpers

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A temporary directory for data files, fit files and output directories.
struct Scratch {
    tmp: TempDir,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The default output directory (not created by the scratch).
    fn out(&self) -> PathBuf {
        self.path("out")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a scratch file");
        path
    }

    /// The first `n` subjects of the bundled dataset, written as `name`.
    fn subjects(&self, name: &str, n: usize) -> PathBuf {
        self.write(name, &first_subjects(n))
    }

    /// `cartkin fit --out SCRATCH/OUT ARGS...`
    fn fit_in(&self, out: &str, args: &[&str]) -> Run {
        let out = self.path(out);
        let mut all = vec!["fit", "--out", p(&out)];
        all.extend_from_slice(args);
        cartkin(&all)
    }

    /// A successful fit into `SCRATCH/OUT`; returns fit.json.
    fn fit_ok_in(&self, out: &str, args: &[&str]) -> Value {
        self.fit_in(out, args).assert_ok();
        fit_json(&self.path(out))
    }

    /// A successful fit into the default output directory; returns fit.json.
    fn fit_ok(&self, args: &[&str]) -> Value {
        self.fit_ok_in("out", args)
    }

    /// `cartkin fit ARGS` must fail with exit code 1, an `error: ` message containing every one
    /// of `parts`, no panic, and no output directory.
    /// [`Scratch::assert_refused`] for a pooled Stein fit of `data` with `extra` arguments.
    fn refused_pooled(&self, data: &Path, extra: &[&str], parts: &[&str]) {
        let mut args = vec!["--model", "stein_2019", "--data", p(data), "--pooled"];
        args.extend_from_slice(extra);
        self.assert_refused(&args, parts);
    }

    fn assert_refused(&self, args: &[&str], parts: &[&str]) {
        let run = self.fit_in("out", args);
        assert_refused(&run, 1, parts);
        assert!(
            run.stderr.starts_with("error: "),
            "message should start with `error: `:\n{}",
            run.stderr
        );
        let out = self.out();
        assert!(
            !out.exists(),
            "output directory created for bad input {args:?}: {:?}",
            entries_in(&out)
        );
    }
}

/// The header and the rows of the first `n` subjects of the bundled dataset.
fn first_subjects(n: usize) -> String {
    let text = std::fs::read_to_string(DATA).expect("the bundled dataset");
    let mut lines = text.lines();
    let mut out = String::from(lines.next().expect("a header"));
    out.push('\n');
    let mut ids: Vec<&str> = Vec::new();
    for line in lines {
        let id = line.split(',').next().unwrap_or("");
        if !ids.contains(&id) {
            if ids.len() == n {
                break;
            }
            ids.push(id);
        }
        out.push_str(line);
        out.push('\n');
    }
    assert_eq!(ids.len(), n, "the dataset has fewer than {n} subjects");
    out
}

/// `text` with the first occurrence of `from` replaced by `to` (which must exist).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the data");
    text.replacen(from, to, 1)
}

/// 1-based line of `needle` in the file at `path`.
fn line_in(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("readable file");
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {}", path.display()));
    text[..offset].matches('\n').count() + 1
}

/// Observation records of a NONMEM-style file (EVID=0, MDV=0), per subject in file order:
/// `(id, observations, of which BLQ)`.
fn observations_per_subject(path: &Path) -> Vec<(String, usize, usize)> {
    let mut reader = csv::Reader::from_path(path).expect("a CSV file");
    let header = reader.headers().expect("a header").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (id, evid, mdv, blq) = (col("ID"), col("EVID"), col("MDV"), col("BLQ"));
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    for record in reader.records() {
        let r = record.expect("a record");
        if out.last().is_none_or(|s| s.0 != r[id]) {
            out.push((r[id].to_string(), 0, 0));
        }
        if r[evid].trim() == "0" && r[mdv].trim() == "0" {
            let s = out.last_mut().expect("a subject");
            s.1 += 1;
            s.2 += usize::from(r[blq].trim() == "1");
        }
    }
    out
}

/// `(observations, of which BLQ)` of a NONMEM-style file.
fn count_observations(path: &Path) -> (usize, usize) {
    observations_per_subject(path)
        .iter()
        .fold((0, 0), |(n, b), s| (n + s.1, b + s.2))
}

fn fit_json(out: &Path) -> Value {
    json(&out.join("fit.json"))
}

fn strings(v: &Value, pointer: &str) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {pointer}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

fn keys(v: &Value, pointer: &str) -> BTreeSet<String> {
    v.pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no object at {pointer}"))
        .keys()
        .cloned()
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

fn assert_close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        close(a, b, rel),
        "{what}: {a} vs {b} (relative tolerance {rel})"
    );
}

/// `name → value` of the `[[parameters]]` of a model file.
/// The parameter values of a model file, with what it extends resolved.
fn model_values(path: &Path) -> BTreeMap<String, f64> {
    cartkin_core::model::file::load(path)
        .expect("a valid model file")
        .parameters
        .into_iter()
        .map(|p| (p.name, p.value))
        .collect()
}

fn stein_model_file() -> PathBuf {
    Path::new(MODELS).join("stein_2019.toml")
}

/// One row of residuals.csv.
#[derive(Debug)]
struct ResidualRow {
    id: String,
    output: String,
    observed: f64,
    predicted: f64,
    residual: f64,
    weighted: f64,
    blq: bool,
}

const RESIDUALS_HEADER: &str = "id,time,output,observed,predicted,residual,weighted_residual,blq";

fn residuals(out: &Path) -> Vec<ResidualRow> {
    let text = std::fs::read_to_string(out.join("residuals.csv")).expect("residuals.csv");
    assert_eq!(text.lines().next(), Some(RESIDUALS_HEADER));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("a residuals.csv record");
            let f = |i: usize| -> f64 {
                r[i].parse()
                    .unwrap_or_else(|_| panic!("not a number in residuals.csv: {r:?}"))
            };
            let _time = f(1);
            ResidualRow {
                id: r[0].to_string(),
                output: r[2].to_string(),
                observed: f(3),
                predicted: f(4),
                residual: f(5),
                weighted: f(6),
                blq: match &r[7] {
                    "0" => false,
                    "1" => true,
                    other => panic!("blq column: expected 0 or 1, got {other}"),
                },
            }
        })
        .collect()
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|_| panic!("{} missing", path.display()));
    assert!(
        bytes.starts_with(PNG_MAGIC),
        "{} is not a PNG",
        path.display()
    );
}

/// The pooled-mode contract of one parameter: estimate, se > 0, ci95 = [lo, hi] around the
/// estimate.
fn assert_estimate(json: &Value, name: &str) -> f64 {
    let base = format!("/parameters/{name}");
    let estimate = num(json, &format!("{base}/estimate"));
    let se = num(json, &format!("{base}/se"));
    let lo = num(json, &format!("{base}/ci95/0"));
    let hi = num(json, &format!("{base}/ci95/1"));
    assert!(estimate.is_finite(), "{name}: estimate {estimate}");
    assert!(se.is_finite() && se > 0.0, "{name}: se {se}");
    assert_eq!(
        json.pointer(&format!("{base}/ci95"))
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(2),
        "{name}: ci95 is a pair"
    );
    assert!(
        lo <= estimate && estimate <= hi && lo < hi,
        "{name}: ci95 [{lo}, {hi}] around {estimate}"
    );
    estimate
}

/// aic = −2LL + 2k and bic = −2LL + k ln n, from the numbers in `objective`.
fn assert_information_criteria(json: &Value, k: usize, n: usize) {
    let m2ll = num(json, "/objective/minus2ll");
    assert!(m2ll.is_finite(), "-2LL {m2ll}");
    assert_eq!(num(json, "/objective/n_parameters"), k as f64);
    assert_eq!(num(json, "/objective/n_observations"), n as f64);
    assert_close(
        num(json, "/objective/aic"),
        m2ll + 2.0 * k as f64,
        1e-12,
        "aic",
    );
    assert_close(
        num(json, "/objective/bic"),
        m2ll + k as f64 * (n as f64).ln(),
        1e-12,
        "bic",
    );
}

/// A long-format copy (`id,time,observable,value,blq,lloq`) of a NONMEM-style stein dataset.
fn to_long(nonmem: &Path) -> String {
    let mut reader = csv::Reader::from_path(nonmem).expect("a CSV file");
    let mut out = String::from("id,time,observable,value,blq,lloq\n");
    for record in reader.records() {
        let r = record.expect("a record");
        // ID,TIME,DV,EVID,AMT,CMT,MDV,BLQ,LLOQ,WT,AGE
        if &r[3] != "0" {
            continue;
        }
        out.push_str(&format!(
            "{},{},transgene,{},{},{}\n",
            &r[0], &r[1], &r[2], &r[7], &r[8]
        ));
    }
    out
}

/// CAR-T cells of `leon_triana_2021` at its defaults (dose 1e7 on day 0), with multiplicative
/// noise, for three subjects of different levels: a long-format dataset observing `C`.
fn leon_triana_long() -> String {
    const CURVE: [(f64, f64); 9] = [
        (1.0, 2.18e7),
        (3.0, 1.08e8),
        (7.0, 2.77e9),
        (10.0, 1.33e10),
        (14.0, 1.55e10),
        (21.0, 9.71e9),
        (28.0, 5.89e9),
        (42.0, 2.17e9),
        (60.0, 6.0e8),
    ];
    const NOISE: [f64; 9] = [1.2, 0.85, 1.1, 0.9, 1.05, 0.95, 1.15, 0.8, 1.0];
    let mut out = String::from("id,time,observable,value\n");
    for (k, (id, level)) in [("a", 1.0), ("b", 0.7), ("c", 1.4)].iter().enumerate() {
        for (i, (t, v)) in CURVE.iter().enumerate() {
            let noise = NOISE[(i + 3 * k) % NOISE.len()];
            out.push_str(&format!("{id},{t},C,{:.4e}\n", v * noise * level));
        }
    }
    out
}

// =============================================================================================
// pooled fits

#[test]
fn pooled_fit_writes_the_fit_json_contract() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&["--model", "stein_2019", "--data", p(&data), "--pooled"]);

    assert_eq!(json["mode"], "pooled");
    assert_eq!(json["model"], "stein_2019");
    assert_eq!(json["error_model"]["kind"], "log-additive");
    assert_eq!(json["error_model"]["blq"], "m3");
    let free = strings(&json, "/free_parameters");
    let mut expected: Vec<String> = STEIN_PARAMETERS.iter().map(|s| s.to_string()).collect();
    expected.push("sigma_add".into());
    assert_eq!(free, expected);
    assert_eq!(
        keys(&json, "/parameters"),
        free.iter().cloned().collect::<BTreeSet<_>>()
    );
    for name in &free {
        assert_estimate(&json, name);
    }

    let (n, _) = count_observations(&data);
    assert_information_criteria(&json, free.len(), n);

    assert!(json["convergence"].is_object(), "{:#}", json["convergence"]);
    assert_eq!(json["convergence"]["converged"], true);
    assert_eq!(json["convergence"]["optimizer"], "nelder-mead");
    assert!(num(&json, "/convergence/function_evaluations") > 0.0);
    assert!(json["warning"].is_null(), "warning: {}", json["warning"]);
}

#[test]
fn pooled_fit_writes_the_expected_files_and_png_plots() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let run = sc.fit_in(
        "out",
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
    );
    run.assert_ok();
    let out = sc.out();
    let files = files_in(&out);
    assert_eq!(
        files,
        [
            "fit.json",
            "fit_observed_vs_predicted.png",
            "fit_residuals.png",
            "fit_subjects.png",
            "fitted_model.toml",
            "residuals.csv",
        ],
        "{files:?}"
    );
    for f in files.iter().filter(|f| f.ends_with(".png")) {
        assert_png(&out.join(f));
    }
    for f in &files {
        assert!(
            run.stdout
                .contains(&format!("wrote {}", out.join(f).display())),
            "stdout does not report {f}:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("pooled fit"), "{}", run.stdout);
    assert!(run.stdout.contains("-2LL"), "{}", run.stdout);
}

#[test]
fn more_than_24_subjects_give_several_subject_pages() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 25);
    sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "Cmax,Tmax",
    ]);
    let files = files_in(&sc.out());
    let pages: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("fit_subjects"))
        .collect();
    assert_eq!(
        pages,
        ["fit_subjects_1.png", "fit_subjects_2.png"],
        "{files:?}"
    );
    for f in pages {
        assert_png(&sc.out().join(f));
    }
}

#[test]
fn format_svg_writes_svg_plots_only_and_both_writes_both() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let args = ["--model", "stein_2019", "--data", p(&data), "--pooled"];
    let mut svg_args = args.to_vec();
    svg_args.extend(["--format", "svg"]);
    sc.fit_ok_in("svg", &svg_args);
    let files = files_in(&sc.path("svg"));
    assert_eq!(
        files,
        [
            "fit.json",
            "fit_observed_vs_predicted.svg",
            "fit_residuals.svg",
            "fit_subjects.svg",
            "fitted_model.toml",
            "residuals.csv",
        ],
        "{files:?}"
    );
    for f in files.iter().filter(|f| f.ends_with(".svg")) {
        let text = std::fs::read_to_string(sc.path("svg").join(f)).expect("an SVG file");
        assert!(text.contains("<svg"), "{f} is not an SVG");
    }

    let mut both_args = args.to_vec();
    both_args.extend(["--format", "both"]);
    sc.fit_ok_in("both", &both_args);
    let files = files_in(&sc.path("both"));
    for stem in ["fit_subjects", "fit_observed_vs_predicted", "fit_residuals"] {
        for ext in ["png", "svg"] {
            assert!(
                files.contains(&format!("{stem}.{ext}")),
                "{stem}.{ext} missing: {files:?}"
            );
        }
    }
}

#[test]
fn fitted_model_holds_the_estimates_and_runs_with_simulate() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&["--model", "stein_2019", "--data", p(&data), "--pooled"]);
    let fitted = sc.out().join("fitted_model.toml");
    let values = model_values(&fitted);
    for name in STEIN_PARAMETERS {
        assert_close(
            values[name],
            num(&json, &format!("/parameters/{name}/estimate")),
            1e-12,
            name,
        );
    }
    let text = std::fs::read_to_string(&fitted).unwrap();
    assert!(text.contains("name = \"stein_2019_fitted\""), "{text}");
    // a file that extends the fitted model with what the fit changed, each with its source
    let doc: toml::Table = toml::from_str(&text).expect("TOML");
    assert_eq!(
        doc["model"]["extends"].as_str(),
        Some("stein_2019"),
        "{text}"
    );
    let changed = doc["parameters"].as_array().expect("[[parameters]]");
    assert_eq!(changed.len(), STEIN_PARAMETERS.len(), "{text}");
    assert!(
        changed.iter().all(|p| p["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("fitted by cartkin fit (pooled) to "))),
        "{text}"
    );

    let sim = sc.path("sim");
    cartkin(&[
        "simulate",
        "--model",
        p(&fitted),
        "--out",
        p(&sim),
        "--days",
        "60",
    ])
    .assert_ok();
    let files = files_in(&sim);
    assert!(
        files.contains(&"trajectory.csv".to_string()),
        "simulate wrote {files:?}"
    );
    let outcomes: Value =
        serde_json::from_str(&std::fs::read_to_string(sim.join("outcomes.json")).unwrap())
            .expect("outcomes.json is JSON");
    assert_eq!(outcomes["model"], "stein_2019_fitted");

    // refitting the fitted model into its own folder would write a file that extends itself:
    // refused before the fit, the old file kept
    let before = std::fs::read(&fitted).unwrap();
    let run = cartkin(&[
        "fit",
        "--model",
        p(&fitted),
        "--data",
        p(&data),
        "--pooled",
        "--out",
        p(&sc.out()),
    ]);
    assert_refused(&run, 1, &["--out", "extend itself"]);
    assert_eq!(std::fs::read(&fitted).unwrap(), before);
}

#[test]
fn residuals_csv_has_one_row_per_observation() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&["--model", "stein_2019", "--data", p(&data), "--pooled"]);
    let rows = residuals(&sc.out());
    let per_subject = observations_per_subject(&data);
    let (n, blq) = count_observations(&data);
    assert_eq!(rows.len(), n, "one row per observation");
    assert_eq!(rows.iter().filter(|r| r.blq).count(), blq);
    for (id, count, _) in &per_subject {
        assert_eq!(
            rows.iter().filter(|r| &r.id == id).count(),
            *count,
            "rows of subject {id}"
        );
    }
    let sigma = num(&json, "/parameters/sigma_add/estimate");
    for r in &rows {
        assert_eq!(r.output, "transgene");
        assert!(r.predicted > 0.0 && r.observed > 0.0, "{r:?}");
        // log-additive: residual ln y − ln f, weighted by σ
        let residual = r.observed.ln() - r.predicted.ln();
        assert!(
            (r.residual - residual).abs() < 1e-6,
            "{r:?}: expected residual {residual}"
        );
        assert!(
            (r.weighted - r.residual / sigma).abs() < 1e-6 * (1.0 + r.weighted.abs()),
            "{r:?}: expected weighted residual {}",
            r.residual / sigma
        );
    }
}

#[test]
fn minus2ll_agrees_with_the_residuals_and_the_log_additive_density() {
    // With BLQ records dropped, −2LL = Σ ln 2π + 2 ln σ + (weighted residual)² + 2 ln y.
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--blq",
        "drop",
    ]);
    let sigma = num(&json, "/parameters/sigma_add/estimate");
    let m2ll: f64 = residuals(&sc.out())
        .iter()
        .filter(|r| !r.blq)
        .map(|r| LN_2PI + 2.0 * sigma.ln() + r.weighted * r.weighted + 2.0 * r.observed.ln())
        .sum();
    assert_close(num(&json, "/objective/minus2ll"), m2ll, 1e-6, "-2LL");
}

#[test]
fn estimate_subset_frees_only_those_and_sigma() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "Cmax,Tmax",
    ]);
    assert_eq!(
        strings(&json, "/free_parameters"),
        ["Cmax", "Tmax", "sigma_add"]
    );
    assert_eq!(
        keys(&json, "/parameters"),
        ["Cmax", "Tmax", "sigma_add"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    for name in ["Cmax", "Tmax", "sigma_add"] {
        assert_estimate(&json, name);
    }
    let (n, _) = count_observations(&data);
    assert_information_criteria(&json, 3, n);

    // the other parameters keep the model file's values
    let original = model_values(&stein_model_file());
    let fitted = model_values(&sc.out().join("fitted_model.toml"));
    for name in ["foldx", "alpha", "FB", "beta"] {
        assert_eq!(fitted[name], original[name], "{name}");
    }
    for name in ["Cmax", "Tmax"] {
        assert_close(
            fitted[name],
            num(&json, &format!("/parameters/{name}/estimate")),
            1e-12,
            name,
        );
    }
}

#[test]
fn fix_error_keeps_sigma_at_the_given_value() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "Cmax,Tmax",
        "--fix-error",
        "--sigma-add",
        "0.56",
    ]);
    assert_eq!(strings(&json, "/free_parameters"), ["Cmax", "Tmax"]);
    assert!(json["parameters"].get("sigma_add").is_none());
    let (n, _) = count_observations(&data);
    assert_information_criteria(&json, 2, n);
    for r in residuals(&sc.out()) {
        assert!(
            (r.weighted - r.residual / 0.56).abs() < 1e-6 * (1.0 + r.weighted.abs()),
            "{r:?}: weighted residual with σ = 0.56"
        );
    }
}

#[test]
fn every_error_model_runs() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let (n, _) = count_observations(&data);
    let mut objectives = Vec::new();
    for (kind, sigmas) in [
        ("additive", &["sigma_add"][..]),
        ("proportional", &["sigma_prop"][..]),
        ("combined", &["sigma_add", "sigma_prop"][..]),
        ("log-additive", &["sigma_add"][..]),
    ] {
        let json = sc.fit_ok_in(
            kind,
            &[
                "--model",
                "stein_2019",
                "--data",
                p(&data),
                "--pooled",
                "--error",
                kind,
            ],
        );
        assert_eq!(json["error_model"]["kind"], kind);
        let free = strings(&json, "/free_parameters");
        let expected: Vec<String> = STEIN_PARAMETERS
            .iter()
            .chain(sigmas)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(free, expected, "{kind}");
        assert_information_criteria(&json, free.len(), n);
        assert_eq!(json["convergence"]["converged"], true, "{kind}");
        for sigma in sigmas {
            let v = num(&json, &format!("/parameters/{sigma}/estimate"));
            assert!(v > 0.0 && v.is_finite(), "{kind}: {sigma} = {v}");
        }
        objectives.push(num(&json, "/objective/minus2ll"));
    }
    // the error model matters
    assert!(
        (objectives[0] - objectives[3]).abs() > 1.0,
        "additive and log-additive give the same -2LL: {objectives:?}"
    );
}

#[test]
fn blq_drop_and_m3_give_different_likelihoods() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let (n, blq) = count_observations(&data);
    assert!(blq > 0, "the subset needs BLQ records");
    let base = ["--model", "stein_2019", "--data", p(&data), "--pooled"];
    let mut m3_args = base.to_vec();
    m3_args.extend(["--blq", "m3"]);
    let m3 = sc.fit_ok_in("m3", &m3_args);
    let mut drop_args = base.to_vec();
    drop_args.extend(["--blq", "drop"]);
    let dropped = sc.fit_ok_in("drop", &drop_args);

    assert_eq!(m3["error_model"]["blq"], "m3");
    assert_eq!(dropped["error_model"]["blq"], "drop");
    assert_information_criteria(&m3, 7, n);
    assert_information_criteria(&dropped, 7, n - blq);
    let (a, b) = (
        num(&m3, "/objective/minus2ll"),
        num(&dropped, "/objective/minus2ll"),
    );
    assert!((a - b).abs() > 1e-3, "-2LL m3 {a} vs drop {b}");

    // the default is m3
    let default = sc.fit_ok_in("default", &base);
    assert_eq!(
        num(&default, "/objective/minus2ll"),
        a,
        "default BLQ method is m3"
    );
}

#[test]
fn lbfgs_and_particle_swarm_reach_the_nelder_mead_minimum() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let base = ["--model", "stein_2019", "--data", p(&data), "--pooled"];
    let nm = sc.fit_ok_in("nm", &base);
    let nm_m2ll = num(&nm, "/objective/minus2ll");
    for (dir, extra, name) in [
        ("lbfgs", &["--optimizer", "lbfgs"][..], "lbfgs"),
        (
            "pso",
            &["--optimizer", "pso", "--seed", "1"][..],
            "particle-swarm",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let json = sc.fit_ok_in(dir, &args);
        assert_eq!(json["convergence"]["optimizer"], name);
        let m2ll = num(&json, "/objective/minus2ll");
        assert!(
            (m2ll - nm_m2ll).abs() <= 0.01 * nm_m2ll.abs(),
            "{name}: -2LL {m2ll} vs Nelder-Mead {nm_m2ll}"
        );
    }
}

#[test]
fn lbfgs_reports_convergence_at_the_optimum() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--optimizer",
        "lbfgs",
    ]);
    assert_eq!(
        json["convergence"]["converged"], true,
        "{:#}",
        json["convergence"]
    );
}

#[test]
fn particle_swarm_converges() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 3);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--optimizer",
        "pso",
        "--seed",
        "1",
        "--estimate",
        "Cmax,Tmax,alpha",
    ]);
    assert_eq!(json["convergence"]["converged"], true);
}

#[test]
fn three_starts_keep_the_best() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let base = ["--model", "stein_2019", "--data", p(&data), "--pooled"];
    let one = sc.fit_ok_in("one", &base);
    let mut args = base.to_vec();
    args.extend(["--starts", "3"]);
    let three = sc.fit_ok_in("three", &args);
    assert_eq!(num(&three, "/convergence/starts"), 3.0);
    let starts: Vec<f64> = three["convergence"]["start_objectives"]
        .as_array()
        .expect("start_objectives")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect();
    assert_eq!(starts.len(), 3);
    let best = starts.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(num(&three, "/objective/minus2ll"), best);
    // the first start is the single-start fit
    assert_eq!(starts[0], num(&one, "/objective/minus2ll"));
    assert!(best <= num(&one, "/objective/minus2ll"));
}

#[test]
fn profile_writes_the_profile_and_its_plot() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--profile",
        "Tmax",
    ]);
    let profile = &json["profile"];
    assert_eq!(profile["parameter"], "Tmax", "{profile:#}");
    let points = profile["points"].as_array().expect("profile points");
    assert!(points.len() >= 5, "{} points", points.len());
    let values: Vec<f64> = points
        .iter()
        .map(|q| q["value"].as_f64().expect("value"))
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "values increase: {values:?}"
    );
    let m2ll = num(&json, "/objective/minus2ll");
    let estimate = num(&json, "/parameters/Tmax/estimate");
    for q in points {
        let delta = q["delta"].as_f64().expect("delta");
        let value = q["minus2ll"].as_f64().expect("minus2ll");
        assert!(delta >= 0.0, "negative delta in {q}");
        assert!(value >= m2ll - 1e-6, "profile below the optimum: {q}");
    }
    assert!(
        points.iter().any(|q| {
            q["delta"].as_f64() == Some(0.0) && close(q["value"].as_f64().unwrap(), estimate, 1e-9)
        }),
        "no zero-delta point at the estimate {estimate}"
    );
    assert_eq!(
        profile["ci95"].as_array().map(Vec::len),
        Some(2),
        "{profile:#}"
    );
    assert_png(&sc.out().join("fit_profile.png"));

    // with --format svg the profile plot is an SVG
    let svg = sc.fit_ok_in(
        "svg",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax,Tmax",
            "--profile",
            "Tmax",
            "--format",
            "svg",
        ],
    );
    assert_eq!(svg["profile"]["parameter"], "Tmax");
    assert!(sc.path("svg").join("fit_profile.svg").exists());
}

// =============================================================================================
// individual fits

#[test]
fn individual_fit_reports_subjects_and_a_two_stage_summary() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let json = sc.fit_ok(&["--model", "stein_2019", "--data", p(&data)]);
    assert_eq!(json["mode"], "individual");

    // subjects with no more quantified observations (above the limit) than free parameters
    // are not fitted, and listed with the reason
    let k = STEIN_PARAMETERS.len();
    let per_subject = observations_per_subject(&data);
    let fitted_ids: Vec<&str> = per_subject
        .iter()
        .filter(|s| s.1 - s.2 > k)
        .map(|s| s.0.as_str())
        .collect();
    let skipped: Vec<&str> = per_subject
        .iter()
        .filter(|s| s.1 - s.2 <= k)
        .map(|s| s.0.as_str())
        .collect();
    assert!(!fitted_ids.is_empty() && !skipped.is_empty(), "test data");
    let excluded = json["excluded"].as_array().expect("excluded");
    let not_fitted: Vec<&str> = excluded
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("limit of quantification"))
        })
        .map(|e| e["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(not_fitted, skipped);

    let subjects = json["subjects"].as_array().expect("subjects");
    let ids: Vec<&str> = subjects
        .iter()
        .map(|s| s["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, fitted_ids);
    assert_eq!(num(&json, "/convergence/subjects"), ids.len() as f64);
    for s in subjects {
        let names: BTreeSet<String> = s["parameters"]
            .as_object()
            .expect("parameters")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            names,
            STEIN_PARAMETERS.iter().map(|s| s.to_string()).collect(),
            "residual SDs are fixed in the individual fits"
        );
        assert!(s["objective"]["minus2ll"].as_f64().is_some(), "{s}");
        assert!(s["convergence"].is_object(), "{s}");
    }

    // the residual SD comes from a pooled first step
    let sigma = num(
        &json,
        "/residual_error_first_step/parameters/sigma_add/estimate",
    );
    assert!(sigma > 0.0);

    // two-stage summary: geometric means and between-subject CV
    assert_eq!(
        keys(&json, "/parameters"),
        STEIN_PARAMETERS.iter().map(|s| s.to_string()).collect()
    );
    // subjects with an estimate at a bound are fitted but left out of the summary
    let summarised: Vec<&Value> = subjects
        .iter()
        .filter(|s| s["at_bounds"].as_array().is_some_and(Vec::is_empty))
        .collect();
    for s in subjects.iter().filter(|s| !summarised.contains(s)) {
        assert!(
            excluded.iter().any(|e| e["id"] == s["id"]
                && e["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("at a bound"))),
            "{s}"
        );
    }
    assert!(summarised.len() >= 2, "test data");
    for name in STEIN_PARAMETERS {
        let logs: Vec<f64> = summarised
            .iter()
            .map(|s| num(s, &format!("/parameters/{name}/estimate")).ln())
            .collect();
        let n = logs.len() as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let base = format!("/parameters/{name}");
        let estimate = num(&json, &format!("{base}/estimate"));
        assert_close(estimate, mean.exp(), 1e-9, name);
        assert_close(
            num(&json, &format!("{base}/between_subject_cv_percent")),
            100.0 * ((sd * sd).exp() - 1.0).sqrt(),
            1e-9,
            name,
        );
        assert_eq!(num(&json, &format!("{base}/n")), n);
        let (lo, hi) = (
            num(&json, &format!("{base}/ci95/0")),
            num(&json, &format!("{base}/ci95/1")),
        );
        assert!(lo <= estimate && estimate <= hi, "{name}: [{lo}, {hi}]");
        assert!(num(&json, &format!("{base}/se")) > 0.0);
    }

    // total objective: the sum of the subjects'
    let total: f64 = subjects.iter().map(|s| num(s, "/objective/minus2ll")).sum();
    assert_close(num(&json, "/objective/minus2ll"), total, 1e-12, "-2LL");
    let k_total: f64 = subjects
        .iter()
        .map(|s| num(s, "/objective/n_parameters"))
        .sum();
    let n_total: f64 = subjects
        .iter()
        .map(|s| num(s, "/objective/n_observations"))
        .sum();
    assert_information_criteria(&json, k_total as usize, n_total as usize);

    // fitted_model.toml holds the typical (two-stage) values
    let fitted = model_values(&sc.out().join("fitted_model.toml"));
    for name in STEIN_PARAMETERS {
        assert_close(
            fitted[name],
            num(&json, &format!("/parameters/{name}/estimate")),
            1e-12,
            name,
        );
    }
    let files = files_in(&sc.out());
    assert!(files.contains(&"fit_subjects.png".to_string()), "{files:?}");
}

#[test]
fn thread_count_does_not_change_the_results() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let base = ["--model", "stein_2019", "--data", p(&data)];
    for t in ["1", "2"] {
        let mut args = base.to_vec();
        args.extend(["--threads", t]);
        sc.fit_ok_in(&format!("t{t}"), &args);
    }
    for f in ["fit.json", "residuals.csv", "fitted_model.toml"] {
        let a = std::fs::read(sc.path("t1").join(f)).unwrap();
        let b = std::fs::read(sc.path("t2").join(f)).unwrap();
        assert!(a == b, "{f} differs between --threads 1 and --threads 2");
    }
}

// =============================================================================================
// long-format data

#[test]
fn long_format_stein_data_fit_like_the_nonmem_file() {
    let sc = Scratch::new();
    let nonmem = sc.subjects("data.csv", 5);
    let long = sc.write("long.csv", &to_long(&nonmem));
    let a = sc.fit_ok_in(
        "nonmem",
        &["--model", "stein_2019", "--data", p(&nonmem), "--pooled"],
    );
    let b = sc.fit_ok_in(
        "long",
        &["--model", "stein_2019", "--data", p(&long), "--pooled"],
    );
    assert_close(
        num(&b, "/objective/minus2ll"),
        num(&a, "/objective/minus2ll"),
        1e-9,
        "-2LL long vs NONMEM",
    );
    assert_eq!(
        num(&b, "/objective/n_observations"),
        num(&a, "/objective/n_observations")
    );
    assert_eq!(
        residuals(&sc.path("long")).len(),
        count_observations(&nonmem).0
    );
}

#[test]
fn long_format_leon_triana_with_a_dose_fits() {
    let sc = Scratch::new();
    let data = sc.write("leon.csv", &leon_triana_long());
    let json = sc.fit_ok(&[
        "--model",
        "leon_triana_2021",
        "--data",
        p(&data),
        "--dose",
        "1e7",
        "--pooled",
        "--estimate",
        "tau_C,rho_C",
    ]);
    assert_eq!(json["model"], "leon_triana_2021");
    assert_eq!(
        strings(&json, "/free_parameters"),
        ["tau_C", "rho_C", "sigma_add"]
    );
    assert_eq!(json["convergence"]["converged"], true);
    // the data were made with the default tau_C = 14 d
    let tau = assert_estimate(&json, "tau_C");
    assert!((10.0..20.0).contains(&tau), "tau_C {tau}");
    assert_estimate(&json, "rho_C");
    assert_information_criteria(&json, 3, 27);
    assert!(
        num(&json, "/objective/minus2ll") < 1e6,
        "a penalty-sized -2LL: {json:#}"
    );
    let rows = residuals(&sc.out());
    assert_eq!(rows.len(), 27);
    assert!(rows.iter().all(|r| r.output == "C"));
}

#[test]
fn long_format_without_any_dose_is_refused() {
    let sc = Scratch::new();
    let data = sc.write("leon.csv", &leon_triana_long());
    sc.assert_refused(
        &[
            "--model",
            "leon_triana_2021",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "tau_C,rho_C",
        ],
        &["--dose"],
    );
}

// =============================================================================================
// fit files

const FIT_FILE: &str = r#"# fit settings
estimate = ["Cmax", "Tmax"]
error = "log-additive"
sigma_add = 0.56
fix_error = true
blq = "drop"

[initial]
alpha = 0.2
"#;

#[test]
fn fit_file_is_honoured() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.write("fit.toml", FIT_FILE);
    let from_file = sc.fit_ok_in(
        "file",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--fit",
            p(&fit_file),
        ],
    );
    assert_eq!(strings(&from_file, "/free_parameters"), ["Cmax", "Tmax"]);
    assert_eq!(from_file["error_model"]["kind"], "log-additive");
    assert_eq!(from_file["error_model"]["blq"], "drop");
    for r in residuals(&sc.path("file")) {
        assert!(
            (r.weighted - r.residual / 0.56).abs() < 1e-6 * (1.0 + r.weighted.abs()),
            "{r:?}: weighted residual with σ = 0.56"
        );
    }

    // the same settings as flags give the same fit
    let from_flags = sc.fit_ok_in(
        "flags",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax,Tmax",
            "--error",
            "log-additive",
            "--sigma-add",
            "0.56",
            "--fix-error",
            "--blq",
            "drop",
            "--initial",
            "alpha=0.2",
        ],
    );
    assert_eq!(from_file, from_flags);

    // and the initial value of alpha mattered
    let default_alpha = sc.fit_ok_in(
        "alpha",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax,Tmax",
            "--sigma-add",
            "0.56",
            "--fix-error",
            "--blq",
            "drop",
        ],
    );
    assert_ne!(
        num(&default_alpha, "/objective/minus2ll"),
        num(&from_file, "/objective/minus2ll"),
        "alpha = 0.2 from the fit file was not used"
    );
}

#[test]
fn command_line_flags_override_the_fit_file() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.write("fit.toml", FIT_FILE);
    let overridden = sc.fit_ok_in(
        "override",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--fit",
            p(&fit_file),
            "--estimate",
            "Cmax",
            "--error",
            "proportional",
            "--sigma-prop",
            "0.8",
            "--blq",
            "m3",
            "--initial",
            "alpha=0.1",
        ],
    );
    assert_eq!(strings(&overridden, "/free_parameters"), ["Cmax"]);
    assert_eq!(overridden["error_model"]["kind"], "proportional");
    assert_eq!(overridden["error_model"]["blq"], "m3");

    let flags_only = sc.fit_ok_in(
        "flags",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax",
            "--error",
            "proportional",
            "--sigma-prop",
            "0.8",
            "--fix-error",
            "--blq",
            "m3",
            "--initial",
            "alpha=0.1",
        ],
    );
    assert_eq!(overridden, flags_only);
}

#[test]
fn fitted_model_keeps_initial_values_of_fixed_parameters() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.fit_ok(&[
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--estimate",
        "Cmax,Tmax",
        "--initial",
        "alpha=0.2",
    ]);
    let fitted = model_values(&sc.out().join("fitted_model.toml"));
    assert_eq!(fitted["alpha"], 0.2);
}

// =============================================================================================
// bad input

#[test]
fn data_file_missing() {
    let sc = Scratch::new();
    let data = sc.path("no_such_data.csv");
    sc.assert_refused(
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
        &["no_such_data.csv", "cannot read"],
    );
}

#[test]
fn non_numeric_dv_names_file_line_and_column() {
    let sc = Scratch::new();
    let text = edit(&first_subjects(5), "1,3.82,535.3664,", "1,3.82,abc,");
    let data = sc.write("data.csv", &text);
    let line = line_in(&data, "1,3.82,abc,");
    sc.assert_refused(
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
        &[&format!("data.csv:{line}"), "DV", "abc", "number"],
    );
}

#[test]
fn observation_cmt_without_model_output_suggests_observe() {
    let sc = Scratch::new();
    let text = edit(
        &first_subjects(5),
        "1,3.82,535.3664,0,.,1,",
        "1,3.82,535.3664,0,.,2,",
    );
    let data = sc.write("data.csv", &text);
    let line = line_in(&data, "1,3.82,535.3664,0,.,2,");
    sc.assert_refused(
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
        &[
            &format!("data.csv:{line}"),
            "CMT",
            "2",
            "observe 2 = NAME",
            "transgene",
        ],
    );
    // and --observe maps it
    sc.fit_ok_in(
        "mapped",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax,Tmax",
            "--observe",
            "2=transgene",
        ],
    );
}

#[test]
fn dose_cmt_beyond_the_routes_of_cart_all() {
    let sc = Scratch::new();
    let text = edit(
        &first_subjects(2),
        "1,0,.,1,1.318584e8,1,",
        "1,0,.,1,1.318584e8,4,",
    );
    let data = sc.write("data.csv", &text);
    let line = line_in(&data, "1.318584e8,4,");
    sc.assert_refused(
        &[
            "--model",
            "cart_all",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "rho_E",
        ],
        &[&format!("data.csv:{line}"), "CMT", "4", "cart_all", "car_t"],
    );
}

#[test]
fn zero_dv_with_log_additive_error() {
    let sc = Scratch::new();
    let text = edit(&first_subjects(5), "1,3.82,535.3664,", "1,3.82,0,");
    let data = sc.write("data.csv", &text);
    let line = line_in(&data, "1,3.82,0,");
    sc.assert_refused(
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--error",
            "log-additive",
        ],
        &[
            &format!("data.csv:{line}"),
            "DV",
            "log-additive",
            "positive",
            "another error model",
        ],
    );
}

#[test]
fn negative_dv_with_the_default_log_additive_error() {
    let sc = Scratch::new();
    let text = edit(&first_subjects(5), "1,3.82,535.3664,", "1,3.82,-5,");
    let data = sc.write("data.csv", &text);
    let line = line_in(&data, "1,3.82,-5,");
    sc.assert_refused(
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
        &[&format!("data.csv:{line}"), "DV", "positive", "-5"],
    );
}

#[test]
fn unknown_estimate_parameter() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--estimate", "Cmax,bogus"],
        &["--estimate", "bogus", "Cmax", "Tmax"],
    );
}

#[test]
fn duplicate_estimate_parameter() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--estimate", "Cmax,Tmax,Cmax"],
        &["--estimate", "Cmax", "twice"],
    );
}

/// `cartkin fit --model stein_2019 --data DATA --pooled EXTRA`: a command-line usage error
/// (exit 2, from clap's value check) naming the flag, the value and what it accepts.
fn refused_usage(extra: &[&str], parts: &[&str]) {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let out = sc.path("out");
    let mut args = vec![
        "fit",
        "--model",
        "stein_2019",
        "--data",
        p(&data),
        "--pooled",
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    assert_refused(&cartkin(&args), 2, parts);
    assert!(!out.exists());
}

#[test]
fn unknown_error_model() {
    refused_usage(
        &["--error", "gaussian"],
        &["--error", "gaussian", "additive", "log-additive"],
    );
}

#[test]
fn unknown_optimizer() {
    refused_usage(
        &["--optimizer", "bfgs"],
        &["--optimizer", "bfgs", "nelder-mead", "lbfgs", "pso"],
    );
}

#[test]
fn unknown_blq_method() {
    refused_usage(&["--blq", "xyz"], &["--blq", "xyz", "m3", "drop"]);
}

#[test]
fn observe_without_equals() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--observe", "transgene"],
        &["--observe", "transgene", "="],
    );
}

#[test]
fn observe_cmt_zero() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--observe", "0=transgene"],
        &["--observe", "0=transgene", "positive"],
    );
}

#[test]
fn observe_unknown_output_is_refused() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--observe", "1=nothing"],
        &["nothing", "transgene"],
    );
}

#[test]
fn observe_unknown_output_names_the_flag() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--observe", "1=nothing"],
        &["--observe", "nothing", "transgene"],
    );
}

#[test]
fn profile_of_a_parameter_not_estimated() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--estimate", "Cmax", "--profile", "Tmax"],
        &["--profile", "Tmax", "not estimated", "Cmax"],
    );
}

#[test]
fn initial_out_of_bounds_is_refused() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--initial", "Tmax=500"],
        &["Tmax", "500", "0.1", "100"],
    );
}

#[test]
fn initial_out_of_bounds_names_the_flag() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--initial", "Tmax=500"],
        &["--initial", "Tmax", "500", "0.1", "100"],
    );
}

#[test]
fn initial_unknown_parameter_names_the_flag() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--initial", "bogus=0.3"],
        &["--initial", "bogus", "Cmax"],
    );
}

#[test]
fn initial_not_a_number() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--initial", "Tmax=abc"],
        &["--initial", "Tmax=abc", "number"],
    );
}

#[test]
fn threads_zero() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--threads", "0"],
        &["--threads", "at least 1", "0"],
    );
}

#[test]
fn non_positive_sigma() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(&data, &["--sigma-add", "0"], &["--sigma-add", "positive"]);
}

#[test]
fn fit_file_with_an_unknown_key_names_file_and_line() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.write(
        "bad_fit.toml",
        "estimate = [\"Cmax\"]\nerror = \"log-additive\"\nbogus = 1\n",
    );
    sc.refused_pooled(
        &data,
        &["--fit", p(&fit_file)],
        &["bad_fit.toml:3", "bogus", "estimate"],
    );
}

#[test]
fn fit_file_with_a_wrong_type_names_file_and_line() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.write("bad_fit.toml", "# settings\nestimate = \"Cmax\"\n");
    sc.refused_pooled(
        &data,
        &["--fit", p(&fit_file)],
        &["bad_fit.toml:2", "sequence"],
    );
}

#[test]
fn fit_file_missing() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.path("no_such_fit.toml");
    sc.refused_pooled(
        &data,
        &["--fit", p(&fit_file)],
        &["no_such_fit.toml", "cannot read"],
    );
}

#[test]
fn fit_file_with_a_bad_value_names_the_file() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let fit_file = sc.write("bad_fit.toml", "estimate = [\"Cmax\"]\nerror = \"foo\"\n");
    sc.refused_pooled(
        &data,
        &["--fit", p(&fit_file)],
        &["bad_fit.toml", "foo", "log-additive"],
    );
}

#[test]
fn dose_with_a_dataset_that_has_dose_rows() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(&data, &["--dose", "1e8"], &["--dose", "dose records"]);
}

#[test]
fn regimen_with_a_dataset_that_has_dose_rows() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--estimate", "Cmax", "--regimen", "eliana"],
        &["--regimen", "dose records"],
    );
}

#[test]
fn unknown_model() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.assert_refused(
        &["--model", "no_such_model", "--data", p(&data), "--pooled"],
        &["--model", "no_such_model", "stein_2019"],
    );
}

#[test]
fn long_format_flag_on_a_nonmem_file() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    sc.refused_pooled(
        &data,
        &["--data-format", "long"],
        &["data.csv:1", "observable"],
    );
}

#[test]
fn long_format_unknown_observable_names_file_and_line() {
    let sc = Scratch::new();
    let data = sc.write(
        "long.csv",
        "id,time,observable,value\n1,3,transgene,500\n1,8,transgenic,20000\n",
    );
    sc.assert_refused(
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
        &["long.csv:3", "transgenic", "transgene"],
    );
}

#[test]
fn usage_errors_exit_with_code_2() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    for args in [
        &["--model", "stein_2019", "--pooled"][..],
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--starts",
            "many",
        ][..],
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--format",
            "gif",
        ][..],
    ] {
        let run = sc.fit_in("out", args);
        assert_refused(&run, 2, &["error:"]);
        assert!(!sc.out().exists(), "{args:?} created the output directory");
    }
}

#[test]
fn individual_fit_with_no_subject_to_fit_is_refused() {
    let sc = Scratch::new();
    let data = sc.write(
        "sparse.csv",
        "ID,TIME,DV,CMT\n1,5,100,1\n2,4,300,1\n2,9,200,1\n",
    );
    sc.assert_refused(
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--estimate",
            "Cmax,Tmax",
        ],
        &["--estimate", "fit pooled"],
    );
}

#[test]
fn underdetermined_pooled_fit_warns_or_is_refused() {
    let sc = Scratch::new();
    let data = sc.write("one.csv", "ID,TIME,DV,CMT\n1,5,100,1\n");
    let run = sc.fit_in(
        "out",
        &[
            "--model",
            "stein_2019",
            "--data",
            p(&data),
            "--pooled",
            "--estimate",
            "Cmax",
        ],
    );
    if run.code == Some(0) {
        let json = fit_json(&sc.out());
        assert!(
            json["warning"].is_string(),
            "no warning for 1 observation and 2 free parameters: {json:#}"
        );
    } else {
        assert_refused(&run, 1, &["observations"]);
    }
}

#[test]
fn observation_beyond_the_simulation_horizon_is_refused() {
    let sc = Scratch::new();
    let data = sc.write(
        "late.csv",
        "ID,TIME,DV,CMT\n1,5,1000,1\n1,10,20000,1\n1,40000,100,1\n",
    );
    sc.refused_pooled(&data, &["--estimate", "Cmax"], &["late.csv:4", "TIME"]);
}

#[test]
fn stdout_summary_has_no_debug_syntax() {
    let sc = Scratch::new();
    let data = sc.subjects("data.csv", 5);
    let run = sc.fit_in(
        "out",
        &["--model", "stein_2019", "--data", p(&data), "--pooled"],
    );
    run.assert_ok();
    assert!(
        !run.stdout.contains("Some(") && !run.stdout.contains("None"),
        "{}",
        run.stdout
    );
}
