#!/usr/bin/env bash
# Regenerates every figure the README shows (docs/figures/*.png), from a clean checkout.
# Usage: scripts/figures.sh        (about two minutes, most of it the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cartkin-cli
bin=target/release/cartkin
out=docs/figures
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the README's first command: cart_all, typical ELIANA responder, 5 years
"$bin" simulate --out "$tmp/cart_all" >/dev/null
cp "$tmp/cart_all/trajectory_early.png" "$out/cart_all_eliana_first_60_days.png"
cp "$tmp/cart_all/trajectory.png" "$out/cart_all_eliana_5_years.png"

# the same patient without lymphodepletion
"$bin" simulate --regimen none --days 365 --out "$tmp/none" >/dev/null
cp "$tmp/none/trajectory_early.png" "$out/cart_all_no_lymphodepletion_first_60_days.png"

# the published models
"$bin" simulate --model stein_2019 --out "$tmp/stein" >/dev/null
cp "$tmp/stein/trajectory.png" "$out/stein_2019.png"
"$bin" simulate --model leon_triana_2021 --days 200 --out "$tmp/leon" >/dev/null
cp "$tmp/leon/trajectory.png" "$out/leon_triana_2021.png"
"$bin" simulate --model fludarabine_langenhorst_2019 --out "$tmp/flu" >/dev/null 2>&1
cp "$tmp/flu/trajectory.png" "$out/fludarabine_eliana.png"
# the ELIANA-calibrated population (models/cart_all_eliana.toml, from scripts/calibrate_eliana.sh)
# against the ELIANA targets, on a fresh seed
"$bin" population --model cart_all_eliana --targets data/eliana.toml --n 2000 --seed 20261127 --out "$tmp/pop" >/dev/null
cp "$tmp/pop/rfs_km.png" "$out/eliana_rfs_calibrated.png"
cp "$tmp/pop/rates_vs_targets.png" "$out/eliana_rates_calibrated.png"
cp "$tmp/pop/exposure_by_response.png" "$out/eliana_exposure_by_response.png"

# fitting the synthetic dataset
"$bin" fit --model stein_2019 --data data/synthetic_eliana_ck.csv --pooled --profile Tmax --out "$tmp/fit" >/dev/null
cp "$tmp/fit/fit_subjects_1.png" "$out/fit_synthetic_subjects.png"
cp "$tmp/fit/fit_observed_vs_predicted.png" "$out/fit_synthetic_observed_vs_predicted.png"
cp "$tmp/fit/fit_profile.png" "$out/fit_synthetic_profile_tmax.png"
# the shipped scenarios (scripts/scenarios/), their own n per arm (1000; 400 in the grid)
for name in dose_response lymphodepletion lymphodepletion_grid dual_target consolidation; do
  "$bin" scenario "scripts/scenarios/$name.toml" --out "$tmp/$name" >/dev/null
done
cp "$tmp/dose_response/sweep_dose_cells.png" "$out/scenario_dose_response.png"
cp "$tmp/lymphodepletion/endpoints_by_arm.png" "$out/scenario_lymphodepletion_endpoints.png"
cp "$tmp/lymphodepletion_grid/heatmap_remission.png" "$out/scenario_lymphodepletion_grid_remission.png"
cp "$tmp/lymphodepletion_grid/heatmap_crs_grade3plus.png" "$out/scenario_lymphodepletion_grid_crs3.png"
cp "$tmp/dual_target/survival_by_arm.png" "$out/scenario_dual_target_survival.png"
cp "$tmp/dual_target/endpoints_by_arm.png" "$out/scenario_dual_target_endpoints.png"
cp "$tmp/consolidation/survival_by_arm.png" "$out/scenario_consolidation_survival.png"

# the held-out clinical figures (data/validation.toml) against the calibrated models
"$bin" validate --out "$tmp/validate" >/dev/null
cp "$tmp/validate/forest.png" "$out/validation_forest.png"
ls -1 "$out"
