//! Left side bearings of the embedded fonts, read from their `cmap`/`hmtx` tables.
//!
//! plotters 0.3.7's ab_glyph renderer draws every glyph at its ink box instead of at
//! "pen position + left side bearing", which makes bitmap text unevenly spaced (reference
//! §3.2, e.g. "CAR-T infusion" looks like "CAR-Tinfusion"). `text.rs` therefore draws bitmap
//! text glyph by glyph and shifts each glyph by the bearing returned here. SVG text is
//! laid out by the viewer and needs no correction.
//!
//! The parser reads only what it needs and never panics: any unexpected table layout yields
//! `None` and the text is drawn without correction.

use std::sync::OnceLock;

/// The few tables of a TrueType font needed for side bearings.
#[derive(Debug)]
pub(crate) struct Face {
    data: &'static [u8],
    /// Offset of the `hmtx` table and number of long metrics in it.
    hmtx: usize,
    num_h_metrics: u16,
    /// Offset and format (4 or 12) of the Unicode `cmap` subtable.
    cmap: usize,
    cmap_format: u16,
    /// `ascender - descender` from `hhea`: ab_glyph scales this height to the pixel size.
    height_units: f64,
}

static REGULAR: OnceLock<Option<Face>> = OnceLock::new();
static BOLD: OnceLock<Option<Face>> = OnceLock::new();

/// Metrics of the embedded DejaVu Sans face (regular or bold), if they could be parsed.
pub(crate) fn face(bold: bool) -> Option<&'static Face> {
    if bold {
        BOLD.get_or_init(|| Face::parse(dejavu::sans::bold()))
            .as_ref()
    } else {
        REGULAR
            .get_or_init(|| Face::parse(dejavu::sans::regular()))
            .as_ref()
    }
}

impl Face {
    pub(crate) fn parse(data: &'static [u8]) -> Option<Face> {
        let table = |tag: &[u8; 4]| -> Option<usize> {
            let num_tables = usize::from(u16_at(data, 4)?);
            (0..num_tables).find_map(|i| {
                let rec = 12 + 16 * i;
                (data.get(rec..rec + 4)? == tag).then_some(())?;
                usize::try_from(u32_at(data, rec + 8)?).ok()
            })
        };
        let hhea = table(b"hhea")?;
        let ascender = f64::from(i16_at(data, hhea + 4)?);
        let descender = f64::from(i16_at(data, hhea + 6)?);
        let num_h_metrics = u16_at(data, hhea + 34)?;
        let hmtx = table(b"hmtx")?;
        let (cmap, cmap_format) = unicode_cmap(data, table(b"cmap")?)?;
        let height_units = ascender - descender;
        (height_units > 0.0 && num_h_metrics > 0).then_some(Face {
            data,
            hmtx,
            num_h_metrics,
            cmap,
            cmap_format,
            height_units,
        })
    }

    /// Left side bearing of `c` in pixels at font size `size` (as plotters/ab_glyph scale it),
    /// rounded down like ab_glyph's pixel bounds.
    pub(crate) fn lsb_px(&self, c: char, size: f64) -> Option<i32> {
        let g = self.glyph_id(c)?;
        let lsb = if g < self.num_h_metrics {
            i16_at(self.data, self.hmtx + 4 * usize::from(g) + 2)?
        } else {
            let long = 4 * usize::from(self.num_h_metrics);
            i16_at(
                self.data,
                self.hmtx + long + 2 * usize::from(g - self.num_h_metrics),
            )?
        };
        Some((f64::from(lsb) * size / self.height_units).floor() as i32)
    }

    /// Advance width of `c` in font units (used by tests to check the scale).
    #[cfg(test)]
    pub(crate) fn advance_px(&self, c: char, size: f64) -> Option<f64> {
        let g = self.glyph_id(c)?.min(self.num_h_metrics - 1);
        let adv = u16_at(self.data, self.hmtx + 4 * usize::from(g))?;
        Some(f64::from(adv) * size / self.height_units)
    }

    fn glyph_id(&self, c: char) -> Option<u16> {
        let code = u32::from(c);
        let d = self.data;
        let sub = self.cmap;
        let g = match self.cmap_format {
            4 => {
                let code = u16::try_from(code).ok()?;
                let seg_x2 = usize::from(u16_at(d, sub + 6)?);
                let ends = sub + 14;
                let starts = ends + seg_x2 + 2;
                let deltas = starts + seg_x2;
                let ranges = deltas + seg_x2;
                let i = (0..seg_x2 / 2)
                    .find(|&i| u16_at(d, ends + 2 * i).is_some_and(|e| code <= e))?;
                let start = u16_at(d, starts + 2 * i)?;
                if code < start {
                    return None;
                }
                let delta = u16_at(d, deltas + 2 * i)?;
                let range = usize::from(u16_at(d, ranges + 2 * i)?);
                if range == 0 {
                    code.wrapping_add(delta)
                } else {
                    let at = ranges + 2 * i + range + 2 * usize::from(code - start);
                    match u16_at(d, at)? {
                        0 => 0,
                        g => g.wrapping_add(delta),
                    }
                }
            }
            12 => {
                // Bounded by the data length, whatever the header claims.
                let groups = usize::try_from(u32_at(d, sub + 12)?)
                    .ok()?
                    .min(d.len() / 12);
                (0..groups).find_map(|i| {
                    let rec = sub + 16 + 12 * i;
                    let (first, last) = (u32_at(d, rec)?, u32_at(d, rec + 4)?);
                    (first..=last).contains(&code).then_some(())?;
                    let g = u32_at(d, rec + 8)?.checked_add(code - first)?;
                    u16::try_from(g).ok()
                })?
            }
            _ => return None,
        };
        (g != 0).then_some(g)
    }
}

/// Offset and format of the best Unicode subtable: (3,10) format 12, else (3,1) or (0,*)
/// format 4.
fn unicode_cmap(d: &[u8], cmap: usize) -> Option<(usize, u16)> {
    let n = usize::from(u16_at(d, cmap + 2)?);
    let subtables: Vec<(u16, u16, usize)> = (0..n)
        .filter_map(|i| {
            let rec = cmap + 4 + 8 * i;
            let offset = cmap + usize::try_from(u32_at(d, rec + 4)?).ok()?;
            Some((u16_at(d, rec)?, u16_at(d, rec + 2)?, offset))
        })
        .collect();
    let with_format = |want: u16, ok: &dyn Fn(u16, u16) -> bool| {
        subtables
            .iter()
            .find_map(|&(p, e, off)| (ok(p, e) && u16_at(d, off)? == want).then_some((off, want)))
    };
    with_format(12, &|p, e| p == 3 && e == 10)
        .or_else(|| with_format(4, &|p, e| (p == 3 && e == 1) || p == 0))
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn i16_at(d: &[u8], at: usize) -> Option<i16> {
    u16_at(d, at).map(|v| i16::from_be_bytes(v.to_be_bytes()))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_embedded_faces() {
        for bold in [false, true] {
            let f = face(bold).expect("DejaVu metrics");
            // 'i' and 'n' have a clear positive bearing, 'j' a negative one in DejaVu Sans.
            assert!(f.lsb_px('n', 100.0).is_some_and(|v| v > 0));
            assert!(f.lsb_px('i', 100.0).is_some_and(|v| v > 0));
            assert!(f.lsb_px('j', 100.0).is_some_and(|v| v < 0));
            assert!(f.lsb_px('\u{2212}', 100.0).is_some());
        }
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        assert!(Face::parse(&[]).is_none());
        assert!(Face::parse(&[0, 1, 0, 0, 0, 9]).is_none());
        static JUNK: [u8; 64] = [0xff; 64];
        assert!(Face::parse(&JUNK).is_none());
    }
}
