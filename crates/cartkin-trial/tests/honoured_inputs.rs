//! Inputs of populations, targets and scenarios are honoured as written or refused with their
//! file and line (issue #11): truncated draws, duplicates, overrides that would never act.

use std::path::Path;

use cartkin_core::model::{self, Model};
use cartkin_trial::endpoint::months as summary;
use cartkin_trial::scenario;
use cartkin_trial::vpop::Sampler;
use cartkin_trial::vpop::spec::{self, PopulationSpec};
use cartkin_trial::vpop::targets::Targets;

fn model(name: &str) -> Model {
    Model::load(&model::resolve(name).expect("bundled")).expect("valid")
}

/// A population table for `cart_all` with these lines added.
fn population(extra: &str) -> Result<PopulationSpec, String> {
    let m = model("cart_all");
    spec::parse_file(
        Path::new("p.toml"),
        &format!("[population]\nn = 10\n{extra}"),
        m.spec(),
    )
    .map_err(|e| e.to_string())
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn covariates_are_drawn_from_the_truncated_distribution() {
    let m = model("cart_all");
    let p = population(
        "[population.covariates]\nage_years = { distribution = \"normal\", mean = 5.0, sd = 5.0 }\n\
         weight_kg = { distribution = \"lognormal\", median = 30.0, cv = 0.6, lower = 100.0, upper = 110.0 }\n",
    )
    .expect("valid");
    let sampler = Sampler::new(&p, &m);
    sampler.check().expect("drawable");
    let n = 20_000;
    let draws: Vec<_> = (0..n)
        .map(|i| sampler.patient(3, i).expect("a patient"))
        .collect();
    let ages: Vec<f64> = draws.iter().map(|d| d.patient.age_years).collect();
    let weights: Vec<f64> = draws.iter().map(|d| d.patient.weight_kg).collect();
    // normal(5, 5) truncated below at 0 (α = −1): mean 5 + 5·φ(1)/Φ(1) = 6.4377,
    // SD 5·√(1 − α·λ − λ²) with λ = φ(1)/Φ(1) = 0.28760: 3.9107. 20,000 draws: SE of the mean
    // 0.028; bounds at 4 SE (0.11) and, for the SD, 0.1
    let (mean, sd) = mean_sd(&ages);
    assert!((mean - 6.4377).abs() < 0.11, "mean {mean}");
    assert!((sd - 3.9107).abs() < 0.1, "sd {sd}");
    assert!(ages.iter().all(|a| *a >= 0.0));
    // a lognormal truncated far into its upper tail stays inside and is not clamped
    assert!(weights.iter().all(|w| (100.0..=110.0).contains(w)));
    let at_bound = weights
        .iter()
        .filter(|w| **w == 100.0 || **w == 110.0)
        .count();
    assert_eq!(at_bound, 0, "no point mass at a bound");
    // the tail is falling: more draws near 100 kg than near 110 kg
    let low = weights.iter().filter(|w| **w < 105.0).count();
    assert!(low > n / 2, "{low}");
}

#[test]
fn parameters_are_drawn_from_the_truncated_lognormal_without_point_masses() {
    let mut m = model("cart_all_eliana");
    let path = model::resolve("cart_all_eliana").unwrap();
    let p = spec::load(&path, m.spec()).expect("population");
    let k = p
        .parameters
        .iter()
        .position(|v| v.name == "gamma")
        .expect("gamma varies");
    let bound = m.spec().parameters[p.parameters[k].index].upper;
    // a typical value near the bound (whatever the calibration chose), so that a good share
    // of the stated distribution lies beyond it
    let omega = match p.parameters[k].spread {
        spec::Spread::Lognormal { omega } => omega,
        _ => panic!("gamma is log-normal"),
    };
    m.set("gamma", bound * (-0.8 * omega).exp())
        .expect("within bounds");
    let sampler = Sampler::new(&p, &m);
    let n = 5_000;
    let gammas: Vec<f64> = (0..n)
        .map(|i| sampler.patient(11, i).expect("a patient").values[p.parameters[k].index])
        .collect();
    assert!(
        gammas.iter().all(|g| *g < bound),
        "a draw at the bound {bound}"
    );
    // the truncated distribution's median is that of the untruncated one conditioned on
    // lying below the bound: Φ⁻¹(0.5·Φ(b)) in z, a bit below the typical value
    let typical = m.get("gamma").unwrap();
    let mut sorted = gammas.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[n / 2];
    assert!(
        median < typical && median > 0.6 * typical,
        "median {median}, typical {typical}"
    );
    let share = sampler
        .truncation()
        .into_iter()
        .find(|t| t.draw == "parameter gamma")
        .expect("reported")
        .share_outside_bounds;
    // 1 − Φ(0.8) = 0.21
    assert!((share - 0.2119).abs() < 0.01, "{share}");
}

#[test]
fn correlated_parameters_are_drawn_inside_their_bounds_together() {
    let m = model("cart_all");
    let p = population(
        "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\nomega2 = 1.0\n\
         [[population.parameters]]\nname = \"rho_E\"\ndistribution = \"lognormal\"\nomega2 = 2.0\n\
         [population.correlations]\n\"gamma,rho_E\" = 0.6\n",
    )
    .expect("valid");
    let sampler = Sampler::new(&p, &m);
    sampler.check().expect("drawable");
    let idx = |name: &str| m.spec().parameter_index(name).unwrap();
    let (g, r) = (idx("gamma"), idx("rho_E"));
    let draws: Vec<(f64, f64)> = (0..4000)
        .map(|i| {
            let v = sampler.patient(1, i).expect("a patient").values;
            (v[g], v[r])
        })
        .collect();
    let (gu, ru) = (m.spec().parameters[g].upper, m.spec().parameters[r].upper);
    assert!(draws.iter().all(|(a, b)| *a < gu && *b < ru));
    // the correlation of the log values survives the truncation (0.6 before; a little less
    // after cutting the upper tails): between 0.4 and 0.7
    let lg: Vec<f64> = draws.iter().map(|d| d.0.ln()).collect();
    let lr: Vec<f64> = draws.iter().map(|d| d.1.ln()).collect();
    let (mg, sg) = mean_sd(&lg);
    let (mr, sr) = mean_sd(&lr);
    let cov = lg
        .iter()
        .zip(&lr)
        .map(|(a, b)| (a - mg) * (b - mr))
        .sum::<f64>()
        / (lg.len() as f64 - 1.0);
    let rho = cov / (sg * sr);
    assert!((0.4..0.7).contains(&rho), "correlation {rho}");
    // same seed, same patients
    assert_eq!(
        sampler.patient(1, 17).unwrap().values,
        sampler.patient(1, 17).unwrap().values
    );
}

#[test]
fn a_parameter_listed_twice_in_a_population_is_refused() {
    let err = population(
        "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\ncv = 0.3\n\
         [[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\ncv = 0.5\n",
    )
    .expect_err("refused");
    assert!(err.contains("p.toml:7") && err.contains("twice"), "{err}");
}

#[test]
fn population_draws_that_cannot_honour_their_bounds_are_refused() {
    for (extra, what) in [
        (
            "[population.covariates]\nweight_kg = { distribution = \"lognormal\", median = 30.0, cv = 0.01, lower = 100.0, upper = 110.0 }\n",
            "empty truncation interval",
        ),
        (
            "[population.covariates]\nage_years = { distribution = \"uniform\", lower = 3.0, upper = 200.0 }\n",
            "valid range",
        ),
        (
            "[population.covariates]\negfr = { distribution = \"fixed\", value = 0.0 }\n",
            "valid range",
        ),
        (
            "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\nomega2 = -1.0\n",
            "omega2",
        ),
        (
            "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"uniform\"\nlower = 0.5\nupper = 500.0\n",
            "within the parameter's bounds",
        ),
        (
            "[population.dose]\nper_kg = { distribution = \"lognormal\", median = 3e6, cv = 0.3, upper = 1e11 }\n",
            "valid range",
        ),
    ] {
        let err = population(extra).expect_err(what);
        assert!(
            err.contains("p.toml:") && err.contains(what),
            "{what}: {err}"
        );
    }
    // an empty interval for a parameter, where only the typical value makes it empty: the
    // sampler refuses it before any patient is drawn
    let m = model("cart_all");
    let p = population(
        "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"normal\"\nsd = 1e-9\n",
    )
    .expect("valid file");
    let mut far = m.clone();
    far.set(
        "gamma",
        m.spec().parameters[m.spec().parameter_index("gamma").unwrap()].upper,
    )
    .unwrap();
    assert!(Sampler::new(&p, &m).check().is_ok());
}

#[test]
fn a_population_file_without_its_table_or_with_an_unknown_one_is_refused() {
    let m = model("cart_all");
    for (text, what) in [
        ("", "expected a [population] table"),
        ("[populaton]\nn = 3\n", "unknown field `populaton`"),
        (
            "[population]\nn = 3\n[extra]\nx = 1\n",
            "unknown field `extra`",
        ),
        (
            "[population]\nn = 3\nfollow_up = 30\n",
            "unknown field `follow_up`",
        ),
    ] {
        let err = spec::parse_file(Path::new("p.toml"), text, m.spec())
            .expect_err(what)
            .to_string();
        assert!(err.contains("p.toml:") && err.contains(what), "{err}");
    }
    // a model file's own table is optional (defaults), and its model tables are allowed
    let path = model::resolve("cart_all").unwrap();
    let text = cartkin_core::bundled::read_to_string(&path).unwrap();
    spec::parse(&path, &text, m.spec()).expect("the model file's population");
}

#[test]
fn a_population_written_back_reads_as_the_same_population() {
    for name in ["cart_all_eliana", "cart_all_zuma3", "cart_dual_eliana"] {
        let m = model(name);
        let path = model::resolve(name).unwrap();
        let p = spec::load(&path, m.spec()).expect("population");
        let again = spec::parse_file(Path::new("w.toml"), &p.to_toml(), m.spec())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", p.to_toml()));
        assert_eq!(again, p, "{name}");
    }
    // strings are written as TOML escapes them (Rust's `{:?}` writes `\u{1}`, which TOML refuses)
    let m = model("cart_all");
    let p = spec::parse_file(
        Path::new("p.toml"),
        "[population]\nregimen = \"x\\u0001y \\\"é\\\"\"\n",
        m.spec(),
    )
    .expect("valid");
    assert_eq!(p.regimen, "x\u{1}y \"é\"");
    let again = spec::parse_file(Path::new("w.toml"), &p.to_toml(), m.spec()).expect("round trip");
    assert_eq!(again, p);
}

#[test]
fn months_outside_the_follow_up_are_refused_by_one_rule() {
    assert!(summary::check_months(&[6.0, 12.0, 60.0], 1825.0).is_ok());
    assert!(summary::check_months(&[61.0], 1825.0).is_err());
    assert!(summary::check_months(&[0.0], 1825.0).is_err());
    assert!(summary::check_months(&[f64::NAN], 1825.0).is_err());
    assert_eq!(summary::default_months(400.0), vec![6.0, 12.0]);
    assert!(summary::default_months(30.0).is_empty());
}

#[test]
fn targets_are_checked_with_their_line() {
    let good = cartkin_core::bundled::read_to_string(
        &cartkin_core::bundled::path(cartkin_core::bundled::Kind::Targets, "eliana").unwrap(),
    )
    .unwrap();
    Targets::parse(Path::new("t.toml"), &good).expect("valid");
    let line = |needle: &str| good[..good.find(needle).unwrap()].matches('\n').count() + 1;
    for (from, to, what) in [
        ("value = 0.82", "value = 1.82", "remission.value"),
        (
            "ci95 = [0.72, 0.90]",
            "ci95 = [0.90, 0.72]",
            "remission.ci95",
        ),
        ("n = 79\nci95", "n = 0\nci95", "remission.n"),
        (
            "tolerance = 0.03",
            "tolerance = -0.03",
            "remission.tolerance",
        ),
        ("month = 12", "month = 6", "month 6 given twice"),
        ("month = 6", "month = -6", "rfs.month"),
    ] {
        let err = Targets::parse(Path::new("t.toml"), &good.replacen(from, to, 1))
            .expect_err(what)
            .to_string();
        assert!(
            err.contains("t.toml:") && err.contains(what),
            "{what}: {err}"
        );
    }
    let err = Targets::parse(
        Path::new("t.toml"),
        &good.replacen("value = 0.82", "value = 1.82", 1),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!("t.toml:{}", line("value = 0.82"))),
        "{err}"
    );
    let err = Targets::parse(Path::new("t.toml"), &format!("{good}\nunknown = 1\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field"), "{err}");
    let t = Targets::parse(Path::new("t.toml"), &good).unwrap();
    assert!(t.check_follow_up(1825.0).is_ok());
    assert!(t.check_follow_up(300.0).is_err());
    assert!(t.check_follow_up(60.0).is_err());
}

const SCENARIO: &str = r#"
[scenario]
name = "t"
model = "cart_all_eliana"
n = 4
seed = 7
follow_up_days = 400
rfs_months = [6, 12]
"#;

#[test]
fn an_arm_value_a_sweep_replaces_at_every_point_is_refused() {
    let sweep = "[sweep.x]\nkey = \"dose_per_kg\"\nvalues = [1e6, 3e6]\n";
    for (arm, key) in [
        ("dose_per_kg = 2e6", "dose_per_kg"),
        ("dose_cells = 5e7", "dose_cells"),
    ] {
        let text = format!("{SCENARIO}\n[[arm]]\nname = \"A\"\n{arm}\n\n{sweep}");
        let err = scenario::parse(Path::new("s.toml"), &text)
            .expect_err(key)
            .to_string();
        let line = text[..text.find(arm).unwrap()].matches('\n').count() + 1;
        assert!(
            err.contains(&format!("s.toml:{line}"))
                && err.contains(key)
                && err.contains("never be used"),
            "{err}"
        );
    }
    let text = format!(
        "{SCENARIO}\n[defaults]\nset = {{ L0 = 1e9 }}\n[[arm]]\nname = \"A\"\n\n[sweep.x]\nkey = \"set.L0\"\nvalues = [1e8, 1e10]\n"
    );
    let err = scenario::parse(Path::new("s.toml"), &text)
        .expect_err("set")
        .to_string();
    assert!(
        err.contains("set.L0") && err.contains("never be used"),
        "{err}"
    );
    // an arm that sets other keys sweeps fine
    let text = format!("{SCENARIO}\n[[arm]]\nname = \"A\"\nregimen = \"none\"\n\n{sweep}");
    assert_eq!(
        scenario::parse(Path::new("s.toml"), &text)
            .expect("valid")
            .arms
            .len(),
        2
    );
}

#[test]
fn a_scenario_population_file_must_hold_a_population_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pop.toml"), "[populaton]\nn = 3\n").unwrap();
    let text = format!("{SCENARIO}population = \"pop.toml\"\n[[arm]]\nname = \"A\"\n");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let err = scenario::load(&path).expect_err("refused").to_string();
    assert!(
        err.contains("scenario.population") && err.contains("populaton"),
        "{err}"
    );
    // a bundled population by name
    let text = format!("{SCENARIO}population = \"zuma3_adults\"\n[[arm]]\nname = \"A\"\n")
        .replace("cart_all_eliana", "cart_all_zuma3");
    std::fs::write(&path, &text).unwrap();
    let s = scenario::load(&path).expect("valid");
    assert_eq!(s.population.regimen, "zuma3");
}

#[test]
fn population_settings_are_refused_at_their_own_line() {
    let m = model("cart_all");
    for (text, line, what) in [
        ("[population]\nn = 0\n", 2, "population.n"),
        (
            "[population]\nn = 5\nfollow_up_days = -3\n",
            3,
            "follow_up_days",
        ),
        (
            "[population]\nn = 5\n\ndropout_per_year = -0.1\n",
            4,
            "dropout_per_year",
        ),
    ] {
        let err = spec::parse_file(Path::new("p.toml"), text, m.spec())
            .expect_err(what)
            .to_string();
        assert!(
            err.contains(&format!("p.toml:{line}")) && err.contains(what),
            "{err}"
        );
    }
}

#[test]
fn spread_keys_the_distribution_does_not_use_are_refused() {
    for (extra, what) in [
        (
            "name = \"gamma\"\ndistribution = \"lognormal\"\ncv = 0.5\nlower = 5.0\nupper = 6.0\n",
            "lower does not apply",
        ),
        (
            "name = \"gamma\"\ndistribution = \"lognormal\"\ncv = 0.5\nsd = 3.0\n",
            "sd does not apply",
        ),
        (
            "name = \"gamma\"\ndistribution = \"normal\"\nsd = 3.0\ncv = 0.5\n",
            "cv does not apply",
        ),
    ] {
        let err = population(&format!("[[population.parameters]]\n{extra}")).expect_err(what);
        assert!(err.contains("p.toml:") && err.contains(what), "{err}");
    }
}

#[test]
fn a_correlation_pair_given_twice_is_refused() {
    let err = population(
        "[[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\ncv = 0.5\n\
         [[population.parameters]]\nname = \"rho_E\"\ndistribution = \"lognormal\"\ncv = 0.5\n\
         [population.correlations]\n\"rho_E,gamma\" = 0.9\n\"gamma,rho_E\" = -0.9\n",
    )
    .expect_err("refused");
    assert!(err.contains("already given"), "{err}");
}

#[test]
fn draws_a_model_cannot_take_are_refused_before_any_patient() {
    // a dose rule on a model without a CAR-T route
    let m = model("fludarabine_langenhorst_2019");
    let p = spec::parse_file(
        Path::new("p.toml"),
        "[population]\nn = 5\n[population.dose]\nflat = { distribution = \"fixed\", value = 1e8 }\n",
        m.spec(),
    )
    .expect("a valid table");
    let err = Sampler::new(&p, &m).check().expect_err("refused");
    assert!(err.contains("no CAR-T route"), "{err}");
    // a logit-normal spread on bounds that leave no room
    let text = cartkin_core::bundled::read_to_string(&model::resolve("cart_all").unwrap()).unwrap();
    let at = text.find("name = \"K_E\"").expect("K_E");
    let block_end = at + text[at..].find("[[parameters]]").unwrap();
    let block = &text[at..block_end];
    let value = block
        .lines()
        .find(|l| l.starts_with("value"))
        .and_then(|l| l.split('=').nth(1))
        .unwrap()
        .trim()
        .to_string();
    let narrowed = block
        .lines()
        .map(|l| {
            if l.starts_with("lower") {
                format!("lower = {value}")
            } else if l.starts_with("upper") {
                format!("upper = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let fixed = Model::from_spec(
        cartkin_core::model::file::parse(Path::new("m.toml"), &text.replacen(block, &narrowed, 1))
            .expect("a valid model"),
    )
    .expect("model");
    let p = spec::parse_file(
        Path::new("p.toml"),
        "[population]\nn = 5\n[[population.parameters]]\nname = \"K_E\"\ndistribution = \"logitnormal\"\nomega2 = 0.5\n",
        fixed.spec(),
    )
    .expect("a valid table");
    let err = Sampler::new(&p, &fixed).check().expect_err("refused");
    assert!(err.contains("lower < upper"), "{err}");
}

#[test]
fn the_car_t_cap_counts_every_infusion_of_the_regimen() {
    let p = population("[population.dose]\nflat = { distribution = \"fixed\", value = 2e11 }\n")
        .expect("valid");
    assert!(p.check_dose_cap(35.0, 1.0).is_ok());
    let err = p.check_dose_cap(35.0, 10.0).expect_err("2e12 cells");
    assert!(
        err.contains("population.dose") && err.contains("1e12"),
        "{err}"
    );
    // per kg: the heaviest patient the covariates allow
    let p = population(
        "[population.covariates]\nweight_kg = { distribution = \"uniform\", lower = 20.0, upper = 200.0 }\n\
         [population.dose]\nper_kg = { distribution = \"fixed\", value = 1e9 }\n",
    )
    .expect("valid");
    assert!((p.max_dose_cells(35.0).unwrap() - 2e11).abs() < 1.0);
    assert!(p.check_dose_cap(35.0, 6.0).is_err());
}

#[test]
fn targets_a_model_cannot_report_are_refused() {
    let t = Targets::load(
        &cartkin_core::bundled::path(cartkin_core::bundled::Kind::Targets, "eliana").unwrap(),
    )
    .unwrap();
    assert!(t.check_model(model("cart_all_eliana").spec()).is_ok());
    let err = t
        .check_model(model("stein_2019").spec())
        .expect_err("refused");
    assert!(err.contains("remission") && err.contains("CRS"), "{err}");
}

#[test]
fn a_scenario_without_a_response_has_no_rfs_months_and_its_table_stays_rectangular() {
    let text = r#"
[scenario]
name = "pk"
model = "stein_2019"
n = 3
seed = 1
[[arm]]
name = "A"
[[arm]]
name = "B"
set = { Cmax = 30000 }
"#;
    let s = scenario::parse(Path::new("s.toml"), text).expect("valid");
    assert!(s.rfs_months.is_empty());
    let results = scenario::simulate_arms(&s, 3, Default::default(), &|| {});
    let arms = scenario::summarize(&s, &results);
    let csv = scenario::report::csv(&s, &arms).expect("a table");
    let text = String::from_utf8(csv).unwrap();
    let widths: Vec<usize> = text.lines().map(|l| l.split(',').count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
    // asking for RFS months of such a model is refused at its line
    let err = scenario::parse(Path::new("s.toml"), &text_with_months())
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("s.toml:8") && err.contains("not assessed"),
        "{err}"
    );
}

fn text_with_months() -> String {
    "\n[scenario]\nname = \"pk\"\nmodel = \"stein_2019\"\nn = 3\nseed = 1\nfollow_up_days = 365\nrfs_months = [6]\n[[arm]]\nname = \"A\"\n"
        .to_string()
}

/// A model file declares between-patient variability once, in its parameters: a
/// `[[population.parameters]]` table in a model file is refused at its line (a population file
/// of its own may re-spread parameters).
#[test]
fn variability_is_declared_once_in_a_model_file() {
    let m = model("cart_all");
    let text = "[model]\nname = \"x\"\nextends = \"cart_all\"\n\n[population]\nn = 5\n\n\
                [[population.parameters]]\nname = \"gamma\"\ndistribution = \"lognormal\"\nomega2 = 1.0\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.toml");
    let err = spec::parse(&path, text, m.spec())
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("x.toml:8") && err.contains("declares between-patient variability once"),
        "{err}"
    );
    let standalone = text.split("[population]").nth(1).expect("population");
    spec::parse_file(
        Path::new("p.toml"),
        &format!("[population]{standalone}"),
        m.spec(),
    )
    .expect("a population file may re-spread parameters");
}

/// A model that extends another inherits its population; the keys it gives replace the
/// base's, key by key.
#[test]
fn a_population_is_inherited_through_extends() {
    let path = cartkin_core::model::resolve("cart_all_eliana").expect("bundled");
    let eliana = model("cart_all_eliana");
    let base = model("cart_all");
    let inherited = spec::load(&path, eliana.spec()).expect("population");
    let own = spec::load(
        &cartkin_core::model::resolve("cart_all").expect("bundled"),
        base.spec(),
    )
    .expect("population");
    assert_eq!(inherited.covariates, own.covariates);
    assert_eq!(inherited.dose, own.dose);
    assert_eq!(inherited.calibrate, own.calibrate);
    // with the ELIANA-calibrated ω of gamma, declared in cart_all_eliana's parameters
    let gamma = |s: &PopulationSpec| {
        s.parameters
            .iter()
            .find(|p| p.name == "gamma")
            .map(|p| p.spread)
    };
    assert_ne!(gamma(&inherited), gamma(&own));
    let zuma = spec::load(
        &cartkin_core::model::resolve("cart_all_zuma3").expect("bundled"),
        model("cart_all_zuma3").spec(),
    )
    .expect("population");
    assert_eq!(zuma.regimen, "zuma3");
    assert_eq!(zuma.n, own.n, "n is inherited");
    assert!(zuma.dose != own.dose, "the dose table is replaced whole");
}

#[test]
fn a_model_file_that_extends_another_read_as_a_population_file_keeps_its_chain() {
    // cart_all_zuma3's [population] lists its trial's differences; n, seed and follow-up are
    // cart_all's (through cart_all_eliana), and must not fall back to built-in defaults
    let zuma3 = model("cart_all_zuma3");
    let path = model::resolve("cart_all_zuma3").expect("bundled");
    let as_file = spec::load_file(&path, zuma3.spec()).unwrap_or_else(|e| panic!("{e}"));
    let own = spec::load(&path, zuma3.spec()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(as_file, own);
    assert_eq!(as_file.n, 2000);
}

/// A model file's `uniform` spread spans the parameter's bounds: cart_all's escape quantile
/// `q_neg` is U(0, 1) (so `−ln q_neg` is an Exp(1) threshold), not a spread around its typical
/// value 0.5.
#[test]
fn a_uniform_spread_in_a_model_file_spans_the_parameter_bounds() {
    let m = model("cart_all");
    let p = population("").expect("valid");
    let sampler = Sampler::new(&p, &m);
    sampler.check().expect("drawable");
    let k = m
        .spec()
        .parameters
        .iter()
        .position(|p| p.name == "q_neg")
        .expect("q_neg");
    let n = 20_000;
    let q: Vec<f64> = (0..n)
        .map(|i| sampler.patient(5, i).expect("a patient").values[k])
        .collect();
    assert!(q.iter().all(|x| (0.0..1.0).contains(x)));
    // U(0, 1): mean 1/2 and SD 1/√12 = 0.2887; 20,000 draws give SE 0.002 on the mean;
    // bounds at 5 SE. The exponential threshold −ln q has mean 1 (SE 0.007; bound 0.035).
    let (mean, sd) = mean_sd(&q);
    assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    assert!((sd - 0.2887).abs() < 0.01, "sd {sd}");
    let thresholds: Vec<f64> = q.iter().map(|x| -x.ln()).collect();
    let (t_mean, _) = mean_sd(&thresholds);
    assert!((t_mean - 1.0).abs() < 0.035, "mean threshold {t_mean}");
}

/// An arm that sets the typical value of a uniformly spread parameter would change no patient:
/// refused at the arm, naming `set.q_neg`.
#[test]
fn an_arm_cannot_set_a_uniformly_spread_parameter() {
    let text = format!("{SCENARIO}\n[[arm]]\nname = \"A\"\nset = {{ q_neg = 0.5 }}\n");
    let err = scenario::parse(Path::new("s.toml"), &text)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("set.q_neg") && err.contains("uniformly"),
        "{err}"
    );
    // the same arm setting a log-normal parameter is honoured
    let text = format!("{SCENARIO}\n[[arm]]\nname = \"A\"\nset = {{ gamma = 5.0 }}\n");
    assert_eq!(
        scenario::parse(Path::new("s.toml"), &text)
            .expect("valid")
            .arms
            .len(),
        1
    );
}
