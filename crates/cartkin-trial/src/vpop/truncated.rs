//! The standard normal truncated to an interval, sampled by inverting its CDF.
//!
//! Population draws honour their stated distribution *and* their bounds: a covariate, dose or
//! parameter is drawn from the distribution truncated to its interval, never clamped to a
//! bound (clamping would put a point mass there that the distribution does not have). One
//! uniform number per draw is turned into a deviate by the inverse CDF, so a patient's draw
//! moves monotonically with the interval (common random numbers across scenario arms), and
//! no draw is ever rejected. (Correlated parameters are drawn by rejection instead, see
//! `Sampler`.)
//!
//! The tail on the far side of zero is computed through the complementary CDF so that
//! intervals deep in one tail (e.g. z in [5, 6]) keep full relative accuracy.

use statrs::function::erf::{erfc, erfc_inv};
use std::f64::consts::SQRT_2;

/// Smallest probability mass an interval may keep: below it the truncation is refused as
/// empty (the deviates would be dominated by round-off in the tail).
pub const MIN_MASS: f64 = 1e-12;

/// Upper-tail probability Q(z) = 1 − Φ(z), accurate for large z.
fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / SQRT_2)
}

/// Probability mass of the standard normal on `[a, b]` (infinite ends allowed).
pub fn mass(a: f64, b: f64) -> f64 {
    if a >= b {
        return 0.0;
    }
    if a >= 0.0 {
        upper_tail(a) - upper_tail(b)
    } else if b <= 0.0 {
        upper_tail(-b) - upper_tail(-a)
    } else {
        1.0 - upper_tail(-a) - upper_tail(b)
    }
}

/// The deviate of the standard normal truncated to `[a, b]` at uniform `u` in [0, 1): the
/// inverse of its CDF. The caller ensures `mass(a, b) ≥ MIN_MASS`.
pub fn deviate(u: f64, a: f64, b: f64) -> f64 {
    let z = if a >= 0.0 {
        // both ends in the upper tail: interpolate the tail probabilities
        let (qa, qb) = (upper_tail(a), upper_tail(b));
        let q = qa - u * (qa - qb);
        SQRT_2 * erfc_inv(2.0 * q)
    } else if b <= 0.0 {
        -deviate(1.0 - u, -b, -a)
    } else {
        // Φ(a) + u·(Φ(b) − Φ(a)), written with the lower tail Φ(a) = Q(−a)
        let (pa, pb) = (upper_tail(-a), 1.0 - upper_tail(b));
        let p = pa + u * (pb - pa);
        -SQRT_2 * erfc_inv(2.0 * p)
    };
    // round-off at the ends of the interval
    z.clamp(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_matches_known_values() {
        // Φ(1.96) − Φ(−1.96) = 0.950004209703559
        let m = mass(-1.959_963_984_540_054, 1.959_963_984_540_054);
        assert!((m - 0.95).abs() < 1e-11, "{m}");
        // Q(5) − Q(6) = 2.866515718791939e-7 − 9.865876450377e-10 = 2.856649842341562e-7
        let m = mass(5.0, 6.0);
        assert!((m / 2.856_649_842_341_562e-7 - 1.0).abs() < 1e-9, "{m}");
        assert_eq!(mass(1.0, 1.0), 0.0);
        assert!((mass(f64::NEG_INFINITY, f64::INFINITY) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn deviates_stay_inside_and_invert_the_cdf() {
        for (a, b) in [
            (f64::NEG_INFINITY, f64::INFINITY),
            (-1.0, 2.0),
            (5.0, 6.0),
            (-8.0, -7.5),
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, -3.0),
        ] {
            let total = mass(a, b);
            for k in 0..100 {
                let u = (k as f64 + 0.5) / 100.0;
                let z = deviate(u, a, b);
                assert!(z >= a && z <= b, "[{a}, {b}] u {u}: {z}");
                // the truncated CDF at z is u: mass(a, z)/mass(a, b) (to 1e-8 relative, the
                // accuracy of statrs' erfc_inv in the tails)
                let back = mass(a, z) / total;
                assert!((back - u).abs() < 1e-8, "[{a}, {b}] u {u}: F(z) = {back}");
            }
        }
    }
}
