#!/usr/bin/env bash
# Installs the cartkin binary with `cargo install` into a temporary root and runs it from an
# empty directory, with no model folder configured: the bundled models and data must come from
# the binary itself (the README's "Installing" section). Reuses target/ (seconds after a release
# build). Usage: scripts/check_install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo install --quiet --locked --path crates/cartkin-cli --root "$tmp/root" --target-dir target
mkdir "$tmp/empty"
cd "$tmp/empty"
unset CARTKIN_MODELS
bin="$tmp/root/bin/cartkin"
"$bin" models | grep -q cart_all_eliana
"$bin" simulate --model cart_all_eliana --days 60 >/dev/null
test -s out/simulate/trajectory.csv
"$bin" population --model cart_all --population zuma3_adults --targets zuma3 --n 20 --days 400 >/dev/null
test -s out/population/summary.json
"$bin" fit --model stein_2019 --data synthetic_eliana_ck --pooled --estimate Tmax >/dev/null
test -s out/fit/fit.json
echo "installed binary runs from an empty directory: ok"
