//! Keras' `LayerNormalization`: `y = γ·(x − μ)/√(σ² + ε) + β`, statistics taken over each
//! sample's last axis.

use serde::{Deserialize, Deserializer, Serialize};

use super::trace::{feature_trace, moments, normalize_all, scale_offset};
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, Param, SampleValues};
use super::{Scratch, Statistics, check_last_axis, check_samples};
use super::{default_epsilon, last_axis, ones, yes, zeros};
use crate::constraints::Constraint;
use crate::error::WxbError;
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

normalization_config!(LayerNormalizationConfig);

impl LayerKind for LayerNormalizationConfig {
    type Layer = LayerNormalization;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        check.features(input_shape)?;
        check.last_axis(self.axis, input_shape)?;
        check.finite("epsilon", self.epsilon)?;
        self.affine().check(check)?;
        Ok(LayerPlan::same_shape(input_shape, &self.affine().names()))
    }

    fn into_layer(self) -> LayerNormalization {
        LayerNormalization { config: self, shape: Vec::new(), weights: Vec::new() }
    }
}

/// Layer normalization over the last axis, as Keras' `LayerNormalization`.
///
/// # Shapes
/// `x`, `y`: `[batch, …, features]`; `γ`, `β`: `[features]`.
///
/// For each vector `x` along the last axis, `μ` and `σ²` are its mean and biased variance, `x̂ = (x − μ)/√(σ² + ε)` and
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
    shape: Vec<usize>,
    /// `gamma` (with `scale`), then `beta` (with `center`).
    weights: Vec<Param>,
}

/// What a forward pass leaves for the backward pass: each vector's mean and `1/√(σ² + ε)`.
#[derive(Debug, Default)]
struct LayerNormBuffers {
    mean: Vec<f32>,
    rstd: Vec<f32>,
}

impl LayerNormalization {
    /// Layer normalization with Keras' defaults.
    pub fn new() -> Self {
        Self::from_config(LayerNormalizationConfig::default())
    }

    config_setters! {
        LayerNormalizationConfig;
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
        /// Sets `γ`'s regularizer.
        gamma_regularizer(r: Regularizer) => gamma_regularizer = Some(r);
        /// Sets `β`'s regularizer.
        beta_regularizer(r: Regularizer) => beta_regularizer = Some(r);
        /// Sets `γ`'s constraint.
        gamma_constraint(c: Constraint) => gamma_constraint = Some(c);
        /// Sets `β`'s constraint.
        beta_constraint(c: Constraint) => beta_constraint = Some(c);
    }

    fn features(&self) -> usize {
        self.shape.last().copied().unwrap_or(0)
    }

    /// `γ` and `β`, mutable, when the layer has them.
    fn gamma_beta_mut(&mut self) -> (Option<&mut Param>, Option<&mut Param>) {
        let (scale, center) = (self.config.scale, self.config.center);
        let (gamma, rest) = if scale {
            let (g, rest) = self.weights.split_first_mut().expect("a built LayerNormalization");
            (Some(g), rest)
        } else {
            (None, self.weights.as_mut_slice())
        };
        (gamma, rest.first_mut().filter(|_| center))
    }
}

impl Default for LayerNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for LayerNormalization {
    layer_identity!(LayerNormalizationConfig);

    /// # Panics
    /// If `axis` is not the last axis of `input_shape`.
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        check_last_axis(self.name(), self.config.axis, input_shape);
        self.shape = input_shape.to_vec();
        self.weights = self.config.affine().params(self.name(), self.features(), seed);
    }

    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.shape);
        let c = self.features();
        let vectors = x.len() / c.max(1);
        let b = scratch.get::<LayerNormBuffers>();
        b.mean.resize(vectors, 0.0);
        b.rstd.resize(vectors, 0.0);
        y.resize(x.shape());
        let get = |n| self.param(n).map(|p| p.value.data());
        let (gamma, beta) = (get("gamma"), get("beta"));
        let eps = self.config.epsilon;
        let rows = x.data().chunks_exact(c).zip(y.data_mut().chunks_exact_mut(c));
        for (i, (xr, yr)) in rows.enumerate() {
            let mean = (xr.iter().map(|&v| f64::from(v)).sum::<f64>() / c as f64) as f32;
            let var = xr.iter().map(|&v| f64::from((v - mean) * (v - mean))).sum::<f64>() / c as f64;
            let rstd = 1.0 / (var as f32 + eps).sqrt();
            (b.mean[i], b.rstd[i]) = (mean, rstd);
            for (j, (o, &v)) in yr.iter_mut().zip(xr).enumerate() {
                let inv = gamma.map_or(rstd, |g| rstd * g[j]);
                *o = v * inv + (beta.map_or(0.0, |b| b[j]) - mean * inv);
            }
        }
    }

    /// # Panics
    /// If `dy`'s shape differs from `x`'s.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, mut dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        assert_eq!(x.shape(), dy.shape(), "{}: input {:?} vs gradient {:?}", self.name(), x.shape(), dy.shape());
        let c = self.features();
        let b = scratch.get::<LayerNormBuffers>();
        let (mut gamma, mut beta) = self.gamma_beta_mut();
        for p in [&mut gamma, &mut beta].into_iter().flatten() {
            p.grad.fill(0.0);
        }
        if let Some(dx) = dx.as_deref_mut() {
            dx.resize(x.shape());
        }
        for (i, (xr, gr)) in x.data().chunks_exact(c).zip(dy.data().chunks_exact(c)).enumerate() {
            let (mean, rstd) = (b.mean[i], b.rstd[i]);
            let (mut sum_g, mut sum_gx) = (0.0f64, 0.0f64);
            for j in 0..c {
                let xhat = (xr[j] - mean) * rstd;
                if let Some(p) = &mut gamma {
                    p.grad.data_mut()[j] += gr[j] * xhat;
                }
                if let Some(p) = &mut beta {
                    p.grad.data_mut()[j] += gr[j];
                }
                let g = gamma.as_ref().map_or(gr[j], |p| gr[j] * p.value.data()[j]);
                sum_g += f64::from(g);
                sum_gx += f64::from(g * xhat);
            }
            let Some(dx) = dx.as_deref_mut() else { continue };
            let (mean_g, mean_gx) = ((sum_g / c as f64) as f32, (sum_gx / c as f64) as f32);
            for (j, d) in dx.data_mut()[i * c..(i + 1) * c].iter_mut().enumerate() {
                let xhat = (xr[j] - mean) * rstd;
                let g = gamma.as_ref().map_or(gr[j], |p| gr[j] * p.value.data()[j]);
                *d = rstd * (g - mean_g - xhat * mean_gx);
            }
        }
    }

    fn weights(&self) -> &[Param] {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut [Param] {
        &mut self.weights
    }

    /// `y = γ·(x − μ)/√(σ² + ε) + β` with the mean and (biased) variance of each vector.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let (eps, gb) = (f64::from(self.config.epsilon), scale_offset(&self.weights));
        Forward64::each(normalize_all(x, self.features().max(1), &gb, eps, |row| {
            let stats = moments(row);
            move |_| stats
        }))
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        let (eps, gb, last) = (f64::from(self.config.epsilon), scale_offset(&self.weights), v.last_axis());
        let features = v
            .chosen
            .iter()
            .map(|&i| {
                let start = i - i % last;
                feature_trace(v, i, &gb, moments(&v.x[start..start + last]), eps)
            })
            .collect();
        LayerStep::Normalization { statistics: Statistics::Sample, epsilon: eps, features }
    }
}
