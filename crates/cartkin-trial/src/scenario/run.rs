//! Simulating every arm of a scenario on the same virtual patients.

use cartkin_core::solve::SolverOptions;
use rayon::prelude::*;

use super::file::Scenario;
use crate::vpop::run::simulate_patient;
use crate::vpop::{PatientResult, Sampler};

/// Simulates `n` patients in every arm, in parallel across arms and patients (one flat
/// parallel loop, so a sweep of many small arms keeps every core busy). Patient `i` of every
/// arm is drawn from the same random stream — covariates, between-patient deviations and
/// event times are shared, only the arm's settings differ (common random numbers) — and the
/// result does not depend on the thread count. `progress` is called after each patient.
pub fn simulate_arms(
    scenario: &Scenario,
    n: usize,
    options: SolverOptions,
    progress: &(dyn Fn() + Sync),
) -> Vec<Vec<PatientResult>> {
    let samplers: Vec<Sampler<'_>> = scenario
        .arms
        .iter()
        .map(|a| Sampler::new(&a.population, &a.model))
        .collect();
    let total = scenario.arms.len() * n;
    let flat: Vec<PatientResult> = (0..total)
        .into_par_iter()
        .map(|k| {
            let (a, i) = (k / n, k % n);
            let arm = &scenario.arms[a];
            let result = simulate_patient(
                &arm.model,
                &arm.population,
                &arm.regimen,
                &samplers[a],
                scenario.seed,
                i,
                options,
            );
            progress();
            result
        })
        .collect();
    flat.chunks(n.max(1))
        .map(<[PatientResult]>::to_vec)
        .collect()
}
