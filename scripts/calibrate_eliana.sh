#!/usr/bin/env bash
# Calibrates cart_all's virtual population to ELIANA (data/eliana.toml) and installs the result
# as models/cart_all_eliana.toml. About 2-3 minutes on 2 cores.
# Free hyperparameters (log scale, bounded): the pre-existing CD19-negative fraction (typical),
# the rate of CD19 loss under CAR-T attack (mu_neg), the leukemic growth rate, the CAR-T kill
# rate (typical and ω: leukemia that CAR-T engage but kill poorly) and memory CAR-T decline
# (typical and ω) and the surveillance kill by persisting CAR-T (s_surv). CRS grade edges are fitted to the grade frequencies at every evaluation.
# The kinetic spread (ρ_E's and δ_E's ω) is not free: it is set in models/cart_all.toml so the
# population's Cmax spread matches Stein 2019's.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/calibrate_eliana}
cargo run --release -q -p cartkin-cli -- calibrate --model cart_all --targets data/eliana.toml \
  --n 2000 --seed 20261125 --max-iters 200 \
  --free f_neg:typical:1e-15:1e-6 --free mu_neg:typical:1e-15:1e-8 \
  --free g_L:typical:0.01:0.3 --free gamma:typical:1:100 --free gamma:omega:0.3:2 \
  --free delta_M:typical:1e-4:0.05 --free delta_M:omega:0.1:3 --free s_surv:typical:1e-3:0.3 \
  --out "$out"
sed -e 's/^name = "cart_all_calibrated"/name = "cart_all_eliana"/' "$out/calibrated.toml" > models/cart_all_eliana.toml
cp "$out/slices.png" docs/figures/eliana_calibration_slices.png
echo "installed models/cart_all_eliana.toml"
