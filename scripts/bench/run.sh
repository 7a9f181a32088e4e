#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: criterion benches of single simulations (with an
# RHS-only floor measured in the same run) and whole-command timings of `cartkin simulate`
# (with `cartkin --version`, the process start-up, as the baseline measured in the same run).
# Usage: scripts/bench/run.sh            (about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "## criterion (cargo bench -p cartkin-core --bench simulate)"
cargo bench -q -p cartkin-core --bench simulate 2>/dev/null | grep -E "RHS evaluations|time:|^[a-z][a-z0-9_]+$" | sed 's/^/    /'

echo
echo "## criterion (cargo bench -p cartkin-fit --bench fit)"
cargo bench -q -p cartkin-fit --bench fit 2>/dev/null | grep -E "evaluations|time:|^[a-z][a-z0-9_]+$" | sed 's/^/    /'

cargo build --release -q -p cartkin-cli
bin=target/release/cartkin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median wall time [ms] of N runs of a command
median_ms() {
  local n=$1; shift
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    echo $(( (end - start) / 1000 ))
  done | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

echo
echo "## whole commands (median of 21 runs, 5 for fits; ms)"
base=$(median_ms 21 "$bin" --version)
echo "    baseline: cartkin --version                        ${base} ms"
for args in "population --model cart_all_eliana --n 10000 --threads 1 --out $tmp/p1" "population --model cart_all_eliana --n 10000 --threads 2 --out $tmp/p2" "fit --model stein_2019 --data data/synthetic_eliana_ck.csv --threads 1 --out $tmp/f1" "fit --model stein_2019 --data data/synthetic_eliana_ck.csv --threads 2 --out $tmp/f2" "fit --model stein_2019 --data data/synthetic_eliana_ck.csv --pooled --out $tmp/f3" "simulate --out $tmp/a" "simulate --out $tmp/b --format svg" "simulate --model stein_2019 --out $tmp/c" "simulate --days 60 --out $tmp/d"; do
  n=21
  case "$args" in fit* | population*) n=5 ;; esac
  t=$(median_ms "$n" "$bin" $args)
  ratio=$(awk -v a="$t" -v b="$base" 'BEGIN {printf "%.1f", a / b}')
  label=$(sed 's| --out [^ ]*||' <<<"$args")
  printf "    %-52s %8s ms  (%sx baseline)\n" "cartkin $label" "$t" "$ratio"
done

echo
echo "## scenarios and population scaling (median of 3 runs; ms)"
for args in "scenario scripts/scenarios/dose_response.toml --threads 1 --out $tmp/s1" "scenario scripts/scenarios/dose_response.toml --threads 2 --out $tmp/s2" "scenario scripts/scenarios/lymphodepletion_grid.toml --threads 2 --out $tmp/s3" "population --model cart_all_eliana --n 10000 --threads 1 --out $tmp/q1" "population --model cart_all_eliana --n 10000 --threads 2 --out $tmp/q2"; do
  t=$(median_ms 3 "$bin" $args)
  label=$(sed 's| --out [^ ]*||' <<<"$args")
  printf "    %-70s %8s ms\n" "cartkin $label" "$t"
done

echo
echo "## peak memory, 100,000 patients (GNU time, KiB)"
[ -x /usr/bin/time ] || apt-get install -y -q time >/dev/null
/usr/bin/time -f "    maximum resident set size: %M KiB, %e s" "$bin" population --model cart_all_eliana --n 100000 --threads 2 --out "$tmp/big" >/dev/null
