#!/usr/bin/env bash
# Calibrates cart_all's virtual population to ELIANA (data/eliana.toml) and installs the result
# as models/cart_all_eliana.toml. About 2 minutes on 2 cores.
# Free hyperparameters (log scale, bounded): the pre-existing CD19-negative fraction (typical and
# between-patient ω), the leukemic growth rate, the CAR-T kill rate (typical and ω: leukemia that
# CAR-T engage but kill poorly), memory CAR-T decline (typical and ω) and the spread of CAR-T
# proliferation (bounded so that ≥ 99% of patients double no faster than ≈ 6 h). CRS grade edges are fitted to the grade
# frequencies at every evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/calibrate_eliana}
cargo run --release -q -p cartkin-cli -- calibrate --model cart_all --targets data/eliana.toml \
  --n 2000 --seed 20261125 --max-iters 200 \
  --free f_neg:typical:1e-14:1e-6 --free f_neg:omega:0.5:4 \
  --free g_L:typical:0.01:0.3 --free gamma:typical:1:100 --free gamma:omega:0.1:1.5 \
  --free delta_M:typical:1e-3:0.05 --free delta_M:omega:0.1:3 \
  --free rho_E:omega:0.05:0.5 \
  --out "$out"
sed -e 's/^name = "cart_all_calibrated"/name = "cart_all_eliana"/' "$out/calibrated.toml" > models/cart_all_eliana.toml
echo "installed models/cart_all_eliana.toml"
