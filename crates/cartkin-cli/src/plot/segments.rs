//! Turning a series into drawable polylines and points.
//!
//! A point is drawable when both coordinates are finite and map onto their axes
//! (see `Axis::to_plot`); anything else breaks the line. Segments are clipped to the visible
//! rectangle, so data below the lowest decade of a log axis (or outside a fixed range) leave
//! through the edge instead of being drawn on it; points outside it are not drawn at all.

/// A point in plot coordinates (x, y).
pub(crate) type Point = (f64, f64);

/// A closed range `(lo, hi)` of plot coordinates.
pub(crate) type Span = (f64, f64);

/// `span` widened by a hair of tolerance, so values that round onto its edges are kept.
fn tolerant((lo, hi): Span) -> Span {
    let eps = (hi - lo).abs() * 1e-9;
    (lo - eps, hi + eps)
}

/// Polylines to draw for one series inside the rectangle `x` by `y`; a polyline of one point
/// is an isolated sample (draw a dot).
pub(crate) fn polylines(points: &[Option<Point>], x: Span, y: Span) -> Vec<Vec<Point>> {
    let (x, y) = (tolerant(x), tolerant(y));
    let mut out = Vec::new();
    let mut cur: Vec<Point> = Vec::new();
    let mut prev: Option<Point> = None;
    for &p in points {
        match (prev, p) {
            (_, None) => flush(&mut cur, &mut out),
            (None, Some(b)) => {
                flush(&mut cur, &mut out);
                if inside(b, x, y) {
                    cur.push(b);
                }
            }
            (Some(a), Some(b)) => match clip(a, b, x, y) {
                None => flush(&mut cur, &mut out),
                Some((c, d)) => {
                    if cur.last() != Some(&c) {
                        flush(&mut cur, &mut out);
                        cur.push(c);
                    }
                    cur.push(d);
                    if d != b {
                        // left the visible rectangle
                        flush(&mut cur, &mut out);
                    }
                }
            },
        }
        prev = p;
    }
    flush(&mut cur, &mut out);
    out
}

/// The drawable points inside the rectangle `x` by `y` (markers are never drawn at the edge
/// in place of data outside it).
pub(crate) fn visible_points(points: &[Option<Point>], x: Span, y: Span) -> Vec<Point> {
    let (x, y) = (tolerant(x), tolerant(y));
    points
        .iter()
        .flatten()
        .copied()
        .filter(|&p| inside(p, x, y))
        .collect()
}

fn inside(p: Point, x: Span, y: Span) -> bool {
    p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1
}

fn flush(cur: &mut Vec<Point>, out: &mut Vec<Vec<Point>>) {
    if !cur.is_empty() {
        out.push(std::mem::take(cur));
    }
}

/// Clip segment a-b to the rectangle (Liang-Barsky). Endpoints inside the rectangle are
/// returned unchanged (bit-identical), which `polylines` relies on to chain segments.
pub(crate) fn clip(a: Point, b: Point, x: Span, y: Span) -> Option<(Point, Point)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
            continue;
        }
        let r = q / p;
        if p < 0.0 {
            t0 = t0.max(r);
        } else {
            t1 = t1.min(r);
        }
        if t0 > t1 {
            return None;
        }
    }
    let at = |t: f64| {
        if t <= 0.0 {
            a
        } else if t >= 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An x range wide enough for every test series.
    const X: Span = (-100.0, 100.0);

    #[test]
    fn gaps_break_the_line() {
        let pts = [
            Some((0.0, 1.0)),
            Some((1.0, 2.0)),
            None,
            Some((3.0, 2.0)),
            Some((4.0, 1.0)),
            None,
            Some((6.0, 1.5)),
        ];
        let lines = polylines(&pts, X, (0.0, 3.0));
        assert_eq!(
            lines,
            vec![
                vec![(0.0, 1.0), (1.0, 2.0)],
                vec![(3.0, 2.0), (4.0, 1.0)],
                vec![(6.0, 1.5)],
            ]
        );
    }

    #[test]
    fn clipped_at_bottom_and_reentering() {
        let pts = [
            Some((0.0, 2.0)),
            Some((1.0, -2.0)),
            Some((2.0, -3.0)),
            Some((3.0, 2.0)),
        ];
        let lines = polylines(&pts, X, (0.0, 3.0));
        assert_eq!(lines.len(), 2);
        let close = |a: Point, b: Point| (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6;
        assert_eq!(lines[0].len(), 2);
        assert_eq!(lines[0][0], (0.0, 2.0));
        assert!(close(lines[0][1], (0.5, 0.0)), "{:?}", lines[0]);
        assert_eq!(lines[1].len(), 2);
        assert!(close(lines[1][0], (2.6, 0.0)), "{:?}", lines[1]);
        assert_eq!(lines[1][1], (3.0, 2.0));
    }

    #[test]
    fn all_invalid_or_below_gives_nothing() {
        assert!(polylines(&[None, None], X, (0.0, 1.0)).is_empty());
        assert!(polylines(&[Some((0.0, -5.0)), Some((1.0, -6.0))], X, (0.0, 1.0)).is_empty());
        assert!(polylines(&[], X, (0.0, 1.0)).is_empty());
    }

    #[test]
    fn clipped_at_the_sides_too() {
        // a line from outside the left edge across the box and out of the right edge
        let pts = [Some((-1.0, 0.5)), Some((3.0, 0.5))];
        let lines = polylines(&pts, (0.0, 2.0), (0.0, 1.0));
        let close = |a: Point, b: Point| (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6;
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 2);
        assert!(close(lines[0][0], (0.0, 0.5)), "{lines:?}");
        assert!(close(lines[0][1], (2.0, 0.5)), "{lines:?}");
        // diagonal through a corner region
        let (c, d) = clip((-1.0, -1.0), (3.0, 3.0), (0.0, 2.0), (0.0, 1.0)).expect("crosses");
        assert_eq!(c, (0.0, 0.0));
        assert_eq!(d, (1.0, 1.0));
        // entirely beside the box
        assert_eq!(clip((3.0, 0.0), (4.0, 1.0), (0.0, 2.0), (0.0, 1.0)), None);
        // a lone point outside the x range is dropped
        assert!(polylines(&[Some((5.0, 0.5))], (0.0, 2.0), (0.0, 1.0)).is_empty());
    }

    #[test]
    fn points_outside_are_not_drawn() {
        let pts = [
            Some((0.0, 0.5)),
            None,
            Some((2.0, 1.0)),
            Some((2.5, 0.5)),
            Some((1.0, -0.1)),
        ];
        assert_eq!(
            visible_points(&pts, (0.0, 2.0), (0.0, 1.0)),
            vec![(0.0, 0.5), (2.0, 1.0)]
        );
    }
}
