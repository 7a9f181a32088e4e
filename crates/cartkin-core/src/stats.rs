//! The few statistics both estimation (`cartkin-fit`) and virtual trials (`cartkin-trial`)
//! use: the standard normal CDF and its 97.5% quantile, sample quantiles, and the Wilson score
//! interval of a proportion.

/// The 97.5% quantile of the standard normal (two-sided 95% intervals).
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Standard normal CDF Φ(z), through statrs' `erfc` (accurate in the far tails, where M3
/// probabilities of well-predicted BLQ records live).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// Linear-interpolation quantile `q` in [0, 1] of `sorted` values (R's type 7); `None` when
/// there are none.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Wilson score 95% interval of a proportion `successes / n` ([0, 1] when `n` is 0).
pub fn wilson(successes: usize, n: usize) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = Z_975;
    let (p, n) = (successes as f64 / n as f64, n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn normal_cdf_matches_known_values() {
        // Φ(0) = 0.5, Φ(1.959964) = 0.975, Φ(-3) = 0.0013498980316301
        assert_relative_eq!(normal_cdf(0.0), 0.5, max_relative = 1e-14);
        // statrs' erfc is good to ~1e-12 near the centre and ~4e-11 at z = -3 (relative):
        // far tighter than any likelihood needs
        assert_relative_eq!(normal_cdf(Z_975), 0.975, max_relative = 1e-11);
        assert_relative_eq!(
            normal_cdf(-3.0),
            0.001_349_898_031_630_1,
            max_relative = 1e-10
        );
    }

    #[test]
    fn wilson_interval_matches_a_hand_computation() {
        // 65/79 (ELIANA): p = 0.8228; Wilson 95% [0.7239, 0.8911]
        let [lo, hi] = wilson(65, 79);
        assert_relative_eq!(lo, 0.7239, epsilon = 1e-3);
        assert_relative_eq!(hi, 0.8911, epsilon = 1e-3);
        let [lo, hi] = wilson(0, 0);
        assert_relative_eq!(lo, 0.0);
        assert_relative_eq!(hi, 1.0);
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_relative_eq!(quantile(&v, 0.5).unwrap_or(f64::NAN), 2.5);
        assert_relative_eq!(quantile(&v, 0.0).unwrap_or(f64::NAN), 1.0);
        assert_relative_eq!(quantile(&v, 1.0).unwrap_or(f64::NAN), 4.0);
        assert!(quantile(&[], 0.5).is_none());
    }
}
