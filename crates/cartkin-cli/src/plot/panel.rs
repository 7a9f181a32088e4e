//! One panel: planning its axes and label areas, then drawing axes, reference lines, data,
//! legend and events.

mod layers;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::Axis;
use super::coord::TickedCoord;
use super::event_band::EVENT_ROW_H;
use super::events::{EventGroup, MAX_LABEL_ROWS, group_events};
use super::fonts::FAMILY;
use super::layout::Cell;
use super::layout::{
    FONT_AXIS_DESC, FONT_EVENT, FONT_PANEL_LETTER, FONT_PANEL_TITLE, FONT_TICK, MARGIN_BOTTOM,
    MARGIN_LEFT, MARGIN_RIGHT, PANEL_TITLE_H, PLOT_TOP_GAP, TICK_GAP, TICK_LEN, X_LABEL_AREA_H,
};
use super::legend;
use super::palette::{GRID_MAJOR, GRID_MINOR, INK, MUTED};
use super::ranges;
use super::segments::Point;
use super::text::{Canvas, Font, draw_err};
use super::{Figure, Panel};

/// Everything decided about a panel before drawing.
pub(crate) struct PanelPlan<'a> {
    pub panel: &'a Panel,
    pub cell: Cell,
    /// Panel letter ("A", "B", ...) when the figure has several panels.
    pub letter: Option<String>,
    /// Event labels are drawn above the panels of the top row only.
    pub top_row: bool,
    pub x_axis: Axis,
    pub y_axis: Axis,
    /// The figure's events on this panel's x axis (none unless it is the time axis).
    pub groups: Vec<EventGroup>,
    y_desc: Vec<String>,
    y_desc_font: Font,
    y_area_w: i32,
}

impl PanelPlan<'_> {
    /// Width of the y label area (tick labels + axis description).
    pub(crate) fn y_area_w(&self) -> i32 {
        self.y_area_w
    }

    /// Widen the y label area, e.g. to line up the plot areas of a column.
    pub(crate) fn widen_y_area(&mut self, w: i32) {
        self.y_area_w = self.y_area_w.max(w);
    }

    /// Horizontal pixel span of the plot area.
    pub(crate) fn plot_x_span(&self) -> (i32, i32) {
        (
            self.cell.x0 + MARGIN_LEFT as i32 + self.y_area_w,
            self.cell.x0 + self.cell.w - MARGIN_RIGHT as i32,
        )
    }
}

/// Decide the axes, the events shown and the width of the y label area of `panel` in `cell`.
pub(crate) fn plan<'a, DB: DrawingBackend>(
    cv: &Canvas<DB>,
    panel: &'a Panel,
    fig: &Figure,
    cell: Cell,
    letter: Option<String>,
    top_row: bool,
) -> anyhow::Result<PanelPlan<'a>> {
    let (x_axis, y_axis) = ranges::panel_axes(panel, &fig.times);
    let groups = if panel.on_time_axis() {
        group_events(&fig.events, x_axis.lo, x_axis.hi)
    } else {
        Vec::new()
    };
    let has_event_labels = groups.iter().any(|g| !g.label.is_empty());
    let mut tick_w = 0;
    for label in &y_axis.labels {
        tick_w = tick_w.max(cv.tick_label_size(label)?.0);
    }
    // Worst case plot height: event band of the maximum number of rows.
    let band = if top_row && has_event_labels {
        MAX_LABEL_ROWS as i32 * EVENT_ROW_H
    } else {
        0
    };
    let plot_h =
        cell.h - (PANEL_TITLE_H + PLOT_TOP_GAP + X_LABEL_AREA_H + MARGIN_BOTTOM) as i32 - band;
    let (y_desc, y_desc_font) = cv.fit_lines(
        &panel.y_label,
        Font::regular(FONT_AXIS_DESC),
        plot_h.max(60),
        2,
    )?;
    let desc_w = y_desc.len() as i32 * (y_desc_font.size as i32 + 4);
    let y_area_w = tick_w + (TICK_LEN + TICK_GAP) as i32 + 10 + desc_w + 4;
    Ok(PanelPlan {
        panel,
        cell,
        letter,
        top_row,
        x_axis,
        y_axis,
        groups,
        y_desc,
        y_desc_font,
        y_area_w,
    })
}

/// Draw one panel. `band_h` is the height reserved above the plot for event labels (same for
/// all top-row panels so their plot areas line up).
///
/// Layers go bottom to top: grid, threshold lines, event lines, reference segments, series
/// lines, series points; then the labels that avoid what is drawn (threshold labels, legend).
pub(crate) fn draw<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    plan: &PanelPlan,
    fig: &Figure,
    band_h: i32,
) -> anyhow::Result<()> {
    let plot = draw_grid(cv, plan, band_h)?;
    // Pixels covered by lines, points and labels, which the labels drawn later avoid.
    let mut obstacles = Vec::new();
    let threshold_lines = layers::draw_threshold_lines(&plot, plan, &mut obstacles)?;
    layers::draw_event_lines(cv, &plot, plan, band_h)?;
    let reference_entries = layers::draw_reference_segments(&plot, plan, &mut obstacles)?;
    let series_points = layers::series_points(plan, fig);
    layers::draw_series_lines(&plot, plan, &series_points, &mut obstacles)?;
    layers::draw_series_points(&plot, plan, &series_points, &mut obstacles)?;
    let mut entries = layers::series_entries(plan);
    entries.extend(reference_entries);
    entries.extend(layers::draw_threshold_labels(
        cv,
        &threshold_lines,
        plot.rect,
        &mut obstacles,
    )?);
    draw_no_data_note(cv, plan, plot.rect)?;
    let to_px = |p: &Point| plot.to_px(p);
    draw_tick_labels(cv, &plan.x_axis, &plan.y_axis, plot.rect, &to_px)?;
    let x_label = plan.panel.x_label.as_deref().unwrap_or(&fig.x_label);
    draw_titles(cv, plan, x_label, plot.rect)?;
    legend::draw(cv, &entries, plot.rect, &obstacles)
}

/// The plot area of a panel: data drawn in plot coordinates of its axes, and its pixel box.
struct PlotArea<DB: DrawingBackend> {
    area: DrawingArea<DB, Cartesian2d<TickedCoord, TickedCoord>>,
    /// Pixel box: left, top, right, bottom.
    rect: legend::Rect,
}

impl<DB: DrawingBackend> PlotArea<DB> {
    /// Pixel position of a point in plot coordinates.
    fn to_px(&self, p: &Point) -> (i32, i32) {
        self.area.map_coordinate(p)
    }
}

/// Lay out the panel's plot area inside its cell (below the title and the event band, beside
/// the y label area) and draw its grid, axis lines and tick marks. Tick labels are drawn by us
/// (superscripts, thinning), so plotters gets blank ones.
fn draw_grid<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    plan: &PanelPlan,
    band_h: i32,
) -> anyhow::Result<PlotArea<DB>> {
    let cell = plan.cell;
    let cell_area = cv.root.clone().shrink(
        (cell.x0, cell.y0),
        (cell.w.max(1).unsigned_abs(), cell.h.max(1).unsigned_abs()),
    );
    let top_margin = PANEL_TITLE_H as i32 + band_h + PLOT_TOP_GAP as i32;
    let x_range = TickedCoord::from(&plan.x_axis);
    let y_range = TickedCoord::from(&plan.y_axis);
    let mut chart = ChartBuilder::on(&cell_area)
        .margin_top(top_margin)
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .margin_bottom(MARGIN_BOTTOM)
        .x_label_area_size(X_LABEL_AREA_H)
        .y_label_area_size(plan.y_area_w)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_err)?;
    let blank = |_: &f64| String::new();
    chart
        .configure_mesh()
        .x_label_formatter(&blank)
        .y_label_formatter(&blank)
        .bold_line_style(GRID_MAJOR.stroke_width(1))
        .light_line_style(GRID_MINOR.stroke_width(1))
        .axis_style(INK.stroke_width(1))
        .set_all_tick_mark_size(TICK_LEN)
        .label_style((FAMILY, FONT_TICK))
        .draw()
        .map_err(draw_err)?;
    let area = chart.plotting_area().clone();
    let (px, py) = area.get_pixel_range();
    let rect = (px.start, py.start, px.end, py.end);
    Ok(PlotArea { area, rect })
}

/// A note in the middle of the plot when an axis has no data to show (none positive on a log
/// scale, or none finite).
fn draw_no_data_note<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    plan: &PanelPlan,
    (left, top, right, bottom): legend::Rect,
) -> anyhow::Result<()> {
    let empty: Vec<&Axis> = [&plan.x_axis, &plan.y_axis]
        .into_iter()
        .filter(|a| !a.has_data)
        .collect();
    if empty.is_empty() {
        return Ok(());
    }
    let note = if empty.iter().any(|a| a.log) {
        "no positive values to show on this log scale"
    } else {
        "no finite values to show"
    };
    cv.text(
        note,
        Font::regular(FONT_EVENT).with_color(MUTED),
        ((left + right) / 2, (top + bottom) / 2),
        HPos::Center,
        VPos::Center,
    )
}

/// Tick labels of both axes; x labels are thinned when they would overlap.
fn draw_tick_labels<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    x_axis: &Axis,
    y_axis: &Axis,
    (left, _top, _right, bottom): legend::Rect,
    to_px: &dyn Fn(&Point) -> (i32, i32),
) -> anyhow::Result<()> {
    let label_x = left - (TICK_LEN + TICK_GAP) as i32;
    for (&v, label) in y_axis.major.iter().zip(&y_axis.labels) {
        let y = to_px(&(x_axis.lo, v)).1;
        cv.tick_label(label, (label_x, y), HPos::Right)?;
    }
    let xs: Vec<i32> = x_axis
        .major
        .iter()
        .map(|&v| to_px(&(v, y_axis.lo)).0)
        .collect();
    let mut max_w = 0;
    for label in &x_axis.labels {
        max_w = max_w.max(cv.tick_label_size(label)?.0);
    }
    // ok: windows(2) slices have two elements
    let spacing = xs.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(i32::MAX);
    let mut stride = 1;
    while stride < xs.len() && spacing.saturating_mul(stride as i32) < max_w + 12 {
        stride += 1;
    }
    let label_y = bottom + (TICK_LEN + TICK_GAP) as i32;
    for ((x, label), _) in xs
        .iter()
        .zip(&x_axis.labels)
        .zip(0..)
        .filter(|(_, i)| i % stride == 0)
    {
        cv.tick_label(label, (*x, label_y), HPos::Center)?;
    }
    Ok(())
}

/// Panel letter, panel title, x and y axis descriptions.
fn draw_titles<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    plan: &PanelPlan,
    x_label: &str,
    (left, top, right, bottom): legend::Rect,
) -> anyhow::Result<()> {
    let cell = plan.cell;
    let cell_right = cell.x0 + cell.w - 8;
    let mut title_left = cell.x0 + 8;
    if let Some(letter) = &plan.letter {
        let font = Font::bold(FONT_PANEL_LETTER);
        cv.text(
            letter,
            font,
            (cell.x0 + 10, cell.y0 + 8),
            HPos::Left,
            VPos::Top,
        )?;
        title_left = cell.x0 + 10 + cv.measure(letter, font)?.0 + 12;
    }
    // Title centred over the plot area, but never over the letter or out of the cell.
    let max_w = (cell_right - title_left).max(40);
    let (lines, font) = cv.fit_lines(&plan.panel.title, Font::bold(FONT_PANEL_TITLE), max_w, 1)?;
    for line in lines {
        let w = cv.measure(&line, font)?.0;
        let x = centred_x((left + right) / 2, w, title_left, cell_right);
        cv.text(&line, font, (x, cell.y0 + 9), HPos::Center, VPos::Top)?;
    }

    // x axis description, centred under the plot.
    let (lines, font) = cv.fit_lines(x_label, Font::regular(FONT_AXIS_DESC), cell.w - 16, 1)?;
    for line in lines {
        let w = cv.measure(&line, font)?.0;
        let x = centred_x((left + right) / 2, w, cell.x0 + 8, cell_right);
        cv.text(
            &line,
            font,
            (x, bottom + X_LABEL_AREA_H as i32 - 2),
            HPos::Center,
            VPos::Bottom,
        )?;
    }

    // y axis description, rotated, one or two lines, centred on the plot height.
    let line_h = plan.y_desc_font.size as i32 + 4;
    for (i, line) in plan.y_desc.iter().enumerate() {
        cv.text_up(
            line,
            plan.y_desc_font,
            (
                cell.x0 + MARGIN_LEFT as i32 + 2 + i as i32 * line_h,
                (top + bottom) / 2,
            ),
            HPos::Center,
            VPos::Top,
        )?;
    }
    Ok(())
}

/// Centre for text of width `w`, as close to `centre` as possible within `[min_x, max_x]`.
fn centred_x(centre: i32, w: i32, min_x: i32, max_x: i32) -> i32 {
    centre.min(max_x - w / 2 - w % 2).max(min_x + w / 2)
}
