//! Panel legends: size, placement where they hide the least data, and drawing.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::layout::FONT_LEGEND;
use super::palette::{MUTED, POINT_RADIUS, SERIES_DASH, SERIES_WIDTH, THRESHOLD, THRESHOLD_DASH};
use super::text::{Canvas, Font, draw_err};

/// How an entry's sample line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    Solid,
    Dashed,
    /// Thin dashed grey: thresholds and reference lines.
    Threshold,
    /// No line (a points-only series).
    NoLine,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub label: String,
    pub color: RGBColor,
    pub kind: LineKind,
    /// A filled circle in the middle of the sample (point series).
    pub marker: bool,
}

/// Pixel rectangle: left, top, right, bottom.
pub(crate) type Rect = (i32, i32, i32, i32);

const PAD: i32 = 7;
const SAMPLE_W: i32 = 32;
const SAMPLE_GAP: i32 = 8;
const ROW_H: i32 = 21;
/// Distance between the legend box and the plot edges.
const INSET: i32 = 8;

/// Draw the legend for `entries` inside the plot rectangle `plot`, at the candidate position
/// that covers the fewest `obstacles` (pixel positions of data). Nothing is drawn without entries.
pub(crate) fn draw<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    entries: &[Entry],
    plot: Rect,
    obstacles: &[(i32, i32)],
) -> anyhow::Result<()> {
    let root = cv.root;
    let font = Font::regular(FONT_LEGEND);
    let (pl, pt, pr, pb) = plot;
    let max_text_w = ((pr - pl) / 2 - SAMPLE_W - SAMPLE_GAP - 2 * PAD).max(40);
    let max_rows = usize::try_from(((pb - pt) - 2 * INSET - 2 * PAD) / ROW_H).unwrap_or(0);
    if entries.is_empty() || max_rows == 0 {
        return Ok(());
    }
    // Too many entries for the panel height: keep the first ones and say how many are left.
    let mut shown: Vec<Entry> = entries.to_vec();
    if shown.len() > max_rows {
        let hidden = shown.len() + 1 - max_rows;
        shown.truncate(max_rows - 1);
        shown.push(Entry {
            label: format!("\u{2026} and {hidden} more"),
            color: MUTED,
            kind: LineKind::NoLine,
            marker: false,
        });
    }
    let mut labels = Vec::with_capacity(shown.len());
    let mut text_w = 0;
    for e in &shown {
        let label = cv.ellipsize(&e.label, font, max_text_w)?;
        text_w = text_w.max(cv.measure(&label, font)?.0);
        labels.push(label);
    }
    let rows = i32::try_from(shown.len()).unwrap_or(i32::MAX / ROW_H);
    let size = (
        2 * PAD + SAMPLE_W + SAMPLE_GAP + text_w,
        2 * PAD + rows * ROW_H - 4,
    );
    let (x, y) = best_position(plot, size, obstacles);

    root.draw(&Rectangle::new(
        [(x, y), (x + size.0, y + size.1)],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(draw_err)?;
    root.draw(&Rectangle::new(
        [(x, y), (x + size.0, y + size.1)],
        MUTED.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let mut row_y = y + PAD + (ROW_H - 4) / 2;
    for (e, label) in shown.iter().zip(&labels) {
        let x0 = x + PAD;
        let sample = vec![(x0, row_y), (x0 + SAMPLE_W, row_y)];
        match e.kind {
            LineKind::Solid => root.draw(&PathElement::new(
                sample,
                e.color.stroke_width(SERIES_WIDTH),
            )),
            LineKind::Dashed => root.draw(&DashedPathElement::new(
                sample,
                SERIES_DASH.0,
                SERIES_DASH.1,
                e.color.stroke_width(SERIES_WIDTH),
            )),
            LineKind::Threshold => root.draw(&DashedPathElement::new(
                sample,
                THRESHOLD_DASH.0,
                THRESHOLD_DASH.1,
                THRESHOLD.stroke_width(1),
            )),
            LineKind::NoLine => Ok(()),
        }
        .map_err(draw_err)?;
        if e.marker {
            root.draw(&Circle::new(
                (x0 + SAMPLE_W / 2, row_y),
                POINT_RADIUS,
                e.color.filled(),
            ))
            .map_err(draw_err)?;
        }
        cv.text(
            label,
            font,
            (x0 + SAMPLE_W + SAMPLE_GAP, row_y),
            HPos::Left,
            VPos::Center,
        )?;
        row_y += ROW_H;
    }
    Ok(())
}

/// Top-left corner of the legend box among the candidate positions (upper right, upper left,
/// lower right, lower left, upper centre, lower centre) covering the fewest obstacles;
/// ties go to the earlier candidate.
pub(crate) fn best_position(
    plot: Rect,
    (w, h): (i32, i32),
    obstacles: &[(i32, i32)],
) -> (i32, i32) {
    let (pl, pt, pr, pb) = plot;
    let left = pl + INSET;
    let right = (pr - INSET - w).max(left);
    let centre = (pl + pr - w) / 2;
    let top = pt + INSET;
    let bottom = (pb - INSET - h).max(top);
    let candidates = [
        (right, top),
        (left, top),
        (right, bottom),
        (left, bottom),
        (centre, top),
        (centre, bottom),
    ];
    let covered =
        |&(x, y): &(i32, i32)| count_inside((x - 3, y - 3, x + w + 3, y + h + 3), obstacles);
    let mut best = candidates[0]; // ok: fixed-size array of 6
    let mut best_count = covered(&best);
    for c in &candidates[1..] {
        let n = covered(c);
        if n < best_count {
            best = *c;
            best_count = n;
        }
    }
    best
}

/// Number of `points` inside `rect` (edges included).
pub(crate) fn count_inside((x0, y0, x1, y1): Rect, points: &[(i32, i32)]) -> usize {
    points
        .iter()
        .filter(|&&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
        .count()
}

/// Points every few pixels along a pixel polyline, used as legend obstacles.
pub(crate) fn sample_polyline(points: &[(i32, i32)], out: &mut Vec<(i32, i32)>) {
    const STEP: f64 = 3.0;
    if let [only] = points {
        out.push(*only);
    }
    for pair in points.windows(2) {
        let [(x0, y0), (x1, y1)] = [pair[0], pair[1]]; // ok: windows(2)
        let (dx, dy) = (f64::from(x1 - x0), f64::from(y1 - y0));
        let n = (dx.hypot(dy) / STEP).ceil().clamp(1.0, 10_000.0) as i32;
        for i in 0..=n {
            let t = f64::from(i) / f64::from(n);
            out.push((x0 + (t * dx).round() as i32, y0 + (t * dy).round() as i32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avoids_data_in_upper_right() {
        let plot = (0, 0, 600, 300);
        let mut obstacles = Vec::new();
        // a curve falling from the upper right corner region
        sample_polyline(&[(300, 10), (590, 20), (595, 290)], &mut obstacles);
        let (x, y) = best_position(plot, (150, 60), &obstacles);
        assert_eq!((x, y), (8, 8)); // upper left is free
        // nothing anywhere -> upper right
        assert_eq!(best_position(plot, (150, 60), &[]), (442, 8));
    }

    #[test]
    fn sampling_covers_segments() {
        let mut out = Vec::new();
        sample_polyline(&[(0, 0), (30, 0)], &mut out);
        assert_eq!(out.len(), 11);
        assert_eq!(out.last(), Some(&(30, 0)));
        out.clear();
        sample_polyline(&[(5, 5)], &mut out);
        assert_eq!(out, vec![(5, 5)]);
    }
}
