//! `trace.png` of `wxb train --trace`: one weight over the optimizer's steps (top), the gradient
//! the rule received (middle) and the change of each step (bottom), with the epochs marked.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use wxb::explain::WeightStep;

use super::short;
use crate::plot::{FONT, draw_err, init_fonts, write_png_atomic};

/// Draws the picture of `steps` of the weight `name` trained by `rule` into `path`.
pub fn draw(steps: &[WeightStep], name: &str, rule: &str, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_into(steps, name, rule, tmp))
}

fn draw_into(steps: &[WeightStep], name: &str, rule: &str, path: &Path) -> Result<()> {
    init_fonts();
    let root = super::png(path, (960, 900));
    root.fill(&WHITE).map_err(draw_err)?;
    let (head, body) = root.split_vertically(40);
    head.titled(&format!("{name} trained by {rule}, step by step"), (FONT, 20)).map_err(draw_err)?;
    let panels = body.split_evenly((3, 1));
    let mut w: Vec<(f64, f64)> = vec![(0.0, steps.first().map_or(0.0, |s| f64::from(s.w_before)))];
    w.extend(steps.iter().map(|s| (s.step as f64, f64::from(s.w_after))));
    let g: Vec<(f64, f64)> = steps.iter().map(|s| (s.step as f64, f64::from(s.g))).collect();
    let dw: Vec<(f64, f64)> = steps.iter().map(|s| (s.step as f64, f64::from(s.change()))).collect();
    // The step at which each epoch after the first begins.
    let epochs: Vec<f64> =
        steps.windows(2).filter(|p| p[0].epoch != p[1].epoch).map(|p| p[0].step as f64 + 0.5).collect();
    let series = [
        (&w, "w (after each step)", RGBColor(31, 119, 180)),
        (&g, "g = ∂L/∂w (as the rule used it)", RGBColor(214, 39, 40)),
        (&dw, "Δw = w_after − w_before", RGBColor(44, 160, 44)),
    ];
    let last = steps.last().map_or(1.0, |s| s.step as f64).max(1.0);
    for (area, (points, caption, colour)) in panels.iter().zip(series) {
        let finite = points.iter().map(|p| p.1).filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (-1.0, 1.0) };
        let pad = ((hi - lo) * 0.08).max(hi.abs().max(lo.abs()) * 1e-3).max(1e-12);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..last, (lo - pad)..(hi + pad))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(if epochs.is_empty() { "optimizer step" } else { "optimizer step (grey lines: epoch boundaries)" })
            .x_label_formatter(&|x| format!("{}", x.round() as i64))
            .y_label_formatter(&|y| if y.abs() <= (hi - lo + pad) * 1e-9 { "0".into() } else { short(*y) })
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        for &e in &epochs {
            let line = vec![(e, lo - pad), (e, hi + pad)];
            chart.draw_series(LineSeries::new(line, BLACK.mix(0.25).stroke_width(1))).map_err(draw_err)?;
        }
        let pts: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
        chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2))).map_err(draw_err)?;
        if pts.len() <= 200 {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, colour.filled()))).map_err(draw_err)?;
        }
    }
    root.present().map_err(draw_err)
}
