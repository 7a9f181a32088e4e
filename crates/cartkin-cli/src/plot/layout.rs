//! Figure geometry: panel grid, pixel sizes, font sizes and margins.

/// Largest number of panels accepted by `render`.
pub(crate) const MAX_PANELS: usize = 24;

/// Size of one panel cell, in pixels (grids of up to three columns).
pub(crate) const CELL_W: u32 = 700;
pub(crate) const CELL_H: u32 = 450;
/// Smaller cells of four-column grids (13 to 24 panels); fonts keep their size.
pub(crate) const SMALL_CELL_W: u32 = 580;
pub(crate) const SMALL_CELL_H: u32 = 400;
/// Height of the band holding the figure title.
pub(crate) const TITLE_H: u32 = 52;

/// Font sizes, in pixels.
///
/// These are plotters sizes: the font's ascent-to-descent height in pixels, about 1.16 times
/// the em size (a size of 17 is a 14.6 px em in the PNG; SVG gets `font-size` = size / 1.24).
pub(crate) const FONT_FIG_TITLE: u32 = 26;
pub(crate) const FONT_PANEL_TITLE: u32 = 21;
pub(crate) const FONT_PANEL_LETTER: u32 = 23;
pub(crate) const FONT_AXIS_DESC: u32 = 18;
pub(crate) const FONT_TICK: u32 = 17;
/// Exponent of "10^k" tick labels.
pub(crate) const FONT_SUPERSCRIPT: u32 = 14;
pub(crate) const FONT_LEGEND: u32 = 16;
pub(crate) const FONT_EVENT: u32 = 15;
pub(crate) const FONT_THRESHOLD: u32 = 15;
/// Smallest size text is shrunk to before it is shortened with an ellipsis.
pub(crate) const FONT_MIN: u32 = 13;

/// Panel margins inside its cell.
pub(crate) const MARGIN_LEFT: u32 = 8;
pub(crate) const MARGIN_RIGHT: u32 = 28;
pub(crate) const MARGIN_BOTTOM: u32 = 6;
/// Height of the panel title band (title text + padding).
pub(crate) const PANEL_TITLE_H: u32 = 36;
/// Gap between the title band (or event band) and the plot area.
pub(crate) const PLOT_TOP_GAP: u32 = 10;
/// Height of the x label area (tick labels + axis description).
pub(crate) const X_LABEL_AREA_H: u32 = 64;
/// Tick mark length.
pub(crate) const TICK_LEN: u32 = 6;
/// Gap between a tick mark and its label.
pub(crate) const TICK_GAP: u32 = 5;

/// Panel grid (rows, columns) for `n` panels.
///
/// 1 -> 1x1, 2 -> 2x1 (stacked, so the shared time axes line up), 3-4 -> 2x2,
/// 5-6 -> 3x2, 7-9 -> 3x3, 10-12 -> 4x3, 13-16 -> 4x4, 17-20 -> 5x4, 21-24 -> 6x4
/// (and more rows of four beyond).
pub(crate) fn grid(n: usize) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 => (2, 1),
        3 | 4 => (2, 2),
        5 | 6 => (3, 2),
        7..=12 => (n.div_ceil(3), 3),
        _ => (n.div_ceil(4), 4),
    }
}

/// Size (width, height) of one panel cell for a figure of `n` panels.
pub(crate) fn cell_size(n: usize) -> (u32, u32) {
    if grid(n).1 > 3 {
        (SMALL_CELL_W, SMALL_CELL_H)
    } else {
        (CELL_W, CELL_H)
    }
}

/// Height of the figure title band: none when the title is blank.
pub(crate) fn title_height(title: &str) -> u32 {
    if title.trim().is_empty() { 0 } else { TITLE_H }
}

/// Overall figure size in pixels for `n` panels and a title band of `title_h` pixels.
pub(crate) fn figure_size(n: usize, title_h: u32) -> (u32, u32) {
    let n = n.min(MAX_PANELS);
    let (rows, cols) = grid(n);
    let (w, h) = cell_size(n);
    // Bounded by MAX_PANELS, so the conversions cannot fail.
    let rows = u32::try_from(rows).unwrap_or(1);
    let cols = u32::try_from(cols).unwrap_or(1);
    (cols * w, rows * h + title_h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_shapes() {
        assert_eq!(grid(1), (1, 1));
        assert_eq!(grid(2), (2, 1));
        assert_eq!(grid(3), (2, 2));
        assert_eq!(grid(4), (2, 2));
        assert_eq!(grid(5), (3, 2));
        assert_eq!(grid(6), (3, 2));
        assert_eq!(grid(7), (3, 3));
        assert_eq!(grid(9), (3, 3));
        assert_eq!(grid(10), (4, 3));
        assert_eq!(grid(12), (4, 3));
        assert_eq!(grid(13), (4, 4));
        assert_eq!(grid(16), (4, 4));
        assert_eq!(grid(17), (5, 4));
        assert_eq!(grid(20), (5, 4));
        assert_eq!(grid(21), (6, 4));
        assert_eq!(grid(24), (6, 4));
        for n in 1..=MAX_PANELS {
            let (r, c) = grid(n);
            assert!(r * c >= n);
            // no empty row
            assert!((r - 1) * c < n);
        }
    }

    #[test]
    fn size_scales_with_panels() {
        assert_eq!(figure_size(1, TITLE_H), (700, 450 + TITLE_H));
        assert_eq!(figure_size(4, TITLE_H), (1400, 900 + TITLE_H));
        assert_eq!(figure_size(6, 0), (1400, 1350));
        assert_eq!(title_height("  "), 0);
        assert_eq!(figure_size(12, 0), (2100, 1800));
        assert_eq!(figure_size(24, 0), (4 * SMALL_CELL_W, 6 * SMALL_CELL_H));
    }
}

/// A panel's cell in image pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub x0: i32,
    pub y0: i32,
    pub w: i32,
    pub h: i32,
}
