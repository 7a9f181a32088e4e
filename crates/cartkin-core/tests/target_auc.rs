//! Fludarabine dosed to a target AUC (model-informed dosing by weight and eGFR).
//!
//! The Langenhorst PK is linear, so a course of total fludarabine-phosphate dose D gives
//! AUC(0–∞) = F_dose·D/CL exactly, whatever the schedule and volumes. Dosing D = AUC·CL/F_dose
//! must therefore reproduce the target in the simulation up to the integration error and the
//! tail of F-ara-A not yet eliminated (or frozen by washout) at the end of the run.

mod common;

use approx::assert_relative_eq;
use cartkin_core::model::Model;
use cartkin_core::outcome::Outcomes;
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{Drug, DrugAmount, Regimen};
use cartkin_core::simulate::{self, Request};
use common::{load, regimen, tight};

/// (weight kg, height cm, eGFR mL/min/1.73 m², age y): a toddler with impaired renal
/// function, a child, and an adult above the eGFR cap of 140.
const PATIENTS: [(f64, f64, f64, f64); 3] = [
    (15.0, 95.0, 60.0, 3.0),
    (35.0, 140.0, 120.0, 11.0),
    (80.0, 178.0, 160.0, 30.0),
];

fn patient((weight, height, egfr, age): (f64, f64, f64, f64)) -> Patient {
    Patient::new(weight, height, None, egfr, age, "test").expect("valid patient")
}

/// Cumulative F-ara-A AUC [mg·h/L] at day 30: `fludarabine_auc` outcome and the AUC state.
/// By day 30 (≥ 32 days after the last dose, terminal t½ under a day) the untaken tail is below
/// 1e-12 of the total.
fn auc(model: &Model, patient: Patient, regimen: &Regimen, dosing_model: &Model) -> (f64, f64) {
    let request = Request::with_regimen_dosed_by(
        model,
        dosing_model,
        patient,
        regimen,
        None,
        30.0,
        tight(1e-8),
    );
    let sim = simulate::simulate(&request).expect("simulation succeeds");
    let state = if model.spec().column_index("AUCF").is_some() {
        "AUCF"
    } else {
        "AUC"
    };
    let outcome = Outcomes::compute(&sim, model.spec())
        .fludarabine_auc
        .expect("model reports a fludarabine AUC");
    (outcome, common::value(&sim, model, state, 30.0))
}

#[test]
fn target_auc_is_reached_for_any_weight_and_egfr() {
    let target = regimen("eliana_flu_auc20");
    for name in ["cart_all", "fludarabine_langenhorst_2019"] {
        let model = load(name);
        for p in PATIENTS {
            let (outcome, state) = auc(&model, patient(p), &target, &model);
            // 1e-4 relative: Dopri5 at rtol 1e-8 integrates the AUC to ~1e-7 relative, and
            // washout freezes at most ~1e-6 mg of F-ara-A (≤ 1e-7 mg·h/L of AUC); the margin
            // covers both with three orders of magnitude to spare
            assert_relative_eq!(outcome, 20.0, max_relative = 1e-4);
            assert_relative_eq!(state, 20.0, max_relative = 1e-4);
            eprintln!("{name} {p:?}: AUC {outcome:.8} mg·h/L (target 20)");
        }
    }
}

#[test]
fn the_dose_is_auc_times_clearance_over_f() {
    let model = load("cart_all");
    // 35 kg, eGFR 120 (below the cap of 140): CL = (3.2 + 0.78·120·0.06)·(35/70)^0.75 L/h
    let child = patient(PATIENTS[1]);
    let cl = (3.2 + 0.78 * 120.0 * 0.06) * 0.5f64.powf(0.75);
    let dosing = cartkin_core::model::FludarabineDosing::for_model(&model, &child)
        .expect("cart_all has the PK");
    assert_relative_eq!(dosing.clearance_l_per_h, cl, max_relative = 1e-14);
    assert_relative_eq!(dosing.f_dose, 0.78);
    let doses = regimen("eliana_flu_auc20").doses_with(&child, None, Some(dosing));
    let flu: Vec<f64> = doses
        .iter()
        .filter(|d| d.route == cartkin_core::model::Agent::Fludarabine)
        .map(|d| d.amount)
        .collect();
    // 20 mg·h/L over four equal administrations, ≈ 33.6 mg each
    assert_eq!(flu.len(), 4);
    for amount in &flu {
        assert_relative_eq!(*amount, 20.0 * cl / 0.78 / 4.0, max_relative = 1e-14);
    }
    // cyclophosphamide stays at 500 mg/m² × BSA
    let cy: Vec<f64> = doses
        .iter()
        .filter(|d| d.route == cartkin_core::model::Agent::Cyclophosphamide)
        .map(|d| d.amount)
        .collect();
    assert_eq!(cy.len(), 2);
    assert_relative_eq!(cy[0], 500.0 * child.bsa_m2, max_relative = 1e-14);
    // above the cap eGFR no longer raises clearance: 80 kg at 160 is dosed as at 140
    let adult = patient(PATIENTS[2]);
    let capped = (3.2 + 0.78 * 140.0 * 0.06) * (80.0f64 / 70.0).powf(0.75);
    let dosing = cartkin_core::model::FludarabineDosing::for_model(&model, &adult)
        .expect("cart_all has the PK");
    assert_relative_eq!(dosing.clearance_l_per_h, capped, max_relative = 1e-14);
    // the Stein model has no fludarabine PK: no dosing, and the AUC course is left out
    let stein = load("stein_2019");
    assert!(cartkin_core::model::FludarabineDosing::for_model(&stein, &child).is_none());
    assert!(
        regimen("eliana_flu_auc20")
            .doses(&child, None)
            .iter()
            .all(|d| d.route != cartkin_core::model::Agent::Fludarabine)
    );
}

#[test]
fn bsa_dosing_exposure_follows_egfr_and_target_dosing_does_not() {
    let model = load("fludarabine_langenhorst_2019");
    let eliana = regimen("eliana");
    let target = regimen("eliana_flu_auc20");
    let at = |egfr: f64| patient((35.0, 140.0, egfr, 11.0));
    let (standard_60, _) = auc(&model, at(60.0), &eliana, &model);
    let (standard_120, _) = auc(&model, at(120.0), &eliana, &model);
    // same BSA dose: AUC ∝ 1/CL, CL(60)/CL(120) = (3.2 + 2.808)/(3.2 + 5.616) → 1.467× more;
    // 1e-4 relative as above
    let expected = (3.2 + 0.78 * 120.0 * 0.06) / (3.2 + 0.78 * 60.0 * 0.06);
    assert_relative_eq!(standard_60 / standard_120, expected, max_relative = 1e-4);
    assert!(standard_60 / standard_120 > 1.4);
    let (target_60, _) = auc(&model, at(60.0), &target, &model);
    let (target_120, _) = auc(&model, at(120.0), &target, &model);
    assert_relative_eq!(target_60 / target_120, 1.0, max_relative = 1e-4);
    // and against weight: BSA dosing under-exposes the heavier patient of similar eGFR
    // relative to the toddler's, target dosing does not
    let small = patient((15.0, 95.0, 120.0, 3.0));
    let large = patient((80.0, 178.0, 120.0, 30.0));
    let (std_small, _) = auc(&model, small, &eliana, &model);
    let (std_large, _) = auc(&model, large, &eliana, &model);
    assert!(
        (std_small / std_large - 1.0).abs() > 0.05,
        "BSA dosing: {std_small} vs {std_large}"
    );
    let (tgt_small, _) = auc(&model, small, &target, &model);
    let (tgt_large, _) = auc(&model, large, &target, &model);
    assert_relative_eq!(tgt_small / tgt_large, 1.0, max_relative = 1e-4);
    eprintln!(
        "eliana 35 kg: eGFR 60 {standard_60:.3}, 120 {standard_120:.3}; 15 vs 80 kg at 120: {std_small:.3} vs {std_large:.3} mg·h/L"
    );
}

#[test]
fn an_individual_clearance_scatters_the_auc_around_the_typical_target() {
    let typical = load("cart_all");
    let mut individual = typical.clone();
    // a patient whose non-renal clearance is twice the typical value (a random effect)
    individual
        .set("CL_nr", 6.4)
        .expect("within the parameter bounds");
    let child = patient(PATIENTS[1]);
    let target = regimen("eliana_flu_auc20");
    let (dosed_by_typical, _) = auc(&individual, child, &target, &typical);
    let (dosed_by_self, _) = auc(&individual, child, &target, &individual);
    // dosed with the typical clearance: AUC = 20·CL_typ/CL_ind, 1e-4 relative as above
    let cl = |cl_nr: f64| (cl_nr + 0.78 * 120.0 * 0.06) * 0.5f64.powf(0.75);
    assert_relative_eq!(
        dosed_by_typical,
        20.0 * cl(3.2) / cl(6.4),
        max_relative = 1e-4
    );
    assert!(dosed_by_typical < 17.0);
    // dosed with its own clearance (what `with_regimen` does), the target is met
    assert_relative_eq!(dosed_by_self, 20.0, max_relative = 1e-4);
}

#[test]
fn the_bundled_regimens_load_and_transform_consistently() {
    let target = regimen("eliana_flu_auc20");
    assert!(target.targets_auc());
    // no fixed mg/m² of fludarabine, the cyclophosphamide of eliana
    assert_relative_eq!(target.total_mg_per_m2(Drug::Fludarabine), 0.0);
    assert_relative_eq!(target.total_mg_per_m2(Drug::Cyclophosphamide), 1000.0);
    // eliana turned into a 20 mg·h/L arm is the bundled regimen, up to its name and text
    let derived = regimen("eliana")
        .with_target_auc(20.0)
        .expect("eliana has fludarabine");
    assert_eq!(derived.drugs, target.drugs);
    assert_eq!(derived.car_t, target.car_t);
    let reduced = regimen("reduced");
    assert_relative_eq!(reduced.total_mg_per_m2(Drug::Fludarabine), 90.0);
    assert_relative_eq!(reduced.total_mg_per_m2(Drug::Cyclophosphamide), 900.0);
    assert!(matches!(
        reduced.drugs[0].amount,
        DrugAmount::PerM2 { mg_per_m2 } if (mg_per_m2 - 30.0).abs() < 1e-12
    ));
}
