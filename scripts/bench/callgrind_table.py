#!/usr/bin/env python3
"""Turns a callgrind profile of `examples/profile_simulation` into the BENCHMARKS.md table.

Usage: callgrind_table.py CALLGRIND_OUT [FLOOR_CALLGRIND_OUT]

FLOOR_CALLGRIND_OUT, a profile of `profile_simulation --floor`, adds the floor (the same number
of RHS evaluations alone, function `replay_rhs`) and the ratio of the whole to it.

Reads the raw callgrind file (not callgrind_annotate's output, which splits a function by the
source file of its inlined lines), sums each function's self cost, and takes inclusive costs
from the call edges, so "inclusive" is exact per caller -> callee pair. Every figure is divided
by the number of calls to `cartkin_core::simulate::simulate`: instructions per simulation.
"""
import re
import sys
from collections import defaultdict


def parse(path):
    names = {}  # compressed id -> name, per kind
    self_cost = defaultdict(int)
    edges = defaultdict(lambda: [0, 0])  # (caller, callee) -> [calls, inclusive]
    fn = None
    pending = None  # (callee, calls) waiting for its cost line

    def name(kind, spec):
        m = re.match(r"\((\d+)\)(?: (.*))?", spec)
        if not m:
            return spec
        key = (kind, m.group(1))
        if m.group(2) is not None:
            names[key] = m.group(2)
        return names[key]

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line[0] == "#":
                continue
            if line.startswith("fn="):
                fn = name("fn", line[3:])
                continue
            if line.startswith("cfn=") or line.startswith("cfi=") or line.startswith("cfl="):
                if line.startswith("cfn="):
                    pending = [name("fn", line[4:]), None]
                else:
                    name("fl", line[4:])
                continue
            if line.startswith(("fl=", "fi=", "fe=")):
                name("fl", line[3:])
                continue
            if line.startswith("calls="):
                pending[1] = int(line[6:].split()[0])
                continue
            if line[0] in "0123456789+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending is not None and pending[1] is not None:
                    e = edges[(fn, pending[0])]
                    e[0] += pending[1]
                    e[1] += cost
                    pending = None
                else:
                    self_cost[fn] += cost
    return self_cost, edges


def main():
    self_cost, edges = parse(sys.argv[1])
    fns = set(self_cost) | {c for (_, c) in edges}

    def find(pattern):
        hits = [f for f in fns if re.search(pattern, f)]
        return hits

    def incl(pattern, caller=None):
        """Inclusive cost of functions matching `pattern`, over calls from `caller` (a
        pattern) or from anything that does not itself match (no double counting)."""
        total = 0
        for (a, b), (_, cost) in edges.items():
            if re.search(pattern, b) and not re.search(pattern, a):
                if caller is None or re.search(caller, a):
                    total += cost
        return total

    def calls(pattern, caller=None):
        return sum(
            n
            for (a, b), (n, _) in edges.items()
            if re.search(pattern, b)
            and not re.search(pattern, a)
            and (caller is None or re.search(caller, a))
        )

    def self_of(pattern):
        return sum(c for f, c in self_cost.items() if re.search(pattern, f))

    sim = r"^cartkin_core::simulate::simulate$"
    out = r"^cartkin_core::outcome::Outcomes::compute$"
    n_sims = calls(sim)
    if n_sims == 0:
        sys.exit("no call to cartkin_core::simulate::simulate in the profile")
    # every RHS evaluation: plain, and the one at the step end (Dopri5 stage 7)
    system = r"Adapter<.*>::(system|system_at_step_end)$"
    solout = r"Adapter<.*>::solout$"
    integ = r"^ode_solvers::dop(ri5|853)::Dop(ri5|853)<.*>::integrate$"
    alloc = r"^(malloc|free|realloc|calloc|__rust_alloc|__rust_dealloc|__rust_realloc|_int_malloc|_int_free)$"
    alloc_entry = r"^(malloc|free|realloc|calloc)$"
    exp = r"^exp(@@GLIBC.*)?$"
    # before the one-column interpolation: Trajectory::piece / Simulation::columns_in; after:
    # Trajectory::fill / Column::in_piece (whichever the profiled build has)
    piece = r"Trajectory::(piece|fill)$"
    cols_in = r"(Simulation::columns_in|Column::in_piece)$"
    cols_at = r"Simulation::columns_at$"

    total = incl(sim) + incl(out)
    rows = []

    def row(label, ir, note=""):
        rows.append((label, ir / n_sims, note))

    row("**one simulation with outcomes** (simulate + Outcomes::compute)", total)
    row("`simulate` (integration)", incl(sim))
    row("  right-hand side (`Adapter::system`: ln↔linear, cart_all derivatives, finite check)",
        incl(system), f"{calls(system) / n_sims:,.0f} calls, {incl(system) / max(calls(system), 1):.0f} Ir each")
    row("    of which `exp` (libm)", incl(exp, caller=system))
    # the stepper (ode_solvers' Dopri5, or cartkin's solve/dopri5.rs inlined into the segment)
    seg = r"integrate::integrate_segment$"
    stepping = incl(seg) - incl(system) - incl(solout) - incl(alloc_entry, caller=integ + "|" + seg)
    row("  Dopri5 stepping (stage arithmetic, error norm, controller, result list)", stepping)
    row("  node recording (`Adapter::solout`: copy to `Node`, blow-up/extinction/washout checks)",
        incl(solout))
    row("  segment starts, events, extinction bisection, setup (rest of `simulate`)",
        incl(sim) - incl(seg) - incl(alloc_entry, caller=sim))
    row("`Outcomes::compute`", incl(out))
    row("  observables at every node (`NodeTable::new`)", incl(r"NodeTable::new$"))
    row("  AUC0–28d quadrature (`Column::integral`)", incl(r"Column::integral$"))
    row("  threshold crossings (`Column::first_crossing`)", incl(r"Column::first_crossing$"))
    row("  maxima, Cmax and IL-6 peak (`Column::maximum`)", incl(r"Column::maximum$"))
    row("  values at fixed times (`Column::at`, `Simulation::columns_at`)", incl(r"Column::at$") + incl(cols_at, caller=out))
    row("interpolation, all callers: building `Piece`s", incl(piece),
        f"{calls(piece) / n_sims:,.0f} pieces")
    row("interpolation, all callers: evaluating (incl. exp and observables)",
        incl(cols_in), f"{calls(cols_in) / n_sims:,.0f} evaluations")
    n_alloc = calls(r"^(malloc|realloc|calloc)$")
    n_free = calls(r"^free$")
    row("allocation (malloc/realloc/free, all callers)", incl(alloc_entry),
        f"{n_alloc / n_sims:,.1f} allocations, {n_free / n_sims:,.1f} frees per simulation")

    floor = None
    if len(sys.argv) > 2:
        _, floor_edges = parse(sys.argv[2])
        hits = [(n, c) for (a, b), (n, c) in floor_edges.items() if b.endswith("replay_rhs")]
        if hits:
            floor = sum(c for _, c in hits) / sum(n for n, _ in hits)
    if floor is not None:
        row("floor: the same RHS evaluations alone, at the run's own states (`replay_rhs`)", floor * n_sims,
            f"whole / floor = {total / n_sims / floor:.2f}")

    print(f"callgrind, {n_sims} simulations; instructions (Ir) per simulation with outcomes\n")
    print("| part | Ir per simulation | share | notes |")
    print("|---|---:|---:|---|")
    for label, ir, note in rows:
        indent = len(label) - len(label.lstrip(" "))
        label = "↳ " * (indent // 2) + label.strip()
        print(f"| {label} | {ir:,.0f} | {100 * ir / (total / n_sims):.1f}% | {note} |")


if __name__ == "__main__":
    main()
