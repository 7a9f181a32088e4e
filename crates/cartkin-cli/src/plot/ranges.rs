//! Which data decide a panel's axes: the x values of every series (its own or the figure's
//! times), the y values drawn against x values on the x axis, thresholds and reference lines;
//! fixed ranges override. Points, and reference lines that would lie on the frame, get a
//! little room at the ends of the axes.

use super::axes::{self, Axis};
use super::{Panel, Series, SeriesStyle};

/// Fraction of an axis span added at an end where a point marker would be cut in half, or a
/// horizontal or vertical reference line would be hidden in the frame.
const EDGE_PAD: f64 = 0.03;
/// Points closer than this fraction of the span to an end get the room.
const POINT_NEAR: f64 = 0.03;
/// Lines closer than this fraction of the span to an end (a few pixels) get the room.
const LINE_NEAR: f64 = 0.01;

/// The x values of `series`: its own, else the figure's `times`.
pub(crate) fn series_x<'a>(series: &'a Series, times: &'a [f64]) -> &'a [f64] {
    series.x.as_deref().unwrap_or(times)
}

/// Whether the series draws a line (as opposed to points only).
pub(crate) fn has_line(series: &Series) -> bool {
    series.style != SeriesStyle::Points
}

/// Whether the series draws point markers.
pub(crate) fn has_points(series: &Series) -> bool {
    series.style != SeriesStyle::Line
}

/// The (x, y) axes of `panel`, whose series without own x values use `times`.
pub(crate) fn panel_axes(panel: &Panel, times: &[f64]) -> (Axis, Axis) {
    let mut xs: Vec<f64> = Vec::new();
    for s in &panel.series {
        match &s.x {
            // Own x values count where there is a value to draw.
            Some(x) => xs.extend(
                x.iter()
                    .zip(&s.values)
                    .filter(|(_, v)| v.is_finite())
                    .map(|(x, _)| *x),
            ),
            // The figure's time grid is the domain of its series, values or not.
            None => xs.extend_from_slice(times),
        }
    }
    if panel.series.is_empty() {
        xs.extend_from_slice(times);
    }
    xs.extend(
        panel
            .reference_lines
            .iter()
            .flat_map(|r| [r.from.0, r.to.0]),
    );
    let mut x_axis = match (panel.x_range, panel.log_x) {
        (Some((lo, hi)), true) => axes::fixed_log_axis(lo, hi),
        (Some((lo, hi)), false) => axes::fixed_linear_axis(lo, hi, false),
        (None, true) => axes::log_axis(xs),
        (None, false) => axes::time_axis(xs),
    };

    let on_x = |x: f64| x_axis.to_plot(x).is_some_and(|p| x_axis.contains(p));
    let mut ys: Vec<f64> = Vec::new();
    for s in &panel.series {
        let x = series_x(s, times);
        ys.extend(
            x.iter()
                .zip(&s.values)
                .filter(|(x, _)| on_x(**x))
                .map(|(_, v)| *v),
        );
    }
    ys.extend(panel.thresholds.iter().map(|t| t.value));
    ys.extend(
        panel
            .reference_lines
            .iter()
            .flat_map(|r| [r.from.1, r.to.1]),
    );
    let mut y_axis = match (panel.y_range, panel.log_y) {
        (Some((lo, hi)), true) => axes::fixed_log_axis(lo, hi),
        (Some((lo, hi)), false) => axes::fixed_linear_axis(lo, hi, true),
        (None, true) => axes::log_axis(ys),
        (None, false) => axes::linear_y_axis(ys),
    };

    // Markers at the very end of an axis would be cut in half, and lines along it hidden in
    // the frame: make a little room.
    let (mut points_x, mut points_y) = (Vec::new(), Vec::new());
    for s in panel.series.iter().filter(|s| has_points(s)) {
        let x = series_x(s, times);
        for (&x, &v) in x.iter().zip(&s.values) {
            let (Some(px), Some(py)) = (x_axis.to_plot(x), y_axis.to_plot(v)) else {
                continue;
            };
            if x_axis.contains(px) && y_axis.contains(py) {
                points_x.push(px);
                points_y.push(py);
            }
        }
    }
    let (mut lines_x, mut lines_y) = (Vec::new(), Vec::new());
    lines_y.extend(
        panel
            .thresholds
            .iter()
            .filter_map(|t| y_axis.to_plot(t.value)),
    );
    for r in &panel.reference_lines {
        if r.from.1 == r.to.1 {
            lines_y.extend(y_axis.to_plot(r.from.1));
        }
        if r.from.0 == r.to.0 {
            lines_x.extend(x_axis.to_plot(r.from.0));
        }
    }
    let near = |axis: &Axis, points: Vec<f64>, lines: Vec<f64>| {
        let (a, b) = axis.near_ends(points, POINT_NEAR);
        let (c, d) = axis.near_ends(lines, LINE_NEAR);
        (a || c, b || d)
    };
    if panel.x_range.is_none() {
        let ends = near(&x_axis, points_x, lines_x);
        x_axis.pad_ends(ends, EDGE_PAD);
    }
    if panel.y_range.is_none() {
        let ends = near(&y_axis, points_y, lines_y);
        y_axis.pad_ends(ends, EDGE_PAD);
    }
    (x_axis, y_axis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::{ReferenceLine, Threshold};

    #[test]
    fn own_x_and_figure_times_together() {
        let times = [0.0, 10.0, 20.0];
        let panel = Panel {
            series: vec![
                Series::line("fit", vec![1.0, 2.0, 3.0]),
                // observation at day 28 with value 9; the NaN at day 40 does not count
                Series::xy_line("obs", vec![5.0, 28.0, 40.0], vec![1.5, 9.0, f64::NAN]),
            ],
            ..Panel::new("P", "y")
        };
        let (x, y) = panel_axes(&panel, &times);
        assert_eq!((x.lo, x.hi), (0.0, 28.0));
        assert_eq!((y.lo, y.hi), (0.0, 10.0));
    }

    #[test]
    fn reference_lines_and_thresholds_count() {
        let panel = Panel {
            log_x: true,
            log_y: true,
            series: vec![Series::xy_line("s", vec![3.0, 40.0], vec![5.0, 50.0])],
            reference_lines: vec![ReferenceLine::identity("y = x", 1.0, 1e3)],
            thresholds: vec![Threshold {
                label: "t".into(),
                value: 1e4,
            }],
            ..Panel::default()
        };
        let (x, y) = panel_axes(&panel, &[]);
        assert_eq!((x.lo, x.hi), (0.0, 3.0));
        // the threshold lies on the top decade: a little room above it
        assert_eq!(y.lo, 0.0);
        assert!((y.hi - 4.12).abs() < 1e-12, "{y:?}");
        assert_eq!(y.major.last(), Some(&4.0));
    }

    #[test]
    fn fixed_x_range_limits_the_y_data() {
        let panel = Panel {
            series: vec![Series::xy_line(
                "s",
                vec![0.0, 1.0, 2.0, 3.0],
                vec![1.0, 2.0, 3.0, 1000.0],
            )],
            x_range: Some((0.0, 2.0)),
            y_range: None,
            ..Panel::default()
        };
        let (x, y) = panel_axes(&panel, &[]);
        assert_eq!((x.lo, x.hi), (0.0, 2.0));
        assert!(y.hi < 10.0, "{y:?}");
        let fixed = Panel {
            y_range: Some((0.5, 5.0)),
            log_y: true,
            ..panel
        };
        let (_, y) = panel_axes(&fixed, &[]);
        assert!((y.lo - 0.5f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn points_get_room_at_the_edges_lines_do_not() {
        let line = Panel {
            series: vec![Series::xy_line("s", vec![0.0, 10.0], vec![0.0, 5.0])],
            ..Panel::default()
        };
        let (x, y) = panel_axes(&line, &[]);
        assert_eq!((x.lo, x.hi, y.lo, y.hi), (0.0, 10.0, 0.0, 5.0));
        let points = Panel {
            series: vec![Series::points("s", vec![0.0, 10.0], vec![0.0, 5.0])],
            ..Panel::default()
        };
        let (x, y) = panel_axes(&points, &[]);
        assert!(x.lo < 0.0 && x.hi > 10.0 && y.lo < 0.0 && y.hi > 5.0);
        // ticks stay at the data-ranged values
        assert_eq!(x.major.first(), Some(&0.0));
    }

    #[test]
    fn lines_along_the_frame_get_room() {
        let panel = Panel {
            series: vec![Series::xy_line("s", vec![0.0, 10.0], vec![-1.0, 1.5])],
            thresholds: vec![Threshold {
                label: "+2".into(),
                value: 2.0,
            }],
            reference_lines: vec![ReferenceLine::new("", (10.0, -2.0), (10.0, 2.0))],
            ..Panel::default()
        };
        let (x, y) = panel_axes(&panel, &[]);
        assert!(x.lo == 0.0 && x.hi > 10.0, "{x:?}");
        assert!(y.lo == -2.0 && y.hi > 2.0, "{y:?}");
    }

    #[test]
    fn no_data_at_all() {
        let (x, y) = panel_axes(&Panel::default(), &[]);
        assert!(!x.has_data && !y.has_data);
        assert!(x.lo < x.hi && y.lo < y.hi);
    }
}
