//! The mechanisms of cart_all that issue #13 added, each checked on its own: host cell numbers
//! that scale with body size, IL-6 from CAR-T engaging antigen (not from kill alone), and
//! exhaustion that contracts CAR-T whose targets persist.

mod common;

use cartkin_core::model::Model;
use cartkin_core::outcome::Outcomes;
use cartkin_core::patient::Patient;
use cartkin_core::simulate::{Request, simulate};
use cartkin_core::solve::SolverOptions;
use common::{load, regimen, tight, value};

/// 3e6 cells/kg for the 35-kg reference child.
const DOSE: f64 = 1.05e8;

fn with(model: &Model, changes: &[(&str, f64)]) -> Model {
    let mut m = model.clone();
    for (name, v) in changes {
        m.set(name, *v).expect("within bounds");
    }
    m
}

fn run_patient(
    model: &Model,
    patient: Patient,
    reg: &str,
    cells: f64,
    days: f64,
) -> cartkin_core::simulate::Simulation {
    simulate(&Request::with_regimen(
        model,
        patient,
        &regimen(reg),
        Some(cells),
        days,
        tight(1e-9),
    ))
    .expect("simulation succeeds")
}

fn peak_il6(model: &Model, reg: &str) -> f64 {
    let sim = run_patient(model, common::child(), reg, DOSE, 60.0);
    Outcomes::compute(&sim, model.spec()).crs.expect("crs").peak
}

#[test]
fn a_patient_twice_the_reference_weight_given_twice_the_cells_has_the_same_course() {
    // Without lymphodepletion (whose PK scales allometrically, not linearly) every cell
    // number of the host scales with WT/WT_ref: doubling weight and dose doubles every
    // population, and leaves fractions, blood transgene and IL-6 unchanged. Tolerance 1e-6
    // relative: two integrations at rtol 1e-9 of equations equal up to that scaling.
    let model = load("cart_all");
    let small = Patient::new(35.0, 140.0, None, 120.0, 11.0, "test").expect("valid");
    let large = Patient::new(70.0, 140.0, None, 120.0, 11.0, "test").expect("valid");
    let a = run_patient(&model, small, "none", DOSE, 120.0);
    let b = run_patient(&model, large, "none", 2.0 * DOSE, 120.0);
    for t in [1.0, 5.0, 10.0, 20.0, 60.0, 120.0] {
        for name in ["blast_fraction", "transgene", "b_cell_fraction", "IL6"] {
            let (x, y) = (value(&a, &model, name, t), value(&b, &model, name, t));
            assert!(
                (x - y).abs() <= 1e-6 * x.abs().max(1e-300),
                "{name} at day {t}: {x:e} vs {y:e}"
            );
        }
        let (x, y) = (value(&a, &model, "car_t", t), value(&b, &model, "car_t", t));
        assert!(
            (y / x - 2.0).abs() < 1e-6,
            "car_t at day {t}: {x:e} vs {y:e}"
        );
    }
    // and a 70-kg adult given the 35-kg child's cells (half the dose per kg) is not a large
    // child: after the same lymphodepletion, fewer CAR-T per kg reach remission later
    let cr_day = |p: Patient| {
        let sim = run_patient(&model, p, "eliana", DOSE, 60.0);
        Outcomes::compute(&sim, model.spec())
            .response
            .and_then(|r| r.cr_day)
            .expect("remission")
    };
    let adult = Patient::new(70.0, 175.0, None, 100.0, 25.0, "test").expect("valid");
    let (child_day, adult_day) = (cr_day(small), cr_day(adult));
    assert!(
        adult_day > child_day + 0.5,
        "half the cells per kg must clear later: day {adult_day} vs {child_day}"
    );
}

#[test]
fn il6_follows_car_t_engaging_antigen_not_kill_alone() {
    let model = load("cart_all");
    let edges = model
        .spec()
        .outcomes
        .crs_grade_edges
        .clone()
        .expect("edges");
    // no expansion (rho_E = 0): the infused cells alone raise IL-6 less than the grade-1 edge
    let still = peak_il6(&with(&model, &[("rho_E", 0.0)]), "eliana");
    assert!(still < edges[0], "peak IL-6 {still} without expansion");
    // CAR-T that engage antigen but cannot kill (gamma = 0) still drive IL-6 above grade 1
    let no_kill = peak_il6(&with(&model, &[("gamma", 0.0)]), "eliana");
    assert!(no_kill > edges[0], "peak IL-6 {no_kill} without kill");
    // more burden, more IL-6 (Teachey 2016); lymphodepletion frees space, more IL-6 (Hay 2017)
    let typical = peak_il6(&model, "eliana");
    let burden = peak_il6(
        &with(&model, &[("L0", 10.0 * model.get("L0").expect("L0"))]),
        "eliana",
    );
    assert!(burden > typical, "burden {burden} vs typical {typical}");
    let without_ld = peak_il6(&model, "none");
    assert!(
        typical > without_ld,
        "Flu/Cy {typical} vs none {without_ld}"
    );
}

#[test]
fn exhaustion_contracts_car_t_whose_targets_persist() {
    // gamma = 0: the leukemia persists and stimulates for ever; the spent proliferative
    // potential (k_P) and exhaustion (k_X) end the expansion: CAR-T at day 90 below 10% of the
    // peak; without both (k_P = k_X = 0) they stay near it
    let model = with(&load("cart_all"), &[("gamma", 0.0)]);
    let contraction = |m: &Model| {
        let sim = run_patient(m, common::child(), "eliana", DOSE, 90.0);
        let k = Outcomes::compute(&sim, m.spec()).car_t.expect("kinetics");
        value(&sim, m, "car_t", 90.0) / k.cmax
    };
    let exhausting = contraction(&model);
    assert!(exhausting < 0.1, "day 90 / Cmax = {exhausting}");
    let tireless = contraction(&with(&model, &[("k_X", 0.0), ("k_P", 0.0)]));
    assert!(
        tireless > 0.3,
        "day 90 / Cmax = {tireless} without exhaustion"
    );
    let _ = SolverOptions::default();
}

/// The day `f` (increasing) first reaches `level` within [a, b], by bisection.
fn first_reach(mut a: f64, mut b: f64, level: f64, f: impl Fn(f64) -> f64) -> f64 {
    assert!(
        f(a) < level && f(b) >= level,
        "level not crossed in [{a}, {b}]"
    );
    while b - a > 1e-9 {
        let m = 0.5 * (a + b);
        if f(m) >= level { b = m } else { a = m }
    }
    b
}

#[test]
fn antigen_loss_seeds_one_cd19_negative_cell_when_the_escape_hazard_reaches_the_threshold() {
    use cartkin_core::simulate::EventKind;
    // no pre-existing CD19-negative cell; escapes at 1e-11 per CD19+ cell killed
    let base = with(&load("cart_all"), &[("f_neg", 0.0), ("mu_neg", 1e-11)]);
    // a patient whose threshold (−ln 1e-12 = 27.6) is never reached: the hazard times the
    // threshold is the expected number of escapes Λ(t) = mu_neg·∫kill·Lp dt
    let q_never = 1e-12;
    let never = with(&base, &[("q_neg", q_never)]);
    let sim = run_patient(&never, common::child(), "eliana", DOSE, 60.0);
    assert!(
        !sim.events.iter().any(|e| e.kind == EventKind::Seeding),
        "no escape below the threshold"
    );
    let expected = |t: f64| value(&sim, &never, "H_neg", t) * -q_never.ln();
    let total = expected(59.0);
    assert!(
        (0.05..27.0).contains(&total),
        "expected escapes over 60 days {total}: the test needs some, below the threshold"
    );
    // the same patient with the median threshold ln 2 (if it is reached) or a threshold at
    // half the total: the escape happens exactly when Λ reaches it (time rescaling)
    for threshold in [std::f64::consts::LN_2.min(0.5 * total), 0.25 * total] {
        let q = (-threshold).exp();
        let model = with(&base, &[("q_neg", q)]);
        let run = run_patient(&model, common::child(), "eliana", DOSE, 60.0);
        let seeding = run
            .events
            .iter()
            .find(|e| e.kind == EventKind::Seeding)
            .expect("the threshold is reached, so one cell arises");
        assert!(seeding.detail.starts_with("Ln "), "{}", seeding.detail);
        let predicted = first_reach(0.0, 59.0, threshold, expected);
        // both runs follow the same trajectory until the escape (tolerance 1e-9); the
        // crossing is located by bisection on the step's Hermite interpolant (error ≪ 1e-4 d)
        assert!(
            (seeding.time - predicted).abs() < 1e-4,
            "escape at {} vs predicted {predicted} (threshold {threshold})",
            seeding.time
        );
        // one cell, from nothing; the hazard restarts below 1 (a fresh threshold) and stays
        // there while the clone lives
        let t = seeding.time;
        assert_eq!(
            value(&run, &model, "Ln", t - 1e-6).to_bits(),
            0.0f64.to_bits()
        );
        let after = value(&run, &model, "Ln", t + 1e-6);
        assert!((0.999..1.001).contains(&after), "Ln just after {after}");
        let restart = value(&run, &model, "H_neg", t + 1e-6);
        assert!(restart.is_finite() && restart < 1.0, "restart {restart}");
        assert_eq!(
            value(&run, &model, "H_neg", 59.0).to_bits(),
            restart.to_bits(),
            "no escape is counted while a CD19-negative clone lives"
        );
        assert!(
            value(&run, &model, "Ln", 59.0) > after,
            "the escaped clone grows"
        );
    }
}

/// After each escape the next waits for a fresh Exp(1) amount of escape intensity: the
/// thresholds implied by `hazard_restart` (T = T₁·(1 − restart)) over many escapes have the
/// Exp(1) mean 1 and variance 1 (4,000 draws: standard errors 0.016 and ≈0.04, so the
/// tolerances 0.06 and 0.15 are beyond 3.5 standard errors), are all positive, do not depend
/// on the patient's first threshold in distribution, and are the same on every call.
#[test]
fn escapes_after_the_first_wait_for_fresh_exponential_thresholds() {
    for q in [0.3, 0.9, 1e-6] {
        let model = with(&load("cart_all"), &[("q_neg", q)]);
        let dynamics = model.dynamics(&common::child());
        let first = -f64::ln(q);
        let thresholds: Vec<f64> = (1..=4000)
            .map(|k| first * (1.0 - dynamics.hazard_restart(0, k)))
            .collect();
        assert!(thresholds.iter().all(|t| t.is_finite() && *t > 0.0));
        let n = thresholds.len() as f64;
        let mean = thresholds.iter().sum::<f64>() / n;
        let var = thresholds.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!((mean - 1.0).abs() < 0.06, "q {q}: mean {mean}");
        assert!((var - 1.0).abs() < 0.15, "q {q}: variance {var}");
        assert_eq!(
            dynamics.hazard_restart(0, 7).to_bits(),
            model
                .dynamics(&common::child())
                .hazard_restart(0, 7)
                .to_bits()
        );
    }
}

/// A CD19-negative clone that never existed (no pre-existing cell, no escape reached) does not
/// delay the cure: the cure day is the CD19+ clone's extinction, not the end of the run.
#[test]
fn a_clone_that_never_arose_does_not_move_the_cure_day() {
    use cartkin_core::simulate::EventKind;
    // threshold −ln 1e-12 = 27.6 expected escapes: never reached at mu_neg 1e-13
    let model = with(
        &load("cart_all_eliana"),
        &[("f_neg", 0.0), ("mu_neg", 1e-13), ("q_neg", 1e-12)],
    );
    let sim = run_patient(&model, common::child(), "eliana", DOSE, 400.0);
    assert!(!sim.events.iter().any(|e| e.kind == EventKind::Seeding));
    let lp = model.spec().state_index("Lp").expect("Lp");
    let lp_gone = sim
        .extinctions
        .iter()
        .rev()
        .find(|(_, s)| *s == lp)
        .map(|(t, _)| *t)
        .expect("the typical child's CD19+ leukemia dies out");
    let response = Outcomes::compute(&sim, model.spec())
        .response
        .expect("response");
    assert!(response.cured);
    assert_eq!(response.cure_day, Some(lp_gone));
    assert!(lp_gone < 100.0, "Lp extinct on day {lp_gone}");
}

/// A clone that dies as it arises under an absurd escape rate is refused after
/// `MAX_SEEDINGS` arrivals, naming the state and its hazard, instead of restarting the solver
/// without end.
#[test]
fn endless_seeding_is_refused_with_the_state_named() {
    let model = with(
        &load("cart_all_eliana"),
        &[("L0", 1e13), ("mu_neg", 1e-6), ("f_neg", 0.0)],
    );
    let err = simulate(&Request::with_regimen(
        &model,
        common::child(),
        &regimen("eliana"),
        Some(DOSE),
        60.0,
        SolverOptions::default(),
    ))
    .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("`Ln` arose 100 times") && text.contains("`H_neg`"),
        "{text}"
    );
}
