//! Residual error models and their contribution to −2 log-likelihood.
//!
//! | model | observation | standard deviation |
//! |---|---|---|
//! | additive | y = f + ε | a |
//! | proportional | y = f·(1 + ε) | b·f |
//! | combined | y = f + ε | √(a² + b²f²) |
//! | log-additive | ln y = ln f + ε | a (on the log scale; Stein et al. 2019) |
//!
//! −2LL terms are those of the density of `y` itself (for log-additive the Jacobian
//! `2 ln y` is included), so AIC/BIC compare error models fairly. Observations below the
//! limit of quantification are dropped or enter through Beal's M3 likelihood
//! `P(y < LLOQ) = Φ((LLOQ − f)/sd)` (on the log scale for log-additive).

use cartkin_core::stats::normal_cdf;
use serde::Serialize;

/// Which residual error model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Constant SD `a`.
    Additive,
    /// SD `b·f`.
    Proportional,
    /// SD `√(a² + b²f²)`.
    Combined,
    /// Additive on the log scale, SD `a`.
    LogAdditive,
}

impl ErrorKind {
    /// Whether the model has an additive SD `a`.
    pub fn has_additive(self) -> bool {
        !matches!(self, ErrorKind::Proportional)
    }

    /// Whether the model has a proportional SD `b`.
    pub fn has_proportional(self) -> bool {
        matches!(self, ErrorKind::Proportional | ErrorKind::Combined)
    }
}

impl std::str::FromStr for ErrorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "additive" => Ok(ErrorKind::Additive),
            "proportional" => Ok(ErrorKind::Proportional),
            "combined" => Ok(ErrorKind::Combined),
            "log-additive" | "log" => Ok(ErrorKind::LogAdditive),
            other => Err(format!(
                "unknown error model `{other}`; expected additive, proportional, combined or log-additive"
            )),
        }
    }
}

/// How below-limit observations enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlqMethod {
    /// Ignored.
    Drop,
    /// Beal's M3: the probability of being below the limit.
    M3,
}

impl std::str::FromStr for BlqMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "m3" | "M3" => Ok(BlqMethod::M3),
            "drop" => Ok(BlqMethod::Drop),
            other => Err(format!("expected m3 or drop, got `{other}`")),
        }
    }
}

/// An error model with its standard-deviation parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorModel {
    /// Kind.
    pub kind: ErrorKind,
    /// Additive SD `a` (log scale for log-additive).
    pub a: f64,
    /// Proportional SD `b`.
    pub b: f64,
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// −2LL returned for impossible predictions (e.g. f ≤ 0 with log-additive error): large but
/// finite, so optimizers back away instead of failing.
pub const PENALTY: f64 = 1e12;

impl ErrorModel {
    /// SD of the residual on the model's scale at prediction `f`.
    pub fn sd(&self, f: f64) -> f64 {
        match self.kind {
            ErrorKind::Additive | ErrorKind::LogAdditive => self.a,
            ErrorKind::Proportional => self.b * f.abs(),
            ErrorKind::Combined => (self.a * self.a + self.b * self.b * f * f).sqrt(),
        }
    }

    /// Residual on the model's scale: y − f, or ln y − ln f.
    pub fn residual(&self, f: f64, y: f64) -> f64 {
        match self.kind {
            ErrorKind::LogAdditive => y.ln() - f.ln(),
            _ => y - f,
        }
    }

    /// Weighted residual (residual / SD).
    pub fn weighted_residual(&self, f: f64, y: f64) -> f64 {
        self.residual(f, y) / self.sd(f)
    }

    /// −2LL of one quantified observation `y` at prediction `f`.
    pub fn minus2ll(&self, f: f64, y: f64) -> f64 {
        let sd = self.sd(f);
        if !(sd > 0.0 && sd.is_finite())
            || (self.kind == ErrorKind::LogAdditive && !(f > 0.0 && y > 0.0))
        {
            return PENALTY;
        }
        let r = self.residual(f, y) / sd;
        let jacobian = if self.kind == ErrorKind::LogAdditive {
            2.0 * y.ln()
        } else {
            0.0
        };
        LN_2PI + 2.0 * sd.ln() + r * r + jacobian
    }

    /// −2LL of an observation known only to be below `lloq` (M3).
    pub fn minus2ll_blq(&self, f: f64, lloq: f64) -> f64 {
        let sd = self.sd(f);
        let z = match self.kind {
            ErrorKind::LogAdditive if f > 0.0 && lloq > 0.0 => (lloq.ln() - f.ln()) / sd,
            ErrorKind::LogAdditive => return PENALTY,
            _ => (lloq - f) / sd,
        };
        let p = normal_cdf(z);
        if p > 0.0 { -2.0 * p.ln() } else { PENALTY }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn additive_minus2ll_is_the_gaussian_density() {
        let m = ErrorModel {
            kind: ErrorKind::Additive,
            a: 2.0,
            b: 0.0,
        };
        // −2 ln N(y=5 | 4, 2²) = ln(2π) + 2 ln 2 + 0.25
        assert_relative_eq!(
            m.minus2ll(4.0, 5.0),
            LN_2PI + 2.0 * 2f64.ln() + 0.25,
            max_relative = 1e-14
        );
    }

    #[test]
    fn log_additive_includes_the_jacobian() {
        let m = ErrorModel {
            kind: ErrorKind::LogAdditive,
            a: 0.5,
            b: 0.0,
        };
        let (f, y): (f64, f64) = (100.0, 150.0);
        let r = (y / f).ln() / 0.5;
        assert_relative_eq!(
            m.minus2ll(f, y),
            LN_2PI + 2.0 * 0.5f64.ln() + r * r + 2.0 * y.ln(),
            max_relative = 1e-14
        );
        assert_relative_eq!(m.minus2ll(-1.0, y), PENALTY);
    }

    #[test]
    fn combined_reduces_to_its_parts() {
        let c = ErrorModel {
            kind: ErrorKind::Combined,
            a: 0.0,
            b: 0.2,
        };
        let p = ErrorModel {
            kind: ErrorKind::Proportional,
            a: 0.0,
            b: 0.2,
        };
        assert_relative_eq!(
            c.minus2ll(10.0, 12.0),
            p.minus2ll(10.0, 12.0),
            max_relative = 1e-14
        );
    }

    #[test]
    fn m3_is_minus_two_log_probability_below_the_limit() {
        let m = ErrorModel {
            kind: ErrorKind::Additive,
            a: 1.0,
            b: 0.0,
        };
        // f = LLOQ → P = 0.5
        assert_relative_eq!(
            m.minus2ll_blq(3.0, 3.0),
            -2.0 * 0.5f64.ln(),
            max_relative = 1e-14
        );
    }
}
