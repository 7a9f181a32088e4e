#!/usr/bin/env python3
"""Independent reference solution of the Leon-Triana et al. (2021) CAR-T / B-ALL model.

What it computes
----------------
León-Triana O. et al., "CAR T cell therapy in B-cell acute lymphoblastic leukaemia:
Insights from mathematical models", Commun Nonlinear Sci Numer Simul 94:105570 (2021),
equations (4a)-(4c) (BioModels BIOMD0000001011). Time in days, cells are absolute counts:

    dC/dt = rho_C (L + B) C - C / tau_C        (CAR-T cells)
    dL/dt = rho_L L - alpha L C                (leukemic cells)
    dB/dt = -alpha B C - B / tau_B             (healthy B cells)

    alpha = 4.5e-11 /cell/day, rho_C = 1.125e-11 /cell/day, tau_C = 14 d,
    rho_L = 1/30 /day, tau_B = 60 d;  C0 = 1e7, L0 = 5e10, B0 = 2.5e10 cells.

Method
------
The system is integrated in log space (u = ln x, du/dt = (dx/dt)/x), which keeps all three
populations positive and lets the solver track relative accuracy through the deep (many-log)
decline of L and B. No extinction threshold is applied (populations may fall below 1 cell).
Integrator: scipy.integrate.solve_ivp, method "Radau" (implicit, order 5), rtol = 1e-12,
atol = 1e-12 (on the log states, i.e. a relative error bound on the cell counts), analytic
Jacobian, dense output evaluated at t = 0, 1, ..., 200 d (t_eval).

Output
------
crates/cartkin-core/tests/data/leon_triana_reference.csv (relative to the repository root),
header `time,C,L,B`, one row per day 0..200, values in cells printed with %.17g
(round-trip exact doubles).

With --check the script also integrates with LSODA at rtol = 1e-10 (atol 1e-12) and prints the
maximum relative difference between the two solutions over the grid (an estimate of the
reference's own error), the peak of C and the time at which L falls below 1 cell.

How to run
----------
    pip install numpy scipy
    python3 scripts/reference/leon_triana_reference.py [--check] [--out PATH]
"""
import argparse
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

ALPHA = 4.5e-11
RHO_C = 1.125e-11
TAU_C = 14.0
RHO_L = 1.0 / 30.0
TAU_B = 60.0
X0 = np.array([1e7, 5e10, 2.5e10])  # C0, L0, B0
T_END = 200.0
GRID = np.arange(0.0, T_END + 1.0, 1.0)


def rhs(t, u):
    C, L, B = np.exp(u)
    return np.array([
        RHO_C * (L + B) - 1.0 / TAU_C,
        RHO_L - ALPHA * C,
        -ALPHA * C - 1.0 / TAU_B,
    ])


def jac(t, u):
    C, L, B = np.exp(u)
    return np.array([
        [0.0, RHO_C * L, RHO_C * B],
        [-ALPHA * C, 0.0, 0.0],
        [-ALPHA * C, 0.0, 0.0],
    ])


def solve(method, rtol, atol, dense=False):
    kw = dict(jac=jac) if method in ("Radau", "BDF", "LSODA") else {}
    sol = solve_ivp(rhs, (0.0, T_END), np.log(X0), method=method, rtol=rtol, atol=atol,
                    t_eval=GRID, dense_output=dense, **kw)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(
        repo, "crates", "cartkin-core", "tests", "data", "leon_triana_reference.csv"))
    ap.add_argument("--check", action="store_true",
                    help="cross-check against LSODA rtol 1e-10 and print summary numbers")
    args = ap.parse_args()

    ref = solve("Radau", 1e-12, 1e-12, dense=True)
    X = np.exp(ref.y)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("time,C,L,B\n")
        for i, t in enumerate(ref.t):
            f.write("%.17g,%.17g,%.17g,%.17g\n" % (t, X[0, i], X[1, i], X[2, i]))
    print(f"wrote {args.out} ({len(ref.t)} rows; Radau nfev={ref.nfev})")

    if args.check:
        chk = solve("LSODA", 1e-10, 1e-12)
        rel = np.abs(np.exp(chk.y - ref.y) - 1.0)  # |x_lsoda/x_radau - 1|
        for k, name in enumerate("CLB"):
            j = int(np.argmax(rel[k]))
            print(f"max rel diff {name}: {rel[k, j]:.3e} at t={GRID[j]:g}")
        print(f"max rel diff overall (Radau 1e-12 vs LSODA 1e-10): {rel.max():.3e}")
        # peak of C: root of dlnC/dt = rho_C (L+B) - 1/tau_C
        f = lambda t: rhs(t, ref.sol(t))[0]
        i = int(np.argmax(X[0]))
        tp = brentq(f, GRID[max(i - 1, 0)], GRID[i + 1], xtol=1e-13)
        print(f"C peak: t = {tp:.6f} d, C = {np.exp(ref.sol(tp)[0]):.10g} cells")
        g = lambda t: ref.sol(t)[1]  # ln L = 0  <=> L = 1 cell
        below = np.where(X[1] < 1.0)[0]
        if below.size:
            j = below[0]
            t1 = brentq(g, GRID[j - 1], GRID[j], xtol=1e-13)
            print(f"L < 1 cell at t = {t1:.6f} d")
        else:
            print(f"L stays >= 1 cell up to t={T_END}; min L = {X[1].min():.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
