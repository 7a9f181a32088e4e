"""León-Triana 2021 (eqs 4a-4c) for scipy.integrate.solve_ivp, mirroring cartkin.

Equations and parameter values: `crates/cartkin-core/src/model/builtin/leon_triana.rs` and
`models/leon_triana_2021.toml` (also `scripts/reference/leon_triana_reference.py`):

    dC/dt = rho_C (L + B) C - C / tau_C
    dL/dt = rho_L L - alpha L C
    dB/dt = -alpha B C - B / tau_B

Workload (as `cartkin simulate --model leon_triana_2021 --days 365` and the criterion bench
`leon_triana_365d_dopri5`): C = 0 until the 1e7-cell CAR-T bolus on day 0, L0 = 5e10,
B0 = 2.5e10; all three integrated as ln x and extinct below one cell (see segments.py).
"""
import numpy as np

from segments import Layout, simulate

ALPHA = 4.5e-11
RHO_C = 1.125e-11
TAU_C = 14.0
RHO_L = 0.0333333333333333  # models/leon_triana_2021.toml (1/30 to 15 digits)
TAU_B = 60.0
L0, B0 = 5.0e10, 2.5e10
DOSE = 1.0e7
DAYS = 365.0

STATES = ["C", "L", "B"]
LAYOUT = Layout(log=[True] * 3, extinction=[True] * 3, washout_below=[0.0] * 3)


class LeonTriana:
    """Right-hand side in natural units (cells/day), as `LeonTrianaDynamics::derivatives`."""

    def derivatives(self, _rates, x):
        c, l, b = x
        return np.array([
            RHO_C * (l + b) * c - c / TAU_C,
            RHO_L * l - ALPHA * l * c,
            -ALPHA * b * c - b / TAU_B,
        ])

    def bolus(self, _route, amount, x):
        x[0] += amount  # `apply_bolus`: the CAR-T dose enters C


MODEL = LeonTriana()


def run(method, out_times, rtol=1e-6, atol=1e-8):
    return simulate(MODEL, LAYOUT, [0.0, L0, B0], [(0.0, 0, DOSE, None)], 0.0, DAYS,
                    out_times, method=method, rtol=rtol, atol=atol, n_routes=1)
