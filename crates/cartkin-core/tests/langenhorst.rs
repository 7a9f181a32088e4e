//! Langenhorst 2019 as published (issue #13 item 3): the age-dependent eGFR cap, model-informed
//! dosing against the simulated AUC for an old patient, and the model-file rules of shared
//! random effects (each refusal names the file and line of the offending `shared`).

mod common;

use std::path::Path;

use approx::assert_relative_eq;
use cartkin_core::model::builtin::{FludarabineParams, fludarabine_egfr_cap};
use cartkin_core::model::{FludarabineDosing, file};
use cartkin_core::outcome::Outcomes;
use cartkin_core::patient::Patient;
use cartkin_core::simulate::{self, Request};
use common::{load, regimen, tight};

const LANGENHORST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/fludarabine_langenhorst_2019.toml"
));

/// The Langenhorst parameters of the bundled model file.
fn typical() -> FludarabineParams {
    let model = load("fludarabine_langenhorst_2019");
    let mut values = [0.0; FludarabineParams::N];
    for (v, name) in values.iter_mut().zip(FludarabineParams::NAMES) {
        *v = model.get(name).expect("a Langenhorst parameter");
    }
    FludarabineParams::from_values(values)
}

#[test]
fn the_egfr_cap_follows_the_formula_at_each_age() {
    let p = typical();
    // cap(age) = 140·(0.25 + 0.75·age/1.5) below 1.5 y; 140 to 30 y; 140 − 8·(age − 30)/10 after
    let formula = |age: f64| {
        if age < 1.5 {
            140.0 * (0.25 + 0.75 * age / 1.5)
        } else if age <= 30.0 {
            140.0
        } else {
            140.0 - 8.0 * (age - 30.0) / 10.0
        }
    };
    for (age, expected) in [(0.5, 70.0), (1.5, 140.0), (30.0, 140.0), (70.0, 108.0)] {
        let cap = fludarabine_egfr_cap(&p, age);
        assert_relative_eq!(cap, formula(age), max_relative = 1e-14);
        assert_relative_eq!(cap, expected, max_relative = 1e-14);
    }
    // at birth a quarter of the adult cap; the plateau is exactly eGFR_max (unchanged results
    // for patients aged 1.5–30 years)
    assert_relative_eq!(fludarabine_egfr_cap(&p, 0.0), 35.0, max_relative = 1e-14);
    assert_eq!(fludarabine_egfr_cap(&p, 11.0), p.egfr_max);
    // the decline never makes renal clearance negative
    let steep = FludarabineParams {
        egfr_max_decline: 100.0,
        ..p
    };
    assert_eq!(fludarabine_egfr_cap(&steep, 120.0), 0.0);
}

#[test]
fn dosing_and_the_simulated_auc_agree_for_an_old_patient() {
    // 70 years, eGFR 130 above the age cap of 108: CL = (3.2 + 0.78·108·0.06)·(75/70)^0.75
    let old = Patient::new(75.0, 170.0, None, 130.0, 70.0, "test").expect("valid patient");
    for name in ["fludarabine_langenhorst_2019", "cart_all"] {
        let model = load(name);
        let dosing = FludarabineDosing::for_model(&model, &old).expect("the model has the PK");
        let cl = (3.2 + 0.78 * 108.0 * 0.06) * (75.0f64 / 70.0).powf(0.75);
        assert_relative_eq!(dosing.clearance_l_per_h, cl, max_relative = 1e-14);
        // the ELIANA course (fludarabine 30 mg/m² × 4); AUC(0–∞) = F·Dose/CL
        let regimen = regimen("eliana");
        let dose: f64 = regimen
            .doses(&old, None)
            .iter()
            .filter(|d| d.route == cartkin_core::model::Agent::Fludarabine)
            .map(|d| d.amount)
            .sum();
        assert!(dose > 0.0);
        let request = Request::with_regimen(&model, old, &regimen, None, 30.0, tight(1e-10));
        let sim = simulate::simulate(&request).expect("simulation succeeds");
        let auc = Outcomes::compute(&sim, model.spec())
            .fludarabine_auc
            .expect("an AUC");
        // 1e-6 relative: Dopri5 at rtol 1e-10; the tail left after day 30 is below 1e-12
        assert_relative_eq!(auc, dosing.auc_mg_h_per_l(dose), max_relative = 1e-6);
        assert_relative_eq!(auc, 0.78 * dose / cl, max_relative = 1e-6);
    }
}

/// LANGENHORST with each `(from, to)` replaced (each `from` must occur exactly once).
fn mutate(edits: &[(&str, &str)]) -> String {
    let mut text = LANGENHORST.to_string();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` once");
        text = text.replacen(from, to, 1);
    }
    text
}

fn parse_err(text: &str) -> String {
    match file::parse(Path::new("bad.toml"), text) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).expect("present");
    text[..offset].matches('\n').count() + 1
}

#[test]
fn the_bundled_file_declares_the_two_published_blocks() {
    let spec = load("fludarabine_langenhorst_2019").spec().clone();
    let effect = |name: &str| {
        let v = spec.parameters[spec.parameter_index(name).expect("a parameter")]
            .variability
            .clone()
            .expect("varies");
        (v.shared.expect("shared"), v.cv.expect("a cv"))
    };
    for p in ["CL_nr", "theta_GFR", "Q2", "Q3"] {
        assert_eq!(effect(p), ("eta_CL".to_string(), 0.23), "{p}");
    }
    for p in ["V1", "V2", "V3"] {
        assert_eq!(effect(p), ("eta_V".to_string(), 0.48), "{p}");
    }
}

#[test]
fn a_shared_effect_named_by_one_parameter_is_refused_at_its_line() {
    // V2 and V3 leave eta_V: V1 is left alone in it
    let text = mutate(&[
        (
            "cv = 0.48, shared = \"eta_V\" }\n\n[[parameters]]\nname = \"V3\"",
            "cv = 0.48 }\n\n[[parameters]]\nname = \"V3\"",
        ),
        (
            "cv = 0.48, shared = \"eta_V\" }\n\n[[parameters]]\nname = \"Q2\"",
            "cv = 0.48 }\n\n[[parameters]]\nname = \"Q2\"",
        ),
    ]);
    let err = parse_err(&text);
    let line = line_of(&text, "shared = \"eta_V\"");
    assert!(err.starts_with(&format!("bad.toml:{line}:")), "{err}");
    assert!(err.contains("parameter `V1` variability.shared"), "{err}");
    assert!(err.contains("at least two parameters"), "{err}");
    assert!(err.contains("named only by `V1`"), "{err}");
}

#[test]
fn members_of_different_distributions_are_refused_at_the_odd_one() {
    let text = mutate(&[(
        "cv = 0.23, shared = \"eta_CL\" }\n\n[[parameters]]\nname = \"Q3\"",
        "omega2 = 0.05, distribution = \"logitnormal\", shared = \"eta_CL\" }\n\n[[parameters]]\nname = \"Q3\"",
    )]);
    let text = text.replacen(
        "variability = { distribution = \"lognormal\", omega2 = 0.05, distribution",
        "variability = { omega2 = 0.05, distribution",
        1,
    );
    let err = parse_err(&text);
    let line = line_of(&text, "distribution = \"logitnormal\"");
    assert!(err.starts_with(&format!("bad.toml:{line}:")), "{err}");
    assert!(err.contains("parameter `Q2` variability.shared"), "{err}");
    assert!(err.contains("lognormal as `CL_nr`"), "{err}");
}

#[test]
fn an_empty_intersection_of_the_members_bounds_is_refused() {
    // CL_nr at its upper bound (deviate ≤ 0) and Q2 at its lower bound (deviate ≥ 0): the
    // shared deviate would have to be exactly 0
    let text = mutate(&[
        (
            "name = \"CL_nr\"\nvalue = 3.2",
            "name = \"CL_nr\"\nvalue = 100.0",
        ),
        ("name = \"Q2\"\nvalue = 8.6", "name = \"Q2\"\nvalue = 0.001"),
    ]);
    let err = parse_err(&text);
    let q2 = text.find("name = \"Q2\"").expect("Q2");
    let line = line_of(&text[q2..], "shared = \"eta_CL\"") + text[..q2].matches('\n').count();
    assert!(err.starts_with(&format!("bad.toml:{line}:")), "{err}");
    assert!(err.contains("empty intersection"), "{err}");
}

#[test]
fn a_malformed_effect_name_is_refused() {
    let text = mutate(&[(
        "cv = 0.23, shared = \"eta_CL\" }\n\n[[parameters]]\nname = \"Q3\"",
        "cv = 0.23, shared = \"eta CL\" }\n\n[[parameters]]\nname = \"Q3\"",
    )]);
    let err = parse_err(&text);
    assert!(err.contains("variability.shared"), "{err}");
    assert!(err.contains("\"eta CL\""), "{err}");
}

#[test]
fn an_unknown_key_in_a_variability_is_still_refused() {
    let text = mutate(&[(
        "cv = 0.23, shared = \"eta_CL\" }\n\n[[parameters]]\nname = \"Q3\"",
        "cv = 0.23, shraed = \"eta_CL\" }\n\n[[parameters]]\nname = \"Q3\"",
    )]);
    let err = parse_err(&text);
    assert!(err.starts_with("bad.toml:"), "{err}");
    assert!(err.contains("shraed"), "{err}");
}

#[test]
fn an_extending_file_replaces_a_variability_whole_and_keeps_the_blocks() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    // V2 leaves eta_V (its variability replaced without `shared`): V1 and V3 still share it
    let ok = dir.path().join("ok.toml");
    std::fs::write(
        &ok,
        "[model]\nname = \"ok\"\nextends = \"fludarabine_langenhorst_2019\"\n\n\
         [[parameters]]\nname = \"V2\"\nvariability = { distribution = \"lognormal\", cv = 0.3 }\n\n\
         [[parameters]]\nname = \"Q3\"\nvariability = { distribution = \"lognormal\", cv = 0.4, shared = \"eta_CL\" }\n",
    )
    .expect("write");
    let spec = file::load(&ok).expect("valid");
    let v = |name: &str| {
        spec.parameters[spec.parameter_index(name).expect("a parameter")]
            .variability
            .clone()
            .expect("varies")
    };
    assert_eq!(v("V2").shared, None);
    assert_eq!(v("V1").shared.as_deref(), Some("eta_V"));
    assert_eq!(v("V3").shared.as_deref(), Some("eta_V"));
    assert_eq!(
        (v("Q3").shared.as_deref(), v("Q3").cv),
        (Some("eta_CL"), Some(0.4))
    );
    // V2 and V3 leave: V1 alone, reported at the base's line through the file's `extends`
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[model]\nname = \"bad\"\nextends = \"fludarabine_langenhorst_2019\"\n\n\
         [[parameters]]\nname = \"V2\"\nvariability = { distribution = \"lognormal\", cv = 0.3 }\n\n\
         [[parameters]]\nname = \"V3\"\nvariability = { distribution = \"lognormal\", cv = 0.3 }\n",
    )
    .expect("write");
    let err = file::load(&bad).expect_err("refused").to_string();
    let base_line = line_of(LANGENHORST, "cv = 0.48, shared = \"eta_V\"");
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(
        err.contains(&format!("fludarabine_langenhorst_2019.toml:{base_line}")),
        "{err}"
    );
    assert!(err.contains("named only by `V1`"), "{err}");
}
