//! Inputs of the core library are honoured as written or refused with their file, line and
//! field (issue #11): initial values, variability, regimens, dose routes, plausibility.

mod common;

use std::path::Path;

use cartkin_core::bundled;
use cartkin_core::model::{Model, file};
use cartkin_core::regimen::{self, Dose, DoseKind};
use cartkin_core::simulate::{Request, simulate};
use common::{child, load};

const STEIN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/stein_2019.toml"
));

fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    text[..at].matches('\n').count() + 1
}

fn refused(text: &str, parts: &[&str]) {
    let err = file::parse(Path::new("m.toml"), text)
        .expect_err("refused")
        .to_string();
    for part in parts {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
}

#[test]
fn a_state_initial_value_is_the_expression_in_the_model_file() {
    // Stein's E starts at Cmax/foldx; written as 2·Cmax/foldx it starts twice as high
    let base = load("stein_2019");
    let doubled = Model::from_spec(
        file::parse(
            Path::new("m.toml"),
            &STEIN.replacen(
                "initial = \"Cmax/foldx\"",
                "initial = \"2 * Cmax / foldx\"",
                1,
            ),
        )
        .expect("valid"),
    )
    .expect("model");
    let mut a = [0.0; 2];
    let mut b = [0.0; 2];
    base.initial_state(&child(), &mut a);
    doubled.initial_state(&child(), &mut b);
    let expected = base.get("Cmax").unwrap() / base.get("foldx").unwrap();
    assert!((a[0] / expected - 1.0).abs() < 1e-15, "{}", a[0]);
    assert!((b[0] / a[0] - 2.0).abs() < 1e-15);
    // and the simulation starts from it
    let regimen = regimen::resolve("none").unwrap();
    let sim = |m: &Model| {
        simulate(&Request::with_regimen(
            m,
            child(),
            &regimen,
            None,
            5.0,
            Default::default(),
        ))
        .expect("runs")
    };
    let (sa, sb) = (sim(&base), sim(&doubled));
    let mut x = [0.0; 64];
    let mut y = [0.0; 64];
    assert!(sa.columns_at(3.0, &mut x) && sb.columns_at(3.0, &mut y));
    assert!((y[0] / x[0] - 2.0).abs() < 1e-6, "{} vs {}", y[0], x[0]);
}

#[test]
fn the_bundled_models_initial_values_are_those_the_equations_document() {
    // cart_all: Lp = (1 − f_neg)·L0, Ln = f_neg·L0, B = B0, N = N0, IL6 = IL6_0, the rest 0
    let m = load("cart_all");
    let mut x = [f64::NAN; 12];
    m.initial_state(&child(), &mut x);
    let g = |n: &str| m.get(n).unwrap();
    let expected = [
        0.0,
        0.0,
        (1.0 - g("f_neg")) * g("L0"),
        g("f_neg") * g("L0"),
        g("B0"),
        g("N0"),
        g("IL6_0"),
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ];
    for (k, (a, b)) in x.iter().zip(expected).enumerate() {
        assert!((a - b).abs() <= 1e-15 * b.abs(), "state {k}: {a} vs {b}");
    }
}

#[test]
fn an_initial_value_that_is_not_an_expression_of_the_parameters_is_refused_at_its_line() {
    let line = line_of(STEIN, "initial = \"Cmax/foldx\"");
    for (to, what) in [
        ("initial = \"Cmax/foldx, then the dose\"", "unexpected `,`"),
        ("initial = \"Cmax * dose\"", "unknown name `dose`"),
        ("initial = \"-Cmax\"", "non-negative"),
        ("initial = \"Cmax / 0\"", "finite"),
    ] {
        refused(
            &STEIN.replacen("initial = \"Cmax/foldx\"", to, 1),
            &[&format!("m.toml:{line}"), "initial", what],
        );
    }
}

#[test]
fn variability_needs_exactly_one_non_negative_omega2_or_cv() {
    let from = "variability = { distribution = \"lognormal\", omega2 = 0.86 }";
    let line = line_of(STEIN, from);
    for (to, what) in [
        (
            "variability = { distribution = \"lognormal\", omega2 = -0.86 }",
            "omega2",
        ),
        (
            "variability = { distribution = \"lognormal\", cv = -0.1 }",
            "cv",
        ),
        (
            "variability = { distribution = \"lognormal\", omega2 = 0.8, cv = 0.2 }",
            "both",
        ),
        ("variability = { distribution = \"lognormal\" }", "neither"),
        (
            "variability = { distribution = \"normal\", omega2 = 0.8 }",
            "lognormal, logitnormal or uniform",
        ),
    ] {
        refused(
            &STEIN.replacen(from, to, 1),
            &[&format!("m.toml:{line}"), what],
        );
    }
}

#[test]
fn plausibility_ceilings_must_be_positive_and_are_reported_when_passed() {
    let from = "plausible_max = 1.0e7";
    refused(
        &STEIN.replacen(from, "plausible_max = -1.0", 1),
        &[&format!("m.toml:{}", line_of(STEIN, from)), "plausible_max"],
    );
    // a ceiling of 1 copy/µg is passed at once by Stein's typical patient
    let low = Model::from_spec(
        file::parse(
            Path::new("m.toml"),
            &STEIN.replacen(from, "plausible_max = 1.0", 1),
        )
        .expect("valid"),
    )
    .expect("model");
    let regimen = regimen::resolve("none").unwrap();
    let sim = simulate(&Request::with_regimen(
        &low,
        child(),
        &regimen,
        None,
        30.0,
        Default::default(),
    ))
    .expect("runs");
    let o = cartkin_core::outcome::Outcomes::compute(&sim, low.spec());
    assert_eq!(o.implausible.len(), 1, "{:?}", o.implausible);
    assert_eq!(o.implausible[0].column, "E");
    // at the shipped ceilings the typical patient is plausible
    let sim = simulate(&Request::with_regimen(
        &load("stein_2019"),
        child(),
        &regimen,
        None,
        30.0,
        Default::default(),
    ))
    .expect("runs");
    assert!(
        cartkin_core::outcome::Outcomes::compute(&sim, load("stein_2019").spec())
            .implausible
            .is_empty()
    );
}

#[test]
fn every_model_file_is_bundled_and_reads_back_the_same() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"));
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("models/")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(String::from)
        })
        .collect();
    on_disk.sort();
    let mut bundled: Vec<String> = bundled::Kind::Model
        .names()
        .into_iter()
        .map(String::from)
        .collect();
    bundled.sort();
    assert_eq!(on_disk, bundled, "add new model files to bundled::MODELS");
    for name in bundled {
        let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).expect("file");
        let path = bundled::path(bundled::Kind::Model, &name).expect("bundled");
        assert_eq!(bundled::read_to_string(&path).expect("bundled text"), text);
        Model::load(&path).expect("a bundled model loads");
    }
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"));
    for (kind, folder, ext) in [
        (bundled::Kind::Targets, "", "toml"),
        (bundled::Kind::Population, "populations", "toml"),
        (bundled::Kind::Dataset, "", "csv"),
    ] {
        let mut files: Vec<String> = std::fs::read_dir(data.join(folder))
            .expect("data/")
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(&format!(".{ext}")).map(String::from)
            })
            // the held-out figures of `cartkin validate`, read from the source tree (with the
            // regimens in data/validation/), are not a targets file
            .filter(|name| !(kind == bundled::Kind::Targets && name == "validation"))
            .collect();
        files.sort();
        let mut names: Vec<String> = kind.names().into_iter().map(String::from).collect();
        names.sort();
        assert_eq!(files, names, "{kind:?}");
    }
}

#[test]
fn a_dose_its_route_cannot_take_is_refused_not_given_another_way() {
    let model = load("cart_all");
    let run = |doses: Vec<Dose>| {
        simulate(&Request {
            model: &model,
            patient: child(),
            doses,
            start: None,
            days: 30.0,
            options: Default::default(),
        })
    };
    let err = run(vec![Dose {
        time: 0.0,
        route: cartkin_core::model::Agent::CarT,
        amount: 1e8,
        kind: DoseKind::Infusion { duration: 10.0 },
    }])
    .expect_err("an infused CAR-T dose is refused")
    .to_string();
    assert!(err.contains("bolus") && err.contains("car_t"), "{err}");
    let err = run(vec![Dose {
        time: -3.0,
        route: cartkin_core::model::Agent::Fludarabine,
        amount: 36.0,
        kind: DoseKind::Bolus,
    }])
    .expect_err("a fludarabine bolus is refused")
    .to_string();
    assert!(
        err.contains("infusion") && err.contains("fludarabine"),
        "{err}"
    );
}

#[test]
fn regimens_are_bounded_and_infusions_of_one_drug_never_overlap() {
    let bad = |text: &str, parts: &[&str]| {
        let err = regimen::parse(Path::new("r.toml"), text)
            .expect_err("refused")
            .to_string();
        for part in parts {
            assert!(err.contains(part), "expected `{part}` in: {err}");
        }
    };
    // two [[drug]] entries of fludarabine on the same day
    let text = "name = \"x\"\n[[drug]]\ndrug = \"fludarabine\"\ndose_mg_per_m2 = 30.0\ndays = [-5.0]\ninfusion_hours = 1.0\n[[drug]]\ndrug = \"fludarabine\"\ndose_mg_per_m2 = 30.0\ndays = [-5.0]\ninfusion_hours = 1.0\n";
    let second_days = text[..text.rfind("days").unwrap()].matches('\n').count() + 1;
    bad(
        text,
        &[&format!("r.toml:{second_days}"), "drug.days", "overlap"],
    );
    // a second course of another drug on the same day is fine
    regimen::parse(
        Path::new("r.toml"),
        &text.replacen("drug = \"fludarabine\"\ndose_mg_per_m2 = 30.0\ndays = [-5.0]\ninfusion_hours = 1.0\n", "drug = \"cyclophosphamide\"\ndose_mg_per_m2 = 500.0\ndays = [-5.0]\ninfusion_hours = 1.0\n", 1),
    )
    .expect("different drugs may overlap");
    // more than 100 CAR-T infusions, or fractions adding up past 10
    let many: String = (0..101)
        .map(|k| format!("[[car_t]]\nday = {k}.0\nfraction = 0.01\n"))
        .collect();
    bad(
        &format!("name = \"x\"\n{many}"),
        &["r.toml:2", "at most 100"],
    );
    bad(
        "name = \"x\"\n[[car_t]]\nday = 0.0\nfraction = 6.0\n[[car_t]]\nday = 1.0\nfraction = 6.0\n",
        &["r.toml:2", "at most 10 times"],
    );
    let days: Vec<String> = (0..101).map(|k| format!("{}.0", -60 + k)).collect();
    bad(
        &format!(
            "name = \"x\"\n[[drug]]\ndrug = \"fludarabine\"\ndose_mg_per_m2 = 1.0\ndays = [{}]\ninfusion_hours = 1.0\n",
            days.join(", ")
        ),
        &["r.toml:5", "at most 100 days"],
    );
    let r = regimen::resolve("eliana_split").unwrap();
    assert!((r.car_t_fraction() - 1.0).abs() < 1e-12);
    // the cap counts every infusion: 2e11 nominal given 10 times is 2e12 cells
    let split = regimen::parse(
        Path::new("r.toml"),
        "name = \"x\"\n[[car_t]]\nday = 0.0\nfraction = 5.0\n[[car_t]]\nday = 1.0\nfraction = 5.0\n",
    )
    .unwrap();
    let err = regimen::CarTDose::Cells(2e11)
        .validate(&child(), split.car_t_fraction(), "test")
        .expect_err("over the cap")
        .to_string();
    assert!(err.contains("over the regimen's infusions"), "{err}");
    assert!(
        regimen::CarTDose::Cells(2e11)
            .validate(&child(), 1.0, "test")
            .is_ok()
    );
}

#[test]
fn a_uniform_spread_in_a_model_file_takes_no_omega() {
    let (from, to) = (
        "variability = { distribution = \"lognormal\", omega2 = 0.86 }",
        "variability = { distribution = \"uniform\", omega2 = 0.86 }",
    );
    assert!(
        STEIN.contains(from),
        "the Stein file has the line to replace"
    );
    refused(
        &STEIN.replacen(from, to, 1),
        &["variability", "no omega2 or cv for a uniform spread"],
    );
}

const CART_ALL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/cart_all.toml"
));

/// q_neg is a probability whose −ln divides the escape hazard: bounds reaching 1 (a zero
/// threshold, 0/0 in the equations) or below 0 are refused at the parameter's line.
#[test]
fn the_escape_quantile_must_stay_below_one() {
    let line = line_of(CART_ALL, "name = \"q_neg\"");
    for (from, to) in [
        ("upper = 0.999999999", "upper = 1.0"),
        (
            "lower = 0.0\nupper = 0.999999999",
            "lower = -0.1\nupper = 0.999999999",
        ),
    ] {
        let at = CART_ALL.find("name = \"q_neg\"").expect("q_neg");
        let (head, tail) = CART_ALL.split_at(at);
        assert!(tail.contains(from), "{from}");
        refused(
            &format!("{head}{}", tail.replacen(from, to, 1)),
            &[&format!("m.toml:{line}"), "q_neg", "bounds within [0, 1)"],
        );
    }
}

/// A cumulative event hazard must keep counting: a washout level on it is refused.
#[test]
fn a_seeding_hazard_cannot_wash_out() {
    let from = "name = \"H_neg\"\nunit = \"-\"\n";
    assert!(CART_ALL.contains(from));
    refused(
        &CART_ALL.replacen(from, &format!("{from}washout_below = 1e-9\n"), 1),
        &["H_neg", "washout_below", "no washout"],
    );
}
