#!/usr/bin/env bash
# Peer comparison: cartkin vs. scipy solve_ivp (LSODA, RK45, DOP853; Python right-hand side)
# and deSolve lsoda (R right-hand side; compiled C right-hand side) on the same machine, models,
# doses and tolerances. Writes scripts/bench/peers/RESULTS.md.
#
# Usage: scripts/bench/peers/run.sh
#   PEERS_POP_N=1000    patients timed per peer in workload 3 (the full population by default)
#   PEERS_CHECK_N=5     population patients whose trajectories are checked against cartkin
#   PEERS_MAX_WAIT=600  seconds to wait for a 1-minute load average below 1 before timing
#   PEERS_WORK=DIR      keep the intermediate files there (default: a temporary directory)
#
# Installs what is missing (idempotent): R, deSolve and the R build tools from Debian
# (r-base-core r-cran-desolve r-base-dev; CRAN is not needed), numpy and scipy from PyPI.
# Workloads: (1) leon_triana_2021, 365 days; (2) cart_all, typical ELIANA patient, ELIANA
# regimen, 1825 days; (3) the 1,000 patients of `cartkin population --model cart_all_eliana
# --n 1000`, their sampled parameters exported to the peers.
# Steps: cartkin reference solutions -> untimed peer runs at rtol 1e-6/1e-7/1e-8 -> agreement
# gate (report.py gate: loosest passing rtol per tool) -> wait for low load -> timed runs
# (criterion, cartkin population, scipy, deSolve) -> RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=scripts/bench/peers
started=$(date +%s)
pop_n=${PEERS_POP_N:-1000}
check_n=${PEERS_CHECK_N:-5}
if [[ -n "${PEERS_WORK:-}" ]]; then
  work=$PEERS_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "${work:?}"/* && mkdir -p "$work/cartkin" "$work/cartkin_tight" "$work/lib"

echo "## installing what is missing"
apt_pkgs=()
command -v Rscript >/dev/null 2>&1 || apt_pkgs+=(r-base-core)
Rscript -e 'suppressMessages(library(deSolve))' >/dev/null 2>&1 || apt_pkgs+=(r-cran-desolve)
{ [[ -f /usr/share/R/include/R.h ]] && command -v gcc >/dev/null 2>&1; } || apt_pkgs+=(r-base-dev)
if ((${#apt_pkgs[@]})); then
  echo "    apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_pkgs[@]}" >/dev/null
  echo "    installed ${apt_pkgs[*]}"
else
  echo "    R, deSolve and R CMD SHLIB present: nothing installed from Debian"
fi
if python3 -c 'import numpy, scipy' 2>/dev/null; then
  echo "    numpy and scipy present: nothing installed from PyPI"
else
  python3 -m pip install -q numpy scipy
  echo "    installed numpy scipy (pip)"
fi

echo "## building cartkin and the C right-hand sides"
cargo build --release -q -p cartkin-cli
bin=target/release/cartkin
for m in cart_all leon_triana; do
  cp "$here/$m.c" "$work/lib/"
  (cd "$work/lib" && R CMD SHLIB -o "$m.so" "$m.c" >/dev/null)
done

echo "## cartkin: reference solutions (simulate) and the population"
# ck NAME METHOD ARGS...: cartkin simulate with METHOD at the default tolerances (the solution
# the peers must match) and with Dop853 at rtol 1e-10 / atol 1e-12 (an estimate of everyone's
# own error)
ck() {
  local name=$1 method=$2
  shift 2
  "$bin" simulate "$@" --method "$method" --step 1 --format svg --out "$work/cartkin/$name" >/dev/null
  "$bin" simulate "$@" --method dop853 --rtol 1e-10 --atol 1e-12 --step 1 --format svg \
    --out "$work/cartkin_tight/$name" >/dev/null
}
ck leon_triana_0 dopri5 --model leon_triana_2021 --days 365
ck cart_all_0 dopri5 --model cart_all --days 1825
python3 "$here/export_params.py" typical models/cart_all.toml "$work/typical.csv"
"$bin" population --model cart_all_eliana --n 1000 --format svg \
  --out "$work/cartkin/population" >/dev/null
rhs_median=$(python3 -c "
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if not r['error']]
print(statistics.median(int(r['rhs_evaluations']) for r in rows))" "$work/cartkin/population/patients.csv")
python3 "$here/export_params.py" population models/cart_all_eliana.toml \
  "$work/cartkin/population/patients.csv" "$work/population.csv"
# the checked population patients, simulated alone with the exported (rounded) parameters and
# the population's method (Dop853)
for k in $(seq "$check_n"); do
  mapfile -t args < <(python3 "$here/export_params.py" cartkin-args \
    "$work/cartkin/population/patients.csv" "$k")
  ck "population_$k" dop853 --model cart_all_eliana "${args[@]}" --days 1825
done

echo "## agreement gate (untimed runs at rtol 1e-6, 1e-7, 1e-8)"
python3 "$here/bench_python.py" check "$work" "$work/typical.csv" "$work/population.csv" "$check_n"
Rscript "$here/bench_R.R" check "$work" "$work/typical.csv" "$work/population.csv" "$check_n" "$work/lib"
python3 "$here/report.py" gate "$work"

# wait (up to PEERS_MAX_WAIT seconds) for a 1-minute load average below 1
waited=0
while awk '{exit !($1 >= 1.0)}' /proc/loadavg && ((waited < ${PEERS_MAX_WAIT:-600})); do
  ((waited == 0)) && echo "## load average $(cut -d' ' -f1-3 /proc/loadavg): waiting for < 1"
  sleep 30
  waited=$((waited + 30))
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# sample the 1-minute load average every 10 s while timing (it includes the benchmark itself)
(while :; do cut -d' ' -f1 /proc/loadavg >>"$work/load.txt"; sleep 10; done) &
sampler=$!
echo "## criterion (cargo bench -p cartkin-core --bench simulate); load average $load_before"
cargo bench -q -p cartkin-core --bench simulate 2>/dev/null | tee "$work/criterion.txt" |
  grep -E "RHS evaluations|time:" | sed 's/^/    /'
python3 "$here/report.py" criterion "$work"
# the population, timed on 1 and 2 threads (simulation time as printed by the command)
pop_json="{\"n\": 1000, \"rhs_median\": $rhs_median"
for threads in 1 2; do
  t0=$(date +%s%N)
  line=$("$bin" population --model cart_all_eliana --n 1000 --threads "$threads" --format svg \
    --out "$work/cartkin/population_t$threads" | grep -E '^[0-9]+ patients in')
  t1=$(date +%s%N)
  secs=$(awk '{print $4}' <<<"$line")
  echo "    cartkin population, $threads thread(s): $line (whole command $(((t1 - t0) / 1000000)) ms)"
  pop_json+=", \"$threads\": {\"seconds\": $secs, \"command_s\": $(((t1 - t0) / 1000000)).0e-3}"
done
echo "$pop_json}" >"$work/cartkin/population.json"

echo "## scipy (Python right-hand side), timed"
python3 "$here/bench_python.py" time "$work" "$work/typical.csv" "$work/population.csv" "$pop_n"
echo "## deSolve (R and compiled C right-hand sides), timed"
Rscript "$here/bench_R.R" time "$work" "$work/typical.csv" "$work/population.csv" "$pop_n" "$work/lib"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$sampler"

echo "## report"
python3 "$here/report.py" env "$work" "$load_before" "$load_after" "$started" "$pop_n"
python3 "$here/report.py" "$work" "$here/RESULTS.md"
echo "wrote $here/RESULTS.md ($(( ($(date +%s) - started) / 60 )) min)"
