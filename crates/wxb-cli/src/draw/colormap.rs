//! A diverging colour map for signed values (weights, products `xᵢ·wᵢ`): blue below zero, white
//! at zero, red above, symmetric in `[−max, max]` (ColorBrewer's RdBu, reversed), and a grey map
//! for inputs. Each picture draws its scale with [`colour_bar`].

use plotters::prelude::*;

use super::{Anchor, Area, fill, frame, label, short};

/// RdBu's anchors from −1 to 1.
const ANCHORS: [(f64, (u8, u8, u8)); 5] =
    [(-1.0, (5, 48, 97)), (-0.5, (67, 147, 195)), (0.0, (247, 247, 247)), (0.5, (214, 96, 77)), (1.0, (103, 0, 31))];

/// The colour of `v` on a scale from `−max` (dark blue) through 0 (white) to `max` (dark red).
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

/// A vertical colour bar at `(x, y)`, `w × h` pixels, from `max` (top) to `−max` (bottom), with
/// ticks at `max`, `max/2`, 0, `−max/2`, `−max` on its right and `caption` above it.
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
    for k in 0..5 {
        let ty = y + (h - 1) * k / 4;
        let v = max * (1.0 - f64::from(k) / 2.0);
        fill(area, (x + w, ty), (x + w + 5, ty + 1), BLACK)?;
        label(area, &short(v), (x + w + 8, ty), 13, Anchor::Left)?;
    }
    label(area, caption, (x + w / 2, y - 14), 14, Anchor::Centre)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_white_and_the_signs_are_blue_and_red() {
        assert_eq!(diverging(0.0, 2.0), RGBColor(247, 247, 247));
        assert_eq!(diverging(-2.0, 2.0), RGBColor(5, 48, 97));
        assert_eq!(diverging(5.0, 2.0), RGBColor(103, 0, 31));
        let RGBColor(r, _, b) = diverging(0.7, 1.0);
        assert!(r > b);
        assert_eq!(diverging(f64::NAN, 1.0), BLACK);
        assert_eq!(max_abs([0.0, f64::NAN]), 1.0);
        assert_eq!(max_abs([-3.0, 2.0]), 3.0);
    }
}
