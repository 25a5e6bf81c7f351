//! Keras' `Dropout`: inverted dropout, `y = x ⊙ m / (1 − rate)` with a random 0/1 mask `m`.

use serde::{Deserialize, Serialize};

use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use super::{check_samples, python_float};
use crate::error::WxbError;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

/// Keras' `Dropout` configuration (`noise_shape` is not supported).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    /// The layer's name; `None` lets the model choose `dropout`, `dropout_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The fraction of inputs set to zero in training, in `[0, 1)`.
    pub rate: f32,
    /// The seed of the masks; `None` (Keras' default) derives them from the model's seed.
    #[serde(default)]
    pub seed: Option<u64>,
}

impl DropoutConfig {
    /// Drops a fraction `rate` of the inputs, masks seeded by the model.
    pub fn new(rate: f32) -> Self {
        Self { name: None, rate, seed: None }
    }
}

impl LayerKind for DropoutConfig {
    type Layer = Dropout;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(check.bad("rate", self.rate.to_string(), "must be in [0, 1)"));
        }
        Ok(LayerPlan::same_shape(input_shape, &[]))
    }

    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    fn into_layer(self) -> Dropout {
        let rate = self.rate;
        assert!((0.0..1.0).contains(&rate), "Dropout: rate must be in [0, 1), got {rate}");
        Dropout { scale: (1.0 / (1.0 - python_float(rate))) as f32, config: self, shape: Vec::new(), key: 0, step: 0 }
    }
}

/// Inverted dropout, as Keras' `Dropout`.
///
/// In [`Mode::Train`] each value is kept with probability `1 − rate` and scaled by `1/(1 − rate)`
/// (TensorFlow keeps `u ≥ rate` for `u ~ U[0, 1)`), so `E[y] = x`: `y = x ⊙ m`, `m ∈ {0, 1/(1 − rate)}`.
/// A new mask is drawn at every training forward pass from the layer's own stream (derived from
/// the model seed and the layer's name, or from `seed` alone when set): the mask of the model's
/// training step `s` (its optimizer's step count, see [`Layer::begin_train_step`]) depends only on
/// the seed, the name and `s`, so a run resumed from a saved model draws the masks an
/// uninterrupted run would. Outside a model, successive training passes take steps 0, 1, 2, …
/// In [`Mode::Infer`], and for `rate = 0`, `y = x`.
///
/// # Shapes
/// `x`, `y`: `[batch, …]`.
///
/// Backward: `dx = dy ⊙ m` with the mask of the forward pass.
///
/// The masks are wxb's own (ChaCha8): they follow Keras' distribution, not TensorFlow's bits.
#[derive(Debug, Clone)]
pub struct Dropout {
    config: DropoutConfig,
    shape: Vec<usize>,
    /// `1 / (1 − rate)`, rounded to f32 from the Python float as TensorFlow does.
    scale: f32,
    /// The key of the mask stream ([`WxbRng::key`]).
    key: u64,
    /// The step of the next training pass.
    step: u64,
}

/// What a forward pass leaves for the backward pass.
#[derive(Debug, Default)]
struct DropoutBuffers {
    /// The mask of the last training pass: `0` or `scale` per value.
    mask: Tensor,
    /// Whether the last forward pass applied `mask` (a training pass with `rate > 0`).
    masked: bool,
}

impl Dropout {
    /// Drops a fraction `rate` of the inputs in training.
    ///
    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    pub fn new(rate: f32) -> Self {
        Self::from_config(DropoutConfig::new(rate))
    }

    config_setters! {
        DropoutConfig;
        /// Seeds the masks with `seed` (independently of the model's seed and the layer's name).
        seed(seed: u64) => seed = Some(seed);
    }

    /// The fraction of values dropped in training.
    pub fn rate(&self) -> f32 {
        self.config.rate
    }
}

impl Layer for Dropout {
    layer_identity!(DropoutConfig);

    /// Starts the mask stream: `key(seed, "{name}/dropout")`, or `key(config seed, "dropout")`.
    fn build(&mut self, input_shape: &[usize], seed: u64) {
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
            if let Some(b) = scratch.peek_mut::<DropoutBuffers>() {
                b.masked = false;
            }
            y.assign(x);
            return;
        }
        let buffers = scratch.get::<DropoutBuffers>();
        buffers.masked = true;
        buffers.mask.resize(x.shape());
        let (mut rng, scale) = (WxbRng::at(self.key, self.step), self.scale);
        buffers.mask.data_mut().iter_mut().for_each(|m| *m = if rng.uniform() >= rate { scale } else { 0.0 });
        y.resize(x.shape());
        for ((o, &v), &m) in y.data_mut().iter_mut().zip(x.data()).zip(buffers.mask.data()) {
            *o = v * m;
        }
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
        let Some(buffers) = scratch.peek::<DropoutBuffers>().filter(|b| b.masked) else {
            dx.assign(dy);
            return;
        };
        assert_eq!(
            buffers.mask.shape(),
            dy.shape(),
            "{}: gradient {:?} does not match the mask {:?} of the forward pass",
            self.name(),
            dy.shape(),
            buffers.mask.shape()
        );
        dx.resize(dy.shape());
        for ((d, &g), &m) in dx.data_mut().iter_mut().zip(dy.data()).zip(buffers.mask.data()) {
            *d = g * m;
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
    fn scale_is_rounded_from_the_python_float() {
        assert_eq!(Dropout::new(0.2).scale, (1.0f64 / (1.0 - 0.2)) as f32);
        assert_eq!(Dropout::new(0.0).scale, 1.0);
    }

    #[test]
    fn an_explicit_seed_ignores_model_seed_and_name() {
        let x = Tensor::full(&[4, 16], 1.0);
        let s = &mut Scratch::default();
        let mut a = Dropout::new(0.5).seed(9).named("a");
        let mut b = Dropout::new(0.5).seed(9).named("b");
        a.build(&[16], 1);
        b.build(&[16], 2);
        assert_eq!(a.call(&x, Mode::Train, s), b.call(&x, Mode::Train, s));
        let mut c = Dropout::new(0.5).named("a");
        let mut d = Dropout::new(0.5).named("a");
        c.build(&[16], 1);
        d.build(&[16], 2);
        assert_ne!(c.call(&x, Mode::Train, s), d.call(&x, Mode::Train, s));
    }

    #[test]
    fn the_mask_depends_on_the_step_only() {
        let x = Tensor::full(&[4, 16], 1.0);
        let s = &mut Scratch::default();
        let mut a = Dropout::new(0.5).named("a");
        a.build(&[16], 1);
        let first = a.call(&x, Mode::Train, s);
        let second = a.call(&x, Mode::Train, s);
        assert_ne!(first, second, "a new mask at every pass");
        let mut b = Dropout::new(0.5).named("a");
        b.build(&[16], 1);
        b.begin_train_step(1);
        assert_eq!(b.call(&x, Mode::Train, s), second, "step 1's mask, whatever ran before");
        b.begin_train_step(0);
        assert_eq!(b.call(&x, Mode::Train, s), first);
    }

    #[test]
    #[should_panic(expected = "rate must be in [0, 1), got 1")]
    fn rate_one_panics() {
        let _ = Dropout::new(1.0);
    }

    #[test]
    #[should_panic(expected = "got -0.1")]
    fn negative_rate_panics() {
        let _ = Dropout::new(-0.1);
    }
}
