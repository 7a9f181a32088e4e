//! Sweeps: one or two variables on a grid, each grid point becoming an arm.

use serde::Serialize;

/// How grid points are spaced between `from` and `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Evenly spaced.
    Linear,
    /// Evenly spaced in log10 (doses over decades).
    Log,
}

/// One swept variable: an arm key (e.g. `dose_per_kg`, `set.L0`) and its values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    /// The arm setting it changes (see [`super::arm::ArmSettings::set_key`]).
    pub key: String,
    /// Grid values, in the order given or generated.
    pub values: Vec<f64>,
    /// Spacing (log when the values were generated on a log grid, or given with `scale = "log"`).
    pub scale: Scale,
}

/// `points` values from `from` to `to` (both included), spaced by `scale`.
///
/// The caller has checked `points ≥ 2`, finite ends, and positive ends for a log scale.
pub fn grid(from: f64, to: f64, points: usize, scale: Scale) -> Vec<f64> {
    let step = |k: usize| k as f64 / (points - 1) as f64;
    (0..points)
        .map(|k| match scale {
            Scale::Linear => from + (to - from) * step(k),
            // exact end points: 10^(log10 a + ...) would round 1e9 to 999999999.9999
            Scale::Log if k == 0 => from,
            Scale::Log if k == points - 1 => to,
            Scale::Log => 10f64.powf(from.log10() + (to.log10() - from.log10()) * step(k)),
        })
        .collect()
}

/// Grid points of one or two axes: `(i, j)` index pairs in row-major order (the first axis
/// varies slowest), `j` is `None` for a one-variable sweep.
pub fn points(x: &Axis, y: Option<&Axis>) -> Vec<(usize, Option<usize>)> {
    match y {
        None => (0..x.values.len()).map(|i| (i, None)).collect(),
        Some(y) => (0..x.values.len())
            .flat_map(|i| (0..y.values.len()).map(move |j| (i, Some(j))))
            .collect(),
    }
}

/// Labels of an axis's values for arm names: compact ([`format_value`]) unless two would read
/// the same, then Rust's shortest round-trip form (distinct for distinct values).
pub fn labels(values: &[f64]) -> Vec<String> {
    let compact: Vec<String> = values.iter().map(|v| format_value(*v)).collect();
    let mut sorted = compact.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        values.iter().map(|v| format!("{v:e}")).collect()
    } else {
        compact
    }
}

/// A compact label of a value for arm names (`3e+06`, `0.25`, `30`).
pub fn format_value(v: f64) -> String {
    cartkin_core::format::compact(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_grid_hits_decades_exactly() {
        let g = grid(1e5, 1e9, 5, Scale::Log);
        assert_eq!(g.len(), 5);
        for (v, want) in g.iter().zip([1e5, 1e6, 1e7, 1e8, 1e9]) {
            // interior points through powf: within 4 ulp-scale relative error
            assert!((v / want - 1.0).abs() < 1e-14, "{v} vs {want}");
        }
        assert_eq!(g[0], 1e5);
        assert_eq!(g[4], 1e9);
    }

    #[test]
    fn linear_grid_and_points() {
        let g = grid(0.0, 30.0, 4, Scale::Linear);
        assert_eq!(g, vec![0.0, 10.0, 20.0, 30.0]);
        let x = Axis {
            key: "a".into(),
            values: vec![1.0, 2.0],
            scale: Scale::Linear,
        };
        let y = Axis {
            key: "b".into(),
            values: vec![1.0, 2.0, 3.0],
            scale: Scale::Linear,
        };
        let p = points(&x, Some(&y));
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], (0, Some(0)));
        assert_eq!(p[2], (0, Some(2)));
        assert_eq!(p[3], (1, Some(0)));
        assert_eq!(points(&x, None), vec![(0, None), (1, None)]);
    }

    #[test]
    fn labels_stay_distinct() {
        assert_eq!(labels(&[1e5, 1e6]), vec!["1e5", "1e6"]);
        assert_eq!(
            labels(&[1.00001e6, 1.00002e6]),
            vec!["1.00001e6", "1.00002e6"]
        );
    }

    #[test]
    fn values_format_compactly() {
        assert_eq!(format_value(3e6), "3e6");
        assert_eq!(format_value(2.5e5), "2.5e5");
        assert_eq!(format_value(30.0), "30");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(1e-3), "1e-3");
    }
}
