#!/usr/bin/env python3
"""Check and time the scipy peers (solve_ivp LSODA, RK45, DOP853; right-hand side in Python).

Usage: bench_python.py check OUT_DIR TYPICAL_CSV POPULATION_CSV CHECK_N
       bench_python.py time  OUT_DIR TYPICAL_CSV POPULATION_CSV POP_N

check: untimed runs at rtol 1e-6, 1e-7, 1e-8 (atol 1e-8) for report.py's agreement gate:
  check_<workload>_<tool>_<rtol>_<patient>.csv   states at the check times
  peaks.csv    rtol,workload,tool_rtol,patient,tmax,cmax,nfev,segments (CAR-T peak)
time: timed runs at the rtol the gate chose (OUT_DIR/tolerances.csv: workload,tool,rtol):
  timings.csv  workload,tool,rtol,median_s,runs,nfev,total_s   (population: nfev median)
Timing is in-process (time.perf_counter around one simulation, interpreter start-up and
imports excluded): median over repeated runs for workloads 1 and 2; for the population, one
run of each of the first POP_N patients (median and total recorded; report.py uses total/N).
"""
import csv
import os
import sys
import time
import warnings

import numpy as np

import cart_all
import leon_triana
from segments import median_time

METHODS = ["LSODA", "RK45", "DOP853"]
ATOL = 1e-8
# rtol tried by the agreement gate, loosest first (report.py picks the loosest that passes)
RTOLS = [1e-6, 1e-7, 1e-8]
# check times: the sparse points compared with cartkin, and a 0.01-day grid for the peak
LT_POINTS = [1, 7, 14, 28, 60, 100, 200, 365]
CA_POINTS = [-4, -2, 0, 1, 3, 7, 10, 14, 21, 28, 60, 100, 180, 365, 730, 1095, 1825]
PEAK_GRID = np.round(np.arange(0.0, 100.0 + 1e-9, 0.01), 2)


def peak(times, car):
    """Grid maximum refined by a parabola through ln(car) at the three points around it."""
    k = int(np.argmax(car))
    if 0 < k < len(car) - 1 and car[k - 1] > 0 and car[k + 1] > 0:
        y0, y1, y2 = np.log(car[k - 1:k + 2])
        h = times[k + 1] - times[k]
        d = y0 - 2 * y1 + y2
        s = 0.5 * (y0 - y2) / d if d != 0 else 0.0
        return times[k] + s * h, float(np.exp(y1 - 0.25 * (y0 - y2) * s))
    return float(times[k]), float(car[k])


def check(out, workload, tool, patient, run, points, names, car_index):
    times = np.union1d(points, PEAK_GRID)
    r = run(times)
    keep = np.isin(times, points)
    with open(os.path.join(out, f"check_{workload}_{tool}_{patient}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time"] + names)
        for t, x in zip(times[keep], r.x[keep]):
            w.writerow([repr(float(t))] + [repr(float(v)) for v in x])
    grid = np.isin(times, PEAK_GRID)
    car = r.x[grid][:, car_index].sum(axis=1)
    tmax, cmax = peak(times[grid], car)
    return [workload, tool, patient, tmax, cmax, r.nfev, r.segments]


# A trial stage far from the solution can overflow exp(ln x); the solver then rejects the step
# and retries a smaller one (the result is unaffected). Keep numpy's warnings about it quiet.
warnings.filterwarnings("ignore", category=RuntimeWarning)


def read_tolerances(path):
    with open(path, newline="") as f:
        return {(r[0], r[1]): float(r[2]) for r in csv.reader(f)}


def main(argv):
    mode, out, typical_csv, population_csv, n = argv[1:6]
    n = int(n)
    typical = cart_all.read_patients(typical_csv)[0]
    population = cart_all.read_patients(population_csv)
    if mode == "check":
        check_all(out, typical, population, n)
    else:
        time_all(out, typical, population, n,
                 read_tolerances(os.path.join(out, "tolerances.csv")))


def check_all(out, typical, population, check_n):
    """Untimed runs at each candidate rtol, for report.py's agreement gate."""
    peaks = []
    for method in METHODS:
        tool = f"scipy_{method}"
        for rtol in RTOLS:
            tag = f"{tool}_{rtol:g}"
            peaks.append([rtol] + check(out, "leon_triana", tag, 0,
                                        lambda ts: leon_triana.run(method, ts, rtol, ATOL),
                                        LT_POINTS, leon_triana.STATES, [0]))
            peaks.append([rtol] + check(out, "cart_all", tag, 0,
                                        lambda ts: cart_all.run(typical, method, ts, 1825.0,
                                                                rtol, ATOL),
                                        CA_POINTS, cart_all.STATES, [0, 1]))
            for i in range(check_n):
                peaks.append([rtol] + check(out, "population", tag, i + 1,
                                            lambda ts: cart_all.run(population[i], method, ts,
                                                                    1825.0, rtol, ATOL),
                                            CA_POINTS, cart_all.STATES, [0, 1]))
        print(f"  checked {tool}", flush=True)
    with open(os.path.join(out, "peaks.csv"), "a", newline="") as f:
        csv.writer(f).writerows(peaks)


def time_all(out, typical, population, pop_n, tol):
    """Timed runs at the rtol chosen by the gate (tolerances.csv)."""
    timings = []
    for method in METHODS:
        tool = f"scipy_{method}"
        # (1) León-Triana, 365 days
        rtol = tol[("leon_triana", tool)]
        pts = np.array(LT_POINTS, float)
        nfev = leon_triana.run(method, pts, rtol, ATOL).nfev
        med, reps = median_time(lambda: leon_triana.run(method, pts, rtol, ATOL))
        timings.append(["leon_triana", tool, rtol, med, reps, nfev, ""])
        print(f"  leon_triana {tool} rtol {rtol:g}: {med * 1e3:.2f} ms ({reps} runs), "
              f"nfev {nfev}", flush=True)
        # (2) cart_all, typical ELIANA patient, 5 years
        rtol = tol[("cart_all", tool)]
        pts = np.array(CA_POINTS, float)
        nfev = cart_all.run(typical, method, pts, 1825.0, rtol, ATOL).nfev
        med, reps = median_time(lambda: cart_all.run(typical, method, pts, 1825.0, rtol, ATOL))
        timings.append(["cart_all", tool, rtol, med, reps, nfev, ""])
        print(f"  cart_all {tool} rtol {rtol:g}: {med * 1e3:.2f} ms ({reps} runs), "
              f"nfev {nfev}", flush=True)
        # (3) population: per-patient parameters exported from `cartkin population`
        rtol = tol[("population", tool)]
        per, nfevs = [], []
        for p in population[:pop_n]:
            t0 = time.perf_counter()
            r = cart_all.run(p, method, pts, 1825.0, rtol, ATOL)
            per.append(time.perf_counter() - t0)
            nfevs.append(r.nfev)
        timings.append(["population", tool, rtol, float(np.median(per)), len(per),
                        float(np.median(nfevs)), sum(per)])
        print(f"  population {tool} rtol {rtol:g}: {sum(per) / len(per) * 1e3:.2f} ms/patient "
              f"over {len(per)} patients ({sum(per):.1f} s)", flush=True)
    with open(os.path.join(out, "timings.csv"), "a", newline="") as f:
        csv.writer(f).writerows(timings)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv)
