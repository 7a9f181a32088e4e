//! Compact number formatting for labels (arm names of a sweep, heatmap ticks).

/// A compact label of `v`: `1e5`, `2.5e6`, `3e-3` for large and small magnitudes, `30`,
/// `0.25` otherwise (at most 4 significant decimals, no trailing zeros).
pub fn compact(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        let s = format!("{v:.3e}");
        // 3.000e6 -> 3e6; 2.500e5 -> 2.5e5
        match s.split_once('e') {
            Some((mantissa, exp)) => {
                let m = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{exp}")
            }
            None => s,
        }
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
