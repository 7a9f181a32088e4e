//! León-Triana et al. 2021, eqs 4a–4c: CAR-T cells, leukemic cells and healthy B cells.
//!
//! ```text
//! dC/dt = ρ_C·(L + B)·C − C/τ_C
//! dL/dt = ρ_L·L − α·L·C
//! dB/dt = −α·B·C − B/τ_B
//! ```
//! León-Triana O et al. Commun Nonlinear Sci Numer Simul 2021;94:105570.
//! doi:10.1016/j.cnsns.2020.105570 (BioModels BIOMD0000001011).

use crate::model::dynamics::{Agent, Dynamics, Route, RouteKind, SegmentInputs, Structure, fixed};
use crate::patient::Patient;

/// The León-Triana 2021 structure (`structure = "leon_triana_2021"`).
pub struct LeonTriana2021;

super::named::named_parameters! {
    /// León-Triana 2021's parameters (Table 1).
    struct LeonTrianaParams {
        /// Kill rate of CD19+ cells per CAR-T cell [1/(cell·day)].
        alpha = "alpha",
        /// Antigen-driven CAR-T proliferation per CD19+ cell [1/(cell·day)].
        rho_c = "rho_C",
        /// Mean lifetime of CAR-T cells [day].
        tau_c = "tau_C",
        /// Leukemic growth rate [1/day].
        rho_l = "rho_L",
        /// Mean lifetime of healthy B cells [day].
        tau_b = "tau_B",
        /// Leukemic cells at infusion [cells] (the model file's `initial` of L).
        l0 = "L0",
        /// Healthy B cells at infusion [cells] (the model file's `initial` of B).
        b0 = "B0",
    }
}

struct LeonTrianaDynamics {
    alpha: f64,
    rho_c: f64,
    tau_c: f64,
    rho_l: f64,
    tau_b: f64,
}

impl Structure for LeonTriana2021 {
    fn id(&self) -> &'static str {
        "leon_triana_2021"
    }
    fn states(&self) -> &'static [&'static str] {
        &["C", "L", "B"]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &LeonTrianaParams::NAMES
    }
    fn observables(&self) -> &'static [&'static str] {
        &[]
    }
    fn routes(&self) -> &'static [Route] {
        &[Route {
            agent: Agent::CarT,
            kind: RouteKind::Bolus,
            unit: "cells",
        }]
    }
    fn build(&self, values: &[f64], _patient: &Patient) -> Box<dyn Dynamics> {
        let p = LeonTrianaParams::from_values(fixed(values));
        Box::new(LeonTrianaDynamics {
            alpha: p.alpha,
            rho_c: p.rho_c,
            tau_c: p.tau_c,
            rho_l: p.rho_l,
            tau_b: p.tau_b,
        })
    }
}

impl Dynamics for LeonTrianaDynamics {
    fn derivatives(&self, _inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let (c, l, b) = (x[0], x[1], x[2]);
        dxdt[0] = self.rho_c * (l + b) * c - c / self.tau_c;
        dxdt[1] = self.rho_l * l - self.alpha * l * c;
        dxdt[2] = -self.alpha * b * c - b / self.tau_b;
    }
    fn observe(&self, _x: &[f64], _out: &mut [f64]) {}
    fn apply_bolus(&self, _route: usize, amount: f64, x: &mut [f64]) {
        x[0] += amount;
    }
}
