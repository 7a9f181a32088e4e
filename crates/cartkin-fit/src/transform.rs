//! Parameters are estimated on a transformed scale θ: log for positive parameters, logit
//! between the bounds for fractions, identity otherwise.

use serde::Serialize;

/// Map between a natural parameter value `p` and the estimation scale θ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "scale", rename_all = "lowercase")]
pub enum Transform {
    /// θ = ln p (p > 0).
    Log,
    /// θ = logit((p − lower)/(upper − lower)): always inside the bounds.
    Logit {
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// θ = p.
    Identity,
}

impl Transform {
    /// The transform a parameter with these bounds gets: logit for fractions (bounds within
    /// [0, 1]), log for other non-negative parameters, identity otherwise.
    pub fn for_bounds(lower: f64, upper: f64) -> Self {
        if lower >= 0.0 && upper <= 1.0 && upper > lower {
            Transform::Logit { lower, upper }
        } else if lower >= 0.0 {
            Transform::Log
        } else {
            Transform::Identity
        }
    }

    /// θ from p. A value on a logit bound is moved inside by 1e-12 of the range.
    pub fn to_theta(self, p: f64) -> f64 {
        match self {
            Transform::Log => p.max(f64::MIN_POSITIVE).ln(),
            Transform::Logit { lower, upper } => {
                let u = ((p - lower) / (upper - lower)).clamp(1e-12, 1.0 - 1e-12);
                (u / (1.0 - u)).ln()
            }
            Transform::Identity => p,
        }
    }

    /// p from θ.
    pub fn to_param(self, theta: f64) -> f64 {
        match self {
            Transform::Log => theta.exp(),
            Transform::Logit { lower, upper } => lower + (upper - lower) / (1.0 + (-theta).exp()),
            Transform::Identity => theta,
        }
    }

    /// dp/dθ (for the delta method).
    pub fn derivative(self, theta: f64) -> f64 {
        match self {
            Transform::Log => theta.exp(),
            Transform::Logit { lower, upper } => {
                let e = (-theta.abs()).exp();
                (upper - lower) * e / ((1.0 + e) * (1.0 + e))
            }
            Transform::Identity => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn round_trips_and_derivatives_match_finite_differences() {
        for (t, p) in [
            (Transform::Log, 3.7e4),
            (
                Transform::Logit {
                    lower: 0.0,
                    upper: 1.0,
                },
                0.0079,
            ),
            (
                Transform::Logit {
                    lower: 0.1,
                    upper: 0.9,
                },
                0.5,
            ),
            (Transform::Identity, -2.5),
        ] {
            let theta = t.to_theta(p);
            assert_relative_eq!(t.to_param(theta), p, max_relative = 1e-12);
            let h = 1e-6;
            let fd = (t.to_param(theta + h) - t.to_param(theta - h)) / (2.0 * h);
            assert_relative_eq!(t.derivative(theta), fd, max_relative = 1e-6);
        }
    }

    #[test]
    fn chooses_the_scale_from_the_bounds() {
        assert_eq!(
            Transform::for_bounds(0.0, 1.0),
            Transform::Logit {
                lower: 0.0,
                upper: 1.0
            }
        );
        assert_eq!(Transform::for_bounds(1e-4, 10.0), Transform::Log);
        assert_eq!(Transform::for_bounds(-1.0, 1.0), Transform::Identity);
    }
}
