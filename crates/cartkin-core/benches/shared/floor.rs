//! The floor of one simulation: its right-hand-side evaluations alone, with nothing else (no
//! stepping, interpolation, events or outcomes). Shared by the criterion bench
//! `cart_all_rhs_floor_one_simulation` and `examples/profile_simulation.rs` (included with
//! `#[path]`), so that both measure the same thing.
//!
//! The cost of one evaluation depends on the state: every live log state costs an `exp`, and
//! states go extinct or wash out during a run. So the evaluations are replayed at the run's own
//! states: evaluation `k` of `n` is made at accepted node `⌊k·nodes/n⌋` with that node's presence
//! mask, which spreads the evaluations over the run as the steps do (Dopri5 makes six per step;
//! the stages lie within one step of their node).

use std::hint::black_box;

use cartkin_core::model::{Dynamics, MAX_STATES, SegmentInputs};
use cartkin_core::simulate::Simulation;
use cartkin_core::solve::Layout;

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
