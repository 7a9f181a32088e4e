//! Scenario files: parsing, overrides, sweep expansion, bad files, common random numbers and
//! thread-count independence.

use std::path::Path;

use cartkin_core::solve::{Method, SolverOptions};
use cartkin_trial::endpoint::{Endpoint, Var};
use cartkin_trial::scenario::{self, Scenario};

fn parse(text: &str) -> Result<Scenario, String> {
    scenario::parse(Path::new("s.toml"), text).map_err(|e| e.to_string())
}

const BASE: &str = r#"
[scenario]
name = "t"
model = "cart_all_eliana"
n = 12
seed = 7
follow_up_days = 400
rfs_months = [6, 12]
"#;

fn options() -> SolverOptions {
    SolverOptions {
        method: Method::Dop853,
        ..SolverOptions::default()
    }
}

#[test]
fn arms_and_a_sweep_expand_with_merged_settings() {
    let s = parse(&format!(
        r#"{BASE}
[defaults]
regimen = "eliana"
set = {{ L0 = 1e10 }}

[[arm]]
name = "low burden"
set = {{ L0 = 1e9 }}

[[arm]]
name = "no LD"
regimen = "none"

[sweep.x]
key = "dose_per_kg"
from = 1e5
to = 1e7
points = 3
scale = "log"
"#
    ))
    .unwrap();
    assert_eq!(s.arms.len(), 6);
    assert_eq!(s.base_arms, vec!["low burden", "no LD"]);
    assert_eq!(s.arms[0].name, "low burden dose_per_kg=1e5");
    assert_eq!(s.arms[5].name, "no LD dose_per_kg=1e7");
    // the arm's set wins over the defaults; the defaults reach the other arm
    assert_eq!(s.arms[0].model.get("L0"), Some(1e9));
    assert_eq!(s.arms[3].model.get("L0"), Some(1e10));
    assert_eq!(s.arms[3].regimen.name, "none");
    assert_eq!(s.arms[0].regimen.name, "eliana");
    // the base model is untouched
    assert_eq!(s.model.get("L0"), Some(7e11));
    assert_eq!(s.arms[1].settings.dose_per_kg, Some(1e6));
    assert_eq!(s.population.follow_up_days, 400.0);
    assert_eq!(s.n, 12);
    assert_eq!(s.seed, 7);
}

#[test]
fn two_variable_sweeps_cover_the_grid() {
    let s = parse(&format!(
        r#"{BASE}
[sweep.x]
key = "fludarabine_mg_per_m2"
values = [0, 15, 30]
[sweep.y]
key = "set.L0"
values = [1e9, 1e11]
"#
    ))
    .unwrap();
    assert_eq!(s.arms.len(), 6);
    assert_eq!(s.arms[1].grid, Some((0, Some(1))));
    assert_eq!(s.arms[1].model.get("L0"), Some(1e11));
    assert_eq!(s.arms[1].settings.fludarabine_mg_per_m2, Some(0.0));
    assert_eq!(s.arms[5].settings.fludarabine_mg_per_m2, Some(30.0));
}

/// Every error names the file, the line, the arm (when in an arm) and the key.
#[test]
fn bad_files_name_file_line_arm_and_key() {
    let cases: [(&str, &[&str]); 14] = [
        (
            "[[arm]]\nname = \"A\"\ndose = 3\n",
            &["s.toml:11", "arm \"A\"", "unknown field `dose`"],
        ),
        (
            "[[arm]]\nname = \"A\"\nset = { L0 = -5.0 }\n",
            &["s.toml:11", "arm \"A\"", "set.L0", "bounds"],
        ),
        (
            "[[arm]]\nname = \"A\"\nset = { nope = 1.0 }\n",
            &["s.toml:11", "arm \"A\"", "set.nope", "unknown parameter"],
        ),
        (
            "[[arm]]\nname = \"A\"\ndose_per_kg = -1\n",
            &["s.toml:11", "arm \"A\"", "dose_per_kg", "expected a dose"],
        ),
        (
            "[[arm]]\nname = \"A\"\ndose_per_kg = 1e6\ndose_cells = 1e8\n",
            &["s.toml:12", "dose_cells", "not both"],
        ),
        (
            "[[arm]]\nname = \"A\"\nregimen = \"bogus\"\n",
            &["s.toml:11", "arm \"A\"", "regimen", "bogus"],
        ),
        (
            "[sweep.x]\nkey = \"dose\"\nvalues = [1]\n",
            &["s.toml:10", "sweep.x.key", "dose_per_kg"],
        ),
        (
            "[sweep.x]\nkey = \"dose_cells\"\nfrom = 1e5\nto = 1e9\npoints = 1\nscale = \"log\"\n",
            &["sweep.x.points", "[2, 100]"],
        ),
        ("", &["s.toml:1", "at least one [[arm]] or a [sweep]"]),
        (
            "[sweep.x]\nkey = \"set.nope\"\nvalues = [1.0]\n",
            &["s.toml:10", "set.nope", "unknown parameter"],
        ),
        (
            "[sweep.x]\nkey = \"set.L0\"\nvalues = [0.0, 1e9]\nscale = \"log\"\n",
            &["sweep.x.values", "positive values on a log scale"],
        ),
        (
            "[sweep.x]\nkey = \"dose_cells\"\nvalues = [1e7, 1e7]\n",
            &["sweep.x.values", "distinct"],
        ),
        (
            "[sweep.x]\nkey = \"dose_cells\"\nvalues = [1e7]\n[sweep.y]\nkey = \"dose_per_kg\"\nvalues = [1e6]\n",
            &["sweep.y.key", "sets the same dose"],
        ),
        (
            "[[arm]]\nname = \"A\"\nfludarabine_mg_per_m2 = 30\nfludarabine_target_auc = 20\n",
            &["s.toml:12", "fludarabine_target_auc", "not both"],
        ),
    ];
    for (tail, wanted) in cases {
        let err = parse(&format!("{BASE}{tail}")).unwrap_err();
        for w in wanted {
            assert!(err.contains(w), "{tail:?}: {err:?} lacks {w:?}");
        }
    }
    let err = parse("[scenario]\nname = \"t\"\nmodel = \"no_such_model\"\n[[arm]]\nname = \"a\"\n")
        .unwrap_err();
    assert!(
        err.contains("s.toml:3") && err.contains("scenario.model"),
        "{err}"
    );
    let err = parse(&format!(
        "{BASE}[[arm]]\nname = \"A\"\n[[arm]]\nname = \"A\"\n"
    ))
    .unwrap_err();
    assert!(err.contains("unique"), "{err}");
}

/// Arms that differ only in dose share every other draw: covariates, between-patient
/// deviations, event times.
#[test]
fn arms_share_their_patients() {
    let s = parse(&format!(
        "{BASE}[[arm]]\nname = \"low\"\ndose_per_kg = 2e5\n[[arm]]\nname = \"high\"\ndose_cells = 1e8\n"
    ))
    .unwrap();
    let results = scenario::simulate_arms(&s, 12, options(), &|| {});
    let (low, high) = (&results[0], &results[1]);
    for (a, b) in low.iter().zip(high) {
        assert_eq!(a.parameters, b.parameters);
        assert_eq!(a.weight_kg, b.weight_kg);
        assert_eq!(a.egfr, b.egfr);
        assert!((a.dose_cells.unwrap() - 2e5 * a.weight_kg).abs() < 1e-6 * a.dose_cells.unwrap());
        assert_eq!(b.dose_cells, Some(1e8));
    }
    // the doses differ, so the outcomes do
    assert!(
        low.iter()
            .zip(high)
            .any(|(a, b)| a.record.value(Var::Cmax) != b.record.value(Var::Cmax))
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let s = parse(&format!(
        "{BASE}[sweep.x]\nkey = \"dose_per_kg\"\nvalues = [1e6, 3e6]\n"
    ))
    .unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| scenario::simulate_arms(&s, 12, options(), &|| {}))
    };
    assert_eq!(run(1), run(2));
    let summaries = scenario::summarize(&s, &run(2));
    let csv = String::from_utf8(scenario::report::csv(&s, &summaries).unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("arm,dose_per_kg,n,not_evaluable,remission,remission_lo,remission_hi"));
    let md = scenario::report::markdown(&s, &summaries);
    assert!(md.contains("| dose_per_kg=1e6 |"), "{md}");
}

/// A dose or fludarabine setting given at a more specific level replaces the other form of
/// it from the defaults, so what the table says is what the patients got.
#[test]
fn exclusive_settings_follow_the_most_specific_level() {
    let s = parse(&format!(
        "{BASE}[defaults]\ndose_per_kg = 1e6\nfludarabine_target_auc = 20\n[[arm]]\nname = \"A\"\ndose_cells = 1e8\nfludarabine_mg_per_m2 = 25\n"
    ))
    .unwrap();
    let a = &s.arms[0].settings;
    assert_eq!((a.dose_per_kg, a.dose_cells), (None, Some(1e8)));
    assert_eq!(
        (a.fludarabine_mg_per_m2, a.fludarabine_target_auc),
        (Some(25.0), None)
    );
    let results = scenario::simulate_arms(&s, 4, options(), &|| {});
    assert!(results[0].iter().all(|p| p.dose_cells == Some(1e8)));
}

/// An arm without responders has no RFS: the table says so instead of 100%.
#[test]
fn no_responders_means_no_rfs() {
    let s = parse(&format!(
        "{BASE}[[arm]]\nname = \"tiny\"\nregimen = \"none\"\ndose_cells = 1.0\nset = {{ rho_E = 1e-3, gamma = 0.5 }}\n"
    ))
    .unwrap();
    let results = scenario::simulate_arms(&s, 8, options(), &|| {});
    let arms = scenario::summarize(&s, &results);
    assert_eq!(arms[0].summary.count(Endpoint::Responders), 0);
    assert!(
        arms[0]
            .summary
            .curve(Endpoint::Rfs)
            .iter()
            .all(|p| p.survival.is_nan())
    );
    let csv = String::from_utf8(scenario::report::csv(&s, &arms).unwrap()).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        !row.contains("NaN") && !row.contains("1.000000,1.000000,1.000000"),
        "{row}"
    );
    let md = scenario::report::markdown(&s, &arms);
    assert!(
        !md.contains("NaN") && !md.contains("100.0% [100.0, 100.0]"),
        "{md}"
    );
}
