#!/usr/bin/env bash
# Whole-command A/B timing of `population --model cart_all_eliana --n 10000` for several cartkin
# binaries (e.g. the binary of an older commit built with CARGO_TARGET_DIR elsewhere), 1 and 2
# threads, runs interleaved so that load drifts hit every binary alike; prints the median and all
# runs in ms, and the mean RHS evaluations per patient of each binary's last run.
# Usage: scripts/bench/population_ab.sh [REPS] NAME=BINARY [NAME=BINARY ...]
set -euo pipefail
reps=7
if [[ ${1:-} =~ ^[0-9]+$ ]]; then reps=$1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [REPS] NAME=BINARY ..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for rep in $(seq "$reps"); do
  for threads in 1 2; do
    for pair in "$@"; do
      name=${pair%%=*}; bin=${pair#*=}
      rm -rf "$tmp/$name"
      start=$(date +%s%N)
      "$bin" population --model cart_all_eliana --n 10000 --seed 1 --threads "$threads" \
        --out "$tmp/$name" >/dev/null 2>&1
      end=$(date +%s%N)
      echo "$name threads=$threads $(( (end - start) / 1000000 ))" >> "$tmp/times"
    done
  done
done
python3 - "$tmp" "$@" <<'PY'
import csv, sys, collections
tmp, pairs = sys.argv[1], sys.argv[2:]
runs = collections.defaultdict(list)
for line in open(f"{tmp}/times"):
    name, threads, ms = line.split()
    runs[(name, threads)].append(int(ms))
for (name, threads), v in sorted(runs.items()):
    v.sort()
    print(f"{name:12s} {threads:10s} median {v[len(v)//2]:6d} ms  runs {v}")
for pair in pairs:
    name = pair.split("=", 1)[0]
    rows = list(csv.DictReader(open(f"{tmp}/{name}/patients.csv")))
    ev = [float(r["rhs_evaluations"]) for r in rows if r.get("rhs_evaluations")]
    print(f"{name:12s} mean RHS evaluations per patient {sum(ev) / len(ev):.0f}")
PY
