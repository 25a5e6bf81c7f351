//! Keras' `Flatten`: `[batch, d1, d2, …] → [batch, d1·d2·…]`.

use serde::{Deserialize, Serialize};

use super::{Layer, LayerConfig, Mode, Param};
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

/// Flattens each sample: `x: [batch, d1, …, dk] → y: [batch, d1·…·dk]` (a sample of shape `[]`
/// becomes `[1]`), row-major, so a channels-last sample is copied as is.
///
/// With [`DataFormat::ChannelsFirst`], a sample `[c, d1, …]` is first moved to `[d1, …, c]` (as
/// Keras does) so that flattened features are ordered the same in both layouts.
///
/// Backward: `dx` is `dy` given `x`'s shape back (and, channels first, moved back).
#[derive(Debug, Clone, Default)]
pub struct Flatten {
    config: FlattenConfig,
    name: String,
    shape: Vec<usize>,
}

impl Flatten {
    /// A Flatten layer for channels-last samples.
    pub fn new() -> Self {
        Self::from_config(FlattenConfig::default())
    }

    /// The layer from its configuration.
    pub fn from_config(config: FlattenConfig) -> Self {
        Self { name: config.name.clone().unwrap_or_default(), config, shape: Vec::new() }
    }

    /// Sets the layout of the samples.
    pub fn data_format(mut self, format: DataFormat) -> Self {
        self.config.data_format = format;
        self
    }

    /// Names the layer.
    pub fn named(mut self, name: &str) -> Self {
        self.set_name(name.to_string());
        self
    }

    fn features(&self) -> usize {
        self.shape.iter().product()
    }

    /// `(channels, positions)` when samples are channels first and must be transposed.
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
    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.config.name = Some(name.clone());
        self.name = name;
    }

    fn class_name(&self) -> &'static str {
        "Flatten"
    }

    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        self.shape = input_shape.to_vec();
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![self.features()]
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&mut self, x: &Tensor, y: &mut Tensor, _mode: Mode) {
        assert_eq!(
            &x.shape()[1.min(x.rank())..],
            self.shape.as_slice(),
            "{}: input {:?} does not match samples of shape {:?}",
            self.name,
            x.shape(),
            self.shape
        );
        y.resize(&[x.rows(), self.features()]);
        match self.channels_first() {
            None => y.data_mut().copy_from_slice(x.data()),
            Some(cp) => move_channels(x.data(), y.data_mut(), cp, true),
        }
    }

    /// # Panics
    /// If `dy` is not `[batch, features]` for `x`'s batch.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>) {
        assert_eq!(
            dy.shape(),
            [x.rows(), self.features()],
            "{}: gradient {:?} does not match the flattened input {:?}",
            self.name,
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

    fn params(&self) -> Vec<&Param> {
        Vec::new()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        Vec::new()
    }

    fn for_each_param(&self, _f: &mut dyn FnMut(&Param)) {}

    fn for_each_param_mut(&mut self, _f: &mut dyn FnMut(&mut Param)) {}

    fn config(&self) -> LayerConfig {
        LayerConfig::Flatten(self.config.clone())
    }
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
        let y = f.call(&x, Mode::Infer);
        assert_eq!(y.shape(), &[2, 24]);
        assert_eq!(y.data(), x.data());
        let mut dx = Tensor::default();
        f.backward(&x, &y, &y, Some(&mut dx));
        assert_eq!(dx, x);
    }

    #[test]
    fn scalar_samples_become_one_feature() {
        let mut f = Flatten::new();
        f.build(&[], 0);
        assert_eq!(f.output_shape(), [1]);
        let y = f.call(&Tensor::from_vec(&[3], vec![1., 2., 3.]), Mode::Infer);
        assert_eq!(y.shape(), &[3, 1]);
    }

    #[test]
    fn channels_first_moves_channels_last() {
        // One sample [c=2, h=1, w=3]: channel 0 = 0 1 2, channel 1 = 10 11 12.
        let mut f = Flatten::new().data_format(DataFormat::ChannelsFirst);
        f.build(&[2, 1, 3], 0);
        let x = Tensor::from_vec(&[1, 2, 1, 3], vec![0., 1., 2., 10., 11., 12.]);
        let y = f.call(&x, Mode::Infer);
        assert_eq!(y.data(), &[0., 10., 1., 11., 2., 12.]);
        let mut dx = Tensor::default();
        f.backward(&x, &y, &y, Some(&mut dx));
        assert_eq!(dx, x);
    }

    #[test]
    #[should_panic(expected = "does not match samples of shape [2, 3]")]
    fn wrong_sample_shape_panics() {
        let mut f = Flatten::new().named("f");
        f.build(&[2, 3], 0);
        f.call(&Tensor::zeros(&[1, 3, 2]), Mode::Infer);
    }
}
