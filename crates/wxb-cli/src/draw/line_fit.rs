//! `wxb demo linear`'s picture: the noisy points, the true line `y = m·x + b` and the line the one
//! neuron learned (with the least-squares line, which it should cover: the legend says so, and
//! the lines are drawn wide under narrow, the last dashed, so that each stays visible).

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use crate::plot::{FONT, draw_err, init_fonts, legend, write_png_atomic};

/// A line `y = m·x + b` and how to draw it.
pub struct Line {
    /// Its legend.
    pub label: String,
    /// Slope.
    pub m: f64,
    /// Intercept.
    pub b: f64,
    /// Colour.
    pub colour: RGBColor,
    /// Stroke width.
    pub width: u32,
    /// Drawn in dashes (so that a line under it shows through).
    pub dashed: bool,
}

/// Draws the points and the lines into `path`.
pub fn draw(xs: &[f32], ys: &[f32], lines: &[Line], caption: &str, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_into(xs, ys, lines, caption, tmp))
}

fn draw_into(xs: &[f32], ys: &[f32], lines: &[Line], caption: &str, path: &Path) -> Result<()> {
    init_fonts();
    let root = super::png(path, (900, 640));
    root.fill(&WHITE).map_err(draw_err)?;
    let range = |v: &[f32]| {
        let (lo, hi) =
            v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x.into()), b.max(x.into())));
        if lo.is_finite() && hi > lo { (lo, hi) } else { (-1.0, 1.0) }
    };
    let ((x0, x1), (y0, y1)) = (range(xs), range(ys));
    let (px, py) = ((x1 - x0) * 0.05, (y1 - y0) * 0.08);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FONT, 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("y")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(draw_err)?;
    let grey = RGBColor(120, 120, 120);
    chart
        .draw_series(
            xs.iter().zip(ys).map(|(&x, &y)| Circle::new((f64::from(x), f64::from(y)), 3, grey.mix(0.6).filled())),
        )
        .map_err(draw_err)?
        .label(format!("{} noisy points", xs.len()))
        .legend(move |(x, y)| Circle::new((x + 9, y), 3, grey.filled()));
    for l in lines {
        let (colour, width) = (l.colour, l.width);
        let ends = vec![(x0 - px, l.m * (x0 - px) + l.b), (x1 + px, l.m * (x1 + px) + l.b)];
        let drawn = if l.dashed {
            chart.draw_series(DashedLineSeries::new(ends, 14, 10, colour.stroke_width(width))).map_err(draw_err)?
        } else {
            chart.draw_series(LineSeries::new(ends, colour.stroke_width(width))).map_err(draw_err)?
        };
        drawn
            .label(l.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(width)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
    root.present().map_err(draw_err)
}
