//! Registration of the embedded DejaVu Sans font for plotters' ab_glyph text renderer.
//!
//! Without this, both backends fail with `FontUnavailable` (SVG too: it needs metrics for
//! layout). Every element we draw uses the family [`FAMILY`]; plotters' default family
//! "sans-serif" is registered as well.
//!
//! [`FAMILY`] is written verbatim into SVG `font-family` attributes, so it is a CSS font list:
//! SVG viewers use DejaVu Sans when installed, else the metrically similar Verdana, else their
//! sans-serif font. The layout was computed with DejaVu Sans metrics.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// The font family used for all text (a CSS font list, see the module docs).
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Register DejaVu Sans (regular and bold) for [`FAMILY`], once per process.
pub(crate) fn ensure_registered() -> anyhow::Result<()> {
    REGISTERED
        .get_or_init(register_all)
        .clone()
        .map_err(anyhow::Error::msg)
}

fn register_all() -> Result<(), String> {
    for family in [FAMILY, "sans-serif"] {
        // `InvalidFont` is not Debug/Display: map it to a message.
        register_font(family, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "embedded DejaVu Sans (regular) could not be parsed".to_string())?;
        register_font(family, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| "embedded DejaVu Sans (bold) could not be parsed".to_string())?;
    }
    Ok(())
}
