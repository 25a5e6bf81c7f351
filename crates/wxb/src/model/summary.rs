//! `summary()`: Keras 3's table, character for character.
//!
//! Keras renders it with `rich`: three columns at 45 %, 80 % and 100 % of the line length, shrunk
//! together by the four border characters (rich's `ratio_reduce`), one space of padding in each
//! cell, long names wrapped at spaces. Without a terminal the line length is `min(88, 80 − 4) = 76`.

use super::Sequential;

/// Keras' line length when not printing to a terminal.
pub const DEFAULT_LINE_LENGTH: usize = 76;

impl Sequential {
    /// The model's summary as Keras prints it without a terminal (76 columns).
    pub fn summary(&self) -> String {
        self.summary_with_width(DEFAULT_LINE_LENGTH)
    }

    /// The summary for a line length of `line_length` characters (Keras' `line_length`).
    ///
    /// # Panics
    /// If `line_length` is under 24 (Keras refuses columns narrower than 4).
    pub fn summary_with_width(&self, line_length: usize) -> String {
        assert!(line_length >= 24, "summary: line length {line_length} is too small");
        let widths = column_widths(line_length);
        let mut rows = Vec::new();
        let mut shape = self.input_shape.clone();
        for layer in &self.layers {
            shape = layer.output_shape();
            let params: usize = layer.params().iter().map(|p| p.len()).sum();
            rows.push([format!("{} ({})", layer.name(), layer.class_name()), format_shape(&shape), thousands(params)]);
        }
        let _ = shape;
        let mut s = format!("Model: \"{}\"\n", self.name);
        s += &border(&widths, ['┏', '━', '┳', '┓']);
        s += &cells(&widths, &["Layer (type)".into(), "Output Shape".into(), "Param #".into()], '┃');
        s += &border(&widths, ['┡', '━', '╇', '┩']);
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                s += &border(&widths, ['├', '─', '┼', '┤']);
            }
            s += &cells(&widths, row, '│');
        }
        s += &border(&widths, ['└', '─', '┴', '┘']);

        let trainable: usize = self.params().filter(|(_, _, p)| p.trainable).map(|(_, _, p)| p.len()).sum();
        let frozen: usize = self.params().filter(|(_, _, p)| !p.trainable).map(|(_, _, p)| p.len()).sum();
        // Keras counts the optimizer's variables once it has taken a step.
        let opt = self.optimizer().filter(|o| o.iterations() > 0).map(|o| o.keras_variables_size());
        let (opt_count, opt_bytes) = opt.unwrap_or((0, 0));
        let total = trainable + frozen + opt_count;
        let total_bytes = (trainable + frozen) * 4 + opt_bytes;
        s += &format!(" Total params: {} ({})\n", thousands(total), readable_size(total_bytes));
        s += &format!(" Trainable params: {} ({})\n", thousands(trainable), readable_size(trainable * 4));
        s += &format!(" Non-trainable params: {} ({})\n", thousands(frozen), readable_size(frozen * 4));
        if opt.is_some() {
            s += &format!(" Optimizer params: {} ({})\n", thousands(opt_count), readable_size(opt_bytes));
        }
        s
    }
}

/// The rendered width of each column, padding included.
fn column_widths(line_length: usize) -> [usize; 3] {
    let mut widths = [0usize; 3];
    let mut current = 0;
    for (w, pos) in widths.iter_mut().zip([0.45, 0.80, 1.0]) {
        // Keras: int(pos * line_length) - current.
        let edge = (pos * line_length as f64) as usize;
        *w = edge - current;
        current = edge;
    }
    // rich's ratio_reduce of the 4 border characters, equal ratios, Python's round-half-even.
    let mut excess = 4usize;
    let mut ratio_left = 3usize;
    for w in &mut widths {
        let share = round_half_even(excess as f64 / ratio_left as f64).min(*w);
        *w -= share;
        excess -= share;
        ratio_left -= 1;
    }
    widths
}

fn round_half_even(x: f64) -> usize {
    let r = x.round();
    if (x - x.trunc() - 0.5).abs() < 1e-12 && r as usize % 2 == 1 { (r - 1.0) as usize } else { r as usize }
}

fn border(widths: &[usize; 3], [left, fill, mid, right]: [char; 4]) -> String {
    let mut s = String::new();
    s.push(left);
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 {
            s.push(mid);
        }
        s.extend(std::iter::repeat_n(fill, w));
    }
    s.push(right);
    s.push('\n');
    s
}

/// One table row; the first two columns are left-aligned, the last right-aligned, and text that
/// does not fit is wrapped onto further lines.
fn cells(widths: &[usize; 3], texts: &[String], bar: char) -> String {
    let wrapped: Vec<Vec<String>> = texts.iter().zip(widths).map(|(t, &w)| wrap(t, w - 2)).collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    let mut s = String::new();
    for line in 0..lines {
        s.push(bar);
        for (col, (cell, &w)) in wrapped.iter().zip(widths).enumerate() {
            let text = cell.get(line).map_or("", String::as_str);
            let pad = (w - 2).saturating_sub(text.chars().count());
            s.push(' ');
            if col == 2 {
                s.extend(std::iter::repeat_n(' ', pad));
                s += text;
            } else {
                s += text;
                s.extend(std::iter::repeat_n(' ', pad));
            }
            s.push(' ');
            s.push(bar);
        }
        s.push('\n');
    }
    s
}

/// Greedy word wrap at spaces; words longer than the width are cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if !cur.is_empty() && need > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur += &word;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

fn format_shape(shape: &[usize]) -> String {
    let dims: Vec<String> = std::iter::once("None".to_string()).chain(shape.iter().map(usize::to_string)).collect();
    format!("({})", dims.join(", "))
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Keras' `readable_memory_size`: `918.54 KB`, `0.00 B`.
pub fn readable_size(bytes: usize) -> String {
    let mut size = bytes as f64;
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_keras_at_76_and_88_columns() {
        assert_eq!(column_widths(76), [33, 24, 15]);
        assert_eq!(column_widths(88), [38, 29, 17]);
    }

    #[test]
    fn helpers() {
        assert_eq!(thousands(200_960), "200,960");
        assert_eq!(thousands(0), "0");
        assert_eq!(readable_size(235_146 * 4), "918.54 KB");
        assert_eq!(readable_size(0), "0.00 B");
        assert_eq!(
            wrap("batch_normalization (BatchNormalization)", 31),
            ["batch_normalization", "(BatchNormalization)"]
        );
    }
}
