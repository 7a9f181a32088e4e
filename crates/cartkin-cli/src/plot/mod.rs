//! Publication-quality multi-panel figures (PNG or SVG): time courses and fitting plots.
//!
//! The caller describes a [`Figure`] (shared time axis, one [`Panel`] per quantity, optional
//! thresholds, reference lines and event markers) and [`render`] returns the encoded image
//! bytes. Series are lines, points or both ([`SeriesStyle`]), over the figure's times or their
//! own x values, so the same module draws observed data over fitted curves, observed vs
//! predicted (log-log with an identity [`ReferenceLine`]), residuals and likelihood profiles.
//!
//! Decisions are made in plain, unit-tested Rust: `layout` (grid, sizes), `ranges` (which
//! data decide a panel's axes), `axes` (ranges, ticks, labels), `segments` (line breaking and
//! clipping), `events` (merging, label rows), `legend` and `thresholds` (placement avoiding
//! the data). Drawing goes through plotters in `render` (figure), `panel` (one panel),
//! `event_band` (event labels) and `text` (fonts, superscripts, and the per-glyph workaround
//! for plotters' bitmap text spacing, see `glyphs`).
//!
//! Log axes are drawn as a linear axis of `log10(value)` (`coord`), so non-positive or
//! non-finite values never reach a plotters log scale (pitfall P-log-axis): they break the
//! line, and such points are not drawn.

mod axes;
mod coord;
mod encode;
mod event_band;
mod events;
mod fonts;
pub mod forest;
mod glyphs;
pub mod heatmap;
mod layout;
mod legend;
mod palette;
mod panel;
mod ranges;
mod render;
mod segments;
mod text;
mod thresholds;

#[cfg(test)]
mod tests;

use anyhow::{Context, bail};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A line through the points (an isolated drawable point becomes a small dot).
    #[default]
    Line,
    /// Filled circles only (e.g. observed data).
    Points,
    /// A line with a filled circle at every point.
    #[allow(
        dead_code,
        reason = "public API for fitting plots; not every binary uses it"
    )]
    LineAndPoints,
}

/// One data series of a panel: a line, points, or both.
///
/// Build it with [`Series::line`], [`Series::points`] or [`Series::xy_line`], or with a
/// struct literal ending in `..Default::default()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Legend text; an empty (or blank) label gives no legend entry.
    pub label: String,
    /// y values; `values.len()` equals `x.len()`, or `Figure::times.len()` when `x` is `None`.
    pub values: Vec<f64>,
    /// Dashed line (ignored for [`SeriesStyle::Points`]).
    pub dashed: bool,
    /// Own x values of the series; `None` uses `Figure::times`.
    pub x: Option<Vec<f64>>,
    pub style: SeriesStyle,
    /// Palette index overriding the series' position (so that, e.g., a confidence band's two
    /// lines share their curve's colour).
    pub colour: Option<usize>,
}

#[allow(
    dead_code,
    reason = "public API for fitting plots; not every binary uses it"
)]
impl Series {
    /// A solid line over `Figure::times`.
    pub fn line(label: impl Into<String>, values: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            values,
            ..Default::default()
        }
    }

    /// Filled circles at their own x values (e.g. observations).
    pub fn points(label: impl Into<String>, x: Vec<f64>, values: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            values,
            x: Some(x),
            style: SeriesStyle::Points,
            ..Default::default()
        }
    }

    /// A solid line at its own x values (e.g. a fitted curve on its own grid).
    pub fn xy_line(label: impl Into<String>, x: Vec<f64>, values: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            values,
            x: Some(x),
            ..Default::default()
        }
    }

    /// A series in `style` at its own x values, from (x, y) pairs.
    pub fn from_pairs(label: impl Into<String>, pairs: &[(f64, f64)], style: SeriesStyle) -> Self {
        Series {
            label: label.into(),
            x: Some(pairs.iter().map(|p| p.0).collect()),
            values: pairs.iter().map(|p| p.1).collect(),
            style,
            ..Default::default()
        }
    }

    /// The same series in palette colour `colour` (e.g. a band's lines in their curve's colour).
    pub fn with_colour(self, colour: usize) -> Self {
        Series {
            colour: Some(colour),
            ..self
        }
    }

    /// The same series drawn in `style`.
    pub fn with_style(self, style: SeriesStyle) -> Self {
        Series { style, ..self }
    }

    /// The same series with a dashed line.
    pub fn dashed(self) -> Self {
        Series {
            dashed: true,
            ..self
        }
    }
}

/// A horizontal reference line (e.g. MRD 1e-4, 5% blasts), labelled next to the line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
}

/// A thin dashed grey segment between two points in data coordinates (e.g. the identity
/// line y = x of an observed-vs-predicted plot). It is drawn straight between the mapped end
/// points, so y = x is straight on log-log axes, and is clipped to the plot area. A
/// non-empty label goes to the panel legend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferenceLine {
    pub label: String,
    pub from: (f64, f64),
    pub to: (f64, f64),
}

#[allow(
    dead_code,
    reason = "public API for fitting plots; not every binary uses it"
)]
impl ReferenceLine {
    pub fn new(label: impl Into<String>, from: (f64, f64), to: (f64, f64)) -> Self {
        ReferenceLine {
            label: label.into(),
            from,
            to,
        }
    }

    /// The identity line y = x from `lo` to `hi` (both axes then cover `[lo, hi]`).
    pub fn identity(label: impl Into<String>, lo: f64, hi: f64) -> Self {
        ReferenceLine::new(label, (lo, lo), (hi, hi))
    }
}

/// One plot of the figure: several series sharing the x and y axes.
///
/// Axis ranges come from the data of all series (their own x or `Figure::times`),
/// thresholds and reference lines, unless fixed by `x_range` / `y_range` (data units,
/// `lo < hi`, both positive on a log axis). Panels with points get a little room at the
/// edges so no circle is cut in half.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panel {
    /// e.g. "CAR-T cells"
    pub title: String,
    /// with unit, e.g. "cells" or "IL-6 (pg/mL)"
    pub y_label: String,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub thresholds: Vec<Threshold>,
    /// log10 x axis with decade ticks.
    pub log_x: bool,
    /// x axis description of this panel (with unit); `None` uses `Figure::x_label`.
    ///
    /// Event markers are drawn only in panels on the figure's time axis: `x_label` is `None`
    /// and `log_x` is false.
    pub x_label: Option<String>,
    /// Fixed x range (data units) instead of the data range.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range (data units) instead of the data range.
    pub y_range: Option<(f64, f64)>,
    pub reference_lines: Vec<ReferenceLine>,
}

impl Panel {
    /// An empty panel with a linear y axis; fill in the other fields as needed.
    #[allow(
        dead_code,
        reason = "public API for fitting plots; not every binary uses it"
    )]
    pub fn new(title: impl Into<String>, y_label: impl Into<String>) -> Self {
        Panel {
            title: title.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }

    /// Whether the panel is on the figure's time axis (and so shows the event markers).
    pub(crate) fn on_time_axis(&self) -> bool {
        self.x_label.is_none() && !self.log_x
    }
}

/// A vertical marker for a discrete event (infusion, extinction, remission, relapse ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventMarker {
    pub time: f64,
    pub label: String,
}

/// A multi-panel figure (up to 24 panels).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figure {
    pub title: String,
    /// e.g. "Time since CAR-T infusion (days)"; panels may override it (`Panel::x_label`).
    pub x_label: String,
    /// Shared x values of the series without their own `x`.
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
/// Errors (never panics) when the figure has no panels or more than 24, when series rely on
/// `times` but it has no finite point, when a series' length differs from its x values, or
/// when a fixed axis range is unusable. Output is deterministic: the same figure gives the
/// same bytes.
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
    let all_series = || fig.panels.iter().flat_map(|p| &p.series);
    let uses_times = all_series().any(|s| s.x.is_none());
    let has_own_x = all_series().any(|s| s.x.is_some());
    if !fig.times.iter().any(|t| t.is_finite()) && (uses_times || !has_own_x) {
        bail!(
            "figure {:?} has no finite time points ({} given)",
            fig.title,
            fig.times.len()
        );
    }
    for panel in &fig.panels {
        for series in &panel.series {
            let (n, what) = match &series.x {
                Some(x) => (x.len(), "x values"),
                None => (fig.times.len(), "time points"),
            };
            if series.values.len() != n {
                bail!(
                    "panel {:?}, series {:?}: {} values but {n} {what}",
                    panel.title,
                    series.label,
                    series.values.len(),
                );
            }
        }
        for (range, axis, log) in [
            (panel.x_range, "x", panel.log_x),
            (panel.y_range, "y", panel.log_y),
        ] {
            let Some((lo, hi)) = range else { continue };
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                bail!(
                    "panel {:?}: fixed {axis} range ({lo}, {hi}) must be finite with lo < hi",
                    panel.title
                );
            }
            if log && lo <= 0.0 {
                bail!(
                    "panel {:?}: fixed {axis} range ({lo}, {hi}) must be positive on a log axis",
                    panel.title
                );
            }
        }
    }
    Ok(())
}
