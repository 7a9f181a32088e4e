//! Invariants and properties of simulations that must hold whatever the parameters.

mod common;

use cartkin_core::model::Transform;
use cartkin_core::outcome::{CR_THRESHOLD, MRD_THRESHOLD, Outcomes};
use cartkin_core::simulate::EventKind;
use cartkin_core::solve::{Method, SolverOptions};
use common::*;

const DOSE: f64 = 1.05e8; // 3e6/kg × 35 kg

#[test]
fn cell_counts_stay_non_negative_and_finite_over_five_years() {
    let model = load("cart_all");
    for reg in ["eliana", "zuma3", "none", "eliana_split"] {
        for dose in [1e6, DOSE, 1e9] {
            let options = SolverOptions::default();
            let sim = run(&model, &regimen(reg), Some(dose), 1825.0, options);
            let n = model.spec().states.len();
            let mut buf = [0.0; cartkin_core::outcome::MAX_COLUMNS];
            let (mut t, end) = sim.trajectory.span();
            while t <= end {
                assert!(sim.columns_at(t, &mut buf));
                for (i, v) in buf[..n].iter().enumerate() {
                    let state = &model.spec().states[i];
                    // populations (log states) are positive by construction; a linear drug amount
                    // decaying to zero may undershoot by a few of its absolute tolerances
                    // (atol × scale: the local error bound, accumulated over a few steps)
                    // before it washes out
                    let floor = if state.transform == Transform::Log {
                        0.0
                    } else {
                        -10.0 * options.atol * state.scale
                    };
                    assert!(
                        v.is_finite() && *v >= floor,
                        "{reg} dose {dose}: state {} = {v} at {t}",
                        state.name
                    );
                }
                t += 0.37;
            }
        }
    }
}

#[test]
fn typical_responder_matches_the_eliana_picture() {
    // the calibrated flagship (README's first command): a typical ELIANA child
    let model = load("cart_all_eliana");
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        1825.0,
        SolverOptions::default(),
    );
    let out = Outcomes::compute(&sim, model.spec());
    let k = out.car_t.as_ref().expect("kinetics");
    // Stein 2019: typical Tmax 9.3 d with a 90% range of about 3–25 d, fold ≈ 3,900 with a
    // wide spread: the typical patient of the calibration sits inside both ranges
    assert!((5.0..=14.0).contains(&k.tmax_day), "Tmax {}", k.tmax_day);
    assert!(k.fold_expansion > 300.0, "fold {}", k.fold_expansion);
    let r = out.response.as_ref().expect("response");
    assert!(r.mrd_negative_by_day28 && r.cr_by_day28, "{r:?}");
    assert!(r.relapse.is_none() && r.cured, "{r:?}");
    let a = out.b_cell_aplasia.as_ref().expect("aplasia");
    // aplasia lasts months (the calibrated typical child: ≈ 5.5 months, shorter than
    // ELIANA's usual; see README "What the model cannot do")
    assert!(a.duration_days > 90.0, "aplasia {} days", a.duration_days);
    let crs = out.crs.as_ref().expect("crs");
    assert!(
        (1..=3).contains(&crs.grade) && (2.0..=10.0).contains(&crs.peak_day),
        "{crs:?}"
    );
    let auc = out.fludarabine_auc.expect("flu AUC");
    assert!((10.0..=30.0).contains(&auc), "flu AUC {auc}");
}

#[test]
fn thresholds_are_located_to_1e_6_day() {
    let model = load("cart_all");
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        400.0,
        SolverOptions::default(),
    );
    let out = Outcomes::compute(&sim, model.spec());
    let r = out.response.expect("response");
    for (day, level) in [
        (r.cr_day, CR_THRESHOLD),
        (r.mrd_negative_day, MRD_THRESHOLD),
    ] {
        let day = day.expect("reached");
        let before = value(&sim, &model, "blast_fraction", day - 1e-6);
        let after = value(&sim, &model, "blast_fraction", day + 1e-6);
        assert!(
            before >= level && after < level,
            "crossing of {level} at {day}: {before} / {after}"
        );
    }
}

/// CRS onset is the first crossing of the grade-1 edge: the cytokine is below the edge just
/// before it and at or above it just after, onset comes no later than the peak, and a patient
/// without CRS has none.
#[test]
fn crs_onset_is_the_first_crossing_of_the_grade_1_edge() {
    let model = load("cart_all");
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        400.0,
        SolverOptions::default(),
    );
    let out = Outcomes::compute(&sim, model.spec());
    let crs = out.crs.as_ref().expect("crs");
    assert!(crs.grade >= 1, "{crs:?}");
    let onset = crs.onset_day.expect("onset with CRS");
    let edge = crs.grade_edges[0];
    let before = value(&sim, &model, &crs.cytokine, onset - 1e-6);
    let after = value(&sim, &model, &crs.cytokine, onset + 1e-6);
    assert!(
        before < edge && after >= edge && onset <= crs.peak_day,
        "onset {onset} (peak day {}): {before} / {after} around {edge}",
        crs.peak_day
    );
    // no CAR-T cells, no cytokine storm: no grade, no onset
    let none = run(
        &model,
        &regimen("none"),
        None,
        60.0,
        SolverOptions::default(),
    );
    let quiet = Outcomes::compute(&none, model.spec());
    let c = quiet.crs.as_ref().expect("crs role");
    assert_eq!((c.grade, c.onset_day), (0, None), "{c:?}");
}

#[test]
fn deeper_lymphodepletion_does_not_lower_car_t_expansion() {
    let model = load("cart_all");
    let cmax = |reg: &str| {
        let sim = run(
            &model,
            &regimen(reg),
            Some(DOSE),
            60.0,
            SolverOptions::default(),
        );
        Outcomes::compute(&sim, model.spec())
            .car_t
            .expect("kinetics")
            .cmax
    };
    let (none, eliana) = (cmax("none"), cmax("eliana"));
    assert!(eliana > none, "eliana {eliana:e} vs none {none:e}");
}

#[test]
fn extinction_is_an_event_and_zeroes_the_population() {
    let model = load("cart_all");
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        100.0,
        SolverOptions::default(),
    );
    let lp = sim
        .events
        .iter()
        .find(|e| e.kind == EventKind::Extinction && e.detail.starts_with("Lp "))
        .expect("Lp goes extinct");
    // just before, about one cell; after, exactly zero
    let before = value(&sim, &model, "Lp", lp.time - 1e-7);
    assert!(
        (0.99..1.2).contains(&before),
        "Lp before extinction {before}"
    );
    assert_eq!(
        value(&sim, &model, "Lp", lp.time + 1e-7).to_bits(),
        0.0f64.to_bits()
    );
    assert_eq!(value(&sim, &model, "Lp", 99.0).to_bits(), 0.0f64.to_bits());
    // without extinction the same population keeps shrinking below one cell
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        100.0,
        SolverOptions {
            extinction: false,
            ..SolverOptions::default()
        },
    );
    let kept = value(&sim, &model, "Lp", 40.0);
    assert!(kept > 0.0 && kept < 1.0, "Lp without extinction {kept}");
}

#[test]
fn both_methods_agree_on_cart_all() {
    let model = load("cart_all");
    let a = run(&model, &regimen("eliana"), Some(DOSE), 365.0, tight(1e-9));
    let b = run(
        &model,
        &regimen("eliana"),
        Some(DOSE),
        365.0,
        SolverOptions {
            method: Method::Dop853,
            ..tight(1e-9)
        },
    );
    for name in ["car_t", "B", "N", "IL6", "AUCF", "blast_fraction"] {
        for t in [1.0, 7.5, 10.0, 20.0, 100.0, 365.0] {
            let (x, y) = (value(&a, &model, name, t), value(&b, &model, name, t));
            if x.abs() > 1e-300 || y.abs() > 1e-300 {
                assert!((x / y - 1.0).abs() < 1e-5, "{name} at {t}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn default_tolerances_are_close_to_tight_ones() {
    // the defaults (rtol 1e-6) must resolve clinical outcomes to well under a day
    let model = load("cart_all");
    let outcomes = |o: SolverOptions| {
        Outcomes::compute(
            &run(&model, &regimen("eliana"), Some(DOSE), 1825.0, o),
            model.spec(),
        )
    };
    let (d, t) = (outcomes(SolverOptions::default()), outcomes(tight(1e-10)));
    let (kd, kt) = (d.car_t.expect("k"), t.car_t.expect("k"));
    assert!((kd.cmax / kt.cmax - 1.0).abs() < 1e-4 && (kd.tmax_day - kt.tmax_day).abs() < 1e-2);
    let (rd, rt) = (d.response.expect("r"), t.response.expect("r"));
    assert!((rd.mrd_negative_day.expect("mrd") - rt.mrd_negative_day.expect("mrd")).abs() < 1e-3);
    assert!(
        (d.b_cell_aplasia.expect("a").duration_days - t.b_cell_aplasia.expect("a").duration_days)
            .abs()
            < 0.1
    );
}

#[test]
fn blow_up_is_a_clear_error_not_a_hang() {
    let mut model = load("leon_triana_2021");
    // CAR-T cells that die within hours, and leukemia doubling every 3 hours, pass 1e30 cells
    // (ln x > 69) around day 8.9
    model.set("rho_L", 5.0).expect("in bounds");
    model.set("tau_C", 0.1).expect("in bounds");
    model.set("rho_C", 1e-16).expect("in bounds");
    let started = std::time::Instant::now();
    let err = cartkin_core::simulate::simulate(&cartkin_core::simulate::Request::with_regimen(
        &model,
        child(),
        &regimen("none"),
        Some(1e7),
        365.0,
        SolverOptions::default(),
    ))
    .expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("leon_triana_2021")
            && msg.contains("`L`")
            && (msg.contains("day 8.") || msg.contains("day 9.")),
        "{msg}"
    );
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn a_step_budget_overrun_names_the_model_the_day_and_a_remedy() {
    let model = load("cart_all");
    let err = cartkin_core::simulate::simulate(&cartkin_core::simulate::Request::with_regimen(
        &model,
        child(),
        &regimen("eliana"),
        Some(DOSE),
        1825.0,
        SolverOptions {
            max_steps: 50,
            ..SolverOptions::default()
        },
    ))
    .expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("cart_all")
            && msg.contains("before day")
            && msg.contains("stiff")
            && msg.contains("--rtol"),
        "{msg}"
    );
}

#[test]
fn a_second_infusion_revives_an_extinct_car_t_population() {
    let mut model = load("leon_triana_2021");
    model.set("tau_C", 0.5).expect("in bounds"); // CAR-T die out within days
    let text = "name = \"two\"\n[[car_t]]\nday = 0.0\nfraction = 1.0\n[[car_t]]\nday = 60.0\nfraction = 1.0\n";
    let reg =
        cartkin_core::regimen::parse(std::path::Path::new("two.toml"), text).expect("regimen");
    let sim = run(&model, &reg, Some(1e7), 100.0, SolverOptions::default());
    assert_eq!(value(&sim, &model, "C", 59.0).to_bits(), 0.0f64.to_bits());
    assert!(value(&sim, &model, "C", 60.0) > 9e6);
}

#[test]
fn a_sliver_step_at_a_segment_end_does_not_underflow_the_next_segment() {
    // Found generating synthetic data: with these Stein parameters the expansion segment ended
    // with a ~1e-15-day sliver step; starting the next segment from it tripped ode_solvers'
    // step-underflow check at Tmax, and once that was fixed the sliver node wrecked the
    // interpolant's divided differences (values of 1e29 around Tmax).
    let mut model = load("stein_2019");
    for (name, value) in [
        ("Cmax", 21_586.266_638_630_943),
        ("foldx", 6_469.962_688_571_33),
        ("Tmax", 12.756_449_877_890_502),
        ("alpha", 0.056_864_115_376_157_26),
        ("FB", 0.003_172_714_085_563_425),
        ("beta", 0.001_166_140_812_555_269_1),
    ] {
        model.set(name, value).expect("in bounds");
    }
    let sim = run(
        &model,
        &regimen("none"),
        None,
        365.0,
        SolverOptions::default(),
    );
    assert!(value(&sim, &model, "transgene", 365.0) > 0.0);
}

/// Outcome queries interpolate only the states an observable declares it reads
/// (`Dynamics::observable_inputs`) and evaluate it alone (`Dynamics::observe_one`): both must
/// agree with `observe` for every bundled model, or outcomes would silently change.
#[test]
fn observable_inputs_and_observe_one_agree_with_observe() {
    for (name, path) in cartkin_core::model::list_bundled() {
        let model = cartkin_core::model::Model::load(&path).expect("valid model");
        let dynamics = model.dynamics(&child());
        let (n, n_obs) = (model.spec().states.len(), model.spec().observables.len());
        let observe = |x: &[f64]| {
            let mut out = [0.0; cartkin_core::outcome::MAX_COLUMNS];
            dynamics.observe(x, &mut out);
            out
        };
        for scale in [1e-3, 0.7, 1e4, 3e9] {
            let x: Vec<f64> = (0..n).map(|i| scale * (1.0 + i as f64)).collect();
            let base = observe(&x);
            for (j, &expected) in base.iter().enumerate().take(n_obs) {
                let one = dynamics.observe_one(j, &x);
                assert_eq!(
                    one.to_bits(),
                    expected.to_bits(),
                    "{name}: observe_one({j})"
                );
                let inputs = dynamics.observable_inputs(j);
                for i in (0..n).filter(|i| inputs & (1 << i) == 0) {
                    let mut y = x.clone();
                    y[i] = 3.0 * y[i] + 7.0;
                    assert_eq!(
                        observe(&y)[j].to_bits(),
                        expected.to_bits(),
                        "{name}: observable {j} reads state {i}, which it does not declare"
                    );
                }
            }
        }
    }
}

/// An event cuts the step it falls in, and the run restarts from the state at the event. That
/// state is the solver's (re-integrated from the step's start to the crossing), not the cubic
/// interpolant of the step: on Dop853's day-long steps the interpolant erred by 1.8e-5 of the
/// CAR-T count half a day before the leukemia's extinction (with exhaustion k_X 0.3, where the
/// kill accelerates), 100 times the integration error. Dop853 at rtol 1e-9 must agree with
/// Dopri5 at 1e-11 to 1e-7 (relative) through the extinction; measured 3e-9 at most.
#[test]
fn events_restart_from_the_solvers_state_not_the_interpolants() {
    let mut model = load("cart_all");
    model.set("k_X", 0.3).expect("k_X");
    let dose = Some(3e6 * 35.0);
    let coarse = run(
        &model,
        &regimen("eliana"),
        dose,
        40.0,
        SolverOptions {
            method: Method::Dop853,
            ..tight(1e-9)
        },
    );
    let reference = run(&model, &regimen("eliana"), dose, 40.0, tight(1e-11));
    let extinct = coarse
        .events
        .iter()
        .find(|e| e.kind == EventKind::Extinction && e.time > 0.0)
        .map(|e| e.time)
        .expect("the leukemia dies out within 40 days");
    for dt in [-1.5, -1.0, -0.5, -0.25, 0.0, 0.25, 1.0, 5.0] {
        let t = extinct + dt;
        let (x, y) = (
            value(&reference, &model, "car_t", t),
            value(&coarse, &model, "car_t", t),
        );
        assert!((y / x - 1.0).abs() < 1e-7, "day {t}: {y} vs {x}");
    }
}
