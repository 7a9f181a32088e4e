//! Simulating a virtual population in parallel and reading each patient's endpoints.

use cartkin_core::model::Model;
use cartkin_core::outcome::Outcomes;
use cartkin_core::regimen::Regimen;
use cartkin_core::simulate::{Request, simulate};
use cartkin_core::solve::SolverOptions;
use rayon::prelude::*;

use super::sample::Sampler;
use super::spec::PopulationSpec;
use crate::endpoint::{HasRecord, PatientContext, Record};

/// One virtual patient's draws and endpoints (a row of `patients.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientResult {
    /// 1-based patient id.
    pub id: usize,
    /// Varying parameters' values, in the spec's order.
    pub parameters: Vec<f64>,
    /// Body weight [kg].
    pub weight_kg: f64,
    /// Age [years].
    pub age_years: f64,
    /// Height [cm].
    pub height_cm: f64,
    /// eGFR [mL/min/1.73 m²].
    pub egfr: f64,
    /// CAR-T dose [cells].
    pub dose_cells: Option<f64>,
    /// The endpoint table's variables (responder, RFS, exposure, CRS, ...).
    pub record: Record,
    /// States or observables that passed their plausibility ceiling (`;`-separated).
    pub implausible: Option<String>,
    /// Right-hand-side evaluations of the simulation.
    pub rhs_evaluations: u64,
    /// Why the simulation failed, if it did (the patient is then not evaluable).
    pub error: Option<String>,
}

impl HasRecord for PatientResult {
    fn record(&self) -> &Record {
        &self.record
    }
}

/// Simulates patients `0..n` of a population in parallel (order-preserving: results do not
/// depend on the thread count). `progress` is called after each patient.
pub fn simulate_population(
    model: &Model,
    spec: &PopulationSpec,
    regimen: &Regimen,
    n: usize,
    seed: u64,
    options: SolverOptions,
    progress: &(dyn Fn() + Sync),
) -> Vec<PatientResult> {
    let run = Streamed {
        model,
        spec,
        regimen,
        seed,
        options,
    };
    run.range(&Sampler::new(spec, model), 0..n, progress)
}

/// A population run whose patients are handed over in order, a chunk at a time, instead of
/// being collected: memory stays at one chunk of full results (plus whatever the caller
/// keeps, e.g. each patient's [`Record`]) however many patients are simulated.
#[derive(Clone, Copy)]
pub struct Streamed<'a> {
    /// Model with the typical values.
    pub model: &'a Model,
    /// Population.
    pub spec: &'a PopulationSpec,
    /// Regimen.
    pub regimen: &'a Regimen,
    /// Seed.
    pub seed: u64,
    /// Solver settings.
    pub options: SolverOptions,
}

impl Streamed<'_> {
    /// Simulates patients `0..n` in chunks of `chunk` (each chunk in parallel) and calls
    /// `sink` with each finished chunk in patient order; stops at the first error of `sink`.
    /// The patients are exactly those of [`simulate_population`] (each patient's result
    /// depends only on the seed and its index), whatever the chunk size or thread count.
    pub fn run<E>(
        &self,
        n: usize,
        chunk: usize,
        progress: &(dyn Fn() + Sync),
        sink: &mut dyn FnMut(&[PatientResult]) -> Result<(), E>,
    ) -> Result<(), E> {
        let sampler = Sampler::new(self.spec, self.model);
        let chunk = chunk.max(1);
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            sink(&self.range(&sampler, start..end, progress))?;
            start = end;
        }
        Ok(())
    }

    /// Patients `range`, in parallel and in order.
    fn range(
        &self,
        sampler: &Sampler<'_>,
        range: std::ops::Range<usize>,
        progress: &(dyn Fn() + Sync),
    ) -> Vec<PatientResult> {
        range
            .into_par_iter()
            .map(|i| {
                let r = simulate_patient(
                    self.model,
                    self.spec,
                    self.regimen,
                    sampler,
                    self.seed,
                    i,
                    self.options,
                );
                progress();
                r
            })
            .collect()
    }
}

/// Draws patient `index` of a run seeded with `seed` and simulates it: its endpoints, or the
/// reason its simulation failed. `model` holds the typical values the sampler draws around
/// (the arm's model in a scenario).
pub fn simulate_patient(
    model: &Model,
    spec: &PopulationSpec,
    regimen: &Regimen,
    sampler: &Sampler<'_>,
    seed: u64,
    index: usize,
    options: SolverOptions,
) -> PatientResult {
    let vp = match sampler.patient(seed, index) {
        Ok(vp) => vp,
        Err(failure) => return PatientResult::not_evaluable(index, spec, failure.message),
    };
    let mut m = model.clone();
    for (i, v) in vp.values.iter().enumerate() {
        // drawn within the bounds; a value that is not is a failure, never a silent default
        if let Err(e) = m.set_index(i, *v) {
            return PatientResult::not_evaluable(index, spec, e.to_string());
        }
    }
    let has_car_t = m.takes(cartkin_core::model::Agent::CarT);
    let dose = if has_car_t {
        vp.dose_cells.or_else(|| {
            m.spec().defaults.dose.map(|d| match d {
                cartkin_core::model::DefaultDose::Cells(c) => c,
                cartkin_core::model::DefaultDose::PerKg(k) => k * vp.patient.weight_kg,
            })
        })
    } else {
        None
    };
    let mut result = PatientResult {
        id: index + 1,
        parameters: spec.parameters.iter().map(|p| vp.values[p.index]).collect(),
        weight_kg: vp.patient.weight_kg,
        age_years: vp.patient.age_years,
        height_cm: vp.patient.height_cm,
        egfr: vp.patient.egfr,
        dose_cells: dose,
        record: Record::failed(),
        implausible: None,
        rhs_evaluations: 0,
        error: None,
    };
    // fludarabine dosed to a target AUC uses the typical (covariate-only) clearance, as a
    // prescriber would: the patient's random effects then spread the AUC around the target
    let request = Request::with_regimen_dosed_by(
        &m,
        model,
        vp.patient,
        regimen,
        dose,
        spec.follow_up_days,
        options,
    );
    let sim = match simulate(&request) {
        Ok(sim) => sim,
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    result.rhs_evaluations = sim.stats.rhs_evaluations;
    let o = Outcomes::compute(&sim, m.spec());
    if !o.implausible.is_empty() {
        let columns: Vec<&str> = o.implausible.iter().map(|w| w.column.as_str()).collect();
        result.implausible = Some(columns.join(";"));
    }
    result.record = Record::extract(&PatientContext::new(
        &o,
        vp.death_day,
        vp.dropout_day,
        spec.follow_up_days,
    ));
    result
}

impl PatientResult {
    /// A patient whose draw or set-up failed: no covariates, no outcomes, the reason.
    fn not_evaluable(index: usize, spec: &PopulationSpec, error: String) -> Self {
        PatientResult {
            id: index + 1,
            parameters: vec![f64::NAN; spec.parameters.len()],
            weight_kg: f64::NAN,
            age_years: f64::NAN,
            height_cm: f64::NAN,
            egfr: f64::NAN,
            dose_cells: None,
            record: Record::failed(),
            implausible: None,
            rhs_evaluations: 0,
            error: Some(error),
        }
    }
}
