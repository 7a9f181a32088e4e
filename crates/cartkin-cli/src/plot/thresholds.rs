//! Labels of threshold (reference) lines, written next to the line where they hide the
//! least data; labels that cannot be placed go to the legend instead.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::layout::FONT_THRESHOLD;
use super::legend::{Rect, count_inside};
use super::palette::THRESHOLD;
use super::text::{Canvas, Font, draw_err};

/// Padding around the label text inside its background box.
const PAD: i32 = 2;
/// Gap between the line and the label box, and between the box and the plot edge.
const GAP: i32 = 3;

/// A visible threshold line: label text and pixel row.
pub(crate) struct Line {
    pub label: String,
    pub y: i32,
}

/// Draw the labels of `lines` inside `plot`. Returns the boxes drawn (as obstacles for the
/// legend) and the labels that did not fit (for the legend).
pub(crate) fn draw_labels<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    lines: &[Line],
    plot: Rect,
    obstacles: &[(i32, i32)],
) -> anyhow::Result<(Vec<Rect>, Vec<String>)> {
    let font = Font::regular(FONT_THRESHOLD).with_color(THRESHOLD);
    let mut sized = Vec::with_capacity(lines.len());
    for line in lines {
        let (w, h) = cv.measure(&line.label, font)?;
        sized.push((line.y, w, h));
    }
    let placed = place(&sized, plot, obstacles);
    let mut boxes = Vec::new();
    let mut unplaced = Vec::new();
    for (line, rect) in lines.iter().zip(placed) {
        match rect {
            Some(r @ (x0, y0, x1, y1)) => {
                cv.root
                    .draw(&Rectangle::new(
                        [(x0, y0), (x1, y1)],
                        WHITE.mix(0.8).filled(),
                    ))
                    .map_err(draw_err)?;
                cv.text(
                    &line.label,
                    font,
                    (x0 + PAD, y0 + PAD),
                    HPos::Left,
                    VPos::Top,
                )?;
                boxes.push(r);
            }
            None => unplaced.push(line.label.clone()),
        }
    }
    Ok((boxes, unplaced))
}

/// Choose a box for each label `(line y, text width, text height)`: at the right or left end,
/// above or below the line, inside the plot, not overlapping earlier boxes, covering the
/// fewest obstacles (ties: right above, right below, left above, left below).
pub(crate) fn place(
    labels: &[(i32, i32, i32)],
    plot: Rect,
    obstacles: &[(i32, i32)],
) -> Vec<Option<Rect>> {
    let (pl, pt, pr, pb) = plot;
    let mut taken: Vec<Rect> = Vec::new();
    let mut out = Vec::with_capacity(labels.len());
    for &(y, w, h) in labels {
        let (bw, bh) = (w + 2 * PAD, h + 2 * PAD);
        let right = (pr - GAP - bw, pr - GAP);
        let left = (pl + GAP, pl + GAP + bw);
        let above = (y - GAP - bh, y - GAP);
        let below = (y + GAP, y + GAP + bh);
        let candidates = [(right, above), (right, below), (left, above), (left, below)]
            .map(|((x0, x1), (y0, y1))| (x0, y0, x1, y1));
        let fits = |r: &Rect| {
            r.0 >= pl && r.2 <= pr && r.1 >= pt && r.3 <= pb && !taken.iter().any(|t| overlap(t, r))
        };
        let best = candidates
            .iter()
            .filter(|r| fits(r))
            .min_by_key(|r| count_inside(**r, obstacles))
            .copied();
        if let Some(r) = best {
            taken.push(r);
        }
        out.push(best);
    }
    out
}

fn overlap(a: &Rect, b: &Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_right_above_then_avoids_data_and_collisions() {
        let plot = (0, 0, 600, 300);
        // free plot: right end, above the line
        assert_eq!(
            place(&[(100, 50, 14)], plot, &[]),
            vec![Some((543, 79, 597, 97))]
        );
        // line at the very top: below it
        assert_eq!(
            place(&[(5, 50, 14)], plot, &[]),
            vec![Some((543, 8, 597, 26))]
        );
        // data just above the line at the right end: below it
        let data: Vec<_> = (500..600).map(|x| (x, 90)).collect();
        assert_eq!(
            place(&[(100, 50, 14)], plot, &data),
            vec![Some((543, 103, 597, 121))]
        );
        // data on both sides at the right end: left end
        let data: Vec<_> = (500..600).flat_map(|x| [(x, 90), (x, 110)]).collect();
        assert_eq!(
            place(&[(100, 50, 14)], plot, &data),
            vec![Some((3, 79, 57, 97))]
        );
        // two lines close together do not collide
        let placed = place(&[(100, 50, 14), (104, 50, 14)], plot, &[]);
        let (a, b) = (placed[0].expect("first"), placed[1].expect("second"));
        assert!(!overlap(&a, &b));
        // no room at all: None
        assert_eq!(place(&[(10, 50, 14)], (0, 0, 600, 20), &[]), vec![None]);
    }
}
