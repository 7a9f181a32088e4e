//! Turning a series into drawable polylines.
//!
//! A point is drawable when its time is finite and its value maps onto the axis
//! (see `Axis::to_plot`); anything else breaks the line. Segments are clipped to the visible
//! y range, so data below the lowest decade of a log axis leave through the bottom edge
//! instead of being drawn on it.

/// A point in plot coordinates (time, y).
pub(crate) type Point = (f64, f64);

/// Polylines to draw for one series; a polyline of one point is an isolated sample (draw a dot).
pub(crate) fn polylines(points: &[Option<Point>], y_lo: f64, y_hi: f64) -> Vec<Vec<Point>> {
    // A hair of tolerance so values that round onto the range edges are kept.
    let eps = (y_hi - y_lo).abs() * 1e-9;
    let (lo, hi) = (y_lo - eps, y_hi + eps);
    let mut out = Vec::new();
    let mut cur: Vec<Point> = Vec::new();
    let mut prev: Option<Point> = None;
    for &p in points {
        match (prev, p) {
            (_, None) => flush(&mut cur, &mut out),
            (None, Some(b)) => {
                flush(&mut cur, &mut out);
                if b.1 >= lo && b.1 <= hi {
                    cur.push(b);
                }
            }
            (Some(a), Some(b)) => match clip(a, b, lo, hi) {
                None => flush(&mut cur, &mut out),
                Some((c, d)) => {
                    if cur.last() != Some(&c) {
                        flush(&mut cur, &mut out);
                        cur.push(c);
                    }
                    cur.push(d);
                    if d != b {
                        // left the visible range
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

fn flush(cur: &mut Vec<Point>, out: &mut Vec<Vec<Point>>) {
    if !cur.is_empty() {
        out.push(std::mem::take(cur));
    }
}

/// Clip segment a-b to `lo <= y <= hi`. Endpoints inside the range are returned unchanged
/// (bit-identical), which `polylines` relies on to chain segments.
fn clip(a: Point, b: Point, lo: f64, hi: f64) -> Option<(Point, Point)> {
    let dy = b.1 - a.1;
    if dy == 0.0 {
        return (a.1 >= lo && a.1 <= hi).then_some((a, b));
    }
    let (ta, tb) = ((lo - a.1) / dy, (hi - a.1) / dy);
    let t0 = ta.min(tb).max(0.0);
    let t1 = ta.max(tb).min(1.0);
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t <= 0.0 {
            a
        } else if t >= 1.0 {
            b
        } else {
            (a.0 + t * (b.0 - a.0), a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let lines = polylines(&pts, 0.0, 3.0);
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
        let lines = polylines(&pts, 0.0, 3.0);
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
        assert!(polylines(&[None, None], 0.0, 1.0).is_empty());
        assert!(polylines(&[Some((0.0, -5.0)), Some((1.0, -6.0))], 0.0, 1.0).is_empty());
        assert!(polylines(&[], 0.0, 1.0).is_empty());
    }
}
