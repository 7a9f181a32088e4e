//! Text: fonts, measuring, fitting into a width, drawing (with the bitmap spacing fix) and
//! "10^k" tick labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::TickLabel;
use super::fonts::FAMILY;
use super::glyphs;
use super::layout::{FONT_MIN, FONT_SUPERSCRIPT, FONT_TICK};
use super::palette::INK;

/// The root drawing area (pixel coordinates of the whole image).
pub(crate) type Area<DB> = DrawingArea<DB, Shift>;

/// Convert any plotters drawing error into an `anyhow::Error`.
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plot drawing failed: {e}")
}

/// Saturating u32 -> i32 for pixel sizes.
pub(crate) fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// How text is handed to plotters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GlyphMode {
    /// One call per string (SVG: the viewer lays the text out).
    Whole,
    /// One call per glyph, shifted by its side bearing (bitmap: works around plotters'
    /// ab_glyph placement, see `glyphs`).
    PerGlyph,
}

/// Size, weight and colour of a piece of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Font {
    pub size: u32,
    pub bold: bool,
    pub color: RGBColor,
}

impl Font {
    pub(crate) fn regular(size: u32) -> Font {
        Font {
            size,
            bold: false,
            color: INK,
        }
    }

    pub(crate) fn bold(size: u32) -> Font {
        Font {
            bold: true,
            ..Font::regular(size)
        }
    }

    pub(crate) fn with_color(self, color: RGBColor) -> Font {
        Font { color, ..self }
    }

    pub(crate) fn with_size(self, size: u32) -> Font {
        Font { size, ..self }
    }

    fn style(&self) -> TextStyle<'static> {
        // `FontDesc::style()` would keep the regular face's data: create the desc with the
        // wanted style so the bold face is actually used.
        let weight = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FAMILY), f64::from(self.size), weight).color(&self.color)
    }
}

/// The image being drawn, plus how text must be drawn on it.
pub(crate) struct Canvas<'a, DB: DrawingBackend> {
    pub root: &'a Area<DB>,
    pub mode: GlyphMode,
}

/// Vertical distance between the centre of a "10^k" base and the centre of its exponent.
const SUPERSCRIPT_RAISE: i32 = 7;

impl<DB: DrawingBackend> Canvas<'_, DB> {
    /// Width and height of `text` in pixels.
    pub(crate) fn measure(&self, text: &str, font: Font) -> anyhow::Result<(i32, i32)> {
        if text.is_empty() {
            return Ok((0, 0));
        }
        let (w, h) = self
            .root
            .estimate_text_size(text, &font.style())
            .map_err(draw_err)?;
        Ok((to_i32(w), to_i32(h)))
    }

    /// Draw horizontal text anchored at `(x, y)`.
    pub(crate) fn text(
        &self,
        text: &str,
        font: Font,
        (x, y): (i32, i32),
        h: HPos,
        v: VPos,
    ) -> anyhow::Result<()> {
        self.draw(text, font, (x, y), (h, v), false)
    }

    /// Draw text reading bottom to top (rotated 270 degrees), anchored at `(x, y)`; the
    /// anchor refers to the unrotated text box (`HPos` along the text, `VPos` across it).
    pub(crate) fn text_up(
        &self,
        text: &str,
        font: Font,
        (x, y): (i32, i32),
        h: HPos,
        v: VPos,
    ) -> anyhow::Result<()> {
        self.draw(text, font, (x, y), (h, v), true)
    }

    fn draw(
        &self,
        text: &str,
        font: Font,
        at: (i32, i32),
        (h, v): (HPos, VPos),
        up: bool,
    ) -> anyhow::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let style = font.style();
        let style = if up {
            style.transform(FontTransform::Rotate270)
        } else {
            style
        };
        let face = glyphs::face(font.bold);
        let Some(face) = face.filter(|_| self.mode == GlyphMode::PerGlyph) else {
            return self
                .root
                .draw_text(text, &style.pos(Pos::new(h, v)), at)
                .map_err(draw_err);
        };
        // Offsets of the unrotated text box relative to the anchor (as plotters computes them).
        let (w, ht) = self.measure(text, font)?;
        let dx = match h {
            HPos::Left => 0,
            HPos::Center => -w / 2,
            HPos::Right => -w,
        };
        let dy = match v {
            VPos::Top => 0,
            VPos::Center => -ht / 2,
            VPos::Bottom => -ht,
        };
        let glyph_style = style.pos(Pos::new(HPos::Left, VPos::Top));
        let mut prefix = String::with_capacity(text.len());
        let mut buf = [0u8; 4];
        for c in text.chars() {
            prefix.push(c);
            if c.is_whitespace() {
                continue;
            }
            let glyph: &str = c.encode_utf8(&mut buf);
            // Pen position of `c`: width up to and including it, minus its own advance
            // (so kerning with the previous glyph is kept).
            let pen = self.measure(&prefix, font)?.0 - self.measure(glyph, font)?.0;
            let along = dx + pen + face.lsb_px(c, f64::from(font.size)).unwrap_or(0);
            let pos = if up {
                (at.0 + dy, at.1 - along)
            } else {
                (at.0 + along, at.1 + dy)
            };
            self.root
                .draw_text(glyph, &glyph_style, pos)
                .map_err(draw_err)?;
        }
        Ok(())
    }

    /// Fit `text` into `max_w` pixels using at most `max_lines` lines: shrink the font down
    /// to [`FONT_MIN`], then break at the space nearest the middle, then shorten with an
    /// ellipsis. Returns the lines and the font to use.
    pub(crate) fn fit_lines(
        &self,
        text: &str,
        font: Font,
        max_w: i32,
        max_lines: usize,
    ) -> anyhow::Result<(Vec<String>, Font)> {
        let text = text.trim();
        let sizes: Vec<Font> = (FONT_MIN.min(font.size)..=font.size)
            .rev()
            .map(|s| font.with_size(s))
            .collect();
        for &f in &sizes {
            if self.measure(text, f)?.0 <= max_w {
                return Ok((vec![text.to_string()], f));
            }
        }
        if max_lines >= 2
            && let Some((a, b)) = split_middle(text)
        {
            for &f in &sizes {
                if self.measure(a, f)?.0 <= max_w && self.measure(b, f)?.0 <= max_w {
                    return Ok((vec![a.to_string(), b.to_string()], f));
                }
            }
        }
        let f = font.with_size(FONT_MIN.min(font.size));
        Ok((vec![self.ellipsize(text, f, max_w)?], f))
    }

    /// `text` unchanged if it fits `max_w`, else shortened with a trailing ellipsis.
    pub(crate) fn ellipsize(&self, text: &str, font: Font, max_w: i32) -> anyhow::Result<String> {
        if self.measure(text, font)?.0 <= max_w {
            return Ok(text.to_string());
        }
        // No glyph is narrower than ~3 px at the sizes used: drop the hopeless tail first.
        let keep = usize::try_from(max_w / 3 + 1).unwrap_or(0);
        let mut chars: Vec<char> = text.chars().take(keep).collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate = chars.iter().collect::<String>().trim_end().to_string() + "\u{2026}";
            if self.measure(&candidate, font)?.0 <= max_w {
                return Ok(candidate);
            }
        }
        Ok(String::new())
    }

    /// Pixel size (width, height) of a tick label, superscript included.
    pub(crate) fn tick_label_size(&self, label: &TickLabel) -> anyhow::Result<(i32, i32)> {
        let (bw, bh) = self.measure(&label.base, Font::regular(FONT_TICK))?;
        match label.exp_text() {
            None => Ok((bw, bh)),
            Some(e) => {
                let (ew, _) = self.measure(&e, Font::regular(FONT_SUPERSCRIPT))?;
                Ok((bw + 1 + ew, bh + SUPERSCRIPT_RAISE))
            }
        }
    }

    /// Draw a tick label. `(x, y)` is the anchor: with `HPos::Right` the right edge, vertically
    /// centred on y (y axis); otherwise the top centre (`HPos::Center`, x axis) or top left.
    pub(crate) fn tick_label(
        &self,
        label: &TickLabel,
        (x, y): (i32, i32),
        h: HPos,
    ) -> anyhow::Result<()> {
        let base_font = Font::regular(FONT_TICK);
        let sup_font = Font::regular(FONT_SUPERSCRIPT);
        let (bw, bh) = self.measure(&label.base, base_font)?;
        let exp = label.exp_text();
        let ew = match &exp {
            Some(e) => self.measure(e, sup_font)?.0 + 1,
            None => 0,
        };
        if matches!(h, HPos::Right) {
            // Right-aligned (y axis): anchor both parts at their right edges, so the labels
            // of an axis line up even where the SVG viewer's font is narrower.
            if let Some(e) = &exp {
                self.text(
                    e,
                    sup_font,
                    (x, y - SUPERSCRIPT_RAISE),
                    HPos::Right,
                    VPos::Center,
                )?;
            }
            return self.text(
                &label.base,
                base_font,
                (x - ew, y),
                HPos::Right,
                VPos::Center,
            );
        }
        let total = bw + ew;
        let left = match h {
            HPos::Center => x - total / 2,
            _ => x,
        };
        // Vertical centre of the base text (x labels hang below `y`).
        let centre = y + bh / 2 + if exp.is_some() { SUPERSCRIPT_RAISE } else { 0 };
        self.text(
            &label.base,
            base_font,
            (left, centre),
            HPos::Left,
            VPos::Center,
        )?;
        if let Some(e) = exp {
            self.text(
                &e,
                sup_font,
                (left + bw + 1, centre - SUPERSCRIPT_RAISE),
                HPos::Left,
                VPos::Center,
            )?;
        }
        Ok(())
    }
}

/// Split at the space closest to the middle of the text.
fn split_middle(text: &str) -> Option<(&str, &str)> {
    let mid = text.len() / 2;
    let (i, _) = text
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .min_by_key(|&(i, _)| i.abs_diff(mid))?;
    // ok: `i` is the byte index of a ' ', a char boundary
    Some((text[..i].trim_end(), text[i..].trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_at_middle_space() {
        assert_eq!(
            split_middle("Leukemic burden (fraction)"),
            Some(("Leukemic burden", "(fraction)"))
        );
        assert_eq!(split_middle("nospace"), None);
    }

    #[test]
    fn glyph_scale_matches_plotters_layout() {
        super::super::fonts::ensure_registered().expect("fonts");
        let mut buf = vec![0u8; 3 * 200 * 50];
        let root = BitMapBackend::with_buffer(&mut buf, (200, 50)).into_drawing_area();
        let cv = Canvas {
            root: &root,
            mode: GlyphMode::PerGlyph,
        };
        for bold in [false, true] {
            let font = Font {
                size: 100,
                bold,
                color: INK,
            };
            let face = glyphs::face(bold).expect("metrics");
            let w = f64::from(cv.measure("MMMMMMMMMM", font).expect("measure").0);
            let predicted = 10.0 * face.advance_px('M', 100.0).expect("advance");
            assert!((w - predicted).abs() <= 2.0, "{w} vs {predicted}");
        }
        // bold and regular really differ
        let regular = cv.measure("Bold text", Font::regular(20)).expect("m").0;
        let bold = cv.measure("Bold text", Font::bold(20)).expect("m").0;
        assert!(bold > regular, "{bold} <= {regular}");
    }
}
