//! The pieces of the convolution picture: grids of small tiles (one per filter) and grids of
//! numbered cells (a patch, a kernel, their products).

use anyhow::Result;
use plotters::prelude::*;

use super::super::colormap::diverging;
use super::super::{Anchor, Area, fill, frame, label, short};
use crate::plot::draw_err;

/// A grid of tiles, one per item, `columns` to a row.
#[derive(Clone, Copy, Debug)]
pub struct TileGrid {
    /// Top-left corner of the first tile.
    pub origin: (i32, i32),
    /// A tile's size in values `(rows, cols)`.
    pub values: (usize, usize),
    /// Pixels per value.
    pub scale: i32,
    /// Tiles per row.
    pub columns: usize,
    /// Tiles drawn.
    pub count: usize,
}

impl TileGrid {
    /// A tile's width and height in pixels.
    pub fn tile(&self) -> (i32, i32) {
        (self.values.1 as i32 * self.scale, self.values.0 as i32 * self.scale)
    }

    /// The distance between tiles (room for the label above each).
    pub fn pitch(&self) -> (i32, i32) {
        let (w, h) = self.tile();
        (w.max(24) + 10, h + 22)
    }

    /// The grid's width and height in pixels.
    pub fn size(&self) -> (i32, i32) {
        let (px, py) = self.pitch();
        let rows = self.count.div_ceil(self.columns.max(1)).max(1);
        (self.columns.min(self.count).max(1) as i32 * px, rows as i32 * py)
    }

    /// The top-left pixel of tile `i`'s values.
    pub fn corner(&self, i: usize) -> (i32, i32) {
        let (px, py) = self.pitch();
        (self.origin.0 + (i % self.columns) as i32 * px, self.origin.1 + 18 + (i / self.columns) as i32 * py)
    }

    /// Draws every tile: `value(i, r, c)` on a diverging scale of `max`, labelled `f{i}`, tile
    /// `chosen` framed in black.
    pub fn draw(
        &self,
        area: &Area<'_>,
        max: f64,
        chosen: usize,
        value: impl Fn(usize, usize, usize) -> f64,
    ) -> Result<()> {
        let (w, h) = self.tile();
        for i in 0..self.count {
            let (x, y) = self.corner(i);
            label(area, &format!("f{i}"), (x + w / 2, y - 9), 12, Anchor::Centre)?;
            for r in 0..self.values.0 {
                for c in 0..self.values.1 {
                    let (px, py) = (x + c as i32 * self.scale, y + r as i32 * self.scale);
                    fill(area, (px, py), (px + self.scale, py + self.scale), diverging(value(i, r, c), max))?;
                }
            }
            if i == chosen {
                let outline = BLACK.stroke_width(3);
                area.draw(&Rectangle::new([(x - 3, y - 3), (x + w + 2, y + h + 2)], outline)).map_err(draw_err)?;
            } else {
                frame(area, (x, y), (x + w, y + h))?;
            }
        }
        Ok(())
    }
}

/// A grid of numbered cells: `values` (`rows × cols`, row-major), each cell coloured by
/// `colour` with its number written in it when `numbers`, captioned above.
pub struct CellGrid<'a> {
    /// The caption above the grid.
    pub caption: &'a str,
    /// The values, row-major.
    pub values: &'a [f64],
    /// `(rows, cols)`.
    pub shape: (usize, usize),
    /// Pixels per cell.
    pub cell: i32,
    /// Whether each cell shows its number.
    pub numbers: bool,
}

impl CellGrid<'_> {
    /// Draws the grid with its top-left corner at `(x, y)` (the caption above it).
    pub fn draw(&self, area: &Area<'_>, (x, y): (i32, i32), colour: impl Fn(f64) -> RGBColor) -> Result<()> {
        let (rows, cols) = self.shape;
        label(area, self.caption, (x + cols as i32 * self.cell / 2, y - 12), 13, Anchor::Centre)?;
        for (i, &v) in self.values.iter().enumerate() {
            let (px, py) = (x + (i % cols) as i32 * self.cell, y + (i / cols) as i32 * self.cell);
            let bg = colour(v);
            fill(area, (px, py), (px + self.cell, py + self.cell), bg)?;
            frame(area, (px, py), (px + self.cell, py + self.cell))?;
            if self.numbers {
                let text = short(v);
                let ink = if luminance(bg) < 110.0 { WHITE } else { BLACK };
                let style = TextStyle::from((crate::plot::FONT, 11).into_font()).color(&ink).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                );
                area.draw(&Text::new(text, (px + self.cell / 2, py + self.cell / 2), style)).map_err(draw_err)?;
            }
        }
        frame(area, (x, y), (x + cols as i32 * self.cell, y + rows as i32 * self.cell))
    }

    /// The grid's width in pixels.
    pub fn width(&self) -> i32 {
        self.shape.1 as i32 * self.cell
    }
}

/// The perceived brightness of a colour, 0–255.
fn luminance(RGBColor(r, g, b): RGBColor) -> f64 {
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

/// Greys from white (`lo`) to black (`hi`) for values that are not signed weights: `value(r, c)`
/// of a `rows × cols` image, `scale` pixels per value, from `(x, y)`.
pub fn grey_image(
    area: &Area<'_>,
    (x, y): (i32, i32),
    (rows, cols): (usize, usize),
    scale: i32,
    (lo, hi): (f64, f64),
    value: impl Fn(usize, usize) -> f64,
) -> Result<()> {
    for r in 0..rows {
        for c in 0..cols {
            let (px, py) = (x + c as i32 * scale, y + r as i32 * scale);
            fill(area, (px, py), (px + scale, py + scale), super::super::colormap::grey(value(r, c), lo, hi))?;
        }
    }
    frame(area, (x, y), (x + cols as i32 * scale, y + rows as i32 * scale))
}

/// The smallest and largest finite value (`(0, 1)` when there is none).
pub fn range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo <= hi { (lo, hi) } else { (0.0, 1.0) }
}
