//! Keras' `BatchNormalization`: `y = γ·(x − μ)/√(σ² + ε) + β` per feature, with batch statistics in
//! training and moving averages of them in inference.

use serde::{Deserialize, Serialize};

use super::{Layer, LayerConfig, Mode, Param, check_last_axis, feature_param, python_float};
use super::{default_epsilon, last_axis, ones, yes, zeros};
use crate::constraints::Constraint;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::rng::WxbRng;
use crate::tensor::Tensor;

/// Keras' `BatchNormalization` configuration; defaults as in Keras (renormalization and
/// synchronization are not supported).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNormalizationConfig {
    /// The layer's name; `None` lets the model choose `batch_normalization`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The feature axis, batch included (default −1; only the last axis is supported).
    #[serde(default = "last_axis")]
    pub axis: i32,
    /// The moving averages' momentum (default 0.99).
    #[serde(default = "default_momentum")]
    pub momentum: f32,
    /// Added to the variance (default 1e-3).
    #[serde(default = "default_epsilon")]
    pub epsilon: f32,
    /// Whether to add the offset `β` (default true).
    #[serde(default = "yes")]
    pub center: bool,
    /// Whether to multiply by the scale `γ` (default true).
    #[serde(default = "yes")]
    pub scale: bool,
    /// `β`'s initializer (default zeros).
    #[serde(default = "zeros")]
    pub beta_initializer: Initializer,
    /// `γ`'s initializer (default ones).
    #[serde(default = "ones")]
    pub gamma_initializer: Initializer,
    /// The moving mean's initializer (default zeros).
    #[serde(default = "zeros")]
    pub moving_mean_initializer: Initializer,
    /// The moving variance's initializer (default ones).
    #[serde(default = "ones")]
    pub moving_variance_initializer: Initializer,
    /// Penalty on `β`.
    #[serde(default)]
    pub beta_regularizer: Option<Regularizer>,
    /// Penalty on `γ`.
    #[serde(default)]
    pub gamma_regularizer: Option<Regularizer>,
    /// Projection of `β` after each step.
    #[serde(default)]
    pub beta_constraint: Option<Constraint>,
    /// Projection of `γ` after each step.
    #[serde(default)]
    pub gamma_constraint: Option<Constraint>,
}

fn default_momentum() -> f32 {
    0.99
}

impl Default for BatchNormalizationConfig {
    fn default() -> Self {
        Self {
            name: None,
            axis: -1,
            momentum: default_momentum(),
            epsilon: default_epsilon(),
            center: true,
            scale: true,
            beta_initializer: Initializer::Zeros,
            gamma_initializer: Initializer::Ones,
            moving_mean_initializer: Initializer::Zeros,
            moving_variance_initializer: Initializer::Ones,
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
        }
    }
}

/// Batch normalization over the last axis, as Keras' `BatchNormalization`.
///
/// Shapes: `x`, `y`: `[batch, …, features]`; `γ`, `β`, moving mean `μ̄`, moving variance `σ̄²`:
/// `[features]`. Statistics are taken over every axis but the last.
///
/// - Training: `μ`, `σ²` are the batch's mean and biased variance; `y = γ·x̂ + β` with
///   `x̂ = (x − μ)/√(σ² + ε)`; then `μ̄ ← μ̄·m + μ·(1 − m)` and `σ̄² ← σ̄²·m + σ²·(1 − m)`.
/// - Inference: `μ̄`, `σ̄²` replace `μ`, `σ²`.
///
/// Computed as TensorFlow does: `inv = γ/√(σ² + ε)`, `y = x·inv + (β − μ·inv)`.
///
/// Backward (training, over `n` rows): `dγ = Σ dy·x̂`, `dβ = Σ dy`,
/// `dx = γ/√(σ² + ε) · (dy − Σdy/n − x̂·Σ(dy·x̂)/n)`; after an inference pass, `dx = γ·dy/√(σ̄² + ε)`.
///
/// Weights in Keras' order: `gamma`, `beta`, `moving_mean`, `moving_variance` (the last two
/// non-trainable).
#[derive(Debug, Clone)]
pub struct BatchNormalization {
    config: BatchNormalizationConfig,
    name: String,
    shape: Vec<usize>,
    gamma: Option<Param>,
    beta: Option<Param>,
    moving_mean: Param,
    moving_variance: Param,
    /// `1 − momentum`, rounded to f32 from the Python float as Keras does.
    one_minus_momentum: f32,
    /// The mean and `1/√(variance + ε)` the last forward pass used, per feature.
    mean: Vec<f32>,
    rstd: Vec<f32>,
    /// Per-feature `inv` and `β − μ·inv` of the last forward pass.
    inv: Vec<f32>,
    shift: Vec<f32>,
    /// Per-feature sums (f64).
    sums: [Vec<f64>; 2],
    /// Whether the last forward pass used batch statistics.
    batch_stats: bool,
}

impl BatchNormalization {
    /// Batch normalization with Keras' defaults.
    pub fn new() -> Self {
        Self::from_config(BatchNormalizationConfig::default())
    }

    /// The layer from its configuration.
    pub fn from_config(config: BatchNormalizationConfig) -> Self {
        Self {
            name: config.name.clone().unwrap_or_default(),
            config,
            shape: Vec::new(),
            gamma: None,
            beta: None,
            moving_mean: Param::non_trainable("moving_mean", Tensor::default()),
            moving_variance: Param::non_trainable("moving_variance", Tensor::default()),
            one_minus_momentum: 0.0,
            mean: Vec::new(),
            rstd: Vec::new(),
            inv: Vec::new(),
            shift: Vec::new(),
            sums: [Vec::new(), Vec::new()],
            batch_stats: false,
        }
    }

    /// Sets the momentum of the moving averages.
    pub fn momentum(mut self, momentum: f32) -> Self {
        self.config.momentum = momentum;
        self
    }

    /// Sets `ε`.
    pub fn epsilon(mut self, epsilon: f32) -> Self {
        self.config.epsilon = epsilon;
        self
    }

    /// Removes the offset `β` (Keras' `center=False`).
    pub fn without_center(mut self) -> Self {
        self.config.center = false;
        self
    }

    /// Removes the scale `γ` (Keras' `scale=False`).
    pub fn without_scale(mut self) -> Self {
        self.config.scale = false;
        self
    }

    /// Sets `γ`'s initializer.
    pub fn gamma_initializer(mut self, init: Initializer) -> Self {
        self.config.gamma_initializer = init;
        self
    }

    /// Sets `β`'s initializer.
    pub fn beta_initializer(mut self, init: Initializer) -> Self {
        self.config.beta_initializer = init;
        self
    }

    /// Sets the moving mean's initializer.
    pub fn moving_mean_initializer(mut self, init: Initializer) -> Self {
        self.config.moving_mean_initializer = init;
        self
    }

    /// Sets the moving variance's initializer.
    pub fn moving_variance_initializer(mut self, init: Initializer) -> Self {
        self.config.moving_variance_initializer = init;
        self
    }

    /// Sets `γ`'s regularizer.
    pub fn gamma_regularizer(mut self, r: Regularizer) -> Self {
        self.config.gamma_regularizer = Some(r);
        self
    }

    /// Sets `β`'s regularizer.
    pub fn beta_regularizer(mut self, r: Regularizer) -> Self {
        self.config.beta_regularizer = Some(r);
        self
    }

    /// Sets `γ`'s constraint.
    pub fn gamma_constraint(mut self, c: Constraint) -> Self {
        self.config.gamma_constraint = Some(c);
        self
    }

    /// Sets `β`'s constraint.
    pub fn beta_constraint(mut self, c: Constraint) -> Self {
        self.config.beta_constraint = Some(c);
        self
    }

    /// Names the layer.
    pub fn named(mut self, name: &str) -> Self {
        self.set_name(name.to_string());
        self
    }

    /// The moving mean `[features]` (empty until built).
    pub fn moving_mean(&self) -> &Tensor {
        &self.moving_mean.value
    }

    /// The moving variance `[features]` (empty until built).
    pub fn moving_variance(&self) -> &Tensor {
        &self.moving_variance.value
    }

    fn features(&self) -> usize {
        self.shape.last().copied().unwrap_or(0)
    }

    /// Batch mean and biased variance per feature into `mean` and `rstd` (as the variance), in f64
    /// sums; then the moving averages.
    fn batch_moments(&mut self, x: &Tensor) {
        let c = self.features();
        let n = (x.len() / c.max(1)) as f64;
        let [s1, s2] = &mut self.sums;
        s1.fill(0.0);
        s2.fill(0.0);
        for row in x.data().chunks_exact(c) {
            s1.iter_mut().zip(row).for_each(|(s, &v)| *s += f64::from(v));
        }
        self.mean.iter_mut().zip(s1.iter()).for_each(|(m, s)| *m = (s / n) as f32);
        for row in x.data().chunks_exact(c) {
            for ((s, &v), &m) in s2.iter_mut().zip(row).zip(&self.mean) {
                let d = v - m;
                *s += f64::from(d * d);
            }
        }
        let (m, om) = (self.config.momentum, self.one_minus_momentum);
        let mm = self.moving_mean.value.data_mut().iter_mut();
        let mv = self.moving_variance.value.data_mut().iter_mut();
        for ((((mm, mv), &mean), s), var) in mm.zip(mv).zip(&self.mean).zip(s2.iter()).zip(self.rstd.iter_mut()) {
            *var = (s / n) as f32;
            *mm = *mm * m + mean * om;
            *mv = *mv * m + *var * om;
        }
    }
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for BatchNormalization {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.config.name = Some(name.clone());
        self.name = name;
    }

    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }

    /// # Panics
    /// If `axis` is not the last axis of `input_shape`.
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        check_last_axis(&self.name, self.config.axis, input_shape);
        self.shape = input_shape.to_vec();
        let c = self.features();
        let cfg = &self.config;
        self.gamma = cfg.scale.then(|| {
            let (init, r, k) = (cfg.gamma_initializer, cfg.gamma_regularizer, cfg.gamma_constraint);
            feature_param(&self.name, "gamma", c, init, r, k, seed)
        });
        self.beta = cfg.center.then(|| {
            let (init, r, k) = (cfg.beta_initializer, cfg.beta_regularizer, cfg.beta_constraint);
            feature_param(&self.name, "beta", c, init, r, k, seed)
        });
        let moving = |var: &'static str, init: Initializer| {
            let mut rng = WxbRng::derive(seed, &format!("{}/{var}", self.name));
            Param::non_trainable(var, init.init(&[c], &mut rng))
        };
        self.moving_mean = moving("moving_mean", cfg.moving_mean_initializer);
        self.moving_variance = moving("moving_variance", cfg.moving_variance_initializer);
        self.one_minus_momentum = (1.0 - python_float(cfg.momentum)) as f32;
        for v in [&mut self.mean, &mut self.rstd, &mut self.inv, &mut self.shift] {
            v.resize(c, 0.0);
        }
        self.sums.iter_mut().for_each(|s| s.resize(c, 0.0));
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&mut self, x: &Tensor, y: &mut Tensor, mode: Mode) {
        assert_eq!(
            &x.shape()[1.min(x.rank())..],
            self.shape.as_slice(),
            "{}: input {:?} does not match samples of shape {:?}",
            self.name,
            x.shape(),
            self.shape
        );
        self.batch_stats = mode == Mode::Train;
        if self.batch_stats {
            self.batch_moments(x); // leaves the variance in `rstd`
        } else {
            self.mean.copy_from_slice(self.moving_mean.value.data());
            self.rstd.copy_from_slice(self.moving_variance.value.data());
        }
        let eps = self.config.epsilon;
        for j in 0..self.features() {
            self.rstd[j] = 1.0 / (self.rstd[j] + eps).sqrt();
            let inv = self.rstd[j] * self.gamma.as_ref().map_or(1.0, |g| g.value.data()[j]);
            self.inv[j] = inv;
            self.shift[j] = self.beta.as_ref().map_or(0.0, |b| b.value.data()[j]) - self.mean[j] * inv;
        }
        y.resize(x.shape());
        let c = self.features();
        for (yr, xr) in y.data_mut().chunks_exact_mut(c).zip(x.data().chunks_exact(c)) {
            for (((o, &v), &inv), &shift) in yr.iter_mut().zip(xr).zip(&self.inv).zip(&self.shift) {
                *o = v * inv + shift;
            }
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name, x.shape(), dy.shape());
        let c = self.features();
        let n = (x.len() / c.max(1)) as f64;
        let [sum_dy, sum_dy_xhat] = &mut self.sums;
        sum_dy.fill(0.0);
        sum_dy_xhat.fill(0.0);
        for (xr, gr) in x.data().chunks_exact(c).zip(dy.data().chunks_exact(c)) {
            for j in 0..c {
                let xhat = (xr[j] - self.mean[j]) * self.rstd[j];
                sum_dy[j] += f64::from(gr[j]);
                sum_dy_xhat[j] += f64::from(gr[j] * xhat);
            }
        }
        if let Some(g) = &mut self.gamma {
            g.grad.data_mut().iter_mut().zip(sum_dy_xhat.iter()).for_each(|(g, &s)| *g = s as f32);
        }
        if let Some(b) = &mut self.beta {
            b.grad.data_mut().iter_mut().zip(sum_dy.iter()).for_each(|(g, &s)| *g = s as f32);
        }
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        let batch_stats = self.batch_stats;
        let rows = x.data().chunks_exact(c).zip(dy.data().chunks_exact(c));
        for ((xr, gr), dr) in rows.zip(dx.data_mut().chunks_exact_mut(c)) {
            for j in 0..c {
                // inv = γ·rstd
                let inv = self.inv[j];
                dr[j] = if batch_stats {
                    let xhat = (xr[j] - self.mean[j]) * self.rstd[j];
                    let centred = f64::from(gr[j]) - sum_dy[j] / n - f64::from(xhat) * sum_dy_xhat[j] / n;
                    inv * centred as f32
                } else {
                    inv * gr[j]
                };
            }
        }
    }

    fn params(&self) -> Vec<&Param> {
        let weights = self.gamma.iter().chain(self.beta.iter());
        weights.chain([&self.moving_mean, &self.moving_variance]).collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        let weights = self.gamma.iter_mut().chain(self.beta.iter_mut());
        weights.chain([&mut self.moving_mean, &mut self.moving_variance]).collect()
    }

    fn for_each_param(&self, f: &mut dyn FnMut(&Param)) {
        let weights = self.gamma.iter().chain(self.beta.iter());
        weights.chain([&self.moving_mean, &self.moving_variance]).for_each(f);
    }

    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        let weights = self.gamma.iter_mut().chain(self.beta.iter_mut());
        weights.chain([&mut self.moving_mean, &mut self.moving_variance]).for_each(f);
    }

    fn config(&self) -> LayerConfig {
        LayerConfig::BatchNormalization(self.config.clone())
    }
}
