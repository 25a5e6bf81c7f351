//! Pictures of the weights calculation: weights as images, contributions as bars and maps, a
//! weight's path through training, and the one-neuron line fit. Every picture is written
//! atomically with [`crate::plot::write_png_atomic`], with the embedded DejaVu font.

pub mod canvas;
pub mod colormap;
pub mod conv;
pub mod image_weights;
pub mod line_fit;
pub mod tabular;
pub mod weight_path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use wxb::Tensor;

use crate::plot::{FONT, draw_err};

pub use canvas::png;

/// The drawing surface every picture uses ([`png`] makes one).
pub type Area<'a> = DrawingArea<canvas::Canvas<'a>, Shift>;

/// Where a text's anchor point is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The text starts at the point.
    Left,
    /// The text is centred on the point.
    Centre,
    /// The text ends at the point.
    Right,
}

/// Writes `s` at `(x, y)` (the text's vertical middle), `size` pixels high.
pub fn label(area: &Area<'_>, s: &str, (x, y): (i32, i32), size: u32, anchor: Anchor) -> anyhow::Result<()> {
    let h = match anchor {
        Anchor::Left => HPos::Left,
        Anchor::Centre => HPos::Center,
        Anchor::Right => HPos::Right,
    };
    let style = TextStyle::from((FONT, size).into_font()).color(&BLACK).pos(Pos::new(h, VPos::Center));
    area.draw(&Text::new(s.to_string(), (x, y), style)).map_err(draw_err)
}

/// Writes `s` in bold, centred on `(x, y)`.
pub fn title(area: &Area<'_>, s: &str, (x, y): (i32, i32), size: u32) -> anyhow::Result<()> {
    let font = FontDesc::new(FontFamily::Name(FONT), f64::from(size), FontStyle::Bold);
    let style = TextStyle::from(font).color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(s.to_string(), (x, y), style)).map_err(draw_err)
}

/// A filled rectangle from `(x0, y0)` to `(x1, y1)`.
pub fn fill(area: &Area<'_>, (x0, y0): (i32, i32), (x1, y1): (i32, i32), color: RGBColor) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled())).map_err(draw_err)
}

/// A thin grey frame from `(x0, y0)` to `(x1, y1)`.
pub fn frame(area: &Area<'_>, (x0, y0): (i32, i32), (x1, y1): (i32, i32)) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], RGBColor(120, 120, 120).stroke_width(1))).map_err(draw_err)
}

/// A short number for labels: 4 significant digits, scientific outside [1e-3, 1e5).
pub fn short(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.decimals$}")
    }
}

/// One neuron's calculation for one sample, as both `--draw` pictures show it.
pub struct NeuronSample<'a> {
    /// The first Dense layer's kernel `W: [inputs, units]`.
    pub kernel: &'a Tensor,
    /// The layer's name.
    pub layer: &'a str,
    /// The sample's inputs as the model sees them.
    pub x: &'a [f64],
    /// The sample's row in the data file.
    pub row: usize,
    /// The neuron whose contributions are drawn.
    pub neuron: usize,
    /// Its calculation in words, one line each (`x·w = …`, `z = …`).
    pub summary: Vec<String>,
    /// Why this neuron is drawn (`--neuron`, or the one that matters most).
    pub chosen: String,
    /// The model's prediction for the sample and, when the data has it, the true label.
    pub outcome: String,
    /// Per input, whether any sample of the data has a non-zero value there: a weight whose input
    /// is 0 in every sample never receives a gradient and keeps its random start value (`None`:
    /// not known).
    pub ink: Option<Vec<bool>>,
}

impl NeuronSample<'_> {
    /// The contributions `xᵢ·wᵢ` of each input to the neuron.
    pub fn products(&self) -> Vec<f64> {
        let (units, k) = (self.kernel.cols(), self.kernel.data());
        self.x.iter().enumerate().map(|(i, &xi)| xi * f64::from(k[i * units + self.neuron])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_keep_four_significant_digits() {
        let cases = [(0.0, "0"), (1.23456, "1.235"), (-0.0123456, "-0.01235"), (1234.4, "1234"), (2.5e-5, "2.50e-5")];
        for (v, want) in cases {
            assert_eq!(short(v), want, "{v}");
        }
    }
}
