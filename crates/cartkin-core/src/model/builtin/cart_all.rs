//! `cart_all`: the flagship mechanistic model of CD19 CAR-T therapy in B-ALL.
//!
//! Effector (`E`), memory (`M`) and exhausted (`X`) CAR-T cells; effectors expand on CD19
//! antigen (CD19+ leukemia `Lp` plus normal B cells `B`) within the homeostatic space left by
//! endogenous lymphocytes (`N`), which lymphodepletion empties, spending their proliferative
//! potential `P`. Effectors kill CD19+ targets. A CD19-negative clone (`Ln`) escapes: it may
//! pre-exist, or arise by antigen loss under CAR-T attack — a random event at `mu_neg` per
//! CD19+ cell killed, whose first occurrence the escape hazard `H_neg` times exactly (one cell
//! appears when it reaches 1: see [`crate::model::Seed`]). Fludarabine (Langenhorst 3-compartment PK, `F1..F3`) and cyclophosphamide (`Cy`)
//! kill lymphocytes and, less, leukemic cells. IL-6 rises with effectors engaging antigen,
//! amplified by the myeloid loop, and maps to a CRS grade. Host cell numbers scale with body
//! weight (`s = WT/WT_ref`). The equations, with the source or assumption of every term, are
//! in `models/cart_all.toml` and the README.
//!
//! ```text
//! A = Lp + B;  stim = A/(K_A + A);  space = K_T/(K_T + N + E + M + X)
//! chemo = s_F·F1/V1 + s_Cy·Cy/V_Cy;  F = E + M
//! kill  = γ·(E/(K_E + E + A) + s_surv·F/(C50 + F + A))
//! dE/dt  = ρ_E·P·stim·space·E + a_M·stim·M − (δ_E + k_EM + k_X·stim)·E − chemo·E
//! dM/dt  = k_EM·E − a_M·stim·M − δ_M·M − chemo·M
//! dX/dt  = k_X·stim·E − δ_X·X − chemo·X;   dP/dt = −k_P·stim·P  (after infusion)
//! dLp/dt = g_L·Lp·(1 − (Lp+Ln)/L_max) − kill·Lp − f_L·chemo·Lp
//! dLn/dt = g_L·Ln·(1 − (Lp+Ln)/L_max) − f_L·chemo·Ln;  Ln: 0 → 1 cell when H_neg reaches 1,
//!          H_neg then restarts from a fresh Exp(1) threshold
//! dH_neg/dt = mu_neg·kill·Lp/(−ln q_neg)  while Ln = 0 (q_neg ~ U(0,1): an Exp(1) threshold)
//! dB/dt  = (B0/τ_B)/(1 + (E+M)/C50) − B/τ_B − kill·B − chemo·B
//! dN/dt  = r_N·N·(1 − (N+E+M+X)/K_N) − chemo·N
//! dIL6/dt = k_IL6·(IL6_0 − IL6) + p_IL6·E·A/(A_IL6 + A)/s/1e9·(1 + m_IL6·IL6/(K_IL6 + IL6))
//! dCy/dt = R_Cy − k_Cy·Cy,  k_Cy = ln 2/t½_Cy;  F1..F3, AUCF: Langenhorst 2019
//! ```
//!
//! Everything but the leukemic clones (CAR-T, B cells, lymphocytes, IL-6, drugs) is in
//! `cart_host.rs`, shared with `cart_dual`.

use super::cart_host::{CART_ALL_PARAMETERS, Host, N_HOST_PARAMS, ROUTES, concat};
use crate::model::dynamics::{
    Dynamics, ParameterDomain, Route, Seed, SegmentInputs, Structure, fixed,
};
use crate::patient::Patient;

/// The cart_all structure (`structure = "cart_all"`).
pub struct CartAll;

const N_OBSERVABLES: usize = 8;
const OBSERVABLES: [&str; N_OBSERVABLES] = [
    "car_t",
    "transgene",
    "blast_fraction",
    "blasts_cd19pos",
    "blasts_cd19neg",
    "b_cell_fraction",
    "flu_conc",
    "cy_conc",
];

/// cart_all's parameters: the host's, then acquired antigen loss (not in `cart_dual`).
const N_PARAMS: usize = N_HOST_PARAMS + 2;
const PARAMETERS: [&str; N_PARAMS] = concat(CART_ALL_PARAMETERS, ["mu_neg", "q_neg"]);

/// State indices of the CD19-negative clone and of its escape hazard.
const LN: usize = 3;
const H_NEG: usize = 14;

struct CartAllDynamics {
    host: Host,
    /// Antigen-loss escapes per CD19+ cell killed [-] (`mu_neg`).
    mu_neg: f64,
    /// The patient's escape threshold, `−ln q_neg` ~ Exp(1) when `q_neg` ~ U(0, 1) [-].
    threshold: f64,
}

impl Structure for CartAll {
    fn id(&self) -> &'static str {
        "cart_all"
    }
    fn states(&self) -> &'static [&'static str] {
        &[
            "E", "M", "Lp", "Ln", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF", "X", "P",
            "H_neg",
        ]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &PARAMETERS
    }
    fn observables(&self) -> &'static [&'static str] {
        &OBSERVABLES
    }
    fn routes(&self) -> &'static [Route] {
        ROUTES
    }
    fn build(&self, values: &[f64], patient: &Patient) -> Box<dyn Dynamics> {
        let v: [f64; N_PARAMS] = fixed(values);
        let (host, own) = v.split_at(N_HOST_PARAMS);
        Box::new(CartAllDynamics {
            host: Host::new(fixed(host), patient),
            mu_neg: own[0],
            // q_neg's bounds keep it below 1, so the threshold is positive
            threshold: -own[1].ln(),
        })
    }
    fn parameter_domain(&self, name: &str) -> Option<ParameterDomain> {
        (name == "q_neg").then_some(ParameterDomain {
            at_least: 0.0,
            below: 1.0,
            reason: "q_neg is a probability whose −ln is the escape threshold, which must be positive",
        })
    }
    fn seeds(&self) -> &'static [Seed] {
        &[Seed {
            hazard: H_NEG,
            target: LN,
        }]
    }
}

impl Dynamics for CartAllDynamics {
    #[inline]
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let h = &self.host;
        let (e, m, lp, ln, b, n, il6) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        let (f1, f2, f3, cy) = (x[7], x[8], x[9], x[10]);
        let exhausted = x[12];

        let antigen = lp + b;
        let stim = h.stimulation(antigen);
        let chemo = h.chemo(f1, cy);
        let kill = h.kill(e, e + m, antigen);
        let growth = h.leukemic_growth(lp + ln);
        let chemo_l = h.p.f_l * chemo;

        let [de, dm, dx, dp] = h.car_t(stim, e, m, exhausted, x[13], n, chemo);
        dxdt[0] = de;
        dxdt[1] = dm;
        dxdt[12] = dx;
        dxdt[13] = dp;
        dxdt[2] = (growth - kill - chemo_l) * lp;
        dxdt[3] = (growth - chemo_l) * ln;
        // antigen loss under CAR-T attack: escapes arrive at mu_neg per CD19+ cell killed; the
        // hazard counts them (in units of the patient's threshold) only while no CD19-negative
        // clone exists, and the first one seeds it (further escapes into a living clone are
        // negligible next to its own growth)
        dxdt[H_NEG] = if ln > 0.0 {
            0.0
        } else {
            self.mu_neg * kill * lp / self.threshold
        };
        dxdt[4..6].copy_from_slice(&h.lymphocytes(b, n, e + m, e + m + exhausted, kill, chemo));
        dxdt[6] = h.il6(il6, antigen, e);
        dxdt[7..12].copy_from_slice(&h.drugs(inputs, f1, f2, f3, cy));
    }

    fn observe(&self, x: &[f64], out: &mut [f64]) {
        let p = &self.host.p;
        let leukemia = x[2] + x[3];
        let marrow = leukemia + p.h_marrow;
        out[0..2].copy_from_slice(&self.host.car_t_observables(x[0], x[1], x[12]));
        out[2] = leukemia / marrow;
        out[3] = x[2] / marrow;
        out[4] = x[3] / marrow;
        out[5] = x[4] / p.b0;
        out[6..8].copy_from_slice(&self.host.drug_concentrations(x[7], x[10]));
    }

    /// The same expressions as `observe` (so the same values), one at a time.
    #[inline]
    fn observe_one(&self, j: usize, x: &[f64]) -> f64 {
        let p = &self.host.p;
        let marrow = || x[2] + x[3] + p.h_marrow;
        match j {
            0 => self.host.car_t_observables(x[0], x[1], x[12])[0],
            1 => self.host.car_t_observables(x[0], x[1], x[12])[1],
            2 => (x[2] + x[3]) / marrow(),
            3 => x[2] / marrow(),
            4 => x[3] / marrow(),
            5 => x[4] / p.b0,
            6 => self.host.drug_concentrations(x[7], x[10])[0],
            7 => self.host.drug_concentrations(x[7], x[10])[1],
            _ => f64::NAN,
        }
    }

    fn observable_inputs(&self, j: usize) -> u32 {
        // the observables in `observe`'s order: states E, M, X | Lp, Ln | Lp, Ln | Lp, Ln | B | F1 | Cy
        const CAR: u32 = 0b11 | 1 << 12;
        const INPUTS: [u32; 8] = [CAR, CAR, 0b1100, 0b1100, 0b1100, 1 << 4, 1 << 7, 1 << 10];
        INPUTS.get(j).copied().unwrap_or(u32::MAX)
    }

    /// After the `count`-th escape the next one waits for a fresh Exp(1) amount of escape
    /// intensity, `T = −ln u`, the hazard restarting at `1 − T/T₁` (it counts in units of
    /// the first threshold `T₁ = −ln q_neg`). `u` is drawn from a generator seeded by the
    /// patient's own `q_neg` and the count: deterministic given the patient, independent of
    /// `q_neg` in distribution, so the escapes form a Poisson process (a clone that dies out
    /// as soon as it arises is retried after a random, not a fixed, wait).
    fn hazard_restart(&self, _seed: usize, count: u32) -> f64 {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(
            self.threshold.to_bits() ^ u64::from(count).rotate_left(32),
        );
        // in (0, 1]: −ln u is finite
        let u: f64 = 1.0 - rng.random::<f64>();
        1.0 + u.ln() / self.threshold
    }

    fn apply_bolus(&self, route: usize, amount: f64, x: &mut [f64]) {
        if let Some([e, m, exhausted]) = self.host.infusion(route, amount) {
            x[0] += e;
            x[1] += m;
            x[12] += exhausted;
        }
    }
}
