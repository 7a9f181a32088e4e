//! Colours and line styles: Okabe-Ito palette (colour-blind friendly) plus neutral greys.

use plotters::style::RGBColor;

/// Okabe & Ito (2008), reordered so the first colours have the most contrast on white;
/// yellow comes last because it is hard to see on a white background.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// Colour of the `index`-th series of a panel (cycles after 8).
pub(crate) fn series_color(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// Text and axis colour.
pub(crate) const INK: RGBColor = RGBColor(25, 25, 25);
/// Threshold and reference lines.
pub(crate) const THRESHOLD: RGBColor = RGBColor(70, 70, 70);
/// Event marker lines and labels.
pub(crate) const EVENT: RGBColor = RGBColor(95, 95, 95);
/// Major grid lines.
pub(crate) const GRID_MAJOR: RGBColor = RGBColor(222, 222, 222);
/// Minor grid lines.
pub(crate) const GRID_MINOR: RGBColor = RGBColor(240, 240, 240);
/// Legend box border and "no data" note.
pub(crate) const MUTED: RGBColor = RGBColor(150, 150, 150);

/// Stroke width of data lines, in pixels.
pub(crate) const SERIES_WIDTH: u32 = 2;
/// Dash pattern (dash, gap) of dashed series, in pixels.
pub(crate) const SERIES_DASH: (u32, u32) = (9, 5);
/// Dash pattern of threshold lines.
pub(crate) const THRESHOLD_DASH: (u32, u32) = (6, 4);
/// Radius of the filled circles of point series, in pixels.
pub(crate) const POINT_RADIUS: u32 = 4;
/// Dot pattern of event lines.
pub(crate) const EVENT_DOT: (u32, u32) = (2, 4);
