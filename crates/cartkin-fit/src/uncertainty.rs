//! Standard errors from the observed information and profile likelihoods.
//!
//! The Hessian H of −2LL is computed by central finite differences on the transformed scale θ;
//! Cov(θ) = 2·H⁻¹ (−2LL = −2 ln L, so the information is H/2). Natural-scale SEs follow by the
//! delta method, `se(p) = |dp/dθ|·se(θ)`; 95% CIs are the back-transformed θ ± 1.96·se(θ)
//! (asymmetric on the natural scale, and always inside the bounds for logit parameters).

use nalgebra::DMatrix;
use serde::Serialize;

use crate::optimizer::{Objective, OptimizerOptions, minimize};
use crate::problem::Problem;

pub use cartkin_core::stats::Z_975;
/// The 95% quantile of χ² with 1 degree of freedom: the profile-likelihood cut-off.
pub const CHI2_95_1DF: f64 = 3.841_458_820_694_124;

/// Finite-difference step on θ.
fn step(theta: f64) -> f64 {
    1e-3 * theta.abs().max(1.0)
}

/// Hessian of the objective at `x` by central differences (2n² + 1 evaluations).
pub fn hessian(objective: &Objective<'_>, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let f0 = objective.value(x);
    let mut h = DMatrix::zeros(n, n);
    let at = |moves: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(i, d) in moves {
            p[i] += d;
        }
        objective.value(&p)
    };
    for i in 0..n {
        let hi = step(x[i]);
        h[(i, i)] = (at(&[(i, hi)]) - 2.0 * f0 + at(&[(i, -hi)])) / (hi * hi);
        for j in 0..i {
            let hj = step(x[j]);
            let v = (at(&[(i, hi), (j, hj)]) - at(&[(i, hi), (j, -hj)]) - at(&[(i, -hi), (j, hj)])
                + at(&[(i, -hi), (j, -hj)]))
                / (4.0 * hi * hj);
            h[(i, j)] = v;
            h[(j, i)] = v;
        }
    }
    h
}

/// Covariance of θ, 2·H⁻¹, when H is positive definite.
pub fn covariance(h: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let chol = nalgebra::Cholesky::new(h.clone())?;
    Some(chol.inverse() * 2.0)
}

/// Correlation matrix from a covariance matrix.
pub fn correlation(cov: &DMatrix<f64>) -> Vec<Vec<f64>> {
    let n = cov.nrows();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| cov[(i, j)] / (cov[(i, i)] * cov[(j, j)]).sqrt())
                .collect()
        })
        .collect()
}

/// One point of a profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilePoint {
    /// Parameter value (natural scale).
    pub value: f64,
    /// −2LL with the other parameters re-estimated.
    pub minus2ll: f64,
    /// −2LL minus its minimum.
    pub delta: f64,
}

/// A profile likelihood of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Parameter name.
    pub parameter: String,
    /// Points in increasing parameter value.
    pub points: Vec<ProfilePoint>,
    /// Where Δ(−2LL) crosses 3.84 on each side (None where the grid did not reach it).
    pub ci95: [Option<f64>; 2],
}

/// Profiles free parameter `k` around the optimum `theta_hat` (objective `f_hat`): 21 values of
/// θ_k over ±2.5 standard errors (±1 on the θ scale without one), the other parameters
/// re-optimized at each, walking outwards from the optimum with warm starts.
pub fn profile(
    problem: &Problem,
    subjects: &[usize],
    k: usize,
    theta_hat: &[f64],
    f_hat: f64,
    se_theta: Option<f64>,
    options: &OptimizerOptions,
) -> Profile {
    let half_width = se_theta.map_or(1.0, |s| (2.5 * s).clamp(0.05, 5.0));
    let n_side = 10;
    let mut points: Vec<(f64, f64)> = vec![(theta_hat[k], f_hat)];
    for direction in [-1.0, 1.0] {
        let mut warm = theta_hat.to_vec();
        for step in 1..=n_side {
            let t = theta_hat[k] + direction * half_width * step as f64 / n_side as f64;
            let objective = Objective::pinned(problem, subjects, k, t);
            let start = objective.reduce(&warm);
            let f = if start.is_empty() {
                objective.value(&start)
            } else {
                match minimize(
                    &objective,
                    &start,
                    &OptimizerOptions {
                        starts: 1,
                        ..*options
                    },
                ) {
                    Ok(m) => {
                        warm = objective.expand(&m.theta);
                        m.objective
                    }
                    Err(_) => f64::NAN,
                }
            };
            points.push((t, f));
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let f_min = points
        .iter()
        .map(|p| p.1)
        .filter(|f| f.is_finite())
        .fold(f_hat, f64::min);
    let transform = problem.free[k].transform;
    let profile_points: Vec<ProfilePoint> = points
        .iter()
        .map(|&(t, f)| ProfilePoint {
            value: transform.to_param(t),
            minus2ll: f,
            delta: f - f_min,
        })
        .collect();
    let centre = points
        .iter()
        .position(|p| (p.0 - theta_hat[k]).abs() < 1e-15)
        .unwrap_or(n_side);
    let crossing = |range: Vec<usize>| {
        for w in range.windows(2) {
            let (a, b) = (&profile_points[w[0]], &profile_points[w[1]]);
            if a.delta < CHI2_95_1DF && b.delta >= CHI2_95_1DF {
                let s = (CHI2_95_1DF - a.delta) / (b.delta - a.delta);
                return Some(a.value + s * (b.value - a.value));
            }
        }
        None
    };
    let lower = crossing((0..=centre).rev().collect());
    let upper = crossing((centre..profile_points.len()).collect());
    Profile {
        parameter: problem.free[k].name.clone(),
        points: profile_points,
        ci95: [lower, upper],
    }
}
