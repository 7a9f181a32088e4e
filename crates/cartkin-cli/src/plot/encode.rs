//! Rendering into the two output encodings.
//!
//! PNG: plotters' bitmap backend can only encode (through the `image` crate it already
//! depends on) when writing to a path, so the image is written to a private temporary
//! directory and read back. SVG is rendered straight into a `String`.

use anyhow::Context;
use plotters::prelude::*;

use super::Figure;
use super::heatmap::{Heatmap, draw_heatmap};
use super::render::draw_figure;
use super::text::{Canvas, GlyphMode, draw_err};

/// Something drawn on a canvas of either encoding.
pub(crate) trait Drawable {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()>;
}

impl Drawable for Figure {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()> {
        draw_figure(cv, self)
    }
}

impl Drawable for Heatmap {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()> {
        draw_heatmap(cv, self)
    }
}

/// SVG text of the drawing.
pub(crate) fn svg(fig: &impl Drawable, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let canvas = Canvas {
            root: &root,
            mode: GlyphMode::Whole,
        };
        fig.draw(&canvas)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out.into_bytes())
}

/// PNG bytes of the drawing.
pub(crate) fn png(fig: &impl Drawable, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let dir = tempfile::Builder::new()
        .prefix("cartkin-plot-")
        .tempdir()
        .context("creating a temporary directory for PNG encoding")?;
    let path = dir.path().join("figure.png");
    {
        let root = BitMapBackend::new(&path, size).into_drawing_area();
        let canvas = Canvas {
            root: &root,
            mode: GlyphMode::PerGlyph,
        };
        fig.draw(&canvas)?;
        root.present().map_err(draw_err)?;
    }
    std::fs::read(&path).with_context(|| format!("reading back the PNG from {}", path.display()))
}
