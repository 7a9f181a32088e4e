//! The "host" shared by `cart_all` and `cart_dual`: everything except the leukemic clones.
//!
//! CAR-T effector/memory/exhausted kinetics, normal B cells, endogenous lymphocytes, the IL-6
//! signal, fludarabine (Langenhorst 3-compartment PK) and cyclophosphamide. The two structures
//! differ only in how leukemia is split into clones and in which targets each clone presents;
//! they pass the resulting antigen stimulus and kill flux in here, so a change to the host
//! equations reaches both models at once. The equations are documented in `cart_all.rs` and
//! `models/cart_all.toml`.
//!
//! Body size: every whole-body cell number of the host (B cells `B0`, lymphocyte capacity
//! `K_N`, homeostatic space `K_T`, marrow `H_marrow`, leukemic capacity `L_max`, and the
//! half-saturation counts `K_A`, `K_E`, `C50`, `A_IL6`) is given for the reference weight
//! `WT_ref` and scales with `WT/WT_ref`, as blood volume and lymphoid and marrow mass do (about
//! 70–80 mL/kg of blood at every age [R]); blood transgene and IL-6 are whole-body quantities
//! per unit of that volume.
//! Adults are not large children only in their doses: a per-kg dose meets a per-kg host.

use super::fludarabine::{FludarabineParams, FludarabinePk};
use crate::model::dynamics::{Agent, Route, RouteKind, SegmentInputs};
use crate::patient::Patient;

super::named::named_parameters! {
    /// cart_all's own parameters (units, meanings and sources in `models/cart_all.toml`); the
    /// leukemia parameters are read by the structures, the rest by [`Host`]. `L0`, `f_neg` and
    /// `N0` only set initial values, which come from the model file's `initial` expressions.
    pub(super) struct Params {
        rho_e = "rho_E",
        k_a = "K_A",
        k_t = "K_T",
        a_m = "a_M",
        delta_e = "delta_E",
        k_em = "k_EM",
        delta_m = "delta_M",
        f_mem = "f_mem",
        gamma = "gamma",
        k_e = "K_E",
        g_l = "g_L",
        l_max = "L_max",
        l0 = "L0",
        f_neg = "f_neg",
        f_l = "f_L",
        b0 = "B0",
        tau_b = "tau_B",
        c50 = "C50",
        r_n = "r_N",
        k_n = "K_N",
        n0 = "N0",
        il6_0 = "IL6_0",
        k_il6 = "k_IL6",
        p_il6 = "p_IL6",
        s_f = "s_F",
        s_cy = "s_Cy",
        v_cy = "v_Cy",
        t_half_cy = "t_half_Cy",
        h_marrow = "H_marrow",
        k_tg = "k_tg",
        k_x = "k_X",
        delta_x = "delta_X",
        m_il6 = "m_IL6",
        k_il6_half = "K_IL6",
        a_il6 = "A_IL6",
        wt_ref = "WT_ref",
        k_p = "k_P",
        f_exh = "f_exh",
        s_surv = "s_surv",
    }
}

/// Number of cart_all parameters ([`CART_ALL_PARAMETERS`]): its own, then the Langenhorst PK's.
pub(super) const N_HOST_PARAMS: usize = Params::N + FludarabineParams::N;

/// cart_all's parameters in the order `build` receives them (its own, then the Langenhorst
/// PK's); `cart_dual` appends its own.
pub(super) const CART_ALL_PARAMETERS: [&str; N_HOST_PARAMS] =
    concat(Params::NAMES, FludarabineParams::NAMES);

/// Route indices, in the order of [`ROUTES`].
pub(super) const ROUTE_CAR_T: usize = 0;
const ROUTE_FLUDARABINE: usize = 1;
const ROUTE_CYCLOPHOSPHAMIDE: usize = 2;

/// Dosing routes of both structures.
pub(super) const ROUTES: &[Route] = &[
    Route {
        agent: Agent::CarT,
        kind: RouteKind::Bolus,
        unit: "cells",
    },
    Route {
        agent: Agent::Fludarabine,
        kind: RouteKind::Infusion,
        unit: "mg",
    },
    Route {
        agent: Agent::Cyclophosphamide,
        kind: RouteKind::Infusion,
        unit: "mg",
    },
];

/// Concatenates two name lists at compile time (`C` must equal `A + B`, checked when the
/// constant is evaluated), so a structure can extend cart_all's parameter list without
/// repeating it.
pub(super) const fn concat<const A: usize, const B: usize, const C: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; C] {
    assert!(
        A + B == C,
        "concat: output length must be the sum of the inputs"
    );
    let mut out = [""; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < C {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// Host parameters bound to a patient: the parameter struct, fludarabine PK and the
/// cyclophosphamide volume and elimination rate.
pub(super) struct Host {
    /// Parameters, with the whole-body cell numbers scaled to the patient's size.
    pub p: Params,
    /// Body size relative to the reference, `WT/WT_ref` [-].
    size: f64,
    pk: FludarabinePk,
    /// Cyclophosphamide volume [L] (v_cy × weight).
    v_cy: f64,
    /// Cyclophosphamide elimination rate [1/day].
    k_cy: f64,
    /// Constant quotients of the right-hand side, formed once per patient: a division costs
    /// several multiplications, and the right-hand side runs thousands of times per patient.
    q: Quotients,
}

/// `Host`'s constant quotients (see [`Host::q`]).
struct Quotients {
    /// s_F/V1 [1/(mg·day)].
    chemo_f: f64,
    /// s_Cy/V_Cy [1/(mg·day)].
    chemo_cy: f64,
    /// 1/L_max [1/cells].
    inv_l_max: f64,
    /// 1/τ_B [1/day].
    inv_tau_b: f64,
    /// B0/τ_B [cells/day].
    b_production: f64,
    /// 1/C50 [1/cells].
    inv_c50: f64,
    /// 1/K_N [1/cells].
    inv_k_n: f64,
    /// 1e-9/size: engagements per 1e9 cells at the reference size [1/cells].
    engaged_scale: f64,
}

impl Host {
    /// Binds cart_all's parameter values (in [`CART_ALL_PARAMETERS`] order) and covariates.
    pub fn new(values: [f64; N_HOST_PARAMS], patient: &Patient) -> Self {
        let (own, pk) = values.split_at(Params::N);
        let mut p = Params::from_values(super::super::dynamics::fixed(own));
        // host cell numbers scale with body size (module documentation)
        let size = patient.weight_kg / p.wt_ref;
        for count in [
            &mut p.b0,
            &mut p.k_n,
            &mut p.k_t,
            &mut p.h_marrow,
            &mut p.l_max,
            &mut p.k_a,
            &mut p.k_e,
            &mut p.c50,
            &mut p.a_il6,
        ] {
            *count *= size;
        }
        let pk = FludarabinePk::from_typical(
            FludarabineParams::from_values(super::super::dynamics::fixed(pk)),
            patient,
        );
        let v_cy = p.v_cy * patient.weight_kg;
        let q = Quotients {
            chemo_f: p.s_f / pk.v1,
            chemo_cy: p.s_cy / v_cy,
            inv_l_max: 1.0 / p.l_max,
            inv_tau_b: 1.0 / p.tau_b,
            b_production: p.b0 / p.tau_b,
            inv_c50: 1.0 / p.c50,
            inv_k_n: 1.0 / p.k_n,
            engaged_scale: 1e-9 / size,
        };
        Host {
            p,
            size,
            pk,
            v_cy,
            // t½ in hours, model time in days
            k_cy: std::f64::consts::LN_2 / (p.t_half_cy / 24.0),
            q,
        }
    }

    /// Lymphodepleting kill rate [1/day]: s_F·F1/V1 + s_Cy·Cy/V_Cy.
    #[inline]
    pub fn chemo(&self, f1: f64, cy: f64) -> f64 {
        self.q.chemo_f * f1 + self.q.chemo_cy * cy
    }

    /// Kill rate [1/day] of a fully recognised target,
    /// `γ·(E/(K_E + E) + s_surv·F/(C50 + F + A))`: effectors in bulk (mass action below K_E),
    /// plus the surveillance of scarce targets by the functional CAR-T `F = E + M` that
    /// persist — the same cells, at the same half-saturation C50, that keep B cells aplastic.
    /// Surveillance needs CAR-T to outnumber their targets (`A`, the antigen-bearing cells):
    /// in bulk disease it vanishes, during aplasia it is near γ·s_surv. A CD19+ cell reappearing
    /// during aplasia meets the CAR-T that keep the B cells away (Pulsipher 2022: loss of
    /// aplasia precedes CD19+ relapse); how fast it dies scales with the leukemia's own
    /// sensitivity γ.
    #[inline]
    pub fn kill(&self, e: f64, functional: f64, antigen: f64) -> f64 {
        let p = &self.p;
        let (bulk, scarce) = (p.k_e + e + antigen, p.c50 + functional + antigen);
        // one division for the two fractions (a division costs several multiplications)
        p.gamma * (e * scarce + p.s_surv * functional * bulk) / (bulk * scarce)
    }

    /// Net growth rate of leukemic cells from crowding, `g_L·(1 − leukemia/L_max)` [1/day].
    #[inline]
    pub fn leukemic_growth(&self, leukemia: f64) -> f64 {
        self.p.g_l * (1.0 - leukemia * self.q.inv_l_max)
    }

    /// Antigen stimulation `A/(K_A + A)` [-] of the antigen the CAR binds [cells].
    #[inline]
    pub fn stimulation(&self, antigen: f64) -> f64 {
        antigen / (self.p.k_a + antigen)
    }

    /// `[dE/dt, dM/dt, dX/dt, dP/dt]` given the stimulation, effector, memory and exhausted
    /// CAR-T, their proliferative potential `P`, endogenous lymphocytes and chemo. Effectors
    /// proliferate on antigen at `ρ_E·P` within the homeostatic space, become memory at `k_EM`
    /// and exhausted at `k_X·stim`; exhausted cells neither proliferate nor kill, and die at
    /// `δ_X`. The potential `P` (1 at infusion) is spent by stimulation at `k_P·stim`: T cells
    /// driven by antigen lose proliferative capacity as they differentiate (Kirouac 2023), so
    /// expansion ends within weeks even when the leukemia persists. `P` is the infused
    /// population's mean: a second infusion does not refresh it. All CAR-T cells occupy
    /// homeostatic space.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn car_t(
        &self,
        stim: f64,
        e: f64,
        m: f64,
        x: f64,
        potential: f64,
        n: f64,
        chemo: f64,
    ) -> [f64; 4] {
        let p = &self.p;
        let space = p.k_t / (p.k_t + n + e + m + x);
        let reactivation = p.a_m * stim * m;
        let exhaustion = p.k_x * stim * e;
        [
            p.rho_e * potential * stim * space * e + reactivation
                - exhaustion
                - (p.delta_e + p.k_em + chemo) * e,
            p.k_em * e - reactivation - (p.delta_m + chemo) * m,
            exhaustion - (p.delta_x + chemo) * x,
            // spent only once there are CAR-T cells to stimulate (nothing before infusion)
            if e > 0.0 {
                -p.k_p * stim * potential
            } else {
                0.0
            },
        ]
    }

    /// `[dB/dt, dN/dt]`: B cells (production suppressed by functional CAR-T `functional`,
    /// killed at `kill_b`) and endogenous lymphocytes (logistic, sharing capacity with every
    /// CAR-T cell `car`).
    #[inline]
    pub fn lymphocytes(
        &self,
        b: f64,
        n: f64,
        functional: f64,
        car: f64,
        kill_b: f64,
        chemo: f64,
    ) -> [f64; 2] {
        let (p, q) = (&self.p, &self.q);
        [
            q.b_production / (1.0 + functional * q.inv_c50) - (q.inv_tau_b + kill_b + chemo) * b,
            (p.r_n * (1.0 - (n + car) * q.inv_k_n) - chemo) * n,
        ]
    }

    /// dIL6/dt [pg/mL/day]: produced by effector CAR-T engaging antigen — `E·A/(A_IL6 + A)`
    /// engagements per unit of body size (mass action below `A_IL6`, per 1e9 cells at the
    /// reference weight; whether or not the target then dies) — amplified by the myeloid loop up to `1 + m_IL6` as IL-6 rises (macrophages
    /// activated by CAR-T make most IL-6 and respond to it: Santurio 2025, Giavridis 2018,
    /// Norelli 2018), cleared at `k_IL6`. Early, when few effectors meet much antigen, and
    /// growing with burden (Teachey 2016) and expansion (Mueller 2018; lymphodepletion frees
    /// space, Hay 2017); no expansion, little IL-6.
    #[inline]
    pub fn il6(&self, il6: f64, antigen: f64, e: f64) -> f64 {
        let p = &self.p;
        // engagements are whole-body counts, IL-6 a concentration: per size-scaled volume, as
        // transgene is
        // engaged = e·antigen/(A_IL6 + antigen)/size/1e9 and amplification =
        // 1 + m_IL6·IL6/(K_IL6 + IL6), formed with one division
        let (engagement_half, loop_half) = (p.a_il6 + antigen, p.k_il6_half + il6);
        let engaged_amplified = e * antigen * self.q.engaged_scale * (loop_half + p.m_il6 * il6)
            / (engagement_half * loop_half);
        p.k_il6 * (p.il6_0 - il6) + p.p_il6 * engaged_amplified
    }

    /// `[dF1, dF2, dF3, dCy, dAUCF]` for the drug states `[F1, F2, F3, Cy]`.
    #[inline]
    pub fn drugs(&self, inputs: &SegmentInputs, f1: f64, f2: f64, f3: f64, cy: f64) -> [f64; 5] {
        let flu = self
            .pk
            .derivatives(inputs.rates[ROUTE_FLUDARABINE], f1, f2, f3);
        [
            flu[0],
            flu[1],
            flu[2],
            inputs.rates[ROUTE_CYCLOPHOSPHAMIDE] - self.k_cy * cy,
            flu[3],
        ]
    }

    /// Observables `[car_t, transgene]` from E, M and X: every CAR-T cell carries the
    /// transgene; its blood level is whole-body CAR-T per unit of (size-scaled) blood.
    pub fn car_t_observables(&self, e: f64, m: f64, x: f64) -> [f64; 2] {
        let car = e + m + x;
        [car, self.p.k_tg * car / self.size]
    }

    /// Observables `[flu_conc, cy_conc]` [mg/L] from F1 and Cy.
    pub fn drug_concentrations(&self, f1: f64, cy: f64) -> [f64; 2] {
        [f1 / self.pk.v1, cy / self.v_cy]
    }

    /// Splits a CAR-T bolus of `amount` cells on `route` into `[E, M, X]` increments.
    pub fn infusion(&self, route: usize, amount: f64) -> Option<[f64; 3]> {
        let p = &self.p;
        (route == ROUTE_CAR_T).then_some([
            (1.0 - p.f_mem - p.f_exh) * amount,
            p.f_mem * amount,
            p.f_exh * amount,
        ])
    }
}
