//! `wxb explain --draw` for tabular inputs: one neuron's contributions `xᵢ·wᵢ` as bars by feature
//! name (largest first), and the heat map of the first Dense layer's kernel `W: [features, units]`
//! (a row per feature, a column per neuron; blue < 0 < orange).

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::colormap::{colour_bar, diverging, max_abs};
use super::{Anchor, NeuronSample, fill, frame, label, short, title};
use crate::plot::{draw_err, init_fonts, write_png_atomic};

/// Bars drawn one by one; the others are summed into one bar.
const MAX_BARS: usize = 24;
/// Rows (features) and columns (neurons) of the heat map, at most.
const MAX_ROWS: usize = 40;
const MAX_COLS: usize = 64;
const ROW_H: i32 = 22;

/// What the picture shows.
pub struct Tabular<'a> {
    /// The neuron and the sample (the kernel is `W: [features, units]`).
    pub n: NeuronSample<'a>,
    /// The feature names.
    pub names: &'a [String],
}

/// Draws the picture into `path` (PNG, atomically).
pub fn draw(p: &Tabular<'_>, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_into(p, tmp))
}

fn clip(name: &str) -> String {
    if name.chars().count() > 22 {
        format!("{}…", name.chars().take(21).collect::<String>())
    } else {
        name.to_string()
    }
}

fn draw_into(p: &Tabular<'_>, path: &Path) -> Result<()> {
    init_fonts();
    let (features, units) = (p.n.kernel.rows(), p.n.kernel.cols());
    let k = p.n.kernel.data();
    let products = p.n.products();
    let mut order: Vec<usize> = (0..features).collect();
    order.sort_by(|&a, &b| products[b].abs().total_cmp(&products[a].abs()).then(a.cmp(&b)));
    let mut bars: Vec<(String, f64)> = order.iter().take(MAX_BARS).map(|&i| (clip(&p.names[i]), products[i])).collect();
    if features > MAX_BARS {
        bars.push((format!("({} others)", features - MAX_BARS), order[MAX_BARS..].iter().map(|&i| products[i]).sum()));
    }
    let (rows, cols) = (features.min(MAX_ROWS), units.min(MAX_COLS));
    let cell = (560 / cols as i32).clamp(8, ROW_H);
    let bar_panel_w = 620;
    let heat_x = bar_panel_w + 190;
    let width = heat_x + cols as i32 * cell + 110;
    let body = (bars.len().max(rows) as i32) * ROW_H;
    let bar_h = (rows as i32 * ROW_H).clamp(120, 360);
    let height = (120 + body + 30 + 22 * (p.n.summary.len() as i32 + 3)).max(90 + 14 + bar_h + 30);
    let root = super::png(path, (width as u32, height as u32));
    root.fill(&WHITE).map_err(draw_err)?;
    // Bars.
    let top = 90;
    title(
        &root,
        &format!("{}[{}]: contributions xᵢ·wᵢ for row {}", p.n.layer, p.n.neuron, p.n.row),
        (bar_panel_w / 2 + 40, 22),
        18,
    )?;
    label(
        &root,
        "largest first; orange pushes z up, blue pushes it down",
        (bar_panel_w / 2 + 40, 46),
        13,
        Anchor::Centre,
    )?;
    let (x0, bar_w) = (190, bar_panel_w - 230);
    let bmax = max_abs(bars.iter().map(|b| b.1));
    let zero = x0 + bar_w / 2;
    for (i, (name, v)) in bars.iter().enumerate() {
        let y = top + i as i32 * ROW_H;
        label(&root, name, (x0 - 8, y + ROW_H / 2), 13, Anchor::Right)?;
        let len = (v / bmax * f64::from(bar_w / 2)).round() as i32;
        let colour = diverging(v.signum() * bmax * 0.75, bmax);
        let (a, b) = if len >= 0 { (zero, zero + len.max(1)) } else { (zero + len, zero) };
        fill(&root, (a, y + 3), (b, y + ROW_H - 3), colour)?;
        let (tx, anchor) = if len >= 0 { (b + 4, Anchor::Left) } else { (a - 4, Anchor::Right) };
        label(&root, &short(*v), (tx, y + ROW_H / 2), 12, anchor)?;
    }
    let bottom = top + bars.len() as i32 * ROW_H;
    fill(&root, (zero, top - 6), (zero + 1, bottom + 6), BLACK)?;
    label(&root, "xᵢ·wᵢ", (zero, bottom + 16), 13, Anchor::Centre)?;
    // Why this neuron, and the flag that draws another, on two lines (the left panel is narrow).
    let (reason, flag) =
        p.n.chosen
            .split_once(" (")
            .map_or((p.n.chosen.clone(), String::new()), |(r, f)| (r.to_string(), format!("({f}")));
    let lines =
        [p.n.outcome.clone(), reason, flag].into_iter().filter(|l| !l.is_empty()).chain(p.n.summary.iter().cloned());
    for (i, line) in lines.enumerate() {
        label(&root, &line, (40, bottom + 44 + 22 * i as i32), 14, Anchor::Left)?;
    }
    // Heat map of W.
    let wmax = max_abs((0..rows).flat_map(|i| (0..cols).map(move |j| f64::from(k[i * units + j]))));
    let more = if rows < features || cols < units { format!(" (first {rows}×{cols})") } else { String::new() };
    title(
        &root,
        &format!("{}: the kernel W [{features}×{units}]{more}", p.n.layer),
        (heat_x + cols as i32 * cell / 2, 22),
        18,
    )?;
    label(
        &root,
        "a row per input feature, a column per neuron",
        (heat_x + cols as i32 * cell / 2, 46),
        13,
        Anchor::Centre,
    )?;
    let step = (cols / 16).max(1);
    for j in (0..cols).step_by(step) {
        label(&root, &j.to_string(), (heat_x + j as i32 * cell + cell / 2, top - 12), 11, Anchor::Centre)?;
    }
    for i in 0..rows {
        let y = top + i as i32 * ROW_H;
        label(&root, &clip(&p.names[i]), (heat_x - 8, y + ROW_H / 2), 13, Anchor::Right)?;
        for j in 0..cols {
            let x = heat_x + j as i32 * cell;
            fill(&root, (x, y), (x + cell, y + ROW_H), diverging(f64::from(k[i * units + j]), wmax))?;
        }
    }
    let heat_bottom = top + rows as i32 * ROW_H;
    frame(&root, (heat_x, top), (heat_x + cols as i32 * cell, heat_bottom))?;
    if p.n.neuron < cols {
        let x = heat_x + p.n.neuron as i32 * cell;
        root.draw(&Rectangle::new([(x, top - 3), (x + cell, heat_bottom + 3)], BLACK.stroke_width(2)))
            .map_err(draw_err)?;
    }
    label(&root, "neuron j", (heat_x + cols as i32 * cell / 2, heat_bottom + 16), 13, Anchor::Centre)?;
    colour_bar(&root, (heat_x + cols as i32 * cell + 16, top + 14), (18, bar_h), wmax, "w")?;
    root.present().map_err(draw_err)
}
