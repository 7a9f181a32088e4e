//! What is drawn inside a panel's plot area, bottom to top: threshold lines, event lines,
//! reference segments, series lines and points; then the threshold labels, which avoid them.
//! Each layer adds the pixels it covers to the obstacles the labels and the legend avoid.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::{PanelPlan, PlotArea};
use crate::plot::event_band::draw_event_labels;
use crate::plot::legend::{self, Entry, LineKind};
use crate::plot::palette::{
    EVENT, EVENT_DOT, POINT_RADIUS, SERIES_DASH, SERIES_WIDTH, THRESHOLD, THRESHOLD_DASH,
    series_color,
};
use crate::plot::ranges::{has_line, has_points, series_x};
use crate::plot::segments::{Point, clip, polylines, visible_points};
use crate::plot::text::{Canvas, draw_err};
use crate::plot::{Figure, thresholds};

/// Dashed horizontal threshold lines within the y range, below the data. Returns the labelled
/// ones with their pixel rows: their labels are placed once the data are drawn.
pub(super) fn draw_threshold_lines<DB: DrawingBackend>(
    plot: &PlotArea<DB>,
    plan: &PanelPlan,
    obstacles: &mut Vec<(i32, i32)>,
) -> anyhow::Result<Vec<thresholds::Line>> {
    let (x_axis, y_axis) = (&plan.x_axis, &plan.y_axis);
    let mut threshold_lines = Vec::new();
    for th in &plan.panel.thresholds {
        let Some(v) = y_axis.to_plot(th.value).filter(|v| y_axis.contains(*v)) else {
            continue;
        };
        let line = vec![(x_axis.lo, v), (x_axis.hi, v)];
        plot.area
            .draw(&DashedPathElement::new(
                line.clone(),
                THRESHOLD_DASH.0,
                THRESHOLD_DASH.1,
                THRESHOLD.stroke_width(1),
            ))
            .map_err(draw_err)?;
        let pixels: Vec<_> = line.iter().map(|p| plot.to_px(p)).collect();
        legend::sample_polyline(&pixels, obstacles);
        if !th.label.trim().is_empty() {
            threshold_lines.push(thresholds::Line {
                label: th.label.trim().to_string(),
                y: pixels.first().map_or(plot.rect.1, |p| p.1),
            });
        }
    }
    Ok(threshold_lines)
}

/// Dotted vertical lines at the figure's events, in every panel; in the top row their labels
/// are drawn in the band above the plot and the lines reach up to them.
pub(super) fn draw_event_lines<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    plot: &PlotArea<DB>,
    plan: &PanelPlan,
    band_h: i32,
) -> anyhow::Result<()> {
    let (left, top, right, bottom) = plot.rect;
    let label_bottoms = if plan.top_row {
        draw_event_labels(
            cv,
            &plan.groups,
            &plan.x_axis,
            plan.cell,
            (left, right),
            top,
            band_h,
        )?
    } else {
        Vec::new()
    };
    for (i, g) in plan.groups.iter().enumerate() {
        let x = plot.to_px(&(g.time, plan.y_axis.lo)).0;
        let line_top = label_bottoms
            .iter()
            .find(|(j, _)| *j == i)
            .map_or(top, |&(_, b)| b);
        cv.root
            .draw(&DashedPathElement::new(
                vec![(x, line_top), (x, bottom)],
                EVENT_DOT.0,
                EVENT_DOT.1,
                EVENT.stroke_width(1),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Dashed reference segments, clipped to the plot, below the data. Returns the legend entries
/// of the labelled ones.
pub(super) fn draw_reference_segments<DB: DrawingBackend>(
    plot: &PlotArea<DB>,
    plan: &PanelPlan,
    obstacles: &mut Vec<(i32, i32)>,
) -> anyhow::Result<Vec<Entry>> {
    let (x_axis, y_axis) = (&plan.x_axis, &plan.y_axis);
    let (x_span, y_span) = spans(plan);
    let mut reference_entries = Vec::new();
    for r in &plan.panel.reference_lines {
        let ends = (
            x_axis.to_plot(r.from.0).zip(y_axis.to_plot(r.from.1)),
            x_axis.to_plot(r.to.0).zip(y_axis.to_plot(r.to.1)),
        );
        let (Some(a), Some(b)) = ends else { continue };
        let Some((c, d)) = clip(a, b, x_span, y_span) else {
            continue;
        };
        plot.area
            .draw(&DashedPathElement::new(
                vec![c, d],
                THRESHOLD_DASH.0,
                THRESHOLD_DASH.1,
                THRESHOLD.stroke_width(1),
            ))
            .map_err(draw_err)?;
        legend::sample_polyline(&[plot.to_px(&c), plot.to_px(&d)], obstacles);
        if !r.label.trim().is_empty() {
            reference_entries.push(Entry {
                label: r.label.trim().to_string(),
                color: THRESHOLD,
                kind: LineKind::Threshold,
                marker: false,
            });
        }
    }
    Ok(reference_entries)
}

/// The visible x and y ranges of the panel, in plot coordinates.
fn spans(plan: &PanelPlan) -> ((f64, f64), (f64, f64)) {
    (
        (plan.x_axis.lo, plan.x_axis.hi),
        (plan.y_axis.lo, plan.y_axis.hi),
    )
}

/// Every series' samples in plot coordinates (`None` where a value cannot be shown, e.g. not
/// positive on a log axis).
pub(super) fn series_points(plan: &PanelPlan, fig: &Figure) -> Vec<Vec<Option<Point>>> {
    plan.panel
        .series
        .iter()
        .map(|series| {
            series_x(series, &fig.times)
                .iter()
                .zip(&series.values)
                .map(|(&x, &v)| plan.x_axis.to_plot(x).zip(plan.y_axis.to_plot(v)))
                .collect()
        })
        .collect()
}

/// The lines of every series that has one (solid or dashed, clipped to the plot), all below
/// the points; an isolated sample becomes a small dot unless it gets a point marker anyway.
pub(super) fn draw_series_lines<DB: DrawingBackend>(
    plot: &PlotArea<DB>,
    plan: &PanelPlan,
    series_points: &[Vec<Option<Point>>],
    obstacles: &mut Vec<(i32, i32)>,
) -> anyhow::Result<()> {
    let (x_span, y_span) = spans(plan);
    let area = &plot.area;
    for (i, (series, points)) in plan.panel.series.iter().zip(series_points).enumerate() {
        if !has_line(series) {
            continue;
        }
        let color = series_color(series.colour.unwrap_or(i));
        for line in polylines(points, x_span, y_span) {
            let pixels: Vec<_> = line.iter().map(|p| plot.to_px(p)).collect();
            legend::sample_polyline(&pixels, obstacles);
            match line.as_slice() {
                [_] if has_points(series) => Ok(()),
                [single] => area.draw(&Circle::new(*single, 3, color.filled())),
                _ if series.dashed => area.draw(&DashedPathElement::new(
                    line,
                    SERIES_DASH.0,
                    SERIES_DASH.1,
                    color.stroke_width(SERIES_WIDTH),
                )),
                _ => area.draw(&PathElement::new(line, color.stroke_width(SERIES_WIDTH))),
            }
            .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// The point markers of point series, on top of all lines; each marker's centre and edges
/// become obstacles for the labels.
pub(super) fn draw_series_points<DB: DrawingBackend>(
    plot: &PlotArea<DB>,
    plan: &PanelPlan,
    series_points: &[Vec<Option<Point>>],
    obstacles: &mut Vec<(i32, i32)>,
) -> anyhow::Result<()> {
    let (x_span, y_span) = spans(plan);
    let r = POINT_RADIUS as i32;
    for (i, (series, points)) in plan.panel.series.iter().zip(series_points).enumerate() {
        if !has_points(series) {
            continue;
        }
        let color = series_color(series.colour.unwrap_or(i));
        for p in visible_points(points, x_span, y_span) {
            plot.area
                .draw(&Circle::new(p, POINT_RADIUS, color.filled()))
                .map_err(draw_err)?;
            let (x, y) = plot.to_px(&p);
            obstacles.extend([(x, y), (x - r, y), (x + r, y), (x, y - r), (x, y + r)]);
        }
    }
    Ok(())
}

/// Legend entries of the labelled series, in series order, with their colour, line style and
/// marker.
pub(super) fn series_entries(plan: &PanelPlan) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (i, series) in plan.panel.series.iter().enumerate() {
        if series.label.trim().is_empty() {
            continue;
        }
        entries.push(Entry {
            label: series.label.trim().to_string(),
            color: series_color(series.colour.unwrap_or(i)),
            kind: if !has_line(series) {
                LineKind::NoLine
            } else if series.dashed {
                LineKind::Dashed
            } else {
                LineKind::Solid
            },
            marker: has_points(series),
        });
    }
    entries
}

/// Threshold labels beside their lines, where they avoid the data; their boxes become
/// obstacles for the legend. Returns legend entries for the labels that found no place.
pub(super) fn draw_threshold_labels<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    threshold_lines: &[thresholds::Line],
    plot: legend::Rect,
    obstacles: &mut Vec<(i32, i32)>,
) -> anyhow::Result<Vec<Entry>> {
    let (boxes, unplaced) = thresholds::draw_labels(cv, threshold_lines, plot, obstacles)?;
    for (x0, y0, x1, y1) in boxes {
        legend::sample_polyline(
            &[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
            obstacles,
        );
    }
    Ok(unplaced
        .into_iter()
        .map(|label| Entry {
            label,
            color: THRESHOLD,
            kind: LineKind::Threshold,
            marker: false,
        })
        .collect())
}
