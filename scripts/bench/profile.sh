#!/usr/bin/env bash
# Profiles one 5-year cart_all simulation with outcomes (the workload of the criterion bench
# `cart_all_5y_dopri5_with_outcomes`) under callgrind and prints the BENCHMARKS.md table:
# instructions per simulation by part, the RHS-only floor and the ratio, allocations.
# Instruction counts do not depend on the machine's load, so two commits compare exactly.
# Usage: scripts/bench/profile.sh [REPS]      (default 50 simulations; ~20 s)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-50}

cargo build --release -q -p cartkin-core --example profile_simulation
bin=target/release/examples/profile_simulation
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" 0 | head -1
valgrind --tool=callgrind --callgrind-out-file="$tmp/whole.out" "$bin" "$reps" >/dev/null 2>&1
valgrind --tool=callgrind --callgrind-out-file="$tmp/floor.out" "$bin" "$reps" --floor >/dev/null 2>&1
python3 scripts/bench/callgrind_table.py "$tmp/whole.out" "$tmp/floor.out"
