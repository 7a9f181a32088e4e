//! `cart_dual` (CD19/CD22 clones): reduction to cart_all for a CD19-only product, which
//! clones each product can and cannot kill, and CD22 typing of relapses.
//!
//! Scenarios start from `models/cart_dual_eliana.toml` (the ELIANA typical responder, 35 kg,
//! 3e6 cells/kg after Flu/Cy) with a few leukemia parameters changed.

mod common;

use cartkin_core::model::Model;
use cartkin_core::outcome::{Outcomes, Response};
use cartkin_core::simulate::Simulation;
use cartkin_core::solve::SolverOptions;
use common::*;

const DOSE: f64 = 1.05e8; // 3e6/kg × 35 kg
/// Follow-up long enough for the relapses of the scenarios below (CD19- at ~90 d).
const DAYS: f64 = 400.0;
/// Tolerance of the comparison runs: tight, so that differences are the solver's, not the model's.
const RTOL: f64 = 1e-9;

fn dual(settings: &[(&str, f64)]) -> Model {
    let mut model = load("cart_dual_eliana");
    for (name, value) in settings {
        model
            .set(name, *value)
            .expect("parameter within its bounds");
    }
    model
}

fn simulate(model: &Model, dose: f64, options: SolverOptions) -> Simulation {
    run(model, &regimen("eliana"), Some(dose), DAYS, options)
}

fn response(model: &Model, sim: &Simulation) -> Response {
    Outcomes::compute(sim, model.spec())
        .response
        .expect("cart_dual reports a response")
}

/// Sample times [day]: every 0.25 day from the start of lymphodepletion to the end.
fn grid(sim: &Simulation) -> impl Iterator<Item = f64> {
    let (start, end) = sim.trajectory.span();
    (0..)
        .map(move |k| start + 0.25 * f64::from(k))
        .take_while(move |t| *t <= end)
}

/// Largest relative difference between `a` and `b` over `grid`, counting only values above
/// `floor` cells in either (below it a relative error means nothing).
fn max_relative_difference(
    grid: impl Iterator<Item = f64>,
    a: impl Fn(f64) -> f64,
    b: impl Fn(f64) -> f64,
    floor: f64,
) -> (f64, f64) {
    grid.map(|t| {
        let (x, y) = (a(t), b(t));
        let d = if x.max(y) > floor {
            (x - y).abs() / x.abs().max(y.abs())
        } else {
            0.0
        };
        (d, t)
    })
    .fold((0.0, f64::NAN), |m, d| if d.0 > m.0 { d } else { m })
}

/// cart_all_eliana and cart_dual_eliana with the same values of cart_all's parameters, a
/// CD19-only product and an arbitrary CD22 split of both CD19 clones. cart_all's acquired
/// antigen loss (`mu_neg`, `q_neg`) has no counterpart in cart_dual: it is switched off.
fn equivalent_pair(f_neg: f64) -> (Model, Model) {
    let mut all = load("cart_all_eliana");
    all.set("f_neg", f_neg).expect("f_neg in bounds");
    all.set("mu_neg", 0.0).expect("mu_neg in bounds");
    let mut dual = dual(&[
        ("w_19", 1.0),
        ("w_22", 0.0),
        ("r_22", 0.7),
        ("f_22neg", 0.3),
        ("f_22neg_dn", 0.4),
    ]);
    for p in all
        .spec()
        .parameters
        .iter()
        .filter(|p| !["mu_neg", "q_neg"].contains(&p.name.as_str()))
    {
        dual.set(&p.name, all.get(&p.name).expect("cart_all parameter"))
            .expect("cart_dual has every cart_all parameter");
    }
    (all, dual)
}

/// With w_19 = 1, w_22 = 0 the CD19+ clones together are cart_all's Lp and the CD19- ones its
/// Ln: the same equations summed. Both runs use rtol = 1e-9 on log states, i.e. a local error of
/// ~1e-9 relative per step; over the ~60 e-folds the leukemia travels (and a few thousand
/// steps) the global relative error of each run stays well under 1e-6, the tolerance used.
/// Extinction is off so that both clones are followed through their whole decline.
#[test]
fn cd19_only_product_reproduces_cart_all() {
    for f_neg in [1e-12, 1e-4] {
        let (all, dual) = equivalent_pair(f_neg);
        let options = SolverOptions {
            extinction: false,
            ..tight(RTOL)
        };
        let a = simulate(&all, DOSE, options);
        let d = simulate(&dual, DOSE, options);
        for (cart_all, cart_dual) in [
            ("Lp", "cd19pos_cells"),
            ("Ln", "cd19neg_cells"),
            ("car_t", "car_t"),
            ("B", "B"),
            ("IL6", "IL6"),
            ("blast_fraction", "blast_fraction"),
        ] {
            let (diff, at) = max_relative_difference(
                grid(&a),
                |t| value(&a, &all, cart_all, t),
                |t| value(&d, &dual, cart_dual, t),
                1e-6,
            );
            assert!(
                diff < 1e-6,
                "f_neg {f_neg}: {cart_all} vs {cart_dual} differ by {diff:e} (relative) at day {at}"
            );
        }
    }
}

/// Outcomes with extinction on. CR and relapse are threshold crossings of the same blast
/// fraction: equal to 1e-6 day. Cure is decided per clone: cart_dual's CD19+ clones each reach
/// one cell a little before their sum would, by ln(1/share)/(net kill rate) ≈ ln(1/0.3)/3 ≈
/// 0.4 day at most here, so the cure day is compared to 0.5 day.
#[test]
fn cd19_only_product_has_cart_all_outcomes() {
    for f_neg in [1e-12, 1e-4] {
        let (all, dual) = equivalent_pair(f_neg);
        let a = simulate(&all, DOSE, tight(RTOL));
        let d = simulate(&dual, DOSE, tight(RTOL));
        let (ra, rd) = (response(&all, &a), response(&dual, &d));
        let cr = (ra.cr_day.expect("CR"), rd.cr_day.expect("CR"));
        assert!((cr.0 - cr.1).abs() < 1e-6, "f_neg {f_neg}: CR day {cr:?}");
        assert_eq!(ra.cured, rd.cured, "f_neg {f_neg}: cure");
        match (ra.cure_day, rd.cure_day) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 0.5, "cure day {x} vs {y}"),
            (None, None) => {}
            other => panic!("f_neg {f_neg}: cure day {other:?}"),
        }
        match (&ra.relapse, &rd.relapse) {
            (Some(x), Some(y)) => {
                assert!(
                    (x.day - y.day).abs() < 1e-6,
                    "relapse {} vs {}",
                    x.day,
                    y.day
                );
                assert_eq!(x.cd19, y.cd19);
                assert_eq!(x.cd22, None, "cart_all has no CD22 roles");
            }
            (None, None) => {}
            other => panic!("f_neg {f_neg}: relapse {other:?}"),
        }
        // the scenarios cover both branches
        assert_eq!(ra.relapse.is_some(), f_neg > 1e-6, "f_neg {f_neg}");
    }
}

/// A CD19-only product has no kill term on CD19- cells. Stated exactly: (i) with an entirely
/// CD19-negative leukemia (f_neg = 1) the leukemia follows the zero-dose run of the same
/// regimen; (ii) in a mixed leukemia the two CD19- clones keep their initial ratio (same
/// per-capita rate, no kill) and are never fewer than without CAR-T (killing CD19+ cells only
/// frees space). Tolerance 1e-6 relative, as in the equivalence test.
#[test]
fn cd19_only_product_never_kills_cd19_negative_cells() {
    let only_negative = dual(&[("f_neg", 1.0), ("f_22neg_dn", 0.2)]);
    let treated = simulate(&only_negative, DOSE, tight(RTOL));
    let untreated = simulate(&only_negative, 0.0, tight(RTOL));
    assert!(
        value(&treated, &only_negative, "car_t", 10.0) > 1e9,
        "CAR-T expanded"
    );
    for clone in ["Lnp", "Lnn"] {
        let (diff, at) = max_relative_difference(
            grid(&treated),
            |t| value(&treated, &only_negative, clone, t),
            |t| value(&untreated, &only_negative, clone, t),
            1.0,
        );
        assert!(diff < 1e-6, "{clone}: {diff:e} at day {at}");
    }

    let mixed = dual(&[("f_neg", 1e-2), ("f_22neg_dn", 0.2)]);
    let treated = simulate(&mixed, DOSE, tight(RTOL));
    let untreated = simulate(&mixed, 0.0, tight(RTOL));
    let v = |sim: &Simulation, name: &str, t: f64| value(sim, &mixed, name, t);
    assert!(
        v(&treated, "cd19pos_cells", 28.0) < 1e-3 * v(&untreated, "cd19pos_cells", 28.0),
        "the product kills CD19+ cells"
    );
    for t in grid(&treated) {
        let ratio = v(&treated, "Lnn", t) / v(&treated, "Lnp", t);
        assert!(
            (ratio / 0.25 - 1.0).abs() < 1e-6,
            "Lnn/Lnp = {ratio} at {t}"
        );
        let (with, without) = (
            v(&treated, "cd19neg_cells", t),
            v(&untreated, "cd19neg_cells", t),
        );
        assert!(
            with >= without * (1.0 - 1e-6),
            "day {t}: {with} < {without}"
        );
    }
}

/// The CD22-only mirror image: with w_19 = 0 the CD19+CD22- clone has no kill term, so it keeps
/// its ratio to the double-negative clone and is never fewer than without CAR-T, while the
/// CD22+ clones are killed.
#[test]
fn cd22_only_product_does_not_kill_cd19_positive_cd22_negative_cells() {
    let model = dual(&[
        ("w_19", 0.0),
        ("w_22", 1.0),
        ("r_22", 1.0),
        ("f_neg", 1e-2),
        ("f_22neg", 1e-2),
        ("f_22neg_dn", 0.2),
    ]);
    let treated = simulate(&model, DOSE, tight(RTOL));
    let untreated = simulate(&model, 0.0, tight(RTOL));
    let v = |sim: &Simulation, name: &str, t: f64| value(sim, &model, name, t);
    assert!(
        v(&treated, "cd22pos_cells", 28.0) < 1e-3 * v(&untreated, "cd22pos_cells", 28.0),
        "the product kills CD22+ cells"
    );
    // Lpn(0)/Lnn(0) = (1 - f_neg)·f_22neg / (f_neg·f_22neg_dn)
    let expected = 0.99 * 1e-2 / (1e-2 * 0.2);
    for t in grid(&treated) {
        let ratio = v(&treated, "Lpn", t) / v(&treated, "Lnn", t);
        assert!(
            (ratio / expected - 1.0).abs() < 1e-6,
            "Lpn/Lnn = {ratio} at {t}"
        );
        let (with, without) = (v(&treated, "Lpn", t), v(&untreated, "Lpn", t));
        assert!(
            with >= without * (1.0 - 1e-6),
            "day {t}: {with} < {without}"
        );
    }
}

/// A pre-existing CD19- clone of 2e7 cells (f_neg = 1e-4) relapses after the CD19-only
/// product as CD19-CD22+; the dual product (w_22 = 1, CD22 potency r_22 = 0.3, 5% of the CD19-
/// clone double negative — set here, not taken from the file's defaults) kills that clone to
/// extinction and relapses later, from the double-negative clone.
#[test]
fn dual_product_eliminates_the_cd19_negative_cd22_positive_escape() {
    let options = SolverOptions::default();
    let cd19_only = dual(&[("f_neg", 1e-4), ("r_22", 0.3), ("f_22neg_dn", 0.05)]);
    let sim = simulate(&cd19_only, DOSE, options);
    let escape = response(&cd19_only, &sim)
        .relapse
        .expect("CD19-only relapses");
    assert_eq!(escape.cd19, cartkin_core::outcome::Cd19::Negative);
    assert_eq!(escape.cd22, Some(cartkin_core::outcome::Cd22::Positive));
    assert!(value(&sim, &cd19_only, "Lnp", escape.day) > 1e9);

    let dual_product = dual(&[
        ("f_neg", 1e-4),
        ("w_22", 1.0),
        ("r_22", 0.3),
        ("f_22neg_dn", 0.05),
    ]);
    let sim = simulate(&dual_product, DOSE, options);
    let (_, end) = sim.trajectory.span();
    assert_eq!(value(&sim, &dual_product, "Lnp", end), 0.0, "Lnp extinct");
    let later = response(&dual_product, &sim).relapse.expect("Lnn regrows");
    assert!(later.day > escape.day, "{} vs {}", later.day, escape.day);
}

/// Relapse typing: driven by the double-negative clone, the relapse is CD19- and CD22-.
#[test]
fn a_double_negative_relapse_is_typed_cd22_negative() {
    let model = dual(&[
        ("f_neg", 1e-4),
        ("w_22", 1.0),
        ("r_22", 0.3),
        ("f_22neg_dn", 0.05),
    ]);
    let sim = simulate(&model, DOSE, SolverOptions::default());
    let relapse = response(&model, &sim).relapse.expect("relapse");
    assert!(value(&sim, &model, "Lnn", relapse.day) > value(&sim, &model, "Lnp", relapse.day));
    assert_eq!(relapse.cd19, cartkin_core::outcome::Cd19::Negative);
    assert_eq!(relapse.cd22, Some(cartkin_core::outcome::Cd22::Negative));
    let json = serde_json::to_value(&relapse).expect("serializable");
    assert_eq!(json["cd22"], "CD22-");

    // a model without CD22 roles reports null
    let all = load("cart_all_eliana");
    let mut all = all;
    all.set("f_neg", 1e-4).expect("in bounds");
    let sim = simulate(&all, DOSE, SolverOptions::default());
    let relapse = response(&all, &sim).relapse.expect("relapse");
    assert!(serde_json::to_value(&relapse).expect("serializable")["cd22"].is_null());
}
