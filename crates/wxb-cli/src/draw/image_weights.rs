//! `wxb explain --draw` for image inputs: the first Dense layer's weights, one small image per
//! neuron (its kernel column `W[:, j]` laid out as the input image, a grid of the first 64
//! neurons, the drawn one among them), beside the chosen sample, the prediction and the true
//! label, and its per-pixel contributions `xᵢ·wᵢ` to one neuron. Pixels that are 0 in every
//! sample of the data (MNIST's border) are drawn grey: their weights never receive a gradient
//! and keep their random start values, which would look like noise.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::colormap::{colour_bar, diverging, grey, max_abs};
use super::{Anchor, Area, NeuronSample, fill, frame, label, title};
use crate::plot::{draw_err, init_fonts, write_png_atomic};

/// Neurons shown in the grid, at most.
pub const GRID_NEURONS: usize = 64;

/// What the picture shows.
pub struct ImageWeights<'a> {
    /// The neuron and the sample (the kernel is `W: [rows·cols, units]`).
    pub n: NeuronSample<'a>,
    /// The image shape `(rows, cols)`.
    pub shape: (usize, usize),
}

/// Draws the picture into `path` (PNG, atomically).
pub fn draw(p: &ImageWeights<'_>, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_into(p, tmp))
}

fn draw_into(p: &ImageWeights<'_>, path: &Path) -> Result<()> {
    init_fonts();
    let (rows, cols) = p.shape;
    let units = p.n.kernel.cols();
    let shown = units.min(GRID_NEURONS);
    // The first neurons, the drawn one in the last cell when it is not among them.
    let mut neurons: Vec<usize> = (0..shown).collect();
    if p.n.neuron >= shown {
        neurons[shown - 1] = p.n.neuron;
    }
    let inked = |i: usize| p.n.ink.as_ref().is_none_or(|ink| ink.get(i).copied().unwrap_or(true));
    let unused = p.n.ink.as_ref().map_or(0, |ink| ink.iter().filter(|&&seen| !seen).count());
    let grid_cols = (shown as f64).sqrt().ceil().max(1.0) as usize;
    let grid_rows = shown.div_ceil(grid_cols).max(1);
    let scale = (84 / rows.max(cols)).max(1) as i32;
    let (cell_w, cell_h) = (cols as i32 * scale, rows as i32 * scale);
    let (pitch_x, pitch_y) = (cell_w + 10, cell_h + 22);
    let grid_w = grid_cols as i32 * pitch_x;
    let big = (224 / rows.max(cols)).max(1) as i32;
    let right_x = 40 + grid_w + 110;
    let width = right_x + (cols as i32 * big + 150).max(440);
    let height = (120 + grid_rows as i32 * pitch_y).max(210 + 2 * rows as i32 * big + 200);
    let root = super::png(path, (width as u32, height as u32));
    root.fill(&WHITE).map_err(draw_err)?;
    let k = p.n.kernel.data();
    let weights_max = max_abs(
        (0..rows * cols).filter(|&i| inked(i)).flat_map(|i| neurons.iter().map(move |&j| f64::from(k[i * units + j]))),
    );
    let which = if p.n.neuron >= shown {
        format!("the first {} and the drawn one, of {units} neurons", shown - 1)
    } else {
        format!("the first {shown} of {units} neurons")
    };
    title(&root, &format!("{}: the weights W[:, j] of {which}", p.n.layer), (40 + grid_w / 2, 22), 18)?;
    label(
        &root,
        "each image is one neuron's weights, one per input pixel (blue < 0 < orange)",
        (40 + grid_w / 2, 46),
        13,
        Anchor::Centre,
    )?;
    if unused > 0 {
        label(
            &root,
            &format!(
                "grey: the {unused} pixels that are 0 in every sample; their weights get no gradient and keep their random start"
            ),
            (40 + grid_w / 2, 66),
            13,
            Anchor::Centre,
        )?;
    }
    let masked = RGBColor(200, 200, 200);
    for (cell, &j) in neurons.iter().enumerate() {
        let (gx, gy) = (40 + (cell % grid_cols) as i32 * pitch_x, 100 + (cell / grid_cols) as i32 * pitch_y);
        label(&root, &format!("{}[{j}]", p.n.layer), (gx + cell_w / 2, gy - 2), 11, Anchor::Centre)?;
        let values = (0..rows * cols).map(|i| if inked(i) { f64::from(k[i * units + j]) } else { f64::NAN });
        let colour = |v: f64| if v.is_nan() { masked } else { diverging(v, weights_max) };
        pixels(&root, (gx, gy + 8), scale, cols, values, colour)?;
        if j == p.n.neuron {
            root.draw(&Rectangle::new([(gx - 3, gy + 5), (gx + cell_w + 3, gy + 11 + cell_h)], BLACK.stroke_width(2)))
                .map_err(draw_err)?;
        }
    }
    colour_bar(&root, (40 + grid_w + 10, 130), (18, 300), weights_max, "w")?;
    // The sample, the prediction and the truth.
    let (lo, hi) = p.n.x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    title(&root, &format!("row {}: the input x", p.n.row), (right_x + cols as i32 * big / 2, 22), 16)?;
    let small = big / 2 + 1;
    pixels(&root, (right_x, 40), small, cols, p.n.x.iter().copied(), |v| grey(v, lo, hi))?;
    frame(&root, (right_x, 40), (right_x + cols as i32 * small, 40 + rows as i32 * small))?;
    let below = 52 + rows as i32 * small;
    label(
        &root,
        &format!("x from {} (white) to {} (black)", super::short(lo), super::short(hi)),
        (right_x, below),
        12,
        Anchor::Left,
    )?;
    label(&root, &p.n.outcome, (right_x, below + 22), 14, Anchor::Left)?;
    // Its contributions to the chosen neuron, and why that neuron.
    let products = p.n.products();
    let cmax = max_abs(products.iter().copied());
    let top = below + 80;
    title(
        &root,
        &format!("{}[{}]: contributions xᵢ · wᵢ", p.n.layer, p.n.neuron),
        (right_x + cols as i32 * big / 2, top - 22),
        16,
    )?;
    // Why this neuron, on two lines: the reason, then the flag that draws another.
    let (reason, flag) = p.n.chosen.split_once(" (").map_or((p.n.chosen.as_str(), ""), |(r, f)| (r, f));
    label(&root, reason, (right_x - 20, top - 4), 12, Anchor::Left)?;
    if !flag.is_empty() {
        label(&root, &format!("({flag}"), (right_x - 20, top + 12), 12, Anchor::Left)?;
    }
    let top = top + 16;
    pixels(&root, (right_x, top + 20), big, cols, products.iter().copied(), |v| diverging(v, cmax))?;
    frame(&root, (right_x, top + 20), (right_x + cols as i32 * big, top + 20 + rows as i32 * big))?;
    colour_bar(&root, (right_x + cols as i32 * big + 14, top + 40), (18, rows as i32 * big - 40), cmax, "xᵢ·wᵢ")?;
    for (i, line) in p.n.summary.iter().enumerate() {
        label(&root, line, (right_x, top + 40 + rows as i32 * big + 20 * i as i32), 14, Anchor::Left)?;
    }
    root.present().map_err(draw_err)
}

/// Draws `values` (row-major, `cols` per row) as squares of `scale` pixels from `(x, y)`.
fn pixels(
    area: &Area<'_>,
    (x, y): (i32, i32),
    scale: i32,
    cols: usize,
    values: impl Iterator<Item = f64>,
    colour: impl Fn(f64) -> RGBColor,
) -> Result<()> {
    for (i, v) in values.enumerate() {
        let (r, c) = ((i / cols) as i32, (i % cols) as i32);
        let (px, py) = (x + c * scale, y + r * scale);
        fill(area, (px, py), (px + scale, py + scale), colour(v))?;
    }
    Ok(())
}
