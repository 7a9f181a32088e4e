#!/usr/bin/env bash
# Runs every shipped scenario in scripts/scenarios/ → out/scenarios/NAME/ (arms.csv, arms.md,
# per-arm patients, figures). Usage: scripts/scenarios.sh [--n N]   (≈ 30 s on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cartkin-cli
for f in scripts/scenarios/*.toml; do
  name=$(basename "$f" .toml)
  echo "== $name"
  target/release/cartkin scenario "$f" --out "out/scenarios/$name" "$@" | grep -v '^wrote '
done
