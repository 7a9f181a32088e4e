//! Publication-quality multi-panel time-course figures (PNG or SVG).
//!
//! The caller describes a [`Figure`] (shared time axis, one [`Panel`] per quantity, optional
//! thresholds and event markers) and [`render`] returns the encoded image bytes.
//!
//! Decisions are made in plain, unit-tested Rust: `layout` (grid, sizes), `axes` (ranges,
//! ticks, labels), `segments` (line breaking and clipping), `events` (merging, label rows),
//! `legend` and `thresholds` (placement avoiding the data). Drawing goes through plotters in
//! `render` (figure), `panel` (one panel), `event_band` (event labels) and `text` (fonts,
//! superscripts, and the per-glyph workaround for plotters' bitmap text spacing, see `glyphs`).
//!
//! Log axes are drawn as a linear axis of `log10(value)` (`coord`), so non-positive or
//! non-finite values never reach a plotters log scale (pitfall P-log-axis): they break the line.

mod axes;
mod coord;
mod encode;
mod event_band;
mod events;
mod fonts;
mod glyphs;
mod layout;
mod legend;
mod palette;
mod panel;
mod render;
mod segments;
mod text;
mod thresholds;

#[cfg(test)]
mod tests;

use anyhow::{Context, bail};

/// One line in a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
    pub dashed: bool,
}

/// A horizontal reference line (e.g. MRD 1e-4, 5% blasts).
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
}

/// One plot of the figure: several series sharing a y axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// e.g. "CAR-T cells"
    pub title: String,
    /// with unit, e.g. "cells" or "IL-6 (pg/mL)"
    pub y_label: String,
    pub log_y: bool,
    /// each `values.len() == Figure::times.len()`
    pub series: Vec<Series>,
    pub thresholds: Vec<Threshold>,
}

/// A vertical marker for a discrete event (infusion, extinction, remission, relapse ...).
#[derive(Clone, Debug, PartialEq)]
pub struct EventMarker {
    pub time: f64,
    pub label: String,
}

/// A multi-panel figure with a shared time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub title: String,
    /// e.g. "Time since CAR-T infusion (days)"
    pub x_label: String,
    pub times: Vec<f64>,
    pub panels: Vec<Panel>,
    pub events: Vec<EventMarker>,
}

/// Output encoding of [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

/// Render to bytes in memory (PNG-encoded or SVG text); the caller writes the file atomically.
///
/// Errors (never panics) when the figure has no panels, no finite time point, or a series whose
/// length differs from `times`. Output is deterministic: the same figure gives the same bytes.
pub fn render(fig: &Figure, format: ImageFormat) -> anyhow::Result<Vec<u8>> {
    validate(fig)?;
    fonts::ensure_registered()?;
    let size = layout::figure_size(fig.panels.len(), layout::title_height(&fig.title));
    let bytes = match format {
        ImageFormat::Svg => encode::svg(fig, size),
        ImageFormat::Png => encode::png(fig, size),
    };
    bytes.with_context(|| format!("rendering figure {:?} as {format:?}", fig.title))
}

/// Reject inputs that cannot be drawn meaningfully, with a message naming the culprit.
fn validate(fig: &Figure) -> anyhow::Result<()> {
    if fig.panels.is_empty() {
        bail!("figure {:?} has no panels to draw", fig.title);
    }
    if fig.panels.len() > layout::MAX_PANELS {
        bail!(
            "figure {:?} has {} panels; at most {} are supported",
            fig.title,
            fig.panels.len(),
            layout::MAX_PANELS
        );
    }
    if !fig.times.iter().any(|t| t.is_finite()) {
        bail!(
            "figure {:?} has no finite time points ({} given)",
            fig.title,
            fig.times.len()
        );
    }
    for panel in &fig.panels {
        for series in &panel.series {
            if series.values.len() != fig.times.len() {
                bail!(
                    "panel {:?}, series {:?}: {} values but {} time points",
                    panel.title,
                    series.label,
                    series.values.len(),
                    fig.times.len()
                );
            }
        }
    }
    Ok(())
}
