#!/usr/bin/env bash
# Long run of the readers' property tests (crates/*/tests/readers_fuzz.rs) in release mode:
# CARTKIN_FUZZ_CASES cases per property (default 100000; every reader has four properties:
# structured mutations, text edits, random text, random bytes), one reader after the other,
# printing each property's cases, time and outcomes and each reader's total time.
#
# Usage: scripts/fuzz_readers.sh [READER...]        readers: model regimen population targets
#                                                    scenario nonmem long (default: all)
#   CARTKIN_FUZZ_CASES=20000 scripts/fuzz_readers.sh nonmem long    (a medium run)
#   FUZZ_THREADS=2 ...                              (test threads; default 1)
# Exits non-zero if any property failed; a failure prints its minimal input.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARTKIN_FUZZ_CASES="${CARTKIN_FUZZ_CASES:-100000}"
threads="${FUZZ_THREADS:-1}"

# test-name prefix of each reader's properties (model, regimen: cartkin-core; population, targets,
# scenario: cartkin-trial; nonmem, long: cartkin-fit)
declare -A filter=(
  [model]=model_file_ [regimen]=regimen_file_ [population]=population_ [targets]=targets_
  [scenario]=scenario_ [nonmem]=nonmem_ [long]=long_csv_
)
readers=("$@")
[ ${#readers[@]} -eq 0 ] && readers=(model regimen population targets scenario nonmem long)
for r in "${readers[@]}"; do
  [ -n "${filter[$r]:-}" ] || { echo "unknown reader '$r'; expected one of: ${!filter[*]}" >&2; exit 2; }
done

# seconds between two `date +%s%N`, to 0.1 s
seconds() { local t=$((($2 - $1) / 100000000)); echo "$((t / 10)).$((t % 10))"; }

cargo test --release -q -p cartkin-core -p cartkin-fit -p cartkin-trial --test readers_fuzz --no-run || exit 1
echo "CARTKIN_FUZZ_CASES=$CARTKIN_FUZZ_CASES cases per property, $threads test thread(s)"
failed=()
total_start=$(date +%s%N)
for r in "${readers[@]}"; do
  start=$(date +%s%N)
  # both packages every time (a different package set could rebuild with other features);
  # the filter picks the reader's tests
  out=$(cargo test --release -q -p cartkin-core -p cartkin-fit -p cartkin-trial --test readers_fuzz -- \
          "${filter[$r]}" --nocapture --test-threads="$threads" 2>&1)
  status=$?
  end=$(date +%s%N)
  echo "== $r"
  grep -oE 'fuzz .*|panicked.*|Test failed.*' <<<"$out"
  properties=$(grep -c 'fuzz [a-z_]*: [0-9]* cases' <<<"$out")
  if [ $status -ne 0 ]; then
    failed+=("$r")
    echo "$out" > "target/fuzz_readers_$r.log"
    echo "   FAILED (full output: target/fuzz_readers_$r.log)"
  fi
  printf '   %s: %d properties x %s cases = %d cases in %s s\n' "$r" "$properties" \
    "$CARTKIN_FUZZ_CASES" $((properties * CARTKIN_FUZZ_CASES)) "$(seconds "$start" "$end")"
done
echo "total $(seconds "$total_start" "$(date +%s%N)") s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}"
  exit 1
fi
