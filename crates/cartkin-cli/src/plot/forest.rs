//! Forest plots: one row per compared figure, the simulated value with its 95% CI and the
//! published value, each placed on the figure's own acceptance band so that rows with
//! different units can be read on one axis (0 = the band's lower edge, 1 = its upper edge;
//! ratios on a log scale). The left column names the figure, the right one gives the numbers
//! in their units and the verdict.

use anyhow::bail;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::ImageFormat;
use super::fonts;
use super::layout::{FONT_AXIS_DESC, FONT_FIG_TITLE, FONT_LEGEND, FONT_TICK, TITLE_H};
use super::palette::{GRID_MAJOR, INK, MUTED, series_color};
use super::text::{Canvas, Font, draw_err};

/// One row of a forest plot. Positions are in band units (0 and 1 are the band's edges).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForestRow {
    /// The figure, in words (left column).
    pub label: String,
    /// The numbers in their units and the verdict (right column).
    pub detail: String,
    /// Simulated value and its 95% CI, in band units.
    pub simulated: Option<(f64, Option<[f64; 2]>)>,
    /// Published value, in band units.
    pub published: Option<f64>,
    /// The row has a band (else it is listed, greyed, without marks).
    pub banded: bool,
    /// Inside the band.
    pub pass: bool,
}

/// A forest plot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forest {
    pub title: String,
    /// Axis description.
    pub x_label: String,
    pub rows: Vec<ForestRow>,
}

/// Shown range of the axis, in band units: a band and one band-width either side.
const AXIS: (f64, f64) = (-1.0, 2.0);
const WIDTH: i32 = 1800;
const ROW_H: i32 = 34;
const LABEL_W: i32 = 620;
const PLOT_W: i32 = 560;
const LEFT: i32 = 20;
const TOP: i32 = TITLE_H as i32 + 56;
const BOTTOM: i32 = 110;
/// Text of the rows.
const FONT_ROW: u32 = 16;

fn size(rows: usize) -> (u32, u32) {
    let h = TOP + ROW_H * i32::try_from(rows).unwrap_or(200) + BOTTOM;
    (WIDTH as u32, h.max(300) as u32)
}

/// Renders the forest plot to PNG or SVG bytes.
pub fn render(f: &Forest, format: ImageFormat) -> anyhow::Result<Vec<u8>> {
    if f.rows.is_empty() {
        bail!("forest plot {:?} has no rows", f.title);
    }
    if f.rows.len() > 200 {
        bail!("forest plot {:?}: at most 200 rows", f.title);
    }
    fonts::ensure_registered()?;
    match format {
        ImageFormat::Png => super::encode::png(f, size(f.rows.len())),
        ImageFormat::Svg => super::encode::svg(f, size(f.rows.len())),
    }
}

impl super::encode::Drawable for Forest {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()> {
        draw_forest(cv, self)
    }
}

/// Pixel x of a position in band units, clamped to the axis (the caller marks clamped marks).
fn px(x0: i32, v: f64) -> i32 {
    let t = (v.clamp(AXIS.0, AXIS.1) - AXIS.0) / (AXIS.1 - AXIS.0);
    x0 + (t * f64::from(PLOT_W)).round() as i32
}

fn draw_forest<DB: DrawingBackend>(cv: &Canvas<DB>, f: &Forest) -> anyhow::Result<()> {
    let root = cv.root;
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, h) = size(f.rows.len());
    let (w, h) = (w as i32, h as i32);
    let (lines, font) = cv.fit_lines(&f.title, Font::bold(FONT_FIG_TITLE), w - 40, 1)?;
    for line in lines {
        cv.text(
            &line,
            font,
            (w / 2, TITLE_H as i32 / 2 + 6),
            HPos::Center,
            VPos::Center,
        )?;
    }
    let x0 = LEFT + LABEL_W + 20;
    let x1 = x0 + PLOT_W;
    let y0 = TOP;
    let y1 = TOP + ROW_H * f.rows.len() as i32;
    // the band, shaded, and its edges
    root.draw(&Rectangle::new(
        [(px(x0, 0.0), y0), (px(x0, 1.0), y1)],
        RGBColor(232, 242, 232).filled(),
    ))
    .map_err(draw_err)?;
    for v in [0.0, 1.0] {
        root.draw(&PathElement::new(
            vec![(px(x0, v), y0), (px(x0, v), y1)],
            GRID_MAJOR.stroke_width(2),
        ))
        .map_err(draw_err)?;
    }
    let head = Font::bold(FONT_LEGEND);
    cv.text("Figure", head, (LEFT, y0 - 10), HPos::Left, VPos::Bottom)?;
    cv.text(
        "acceptance band",
        head,
        (px(x0, 0.5), y0 - 10),
        HPos::Center,
        VPos::Bottom,
    )?;
    cv.text(
        "Result: simulated (95% CI); published; band",
        head,
        (x1 + 20, y0 - 10),
        HPos::Left,
        VPos::Bottom,
    )?;
    let row_font = Font::regular(FONT_ROW);
    for (k, r) in f.rows.iter().enumerate() {
        let yc = y0 + ROW_H * k as i32 + ROW_H / 2;
        if k % 2 == 1 {
            root.draw(&Rectangle::new(
                [(LEFT - 10, yc - ROW_H / 2), (w - 10, yc + ROW_H / 2)],
                RGBColor(0, 0, 0).mix(0.035).filled(),
            ))
            .map_err(draw_err)?;
        }
        let ink = if r.banded { INK } else { MUTED };
        let label = cv.ellipsize(&r.label, row_font.with_color(ink), LABEL_W)?;
        cv.text(
            &label,
            row_font.with_color(ink),
            (LEFT, yc),
            HPos::Left,
            VPos::Center,
        )?;
        let verdict = if !r.banded {
            ink
        } else if r.pass {
            series_color(2)
        } else {
            series_color(1)
        };
        let detail = cv.ellipsize(&r.detail, row_font.with_color(verdict), w - (x1 + 20) - 20)?;
        cv.text(
            &detail,
            row_font.with_color(verdict),
            (x1 + 20, yc),
            HPos::Left,
            VPos::Center,
        )?;
        if let Some(p) = r.published.filter(|p| p.is_finite()) {
            let x = px(x0, p);
            let d = 7;
            root.draw(&Polygon::new(
                vec![(x, yc - d), (x + d, yc), (x, yc + d), (x - d, yc)],
                series_color(1).filled(),
            ))
            .map_err(draw_err)?;
        }
        if let Some((v, ci)) = r.simulated.filter(|s| s.0.is_finite()) {
            let colour = series_color(0);
            if let Some([lo, hi]) = ci.filter(|c| c[0].is_finite() && c[1].is_finite()) {
                root.draw(&PathElement::new(
                    vec![(px(x0, lo), yc), (px(x0, hi), yc)],
                    colour.stroke_width(2),
                ))
                .map_err(draw_err)?;
                for e in [lo, hi] {
                    let x = px(x0, e);
                    root.draw(&PathElement::new(
                        vec![(x, yc - 5), (x, yc + 5)],
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?;
                }
            }
            let x = px(x0, v);
            if v < AXIS.0 || v > AXIS.1 {
                // off the axis: an arrowhead at the edge, pointing where the value lies
                let s = if v < AXIS.0 { -1 } else { 1 };
                root.draw(&Polygon::new(
                    vec![(x + s * 9, yc), (x - s * 3, yc - 8), (x - s * 3, yc + 8)],
                    colour.filled(),
                ))
                .map_err(draw_err)?;
            } else {
                root.draw(&Circle::new((x, yc), 6, colour.filled()))
                    .map_err(draw_err)?;
            }
        }
    }
    // axis with ticks at the band edges and one band-width outside
    root.draw(&PathElement::new(
        vec![(x0, y1), (x1, y1)],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let tick_font = Font::regular(FONT_TICK);
    for (v, label) in [
        (-1.0, "−1 band width"),
        (0.0, "lower edge"),
        (1.0, "upper edge"),
        (2.0, "+1 band width"),
    ] {
        let x = px(x0, v);
        root.draw(&PathElement::new(vec![(x, y1), (x, y1 + 6)], INK))
            .map_err(draw_err)?;
        let anchor = if v < 0.0 {
            HPos::Left
        } else if v > 1.5 {
            HPos::Right
        } else {
            HPos::Center
        };
        cv.text(label, tick_font, (x, y1 + 10), anchor, VPos::Top)?;
    }
    let (xl, xf) = cv.fit_lines(&f.x_label, Font::regular(FONT_AXIS_DESC), PLOT_W + 300, 1)?;
    if let Some(l) = xl.first() {
        cv.text(l, xf, ((x0 + x1) / 2, y1 + 40), HPos::Center, VPos::Top)?;
    }
    // legend
    let ly = h - 28;
    let lx = LEFT;
    root.draw(&Circle::new((lx + 6, ly), 6, series_color(0).filled()))
        .map_err(draw_err)?;
    cv.text(
        "simulated, 95% CI (arrowhead: off the axis)",
        Font::regular(FONT_LEGEND),
        (lx + 20, ly),
        HPos::Left,
        VPos::Center,
    )?;
    let lx2 = lx + 440;
    root.draw(&Polygon::new(
        vec![
            (lx2 + 6, ly - 7),
            (lx2 + 13, ly),
            (lx2 + 6, ly + 7),
            (lx2 - 1, ly),
        ],
        series_color(1).filled(),
    ))
    .map_err(draw_err)?;
    cv.text(
        "published",
        Font::regular(FONT_LEGEND),
        (lx2 + 20, ly),
        HPos::Left,
        VPos::Center,
    )?;
    let lx3 = lx2 + 140;
    root.draw(&Rectangle::new(
        [(lx3, ly - 8), (lx3 + 24, ly + 8)],
        RGBColor(232, 242, 232).filled(),
    ))
    .map_err(draw_err)?;
    cv.text(
        "acceptance band (grey rows: not judged)",
        Font::regular(FONT_LEGEND),
        (lx3 + 32, ly),
        HPos::Left,
        VPos::Center,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_png_and_svg_with_off_axis_values() {
        let f = Forest {
            title: "t".into(),
            x_label: "position in band".into(),
            rows: vec![
                ForestRow {
                    label: "a".into(),
                    detail: "1 vs 2 — pass".into(),
                    simulated: Some((0.5, Some([0.2, 0.8]))),
                    published: Some(0.5),
                    banded: true,
                    pass: true,
                },
                ForestRow {
                    label: "b".into(),
                    detail: "FAIL".into(),
                    simulated: Some((40.0, Some([-3.0, 50.0]))),
                    published: None,
                    banded: true,
                    pass: false,
                },
                ForestRow {
                    label: "c".into(),
                    detail: "not simulated".into(),
                    ..Default::default()
                },
            ],
        };
        let png = render(&f, ImageFormat::Png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = String::from_utf8(render(&f, ImageFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains("not simulated"));
        assert!(render(&Forest::default(), ImageFormat::Png).is_err());
    }
}
