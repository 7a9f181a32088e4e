//! Langenhorst et al. 2019: three-compartment population PK of F-ara-A (fludarabine).
//!
//! ```text
//! CL = (CL_nr + θ_GFR·min(eGFR, cap(age))·0.06)·(WT/70)^0.75      [L/h]
//! cap(age): see [`egfr_cap`] (140 mL/min/1.73 m² from 1.5 to 30 years)
//! V1,V2,V3 = V·(WT/70);  Q2,Q3 = Q·(WT/70)^0.75      [L], [L/h]
//! dA1/dt = F·R(t) − (CL+Q2+Q3)/V1·A1 + Q2/V2·A2 + Q3/V3·A3
//! dA2/dt = Q2/V1·A1 − Q2/V2·A2;  dA3/dt = Q3/V1·A1 − Q3/V3·A3
//! Cp = A1/V1 [mg/L];  AUC = ∫Cp dt [mg·h/L]
//! ```
//! Rates in L/h are multiplied by 24 because model time is in days.
//! Langenhorst JB et al. Clin Pharmacokinet 2019;58:627–637. doi:10.1007/s40262-018-0715-9

use crate::model::dynamics::{Agent, Dynamics, Route, RouteKind, SegmentInputs, Structure, fixed};
use crate::patient::Patient;

/// Hours per day: PK rate constants are published per hour, model time is in days.
const HOURS_PER_DAY: f64 = 24.0;

/// The fludarabine structure (`structure = "fludarabine_langenhorst_2019"`).
pub struct FludarabineLangenhorst2019;

/// Individual F-ara-A disposition: first-order rate constants [1/day] and central volume [L].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FludarabinePk {
    /// Fraction of the fludarabine-phosphate dose mass that enters as F-ara-A [-].
    pub f_dose: f64,
    /// Central volume [L].
    pub v1: f64,
    /// Elimination rate constant CL/V1 [1/day].
    pub k10: f64,
    /// Central → peripheral 1 [1/day].
    pub k12: f64,
    /// Peripheral 1 → central [1/day].
    pub k21: f64,
    /// Central → peripheral 2 [1/day].
    pub k13: f64,
    /// Peripheral 2 → central [1/day].
    pub k31: f64,
    /// AUC accrual per mg in the central compartment, 24/V1 [h/(L·day)] (a multiplication in
    /// the right-hand side instead of a division).
    pub auc_per_amount: f64,
}

/// The maturation-adjusted eGFR cap [mL/min/1.73 m²] at `age_years` (Langenhorst 2019 §2.5,
/// as transcribed by nlmixr2lib [V2]):
///
/// ```text
/// cap(age) = eGFR_max·(f0 + (1 − f0)·age/a_mat)          age < a_mat         (ramp from birth)
///          = eGFR_max                                     a_mat ≤ age ≤ a_dec
///          = max(0, eGFR_max − d·(age − a_dec)/10)        age > a_dec         (d per decade)
/// ```
///
/// with `f0 = eGFR_max_f0` (0.25: 35 of 140 at birth), `a_mat = eGFR_max_age_mat` (1.5 y),
/// `a_dec = eGFR_max_age_decline` (30 y) and `d = eGFR_max_decline` (8 mL/min/1.73 m² per
/// decade). The source gives the end points of the ramp, not its shape: linear is an
/// assumption. The plateau returns `eGFR_max` itself, so patients aged 1.5–30 years are capped
/// exactly as with the former fixed cap.
pub fn egfr_cap(p: &FludarabineParams, age_years: f64) -> f64 {
    if age_years < p.egfr_max_age_mat {
        let ramp = age_years / p.egfr_max_age_mat;
        p.egfr_max * (p.egfr_max_f0 + (1.0 - p.egfr_max_f0) * ramp)
    } else if age_years <= p.egfr_max_age_decline {
        p.egfr_max
    } else {
        // a steep decline written in a model file must not make renal clearance negative
        (p.egfr_max - p.egfr_max_decline * (age_years - p.egfr_max_age_decline) / 10.0).max(0.0)
    }
}

/// F-ara-A clearance [L/h] of `patient` (Langenhorst 2019):
/// `CL = (CL_nr + θ_GFR·min(eGFR, cap(age))·0.06)·(WT/70)^0.75`, the cap by [`egfr_cap`].
///
/// The one place the covariate model of clearance is written: the ODE ([`FludarabinePk`]) and
/// model-informed dosing ([`FludarabineDosing`]) both use it, so a dose computed for a target
/// AUC is exactly the one the simulation reaches. The paper's between-patient effect
/// `exp(η_CL)` on total clearance is not written here: a population draws it as one shared
/// effect on both `CL_nr` and `theta_GFR` (same ω), which multiplies the whole sum.
pub fn clearance_l_per_h(p: &FludarabineParams, patient: &Patient) -> f64 {
    // eGFR [mL/min/1.73 m²] × 0.06 = L/h, capped as in the paper
    let egfr_l_per_h = patient.egfr.min(egfr_cap(p, patient.age_years)) * 0.06;
    (p.cl_nr + p.theta_gfr * egfr_l_per_h) * (patient.weight_kg / 70.0).powf(0.75)
}

/// What model-informed fludarabine dosing needs from a PK model for one patient.
///
/// The PK is linear, so over a whole course `AUC(0–∞) = F_dose·Dose/CL` exactly, whatever the
/// schedule and the distribution volumes: the fludarabine-phosphate dose for a target AUC is
/// [`FludarabineDosing::dose_mg`]` = AUC·CL/F_dose`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FludarabineDosing {
    /// F-ara-A clearance [L/h].
    pub clearance_l_per_h: f64,
    /// F-ara-A mass per mg of fludarabine phosphate dosed [-].
    pub f_dose: f64,
}

impl FludarabineDosing {
    /// Dosing information for `patient` from `model`'s current values of the Langenhorst
    /// parameters ([`FludarabineParams::NAMES`]: the clearance by [`clearance_l_per_h`], the
    /// same formula as the simulated PK, and `F_dose`); `None` when the model lacks one of
    /// them, or when `F_dose` or the clearance is not positive (no dose then reaches a target
    /// AUC).
    ///
    /// For model-informed dosing pass the *typical* model (covariates only): a virtual
    /// patient's random effects are unknown to the prescriber.
    pub fn for_model(model: &crate::model::Model, patient: &Patient) -> Option<Self> {
        let mut values = [0.0; FludarabineParams::N];
        for (v, name) in values.iter_mut().zip(FludarabineParams::NAMES) {
            *v = model.get(name)?;
        }
        let p = FludarabineParams::from_values(values);
        let clearance_l_per_h = clearance_l_per_h(&p, patient);
        let f_dose = p.f_dose;
        let positive = |x: f64| x.is_finite() && x > 0.0;
        (positive(clearance_l_per_h) && positive(f_dose)).then_some(FludarabineDosing {
            clearance_l_per_h,
            f_dose,
        })
    }

    /// Total fludarabine-phosphate dose [mg] whose F-ara-A AUC(0–∞) is `auc_mg_h_per_l`.
    pub fn dose_mg(&self, auc_mg_h_per_l: f64) -> f64 {
        auc_mg_h_per_l * self.clearance_l_per_h / self.f_dose
    }

    /// F-ara-A AUC(0–∞) [mg·h/L] of a total fludarabine-phosphate dose [mg].
    pub fn auc_mg_h_per_l(&self, dose_mg: f64) -> f64 {
        self.f_dose * dose_mg / self.clearance_l_per_h
    }
}

impl FludarabinePk {
    /// Individual PK from the Langenhorst typical values and the patient's weight and eGFR.
    pub fn from_typical(p: FludarabineParams, patient: &Patient) -> Self {
        let FludarabineParams {
            v1,
            v2,
            v3,
            q2,
            q3,
            f_dose,
            ..
        } = p;
        let size = patient.weight_kg / 70.0;
        let allo = size.powf(0.75);
        let cl = clearance_l_per_h(&p, patient);
        let (v1, v2, v3) = (v1 * size, v2 * size, v3 * size);
        let (q2, q3) = (q2 * allo, q3 * allo);
        FludarabinePk {
            f_dose,
            v1,
            k10: HOURS_PER_DAY * cl / v1,
            k12: HOURS_PER_DAY * q2 / v1,
            k21: HOURS_PER_DAY * q2 / v2,
            k13: HOURS_PER_DAY * q3 / v1,
            k31: HOURS_PER_DAY * q3 / v3,
            auc_per_amount: HOURS_PER_DAY / v1,
        }
    }

    /// Derivatives of (A1, A2, A3) [mg/day] given an infusion rate [mg/day]; returns
    /// (dA1, dA2, dA3, dAUC) with dAUC in mg·h/L per day.
    #[inline]
    pub fn derivatives(&self, rate: f64, a1: f64, a2: f64, a3: f64) -> [f64; 4] {
        let to_2 = self.k12 * a1 - self.k21 * a2;
        let to_3 = self.k13 * a1 - self.k31 * a3;
        [
            self.f_dose * rate - self.k10 * a1 - to_2 - to_3,
            to_2,
            to_3,
            self.auc_per_amount * a1,
        ]
    }
}

struct FludarabineDynamics {
    pk: FludarabinePk,
}

super::named::named_parameters! {
    /// The Langenhorst 2019 typical values (per 70 kg), shared by every model that embeds this
    /// PK.
    pub struct FludarabineParams {
        /// Non-renal clearance [L/h].
        cl_nr = "CL_nr",
        /// Renal clearance per unit eGFR [L/h per mL/min/1.73 m²].
        theta_gfr = "theta_GFR",
        /// Central volume [L].
        v1 = "V1",
        /// First peripheral volume [L].
        v2 = "V2",
        /// Second peripheral volume [L].
        v3 = "V3",
        /// Intercompartmental clearance to V2 [L/h].
        q2 = "Q2",
        /// Intercompartmental clearance to V3 [L/h].
        q3 = "Q3",
        /// eGFR above which renal clearance no longer rises, between `eGFR_max_age_mat` and
        /// `eGFR_max_age_decline` years of age [mL/min/1.73 m²] (see [`egfr_cap`]).
        egfr_max = "eGFR_max",
        /// F-ara-A mass per mg of fludarabine phosphate dosed [-].
        f_dose = "F_dose",
        /// The eGFR cap at birth as a fraction of `eGFR_max` [-].
        egfr_max_f0 = "eGFR_max_f0",
        /// Age at which the eGFR cap reaches `eGFR_max` [years].
        egfr_max_age_mat = "eGFR_max_age_mat",
        /// Age after which the eGFR cap declines [years].
        egfr_max_age_decline = "eGFR_max_age_decline",
        /// Decline of the eGFR cap after `eGFR_max_age_decline` [mL/min/1.73 m² per 10 years].
        egfr_max_decline = "eGFR_max_decline",
    }
}

impl Structure for FludarabineLangenhorst2019 {
    fn id(&self) -> &'static str {
        "fludarabine_langenhorst_2019"
    }
    fn states(&self) -> &'static [&'static str] {
        &["A1", "A2", "A3", "AUC"]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &FludarabineParams::NAMES
    }
    fn observables(&self) -> &'static [&'static str] {
        &["Cp"]
    }
    fn routes(&self) -> &'static [Route] {
        &[Route {
            agent: Agent::Fludarabine,
            kind: RouteKind::Infusion,
            unit: "mg",
        }]
    }
    fn build(&self, values: &[f64], patient: &Patient) -> Box<dyn Dynamics> {
        Box::new(FludarabineDynamics {
            pk: FludarabinePk::from_typical(FludarabineParams::from_values(fixed(values)), patient),
        })
    }
}

impl Dynamics for FludarabineDynamics {
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let d = self.pk.derivatives(inputs.rates[0], x[0], x[1], x[2]);
        dxdt[..4].copy_from_slice(&d);
    }
    fn observe(&self, x: &[f64], out: &mut [f64]) {
        out[0] = x[0] / self.pk.v1;
    }
    fn observable_inputs(&self, _j: usize) -> u32 {
        1
    }
}
