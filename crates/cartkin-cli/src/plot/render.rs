//! Whole-figure drawing: background, title, panel grid, shared event band.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::Figure;
use super::event_band::{self, EVENT_ROW_H};
use super::layout::Cell;
use super::layout::{FONT_FIG_TITLE, cell_size, grid, title_height};
use super::panel;
use super::text::{Canvas, Font, draw_err, to_i32};

impl super::encode::Drawable for Figure {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()> {
        draw_figure(cv, self)
    }
}

/// Draw `fig` on the canvas (sized by `layout::figure_size`). Does not present.
pub(crate) fn draw_figure<DB: DrawingBackend>(cv: &Canvas<DB>, fig: &Figure) -> anyhow::Result<()> {
    let root = cv.root;
    root.fill(&WHITE).map_err(draw_err)?;
    let (width, _) = root.dim_in_pixel();
    let width = to_i32(width);
    let title_h = to_i32(title_height(&fig.title));
    if title_h > 0 {
        let (lines, font) = cv.fit_lines(&fig.title, Font::bold(FONT_FIG_TITLE), width - 40, 1)?;
        for line in lines {
            cv.text(
                &line,
                font,
                (width / 2, title_h / 2 + 2),
                HPos::Center,
                VPos::Center,
            )?;
        }
    }

    let (_, cols) = grid(fig.panels.len());
    let (cell_w, cell_h) = cell_size(fig.panels.len());
    let (cell_w, cell_h) = (to_i32(cell_w), to_i32(cell_h));
    let multi = fig.panels.len() > 1;

    let mut plans = Vec::with_capacity(fig.panels.len());
    for (i, p) in fig.panels.iter().enumerate() {
        let (row, col) = (i / cols.max(1), i % cols.max(1));
        let cell = Cell {
            x0: cell_w * i32::try_from(col).unwrap_or(0),
            y0: title_h + cell_h * i32::try_from(row).unwrap_or(0),
            w: cell_w,
            h: cell_h,
        };
        let letter = multi.then(|| panel_letter(i));
        plans.push(panel::plan(cv, p, fig, cell, letter, row == 0)?);
    }

    // Same y label area width within a column, so the x axes line up vertically.
    for col in 0..cols {
        let column = || plans.iter().skip(col).step_by(cols.max(1));
        let w = column().map(|p| p.y_area_w()).max().unwrap_or(0);
        for plan in plans.iter_mut().skip(col).step_by(cols.max(1)) {
            plan.widen_y_area(w);
        }
    }

    // One event band height for the whole top row, so the plot areas line up.
    let mut band_rows = 0;
    for plan in plans.iter().filter(|p| p.top_row) {
        let labels = event_band::event_labels(
            cv,
            &plan.groups,
            &plan.x_axis,
            plan.plot_x_span(),
            plan.cell.w,
        )?;
        let (_, rows) = event_band::place_event_labels(&labels, plan.cell);
        band_rows = band_rows.max(rows);
    }
    let band_h = i32::try_from(band_rows).unwrap_or(0) * EVENT_ROW_H;

    for plan in &plans {
        let h = if plan.top_row { band_h } else { 0 };
        panel::draw(cv, plan, fig, h)?;
    }
    Ok(())
}

/// "A", "B", ... "Z", then "AA", "AB", ...
fn panel_letter(i: usize) -> String {
    let letter = |k: usize| char::from(b'A' + u8::try_from(k % 26).unwrap_or(0));
    if i < 26 {
        letter(i).to_string()
    } else {
        format!("{}{}", letter(i / 26 - 1), letter(i))
    }
}
