//! Keras' `Flatten`: `[batch, d1, d2, …] → [batch, d1·d2·…]`.

use serde::{Deserialize, Serialize};

use super::check_samples;
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Where the channels of an image sample are: last (`[h, w, c]`, Keras' default) or first
/// (`[c, h, w]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// `[…, channels]`.
    #[default]
    ChannelsLast,
    /// `[channels, …]`.
    ChannelsFirst,
}

/// Keras' `Flatten` configuration.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {
    /// The layer's name; `None` lets the model choose `flatten`, `flatten_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The layout of the samples (default: channels last).
    #[serde(default)]
    pub data_format: DataFormat,
}

impl LayerKind for FlattenConfig {
    type Layer = Flatten;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let n = input_shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let n =
            n.ok_or_else(|| check.bad("input_shape", format!("{input_shape:?}"), "the flattened size overflows"))?;
        Ok(LayerPlan { output_shape: vec![n], params: 0, weights: Vec::new() })
    }

    fn into_layer(self) -> Flatten {
        Flatten { config: self, shape: Vec::new() }
    }
}

/// Flattens each sample.
///
/// # Shapes
/// `x: [batch, d1, …, dk] → y: [batch, d1·…·dk]` (a sample of shape `[]`
/// becomes `[1]`), row-major, so a channels-last sample is copied as is.
///
/// With [`DataFormat::ChannelsFirst`], a sample `[c, d1, …]` is first moved to `[d1, …, c]` (as
/// Keras does) so that flattened features are ordered the same in both layouts.
///
/// Backward: `dx` is `dy` given `x`'s shape back (and, channels first, moved back).
#[derive(Debug, Clone, Default)]
pub struct Flatten {
    config: FlattenConfig,
    shape: Vec<usize>,
}

impl Flatten {
    /// Flattens channels-last samples.
    pub fn new() -> Self {
        Self::from_config(FlattenConfig::default())
    }

    config_setters! {
        FlattenConfig;
        /// Sets the layout of the input samples (channels first are moved last, as Keras does).
        data_format(format: DataFormat) => data_format = format;
    }

    fn features(&self) -> usize {
        self.shape.iter().product()
    }

    /// `(channels, positions)` when channels first must be moved last.
    fn channels_first(&self) -> Option<(usize, usize)> {
        (self.config.data_format == DataFormat::ChannelsFirst && self.shape.len() > 1)
            .then(|| (self.shape[0], self.shape[1..].iter().product()))
    }
}

/// Copies `[channels, positions]` blocks of `src` into `[positions, channels]` blocks of `dst`, or
/// back when `forward` is false.
fn move_channels(src: &[f32], dst: &mut [f32], (c, p): (usize, usize), forward: bool) {
    for (s, d) in src.chunks_exact(c * p).zip(dst.chunks_exact_mut(c * p)) {
        for ch in 0..c {
            for pos in 0..p {
                if forward {
                    d[pos * c + ch] = s[ch * p + pos];
                } else {
                    d[ch * p + pos] = s[pos * c + ch];
                }
            }
        }
    }
}

impl Layer for Flatten {
    layer_identity!(FlattenConfig);

    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        self.shape = input_shape.to_vec();
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![self.features()]
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, _scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        y.resize(&[x.rows(), self.features()]);
        match self.channels_first() {
            None => y.data_mut().copy_from_slice(x.data()),
            Some(cp) => move_channels(x.data(), y.data_mut(), cp, true),
        }
    }

    /// # Panics
    /// If `dy` is not `[batch, features]` for `x`.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        assert_eq!(
            dy.shape(),
            [x.rows(), self.features()],
            "{}: gradient {:?} does not match the flattened input {:?}",
            self.name(),
            dy.shape(),
            x.shape()
        );
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        match self.channels_first() {
            None => dx.data_mut().copy_from_slice(dy.data()),
            Some(cp) => move_channels(dy.data(), dx.data_mut(), cp, false),
        }
    }

    /// The values reordered (channels first) or passed as they are (channels last).
    fn forward_f64(&self, input_shape: &[usize], x: &[f64]) -> Forward64 {
        let order = flatten_order(input_shape, self.config.data_format);
        Forward64 { z: None, output: order.iter().map(|&i| x[i]).collect(), source: Some(order) }
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Flatten { input_shape: v.input_shape.to_vec(), output_shape: self.output_shape() }
    }
}

/// For each flattened output position, the input position it reads: the identity for channels
/// last; `[c, d…] → [d…, c]` for channels first.
fn flatten_order(shape: &[usize], format: DataFormat) -> Vec<usize> {
    let n: usize = shape.iter().product();
    if format == DataFormat::ChannelsLast || shape.len() < 2 {
        return (0..n).collect();
    }
    let (channels, positions) = (shape[0], n / shape[0].max(1));
    (0..n).map(|o| (o % channels) * positions + o / channels).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_round_trip() {
        let mut f = Flatten::new().named("f");
        f.build(&[2, 3, 4], 0);
        assert_eq!(f.output_shape(), [24]);
        let x = Tensor::from_vec(&[2, 2, 3, 4], (0..48).map(|v| v as f32).collect());
        let y = f.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.shape(), &[2, 24]);
        assert_eq!(y.data(), x.data());
        let mut dx = Tensor::default();
        f.backward(&x, &y, &y, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx, x);
    }

    #[test]
    fn scalar_samples_become_one_feature() {
        let mut f = Flatten::new();
        f.build(&[], 0);
        assert_eq!(f.output_shape(), [1]);
        let y = f.call(&Tensor::from_vec(&[3], vec![1., 2., 3.]), Mode::Infer, &mut Scratch::default());
        assert_eq!(y.shape(), &[3, 1]);
    }

    #[test]
    fn channels_first_moves_channels_last() {
        // One sample [c=2, h=1, w=3]: channel 0 = 0 1 2, channel 1 = 10 11 12.
        let mut f = Flatten::new().data_format(DataFormat::ChannelsFirst);
        f.build(&[2, 1, 3], 0);
        let x = Tensor::from_vec(&[1, 2, 1, 3], vec![0., 1., 2., 10., 11., 12.]);
        let y = f.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.data(), &[0., 10., 1., 11., 2., 12.]);
        let mut dx = Tensor::default();
        f.backward(&x, &y, &y, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx, x);
    }

    #[test]
    fn channels_first_order_moves_channels_last() {
        // [2 channels, 3 positions]: output (p, c) reads input c·3 + p.
        assert_eq!(flatten_order(&[2, 3], DataFormat::ChannelsFirst), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(flatten_order(&[2, 3], DataFormat::ChannelsLast), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    #[should_panic(expected = "does not match samples of shape [2, 3]")]
    fn wrong_sample_shape_panics() {
        let mut f = Flatten::new().named("f");
        f.build(&[2, 3], 0);
        f.call(&Tensor::zeros(&[1, 3, 2]), Mode::Infer, &mut Scratch::default());
    }
}
