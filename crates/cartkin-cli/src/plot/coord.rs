//! A plotters coordinate for our axes: linear mapping of plot coordinates with the tick
//! positions decided in `axes` (plotters' `WithKeyPoints<RangedCoordf64>` cannot be used
//! with `configure_mesh` because it lacks a value formatter).

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use super::axes::Axis;

/// Linear coordinate over `[lo, hi]` with fixed bold (major) and light (minor) key points.
#[derive(Clone, Debug)]
pub(crate) struct TickedCoord {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl From<&Axis> for TickedCoord {
    fn from(axis: &Axis) -> Self {
        TickedCoord {
            lo: axis.lo,
            hi: axis.hi,
            major: axis.major.clone(),
            minor: axis.minor.clone(),
        }
    }
}

impl Ranged for TickedCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let pixels = limit.1 - limit.0;
        if span == 0.0 || pixels == 0 || !v.is_finite() {
            return limit.0 + pixels / 2;
        }
        // Same rounding as plotters' RangedCoordf64; the clamp keeps absurd values finite.
        let offset = f64::from(pixels) * ((v - self.lo) / span).clamp(-10.0, 11.0);
        let offset = if pixels > 0 {
            (offset + 1e-3).floor()
        } else {
            (offset - 1e-3).ceil()
        };
        limit.0 + offset as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::axes::time_axis;

    #[test]
    fn maps_linearly() {
        let c = TickedCoord::from(&time_axis([0.0, 100.0]));
        assert_eq!(c.map(&0.0, (10, 110)), 10);
        assert_eq!(c.map(&50.0, (10, 110)), 60);
        assert_eq!(c.map(&100.0, (10, 110)), 110);
        assert_eq!(c.map(&0.0, (110, 10)), 110);
        assert_eq!(c.map(&f64::NAN, (10, 110)), 60);
    }
}
