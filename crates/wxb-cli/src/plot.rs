//! Pictures drawn with plotters into PNG files, with the DejaVu Sans font compiled into the
//! binary (no system fonts needed).

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;
use wxb::train::History;

/// The font family name every drawing uses.
pub const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans as `sans-serif` (once per process).
pub fn init_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"));
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans Bold font is valid"));
    });
}

/// A drawing error (plotters' errors borrow the backend) as an anyhow error, in words: the
/// bitmap backend shows an I/O error as its debug dump (`IOError(Os { .., message: "No space
/// left on device" })`), of which only the system's message is kept.
pub fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {}", plain_message(&e.to_string()))
}

/// The `message: "…"` of an I/O error's debug text, or the text itself.
fn plain_message(text: &str) -> &str {
    text.split_once("message: \"").and_then(|(_, rest)| rest.split_once('"')).map_or(text, |(m, _)| m)
}

/// Draws a PNG through a temporary file in the same folder, replacing `path` atomically
/// ([`wxb::io::atomic::replace_with`]), so a crash never leaves a half-written picture.
pub fn write_png_atomic(path: &Path, draw: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    wxb::io::atomic::replace_with(path, draw).with_context(|| format!("writing {}", path.display()))
}

/// `training.png`: `title` (the data and the model) above one panel per quantity (loss, then each
/// metric), the training curve in blue and the validation curve in orange, over the epochs.
pub fn training_curves(history: &History, title: &str, path: &Path) -> Result<()> {
    write_png_atomic(path, |tmp| draw_training_curves(history, title, tmp))
}

/// The title in lines that fit `width` pixels, broken between its ` — ` parts (bold 17 px
/// DejaVu Sans is at most about 11 px a character).
fn title_lines(title: &str, width: u32) -> Vec<String> {
    let fits = |s: &str| s.chars().count() * 11 + 40 <= width as usize;
    let mut lines: Vec<String> = Vec::new();
    for part in title.split(" — ") {
        match lines.last_mut() {
            Some(last) if fits(&format!("{last} — {part}")) => *last = format!("{last} — {part}"),
            _ => lines.push(part.to_string()),
        }
    }
    lines
}

fn draw_training_curves(history: &History, title: &str, path: &Path) -> Result<()> {
    init_fonts();
    let panels: Vec<&str> = history.keys().filter(|k| !k.starts_with("val_") && *k != "learning_rate").collect();
    let panels: Vec<&str> = std::iter::once("loss").chain(panels.into_iter().filter(|k| *k != "loss")).collect();
    let (w, h) = (520u32, 380u32);
    let width = w * panels.len().max(1) as u32;
    let lines = title_lines(title, width);
    let head = 16 + 24 * lines.len() as u32;
    let root = crate::draw::png(path, (width, h + head));
    root.fill(&WHITE).map_err(draw_err)?;
    let (top, root) = root.split_vertically(head);
    for (i, line) in lines.iter().enumerate() {
        crate::draw::title(&top, line, (width as i32 / 2, 20 + 24 * i as i32), 17)?;
    }
    let areas = root.split_evenly((1, panels.len().max(1)));
    let epochs: Vec<f64> = history.epochs.iter().map(|&e| (e + 1) as f64).collect();
    for (area, key) in areas.iter().zip(&panels) {
        let train = history.get(key).unwrap_or(&[]);
        let val_key = format!("val_{key}");
        let val = history.get(&val_key).unwrap_or(&[]);
        let finite = train.iter().chain(val).copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        // A flat curve (one epoch, or a constant metric) gets a readable range around its value,
        // not ten ticks that all print the same number.
        let pad = if hi - lo > 1e-6 * hi.abs().max(1.0) { (hi - lo) * 0.08 } else { 0.05 * hi.abs().max(0.1) };
        let x_max = epochs.last().copied().unwrap_or(1.0).max(2.0);
        let mut chart = ChartBuilder::on(area)
            .caption(*key, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(1.0..x_max, (lo - pad)..(hi + pad))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_labels(epochs.len().clamp(2, 10))
            .x_label_formatter(&|x| format!("{}", x.round() as i64))
            .y_desc(*key)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(draw_err)?;
        let series = [(train, key.to_string(), BLUE), (val, val_key, RGBColor(230, 120, 20))];
        for (values, label, color) in series {
            if values.is_empty() {
                continue;
            }
            let pts: Vec<(f64, f64)> =
                epochs.iter().copied().zip(values.iter().copied()).filter(|p| p.1.is_finite()).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(draw_err)?;
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight, 13)?;
    }
    root.present().map_err(draw_err)
}

/// The chart's legend, on a nearly opaque white box with a thin border, at `position`, in
/// `size`-point text.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, size))
        .background_style(WHITE.mix(0.88))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(draw_err)
}

#[cfg(test)]
mod tests {
    #[test]
    fn io_errors_are_shown_in_words() {
        let dump = r#"backend error: IOError(Os { code: 28, kind: StorageFull, message: "No space left on device" })"#;
        assert_eq!(super::plain_message(dump), "No space left on device");
        assert_eq!(super::plain_message("Bad layout"), "Bad layout");
    }
}
