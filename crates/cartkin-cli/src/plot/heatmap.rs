//! Heatmaps of a two-variable sweep: one cell per grid point, coloured by a proportion on a
//! fixed 0–100% viridis scale (perceptually uniform, colour-blind safe), annotated with its
//! value, with a colour bar.
//!
//! The axes are categorical — one column per value of the first variable, one row per value of
//! the second (increasing upwards) — so log-spaced and irregular grids both give square cells.

use anyhow::bail;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, VPos};

use super::ImageFormat;
use super::fonts;
use super::layout::{FONT_AXIS_DESC, FONT_FIG_TITLE, FONT_TICK, TITLE_H};
use super::palette::INK;
use super::text::{Canvas, Font, draw_err};

/// A heatmap of `values[i][j]` (a proportion in [0, 1], NaN for no value) over the grid
/// `x_values[i]` × `y_values[j]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    pub title: String,
    /// First variable, with unit.
    pub x_label: String,
    /// Second variable, with unit.
    pub y_label: String,
    pub x_values: Vec<f64>,
    pub y_values: Vec<f64>,
    /// `values[i][j]` at `x_values[i]`, `y_values[j]`.
    pub values: Vec<Vec<f64>>,
    /// What the colour shows (colour bar title).
    pub value_label: String,
}

/// Image size in pixels.
const SIZE: (u32, u32) = (1100, 780);
const LEFT: i32 = 190;
const RIGHT: i32 = 200;
const TOP: i32 = TITLE_H as i32 + 20;
const BOTTOM: i32 = 100;
const BAR_W: i32 = 28;
/// Cell annotations.
const FONT_CELL: u32 = 17;

/// Renders the heatmap to PNG or SVG bytes.
pub fn render(h: &Heatmap, format: ImageFormat) -> anyhow::Result<Vec<u8>> {
    if h.x_values.is_empty() || h.y_values.is_empty() {
        bail!("heatmap {:?} has an empty axis", h.title);
    }
    if h.values.len() != h.x_values.len() || h.values.iter().any(|r| r.len() != h.y_values.len()) {
        bail!(
            "heatmap {:?}: values are not {} × {}",
            h.title,
            h.x_values.len(),
            h.y_values.len()
        );
    }
    fonts::ensure_registered()?;
    match format {
        ImageFormat::Png => super::encode::png(h, SIZE),
        ImageFormat::Svg => super::encode::svg(h, SIZE),
    }
}

/// Viridis colour of a proportion (clamped to [0, 1]).
fn colour(v: f64) -> RGBColor {
    ViridisRGB::get_color(v.clamp(0.0, 1.0))
}

/// Dark text on light cells, white on dark ones (relative luminance, sRGB weights).
fn text_colour(c: RGBColor) -> RGBColor {
    let lum = 0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2);
    if lum > 140.0 { INK } else { WHITE }
}

/// A compact tick label (`1e5`, `2.5e6`, `30`, `0.25`).
fn tick(v: f64) -> String {
    cartkin_core::format::compact(v)
}

impl super::encode::Drawable for Heatmap {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()> {
        draw_heatmap(cv, self)
    }
}

pub(crate) fn draw_heatmap<DB: DrawingBackend>(cv: &Canvas<DB>, h: &Heatmap) -> anyhow::Result<()> {
    let root = cv.root;
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, hgt) = (SIZE.0 as i32, SIZE.1 as i32);
    let (lines, font) = cv.fit_lines(&h.title, Font::bold(FONT_FIG_TITLE), w - 40, 1)?;
    for line in lines {
        cv.text(
            &line,
            font,
            (w / 2, TITLE_H as i32 / 2 + 6),
            HPos::Center,
            VPos::Center,
        )?;
    }
    let (nx, ny) = (h.x_values.len() as i32, h.y_values.len() as i32);
    let (x0, x1, y0, y1) = (LEFT, w - RIGHT, TOP, hgt - BOTTOM);
    let cell_w = (x1 - x0) / nx;
    let cell_h = (y1 - y0) / ny;
    let tick_font = Font::regular(FONT_TICK);
    for (i, row) in h.values.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let cx0 = x0 + cell_w * i as i32;
            // the first y value at the bottom
            let cy1 = y0 + cell_h * (ny - j as i32);
            let cy0 = cy1 - cell_h;
            let fill = if v.is_finite() {
                colour(*v)
            } else {
                RGBColor(220, 220, 220)
            };
            root.draw(&Rectangle::new(
                [(cx0, cy0), (cx0 + cell_w, cy1)],
                fill.filled(),
            ))
            .map_err(draw_err)?;
            root.draw(&Rectangle::new(
                [(cx0, cy0), (cx0 + cell_w, cy1)],
                WHITE.stroke_width(1),
            ))
            .map_err(draw_err)?;
            let label = if v.is_finite() {
                format!("{:.0}%", 100.0 * v)
            } else {
                "–".into()
            };
            let size = if cell_w < 48 {
                FONT_CELL - 4
            } else {
                FONT_CELL
            };
            cv.text(
                &label,
                Font::regular(size).with_color(text_colour(fill)),
                (cx0 + cell_w / 2, (cy0 + cy1) / 2),
                HPos::Center,
                VPos::Center,
            )?;
        }
    }
    // x ticks (every column; every other one when crowded)
    let step_x = if cell_w < 60 { 2 } else { 1 };
    for (i, v) in h.x_values.iter().enumerate().step_by(step_x) {
        cv.text(
            &tick(*v),
            tick_font,
            (x0 + cell_w * i as i32 + cell_w / 2, y0 + cell_h * ny + 8),
            HPos::Center,
            VPos::Top,
        )?;
    }
    let step_y = if cell_h < 28 { 2 } else { 1 };
    for (j, v) in h.y_values.iter().enumerate().step_by(step_y) {
        let cy = y0 + cell_h * (ny - j as i32) - cell_h / 2;
        cv.text(
            &tick(*v),
            tick_font,
            (x0 - 10, cy),
            HPos::Right,
            VPos::Center,
        )?;
    }
    let desc = Font::regular(FONT_AXIS_DESC);
    let (xl, xf) = cv.fit_lines(&h.x_label, desc, x1 - x0, 1)?;
    if let Some(l) = xl.first() {
        cv.text(
            l,
            xf,
            ((x0 + x0 + cell_w * nx) / 2, y0 + cell_h * ny + 48),
            HPos::Center,
            VPos::Top,
        )?;
    }
    let (yl, yf) = cv.fit_lines(&h.y_label, desc, y1 - y0, 1)?;
    if let Some(l) = yl.first() {
        cv.text_up(
            l,
            yf,
            (LEFT - 90, (y0 + y0 + cell_h * ny) / 2),
            HPos::Center,
            VPos::Center,
        )?;
    }
    // colour bar: 0% at the bottom, 100% at the top
    let bx = w - RIGHT + 40;
    let (by0, by1) = (y0, y0 + cell_h * ny);
    let span = (by1 - by0).max(1);
    for k in 0..span {
        let v = 1.0 - f64::from(k) / f64::from(span);
        root.draw(&Rectangle::new(
            [(bx, by0 + k), (bx + BAR_W, by0 + k + 1)],
            colour(v).filled(),
        ))
        .map_err(draw_err)?;
    }
    root.draw(&Rectangle::new(
        [(bx, by0), (bx + BAR_W, by1)],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    for pct in [0, 25, 50, 75, 100] {
        let y = by1 - span * pct / 100;
        root.draw(&PathElement::new(
            vec![(bx + BAR_W, y), (bx + BAR_W + 6, y)],
            INK,
        ))
        .map_err(draw_err)?;
        cv.text(
            &format!("{pct}%"),
            tick_font,
            (bx + BAR_W + 10, y),
            HPos::Left,
            VPos::Center,
        )?;
    }
    let (bl, bf) = cv.fit_lines(
        &h.value_label,
        Font::regular(FONT_AXIS_DESC - 2),
        by1 - by0,
        1,
    )?;
    if let Some(l) = bl.first() {
        cv.text_up(
            l,
            bf,
            (bx + BAR_W + 88, (by0 + by1) / 2),
            HPos::Center,
            VPos::Center,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heatmap() -> Heatmap {
        Heatmap {
            title: "t".into(),
            x_label: "x (cells/kg)".into(),
            y_label: "y".into(),
            x_values: vec![1e5, 1e6, 1e7],
            y_values: vec![0.1, 0.5],
            values: vec![vec![0.1, 0.2], vec![0.5, f64::NAN], vec![0.9, 1.0]],
            value_label: "Remission".into(),
        }
    }

    #[test]
    fn renders_png_and_svg() {
        let png = render(&heatmap(), ImageFormat::Png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = String::from_utf8(render(&heatmap(), ImageFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains("90%") && svg.contains("x (cells/kg)"));
    }

    #[test]
    fn rejects_ragged_values() {
        let mut h = heatmap();
        h.values[1].pop();
        assert!(render(&h, ImageFormat::Png).is_err());
        h.values.clear();
        assert!(render(&h, ImageFormat::Png).is_err());
    }

    #[test]
    fn text_stays_readable_on_both_ends_of_the_scale() {
        assert_eq!(text_colour(colour(0.0)), WHITE);
        assert_eq!(text_colour(colour(1.0)), INK);
    }
}
