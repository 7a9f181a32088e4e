//! Axis ranges, tick positions and tick label text.
//!
//! All positions are in *plot coordinates*: the value itself on a linear axis, `log10(value)`
//! on a log axis. Only [`Axis::to_plot`] maps data into plot coordinates, and it rejects
//! non-positive and non-finite values on log axes (pitfall P-log-axis).

/// At most this many decades are shown below the top of a log axis; lower data are clipped.
pub(crate) const MAX_DECADES: i32 = 14;
/// Values beyond this magnitude are treated like non-finite values on linear axes.
const LINEAR_LIMIT: f64 = 1e300;
/// A linear x axis reaches 0 when the data stop closer to it than this fraction of their span.
const SNAP_TO_ZERO: f64 = 0.1;
/// Tolerance used when rounding logarithms to whole decades.
const DECADE_EPS: f64 = 1e-9;

/// Tick label text: `base`, optionally followed by a superscript exponent (`10` + `6` = 10^6).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TickLabel {
    pub base: String,
    pub exp: Option<i32>,
}

impl TickLabel {
    fn plain(base: String) -> Self {
        TickLabel { base, exp: None }
    }

    /// Exponent text with a typographic minus sign.
    pub(crate) fn exp_text(&self) -> Option<String> {
        self.exp.map(|e| minus_sign(&e.to_string()))
    }

    /// One-line ASCII-ish rendering, e.g. "10^-4" (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn flat(&self) -> String {
        match self.exp_text() {
            Some(e) => format!("{}^{}", self.base, e),
            None => self.base.clone(),
        }
    }
}

/// A fully decided axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Axis {
    /// Range in plot coordinates.
    pub lo: f64,
    pub hi: f64,
    /// Labelled tick positions (plot coordinates) and their labels.
    pub major: Vec<f64>,
    pub labels: Vec<TickLabel>,
    /// Unlabelled light grid positions.
    pub minor: Vec<f64>,
    pub log: bool,
    /// False when no value could be placed on the axis (the range is a placeholder).
    pub has_data: bool,
}

impl Axis {
    /// Map a data value into plot coordinates; `None` means "not drawable here: break the line".
    pub(crate) fn to_plot(&self, v: f64) -> Option<f64> {
        map_value(self.log, v)
    }

    /// Whether a plot coordinate lies inside the axis range (with a little tolerance).
    pub(crate) fn contains(&self, p: f64) -> bool {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        p >= self.lo - eps && p <= self.hi + eps
    }

    /// Whether any of the plot coordinates `points` lies inside the range within `frac` of its
    /// span from the (low, high) end.
    pub(crate) fn near_ends(
        &self,
        points: impl IntoIterator<Item = f64>,
        frac: f64,
    ) -> (bool, bool) {
        let m = (self.hi - self.lo) * frac;
        let (mut near_lo, mut near_hi) = (false, false);
        for p in points.into_iter().filter(|&p| self.contains(p)) {
            near_lo |= p < self.lo + m;
            near_hi |= p > self.hi - m;
        }
        (near_lo, near_hi)
    }

    /// Extend the (low, high) ends of the range by `frac` of its span, e.g. so markers drawn
    /// there are not cut in half and lines there are not hidden in the frame. Ticks are
    /// unchanged.
    pub(crate) fn pad_ends(&mut self, (lo, hi): (bool, bool), frac: f64) {
        let m = (self.hi - self.lo) * frac;
        if lo {
            self.lo -= m;
        }
        if hi {
            self.hi += m;
        }
    }
}

fn map_value(log: bool, v: f64) -> Option<f64> {
    if log {
        (v.is_finite() && v > 0.0).then(|| v.log10())
    } else {
        (v.is_finite() && v.abs() <= LINEAR_LIMIT).then_some(v)
    }
}

/// Log axis over whole decades covering the positive finite `values`, at most
/// [`MAX_DECADES`] below the top.
pub(crate) fn log_axis(values: impl IntoIterator<Item = f64>) -> Axis {
    let Some((min, max)) = min_max(values.into_iter().filter_map(|v| map_value(true, v))) else {
        return log_axis_decades(0, 1, false);
    };
    // log10 of a positive finite f64 lies in [-324, 309]: the casts cannot overflow.
    let hi = (max - DECADE_EPS).ceil() as i32;
    let lo = ((min + DECADE_EPS).floor() as i32).max(hi - MAX_DECADES);
    log_axis_decades(lo.min(hi - 1), hi, true)
}

fn log_axis_decades(lo: i32, hi: i32, has_data: bool) -> Axis {
    let span = hi - lo;
    let step = if span <= 7 { 1 } else { 2 };
    // Every `step`-th decade counted down from the top, so the top decade is labelled.
    let major: Vec<i32> = (lo..=hi)
        .filter(|k| (hi - k).rem_euclid(step) == 0)
        .collect();
    let mut minor: Vec<f64> = Vec::new();
    if step > 1 {
        minor.extend((lo..=hi).filter(|k| !major.contains(k)).map(f64::from));
    }
    if span <= 3 {
        for k in lo..hi {
            minor.extend((2..=9).map(|m| f64::from(k) + f64::from(m).log10()));
        }
    }
    Axis {
        lo: f64::from(lo),
        hi: f64::from(hi),
        labels: major
            .iter()
            .map(|&k| TickLabel {
                base: "10".to_string(),
                exp: Some(k),
            })
            .collect(),
        major: major.into_iter().map(f64::from).collect(),
        minor,
        log: true,
        has_data,
    }
}

/// Log axis over exactly `[lo, hi]` (data units, `0 < lo < hi`, fixed by the caller):
/// labelled decades inside the range, or 1-2-5 ticks when it holds fewer than two decades.
pub(crate) fn fixed_log_axis(lo: f64, hi: f64) -> Axis {
    let (Some(a), Some(b)) = (map_value(true, lo), map_value(true, hi)) else {
        return log_axis_decades(0, 1, false);
    };
    if b - a <= DECADE_EPS {
        return log_axis_decades(0, 1, false);
    }
    // log10 of a positive finite f64 lies in [-324, 309]: the casts cannot overflow.
    let k0 = (a - DECADE_EPS).ceil() as i32;
    let k1 = (b + DECADE_EPS).floor() as i32;
    let inside = |p: f64| p >= a - DECADE_EPS && p <= b + DECADE_EPS;
    let mut major = Vec::new();
    let mut labels = Vec::new();
    let mut minor = Vec::new();
    if k1 > k0 {
        let span = k1 - k0;
        let step = (span + 6) / 7;
        for k in k0..=k1 {
            if (k1 - k).rem_euclid(step) == 0 {
                major.push(f64::from(k));
                labels.push(TickLabel {
                    base: "10".to_string(),
                    exp: Some(k),
                });
            } else {
                minor.push(f64::from(k));
            }
        }
        if b - a <= 3.0 + DECADE_EPS {
            for k in (k0 - 1)..=k1 {
                minor.extend(
                    (2..=9)
                        .map(|m| f64::from(k) + f64::from(m).log10())
                        .filter(|&p| inside(p)),
                );
            }
        }
    } else {
        // Less than two decades: label 1, 2 and 5 times powers of ten (all 1..9 if too few).
        let (d0, d1) = (
            (a + DECADE_EPS).floor() as i32,
            (b - DECADE_EPS).ceil() as i32,
        );
        let pick = |mantissas: &[i32]| -> Vec<(i32, i32)> {
            (d0..=d1)
                .flat_map(|k| mantissas.iter().map(move |&m| (m, k)))
                .filter(|&(m, k)| inside(f64::from(k) + f64::from(m).log10()))
                .collect()
        };
        let mut ticks = pick(&[1, 2, 5]);
        if ticks.len() < 2 {
            ticks = pick(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
        for (m, k) in ticks {
            major.push(f64::from(k) + f64::from(m).log10());
            labels.push(mantissa_label(m, k));
        }
    }
    Axis {
        lo: a,
        hi: b,
        major,
        labels,
        minor,
        log: true,
        has_data: true,
    }
}

/// Label of `m * 10^k` on a log axis: plain decimals near 1, else "m×10^k".
fn mantissa_label(m: i32, k: i32) -> TickLabel {
    if (-3..=4).contains(&k) {
        let decimals = usize::try_from(-k).unwrap_or(0);
        let v = f64::from(m) * 10f64.powi(k);
        return TickLabel::plain(format!("{v:.decimals$}"));
    }
    let base = if m == 1 {
        "10".to_string()
    } else {
        format!("{m}\u{d7}10")
    };
    TickLabel { base, exp: Some(k) }
}

/// Linear axis over exactly `[lo, hi]` (fixed by the caller), ticks at nice values inside:
/// about as many as on a data-ranged x (`vertical` false) or y (`vertical` true) axis.
pub(crate) fn fixed_linear_axis(lo: f64, hi: f64, vertical: bool) -> Axis {
    linear_axis([lo, hi], false, if vertical { 5.0 } else { 8.0 })
}

/// Linear y axis: nice rounded range around the finite `values`, including 0 when all values
/// have the same sign.
pub(crate) fn linear_y_axis(values: impl IntoIterator<Item = f64>) -> Axis {
    linear_axis(values, true, 5.0)
}

/// Linear x (time) axis spanning exactly the finite `values`, ticks at nice values inside.
/// The range is extended to 0 when that is within [`SNAP_TO_ZERO`] of the span (data from
/// day 1 to 180 get an axis from 0).
pub(crate) fn time_axis(values: impl IntoIterator<Item = f64>) -> Axis {
    let mut values: Vec<f64> = values
        .into_iter()
        .filter_map(|v| map_value(false, v))
        .collect();
    if let Some((min, max)) = min_max(values.iter().copied()) {
        let reach = SNAP_TO_ZERO * (max - min);
        if (min > 0.0 && min <= reach) || (max < 0.0 && -max <= reach) {
            values.push(0.0);
        }
    }
    linear_axis(values, false, 8.0)
}

fn linear_axis(values: impl IntoIterator<Item = f64>, rounded: bool, target: f64) -> Axis {
    let found = min_max(values.into_iter().filter_map(|v| map_value(false, v)));
    let has_data = found.is_some();
    let (mut min, mut max) = found.unwrap_or((0.0, 1.0));
    if rounded {
        if min >= 0.0 {
            min = 0.0;
        } else if max <= 0.0 {
            max = 0.0;
        }
    }
    if max - min <= f64::EPSILON * max.abs().max(min.abs()) {
        let pad = if max == 0.0 { 1.0 } else { max.abs() * 0.1 };
        if rounded && min == 0.0 {
            max += pad;
        } else {
            min -= pad;
            max += pad;
        }
    }
    let mut step = nice_step(max - min, target);
    if !(step.is_finite() && step > 0.0) {
        (min, max, step) = (0.0, 1.0, 0.2);
    }
    if rounded {
        min = (min / step + DECADE_EPS).floor() * step;
        max = (max / step - DECADE_EPS).ceil() * step;
    }
    let major = ticks(min, max, step);
    let sci = use_scientific(min.abs().max(max.abs()));
    let decimals = decimals_for(step);
    Axis {
        lo: min,
        hi: max,
        labels: major
            .iter()
            .map(|&v| linear_label(v, decimals, sci))
            .collect(),
        major,
        minor: Vec::new(),
        log: false,
        has_data,
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) giving about `target` intervals.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Multiples of `step` inside `[lo, hi]` (at most 200).
fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let k0 = (lo / step - DECADE_EPS).ceil();
    let k1 = (hi / step + DECADE_EPS).floor();
    let mut out = Vec::new();
    let mut k = k0;
    while k <= k1 && out.len() < 200 {
        let v = k * step;
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    out
}

/// Number of decimals needed to print multiples of `step` exactly (at most 6).
fn decimals_for(step: f64) -> usize {
    (0..=6)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
        })
        .unwrap_or(6)
}

fn use_scientific(max_abs: f64) -> bool {
    max_abs >= 1e5 || (max_abs > 0.0 && max_abs < 1e-2)
}

fn linear_label(v: f64, decimals: usize, sci: bool) -> TickLabel {
    if v == 0.0 {
        return TickLabel::plain("0".to_string());
    }
    if !sci {
        return TickLabel::plain(minus_sign(&format!("{v:.decimals$}")));
    }
    let exp = (v.abs().log10() + DECADE_EPS).floor() as i32;
    let mantissa = v / 10f64.powi(exp);
    let text = trim_zeros(&format!("{mantissa:.3}"));
    TickLabel {
        base: minus_sign(&format!("{text}\u{d7}10")),
        exp: Some(exp),
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Replace ASCII hyphens by the typographic minus sign U+2212.
fn minus_sign(s: &str) -> String {
    s.replace('-', "\u{2212}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(axis: &Axis) -> Vec<String> {
        axis.labels.iter().map(TickLabel::flat).collect()
    }

    #[test]
    fn log_axis_rounds_to_decades() {
        let a = log_axis([3e8, 2e10, 0.0, -1.0, f64::NAN, f64::INFINITY]);
        assert_eq!((a.lo, a.hi), (8.0, 11.0));
        assert!(a.has_data);
        assert_eq!(flat(&a), ["10^8", "10^9", "10^10", "10^11"]);
        // exact powers of ten do not gain an extra decade
        let a = log_axis([1e-3, 1e11]);
        assert_eq!((a.lo, a.hi), (-3.0, 11.0));
    }

    #[test]
    fn log_axis_limits_decades_and_thins_labels() {
        let a = log_axis([1e-30, 1e11]);
        assert_eq!((a.lo, a.hi), (-3.0, 11.0));
        assert_eq!(a.major.len(), 8);
        assert_eq!(a.labels[0].flat(), "10^\u{2212}3");
        assert_eq!(a.labels[7].flat(), "10^11");
        assert_eq!(a.minor.len(), 7);
    }

    #[test]
    fn log_axis_without_positive_data() {
        let a = log_axis([0.0, -3.0, f64::NAN]);
        assert!(!a.has_data);
        assert!(a.lo < a.hi);
        assert_eq!(a.to_plot(0.0), None);
        assert_eq!(a.to_plot(-1.0), None);
        assert_eq!(a.to_plot(f64::NAN), None);
        assert_eq!(a.to_plot(100.0), Some(2.0));
    }

    #[test]
    fn single_decade_gets_minor_ticks() {
        let a = log_axis([2.0, 3.0]);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        assert_eq!(a.minor.len(), 8);
    }

    #[test]
    fn linear_includes_zero_and_rounds() {
        let a = linear_y_axis([12.0, 4870.0]);
        assert_eq!(a.lo, 0.0);
        assert_eq!(a.hi, 5000.0);
        assert_eq!(flat(&a), ["0", "1000", "2000", "3000", "4000", "5000"]);
        let a = linear_y_axis([-2.0, -0.5]);
        assert_eq!(a.hi, 0.0);
        assert!(a.lo <= -2.0);
        assert!(a.labels[0].base.starts_with('\u{2212}'));
    }

    #[test]
    fn linear_degenerate_and_empty() {
        let a = linear_y_axis([0.0, 0.0]);
        assert!(a.lo == 0.0 && a.hi > 0.0);
        let a = linear_y_axis([f64::NAN]);
        assert!(!a.has_data && a.lo < a.hi);
        let a = time_axis([5.0]);
        assert!(a.lo < 5.0 && a.hi > 5.0);
        let a = linear_y_axis([f64::MAX, -f64::MAX]);
        assert!(!a.has_data);
    }

    #[test]
    fn linear_scientific_and_fractional_labels() {
        let a = linear_y_axis([0.0, 3.2e9]);
        assert_eq!(flat(&a)[1], "1\u{d7}10^9");
        let a = linear_y_axis([0.0, 0.9]);
        assert_eq!(flat(&a), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let a = linear_y_axis([0.0, 12.0]);
        assert_eq!(flat(&a), ["0", "2.5", "5.0", "7.5", "10.0", "12.5"]);
    }

    #[test]
    fn fixed_log_axis_over_decades_and_within_one() {
        let a = fixed_log_axis(0.5, 2e3);
        assert!((a.lo - 0.5f64.log10()).abs() < 1e-12 && (a.hi - 2e3f64.log10()).abs() < 1e-12);
        assert_eq!(flat(&a), ["10^0", "10^1", "10^2", "10^3"]);
        assert!(a.minor.is_empty());
        let a = fixed_log_axis(0.5, 2e2);
        assert_eq!(flat(&a), ["10^0", "10^1", "10^2"]);
        assert!(a.minor.iter().all(|&p| a.contains(p)));
        assert_eq!(a.minor.len(), 5 + 8 + 8 + 1);
        let a = fixed_log_axis(1e-20, 1e20);
        assert!(a.major.len() <= 8, "{:?}", flat(&a));
        assert_eq!(flat(&a).last().map(String::as_str), Some("10^20"));
        // less than two decades: 1-2-5 ticks, plain numbers
        let a = fixed_log_axis(3.0, 60.0);
        assert_eq!(flat(&a), ["5", "10", "20", "50"]);
        let a = fixed_log_axis(0.02, 0.09);
        assert_eq!(flat(&a), ["0.02", "0.05"]);
        let a = fixed_log_axis(2.1e6, 4.9e6);
        assert_eq!(flat(&a), ["3\u{d7}10^6", "4\u{d7}10^6"]);
        // unusable ranges give a placeholder, not a panic
        assert!(!fixed_log_axis(-1.0, 5.0).has_data);
        assert!(!fixed_log_axis(5.0, 5.0).has_data);
    }

    #[test]
    fn fixed_linear_axis_is_exact() {
        let a = fixed_linear_axis(-3.5, 3.5, false);
        assert_eq!((a.lo, a.hi), (-3.5, 3.5));
        assert_eq!(
            flat(&a),
            ["\u{2212}3", "\u{2212}2", "\u{2212}1", "0", "1", "2", "3"]
        );
        let a = fixed_linear_axis(-3.5, 3.5, true);
        assert_eq!(flat(&a), ["\u{2212}2", "0", "2"]);
    }

    #[test]
    fn padding_only_at_ends_with_points() {
        let mut a = time_axis([0.0, 100.0]);
        assert_eq!(a.near_ends([0.0, 50.0], 0.03), (true, false));
        assert_eq!(a.near_ends([50.0, 150.0], 0.03), (false, false));
        assert_eq!(a.near_ends([98.0], 0.03), (false, true));
        assert_eq!(a.near_ends([98.0], 0.01), (false, false));
        a.pad_ends((true, false), 0.03);
        assert_eq!((a.lo, a.hi), (-3.0, 100.0));
    }

    #[test]
    fn time_axis_is_tight() {
        let a = time_axis([0.0, 0.5, 100.0]);
        assert_eq!((a.lo, a.hi), (0.0, 100.0));
        assert_eq!(flat(&a), ["0", "20", "40", "60", "80", "100"]);
        // close to zero: from zero; far from it: tight
        let a = time_axis([1.0, 180.0]);
        assert_eq!((a.lo, a.hi), (0.0, 180.0));
        let a = time_axis([-90.0, -2.0]);
        assert_eq!((a.lo, a.hi), (-90.0, 0.0));
        let a = time_axis([20.0, 100.0]);
        assert_eq!((a.lo, a.hi), (20.0, 100.0));
        let a = time_axis([0.0, 365.0]);
        assert_eq!(a.hi, 365.0);
        assert_eq!(
            flat(&a),
            ["0", "50", "100", "150", "200", "250", "300", "350"]
        );
    }
}
