//! Keras' `LayerNormalization`: `y = γ·(x − μ)/√(σ² + ε) + β`, statistics taken over each
//! sample's last axis.

use serde::{Deserialize, Deserializer, Serialize};

use super::{Layer, LayerConfig, Mode, Param, check_last_axis, feature_param};
use super::{default_epsilon, last_axis, ones, yes, zeros};
use crate::constraints::Constraint;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::tensor::Tensor;

/// Keras' `LayerNormalization` configuration; defaults as in Keras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerNormalizationConfig {
    /// The layer's name; `None` lets the model choose `layer_normalization`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The normalized axis, batch included (default −1; only the last axis is supported). Keras
    /// writes it as a list once built (`[-1]`): both forms are read.
    #[serde(default = "last_axis", deserialize_with = "int_or_single_list")]
    pub axis: i32,
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

/// Reads `-1` or `[-1]`.
fn int_or_single_list<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Axis {
        One(i32),
        List(Vec<i32>),
    }
    match Axis::deserialize(d)? {
        Axis::One(a) => Ok(a),
        Axis::List(v) if v.len() == 1 => Ok(v[0]),
        Axis::List(v) => Err(serde::de::Error::custom(format!("only one normalization axis is supported, got {v:?}"))),
    }
}

impl Default for LayerNormalizationConfig {
    fn default() -> Self {
        Self {
            name: None,
            axis: -1,
            epsilon: default_epsilon(),
            center: true,
            scale: true,
            beta_initializer: Initializer::Zeros,
            gamma_initializer: Initializer::Ones,
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
        }
    }
}

/// Layer normalization over the last axis, as Keras' `LayerNormalization`.
///
/// Shapes: `x`, `y`: `[batch, …, features]`; `γ`, `β`: `[features]`. For each vector `x` along the
/// last axis, `μ` and `σ²` are its mean and biased variance, `x̂ = (x − μ)/√(σ² + ε)` and
/// `y = γ·x̂ + β`, computed as Keras does: `inv = γ/√(σ² + ε)`, `y = x·inv + (β − μ·inv)`. The same
/// in training and inference.
///
/// Backward, per vector of `c` features with `g = γ·dy`:
/// `dx = (g − Σg/c − x̂·Σ(g·x̂)/c)/√(σ² + ε)`; over all vectors, `dγ = Σ dy·x̂`, `dβ = Σ dy`.
///
/// Weights in Keras' order: `gamma`, `beta`.
#[derive(Debug, Clone)]
pub struct LayerNormalization {
    config: LayerNormalizationConfig,
    name: String,
    shape: Vec<usize>,
    gamma: Option<Param>,
    beta: Option<Param>,
    /// Mean and `1/√(σ² + ε)` of each vector in the last forward pass.
    mean: Vec<f32>,
    rstd: Vec<f32>,
}

impl LayerNormalization {
    /// Layer normalization with Keras' defaults.
    pub fn new() -> Self {
        Self::from_config(LayerNormalizationConfig::default())
    }

    /// The layer from its configuration.
    pub fn from_config(config: LayerNormalizationConfig) -> Self {
        Self {
            name: config.name.clone().unwrap_or_default(),
            config,
            shape: Vec::new(),
            gamma: None,
            beta: None,
            mean: Vec::new(),
            rstd: Vec::new(),
        }
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

    fn features(&self) -> usize {
        self.shape.last().copied().unwrap_or(0)
    }
}

impl Default for LayerNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for LayerNormalization {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.config.name = Some(name.clone());
        self.name = name;
    }

    fn class_name(&self) -> &'static str {
        "LayerNormalization"
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
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
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
        let c = self.features();
        let vectors = x.len() / c.max(1);
        self.mean.resize(vectors, 0.0);
        self.rstd.resize(vectors, 0.0);
        y.resize(x.shape());
        let (gamma, beta) = (self.gamma.as_ref().map(|p| p.value.data()), self.beta.as_ref().map(|p| p.value.data()));
        let eps = self.config.epsilon;
        let rows = x.data().chunks_exact(c).zip(y.data_mut().chunks_exact_mut(c));
        for (i, (xr, yr)) in rows.enumerate() {
            let mean = (xr.iter().map(|&v| f64::from(v)).sum::<f64>() / c as f64) as f32;
            let var = xr.iter().map(|&v| f64::from((v - mean) * (v - mean))).sum::<f64>() / c as f64;
            let rstd = 1.0 / (var as f32 + eps).sqrt();
            (self.mean[i], self.rstd[i]) = (mean, rstd);
            for (j, (o, &v)) in yr.iter_mut().zip(xr).enumerate() {
                let inv = gamma.map_or(rstd, |g| rstd * g[j]);
                *o = v * inv + (beta.map_or(0.0, |b| b[j]) - mean * inv);
            }
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, mut dx: Option<&mut Tensor>) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name, x.shape(), dy.shape());
        let c = self.features();
        if let Some(p) = &mut self.gamma {
            p.grad.fill(0.0);
        }
        if let Some(p) = &mut self.beta {
            p.grad.fill(0.0);
        }
        if let Some(dx) = dx.as_deref_mut() {
            dx.resize(x.shape());
        }
        for (i, (xr, gr)) in x.data().chunks_exact(c).zip(dy.data().chunks_exact(c)).enumerate() {
            let (mean, rstd) = (self.mean[i], self.rstd[i]);
            let (mut sum_g, mut sum_gx) = (0.0f64, 0.0f64);
            for j in 0..c {
                let xhat = (xr[j] - mean) * rstd;
                if let Some(p) = &mut self.gamma {
                    p.grad.data_mut()[j] += gr[j] * xhat;
                }
                if let Some(p) = &mut self.beta {
                    p.grad.data_mut()[j] += gr[j];
                }
                let g = self.gamma.as_ref().map_or(gr[j], |p| gr[j] * p.value.data()[j]);
                sum_g += f64::from(g);
                sum_gx += f64::from(g * xhat);
            }
            let Some(dx) = dx.as_deref_mut() else { continue };
            let (mean_g, mean_gx) = ((sum_g / c as f64) as f32, (sum_gx / c as f64) as f32);
            for (j, d) in dx.data_mut()[i * c..(i + 1) * c].iter_mut().enumerate() {
                let xhat = (xr[j] - mean) * rstd;
                let g = self.gamma.as_ref().map_or(gr[j], |p| gr[j] * p.value.data()[j]);
                *d = rstd * (g - mean_g - xhat * mean_gx);
            }
        }
    }

    fn params(&self) -> Vec<&Param> {
        self.gamma.iter().chain(self.beta.iter()).collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        self.gamma.iter_mut().chain(self.beta.iter_mut()).collect()
    }

    fn for_each_param(&self, f: &mut dyn FnMut(&Param)) {
        self.gamma.iter().chain(self.beta.iter()).for_each(f);
    }

    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.gamma.iter_mut().chain(self.beta.iter_mut()).for_each(f);
    }

    fn config(&self) -> LayerConfig {
        LayerConfig::LayerNormalization(self.config.clone())
    }
}
