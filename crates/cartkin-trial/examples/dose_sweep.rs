//! A custom sweep through the Rust API: remission, 12-month RFS and grade ≥ 3 CRS against the
//! CAR-T dose, on the same virtual patients at every dose (common random numbers).
//!
//! Run: `cargo run --release -p cartkin-fit --example dose_sweep [-- N_PATIENTS]`

use std::error::Error;

use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::solve::{Method, SolverOptions};
use cartkin_trial::endpoint::{Endpoint, summarize};
use cartkin_trial::vpop::simulate_population;
use cartkin_trial::vpop::spec::{self, DoseRule, Draw};

fn main() -> Result<(), Box<dyn Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(1000), |s| s.parse())?;
    let path = model::resolve("cart_all_eliana")?;
    let model = Model::load(&path)?;
    let base = spec::load(&path, model.spec())?;
    let regimen = regimen::resolve(&base.regimen)?;
    let options = SolverOptions {
        method: Method::Dop853,
        ..SolverOptions::default()
    };
    println!(
        "{:>14} {:>9} {:>12} {:>12}",
        "cells/kg", "ORR", "RFS 12 mo", "CRS >= 3"
    );
    for k in 0..=8 {
        let per_kg = 1e5 * 10f64.powf(k as f64 * 0.375); // 1e5 .. 1e8 cells/kg, log-spaced
        let mut population = base.clone();
        // everyone gets the same dose per kg, whatever their weight
        population.dose = Some(DoseRule::PerKg {
            per_kg: Draw::Fixed { value: per_kg },
            flat_above: None,
        });
        let patients =
            simulate_population(&model, &population, &regimen, n, base.seed, options, &|| {});
        let s = summarize(&patients, &[12.0]);
        println!(
            "{per_kg:>14.3e} {:>8.1}% {:>11.1}% {:>11.1}%",
            100.0 * s.rate(Endpoint::Remission).unwrap_or(f64::NAN),
            100.0 * s.curve(Endpoint::Rfs)[0].survival,
            100.0 * s.rate(Endpoint::CrsGrade3Plus).unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
