//! Shared random effects (`variability.shared`): Langenhorst's two blocks drawn as published,
//! truncation to the intersection of the members' bounds, common random numbers, and the
//! refusals of a population file (each at its file and line).

use std::path::Path;

use cartkin_core::model::builtin::{FludarabineParams, fludarabine_clearance_l_per_h};
use cartkin_core::model::{self, Model, file};
use cartkin_trial::vpop::Sampler;
use cartkin_trial::vpop::spec::{self, PopulationSpec};

const LANGENHORST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/fludarabine_langenhorst_2019.toml"
));

fn bundled(name: &str) -> (Model, PopulationSpec) {
    let path = model::resolve(name).expect("bundled");
    let model = Model::load(&path).expect("valid");
    let population = spec::load(&path, model.spec()).expect("population");
    (model, population)
}

/// The Langenhorst parameters among a patient's values.
fn flu(model: &Model, values: &[f64]) -> FludarabineParams {
    let mut out = [0.0; FludarabineParams::N];
    for (v, name) in out.iter_mut().zip(FludarabineParams::NAMES) {
        *v = values[model
            .spec()
            .parameter_index(name)
            .expect("a Langenhorst parameter")];
    }
    FludarabineParams::from_values(out)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn cv(x: &[f64]) -> f64 {
    let m = mean(x);
    let var = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0);
    var.sqrt() / m
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn langenhorst_blocks_have_the_published_cv_and_are_perfectly_correlated() {
    // no [population] table: every patient is the typical one, so the spread is the IIV alone
    let (model, population) = bundled("fludarabine_langenhorst_2019");
    let sampler = Sampler::new(&population, &model);
    sampler.check().expect("drawable");
    let n = 20_000;
    let (mut cl, mut q2, mut q3, mut v1, mut v2, mut v3) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let draw = sampler.patient(20_261_125, i).expect("a patient");
        let p = flu(&model, &draw.values);
        // total clearance, the covariate model written once
        cl.push(fludarabine_clearance_l_per_h(&p, &draw.patient));
        q2.push(p.q2);
        q3.push(p.q3);
        v1.push(p.v1);
        v2.push(p.v2);
        v3.push(p.v3);
    }
    // empirical CV within ±5% (relative) of the published 23% and 48%: the SE of a CV over
    // 20,000 log-normal draws is ≈0.6% (relative), so ±5% is ≈8 SE
    for (name, x, target) in [
        ("CL", &cl, 0.23),
        ("Q2", &q2, 0.23),
        ("Q3", &q3, 0.23),
        ("V1", &v1, 0.48),
        ("V2", &v2, 0.48),
        ("V3", &v3, 0.48),
    ] {
        let c = cv(x);
        assert!(
            (c / target - 1.0).abs() < 0.05,
            "{name}: CV {c} vs {target}"
        );
    }
    let ln = |x: &[f64]| x.iter().map(|v| v.ln()).collect::<Vec<f64>>();
    let (lcl, lq2, lq3, lv1, lv2, lv3) = (ln(&cl), ln(&q2), ln(&q3), ln(&v1), ln(&v2), ln(&v3));
    // one deviate per block, the same ω for every member: correlation 1 up to round-off
    for (name, a, b) in [
        ("CL,Q2", &lcl, &lq2),
        ("CL,Q3", &lcl, &lq3),
        ("V1,V2", &lv1, &lv2),
        ("V1,V3", &lv1, &lv3),
    ] {
        let r = correlation(a, b);
        assert!((r - 1.0).abs() < 1e-9, "{name}: r = {r}");
    }
    // the blocks independent: |r| < 0.03 (SE of r at 20,000 is 0.007: ≈4 SE)
    let r = correlation(&lcl, &lv1);
    assert!(r.abs() < 0.03, "CL,V1: r = {r}");
}

#[test]
fn a_shared_deviate_is_truncated_to_the_intersection_of_its_members_bounds() {
    // Q2 capped just above its typical value (deviate ≤ ln(9/8.6)/ω ≈ 0.20) and V2 floored
    // just below its own (deviate ≥ ln(18/20)/ω ≈ −0.23): every member of each block is then
    // held inside by its block's intersection
    let text = LANGENHORST
        .replacen(
            "name = \"Q2\"\nvalue = 8.6\nunit = \"L/h (70 kg)\"\nlower = 0.001\nupper = 1000.0",
            "name = \"Q2\"\nvalue = 8.6\nunit = \"L/h (70 kg)\"\nlower = 0.001\nupper = 9.0",
            1,
        )
        .replacen(
            "name = \"V2\"\nvalue = 20.0\nunit = \"L (70 kg)\"\nlower = 0.1",
            "name = \"V2\"\nvalue = 20.0\nunit = \"L (70 kg)\"\nlower = 18.0",
            1,
        );
    assert_ne!(text, LANGENHORST);
    let path = Path::new("truncated.toml");
    let model = Model::from_spec(file::parse(path, &text).expect("valid")).expect("a model");
    let population = spec::parse(path, &text, model.spec()).expect("population");
    let sampler = Sampler::new(&population, &model);
    sampler.check().expect("drawable");
    let (omega_cl, omega_v) = (
        (1.0f64 + 0.23 * 0.23).ln().sqrt(),
        (1.0f64 + 0.48 * 0.48).ln().sqrt(),
    );
    let z_max = (9.0f64 / 8.6).ln() / omega_cl;
    let z_min = (18.0f64 / 20.0).ln() / omega_v;
    let (mut above, mut below) = (0, 0);
    for i in 0..5000 {
        let draw = sampler.patient(3, i).expect("a patient");
        let p = flu(&model, &draw.values);
        for (x, spec) in draw.values.iter().zip(&model.spec().parameters) {
            assert!(
                *x >= spec.lower && *x <= spec.upper,
                "{} = {x} outside [{}, {}]",
                spec.name,
                spec.lower,
                spec.upper
            );
        }
        // one deviate per block, inside the intersection, never clamped to it
        let z_cl = (p.cl_nr / 3.2).ln() / omega_cl;
        let z_v = (p.v1 / 39.0).ln() / omega_v;
        assert!((z_cl - (p.q2 / 8.6).ln() / omega_cl).abs() < 1e-12);
        assert!((z_cl - (p.theta_gfr / 0.78).ln() / omega_cl).abs() < 1e-12);
        assert!((z_v - (p.v3 / 50.0).ln() / omega_v).abs() < 1e-12);
        assert!(
            z_cl <= z_max + 1e-12 && z_v >= z_min - 1e-12,
            "{z_cl} {z_v}"
        );
        assert!(p.q2 < 9.0 && p.v2 > 18.0, "no point mass at a bound");
        above += usize::from(z_cl > 0.0);
        below += usize::from(z_v < 0.0);
    }
    // truncated, not clamped: P(z > 0 | z ≤ 0.20) = (Φ(0.20) − 0.5)/Φ(0.20) ≈ 0.14
    assert!(above > 400 && above < 1000, "{above}");
    assert!(below > 400 && below < 1100, "{below}");
}

#[test]
fn adding_the_shared_effects_leaves_every_other_draw_in_place() {
    // cart_all with its Langenhorst variability removed: a model without shared effects
    let path = model::resolve("cart_all").expect("bundled");
    let with = cartkin_core::bundled::read_text(&path).expect("text");
    let mut without = String::new();
    for line in with.lines() {
        if !line.contains("shared = \"eta_") {
            without.push_str(line);
            without.push('\n');
        }
    }
    let m_with = Model::load(&path).expect("valid");
    let m_without = Model::from_spec(file::parse(&path, &without).expect("valid")).expect("model");
    let p_with = spec::parse(&path, &with, m_with.spec()).expect("population");
    let p_without = spec::parse(&path, &without, m_without.spec()).expect("population");
    assert!(p_with.parameters.len() > p_without.parameters.len());
    let (a, b) = (
        Sampler::new(&p_with, &m_with),
        Sampler::new(&p_without, &m_without),
    );
    let flu_names = FludarabineParams::NAMES;
    for i in 0..200 {
        let (x, y) = (a.patient(5, i).expect("a"), b.patient(5, i).expect("b"));
        assert_eq!(x.patient, y.patient);
        assert_eq!(x.dose_cells, y.dose_cells);
        assert_eq!((x.death_day, x.dropout_day), (y.death_day, y.dropout_day));
        for (k, spec) in m_with.spec().parameters.iter().enumerate() {
            if !flu_names.contains(&spec.name.as_str()) {
                assert_eq!(
                    x.values[k].to_bits(),
                    y.values[k].to_bits(),
                    "{}",
                    spec.name
                );
            }
        }
    }
}

/// A population file for fludarabine_langenhorst_2019 with these lines.
fn population_file(text: &str) -> Result<PopulationSpec, String> {
    let path = model::resolve("fludarabine_langenhorst_2019").expect("bundled");
    let model = Model::load(&path).expect("valid");
    spec::parse_file(Path::new("p.toml"), text, model.spec()).map_err(|e| e.to_string())
}

#[test]
fn a_population_file_re_spreads_members_with_the_same_key() {
    let p = population_file(
        "[population]\nn = 10\n\n[[population.parameters]]\nname = \"Q2\"\ndistribution = \"lognormal\"\ncv = 0.3\nshared = \"eta_CL\"\n",
    )
    .expect("valid");
    let q2 = p.parameters.iter().find(|v| v.name == "Q2").expect("Q2");
    assert_eq!(q2.shared.as_deref(), Some("eta_CL"));
    // written back and read again to an equal spec
    let again = population_file(&p.to_toml()).expect("round trip");
    assert_eq!(again, p);
}

#[test]
fn a_population_file_refuses_broken_shared_effects_at_their_line() {
    // an effect named by one parameter only
    let err = population_file(
        "[population]\nn = 10\n\n[[population.parameters]]\nname = \"F_dose\"\ndistribution = \"logitnormal\"\ncv = 0.1\nshared = \"eta_F\"\n",
    )
    .expect_err("refused");
    assert!(err.starts_with("p.toml:4:"), "{err}");
    assert!(err.contains("named by no other parameter"), "{err}");
    // a member of another distribution
    let err = population_file(
        "[population]\nn = 10\n\n[[population.parameters]]\nname = \"Q3\"\ndistribution = \"normal\"\nsd = 0.5\nshared = \"eta_CL\"\n",
    )
    .expect_err("refused");
    assert!(err.starts_with("p.toml:4:"), "{err}");
    assert!(
        err.contains("expected the spread of its other members"),
        "{err}"
    );
    // a member also correlated
    let err =
        population_file("[population]\nn = 10\n\n[population.correlations]\n\"CL_nr,V1\" = 0.3\n")
            .expect_err("refused");
    assert!(err.starts_with("p.toml:5:"), "{err}");
    assert!(err.contains("takes the shared effect"), "{err}");
    // a re-spread that leaves a lone member of the model file's effect: reported at the
    // model file's line of that member
    let err = population_file(
        "[population]\nn = 10\n\n[[population.parameters]]\nname = \"V2\"\ndistribution = \"lognormal\"\ncv = 0.3\n\n[[population.parameters]]\nname = \"V3\"\ndistribution = \"lognormal\"\ncv = 0.3\n",
    )
    .expect_err("refused");
    let line = LANGENHORST[..LANGENHORST.find("name = \"V1\"").expect("V1")]
        .matches('\n')
        .count()
        + 1;
    assert!(
        err.contains(&format!("fludarabine_langenhorst_2019.toml:{line}:")),
        "{err}"
    );
    assert!(err.contains("`V1`"), "{err}");
}
