//! `wxb explain --draw` for a convolution layer (Conv2D, or Conv1D as a Conv2D of height 1): the
//! layer's input with the chosen output's patch outlined, its kernels (one tile per filter), the
//! sample's feature maps (one tile per filter, the chosen position marked) and the chosen output's
//! calculation `z = Σ patch ⊙ K[…, f] + b_f`, `y = activation(z)`, cell by cell. The numbers are
//! those of the library's trace ([`ConvTrace`]) and of its `f64` pass.

mod panels;

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use wxb::Tensor;
use wxb::activations::Activation;
use wxb::explain::ConvTrace;

use super::colormap::{colour_bar, diverging, max_abs};
use super::{Anchor, Area, label, short, title};
use crate::plot::{draw_err, write_png_atomic};
use panels::{CellGrid, TileGrid, grey_image, range};

/// How a grid's values are coloured.
type Shade = Box<dyn Fn(f64) -> RGBColor>;

/// Tiles shown per grid, at most (the first filters).
pub const MAX_TILES: usize = 64;
const MARGIN: i32 = 30;

/// What the picture shows. Spatial shapes are 2-D: a Conv1D's `[steps, c]` is `[1, steps, c]`.
pub struct ConvPicture<'a> {
    /// The headline: the layer and the output drawn.
    pub heading: String,
    /// The lines under it: the sample (row, prediction, true label) and the layer's settings.
    pub lines: Vec<String>,
    /// The traced output value (its patch, kernel, sum, bias and activation).
    pub trace: &'a ConvTrace,
    /// The layer's activation.
    pub activation: Activation,
    /// The kernel `K: [kh, kw, c, filters]`.
    pub kernel: &'a Tensor,
    /// `[kh, kw]`.
    pub kernel_size: [usize; 2],
    /// `[dh, dw]`.
    pub dilation: [usize; 2],
    /// The layer's input for the sample and its shape `[h, w, c]`.
    pub input: (&'a [f64], [usize; 3]),
    /// The layer's output (the feature maps) and its shape `[oh, ow, filters]`.
    pub maps: (&'a [f64], [usize; 3]),
    /// The model's input image `(values, rows, cols)`, shown beside a deeper layer's input.
    pub image: Option<(&'a [f64], usize, usize)>,
}

impl ConvPicture<'_> {
    fn position(&self) -> (usize, usize) {
        match self.trace.position.as_slice() {
            [y, x] => (*y, *x),
            [t] => (0, *t),
            _ => (0, 0),
        }
    }

    fn origin(&self) -> (i64, i64) {
        match self.trace.origin.as_slice() {
            [y, x] => (*y, *x),
            [t] => (0, *t),
            _ => (0, 0),
        }
    }

    /// The input channel whose products weigh most in the chosen output (`Σ |patch·kernel|`).
    fn strongest_channel(&self) -> usize {
        let c = self.input.1[2].max(1);
        let mut score = vec![0.0f64; c];
        for (t, (p, k)) in self.trace.patch.iter().zip(&self.trace.kernel).enumerate() {
            score[t % c] += (p * k).abs();
        }
        (0..c).max_by(|&a, &b| score[a].total_cmp(&score[b]).then(b.cmp(&a))).unwrap_or(0)
    }
}

/// Draws the picture into `path` (PNG, atomically).
pub fn draw(p: &ConvPicture<'_>, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_into(p, tmp))
}

fn draw_into(p: &ConvPicture<'_>, path: &Path) -> Result<()> {
    let [h, w, c] = p.input.1;
    let [kh, kw] = p.kernel_size;
    let [oh, ow, filters] = p.maps.1;
    let shown = filters.min(MAX_TILES);
    let columns = shown.min(8);
    // The input panel, left.
    let a_scale = (240 / h.max(w)).max(1) as i32;
    let (a_w, a_h) = (w as i32 * a_scale, h as i32 * a_scale);
    // The kernels, middle; the feature maps, right.
    let top = 150;
    let kx = MARGIN + a_w.max(250) + 50;
    let kernels =
        TileGrid { origin: (kx, top), values: (kh, kw), scale: (48 / kh.max(kw)).max(3) as i32, columns, count: shown };
    let mx = kx + kernels.size().0 + 110;
    let maps =
        TileGrid { origin: (mx, top), values: (oh, ow), scale: (64 / oh.max(ow)).max(1) as i32, columns, count: shown };
    let image_h = p.image.map_or(0, |(_, rows, _)| 60 + rows as i32 * 4);
    let panels_h = (a_h + 60 + image_h).max(kernels.size().1).max(maps.size().1).max(260);
    let calc_top = top + panels_h + 60;
    let cell = if kh.max(kw) <= 5 { 56 } else { 20 };
    let width = (mx + maps.size().0 + 110).max(MARGIN * 2 + 5 * (kw as i32 * cell + 60)).max(1100);
    let height = calc_top + 60 + kh as i32 * cell + 40 + 6 * 22 + 30;
    let root = super::png(path, (width as u32, height as u32));
    root.fill(&WHITE).map_err(draw_err)?;
    title(&root, &p.heading, (width / 2, 24), 19)?;
    for (i, line) in p.lines.iter().enumerate() {
        label(&root, line, (width / 2, 52 + 22 * i as i32), 14, Anchor::Centre)?;
    }
    input_panel(&root, p, (MARGIN, top), a_scale)?;
    // The kernels: one tile per filter.
    let f = p.trace.filter;
    let k = p.kernel.data();
    let tap = |filter: usize, r: usize, col: usize| -> f64 {
        let base = (r * kw + col) * c;
        (0..c).map(|ch| f64::from(k[(base + ch) * filters + filter])).sum()
    };
    let k_max =
        max_abs((0..shown).flat_map(|i| (0..kh * kw).map(move |t| (i, t))).map(|(i, t)| tap(i, t / kw, t % kw)));
    let what = if c == 1 {
        "one tile per filter (1 input channel)".to_string()
    } else {
        format!("one tile per filter, summed over its {c} input channels")
    };
    let more = if shown < filters { format!(" — the first {shown} of {filters}") } else { String::new() };
    panel_title(&root, &format!("The kernels K[:, :, :, f]{more}"), &what, (kx + kernels.size().0 / 2, top - 40))?;
    kernels.draw(&root, k_max, f, tap)?;
    let bar_h = kernels.size().1.clamp(160, 300) - 30;
    colour_bar(&root, (kx + kernels.size().0 + 8, top + 30), (16, bar_h), k_max, "K")?;
    // The feature maps: one tile per filter, the chosen position marked on each.
    let (maps_values, out_c) = (p.maps.0, filters);
    let m_max = max_abs(maps_values.iter().copied());
    let (oy, ox) = p.position();
    let act = p.activation.name();
    panel_title(
        &root,
        &format!("The feature maps {act}(z)[:, :, f] of this sample{more}"),
        &format!("one tile per filter, {oh}×{ow}; the chosen position [{oy}, {ox}] boxed on each"),
        (mx + maps.size().0 / 2, top - 40),
    )?;
    maps.draw(&root, m_max, f, |i, r, col| maps_values[(r * ow + col) * out_c + i])?;
    for i in 0..shown {
        let (x, y) = maps.corner(i);
        let (px, py) = (x + ox as i32 * maps.scale, y + oy as i32 * maps.scale);
        let s = maps.scale;
        root.draw(&Rectangle::new([(px - 3, py - 3), (px + s + 2, py + s + 2)], BLACK.stroke_width(2)))
            .map_err(draw_err)?;
    }
    let bar_h = maps.size().1.clamp(160, 300) - 30;
    colour_bar(&root, (mx + maps.size().0 + 8, top + 30), (16, bar_h), m_max, "output")?;
    calculation(&root, p, (MARGIN, calc_top), cell)?;
    root.present().map_err(draw_err)
}

/// A panel's bold title and its explanation below it, centred on `(x, y)`.
fn panel_title(area: &Area<'_>, head: &str, what: &str, (x, y): (i32, i32)) -> Result<()> {
    title(area, head, (x, y), 15)?;
    label(area, what, (x, y + 20), 13, Anchor::Centre)
}

/// The layer's input (one channel of it), the chosen patch outlined; for a deeper layer, the
/// model's input image under it.
fn input_panel(area: &Area<'_>, p: &ConvPicture<'_>, (x, y): (i32, i32), scale: i32) -> Result<()> {
    let [h, w, c] = p.input.1;
    let [kh, kw] = p.kernel_size;
    let [dh, dw] = p.dilation;
    let ch = p.strongest_channel();
    let values = p.input.0;
    let (lo, hi) = range((0..h * w).map(|i| values[i * c + ch]));
    let (a_w, a_h) = (w as i32 * scale, h as i32 * scale);
    let centre = x + a_w.max(250) / 2;
    let head = if c == 1 { format!("The layer's input ({h}×{w})") } else { format!("Its input, channel {ch} of {c}") };
    let what = if c == 1 {
        "the chosen output's patch outlined".to_string()
    } else {
        "(its products weigh most); the patch outlined".to_string()
    };
    panel_title(area, &head, &what, (centre, y - 40))?;
    let left = x + (a_w.max(250) - a_w) / 2;
    grey_image(area, (left, y), (h, w), scale, (lo, hi), |r, col| values[(r * w + col) * c + ch])?;
    let (oy, ox) = p.origin();
    let (ey, ex) = (((kh - 1) * dh + 1) as i64, ((kw - 1) * dw + 1) as i64);
    let px = |v: i64| left + v as i32 * scale;
    let py = |v: i64| y + v as i32 * scale;
    let patch = [(px(ox), py(oy)), (px(ox + ex), py(oy + ey))];
    let orange = RGBColor(230, 97, 1);
    area.draw(&Rectangle::new(patch, orange.stroke_width(3))).map_err(draw_err)?;
    let mut caption = format!("white {} … black {}", short(lo), short(hi));
    if dh.max(dw) > 1 {
        caption.push_str(&format!("; taps every {dh}×{dw}"));
    }
    if oy < 0 || ox < 0 || oy + ey > h as i64 || ox + ex > w as i64 {
        caption.push_str("; outside: zero padding");
    }
    label(area, &caption, (centre, y + a_h + 16), 13, Anchor::Centre)?;
    if let Some((image, rows, cols)) = p.image {
        let top = y + a_h + 60;
        title(area, "The sample (the model's input)", (centre, top - 16), 14)?;
        let (lo, hi) = range(image.iter().copied());
        let left = centre - cols as i32 * 2;
        grey_image(area, (left, top), (rows, cols), 4, (lo, hi), |r, col| image[r * cols + col])?;
    }
    Ok(())
}

/// The chosen output's calculation: patch, kernel and products as numbered cells (for one input
/// channel: the strongest, when there are several, and the products summed over all of them),
/// then the sum, the bias and the activation.
fn calculation(area: &Area<'_>, p: &ConvPicture<'_>, (x, y): (i32, i32), cell: i32) -> Result<()> {
    let t = p.trace;
    let c = p.input.1[2].max(1);
    let [kh, kw] = p.kernel_size;
    let ch = p.strongest_channel();
    let (oy, ox) = p.position();
    let act = p.activation.name();
    let grids_w = if c == 1 { 3 } else { 4 } * (kw as i32 * cell + 60) - 60;
    title(
        area,
        &format!("How {} is computed: {act}(Σ patch ⊙ K[:, :, :, {}] + b)", t.name, t.filter),
        (x + grids_w.max(700) / 2, y),
        16,
    )?;
    let one = |v: &[f64]| -> Vec<f64> { v.iter().skip(ch).step_by(c).copied().collect() };
    let (patch, kernel) = (one(&t.patch), one(&t.kernel));
    let products: Vec<f64> = patch.iter().zip(&kernel).map(|(a, b)| a * b).collect();
    let summed: Vec<f64> =
        (0..kh * kw).map(|i| (0..c).map(|j| t.patch[i * c + j] * t.kernel[i * c + j]).sum()).collect();
    let of = if c == 1 { String::new() } else { format!(", channel {ch}") };
    let numbers = kh.max(kw) <= 5;
    let captions =
        [format!("patch at [{oy}, {ox}]{of}"), format!("kernel of f{}{of}", t.filter), format!("products{of}")];
    let (p_lo, p_hi) = range(t.patch.iter().copied());
    let k_max = max_abs(t.kernel.iter().copied());
    let prod_max = max_abs(products.iter().chain(&summed).copied());
    let grid_top = y + 50;
    let mut gx = x;
    let ops = ["⊙", "="];
    let mut grids: Vec<(CellGrid<'_>, Shade)> = vec![
        (
            CellGrid { caption: &captions[0], values: &patch, shape: (kh, kw), cell, numbers },
            Box::new(move |v| panels_grey(v, p_lo, p_hi)),
        ),
        (
            CellGrid { caption: &captions[1], values: &kernel, shape: (kh, kw), cell, numbers },
            Box::new(move |v| diverging(v, k_max)),
        ),
        (
            CellGrid { caption: &captions[2], values: &products, shape: (kh, kw), cell, numbers },
            Box::new(move |v| diverging(v, prod_max)),
        ),
    ];
    let all = format!("summed over the {c} channels");
    if c > 1 {
        grids.push((
            CellGrid { caption: &all, values: &summed, shape: (kh, kw), cell, numbers },
            Box::new(move |v| diverging(v, prod_max)),
        ));
    }
    for (i, (grid, colour)) in grids.iter().enumerate() {
        grid.draw(area, (gx, grid_top), colour)?;
        gx += grid.width();
        if let Some(op) = ops.get(i) {
            label(area, op, (gx + 30, grid_top + kh as i32 * cell / 2), 26, Anchor::Centre)?;
        }
        gx += 60;
    }
    let lines = equation(p);
    let lines_top = grid_top + kh as i32 * cell + 34;
    for (i, line) in lines.iter().enumerate() {
        label(area, line, (x, lines_top + 22 * i as i32), 15, Anchor::Left)?;
    }
    Ok(())
}

/// Grey for patch values (white low, black high) with the cell's number still readable.
fn panels_grey(v: f64, lo: f64, hi: f64) -> RGBColor {
    let RGBColor(g, _, _) = super::colormap::grey(v, lo, hi);
    // Keep the cells light enough for black or white text either way.
    let g = 60 + (u16::from(g) * 195 / 255) as u8;
    RGBColor(g, g, g)
}

/// The calculation in words, from the trace's numbers.
fn equation(p: &ConvPicture<'_>) -> Vec<String> {
    let t = p.trace;
    let c = p.input.1[2].max(1);
    let act = p.activation.name();
    let taps = t.patch.len();
    let counted = t.terms.len() + t.others.as_ref().map_or(0, |o| o.count);
    let mut lines = vec![format!(
        "Σ patch ⊙ kernel = {} — the sum of the {counted} products{}",
        short(t.dot),
        if counted < taps {
            format!(" (the other {} taps lie in the zero padding)", taps - counted)
        } else {
            String::new()
        }
    )];
    if c > 1 {
        let ch = p.strongest_channel();
        let own: f64 = t.patch.iter().zip(&t.kernel).skip(ch).step_by(c).map(|(a, b)| a * b).sum();
        lines.push(format!(
            "  of which channel {ch} gives {} and the other {} channels {}",
            short(own),
            c - 1,
            short(t.dot - own)
        ));
    }
    lines.push(match t.bias {
        Some(b) => format!("z = {} + b = {} + {} = {}", short(t.dot), short(t.dot), short(b), short(t.z)),
        None => format!("z = {} (no bias)", short(t.z)),
    });
    lines.push(format!("output {} = {act}(z) = {act}({}) = {}", t.name, short(t.z), short(t.output)));
    lines
}
