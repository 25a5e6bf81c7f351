//! [`Geometry`]: where each output position of a convolution reads its input, for channels-last
//! samples `[h, w, c]` (a Conv1D's `[steps, c]` is `[1, steps, c]`).
//!
//! With the dilated kernel extent `e = (k − 1)·d + 1` along an axis of length `n` and stride `s`:
//! - `valid`: no padding, `out = ⌊(n − e)/s⌋ + 1` (needs `n ≥ e`);
//! - `same`: `out = ⌈n/s⌉`, padded with `p = max((out − 1)·s + e − n, 0)` zeros, `⌊p/2⌋` before
//!   (TensorFlow's rule, which Keras follows);
//! - `causal` (Conv1D only): `e − 1` zeros before, none after, `out = ⌊(n − 1)/s⌋ + 1`.
//!
//! Output `(oy, ox)` and kernel tap `(ky, kx)` read input `(oy·sh − pt + ky·dh, ox·sw − pl + kx·dw)`,
//! zero outside the input.

use serde::{Deserialize, Serialize};

/// How a convolution pads its input (Keras' `padding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: only positions where the whole kernel fits (Keras' default).
    #[default]
    Valid,
    /// Zeros around the input so that `out = ⌈in / stride⌉`.
    Same,
    /// Conv1D: zeros before the sequence only, so that output `t` sees inputs `≤ t`.
    Causal,
}

impl Padding {
    /// Keras' name.
    pub fn name(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
            Padding::Causal => "causal",
        }
    }
}

/// The shapes and offsets of one convolution (batch excluded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Strides along height and width.
    pub strides: [usize; 2],
    /// Dilation rates along height and width.
    pub dilation: [usize; 2],
    /// Zeros before the first row and column (top, left).
    pub pad: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
    /// Output channels (filters).
    pub filters: usize,
}

/// Why an axis has no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooLarge;

/// `(output length, zeros before)` along one axis of length `n` for a kernel `k` with stride `s`
/// and dilation `d`.
pub(crate) fn axis(n: usize, k: usize, s: usize, d: usize, padding: Padding) -> Result<(usize, usize), TooLarge> {
    let extent = (k - 1) * d + 1;
    match padding {
        Padding::Valid if n >= extent => Ok(((n - extent) / s + 1, 0)),
        Padding::Valid => Err(TooLarge),
        Padding::Same => {
            let out = n.div_ceil(s);
            let total = ((out.max(1) - 1) * s + extent).saturating_sub(n);
            Ok((out, total / 2))
        }
        Padding::Causal => Ok(((n.max(1) - 1) / s + 1, extent - 1)),
    }
}

impl Geometry {
    /// Output positions per sample (`oh·ow`).
    pub fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Values in one patch (`kh·kw·c`): the length of each dot product.
    pub fn patch(&self) -> usize {
        self.kernel[0] * self.kernel[1] * self.input[2]
    }

    /// Values in one input sample.
    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The input row and column tap `(ky, kx)` of output `(oy, ox)` reads, if inside the input.
    #[inline]
    pub fn source(&self, (oy, ox): (usize, usize), (ky, kx): (usize, usize)) -> Option<(usize, usize)> {
        let y = (oy * self.strides[0] + ky * self.dilation[0]).checked_sub(self.pad[0])?;
        let x = (ox * self.strides[1] + kx * self.dilation[1]).checked_sub(self.pad[1])?;
        (y < self.input[0] && x < self.input[1]).then_some((y, x))
    }
}

/// Where one kernel row of an output position lies in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// In the padding: every tap reads zero.
    Outside,
    /// Every tap inside the input and adjacent (dilation 1): the taps are the `kw` input positions
    /// from this one (row-major position `y·w + x`).
    Inside(usize),
    /// In input row `y`, some taps in the padding or taps apart: see [`Geometry::column`] per tap.
    Partly(usize),
}

impl Geometry {
    /// Where kernel row `ky` of output `(oy, ox)` lies.
    #[inline]
    pub(crate) fn row_span(&self, (oy, ox): (usize, usize), ky: usize) -> Span {
        let Some(y) = (oy * self.strides[0] + ky * self.dilation[0]).checked_sub(self.pad[0]) else {
            return Span::Outside;
        };
        if y >= self.input[0] {
            return Span::Outside;
        }
        match (ox * self.strides[1]).checked_sub(self.pad[1]) {
            Some(x) if self.dilation[1] == 1 && x + self.kernel[1] <= self.input[1] => {
                Span::Inside(y * self.input[1] + x)
            }
            _ => Span::Partly(y),
        }
    }

    /// The input column tap `kx` of output column `ox` reads, if inside the input.
    #[inline]
    pub(crate) fn column(&self, ox: usize, kx: usize) -> Option<usize> {
        let x = (ox * self.strides[1] + kx * self.dilation[1]).checked_sub(self.pad[1])?;
        (x < self.input[1]).then_some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lengths_follow_tensorflow() {
        assert_eq!(axis(28, 3, 1, 1, Padding::Valid), Ok((26, 0)));
        assert_eq!(axis(5, 3, 2, 1, Padding::Valid), Ok((2, 0)));
        assert_eq!(axis(2, 3, 1, 1, Padding::Valid), Err(TooLarge));
        assert_eq!(axis(7, 3, 1, 2, Padding::Valid), Ok((3, 0)));
        // same: ⌈n/s⌉, zeros split with the smaller half before.
        assert_eq!(axis(5, 3, 1, 1, Padding::Same), Ok((5, 1)));
        assert_eq!(axis(6, 3, 2, 1, Padding::Same), Ok((3, 0)));
        assert_eq!(axis(5, 4, 1, 1, Padding::Same), Ok((5, 1)));
        assert_eq!(axis(2, 5, 1, 1, Padding::Same), Ok((2, 2)));
        assert_eq!(axis(6, 3, 1, 2, Padding::Causal), Ok((6, 4)));
    }
}
