//! Stein et al. 2019: multiphasic tisagenlecleucel cellular kinetics.
//!
//! ```text
//! 0 ≤ t < Tmax:  dE/dt = ρ·E,                  E(0) = Cmax/foldx,  M = 0
//! t ≥ Tmax:      dE/dt = −α·E
//!                dM/dt = k·E − β·M,             k = FB·(α − β)
//! ρ = ln(foldx)/Tmax;  transgene = E + M [copies/µg]
//! closed form (τ = t − Tmax): E + M = Cmax·[(1 − FB)·e^(−ατ) + FB·e^(−βτ)]
//! ```
//! Stein AM et al. CPT Pharmacometrics Syst Pharmacol 2019;8:285–295. doi:10.1002/psp4.12388

use crate::model::dynamics::{Dynamics, SegmentInputs, Structure, fixed};
use crate::patient::Patient;

/// The Stein 2019 structure (`structure = "stein_2019"`).
pub struct Stein2019;

super::named::named_parameters! {
    /// Typical-value parameters of the Stein model.
    pub struct SteinParams {
        /// Peak transgene level [copies/µg].
        cmax = "Cmax",
        /// Fold expansion from R0 to Cmax [-].
        foldx = "foldx",
        /// Time of the peak [day].
        tmax = "Tmax",
        /// Contraction rate of effector-like cells [1/day].
        alpha = "alpha",
        /// Fraction of the peak entering the persistence phase [-].
        fb = "FB",
        /// Decline rate of memory-like cells [1/day].
        beta = "beta",
    }
}

impl SteinParams {
    /// The closed-form transgene level [copies/µg] at `t` days after infusion.
    pub fn transgene(&self, t: f64) -> f64 {
        if t < self.tmax {
            self.cmax / self.foldx * (self.foldx.ln() / self.tmax * t).exp()
        } else {
            let tau = t - self.tmax;
            self.cmax
                * ((1.0 - self.fb) * (-self.alpha * tau).exp() + self.fb * (-self.beta * tau).exp())
        }
    }
}

struct SteinDynamics {
    p: SteinParams,
    rho: f64,
    k: f64,
}

impl Structure for Stein2019 {
    fn id(&self) -> &'static str {
        "stein_2019"
    }
    fn states(&self) -> &'static [&'static str] {
        &["E", "M"]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &SteinParams::NAMES
    }
    fn observables(&self) -> &'static [&'static str] {
        &["transgene"]
    }
    fn build(&self, values: &[f64], _patient: &Patient) -> Box<dyn Dynamics> {
        let p = SteinParams::from_values(fixed(values));
        Box::new(SteinDynamics {
            p,
            rho: p.foldx.ln() / p.tmax,
            k: p.fb * (p.alpha - p.beta),
        })
    }
}

impl Dynamics for SteinDynamics {
    fn phase_switches(&self) -> Vec<(f64, &'static str)> {
        vec![(self.p.tmax, "Tmax: expansion ends")]
    }
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let (e, m) = (x[0], x[1]);
        if inputs.phase == 0 {
            dxdt[0] = self.rho * e;
            dxdt[1] = 0.0;
        } else {
            dxdt[0] = -self.p.alpha * e;
            dxdt[1] = self.k * e - self.p.beta * m;
        }
    }
    fn observe(&self, x: &[f64], out: &mut [f64]) {
        out[0] = x[0] + x[1];
    }
    fn observable_inputs(&self, _j: usize) -> u32 {
        0b11
    }
}
