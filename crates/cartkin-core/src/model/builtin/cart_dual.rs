//! `cart_dual`: cart_all with the leukemia split by CD19 and CD22, for CD19, CD22 and
//! dual-target (bicistronic or bispecific CD19/CD22) CAR-T products.
//!
//! No acquired antigen loss: cart_all's `H_neg` seeding (CD19 loss at `mu_neg` per cell
//! killed) is not modelled here, so a CD19-only product in this structure has only the
//! pre-existing CD19-negative clones — fewer CD19-negative relapses than the calibrated
//! `cart_all_eliana` (see `models/cart_dual_eliana.toml`).
//!
//! Four pre-existing clones, named by (CD19, CD22) status: `Lpp` (CD19+CD22+), `Lpn`
//! (CD19+CD22−/low), `Lnp` (CD19−CD22+) and `Lnn` (double negative). The product's activity
//! against each antigen is `w_19` and `w_22` (1 = directed at it, 0 = not); CD22 recognition
//! kills with relative potency `r_22` (CD22 CAR alone: 68% CR pooled vs ~85–90% for CD19,
//! Fergusson 2023; CD22-low escape after CD22 CAR, Spiegel 2021). A clone with antigen set `S`:
//!
//! ```text
//! a_S   = max(w_19·[19∈S], w_22·r_22·[22∈S])   kill weight: the stronger recognition wins
//! rec_S = max(w_19·[19∈S], w_22·[22∈S])        binding (stimulation) regardless of potency
//! A     = Σ_S rec_S·L_S + rec_B·B              B cells carry both antigens
//! kill  = γ·(E/(K_E + E + A) + s_surv·F/(C50 + F + A)),  F = E + M   (cart_all's)
//! dL_S/dt = g_L·L_S·(1 − ΣL/L_max) − a_S·kill·L_S − f_L·chemo·L_S
//! dB/dt   = (B0/τ_B)/(1 + (E+M)/C50) − B/τ_B − a_B·kill·B − chemo·B
//! dIL6/dt: cart_all's (effector engagements E·A/(A_IL6 + A), A the stimulating antigen)
//! Lpp(0) = (1−f_neg)(1−f_22neg)·L0   Lpn(0) = (1−f_neg)·f_22neg·L0
//! Lnp(0) = f_neg·(1−f_22neg_dn)·L0   Lnn(0) = f_neg·f_22neg_dn·L0   (each × WT/WT_ref)
//! ```
//!
//! The max, not a sum, is an assumption: a doubly recognised cell dies at the rate of its
//! stronger recognition, with no synergy between the two CARs (no data to size one). Everything
//! else is cart_all's host ([`super::cart_host`]). With `w_19 = 1, w_22 = 0` the weights are
//! exactly 1 for CD19+ clones and B cells and 0 otherwise, so `Lpp + Lpn` and `Lnp + Lnn`
//! follow cart_all's `Lp` and `Ln` (the same equations summed; only rounding differs).

use super::cart_host::{CART_ALL_PARAMETERS, Host, N_HOST_PARAMS, ROUTES, concat};
use crate::model::dynamics::{Dynamics, Route, SegmentInputs, Structure, fixed};
use crate::patient::Patient;

/// The cart_dual structure (`structure = "cart_dual"`).
pub struct CartDual;

super::named::named_parameters! {
    /// cart_dual's own parameters, after cart_all's (units and sources in
    /// `models/cart_dual_eliana.toml`). `f_22neg_dn` and `f_22neg` only split the initial
    /// leukemia (the model file's `initial` expressions).
    struct DualParams {
        /// CD19 activity of the product [-].
        w_19 = "w_19",
        /// CD22 activity of the product [-].
        w_22 = "w_22",
        /// CD22 kill potency relative to CD19 [-].
        r_22 = "r_22",
        /// Share of CD19-negative cells also CD22-negative [-].
        f_22neg_dn = "f_22neg_dn",
        /// Share of CD19-positive cells CD22-low [-].
        f_22neg = "f_22neg",
    }
}

const N_PARAMS: usize = N_HOST_PARAMS + DualParams::N;
const PARAMETERS: [&str; N_PARAMS] = concat(CART_ALL_PARAMETERS, DualParams::NAMES);

/// Number of leukemic clones and their first state index.
const N_CLONES: usize = 4;
const FIRST_CLONE: usize = 2;
/// Antigens of each clone in state order (CD19, CD22): Lpp, Lpn, Lnp, Lnn.
const CLONE_ANTIGENS: [(bool, bool); N_CLONES] =
    [(true, true), (true, false), (false, true), (false, false)];

struct CartDualDynamics {
    host: Host,
    /// Kill weight `a_S` of each clone.
    kill_weight: [f64; N_CLONES],
    /// Antigen-stimulation weight `rec_S` of each clone.
    stim_weight: [f64; N_CLONES],
    /// Kill weight of normal B cells (CD19+CD22+).
    kill_weight_b: f64,
    /// Stimulation weight of normal B cells.
    stim_weight_b: f64,
}

/// Recognition weight of a cell with the given antigens, CD22 scaled by `potency_22`:
/// the stronger of the two recognitions (no synergy assumed).
fn recognition(cd19: bool, cd22: bool, w_19: f64, w_22: f64, potency_22: f64) -> f64 {
    let by_19 = if cd19 { w_19 } else { 0.0 };
    let by_22 = if cd22 { w_22 * potency_22 } else { 0.0 };
    by_19.max(by_22)
}

impl Structure for CartDual {
    fn id(&self) -> &'static str {
        "cart_dual"
    }
    fn states(&self) -> &'static [&'static str] {
        &[
            "E", "M", "Lpp", "Lpn", "Lnp", "Lnn", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF",
            "X", "P",
        ]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &PARAMETERS
    }
    fn observables(&self) -> &'static [&'static str] {
        &[
            "car_t",
            "transgene",
            "blast_fraction",
            "blasts_cd19pos",
            "blasts_cd19neg",
            "blasts_cd22neg",
            "cd19pos_cells",
            "cd19neg_cells",
            "cd22pos_cells",
            "cd22neg_cells",
            "b_cell_fraction",
            "flu_conc",
            "cy_conc",
        ]
    }
    fn routes(&self) -> &'static [Route] {
        ROUTES
    }
    fn build(&self, values: &[f64], patient: &Patient) -> Box<dyn Dynamics> {
        let v: [f64; N_PARAMS] = fixed(values);
        let host_values: [f64; N_HOST_PARAMS] = fixed(&v[..N_HOST_PARAMS]);
        let DualParams {
            w_19, w_22, r_22, ..
        } = DualParams::from_values(fixed(&v[N_HOST_PARAMS..]));
        let host = Host::new(host_values, patient);
        let kill_weight = CLONE_ANTIGENS.map(|(c19, c22)| recognition(c19, c22, w_19, w_22, r_22));
        let stim_weight = CLONE_ANTIGENS.map(|(c19, c22)| recognition(c19, c22, w_19, w_22, 1.0));
        Box::new(CartDualDynamics {
            kill_weight,
            stim_weight,
            kill_weight_b: recognition(true, true, w_19, w_22, r_22),
            stim_weight_b: recognition(true, true, w_19, w_22, 1.0),
            host,
        })
    }
}

impl Dynamics for CartDualDynamics {
    #[inline]
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let h = &self.host;
        let (e, m) = (x[0], x[1]);
        let clones = &x[FIRST_CLONE..FIRST_CLONE + N_CLONES];
        let (b, n, il6) = (x[6], x[7], x[8]);
        let (f1, f2, f3, cy) = (x[9], x[10], x[11], x[12]);
        let exhausted = x[14];

        let (mut antigen, mut leukemia) = (0.0, 0.0);
        for (l, stim_w) in clones.iter().zip(&self.stim_weight) {
            antigen += stim_w * l;
            leukemia += l;
        }
        antigen += self.stim_weight_b * b;

        let chemo = h.chemo(f1, cy);
        let kill = h.kill(e, e + m, antigen);
        let growth = h.leukemic_growth(leukemia);
        let chemo_l = h.p.f_l * chemo;

        let stim = h.stimulation(antigen);
        let [de, dm, dx, dp] = h.car_t(stim, e, m, exhausted, x[15], n, chemo);
        dxdt[0] = de;
        dxdt[1] = dm;
        dxdt[14] = dx;
        dxdt[15] = dp;
        let d_clones = &mut dxdt[FIRST_CLONE..FIRST_CLONE + N_CLONES];
        for ((d, l), kill_w) in d_clones.iter_mut().zip(clones).zip(&self.kill_weight) {
            *d = (growth - kill_w * kill - chemo_l) * l;
        }
        dxdt[6..8].copy_from_slice(&h.lymphocytes(
            b,
            n,
            e + m,
            e + m + exhausted,
            self.kill_weight_b * kill,
            chemo,
        ));
        dxdt[8] = h.il6(il6, antigen, e);
        dxdt[9..14].copy_from_slice(&h.drugs(inputs, f1, f2, f3, cy));
    }

    fn observe(&self, x: &[f64], out: &mut [f64]) {
        let p = &self.host.p;
        let (lpp, lpn, lnp, lnn) = (x[2], x[3], x[4], x[5]);
        let (cd19pos, cd19neg) = (lpp + lpn, lnp + lnn);
        let (cd22pos, cd22neg) = (lpp + lnp, lpn + lnn);
        let leukemia = cd19pos + cd19neg;
        let marrow = leukemia + p.h_marrow;
        out[0..2].copy_from_slice(&self.host.car_t_observables(x[0], x[1], x[14]));
        out[2] = leukemia / marrow;
        out[3] = cd19pos / marrow;
        out[4] = cd19neg / marrow;
        out[5] = cd22neg / marrow;
        out[6] = cd19pos;
        out[7] = cd19neg;
        out[8] = cd22pos;
        out[9] = cd22neg;
        out[10] = x[6] / p.b0;
        out[11..13].copy_from_slice(&self.host.drug_concentrations(x[9], x[12]));
    }

    fn observable_inputs(&self, j: usize) -> u32 {
        // CAR-T from E, M, X (0, 1, 14); leukemia from the clones (2..6); B (6); F1 (9); Cy (12)
        const CAR: u32 = 0b11 | 1 << 14;
        const CLONES: u32 = 0b11_1100;
        const INPUTS: [u32; 13] = [
            CAR,
            CAR,
            CLONES,
            CLONES,
            CLONES,
            CLONES,
            CLONES,
            CLONES,
            CLONES,
            CLONES,
            1 << 6,
            1 << 9,
            1 << 12,
        ];
        INPUTS.get(j).copied().unwrap_or(u32::MAX)
    }

    fn apply_bolus(&self, route: usize, amount: f64, x: &mut [f64]) {
        if let Some([e, m, exhausted]) = self.host.infusion(route, amount) {
            x[0] += e;
            x[1] += m;
            x[14] += exhausted;
        }
    }
}
