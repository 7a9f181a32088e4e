//! The main speed workload, one 5-year `cart_all` simulation, and its floor. Shared by the
//! criterion bench (`benches/simulate.rs`) and `examples/profile_simulation.rs` (included with
//! `#[path]`), so that both measure the same thing.
//!
//! The floor is the simulation's right-hand-side evaluations alone, with nothing else (no
//! stepping, interpolation, events or outcomes). The cost of one evaluation depends on the
//! state: every live log state costs an `exp`, and states go extinct or wash out during a run.
//! So the evaluations are replayed at the run's own states: evaluation `k` of `n` is made at
//! accepted node `⌊k·nodes/n⌋` with that node's presence mask, which spreads the evaluations
//! over the run as the steps do (Dopri5 makes six per step; the stages lie within one step of
//! their node).

use std::hint::black_box;

use cartkin_core::model::{self, Dynamics, MAX_STATES, Model, SegmentInputs};
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{self, Regimen};
use cartkin_core::simulate::{Request, Simulation};
use cartkin_core::solve::{Layout, SolverOptions};

/// CAR-T dose of the workload: 3e6 cells/kg for the 35-kg bench patient [cells].
pub const CELLS: f64 = 3e6 * 35.0;
/// Follow-up [day].
pub const DAYS: f64 = 1825.0;

/// The bench patient: 35 kg, 140 cm, eGFR 120 mL/min/1.73 m², 11 years.
pub fn patient() -> Patient {
    Patient::new(35.0, 140.0, None, 120.0, 11.0, "bench").expect("valid patient")
}

/// A bundled model and regimen by name.
pub fn load(model_name: &str, regimen_name: &str) -> (Model, Regimen) {
    let model = Model::load(&model::resolve(model_name).expect("model")).expect("valid model");
    (model, regimen::resolve(regimen_name).expect("regimen"))
}

/// The workload's request for `model` (cart_all) and `regimen` (ELIANA) with `options`.
pub fn request<'a>(model: &'a Model, regimen: &Regimen, options: SolverOptions) -> Request<'a> {
    Request::with_regimen(model, patient(), regimen, Some(CELLS), DAYS, options)
}

/// Makes `sim`'s number of RHS evaluations at its own nodes; returns a sum the caller must
/// consume (`black_box`) so that nothing is optimised away.
#[inline(never)]
pub fn replay_rhs(dynamics: &dyn Dynamics, layout: &Layout, sim: &Simulation) -> f64 {
    let nodes = sim.trajectory.nodes();
    let evaluations = sim.stats.rhs_evaluations as usize;
    let inputs = SegmentInputs::default();
    let n = layout.n;
    let mut acc = 0.0;
    for k in 0..evaluations {
        let node = &nodes[k * nodes.len() / evaluations];
        let (mut x, mut dx, mut dz) = ([0.0; MAX_STATES], [0.0; MAX_STATES], [0.0; MAX_STATES]);
        layout.to_natural(&node.z[..n], node.alive, &mut x[..n]);
        dynamics.derivatives(&inputs, &x[..n], &mut dx[..n]);
        layout.to_solver_rate(&x[..n], &dx[..n], node.alive, &mut dz[..n]);
        // the stepper reads every rate: keep all of them
        acc += black_box(&dz)[2];
    }
    acc
}
