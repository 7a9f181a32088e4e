//! The interface every model implements, built-in or (later) written in the model file.
//!
//! A [`Structure`] names the states, parameters, observables and dosing routes of a family
//! of equations and builds a [`Dynamics`] from validated parameter values and covariates.
//! The solver only ever sees a [`Dynamics`]: right-hand side, observables, initial state,
//! boluses and phase switches. Time is deliberately *not* an argument of
//! [`Dynamics::derivatives`]: anything that changes at a point in time (a dose, the end of
//! an infusion, a model phase such as Stein's `Tmax`) ends an integration segment and
//! reaches the equations through [`SegmentInputs`].

use crate::patient::Patient;

/// Largest number of states a model may have (the solver state is a fixed-size vector).
pub const MAX_STATES: usize = 16;
/// Largest number of dosing routes a model may have.
pub const MAX_ROUTES: usize = 4;

/// How a route delivers its dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Instantaneous addition to states ([`Dynamics::apply_bolus`]).
    Bolus,
    /// Zero-order input whose rate is given per segment in [`SegmentInputs::rates`].
    Infusion,
}

/// What a dose gives: CAR-T cells or a lymphodepleting drug. Regimens and datasets give
/// agents; a model takes each agent through at most one of its routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agent {
    /// Viable CAR+ T cells [cells].
    CarT,
    /// Fludarabine phosphate [mg].
    Fludarabine,
    /// Cyclophosphamide [mg].
    Cyclophosphamide,
}

impl Agent {
    /// The name in files and messages: `car_t`, `fludarabine`, `cyclophosphamide`.
    pub fn name(self) -> &'static str {
        match self {
            Agent::CarT => "car_t",
            Agent::Fludarabine => "fludarabine",
            Agent::Cyclophosphamide => "cyclophosphamide",
        }
    }
}

impl std::fmt::Display for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A dosing route of a model: the agent it takes (CAR-T cells in cells, a drug in mg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// What the route takes.
    pub agent: Agent,
    /// Bolus or infusion.
    pub kind: RouteKind,
    /// Unit of the dose amount.
    pub unit: &'static str,
}

/// Inputs that are constant over one integration segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentInputs {
    /// Model phase: 0 before the first of [`Dynamics::phase_switches`], then 1, 2, ...
    pub phase: usize,
    /// Infusion rate of each route [route unit per day]; zero for bolus routes.
    pub rates: [f64; MAX_ROUTES],
}

impl Default for SegmentInputs {
    fn default() -> Self {
        SegmentInputs {
            phase: 0,
            rates: [0.0; MAX_ROUTES],
        }
    }
}

/// A model ready to integrate: equations with parameter values and covariates bound.
///
/// All slices are in natural units and in the order of the model file's states.
pub trait Dynamics: Send + Sync {
    /// Times [day since CAR-T infusion] at which the model changes phase, with a label.
    fn phase_switches(&self) -> Vec<(f64, &'static str)> {
        Vec::new()
    }

    /// Time derivatives `dx/dt` [unit/day] of the states `x`.
    fn derivatives(&self, inputs: &SegmentInputs, x: &[f64], dxdt: &mut [f64]);

    /// Observables computed from the states.
    fn observe(&self, x: &[f64], out: &mut [f64]);

    /// Observable `j` alone (as `observe` would write it to `out[j]`), for queries that need
    /// one column at many times. Default: every observable, then pick one.
    fn observe_one(&self, j: usize, x: &[f64]) -> f64 {
        // as large as any caller's observable buffer (`outcome::MAX_COLUMNS`)
        let mut out = [0.0; 2 * MAX_STATES + 16];
        self.observe(x, &mut out);
        out[j]
    }

    /// The states observable `j` reads, as a bit mask (bit `i` = state `i`). Outcome queries
    /// between nodes interpolate only these states, so declaring fewer saves work; declaring
    /// too few gives wrong outcomes (`tests/invariants.rs` checks every built-in model).
    /// Default: every state.
    fn observable_inputs(&self, _j: usize) -> u32 {
        u32::MAX
    }

    /// Adds a bolus `amount` (route unit) given by `route` (index into the structure's routes).
    fn apply_bolus(&self, _route: usize, _amount: f64, _x: &mut [f64]) {}

    /// The value the hazard of seed `seed` (index into [`Structure::seeds`]) restarts from
    /// after its `count`-th seeding (1 for the first) [-]. Default 0: every later event waits
    /// for the same cumulative intensity as the first. A structure whose hazard is scaled by
    /// the patient's Exp(1) threshold returns `1 − T/T₁` for a fresh threshold `T`, so that
    /// the gaps between events are independent Exp(1) draws, as in a Poisson process.
    fn hazard_restart(&self, _seed: usize, _count: u32) -> f64 {
        0.0
    }
}

/// A family of equations: the built-in ones are listed in [`crate::model::builtin`].
pub trait Structure: Sync {
    /// Identifier used in a model file's `structure` field.
    fn id(&self) -> &'static str;
    /// State names, in solver order.
    fn states(&self) -> &'static [&'static str];
    /// Parameter names, in the order [`Structure::build`] receives their values.
    fn parameters(&self) -> &'static [&'static str];
    /// Observable names.
    fn observables(&self) -> &'static [&'static str];
    /// Dosing routes.
    fn routes(&self) -> &'static [Route] {
        &[]
    }
    /// Binds parameter values (in [`Structure::parameters`] order, already validated
    /// against their bounds) and patient covariates.
    fn build(&self, values: &[f64], patient: &Patient) -> Box<dyn Dynamics>;
    /// Populations that come into being by a random event (see [`Seed`]). Default: none.
    fn seeds(&self) -> &'static [Seed] {
        &[]
    }
    /// Where parameter `name`'s bounds must lie for the equations to hold (e.g. a probability
    /// whose logarithm divides), checked when a model file is read; `None`: anywhere.
    fn parameter_domain(&self, _name: &str) -> Option<ParameterDomain> {
        None
    }
}

/// The interval `[at_least, below)` a parameter's bounds must lie in
/// ([`Structure::parameter_domain`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterDomain {
    /// Smallest allowed lower bound.
    pub at_least: f64,
    /// The upper bound must be below this.
    pub below: f64,
    /// Why, in the words of an error message.
    pub reason: &'static str,
}

/// A population that can arise from nothing: state `target` (a log state that goes extinct)
/// appears as one cell when the linear state `hazard` reaches 1 while the target is absent;
/// the hazard then restarts from [`Dynamics::hazard_restart`] (a fresh threshold per event).
/// A run that seeds more than [`crate::simulate::MAX_SEEDINGS`] times is refused: the seeded
/// population cannot establish, and the events would only repeat.
///
/// This is the time-rescaling form of a Poisson event: the structure makes `hazard` the
/// cumulative event intensity divided by the patient's own Exp(1) threshold, so the crossing
/// time is exactly the first event time of the inhomogeneous Poisson process, drawn once per
/// patient, and the simulation stays deterministic given the patient (reproducible, and
/// integrable by the same adaptive solver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// State index of the cumulative hazard (linear, dimensionless).
    pub hazard: usize,
    /// State index of the population it seeds.
    pub target: usize,
}

/// Copies `values` into a fixed-size array; the loader guarantees the length, so a mismatch
/// is a programming error reported as NaN parameters (caught by the solver's finiteness check).
pub(crate) fn fixed<const K: usize>(values: &[f64]) -> [f64; K] {
    <[f64; K]>::try_from(values).unwrap_or([f64::NAN; K])
}
