//! ODE solving: solver settings, the solver-coordinate layout, segment integration with
//! ode_solvers' Dopri5/Dop853, and the dense [`Trajectory`] it produces.
//!
//! Cell populations are integrated as `ln x` ([`Transform::Log`](crate::model::Transform)),
//! drug amounts as `x / scale`. With scalar tolerances this gives every state its own error
//! control: a log state is resolved to a *relative* error of about `atol + rtol·|ln x|`, a
//! linear one to an absolute error of `(atol + rtol·|x/scale|)·scale`.

mod dopri5;
pub(crate) mod integrate;
mod layout;
pub(crate) mod trajectory;

use serde::Serialize;

pub(crate) use integrate::{SegmentOutcome, integrate_segment};
pub use layout::Layout;
pub use trajectory::{Node, Piece, Trajectory};

use crate::error::SimulationError;

/// The Runge–Kutta method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Dormand–Prince 5(4) (default).
    Dopri5,
    /// Dormand–Prince 8(5,3): fewer steps at tight tolerances.
    Dop853,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dopri5" => Ok(Method::Dopri5),
            "dop853" => Ok(Method::Dop853),
            other => Err(format!(
                "unknown method `{other}`; expected dopri5 or dop853"
            )),
        }
    }
}

/// Settings of the integrator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SolverOptions {
    /// Method.
    pub method: Method,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance in solver coordinates (see the module docs).
    pub atol: f64,
    /// Step budget for the whole simulation.
    pub max_steps: u32,
    /// Treat populations below one cell as extinct (states marked `extinction = true`).
    pub extinction: bool,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            method: Method::Dopri5,
            rtol: 1e-6,
            atol: 1e-8,
            max_steps: 200_000,
            extinction: true,
        }
    }
}

impl SolverOptions {
    /// Checks the tolerances and the step budget.
    pub fn validate(&self) -> Result<(), SimulationError> {
        if !(self.rtol.is_finite() && self.rtol >= 1e-14 && self.rtol <= 0.1) {
            return Err(SimulationError::Setting {
                field: "rtol",
                expected: "a number in [1e-14, 0.1]",
                found: self.rtol.to_string(),
            });
        }
        if !(self.atol.is_finite() && self.atol >= 1e-16 && self.atol <= 1.0) {
            return Err(SimulationError::Setting {
                field: "atol",
                expected: "a number in [1e-16, 1]",
                found: self.atol.to_string(),
            });
        }
        if self.max_steps == 0 {
            return Err(SimulationError::Setting {
                field: "max_steps",
                expected: "at least 1",
                found: "0".into(),
            });
        }
        Ok(())
    }
}

/// Work done by the integrator over a whole simulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SolverStats {
    /// Right-hand-side evaluations (including those made to start segments).
    pub rhs_evaluations: u64,
    /// Accepted steps.
    pub accepted_steps: u64,
    /// Rejected steps.
    pub rejected_steps: u64,
    /// Integration segments (doses, infusion ends, phase switches and extinctions end one).
    pub segments: u64,
}
