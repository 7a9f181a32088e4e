"""Segment-by-segment driver for scipy.integrate.solve_ivp, mirroring cartkin's simulation loop.

It reproduces, in Python, what `crates/cartkin-core/src/simulate.rs` (`Runner::run`,
`Runner::advance`) and `crates/cartkin-core/src/solve/layout.rs` do around the ODE solver:

* Solver coordinates (layout.rs): cell populations are integrated as z = ln x, drug amounts
  linearly (scale 1). A state that is not "alive" is zero and does not change.
* Doses (simulate.rs `schedule`): a bolus is added to the natural state at its time; an
  infusion is a piecewise-constant rate switched on at its start and off at its end. Time is
  cut into segments at every dose event and each segment is integrated with its own
  solve_ivp call (the inputs are constant inside a segment, so the right-hand side is smooth).
* Extinction (simulate.rs `advance`): a population flagged for extinction that falls below one
  cell (ln x < 0) is set to zero. Here this is a terminal solve_ivp event on ln x = 0; the
  segment is restarted from the event time with that state removed.
* Washout (integrate.rs `solout`): while nothing is infused, the drug amounts are frozen at
  zero once all of them are below their washout amounts; here a terminal event on
  max_i |z_i| / w_i = 1, then restart. A later infusion re-activates them.

The model supplies `derivatives(rates, x, dx)` in natural units (cells, mg), exactly like a
cartkin `Dynamics` (`crates/cartkin-core/src/model/dynamics.rs`).
"""
import numpy as np
from scipy.integrate import solve_ivp


class Layout:
    """Per-state representation (cartkin `Layout`): log/linear, extinction, washout amount."""

    def __init__(self, log, extinction, washout_below):
        self.n = len(log)
        self.log = np.array(log, dtype=bool)
        self.extinction = np.array(extinction, dtype=bool) & self.log
        self.washout_below = np.array(washout_below, dtype=float)
        self.washout = self.washout_below > 0.0


class Result:
    def __init__(self, t, x, nfev, segments, events):
        self.t = t            # output times
        self.x = x            # natural states at those times, shape (len(t), n)
        self.nfev = nfev      # RHS evaluations summed over segments (as scipy reports them)
        self.segments = segments
        self.events = events  # (time, "extinction"/"washout", state indices)


def simulate(model, layout, x0, doses, t_start, t_end, out_times, method="RK45",
             rtol=1e-6, atol=1e-8, n_routes=3):
    """Integrates `model` from `t_start` to `t_end`.

    doses: list of (time, route, amount, duration_days or None for a bolus); the model's
    `bolus(route, amount, x)` handles boluses, infusions add amount/duration to rates[route].
    out_times: sorted times at which to report the state (right-continuous at jumps).
    """
    n = layout.n
    # actions, as in simulate.rs `schedule`: (time, kind, route, value)
    actions = []
    for (t, route, amount, duration) in doses:
        if duration is None:
            actions.append((t, 0, route, amount))
        else:
            rate = amount / duration
            actions.append((t, 1, route, rate))
            actions.append((t + duration, 1, route, -rate))
    actions.sort(key=lambda a: a[0])

    x = np.array(x0, dtype=float)
    alive = ~layout.log | (x > 0.0)
    z = np.where(layout.log, np.log(np.where(x > 0.0, x, 1.0)), x)
    z[~alive] = 0.0
    rates = [0.0] * n_routes
    nfev = 0
    segments = 0
    events = []
    out_times = np.asarray(out_times, dtype=float)
    out_x = np.full((len(out_times), n), np.nan)
    out_k = 0  # next output index

    def natural(zz, alive_):
        xx = np.where(layout.log, np.exp(zz), zz)
        xx[~alive_] = 0.0
        return xx

    t = t_start
    ia = 0
    while True:
        while ia < len(actions) and actions[ia][0] <= t:
            _, kind, route, value = actions[ia]
            if kind == 0:
                xx = natural(z, alive)
                model.bolus(route, value, xx)
                newly = layout.log & (xx > 0.0)
                alive = alive | newly
                z = np.where(layout.log & alive, np.log(np.where(xx > 0.0, xx, 1.0)), xx)
                z[~alive] = 0.0
            else:
                alive = alive | layout.washout  # an infusion re-activates washed-out drugs
                rates[route] += value
                if abs(rates[route]) <= 1e-9 * abs(value):
                    rates[route] = 0.0
            ia += 1
        if t >= t_end:
            break
        t1 = min(actions[ia][0], t_end) if ia < len(actions) else t_end
        # ---- advance(t, t1): one or more solve_ivp calls, restarted at extinctions/washouts
        while t < t1:
            below = layout.extinction & alive & (z < 0.0)
            if below.any():
                alive = alive & ~below
                z[below] = 0.0
                events.append((t, "extinction", np.flatnonzero(below).tolist()))
            log_alive = layout.log & alive
            frozen_rates = tuple(rates)

            def fun(_t, zz, log_alive=log_alive, alive_=alive, r=frozen_rates):
                xx = np.where(log_alive, np.exp(zz), zz)
                xx[~alive_] = 0.0
                dx = model.derivatives(r, xx)
                dz = np.where(log_alive, dx / np.where(xx > 0.0, xx, 1.0), dx)
                dz[~alive_] = 0.0
                return dz

            evs = []
            ext_idx = np.flatnonzero(layout.extinction & alive)
            for i in ext_idx:
                ev = (lambda i: lambda _t, zz: zz[i])(i)
                ev.terminal = True
                ev.direction = -1
                evs.append(ev)
            wash_idx = np.flatnonzero(layout.washout & alive)
            washing = len(wash_idx) > 0 and all(r == 0.0 for r in rates)
            if washing:
                w = layout.washout_below[wash_idx]

                def ev_wash(_t, zz, idx=wash_idx, w=w):
                    return max(abs(zz[j]) / wj for j, wj in zip(idx, w)) - 1.0
                ev_wash.terminal = True
                ev_wash.direction = -1
                evs.append(ev_wash)
            while out_k < len(out_times) and out_times[out_k] <= t:
                out_x[out_k] = natural(z, alive)
                out_k += 1
            k1 = int(np.searchsorted(out_times, t1, side="left"))
            t_eval = np.append(out_times[out_k:k1], t1)
            sol = solve_ivp(fun, (t, t1), z, method=method, rtol=rtol, atol=atol,
                            t_eval=t_eval, events=evs or None)
            if sol.status < 0:
                raise RuntimeError(f"solve_ivp failed at t={t}: {sol.message}")
            nfev += sol.nfev
            segments += 1
            for j, tj in enumerate(sol.t):
                if tj < t1:
                    out_x[out_k] = natural(sol.y[:, j], alive)
                    out_k += 1
            if sol.status == 1:  # a terminal event: extinction or washout
                j = next(j for j, te in enumerate(sol.t_events) if len(te))
                t = float(sol.t_events[j][0])
                z = sol.y_events[j][0].copy()
                if j < len(ext_idx):
                    gone = ext_idx[z[ext_idx] <= 1e-9]
                    gone = np.union1d(gone, [ext_idx[j]]).astype(int)
                    kind = "extinction"
                else:
                    gone = wash_idx
                    kind = "washout"
                alive = alive.copy()
                alive[gone] = False
                z[gone] = 0.0
                events.append((t, kind, gone.tolist()))
            else:
                z = sol.y[:, -1].copy()
                t = t1
        t = t1
    # outputs exactly at t_end if requested and not yet filled
    while out_k < len(out_times) and out_times[out_k] <= t_end:
        out_x[out_k] = natural(z, alive)
        out_k += 1
    return Result(out_times, out_x, nfev, segments, events)


def median_time(fn, min_reps=5, min_seconds=2.0, max_reps=1000):
    """Median wall time [s] of fn() over at least min_reps calls and min_seconds."""
    import time
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps
                                     or time.perf_counter() - start < min_seconds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], len(times)
