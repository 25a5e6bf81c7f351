//! A diverging colour map for signed values (weights, products `xᵢ·wᵢ`): blue below zero, white
//! at zero, orange above, symmetric in `[−max, max]` (blue–orange, which colour-blind readers
//! tell apart, unlike red–green), and a grey map for inputs. Each picture draws its scale with
//! [`colour_bar`], ticked at round values ([`round_ticks`]).

use plotters::prelude::*;

use super::{Anchor, Area, fill, frame, label};

/// The anchors from −1 to 1: ColorBrewer's Blues for negative values, the orange arm of its PuOr
/// for positive ones.
const ANCHORS: [(f64, (u8, u8, u8)); 5] =
    [(-1.0, (8, 69, 148)), (-0.5, (107, 174, 214)), (0.0, (247, 247, 247)), (0.5, (253, 174, 97)), (1.0, (179, 88, 6))];

/// The colour of `v` on a scale from `−max` (dark blue) through 0 (white) to `max` (dark orange).
/// Values beyond the scale take its end colours; a non-finite value is drawn black.
pub fn diverging(v: f64, max: f64) -> RGBColor {
    if !v.is_finite() {
        return BLACK;
    }
    let t = if max > 0.0 { (v / max).clamp(-1.0, 1.0) } else { 0.0 };
    let i = ANCHORS.windows(2).position(|w| t <= w[1].0).unwrap_or(ANCHORS.len() - 2);
    let ((t0, a), (t1, b)) = (ANCHORS[i], ANCHORS[i + 1]);
    let f = (t - t0) / (t1 - t0);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Grey from white (`lo`) to black (`hi`), as digits are usually shown.
pub fn grey(v: f64, lo: f64, hi: f64) -> RGBColor {
    let t = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
    let c = (255.0 * (1.0 - t)).round() as u8;
    RGBColor(c, c, c)
}

/// The largest `|v|` among finite values (1 when there is none, so that a scale always exists).
pub fn max_abs(values: impl IntoIterator<Item = f64>) -> f64 {
    let m = values.into_iter().filter(|v| v.is_finite()).fold(0.0, |m: f64, v| m.max(v.abs()));
    if m > 0.0 { m } else { 1.0 }
}

/// Round tick values for a scale `[−max, max]`: the multiples of a step `1, 2 or 5 × 10ᵏ` (the
/// largest that still gives a tick on each side of 0) within it, from the top, with the number of
/// decimals that shows the step exactly. E.g. `max = 0.2019`: `0.2, 0.1, 0, −0.1, −0.2` (1 decimal).
pub fn round_ticks(max: f64) -> (Vec<f64>, usize) {
    if !(max.is_finite() && max > 0.0) {
        return (vec![0.0], 0);
    }
    let raw = max / 2.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [5.0, 2.0, 1.0].iter().map(|m| m * magnitude).find(|&s| s <= raw * (1.0 + 1e-9)).unwrap_or(magnitude);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let k = (max / step + 1e-9).floor() as i64;
    ((-k..=k).rev().map(|i| i as f64 * step).collect(), decimals)
}

/// A vertical colour bar at `(x, y)`, `w × h` pixels, from `max` (top) to `−max` (bottom), with
/// round ticks ([`round_ticks`]) on its right and `caption` above it.
pub fn colour_bar(
    area: &Area<'_>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    max: f64,
    caption: &str,
) -> anyhow::Result<()> {
    for row in 0..h {
        let v = max * (1.0 - 2.0 * f64::from(row) / f64::from(h - 1).max(1.0));
        fill(area, (x, y + row), (x + w, y + row + 1), diverging(v, max))?;
    }
    frame(area, (x, y), (x + w, y + h))?;
    let (mut ticks, decimals) = round_ticks(max);
    // At most one tick per 18 pixels: every second one (0 stays) while they would crowd.
    while ticks.len() > 3 && ticks.len() as i32 > 1 + h / 18 {
        let middle = ticks.len() / 2;
        ticks = ticks.into_iter().enumerate().filter(|(i, _)| i.abs_diff(middle) % 2 == 0).map(|(_, v)| v).collect();
    }
    for v in ticks {
        let ty = y + (f64::from(h - 1) * (max - v) / (2.0 * max)).round() as i32;
        fill(area, (x + w, ty), (x + w + 5, ty + 1), BLACK)?;
        let text = if v == 0.0 { "0".to_string() } else { format!("{v:.decimals$}") };
        label(area, &text, (x + w + 8, ty), 13, Anchor::Left)?;
    }
    label(area, caption, (x + w / 2, y - 14), 14, Anchor::Centre)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_white_and_the_signs_are_blue_and_orange() {
        assert_eq!(diverging(0.0, 2.0), RGBColor(247, 247, 247));
        assert_eq!(diverging(-2.0, 2.0), RGBColor(8, 69, 148));
        assert_eq!(diverging(5.0, 2.0), RGBColor(179, 88, 6));
        let RGBColor(r, _, b) = diverging(0.7, 1.0);
        assert!(r > b);
        assert_eq!(diverging(f64::NAN, 1.0), BLACK);
        assert_eq!(max_abs([0.0, f64::NAN]), 1.0);
        assert_eq!(max_abs([-3.0, 2.0]), 3.0);
    }

    #[test]
    fn ticks_are_round_and_inside_the_scale() {
        assert_eq!(round_ticks(0.2019), (vec![0.2, 0.1, 0.0, -0.1, -0.2], 1));
        assert_eq!(round_ticks(1.0), (vec![1.0, 0.5, 0.0, -0.5, -1.0], 1));
        assert_eq!(round_ticks(3.7), (vec![3.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0], 0));
        assert_eq!(round_ticks(0.034), (vec![0.03, 0.02, 0.01, 0.0, -0.01, -0.02, -0.03], 2));
        assert_eq!(round_ticks(f64::NAN), (vec![0.0], 0));
    }
}
