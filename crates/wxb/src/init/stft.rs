//! Keras 3's `STFT` initializer: the kernel of a short-time Fourier transform as a convolution,
//! `[frame_length, 1, fft_length]`, with the window folded in
//! (`keras/src/initializers/constant_initializers.py`, windows as `scipy.signal.get_window`).

use serde::{Deserialize, Serialize};

/// Which part of the DFT the kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StftSide {
    /// `cos`: the real part.
    Real,
    /// `sin`: the imaginary part.
    Imag,
}

/// The window applied to each frame (scipy's formulas; `n` runs over `0..N`, and the denominator
/// `M` is `N − 1` for a symmetric window, `N` for a periodic one; a window of one sample is `[1]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StftWindow {
    /// `½ − ½·cos(2πn/M)` (Keras' default).
    Hann,
    /// `0.54 − 0.46·cos(2πn/M)`.
    Hamming,
}

/// How the window is normalized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StftScaling {
    /// Divide by `√Σ win²` (Keras' default).
    Density,
    /// Divide by `Σ |win|`.
    Spectrum,
}

impl StftWindow {
    /// The window's `len` values, in f64 as scipy computes them.
    fn values(self, len: usize, periodic: bool) -> Vec<f64> {
        if len == 1 {
            return vec![1.0];
        }
        let m = if periodic { len } else { len - 1 } as f64;
        let (a, b) = match self {
            StftWindow::Hann => (0.5, 0.5),
            StftWindow::Hamming => (0.54, 0.46),
        };
        (0..len).map(|n| a - b * (2.0 * std::f64::consts::PI * n as f64 / m).cos()).collect()
    }
}

/// The kernel `[frame_length, 1, fft_length]`, computed in f32 as Keras does (window in f64 then
/// rounded, as `convert_to_tensor` of scipy's array).
///
/// # Panics
/// If `shape` is not `[frame_length, 1, fft_length]` with `fft_length ≥ 2`.
pub(super) fn kernel(
    shape: &[usize],
    side: StftSide,
    window: Option<StftWindow>,
    scaling: Option<StftScaling>,
    periodic: bool,
) -> Vec<f32> {
    let &[frames, channels, bins] = shape else {
        panic!("the stft initializer needs a shape [frame_length, 1, fft_length], got {shape:?}")
    };
    assert!(
        channels == 1 && bins >= 2,
        "the stft initializer needs a shape [frame_length, 1, fft_length ≥ 2], got {shape:?}"
    );
    let win: Option<Vec<f32>> = window.map(|w| w.values(frames, periodic).into_iter().map(|v| v as f32).collect());
    let scale = match (&win, scaling) {
        (Some(w), Some(StftScaling::Density)) => w.iter().map(|v| v * v).sum::<f32>().sqrt(),
        (Some(w), Some(StftScaling::Spectrum)) => w.iter().map(|v| v.abs()).sum::<f32>(),
        _ => 1.0,
    };
    let period = ((bins - 1) * 2) as f32;
    let pi = (-1.0f32).acos();
    let mut out = Vec::with_capacity(frames * bins);
    for t in 0..frames {
        for k in 0..bins {
            let freq = k as f32 / period;
            let arg = -2.0 * t as f32 * freq * pi;
            let v = match side {
                StftSide::Real => arg.cos(),
                StftSide::Imag => arg.sin(),
            };
            out.push(match &win {
                Some(w) => v * w[t] / scale,
                None => v,
            });
        }
    }
    out
}
