//! Keras' `SpatialDropout2D`: dropout of whole channels, `y[n, i, j, ch] = x[n, i, j, ch]·m[n, ch]`.

use serde::{Deserialize, Serialize};

use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode};
use super::{SampleValues, Scratch, check_samples, python_float};
use crate::error::WxbError;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

/// Keras' `SpatialDropout2D` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpatialDropout2DConfig {
    /// The layer's name; `None` lets the model choose `spatial_dropout2d`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The fraction of channels set to zero in training, in `[0, 1)`.
    pub rate: f32,
    /// The seed of the masks; `None` (Keras' default) derives them from the model's seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Only `channels_last` (Keras' default) is supported.
    #[serde(default)]
    pub data_format: DataFormat,
}

impl LayerKind for SpatialDropout2DConfig {
    type Layer = SpatialDropout2D;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(check.bad("rate", self.rate.to_string(), "must be in [0, 1)"));
        }
        if self.data_format != DataFormat::ChannelsLast {
            return Err(check.bad("data_format", "channels_first".into(), "only channels_last is supported"));
        }
        if input_shape.len() != 3 {
            return Err(check.bad(
                "input_shape",
                format!("{input_shape:?}"),
                "SpatialDropout2D takes samples of shape [height, width, channels] (channels last)",
            ));
        }
        Ok(LayerPlan { output_shape: input_shape.to_vec(), params: 0, weights: Vec::new() })
    }

    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    fn into_layer(self) -> SpatialDropout2D {
        let rate = self.rate;
        assert!((0.0..1.0).contains(&rate), "SpatialDropout2D: rate must be in [0, 1), got {rate}");
        let scale = (1.0 / (1.0 - python_float(rate))) as f32;
        SpatialDropout2D { scale, config: self, shape: Vec::new(), key: 0, step: 0 }
    }
}

/// Dropout of whole feature maps, as Keras' `SpatialDropout2D`.
///
/// In [`Mode::Train`] each channel of each sample is kept with probability `1 − rate` and scaled
/// by `1/(1 − rate)`: `y[n, i, j, ch] = x[n, i, j, ch]·m[n, ch]`, `m ∈ {0, 1/(1 − rate)}`. The
/// masks are drawn like [`Dropout`](super::Dropout)'s (the layer's stream at the model's training
/// step, wxb's own bits). In [`Mode::Infer`], and for `rate = 0`, `y = x`.
///
/// # Shapes
/// `x`, `y`: `[batch, h, w, c]`; the mask `[batch, c]`. Backward: `dx = dy ⊙ m`.
#[derive(Debug, Clone)]
pub struct SpatialDropout2D {
    config: SpatialDropout2DConfig,
    shape: Vec<usize>,
    scale: f32,
    key: u64,
    step: u64,
}

/// The mask of the last training pass, `[batch, c]` (`0` or `scale`), and whether it applied.
#[derive(Debug, Default)]
struct ChannelMask {
    mask: Vec<f32>,
    masked: bool,
}

impl SpatialDropout2D {
    /// Drops a fraction `rate` of the channels in training.
    ///
    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    pub fn new(rate: f32) -> Self {
        Self::from_config(SpatialDropout2DConfig {
            name: None,
            rate,
            seed: None,
            data_format: DataFormat::ChannelsLast,
        })
    }

    config_setters! {
        SpatialDropout2DConfig;
        /// Seeds the masks with `seed` (independently of the model's seed and the layer's name).
        seed(seed: u64) => seed = Some(seed);
    }

    /// `out = v ⊙ m` per channel, each sample `[positions, c]` against its mask row.
    fn apply(&self, v: &Tensor, mask: &[f32], out: &mut Tensor) {
        let c = self.shape[2];
        let len = v.len() / v.rows().max(1);
        out.resize(v.shape());
        for ((o, s), m) in
            out.data_mut().chunks_exact_mut(len).zip(v.data().chunks_exact(len)).zip(mask.chunks_exact(c))
        {
            for (op, sp) in o.chunks_exact_mut(c).zip(s.chunks_exact(c)) {
                op.iter_mut().zip(sp).zip(m).for_each(|((a, &b), &k)| *a = b * k);
            }
        }
    }
}

impl Layer for SpatialDropout2D {
    layer_identity!(SpatialDropout2DConfig);

    /// Starts the mask stream: `key(seed, "{name}/dropout")`, or `key(config seed, "dropout")`.
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        assert_eq!(input_shape.len(), 3, "{}: samples {input_shape:?} are not [h, w, c]", self.name());
        self.shape = input_shape.to_vec();
        self.key = match self.config.seed {
            Some(own) => WxbRng::key(own, "dropout"),
            None => WxbRng::key(seed, &format!("{}/dropout", self.name())),
        };
        self.step = 0;
    }

    fn begin_train_step(&mut self, step: u64) {
        self.step = step;
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        let rate = self.config.rate;
        if !(mode == Mode::Train && rate > 0.0) {
            if let Some(b) = scratch.peek_mut::<ChannelMask>() {
                b.masked = false;
            }
            y.assign(x);
            return;
        }
        let b = scratch.get::<ChannelMask>();
        b.masked = true;
        b.mask.resize(x.rows() * self.shape[2], 0.0);
        let (mut rng, scale) = (WxbRng::at(self.key, self.step), self.scale);
        b.mask.iter_mut().for_each(|m| *m = if rng.uniform() >= rate { scale } else { 0.0 });
        self.apply(x, &b.mask, y);
    }

    /// The next training pass draws the next step's mask.
    fn end_train_forward(&mut self, _scratch: &Scratch) {
        if self.config.rate > 0.0 {
            self.step += 1;
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name(), x.shape(), dy.shape());
        let Some(dx) = dx else { return };
        match scratch.peek::<ChannelMask>().filter(|b| b.masked && b.mask.len() == x.rows() * self.shape[2]) {
            Some(b) => self.apply(dy, &b.mask, dx),
            None => dx.assign(dy),
        }
    }

    /// `y = x`: inference does not drop.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        Forward64::each(x.to_vec())
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Dropout { rate: f64::from(self.config.rate), values: v.chosen_values() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_channels_are_dropped_and_scaled() {
        let mut d = SpatialDropout2D::new(0.5).named("d");
        d.build(&[3, 3, 8], 1);
        let x = Tensor::full(&[4, 3, 3, 8], 1.0);
        let s = &mut Scratch::default();
        let y = d.call(&x, Mode::Train, s);
        for sample in y.data().chunks_exact(72) {
            let first = &sample[..8];
            assert!(first.iter().all(|&v| v == 0.0 || v == 2.0), "{first:?}");
            assert!(sample.chunks_exact(8).all(|p| p == first), "one mask per channel");
        }
        assert!(y.data().contains(&0.0) && y.data().contains(&2.0));
        let mut dx = Tensor::default();
        d.backward(&x, &y, &x, Some(&mut dx), s);
        assert_eq!(dx, y);
        assert_eq!(d.call(&x, Mode::Infer, s), x);
        let e = LayerConfig::from(d.config.clone()).validate(&[9, 8]).unwrap_err().to_string();
        assert!(e.contains("\"d\"") && e.contains("[9, 8]"), "{e}");
    }
}
