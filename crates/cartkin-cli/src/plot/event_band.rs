//! The band of event labels above the top-row panels: measuring, staggering and drawing.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::Axis;
use super::events::{EventGroup, place_labels};
use super::layout::{Cell, FONT_EVENT, PLOT_TOP_GAP};
use super::palette::EVENT;
use super::text::{Canvas, Font};

/// Height of one row of event labels.
pub(crate) const EVENT_ROW_H: i32 = FONT_EVENT as i32 + 6;

/// An event label of a top-row panel, measured and positioned horizontally.
pub(crate) struct EventLabel {
    /// Index of the event group.
    pub group: usize,
    /// Label text, shortened to at most 60 % of the cell width.
    pub text: String,
    /// Pixel column of the event line and pixel width of the text.
    pub centre: i32,
    pub width: i32,
}

/// The event labels of a panel whose plot spans `x_span` pixels (`x_axis` in time).
pub(crate) fn event_labels<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    groups: &[EventGroup],
    x_axis: &Axis,
    x_span: (i32, i32),
    cell_w: i32,
) -> anyhow::Result<Vec<EventLabel>> {
    let font = Font::regular(FONT_EVENT);
    let mut labels = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        if g.label.is_empty() {
            continue;
        }
        let text = cv.ellipsize(&g.label, font, cell_w * 3 / 5)?;
        let (width, _) = cv.measure(&text, font)?;
        let frac = (g.time - x_axis.lo) / (x_axis.hi - x_axis.lo);
        let centre = x_span.0 + (frac * f64::from(x_span.1 - x_span.0)).round() as i32;
        labels.push(EventLabel {
            group: i,
            text,
            centre,
            width,
        });
    }
    Ok(labels)
}

/// Staggered placement of event labels within a cell: (left edge, row) per label, `None` if
/// it does not fit, and the number of rows used.
pub(crate) fn place_event_labels(
    labels: &[EventLabel],
    cell: Cell,
) -> (Vec<Option<(i32, usize)>>, usize) {
    let items: Vec<(i32, i32)> = labels.iter().map(|l| (l.centre, l.width)).collect();
    place_labels(&items, cell.x0 + 4, cell.x0 + cell.w - 4)
}

/// Draw the event labels of a top-row panel in the band above the plot. Returns, per labelled
/// group index, the pixel row where its connector line starts.
pub(crate) fn draw_event_labels<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    groups: &[EventGroup],
    x_axis: &Axis,
    cell: Cell,
    x_span: (i32, i32),
    plot_top: i32,
    band_h: i32,
) -> anyhow::Result<Vec<(usize, i32)>> {
    let labels = event_labels(cv, groups, x_axis, x_span, cell.w)?;
    if labels.is_empty() || band_h <= 0 {
        return Ok(Vec::new());
    }
    let (placed, _) = place_event_labels(&labels, cell);
    let font = Font::regular(FONT_EVENT).with_color(EVENT);
    let mut bottoms = Vec::with_capacity(labels.len());
    for (label, spot) in labels.iter().zip(placed) {
        let Some((left, row)) = spot else { continue };
        let row = i32::try_from(row).unwrap_or(0);
        let text_top = plot_top - PLOT_TOP_GAP as i32 / 2 - (row + 1) * EVENT_ROW_H + 3;
        cv.text(&label.text, font, (left, text_top), HPos::Left, VPos::Top)?;
        bottoms.push((label.group, text_top + FONT_EVENT as i32 + 2));
    }
    Ok(bottoms)
}
