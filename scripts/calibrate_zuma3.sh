#!/usr/bin/env bash
# Calibrates the ELIANA-calibrated cart_all to ZUMA-3 (adults, brexucabtagene autoleucel, zuma3
# lymphodepletion, 1e6 cells/kg; population in data/populations/zuma3_adults.toml) and installs
# models/cart_all_zuma3.toml. About 1 minute on 2 cores. Free: leukemic burden, CAR-T kill rate,
# leukemic growth rate and the CD19-negative fraction.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/calibrate_zuma3}
cargo run --release -q -p cartkin-cli -- calibrate --model cart_all_eliana \
  --population data/populations/zuma3_adults.toml --targets data/zuma3.toml \
  --n 2000 --seed 20261125 --max-iters 150 --keep-crs-edges \
  --free L0:typical:2e10:1e12 --free gamma:typical:1:100 \
  --free g_L:typical:0.01:0.3 --free f_neg:typical:1e-13:1e-3 \
  --out "$out"
sed -e 's/^name = "cart_all_eliana_calibrated"/name = "cart_all_zuma3"/' -e 's/ — population calibrated to ELIANA — population calibrated to ZUMA-3/ — population calibrated to ZUMA-3 (adults)/' "$out/calibrated.toml" > models/cart_all_zuma3.toml
cp "$out/slices.png" docs/figures/zuma3_calibration_slices.png
echo "installed models/cart_all_zuma3.toml"
