"""cart_all with the ELIANA regimen for scipy.integrate.solve_ivp, mirroring cartkin.

Equations: `crates/cartkin-core/src/model/builtin/cart_all.rs` (`CartAllDynamics::derivatives`)
and `fludarabine.rs` (`FludarabinePk::from_typical`, `FludarabinePk::derivatives`); parameter
values from `models/cart_all.toml` via export_params.py. States (cartkin order):

    E, M, Lp, Ln, B, N, IL6   cells (IL6 in pg/mL)   integrated as ln x
    F1, F2, F3, Cy, AUCF      mg (AUCF in mg·h/L)    integrated linearly

E, M, Lp, Ln and B go extinct below one cell; F1..F3 and Cy wash out below 2e-7 / 2.5e-7 mg
(`models/cart_all.toml`, see segments.py for both mechanisms).

Regimen (`data/regimens/eliana.toml`, turned into doses as `Regimen::doses` in
`crates/cartkin-core/src/regimen/mod.rs`): fludarabine 30 mg/m² on days -5, -4, -3, -2 and
cyclophosphamide 500 mg/m² on days -5, -4, each a 1-h zero-order infusion (amount = mg/m² ×
Mosteller BSA, rate = amount / (1/24 day)); the CAR-T dose (3e6/kg for the typical patient) as
a bolus on day 0, split (1 - f_mem) into E and f_mem into M. The simulation starts at the
first dose (day -5). Doses are reproduced by integrating segment by segment between dose
events with constant infusion rates inside each segment (segments.py).
"""
import csv
import math

import numpy as np

from segments import Layout, simulate

STATES = ["E", "M", "Lp", "Ln", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF"]
LAYOUT = Layout(
    log=[True] * 7 + [False] * 5,
    extinction=[True] * 5 + [False] * 7,
    washout_below=[0.0] * 7 + [2.0e-7, 2.0e-7, 2.0e-7, 2.5e-7, 0.0],
)
CAR_T, FLUDARABINE, CYCLOPHOSPHAMIDE = 0, 1, 2  # route indices (`CartAll::routes`)
HOURS_PER_DAY = 24.0

# ELIANA: (drug route, mg/m², days, infusion hours), `data/regimens/eliana.toml`
ELIANA = [
    (FLUDARABINE, 30.0, [-5.0, -4.0, -3.0, -2.0], 1.0),
    (CYCLOPHOSPHAMIDE, 500.0, [-5.0, -4.0], 1.0),
]
CAR_T_DAYS = [(0.0, 1.0)]  # (day, fraction of the nominal dose)


def read_patients(path):
    """Rows of export_params.py output as dicts of floats."""
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


class CartAll:
    """Right-hand side in natural units, one patient (`CartAll::build`)."""

    def __init__(self, p):
        self.p = p
        w = p["weight_kg"]
        # FludarabinePk::from_typical (Langenhorst 2019; rates per hour × 24 → per day)
        size = w / 70.0
        allo = size ** 0.75
        cl = (p["CL_nr"] + p["theta_GFR"] * min(p["egfr"], p["eGFR_max"]) * 0.06) * allo
        v1, v2, v3 = p["V1"] * size, p["V2"] * size, p["V3"] * size
        q2, q3 = p["Q2"] * allo, p["Q3"] * allo
        self.v1 = v1
        self.k10 = HOURS_PER_DAY * cl / v1
        self.k12 = HOURS_PER_DAY * q2 / v1
        self.k21 = HOURS_PER_DAY * q2 / v2
        self.k13 = HOURS_PER_DAY * q3 / v1
        self.k31 = HOURS_PER_DAY * q3 / v3
        self.v_cy = p["v_Cy"] * w
        self.k_cy = math.log(2.0) / (p["t_half_Cy"] / 24.0)  # t½ in hours

    def initial_state(self):
        p = self.p
        return [0.0, 0.0, (1.0 - p["f_neg"]) * p["L0"], p["f_neg"] * p["L0"], p["B0"],
                p["N0"], p["IL6_0"], 0.0, 0.0, 0.0, 0.0, 0.0]

    def doses(self):
        """(time, route, amount, duration or None) as `Regimen::doses`."""
        p = self.p
        out = []
        for route, mg_m2, days, hours in ELIANA:
            for d in days:
                out.append((d, route, mg_m2 * p["bsa_m2"], hours / 24.0))
        for d, frac in CAR_T_DAYS:
            out.append((d, CAR_T, p["dose_cells"] * frac, None))
        return out

    def bolus(self, route, amount, x):
        if route == CAR_T:  # `apply_bolus`
            x[0] += (1.0 - self.p["f_mem"]) * amount
            x[1] += self.p["f_mem"] * amount

    def derivatives(self, rates, x):
        p = self.p
        e, m, lp, ln, b, n, il6, f1, f2, f3, cy, _auc = x
        car = e + m
        antigen = lp + b
        stim = antigen / (p["K_A"] + antigen)
        space = p["K_T"] / (p["K_T"] + n + car)
        chemo = p["s_F"] * f1 / self.v1 + p["s_Cy"] * cy / self.v_cy
        kill = p["gamma"] * e / (p["K_E"] + e)
        crowding = 1.0 - (lp + ln) / p["L_max"]
        reactivation = p["a_M"] * stim * m
        to_2 = self.k12 * f1 - self.k21 * f2
        to_3 = self.k13 * f1 - self.k31 * f3
        return np.array([
            p["rho_E"] * stim * space * e + reactivation
            - (p["delta_E"] + p["k_EM"] + chemo) * e,
            p["k_EM"] * e - reactivation - (p["delta_M"] + chemo) * m,
            (p["g_L"] * crowding - kill - p["f_L"] * chemo) * lp,
            (p["g_L"] * crowding - p["f_L"] * chemo) * ln,
            p["B0"] / p["tau_B"] / (1.0 + car / p["C50"]) - (1.0 / p["tau_B"] + kill + chemo) * b,
            (p["r_N"] * (1.0 - (n + car) / p["K_N"]) - chemo) * n,
            p["k_IL6"] * (p["IL6_0"] - il6) + p["p_IL6"] * kill * antigen * 1e-9,
            p["F_dose"] * rates[FLUDARABINE] - self.k10 * f1 - to_2 - to_3,
            to_2,
            to_3,
            rates[CYCLOPHOSPHAMIDE] - self.k_cy * cy,
            HOURS_PER_DAY * f1 / self.v1,
        ])


def run(patient, method, out_times, days=1825.0, rtol=1e-6, atol=1e-8):
    model = CartAll(patient)
    doses = model.doses()
    t_start = min(0.0, min(d[0] for d in doses))
    return simulate(model, LAYOUT, model.initial_state(), doses, t_start, days, out_times,
                    method=method, rtol=rtol, atol=atol, n_routes=3)
