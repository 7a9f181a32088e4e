//! A sweep that scenario files cannot express, scripted through the Rust API: split dosing,
//! with the share of the CAR-T dose given on day 0 varied from 10% to 100% (the rest on
//! day 2), on the ELIANA-calibrated virtual population. Every arm simulates the same patients
//! (same seed: common random numbers), so the differences are the schedule's.
//!
//! Run: `cargo run --release -p cartkin-fit --example split_dose_sweep [-- N_PATIENTS]`

use std::error::Error;

use cartkin_core::model::{self, Model};
use cartkin_core::regimen::{self, CarTInfusion};
use cartkin_core::solve::{Method, SolverOptions};
use cartkin_trial::endpoint::{Endpoint, summarize};
use cartkin_trial::vpop::{simulate_population, spec};

fn main() -> Result<(), Box<dyn Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(1000), |s| s.parse())?;
    let path = model::resolve("cart_all_eliana")?;
    let model = Model::load(&path)?;
    let population = spec::load(&path, model.spec())?;
    let eliana = regimen::resolve("eliana")?;
    let options = SolverOptions {
        method: Method::Dop853,
        ..SolverOptions::default()
    };
    println!(
        "{:>12} {:>16} {:>10} {:>10} {:>12}",
        "day-0 share", "remission [95%]", "RFS 12 mo", "CRS >= 3", "median Tmax"
    );
    for first in [0.1, 0.25, 0.5, 0.75, 1.0] {
        let mut schedule = eliana.clone();
        schedule.name = format!("eliana, {:.0}% on day 0", 100.0 * first);
        schedule.car_t = vec![CarTInfusion {
            day: 0.0,
            fraction: first,
        }];
        if first < 1.0 {
            schedule.car_t.push(CarTInfusion {
                day: 2.0,
                fraction: 1.0 - first,
            });
        }
        let patients = simulate_population(
            &model,
            &population,
            &schedule,
            n,
            population.seed,
            options,
            &|| {},
        );
        let s = summarize(&patients, &[12.0]);
        println!(
            "{:>11.0}% {:>5.1}% [{:.0}-{:.0}] {:>9.1}% {:>9.1}% {:>10.1} d",
            100.0 * first,
            100.0 * s.rate(Endpoint::Remission).unwrap_or(f64::NAN),
            100.0 * s.ci95(Endpoint::Remission).map_or(f64::NAN, |c| c[0]),
            100.0 * s.ci95(Endpoint::Remission).map_or(f64::NAN, |c| c[1]),
            100.0 * s.curve(Endpoint::Rfs)[0].survival,
            100.0 * s.rate(Endpoint::CrsGrade3Plus).unwrap_or(f64::NAN),
            s.number(Endpoint::TmaxMedian).unwrap_or(f64::NAN),
        );
    }
    Ok(())
}
