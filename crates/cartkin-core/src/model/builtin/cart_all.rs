//! `cart_all`: the flagship mechanistic model of CD19 CAR-T therapy in B-ALL.
//!
//! Effector (`E`) and memory (`M`) CAR-T cells expand on CD19 antigen (CD19+ leukemia `Lp`
//! plus normal B cells `B`) within the homeostatic space left by endogenous lymphocytes
//! (`N`), which lymphodepletion empties. Effectors kill CD19+ targets; a pre-existing
//! CD19-negative clone (`Ln`) escapes. Fludarabine (Langenhorst 3-compartment PK, `F1..F3`)
//! and cyclophosphamide (`Cy`) kill lymphocytes and, less, leukemic cells. IL-6 rises with
//! the killing flux and maps to a CRS grade. The equations, with the source or assumption
//! of every term, are in `models/cart_all.toml` and the README.
//!
//! ```text
//! A = Lp + B;  stim = A/(K_A + A);  space = K_T/(K_T + N + E + M)
//! chemo = s_F·F1/V1 + s_Cy·Cy/V_Cy;  kill = γ·E/(K_E + E)
//! dE/dt  = ρ_E·stim·space·E + a_M·stim·M − (δ_E + k_EM)·E − chemo·E
//! dM/dt  = k_EM·E − a_M·stim·M − δ_M·M − chemo·M
//! dLp/dt = g_L·Lp·(1 − (Lp+Ln)/L_max) − kill·Lp − f_L·chemo·Lp
//! dLn/dt = g_L·Ln·(1 − (Lp+Ln)/L_max) − f_L·chemo·Ln
//! dB/dt  = (B0/τ_B)/(1 + (E+M)/C50) − B/τ_B − kill·B − chemo·B
//! dN/dt  = r_N·N·(1 − (N+E+M)/K_N) − chemo·N
//! dIL6/dt = k_IL6·(IL6_0 − IL6) + p_IL6·kill·(Lp + B)/1e9
//! dCy/dt = R_Cy − k_Cy·Cy,  k_Cy = ln 2/t½_Cy;  F1..F3, AUCF: Langenhorst 2019
//! ```

use super::fludarabine::FludarabinePk;
use crate::model::dynamics::{Dynamics, Route, RouteKind, SegmentInputs, Structure, fixed};
use crate::patient::Patient;

/// The cart_all structure (`structure = "cart_all"`).
pub struct CartAll;

const N_PARAMS: usize = 39;

/// Route indices, in the order of [`CartAll::routes`].
const ROUTE_CAR_T: usize = 0;
const ROUTE_FLUDARABINE: usize = 1;
const ROUTE_CYCLOPHOSPHAMIDE: usize = 2;

/// Named parameters (units in `models/cart_all.toml`).
#[derive(Debug, Clone, Copy)]
struct Params {
    rho_e: f64,
    k_a: f64,
    k_t: f64,
    a_m: f64,
    delta_e: f64,
    k_em: f64,
    delta_m: f64,
    f_mem: f64,
    gamma: f64,
    k_e: f64,
    g_l: f64,
    l_max: f64,
    l0: f64,
    f_neg: f64,
    f_l: f64,
    b0: f64,
    tau_b: f64,
    c50: f64,
    r_n: f64,
    k_n: f64,
    n0: f64,
    il6_0: f64,
    k_il6: f64,
    p_il6: f64,
    s_f: f64,
    s_cy: f64,
    h_marrow: f64,
    k_tg: f64,
}

struct CartAllDynamics {
    p: Params,
    pk: FludarabinePk,
    /// Cyclophosphamide volume [L] (v_cy × weight).
    v_cy: f64,
    /// Cyclophosphamide elimination rate [1/day].
    k_cy: f64,
}

impl Structure for CartAll {
    fn id(&self) -> &'static str {
        "cart_all"
    }
    fn states(&self) -> &'static [&'static str] {
        &[
            "E", "M", "Lp", "Ln", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF",
        ]
    }
    fn parameters(&self) -> &'static [&'static str] {
        &[
            "rho_E",
            "K_A",
            "K_T",
            "a_M",
            "delta_E",
            "k_EM",
            "delta_M",
            "f_mem",
            "gamma",
            "K_E",
            "g_L",
            "L_max",
            "L0",
            "f_neg",
            "f_L",
            "B0",
            "tau_B",
            "C50",
            "r_N",
            "K_N",
            "N0",
            "IL6_0",
            "k_IL6",
            "p_IL6",
            "s_F",
            "s_Cy",
            "v_Cy",
            "t_half_Cy",
            "H_marrow",
            "k_tg",
            "CL_nr",
            "theta_GFR",
            "V1",
            "V2",
            "V3",
            "Q2",
            "Q3",
            "eGFR_max",
            "F_dose",
        ]
    }
    fn observables(&self) -> &'static [&'static str] {
        &[
            "car_t",
            "transgene",
            "blast_fraction",
            "blasts_cd19pos",
            "blasts_cd19neg",
            "b_cell_fraction",
            "flu_conc",
            "cy_conc",
        ]
    }
    fn routes(&self) -> &'static [Route] {
        &[
            Route {
                name: "car_t",
                kind: RouteKind::Bolus,
                unit: "cells",
            },
            Route {
                name: "fludarabine",
                kind: RouteKind::Infusion,
                unit: "mg",
            },
            Route {
                name: "cyclophosphamide",
                kind: RouteKind::Infusion,
                unit: "mg",
            },
        ]
    }
    fn build(&self, values: &[f64], patient: &Patient) -> Box<dyn Dynamics> {
        let v: [f64; N_PARAMS] = fixed(values);
        let [
            rho_e,
            k_a,
            k_t,
            a_m,
            delta_e,
            k_em,
            delta_m,
            f_mem,
            gamma,
            k_e,
            g_l,
            l_max,
            l0,
            f_neg,
            f_l,
            b0,
            tau_b,
            c50,
            r_n,
            k_n,
            n0,
            il6_0,
            k_il6,
            p_il6,
            s_f,
            s_cy,
            v_cy,
            t_half_cy,
            h_marrow,
            k_tg,
            cl_nr,
            theta_gfr,
            v1,
            v2,
            v3,
            q2,
            q3,
            egfr_max,
            f_dose,
        ] = v;
        let p = Params {
            rho_e,
            k_a,
            k_t,
            a_m,
            delta_e,
            k_em,
            delta_m,
            f_mem,
            gamma,
            k_e,
            g_l,
            l_max,
            l0,
            f_neg,
            f_l,
            b0,
            tau_b,
            c50,
            r_n,
            k_n,
            n0,
            il6_0,
            k_il6,
            p_il6,
            s_f,
            s_cy,
            h_marrow,
            k_tg,
        };
        let pk = FludarabinePk::from_typical(
            [cl_nr, theta_gfr, v1, v2, v3, q2, q3, egfr_max, f_dose],
            patient,
        );
        Box::new(CartAllDynamics {
            p,
            pk,
            v_cy: v_cy * patient.weight_kg,
            // t½ in hours, model time in days
            k_cy: std::f64::consts::LN_2 / (t_half_cy / 24.0),
        })
    }
}

impl Dynamics for CartAllDynamics {
    fn initial_state(&self, x0: &mut [f64]) {
        let p = &self.p;
        x0[0] = 0.0; // E: arrives with the infusion
        x0[1] = 0.0; // M: arrives with the infusion
        x0[2] = (1.0 - p.f_neg) * p.l0;
        x0[3] = p.f_neg * p.l0;
        x0[4] = p.b0;
        x0[5] = p.n0;
        x0[6] = p.il6_0;
        x0[7..12].fill(0.0);
    }

    #[inline]
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]) {
        let p = &self.p;
        let (e, m, lp, ln, b, n, il6) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        let (f1, f2, f3, cy) = (x[7], x[8], x[9], x[10]);

        let car = e + m;
        let antigen = lp + b;
        let stim = antigen / (p.k_a + antigen);
        let space = p.k_t / (p.k_t + n + car);
        let chemo = p.s_f * f1 / self.pk.v1 + p.s_cy * cy / self.v_cy;
        let kill = p.gamma * e / (p.k_e + e);
        let crowding = 1.0 - (lp + ln) / p.l_max;
        let reactivation = p.a_m * stim * m;

        dxdt[0] = p.rho_e * stim * space * e + reactivation - (p.delta_e + p.k_em + chemo) * e;
        dxdt[1] = p.k_em * e - reactivation - (p.delta_m + chemo) * m;
        dxdt[2] = (p.g_l * crowding - kill - p.f_l * chemo) * lp;
        dxdt[3] = (p.g_l * crowding - p.f_l * chemo) * ln;
        dxdt[4] = p.b0 / p.tau_b / (1.0 + car / p.c50) - (1.0 / p.tau_b + kill + chemo) * b;
        dxdt[5] = (p.r_n * (1.0 - (n + car) / p.k_n) - chemo) * n;
        dxdt[6] = p.k_il6 * (p.il6_0 - il6) + p.p_il6 * kill * antigen * 1e-9;
        let flu = self
            .pk
            .derivatives(inputs.rates[ROUTE_FLUDARABINE], f1, f2, f3);
        dxdt[7..10].copy_from_slice(&flu[..3]);
        dxdt[10] = inputs.rates[ROUTE_CYCLOPHOSPHAMIDE] - self.k_cy * cy;
        dxdt[11] = flu[3];
    }

    fn observe(&self, x: &[f64], out: &mut [f64]) {
        let p = &self.p;
        let car = x[0] + x[1];
        let leukemia = x[2] + x[3];
        let marrow = leukemia + p.h_marrow;
        out[0] = car;
        out[1] = p.k_tg * car;
        out[2] = leukemia / marrow;
        out[3] = x[2] / marrow;
        out[4] = x[3] / marrow;
        out[5] = x[4] / p.b0;
        out[6] = x[7] / self.pk.v1;
        out[7] = x[10] / self.v_cy;
    }

    fn apply_bolus(&self, route: usize, amount: f64, x: &mut [f64]) {
        if route == ROUTE_CAR_T {
            x[0] += (1.0 - self.p.f_mem) * amount;
            x[1] += self.p.f_mem * amount;
        }
    }
}
