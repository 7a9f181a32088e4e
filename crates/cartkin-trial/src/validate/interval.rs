//! Point estimates with 95% confidence intervals for the validation measures: medians
//! (order statistics), proportions (Wilson), geometric-mean ratios (Welch on the log scale),
//! ratios of proportions (Katz, log scale) and paired differences (common random numbers).

use cartkin_core::stats::{Z_975, quantile, wilson};

/// An estimate, its 95% CI (where one is meaningful) and the number of observations it is
/// computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// 95% confidence interval.
    pub ci95: Option<[f64; 2]>,
    /// Observations (patients, or patients in the smaller group of a comparison).
    pub n: usize,
}

/// Median with the distribution-free 95% CI from order statistics: the ranks
/// n/2 ∓ 1.96·√n/2 of the sorted values (the binomial(n, ½) normal approximation). `None`
/// for no values.
pub fn median(values: &[f64]) -> Option<Estimate> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let m = quantile(&v, 0.5)?;
    let n = v.len() as f64;
    let half = Z_975 * n.sqrt() / 2.0;
    // 1-based ranks, clamped to the sample
    let lo = ((n / 2.0 - half).floor().max(1.0) as usize).min(v.len());
    let hi = ((n / 2.0 + half).ceil().max(1.0) as usize).min(v.len());
    Some(Estimate {
        value: m,
        ci95: Some([v[lo - 1], v[hi - 1]]),
        n: v.len(),
    })
}

/// Share `successes / n` with its Wilson 95% CI; `None` when n = 0.
pub fn proportion(successes: usize, n: usize) -> Option<Estimate> {
    (n > 0).then(|| Estimate {
        value: successes as f64 / n as f64,
        ci95: Some(wilson(successes, n)),
        n,
    })
}

/// Ratio of geometric means a/b with the Welch 95% CI on the log scale (normal quantile: the
/// groups are large in a virtual population). `None` when a group has fewer than two positive
/// values.
pub fn geometric_mean_ratio(a: &[f64], b: &[f64]) -> Option<Estimate> {
    let logs = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .filter(|v| v.is_finite() && **v > 0.0)
            .map(|v| v.ln())
            .collect()
    };
    let (la, lb) = (logs(a), logs(b));
    if la.len() < 2 || lb.len() < 2 {
        return None;
    }
    let mean_var = |l: &[f64]| {
        let n = l.len() as f64;
        let m = l.iter().sum::<f64>() / n;
        let var = l.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, var / n)
    };
    let ((ma, va), (mb, vb)) = (mean_var(&la), mean_var(&lb));
    let d = ma - mb;
    let se = (va + vb).sqrt();
    Some(Estimate {
        value: d.exp(),
        ci95: Some([(d - Z_975 * se).exp(), (d + Z_975 * se).exp()]),
        n: la.len().min(lb.len()),
    })
}

/// Variance of ln x over the positive values, with the 95% CI of a normal sample's variance
/// on the log scale (ln s² ± 1.96·√(2/(n − 1)), the large-n form of the χ² interval). `None`
/// for fewer than two positive values.
pub fn log_variance(values: &[f64]) -> Option<Estimate> {
    let l: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|v| v.ln())
        .collect();
    if l.len() < 2 {
        return None;
    }
    let n = l.len() as f64;
    let m = l.iter().sum::<f64>() / n;
    let var = l.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let half = Z_975 * (2.0 / (n - 1.0)).sqrt();
    Some(Estimate {
        value: var,
        ci95: Some([var * (-half).exp(), var * half.exp()]),
        n: l.len(),
    })
}

/// Ratio of two proportions (a₁/n₁)/(a₂/n₂) with Katz's log-scale 95% CI. `None` when a
/// group is empty or has no event (the ratio is then 0 or infinite).
pub fn ratio_of_proportions(a1: usize, n1: usize, a2: usize, n2: usize) -> Option<Estimate> {
    if a1 == 0 || a2 == 0 || n1 == 0 || n2 == 0 {
        return None;
    }
    let (a1f, n1f, a2f, n2f) = (a1 as f64, n1 as f64, a2 as f64, n2 as f64);
    let r = (a1f / n1f) / (a2f / n2f);
    let se = (1.0 / a1f - 1.0 / n1f + 1.0 / a2f - 1.0 / n2f).sqrt();
    Some(Estimate {
        value: r,
        ci95: Some([(r.ln() - Z_975 * se).exp(), (r.ln() + Z_975 * se).exp()]),
        n: n1.min(n2),
    })
}

/// Mean of paired differences x − y over the same patients (two arms with common random
/// numbers), with the normal 95% CI from the SD of the differences. `None` for fewer than two
/// pairs.
pub fn paired_difference(pairs: &[(f64, f64)]) -> Option<Estimate> {
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let d: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
    let m = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let half = Z_975 * sd / n.sqrt();
    Some(Estimate {
        value: m,
        ci95: Some([m - half, m + half]),
        n: pairs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_ci_brackets_the_median_by_order_statistics() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let m = median(&v).unwrap();
        assert!((m.value - 50.5).abs() < 1e-12);
        // ranks 50 ∓ 9.8: 40 and 60
        assert_eq!(m.ci95, Some([40.0, 60.0]));
        assert!(median(&[]).is_none());
    }

    #[test]
    fn ratios_and_differences() {
        let g = geometric_mean_ratio(&[2.0, 8.0], &[1.0, 1.0 + 1e-9]).unwrap();
        assert!((g.value - 4.0).abs() < 1e-6);
        let r = ratio_of_proportions(20, 100, 10, 100).unwrap();
        assert!((r.value - 2.0).abs() < 1e-12);
        let [lo, hi] = r.ci95.unwrap();
        assert!(lo < 2.0 && hi > 2.0 && lo > 0.9);
        assert!(ratio_of_proportions(0, 10, 1, 10).is_none());
        let d = paired_difference(&[(1.0, 0.0), (1.0, 0.0), (0.0, 0.0), (1.0, 1.0)]).unwrap();
        assert!((d.value - 0.5).abs() < 1e-12);
    }
}
