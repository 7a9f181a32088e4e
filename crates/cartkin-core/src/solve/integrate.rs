//! One integration segment, generic over the (fixed) state dimension: Dopri5 with cartkin's
//! own stepper (`dopri5.rs`, ode_solvers' steps to round-off), Dop853 with ode_solvers.
//!
//! The state is an `SVector<f64, N>` on the stack; the model's dimension selects `N` once per
//! segment through [`integrate_segment`]'s dispatch, so every model gets a monomorphised,
//! allocation-free right-hand side.

use std::cell::Cell;

use ode_solvers::dop_shared::IntegrationError;
use ode_solvers::{Dop853, OutputType, SVector, System};

use super::dopri5;
use super::layout::{Alive, Layout};
use super::trajectory::Node;
use super::{Method, SolverOptions, SolverStats};
use crate::model::{Dynamics, MAX_STATES, SegmentInputs};

/// A log state above this (≈ 1e30 cells) or a linear one above this in magnitude is a blow-up.
pub(crate) const BLOW_UP: f64 = 69.0;
const BLOW_UP_LINEAR: f64 = 1e30;
/// ode_solvers' stiffness test aborts runs that are merely stability-limited for a while
/// (a decaying drug before washout, a fast cytokine); such runs are correct, only slower.
/// A genuinely stiff model exhausts the step budget instead and gets an error that says so.
const STIFFNESS_TEST_OFF: u32 = u32::MAX;
/// Replaces a non-finite derivative (see `system`).
const NON_FINITE_STAND_IN: f64 = 1e100;
/// Steps shorter than this fraction of the time scale are slivers (see `solout`).
const SLIVER: f64 = 1e-9;

/// Why a segment ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SegmentOutcome {
    /// Reached the segment end.
    Completed,
    /// Stopped at the end of the step in which these states (bit mask) fell below one cell.
    Extinction(Alive),
    /// Stopped because these washout states (bit mask) are all below their washout amounts.
    Washout(Alive),
    /// Stopped at the end of the step in which the hazards of these absent populations (bit
    /// mask of the targets) reached 1: each is seeded with one cell.
    Seed(Alive),
    /// A state became absurdly large (state index, time), or a derivative non-finite
    /// (index = number of states).
    BlowUp(usize, f64),
}

/// Failure of the underlying solver.
#[derive(Debug)]
pub(crate) struct SolverFailure(pub IntegrationError);

struct Adapter<'a, const N: usize> {
    dynamics: &'a dyn Dynamics,
    layout: &'a Layout,
    inputs: SegmentInputs,
    alive: Alive,
    /// Live states that go extinct below one cell (none if extinction is off).
    extinguishable: Alive,
    /// Bounds of a sane solver coordinate: `BLOW_UP` for a log state, `±BLOW_UP_LINEAR` in
    /// natural units for a linear one.
    upper: [f64; N],
    lower: [f64; N],
    /// Washout states that may be frozen in this segment (none while anything is infused).
    washout: Alive,
    nodes: &'a mut Vec<Node>,
    /// Whether events stop the segment (see [`Segment::events`]).
    events: bool,
    /// Index of the first node this segment appends (earlier nodes are never replaced).
    first_own: usize,
    stop: &'a mut SegmentOutcome,
    /// Natural values at the new state of the step being taken (see `system_at_step_end`).
    step_end_x: Cell<Option<[f64; N]>>,
}

impl<const N: usize> Adapter<'_, N> {
    /// The right-hand side in solver coordinates; returns the natural values it computed.
    #[inline(always)]
    fn rates(&self, z: &SVector<f64, N>, dz: &mut SVector<f64, N>) -> [f64; N] {
        // N, not MAX_STATES: the scratch is zeroed on every one of ~2,600 calls per simulation
        let mut x = [0.0; N];
        let mut dx = [0.0; N];
        self.layout.to_natural(z.as_slice(), self.alive, &mut x);
        self.dynamics.derivatives(&self.inputs, &x, &mut dx);
        self.layout
            .to_solver_rate(&x, &dx, self.alive, dz.as_mut_slice());
        // A trial stage far from the solution can overflow (exp of a huge ln x). A NaN would
        // poison the step controller; a huge finite stand-in makes it reject the step and try a
        // smaller one. If the *accepted* state itself has no finite derivative, `solout` sees the
        // stand-in and stops the run with a clear error.
        for v in dz.iter_mut() {
            if !v.is_finite() {
                *v = NON_FINITE_STAND_IN;
            }
        }
        x
    }
}

impl<const N: usize> dopri5::Rhs<N> for Adapter<'_, N> {
    /// Keeps the natural values of the step's new state for `solout` (which, if the step is
    /// accepted, is called next with that same state) instead of another `exp` per state.
    fn system_at_step_end(&self, _t: f64, z: &SVector<f64, N>, dz: &mut SVector<f64, N>) {
        self.step_end_x.set(Some(self.rates(z, dz)));
    }
}

impl<const N: usize> System<f64, SVector<f64, N>> for Adapter<'_, N> {
    #[inline]
    fn system(&self, _t: f64, z: &SVector<f64, N>, dz: &mut SVector<f64, N>) {
        self.rates(z, dz);
    }

    fn solout(&mut self, t: f64, z: &SVector<f64, N>, dz: &SVector<f64, N>) -> bool {
        // Dopri5 evaluated the rates at this very state last (its stage 7); Dop853 does not say
        let x = match self.step_end_x.take() {
            Some(x) => {
                debug_assert!({
                    let mut fresh = [0.0; N];
                    self.layout.to_natural(z.as_slice(), self.alive, &mut fresh);
                    fresh
                        .iter()
                        .zip(&x)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
                });
                x
            }
            None => {
                let mut x = [0.0; N];
                self.layout.to_natural(z.as_slice(), self.alive, &mut x);
                x
            }
        };
        // The solver may close a segment with a sliver step (~1e-15 day) to land exactly on
        // its end; such a node carries no information and would wreck divided differences in
        // the interpolant, so the sliver's end replaces the node before it.
        if self.nodes.len() > self.first_own
            && self
                .nodes
                .last()
                .is_some_and(|last| t - last.t < SLIVER * t.abs().max(1.0))
        {
            self.nodes.pop();
        }
        let pad = |v: &[f64]| std::array::from_fn(|i| if i < N { v[i] } else { 0.0 });
        self.nodes.push(Node {
            t,
            z: pad(z.as_slice()),
            dz: pad(dz.as_slice()),
            x: pad(&x),
            alive: self.alive,
        });
        // one branch-free pass: NaN fails both bounds
        let (mut bad, mut below, mut bad_rate) = (0 as Alive, 0 as Alive, false);
        for i in 0..N {
            bad |= Alive::from(!(z[i] <= self.upper[i] && z[i] >= self.lower[i])) << i;
            below |= Alive::from(z[i] < 0.0) << i;
            bad_rate |= dz[i].abs() >= NON_FINITE_STAND_IN;
        }
        if bad != 0 {
            *self.stop = SegmentOutcome::BlowUp(bad.trailing_zeros() as usize, t);
            return true;
        }
        if bad_rate {
            *self.stop = SegmentOutcome::BlowUp(N, t);
            return true;
        }
        if !self.events {
            return false;
        }
        let extinct = below & self.extinguishable;
        if extinct != 0 {
            *self.stop = SegmentOutcome::Extinction(extinct);
            return true;
        }
        let mut seeded = 0 as Alive;
        for &(h, target) in self.layout.seeds() {
            if self.alive & (1 << target) == 0 && z[h] * self.layout.scale[h] >= 1.0 {
                seeded |= 1 << target;
            }
        }
        if seeded != 0 {
            *self.stop = SegmentOutcome::Seed(seeded);
            return true;
        }
        // Drug amounts below their washout amount no longer act (the model file sets it far
        // below any effect), but their fast elimination would keep limiting the explicit
        // method's step for the rest of the run: freeze them at zero.
        if self.washout != 0
            && (0..N)
                .all(|i| self.washout & (1 << i) == 0 || z[i].abs() <= self.layout.washout_below[i])
        {
            *self.stop = SegmentOutcome::Washout(self.washout);
            return true;
        }
        false
    }
}

/// Everything a segment needs.
pub(crate) struct Segment<'a> {
    pub dynamics: &'a dyn Dynamics,
    pub layout: &'a Layout,
    pub inputs: SegmentInputs,
    pub alive: Alive,
    pub t0: f64,
    pub t1: f64,
    pub z0: &'a [f64],
    pub options: &'a SolverOptions,
    /// Steps left in the simulation's budget.
    pub max_steps: u32,
    /// Whether extinctions, seedings and washouts stop the segment (off when re-integrating
    /// up to an event already located: only a blow-up stops it then).
    pub events: bool,
}

/// Integrates one segment, appending a node per accepted step (the start node is the
/// caller's). Returns why it stopped.
pub(crate) fn integrate_segment(
    seg: &Segment<'_>,
    nodes: &mut Vec<Node>,
    stats: &mut SolverStats,
) -> Result<SegmentOutcome, SolverFailure> {
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match seg.layout.n {
                $($n => run::<$n>(seg, nodes, stats),)*
                _ => run::<MAX_STATES>(seg, nodes, stats),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

fn run<const N: usize>(
    seg: &Segment<'_>,
    nodes: &mut Vec<Node>,
    stats: &mut SolverStats,
) -> Result<SegmentOutcome, SolverFailure> {
    let mut stop = SegmentOutcome::Completed;
    let y0 = SVector::<f64, N>::from_fn(|i, _| seg.z0[i]);
    let adapter = Adapter::<N> {
        dynamics: seg.dynamics,
        layout: seg.layout,
        inputs: seg.inputs,
        alive: seg.alive,
        first_own: nodes.len(),
        extinguishable: if seg.options.extinction {
            (0..N)
                .filter(|&i| seg.layout.extinction[i])
                .fold(0, |m, i| m | (1 << i))
                & seg.alive
        } else {
            0
        },
        // finite bounds, so that ±∞ fails them like NaN (a tiny scale must not make them ∞)
        upper: std::array::from_fn(|i| {
            if seg.layout.log[i] {
                BLOW_UP
            } else {
                (BLOW_UP_LINEAR / seg.layout.scale[i]).min(f64::MAX)
            }
        }),
        lower: std::array::from_fn(|i| {
            if seg.layout.log[i] {
                f64::MIN
            } else {
                (-BLOW_UP_LINEAR / seg.layout.scale[i]).max(f64::MIN)
            }
        }),
        washout: if seg.inputs.rates.iter().all(|r| r.abs() < f64::MIN_POSITIVE) {
            seg.layout.washout_mask() & seg.alive
        } else {
            0
        },
        nodes,
        events: seg.events,
        stop: &mut stop,
        step_end_x: Cell::new(None),
    };
    let span = seg.t1 - seg.t0;
    // every segment starts after a jump (dose, switch, extinction, washout): 0 lets the solver
    // choose its first step afresh
    let h0 = 0.0;
    let (rtol, atol) = (seg.options.rtol, seg.options.atol);
    let result = match seg.options.method {
        Method::Dopri5 => {
            // no stiffness test (see STIFFNESS_TEST_OFF)
            let settings = dopri5::Settings::hairer(rtol, atol, span, seg.max_steps);
            let mut adapter = adapter;
            dopri5::integrate(&mut adapter, seg.t0, seg.t1, y0, &settings)
                .map(|s| (s.num_eval, s.accepted_steps, s.rejected_steps))
        }
        Method::Dop853 => {
            // defaults of Dop853::new: safety 0.9, beta 0, step factor in [0.333, 6]
            let mut solver = Dop853::from_param(
                adapter,
                seg.t0,
                seg.t1,
                span,
                y0,
                rtol,
                atol,
                0.9,
                0.0,
                0.333,
                6.0,
                span,
                h0,
                seg.max_steps,
                STIFFNESS_TEST_OFF,
                OutputType::Sparse,
            );
            solver
                .integrate()
                .map(|s| (s.num_eval, s.accepted_steps, s.rejected_steps))
        }
    };
    match result {
        Ok((evaluations, accepted, rejected)) => {
            stats.rhs_evaluations += u64::from(evaluations);
            stats.accepted_steps += u64::from(accepted);
            stats.rejected_steps += u64::from(rejected);
            stats.segments += 1;
            Ok(stop)
        }
        Err(e) => Err(SolverFailure(e)),
    }
}
