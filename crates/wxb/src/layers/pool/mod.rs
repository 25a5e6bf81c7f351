//! What the pooling layers share: [`PoolSpec`] (a pooling kind's settings seen as a 2-D window
//! over channels-last samples; a 1-D kind is a 2-D one of height 1, a global kind a window as
//! large as the input), the passes of [`PoolCore`] (`engine.rs`) and the `explain` trace
//! ([`PoolTrace`], `explain.rs`).
//!
//! Window `(oy, ox)` covers input rows `oy·sh − pt … oy·sh − pt + ph − 1` and the columns alike
//! (the [`Geometry`] of a convolution with `filters = channels` and dilation 1); `valid` and `same`
//! padding as for a convolution. Padded cells take no part: a max is over the real cells, an
//! average divides by the count of real cells (TensorFlow's, so Keras').
//!
//! Each kind's file holds only its `pooling_kind!`/`global_pooling_kind!` line; these macros write
//! its Keras configuration, its [`LayerKind`](super::LayerKind) and its [`Layer`](super::Layer).

mod engine;
mod explain;
#[macro_use]
mod macros;

pub(crate) use engine::PoolCore;
pub use explain::{PoolInput, PoolTrace};

use serde::{Deserialize, Deserializer, Serialize};

use super::conv::{Geometry, Padding, axis};
use super::{Check, DataFormat, LayerPlan};
use crate::error::WxbError;

/// What a pooling window computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolOp {
    /// The largest value of the window (the gradient goes to the first largest, as TensorFlow's).
    Max,
    /// The mean of the window's real (unpadded) cells.
    Average,
}

/// Where a pooling layer's windows lie.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Window {
    /// `pool` cells every `strides` (height first; height 1 for a 1-D kind), with `padding`.
    Local { pool: [usize; 2], strides: [usize; 2], padding: Padding },
    /// One window over every position; `keepdims` keeps the spatial axes as 1s.
    Global { keepdims: bool },
}

/// A pooling kind's settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolSpec {
    /// Keras' class name (for errors).
    pub class: &'static str,
    /// 1 (samples `[steps, c]`) or 2 (samples `[h, w, c]`).
    pub rank: usize,
    pub op: PoolOp,
    pub window: Window,
    pub data_format: DataFormat,
}

/// The last `rank` entries of a per-axis setting (a 1-D kind shows one value).
fn shown(rank: usize, v: [usize; 2]) -> String {
    format!("{:?}", &v[2 - rank..])
}

impl PoolSpec {
    /// A 1-D kind's per-axis setting `[v]` as the 2-D `[1, v]`; a 2-D kind's as it is.
    pub fn axes(v: &[usize]) -> [usize; 2] {
        match v {
            [one] => [1, *one],
            [h, w] => [*h, *w],
            _ => unreachable!("pooling kinds have 1 or 2 spatial axes"),
        }
    }

    /// The output sample's shape for geometry `g`.
    pub fn output_shape(&self, g: &Geometry) -> Vec<usize> {
        let mut s = match self.window {
            Window::Local { .. } => g.output[2 - self.rank..].to_vec(),
            Window::Global { keepdims: true } => vec![1; self.rank],
            Window::Global { keepdims: false } => Vec::new(),
        };
        s.push(g.filters);
        s
    }

    /// Checks every setting for samples of `input_shape` and returns the geometry and the plan.
    ///
    /// # Errors
    /// [`WxbError::InvalidLayer`] naming the first invalid field, with the shapes involved.
    pub fn plan(&self, input_shape: &[usize], check: &Check) -> Result<(Geometry, LayerPlan), WxbError> {
        if self.data_format != DataFormat::ChannelsLast {
            return Err(check.bad("data_format", "channels_first".into(), "only channels_last is supported"));
        }
        if let Window::Local { pool, strides, padding } = self.window {
            for (field, v) in [("pool_size", pool), ("strides", strides)] {
                if v.contains(&0) {
                    return Err(check.bad(field, shown(self.rank, v), "every value must be at least 1"));
                }
                if v.iter().any(|&d| d > 1 << 20) {
                    return Err(check.bad(field, shown(self.rank, v), "values above 2^20 are not supported"));
                }
            }
            if padding == Padding::Causal {
                return Err(check.bad("padding", "causal".into(), "pooling pads `valid` or `same`"));
            }
        }
        let input = match (self.rank, input_shape) {
            (2, &[h, w, c]) => [h, w, c],
            (1, &[steps, c]) => [1, steps, c],
            _ => {
                let what = if self.rank == 2 {
                    "takes samples of shape [height, width, channels] (channels last)"
                } else {
                    "takes samples of shape [steps, channels] (channels last)"
                };
                return Err(check.bad("input_shape", format!("{input_shape:?} for {}", self.class), what));
            }
        };
        if input.contains(&0) {
            return Err(check.bad("input_shape", format!("{input_shape:?}"), "every axis must be at least 1"));
        }
        let len = input.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if len.is_none_or(|n| n > u32::MAX as usize) {
            return Err(check.bad("input_shape", format!("{input_shape:?}"), "samples above 2^32 values"));
        }
        let (pool, strides, padding) = match self.window {
            Window::Local { pool, strides, padding } => (pool, strides, padding),
            Window::Global { .. } => ([input[0], input[1]], [1, 1], Padding::Valid),
        };
        let rows = axis(input[0], pool[0], strides[0], 1, padding);
        let cols = axis(input[1], pool[1], strides[1], 1, padding);
        let (rows, cols) = match (rows, cols) {
            (Ok(r), Ok(c)) => (r, c),
            _ => {
                return Err(check.bad(
                    "pool_size",
                    format!("{} for samples of shape {input_shape:?} with padding valid", shown(self.rank, pool)),
                    "the pool window is larger than the input",
                ));
            }
        };
        let g = Geometry {
            input,
            kernel: pool,
            strides,
            dilation: [1, 1],
            pad: [rows.1, cols.1],
            output: [rows.0, cols.0],
            filters: input[2],
        };
        Ok((g, LayerPlan { output_shape: self.output_shape(&g), params: 0, weights: Vec::new() }))
    }
}

/// Keras' `strides`: absent or `null` (the pool size), one number for every axis, or one per axis.
pub(crate) fn opt_int_or_list<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<Option<[usize; N]>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Sizes {
        One(usize),
        Each(Vec<usize>),
    }
    match Option::<Sizes>::deserialize(d)? {
        None => Ok(None),
        Some(Sizes::One(n)) => Ok(Some([n; N])),
        Some(Sizes::Each(v)) => <[usize; N]>::try_from(v.as_slice())
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected {N} sizes or one number, got {v:?}"))),
    }
}

/// `[2, …]`: Keras' default pool size.
pub(crate) fn twos<const N: usize>() -> [usize; N] {
    [2; N]
}
