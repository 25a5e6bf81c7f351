//! Keras' `BatchNormalization`: `y = γ·(x − μ)/√(σ² + ε) + β` per feature, with batch statistics in
//! training and moving averages of them in inference.

use serde::{Deserialize, Serialize};

use super::trace::{feature_trace, normalize_all, scale_offset, weight_f64};
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, Param, Rank, SampleValues};
use super::{Scratch, Statistics, check_last_axis, check_samples, python_float};
use super::{default_epsilon, last_axis, ones, yes, zeros};
use crate::constraints::Constraint;
use crate::error::WxbError;
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

normalization_config!(BatchNormalizationConfig);

impl LayerKind for BatchNormalizationConfig {
    type Layer = BatchNormalization;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        check.features(input_shape)?;
        check.last_axis(self.axis, input_shape)?;
        check.finite("momentum", self.momentum)?;
        check.finite("epsilon", self.epsilon)?;
        self.affine().check(check)?;
        check.initializer("moving_mean_initializer", self.moving_mean_initializer, Rank::Vector)?;
        check.initializer("moving_variance_initializer", self.moving_variance_initializer, Rank::Vector)?;
        let mut names = self.affine().names();
        names.extend(["moving_mean", "moving_variance"]);
        Ok(LayerPlan::same_shape(input_shape, &names))
    }

    fn into_layer(self) -> BatchNormalization {
        BatchNormalization { config: self, shape: Vec::new(), weights: Vec::new(), one_minus_momentum: 0.0 }
    }
}

/// Batch normalization over the last axis, as Keras' `BatchNormalization`.
///
/// # Shapes
/// `x`, `y`: `[batch, …, features]`; `γ`, `β`, moving mean `μ̄`, moving variance `σ̄²`:
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
    shape: Vec<usize>,
    /// `gamma` (with `scale`), `beta` (with `center`), `moving_mean`, `moving_variance`.
    weights: Vec<Param>,
    /// `1 − momentum`, rounded to f32 from the Python float as Keras does.
    one_minus_momentum: f32,
}

/// What a forward pass leaves for the backward pass (and, in training, for the moving averages).
#[derive(Debug, Default)]
struct BatchNormBuffers {
    /// The mean, variance and `1/√(variance + ε)` the last forward pass used, per feature.
    mean: Vec<f32>,
    var: Vec<f32>,
    rstd: Vec<f32>,
    /// Per-feature `inv = γ·rstd` and `β − μ·inv` of the last forward pass.
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

    config_setters! {
        BatchNormalizationConfig;
        /// Sets the momentum of the moving averages.
        momentum(momentum: f32) => momentum = momentum;
        /// Sets `ε`.
        epsilon(epsilon: f32) => epsilon = epsilon;
        /// Removes the offset `β` (Keras' `center=False`).
        without_center() => center = false;
        /// Removes the scale `γ` (Keras' `scale=False`).
        without_scale() => scale = false;
        /// Sets `γ`'s initializer.
        gamma_initializer(init: Initializer) => gamma_initializer = init;
        /// Sets `β`'s initializer.
        beta_initializer(init: Initializer) => beta_initializer = init;
        /// Sets the moving mean's initializer.
        moving_mean_initializer(init: Initializer) => moving_mean_initializer = init;
        /// Sets the moving variance's initializer.
        moving_variance_initializer(init: Initializer) => moving_variance_initializer = init;
        /// Sets `γ`'s regularizer.
        gamma_regularizer(r: Regularizer) => gamma_regularizer = Some(r);
        /// Sets `β`'s regularizer.
        beta_regularizer(r: Regularizer) => beta_regularizer = Some(r);
        /// Sets `γ`'s constraint.
        gamma_constraint(c: Constraint) => gamma_constraint = Some(c);
        /// Sets `β`'s constraint.
        beta_constraint(c: Constraint) => beta_constraint = Some(c);
    }

    /// The moving mean `[features]`.
    ///
    /// # Panics
    /// Before the layer is built.
    pub fn moving_mean(&self) -> &Tensor {
        &self.weights[self.weights.len() - 2].value
    }

    /// The moving variance `[features]`.
    ///
    /// # Panics
    /// Before the layer is built.
    pub fn moving_variance(&self) -> &Tensor {
        &self.weights[self.weights.len() - 1].value
    }

    fn features(&self) -> usize {
        self.shape.last().copied().unwrap_or(0)
    }

    /// `γ` and `β`, when the layer has them.
    fn gamma_beta(&self) -> (Option<&[f32]>, Option<&[f32]>) {
        let get = |n| self.param(n).map(|p| p.value.data());
        (get("gamma"), get("beta"))
    }
}

/// Batch mean and biased variance per feature into `b.mean` and `b.var`, in f64 sums.
fn batch_moments(b: &mut BatchNormBuffers, x: &Tensor, c: usize) {
    let n = (x.len() / c.max(1)) as f64;
    let [s1, s2] = &mut b.sums;
    s1.fill(0.0);
    s2.fill(0.0);
    for row in x.data().chunks_exact(c) {
        s1.iter_mut().zip(row).for_each(|(s, &v)| *s += f64::from(v));
    }
    b.mean.iter_mut().zip(s1.iter()).for_each(|(m, s)| *m = (s / n) as f32);
    for row in x.data().chunks_exact(c) {
        for ((s, &v), &m) in s2.iter_mut().zip(row).zip(&b.mean) {
            let d = v - m;
            *s += f64::from(d * d);
        }
    }
    b.var.iter_mut().zip(s2.iter()).for_each(|(var, s)| *var = (s / n) as f32);
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for BatchNormalization {
    layer_identity!(BatchNormalizationConfig);

    /// # Panics
    /// If `axis` is not the last axis of `input_shape`.
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        check_last_axis(self.name(), self.config.axis, input_shape);
        self.shape = input_shape.to_vec();
        let (c, cfg, name) = (self.features(), &self.config, self.name());
        let mut weights = cfg.affine().params(name, c, seed);
        for (var, init) in
            [("moving_mean", cfg.moving_mean_initializer), ("moving_variance", cfg.moving_variance_initializer)]
        {
            let mut rng = WxbRng::derive(seed, &format!("{name}/{var}"));
            weights.push(Param::non_trainable(var, init.init(&[c], &mut rng)));
        }
        self.one_minus_momentum = (1.0 - python_float(cfg.momentum)) as f32;
        self.weights = weights;
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        let c = self.features();
        let b = scratch.get::<BatchNormBuffers>();
        for v in [&mut b.mean, &mut b.var, &mut b.rstd, &mut b.inv, &mut b.shift] {
            v.resize(c, 0.0);
        }
        b.sums.iter_mut().for_each(|s| s.resize(c, 0.0));
        b.batch_stats = mode == Mode::Train;
        if b.batch_stats {
            batch_moments(b, x, c);
        } else {
            b.mean.copy_from_slice(self.moving_mean().data());
            b.var.copy_from_slice(self.moving_variance().data());
        }
        let (eps, (gamma, beta)) = (self.config.epsilon, self.gamma_beta());
        for j in 0..c {
            b.rstd[j] = 1.0 / (b.var[j] + eps).sqrt();
            let inv = b.rstd[j] * gamma.map_or(1.0, |g| g[j]);
            b.inv[j] = inv;
            b.shift[j] = beta.map_or(0.0, |bt| bt[j]) - b.mean[j] * inv;
        }
        y.resize(x.shape());
        for (yr, xr) in y.data_mut().chunks_exact_mut(c).zip(x.data().chunks_exact(c)) {
            for (((o, &v), &inv), &shift) in yr.iter_mut().zip(xr).zip(&b.inv).zip(&b.shift) {
                *o = v * inv + shift;
            }
        }
    }

    /// The moving averages: `μ̄ ← μ̄·m + μ·(1 − m)`, `σ̄² ← σ̄²·m + σ²·(1 − m)`.
    fn end_train_forward(&mut self, scratch: &Scratch) {
        let b = scratch.peek::<BatchNormBuffers>().expect("a training forward pass ran");
        let (m, om) = (self.config.momentum, self.one_minus_momentum);
        let [.., mm, mv] = self.weights.as_mut_slice() else { unreachable!("a built BatchNormalization") };
        let moving = mm.value.data_mut().iter_mut().zip(mv.value.data_mut().iter_mut());
        for ((mm, mv), (&mean, &var)) in moving.zip(b.mean.iter().zip(&b.var)) {
            *mm = *mm * m + mean * om;
            *mv = *mv * m + var * om;
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name(), x.shape(), dy.shape());
        let c = self.features();
        let n = (x.len() / c.max(1)) as f64;
        let b = scratch.get::<BatchNormBuffers>();
        let [sum_dy, sum_dy_xhat] = &mut b.sums;
        sum_dy.fill(0.0);
        sum_dy_xhat.fill(0.0);
        for (xr, gr) in x.data().chunks_exact(c).zip(dy.data().chunks_exact(c)) {
            for j in 0..c {
                let xhat = (xr[j] - b.mean[j]) * b.rstd[j];
                sum_dy[j] += f64::from(gr[j]);
                sum_dy_xhat[j] += f64::from(gr[j] * xhat);
            }
        }
        for p in self.weights.iter_mut() {
            let sums = match p.name {
                "gamma" => &*sum_dy_xhat,
                "beta" => &*sum_dy,
                _ => continue,
            };
            p.grad.data_mut().iter_mut().zip(sums.iter()).for_each(|(g, &s)| *g = s as f32);
        }
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        let rows = x.data().chunks_exact(c).zip(dy.data().chunks_exact(c));
        for ((xr, gr), dr) in rows.zip(dx.data_mut().chunks_exact_mut(c)) {
            for j in 0..c {
                // inv = γ·rstd
                let inv = b.inv[j];
                dr[j] = if b.batch_stats {
                    let xhat = (xr[j] - b.mean[j]) * b.rstd[j];
                    let centred = f64::from(gr[j]) - sum_dy[j] / n - f64::from(xhat) * sum_dy_xhat[j] / n;
                    inv * centred as f32
                } else {
                    inv * gr[j]
                };
            }
        }
    }

    fn weights(&self) -> &[Param] {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut [Param] {
        &mut self.weights
    }

    /// `yⱼ = γⱼ·(xⱼ − μ̄ⱼ)/√(σ̄²ⱼ + ε) + βⱼ` with the moving mean `μ̄` and variance `σ̄²`.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let (mean, var) = self.moving_f64();
        let (mean, var) = (&mean, &var);
        let eps = f64::from(self.config.epsilon);
        let gb = scale_offset(&self.weights);
        Forward64::each(normalize_all(x, self.features().max(1), &gb, eps, |_| move |j| (mean[j], var[j])))
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        let ((mean, var), gb) = (self.moving_f64(), scale_offset(&self.weights));
        let (eps, last) = (f64::from(self.config.epsilon), v.last_axis());
        let features =
            v.chosen.iter().map(|&i| feature_trace(v, i, &gb, (mean[i % last], var[i % last]), eps)).collect();
        LayerStep::Normalization { statistics: Statistics::Moving, epsilon: eps, features }
    }
}

impl BatchNormalization {
    /// The moving mean and variance as `f64`.
    fn moving_f64(&self) -> (Vec<f64>, Vec<f64>) {
        let get = |n| weight_f64(&self.weights, n).expect("a built BatchNormalization");
        (get("moving_mean"), get("moving_variance"))
    }
}
