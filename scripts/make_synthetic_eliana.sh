#!/usr/bin/env bash
# Regenerates data/synthetic_eliana_ck.csv, the synthetic ELIANA-like cellular-kinetics dataset
# (60 subjects simulated from models/stein_2019.toml with its between-subject variability and
# log-scale residual error σ = 0.56; qPCR LLOQ 50 copies/µg). Seed 20261125.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p cartkin-fit --example synthetic_eliana -- 20261125 data/synthetic_eliana_ck.csv
