//! Kaplan–Meier survival estimates with Greenwood standard errors.
//!
//! For time-to-event endpoints (relapse-free survival, duration of B-cell aplasia, CAR-T
//! persistence ...). With distinct event times t_1 < t_2 < …, n_i subjects at risk just before
//! t_i and d_i events at t_i, the product-limit estimate is
//!
//! ```text
//! S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)
//! ```
//!
//! and Greenwood's variance is Var[S(t)] = S(t)² · V(t) with
//! V(t) = Σ_{t_i ≤ t} d_i / (n_i (n_i − d_i)), so se = S·√V.
//!
//! Ties: at a time with both events and censorings the events come first, so the subjects
//! censored at t_i are still at risk at t_i (the convention of R's `survival` and of the
//! textbooks).
//!
//! The 95% confidence interval reported in [`KmStep::ci95`] and by [`KaplanMeier::ci95_at`] is
//! the log-log ("exponential Greenwood") interval, the default of R's `survival` (v3,
//! `conf.type = "log-log"`): with z = 1.959964,
//!
//! ```text
//! [S^exp(−z √V / ln S),  S^exp(+z √V / ln S)]
//! ```
//!
//! (ln S < 0, so the first exponent is > 1 and gives the lower bound). It is a Wald interval for
//! ln(−ln S), so it always lies in [0, 1]. It is defined for 0 < S < 1; the interval is [1, 1]
//! where S = 1 (before the first event) and [0, 0] where S = 0. The plain Greenwood interval
//! S ± z·se, clipped to [0, 1], is [`KaplanMeier::plain_ci95`].
//!
//! Times are in whatever unit the caller uses (days throughout cartkin).

use serde::Serialize;

/// The 97.5% normal quantile.
const Z_975: f64 = 1.959_963_984_540_054;

/// Rounding allowance when comparing S(t) with 0.5 for the median (a product such as
/// (1 − 1/4)(1 − 1/3) should count as exactly 0.5).
const MEDIAN_TOLERANCE: f64 = 1e-12;

/// What can go wrong building a survival estimate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SurvivalError {
    /// A time is NaN, infinite or negative.
    #[error("observation {index}: time must be finite and non-negative, got {time}")]
    InvalidTime {
        /// 0-based index of the observation in the input.
        index: usize,
        /// The offending time.
        time: f64,
    },
}

/// One subject's time to event or censoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    /// Time of the event or of censoring (≥ 0, finite).
    pub time: f64,
    /// `true`: the event happened at `time`; `false`: the subject was censored at `time`
    /// (event-free when last seen).
    pub event: bool,
}

/// The estimate at one distinct time with an event or a censoring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmStep {
    /// The time.
    pub time: f64,
    /// Subjects at risk just before `time` (including those censored at `time`).
    pub at_risk: usize,
    /// Events at `time`.
    pub events: usize,
    /// Censorings at `time`.
    pub censored: usize,
    /// S(time), the product-limit estimate from `time` until the next step.
    pub survival: f64,
    /// Greenwood standard error S·√V; 0 where S = 0.
    pub se: f64,
    /// Log-log 95% confidence interval (see the module documentation).
    pub ci95: [f64; 2],
}

/// A Kaplan–Meier curve.
///
/// ```
/// use cartkin_trial::survival::{KaplanMeier, Observation};
///
/// // events at 1 and 3, a censoring at 2: S(1) = 2/3, S(3) = 2/3 · 0/1 = 0
/// let km = KaplanMeier::new(&[
///     Observation { time: 1.0, event: true },
///     Observation { time: 2.0, event: false },
///     Observation { time: 3.0, event: true },
/// ])?;
/// assert!((km.survival_at(1.5) - 2.0 / 3.0).abs() < 1e-12);
/// assert_eq!(km.median(), Some(3.0));
/// # Ok::<(), cartkin_trial::survival::SurvivalError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaplanMeier {
    /// Number of subjects.
    pub n: usize,
    /// One step per distinct time with an event or a censoring, in increasing time.
    pub steps: Vec<KmStep>,
}

impl KaplanMeier {
    /// Product-limit estimate from `data` (in any order).
    ///
    /// Ties: at a time with both events and censorings, the events are counted first (the
    /// subjects censored at that time are at risk at it). A time where everyone at risk has the
    /// event (n_i = d_i) makes S = 0 and Greenwood's term d_i/(n_i(n_i − d_i)) infinite; such a
    /// step reports se = 0 and ci95 = [0, 0]. An empty input gives n = 0 and no steps.
    ///
    /// # Errors
    ///
    /// [`SurvivalError::InvalidTime`] for the first observation whose time is not finite or is
    /// negative.
    pub fn new(data: &[Observation]) -> Result<Self, SurvivalError> {
        if let Some((index, o)) = data
            .iter()
            .enumerate()
            .find(|(_, o)| !o.time.is_finite() || o.time < 0.0)
        {
            return Err(SurvivalError::InvalidTime {
                index,
                time: o.time,
            });
        }
        let mut sorted = data.to_vec();
        sorted.sort_by(|a, b| a.time.total_cmp(&b.time));

        let n = sorted.len();
        let mut steps = Vec::new();
        let mut at_risk = n;
        let mut survival = 1.0;
        // Greenwood's sum V = Σ d_i / (n_i (n_i − d_i)).
        let mut v = 0.0;
        let mut rest = sorted.as_slice();
        while let Some(first) = rest.first() {
            let time = first.time;
            let tied = rest.iter().take_while(|o| o.time == time).count();
            let (group, tail) = rest.split_at(tied);
            rest = tail;
            let events = group.iter().filter(|o| o.event).count();
            let censored = tied - events;
            if events > 0 {
                let (ni, di) = (at_risk as f64, events as f64);
                if events == at_risk {
                    survival = 0.0;
                    v = f64::INFINITY;
                } else {
                    survival *= 1.0 - di / ni;
                    v += di / (ni * (ni - di));
                }
            }
            let (se, ci95) = greenwood(survival, v);
            steps.push(KmStep {
                time,
                at_risk,
                events,
                censored,
                survival,
                se,
                ci95,
            });
            at_risk -= tied;
        }
        Ok(Self { n, steps })
    }

    /// The last step at or before `t` (None before the first step or for a NaN `t`).
    fn step_at(&self, t: f64) -> Option<&KmStep> {
        let k = self.steps.partition_point(|s| s.time <= t);
        k.checked_sub(1).and_then(|i| self.steps.get(i))
    }

    /// S(t), right-continuous: 1 before the first event, S(t_i) from t_i (inclusive) to the next
    /// event, and the last value after the last time. NaN for a NaN `t`.
    pub fn survival_at(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        self.step_at(t).map_or(1.0, |s| s.survival)
    }

    /// The log-log 95% confidence interval of S(t) (the step's `ci95`); [1, 1] before the first
    /// event, [NaN, NaN] for a NaN `t`.
    pub fn ci95_at(&self, t: f64) -> [f64; 2] {
        if t.is_nan() {
            return [f64::NAN; 2];
        }
        self.step_at(t).map_or([1.0, 1.0], |s| s.ci95)
    }

    /// The plain Greenwood 95% confidence interval S(t) ± z·se(t), clipped to [0, 1] (as some
    /// trial reports give it; the summary uses the log-log interval [`Self::ci95_at`]). [1, 1]
    /// before the first event, [0, 0] where S = 0, [NaN, NaN] for a NaN `t`.
    pub fn plain_ci95(&self, t: f64) -> [f64; 2] {
        if t.is_nan() {
            return [f64::NAN; 2];
        }
        self.step_at(t).map_or([1.0, 1.0], |s| {
            [
                (s.survival - Z_975 * s.se).clamp(0.0, 1.0),
                (s.survival + Z_975 * s.se).clamp(0.0, 1.0),
            ]
        })
    }

    /// Greenwood standard error of S(t): 0 before the first event and where S = 0; NaN for a
    /// NaN `t`.
    pub fn se_at(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        self.step_at(t).map_or(0.0, |s| s.se)
    }

    /// Median survival time: the smallest step time with S(t) ≤ 0.5 (up to rounding of 1e-12),
    /// or None if the curve never gets there ("not reached").
    ///
    /// Where S is exactly 0.5 over an interval this gives the start of the interval; R's
    /// `survival` gives its midpoint instead.
    pub fn median(&self) -> Option<f64> {
        self.steps
            .iter()
            .find(|s| s.survival <= 0.5 + MEDIAN_TOLERANCE)
            .map(|s| s.time)
    }

    /// Number of subjects still at risk just after time `t`: those whose time (of event or
    /// censoring) is > t. This is the number at risk for a risk table at `t` when no one has
    /// an event or is censored exactly at `t`. n for t before the first time; 0 for a NaN `t`.
    pub fn at_risk_after(&self, t: f64) -> usize {
        if t.is_nan() {
            return 0;
        }
        self.step_at(t)
            .map_or(self.n, |s| s.at_risk - s.events - s.censored)
    }
}

/// Greenwood standard error S·√V and the log-log 95% interval for survival `s` and Greenwood
/// sum `v`.
fn greenwood(s: f64, v: f64) -> (f64, [f64; 2]) {
    if s <= 0.0 {
        return (0.0, [0.0, 0.0]);
    }
    if s >= 1.0 {
        return (0.0, [1.0, 1.0]);
    }
    let root_v = v.sqrt();
    // ln S < 0, so k < 0: S^exp(−k) < S < S^exp(k).
    let k = Z_975 * root_v / s.ln();
    (s * root_v, [s.powf((-k).exp()), s.powf(k.exp())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// `(time, event)` pairs to observations.
    fn obs(data: &[(f64, bool)]) -> Vec<Observation> {
        data.iter()
            .map(|&(time, event)| Observation { time, event })
            .collect()
    }

    /// The 6-MP arm of Freireich's remission data (Gehan 1965), weeks; `false` = censored.
    fn six_mp() -> Vec<Observation> {
        obs(&[
            (6.0, true),
            (6.0, true),
            (6.0, true),
            (6.0, false),
            (7.0, true),
            (9.0, false),
            (10.0, true),
            (10.0, false),
            (11.0, false),
            (13.0, true),
            (16.0, true),
            (17.0, false),
            (19.0, false),
            (20.0, false),
            (22.0, true),
            (23.0, true),
            (25.0, false),
            (32.0, false),
            (32.0, false),
            (34.0, false),
            (35.0, false),
        ])
    }

    #[test]
    fn six_mp_matches_the_textbook_and_r_survival() {
        let km = KaplanMeier::new(&six_mp()).unwrap();
        assert_eq!(km.n, 21);
        // 16 distinct times: 6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35.
        assert_eq!(km.steps.len(), 16);
        // Event times, (n_i, d_i), S = Π(1 − d/n), V = Σ d/(n(n − d)), se = S√V:
        //  6: (21,3) S = 18/21 = 6/7 = 0.857143; V = 3/(21·18) = 1/126 = 0.0079365;
        //     se = 0.857143·0.089087 = 0.076360
        //  7: (17,1) S = 6/7·16/17 = 96/119 = 0.806723; V += 1/(17·16) → 0.011613; se = 0.086935
        //     (at risk at 7: 21 − 3 events − 1 censored at 6 = 17)
        // 10: (15,1) S = ·14/15 = 64/85 = 0.752941; V += 1/(15·14) → 0.016375; se = 0.096350
        //     (9+ leaves 16 − 1 = 15; the 10+ is at risk at 10)
        // 13: (12,1) S = ·11/12 = 176/255 = 0.690196; V += 1/(12·11) → 0.023951; se = 0.106815
        //     (after 10: 15 − 1 − 1 = 13; 11+ leaves 12)
        // 16: (11,1) S = ·10/11 = 32/51 = 0.627451; V += 1/(11·10) → 0.033042; se = 0.114054
        // 22: (7,1)  S = ·6/7 = 64/119 = 0.537815; V += 1/(7·6) → 0.056851; se = 0.128234
        //     (17+, 19+, 20+ leave 10 − 3 = 7)
        // 23: (6,1)  S = ·5/6 = 160/357 = 0.448179; V += 1/(6·5) → 0.090184; se = 0.134591
        let expected = [
            (6.0, 21, 0.857, 0.076),
            (7.0, 17, 0.807, 0.087),
            (10.0, 15, 0.753, 0.096),
            (13.0, 12, 0.690, 0.107),
            (16.0, 11, 0.627, 0.114),
            (22.0, 7, 0.538, 0.128),
            (23.0, 6, 0.448, 0.135),
        ];
        for (t, at_risk, s, se) in expected {
            let step = km.steps.iter().find(|x| x.time == t).unwrap();
            assert_eq!(step.at_risk, at_risk, "at risk at {t}");
            assert_eq!(step.events, if t == 6.0 { 3 } else { 1 });
            assert_abs_diff_eq!(km.survival_at(t), s, epsilon = 1e-3);
            assert_abs_diff_eq!(km.se_at(t), se, epsilon = 1e-3);
        }
        // Exact fractions, tighter.
        assert_abs_diff_eq!(km.survival_at(23.0), 160.0 / 357.0, epsilon = 1e-12);
        assert_abs_diff_eq!(
            km.se_at(23.0),
            160.0 / 357.0 * (7727.0_f64 / 85680.0).sqrt(),
            epsilon = 1e-12
        );
        // S(22) = 0.538 > 0.5, S(23) = 0.448 ≤ 0.5.
        assert_eq!(km.median(), Some(23.0));
        // After 23 only censorings: S stays at 0.448 to 35 and beyond.
        assert_abs_diff_eq!(km.survival_at(100.0), 160.0 / 357.0, epsilon = 1e-12);
    }

    #[test]
    fn six_mp_log_log_intervals() {
        let km = KaplanMeier::new(&six_mp()).unwrap();
        // t = 6: S = 6/7, ln S = −0.154151, √V = √(1/126) = 0.089087,
        //   k = z√V/ln S = 1.959964·0.089087/(−0.154151) = −1.132706;
        //   lower = S^exp(−k) = S^3.104046 = exp(−0.154151·3.104046) = exp(−0.478491) = 0.619718
        //   upper = S^exp(k)  = S^0.322160 = exp(−0.154151·0.322160) = exp(−0.049661) = 0.951552
        // R (conf.type = "log-log"): 0.620, 0.952.
        let [lo, hi] = km.ci95_at(6.0);
        assert_abs_diff_eq!(lo, 0.620, epsilon = 1e-3);
        assert_abs_diff_eq!(hi, 0.952, epsilon = 1e-3);
        assert_abs_diff_eq!(lo, 0.619_718, epsilon = 1e-6);
        assert_abs_diff_eq!(hi, 0.951_552, epsilon = 1e-6);
        // t = 23: S = 160/357 = 0.448179, ln S = −0.802562, √V = √(7727/85680) = 0.300307,
        //   k = 1.959964·0.300307/(−0.802562) = −0.733390;
        //   lower = S^exp(0.733390) = S^2.082128 = exp(−1.671037) = 0.188052
        //   upper = S^exp(−0.733390) = S^0.480278 = exp(−0.385453) = 0.680143
        // R: 0.188, 0.680.
        let [lo, hi] = km.ci95_at(23.0);
        assert_abs_diff_eq!(lo, 0.188, epsilon = 1e-3);
        assert_abs_diff_eq!(hi, 0.680, epsilon = 1e-3);
        assert_abs_diff_eq!(lo, 0.188_052, epsilon = 1e-6);
        assert_abs_diff_eq!(hi, 0.680_143, epsilon = 1e-6);
        // Every interval brackets S and stays in [0, 1].
        for s in &km.steps {
            assert!(0.0 <= s.ci95[0] && s.ci95[0] < s.survival, "{s:?}");
            assert!(s.survival < s.ci95[1] && s.ci95[1] <= 1.0, "{s:?}");
        }
        // Between steps the interval is the previous step's: at 9 (a censoring) as at 7.
        assert_eq!(km.ci95_at(9.5), km.ci95_at(7.0));
    }

    #[test]
    fn six_mp_plain_intervals() {
        let km = KaplanMeier::new(&six_mp()).unwrap();
        // t = 6: 0.857143 ± 1.959964·0.076360 = 0.857143 ± 0.149663 → [0.707479, 1.006806],
        // the upper clipped to 1.
        let [lo, hi] = km.plain_ci95(6.0);
        assert_abs_diff_eq!(lo, 0.707_479, epsilon = 1e-6);
        assert_eq!(hi, 1.0);
        // t = 23: 0.448179 ± 1.959964·0.134591 = 0.448179 ± 0.263794 → [0.184385, 0.711974].
        let [lo, hi] = km.plain_ci95(23.0);
        assert_abs_diff_eq!(lo, 0.184_385, epsilon = 1e-6);
        assert_abs_diff_eq!(hi, 0.711_974, epsilon = 1e-6);
        assert_eq!(km.plain_ci95(1.0), [1.0, 1.0]);
    }

    #[test]
    fn all_censored_stays_at_one() {
        let km = KaplanMeier::new(&obs(&[(1.0, false), (2.0, false), (2.0, false)])).unwrap();
        assert_eq!(km.n, 3);
        assert_eq!(km.steps.len(), 2);
        for t in [0.0, 1.0, 1.5, 2.0, 10.0] {
            assert_eq!(km.survival_at(t), 1.0);
            assert_eq!(km.se_at(t), 0.0);
            assert_eq!(km.ci95_at(t), [1.0, 1.0]);
            assert_eq!(km.plain_ci95(t), [1.0, 1.0]);
        }
        assert_eq!(km.median(), None);
        assert_eq!(km.at_risk_after(1.0), 2);
        assert_eq!(km.at_risk_after(2.0), 0);
    }

    #[test]
    fn everyone_failing_at_once_gives_zero() {
        // n = d = 3 at t = 2: S = 1 − 3/3 = 0; Greenwood's 3/(3·0) is infinite → se 0, CI [0, 0].
        let km = KaplanMeier::new(&obs(&[(2.0, true), (2.0, true), (2.0, true)])).unwrap();
        assert_eq!(km.steps.len(), 1);
        assert_eq!(km.steps[0].at_risk, 3);
        assert_eq!(km.steps[0].events, 3);
        assert_eq!(km.survival_at(1.999), 1.0);
        assert_eq!(km.ci95_at(1.999), [1.0, 1.0]);
        assert_eq!(km.survival_at(2.0), 0.0);
        assert_eq!(km.survival_at(5.0), 0.0);
        assert_eq!(km.se_at(2.0), 0.0);
        assert_eq!(km.ci95_at(2.0), [0.0, 0.0]);
        assert_eq!(km.plain_ci95(2.0), [0.0, 0.0]);
        assert_eq!(km.median(), Some(2.0));
        assert_eq!(km.at_risk_after(1.0), 3);
        assert_eq!(km.at_risk_after(2.0), 0);
    }

    #[test]
    fn last_subject_failing_ends_the_curve_at_zero() {
        // 1, 2, 3: S = 2/3, 1/3, then n = d = 1 → 0 (V infinite there, reported as se 0).
        let km = KaplanMeier::new(&obs(&[(3.0, true), (1.0, true), (2.0, true)])).unwrap();
        assert_abs_diff_eq!(km.survival_at(1.0), 2.0 / 3.0, epsilon = 1e-15);
        assert_abs_diff_eq!(km.survival_at(2.0), 1.0 / 3.0, epsilon = 1e-15);
        assert_eq!(km.survival_at(3.0), 0.0);
        assert_eq!(km.se_at(3.0), 0.0);
        assert_eq!(km.ci95_at(3.0), [0.0, 0.0]);
        // S(1) = 2/3 > 0.5, S(2) = 1/3 ≤ 0.5.
        assert_eq!(km.median(), Some(2.0));
    }

    #[test]
    fn single_subject() {
        let km = KaplanMeier::new(&obs(&[(5.0, true)])).unwrap();
        assert_eq!(km.n, 1);
        assert_eq!(km.survival_at(4.9), 1.0);
        assert_eq!(km.survival_at(5.0), 0.0);
        assert_eq!(km.ci95_at(5.0), [0.0, 0.0]);
        assert_eq!(km.median(), Some(5.0));
        assert_eq!(km.at_risk_after(4.9), 1);
        assert_eq!(km.at_risk_after(5.0), 0);

        let km = KaplanMeier::new(&obs(&[(5.0, false)])).unwrap();
        assert_eq!(km.survival_at(10.0), 1.0);
        assert_eq!(km.median(), None);
        assert_eq!(km.steps[0].censored, 1);
    }

    #[test]
    fn empty_input() {
        let km = KaplanMeier::new(&[]).unwrap();
        assert_eq!(km.n, 0);
        assert!(km.steps.is_empty());
        assert_eq!(km.survival_at(1.0), 1.0);
        assert_eq!(km.se_at(1.0), 0.0);
        assert_eq!(km.ci95_at(1.0), [1.0, 1.0]);
        assert_eq!(km.median(), None);
        assert_eq!(km.at_risk_after(1.0), 0);
    }

    #[test]
    fn censorings_tied_with_events_are_at_risk() {
        // 1, 2, 2+, 2, 3+, 4 (n = 6).
        // t = 1: n = 6, d = 1 → S = 5/6.
        // t = 2: n = 5 (the 2+ is at risk), d = 2, c = 1 → S = 5/6·3/5 = 1/2.
        //   (Censoring first would give n = 4 and S = 5/6·2/4 = 5/12.)
        //   V = 1/(6·5) + 2/(5·3) = 1/30 + 4/30 = 1/6; se = 0.5·√(1/6) = 0.204124.
        // t = 3: censoring, n = 2. t = 4: n = d = 1 → S = 0.
        let km = KaplanMeier::new(&obs(&[
            (1.0, true),
            (2.0, true),
            (2.0, false),
            (2.0, true),
            (3.0, false),
            (4.0, true),
        ]))
        .unwrap();
        let s2 = &km.steps[1];
        assert_eq!(
            (s2.time, s2.at_risk, s2.events, s2.censored),
            (2.0, 5, 2, 1)
        );
        assert_abs_diff_eq!(s2.survival, 0.5, epsilon = 1e-15);
        assert_abs_diff_eq!(s2.se, 0.5 * (1.0_f64 / 6.0).sqrt(), epsilon = 1e-15);
        assert_eq!(km.steps[2].at_risk, 2);
        assert_eq!(km.steps[3].at_risk, 1);
        assert_eq!(km.survival_at(3.5), 0.5);
        assert_eq!(km.survival_at(4.0), 0.0);
        // S = 0.5 exactly at 2: the median is 2 (R would give the midpoint of [2, 4), 3).
        assert_eq!(km.median(), Some(2.0));
    }

    #[test]
    fn invalid_times_name_the_index() {
        let err = KaplanMeier::new(&obs(&[(1.0, true), (f64::NAN, false)])).unwrap_err();
        assert!(matches!(err, SurvivalError::InvalidTime { index: 1, time } if time.is_nan()));
        assert_eq!(
            err.to_string(),
            "observation 1: time must be finite and non-negative, got NaN"
        );

        let err = KaplanMeier::new(&obs(&[(1.0, true), (2.0, false), (-0.5, true)])).unwrap_err();
        assert_eq!(
            err,
            SurvivalError::InvalidTime {
                index: 2,
                time: -0.5
            }
        );
        assert!(err.to_string().contains("observation 2"));
        assert!(err.to_string().contains("-0.5"));

        let err = KaplanMeier::new(&obs(&[(f64::INFINITY, true)])).unwrap_err();
        assert!(matches!(err, SurvivalError::InvalidTime { index: 0, .. }));

        // Time 0 is allowed.
        let km = KaplanMeier::new(&obs(&[(0.0, true), (1.0, false)])).unwrap();
        assert_eq!(km.survival_at(0.0), 0.5);
    }

    #[test]
    fn right_continuity_and_risk_table() {
        let km = KaplanMeier::new(&six_mp()).unwrap();
        // Just before 6: everyone event-free and at risk; at 6 the step has happened.
        assert_eq!(km.survival_at(5.999_999), 1.0);
        assert_eq!(km.survival_at(6.0), km.steps[0].survival);
        assert_abs_diff_eq!(km.survival_at(6.0), 6.0 / 7.0, epsilon = 1e-15);
        assert_eq!(km.survival_at(6.999_999), km.survival_at(6.0));
        assert_abs_diff_eq!(km.survival_at(7.0), 96.0 / 119.0, epsilon = 1e-15);
        // A censoring does not move S.
        assert_eq!(km.survival_at(9.0), km.survival_at(7.0));
        assert_eq!(km.se_at(9.0), km.se_at(7.0));
        assert_eq!(km.survival_at(-1.0), 1.0);
        assert!(km.survival_at(f64::NAN).is_nan());
        // Still at risk after t: the subjects with time > t.
        assert_eq!(km.at_risk_after(-1.0), 21);
        assert_eq!(km.at_risk_after(5.999), 21);
        assert_eq!(km.at_risk_after(6.0), 17); // 3 events + 1 censoring at 6
        assert_eq!(km.at_risk_after(6.5), 17);
        assert_eq!(km.at_risk_after(10.0), 13);
        assert_eq!(km.at_risk_after(23.0), 5);
        assert_eq!(km.at_risk_after(32.0), 2);
        assert_eq!(km.at_risk_after(35.0), 0);
        assert_eq!(km.at_risk_after(1e9), 0);
        // Cross-check with a direct count.
        let data = six_mp();
        for t in [0.0, 6.0, 8.0, 16.0, 19.5, 25.0, 34.0] {
            let direct = data.iter().filter(|o| o.time > t).count();
            assert_eq!(km.at_risk_after(t), direct, "t = {t}");
        }
    }
}
