//! Rendering into the two output encodings: PNG (drawn into a pixel buffer, encoded in memory
//! with the `image` crate plotters uses) and SVG (drawn straight into a `String`). What can be
//! drawn implements [`Drawable`] in its own module.

use anyhow::Context;
use plotters::prelude::*;

use super::text::{Canvas, GlyphMode, draw_err};

/// Something drawn on a canvas of either encoding.
pub(crate) trait Drawable {
    fn draw<DB: DrawingBackend>(&self, cv: &Canvas<DB>) -> anyhow::Result<()>;
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

/// PNG bytes of the drawing, encoded in memory (the encoder and settings plotters uses when it
/// saves a file, so the bytes are the same; no temporary file to leave behind).
pub(crate) fn png(fig: &impl Drawable, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let (w, h) = size;
    let mut rgb = vec![0u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        let canvas = Canvas {
            root: &root,
            mode: GlyphMode::PerGlyph,
        };
        fig.draw(&canvas)?;
        root.present().map_err(draw_err)?;
    }
    let image = image::RgbImage::from_raw(w, h, rgb)
        .context("the drawing's pixel buffer does not match its size")?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageOutputFormat::Png)
        .context("encoding the PNG")?;
    Ok(bytes.into_inner())
}
