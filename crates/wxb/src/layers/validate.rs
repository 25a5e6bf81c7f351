//! [`LayerConfig::validate`]: every value of a layer configuration checked against the shape of
//! its input before the layer is built, so that configurations read from files (`--spec`,
//! `config.json`) give typed errors instead of panics or absurd allocations.

use super::{LayerConfig, snake_case};
use crate::constraints::Constraint;
use crate::error::WxbError;
use crate::init::Initializer;
use crate::regularizers::Regularizer;

/// What a valid layer configuration makes of samples of a given shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerPlan {
    /// The shape of one output sample.
    pub output_shape: Vec<usize>,
    /// The number of scalars in the layer's weights (trainable or not).
    pub params: u64,
    /// Each weight's name and shape, in the order of [`Layer::params`](super::Layer::params).
    pub weights: Vec<(&'static str, Vec<usize>)>,
}

impl LayerConfig {
    /// Keras' class name of the configured layer (`Dense`, `Dropout`, …).
    pub fn class_name(&self) -> &'static str {
        match self {
            LayerConfig::Dense(_) => "Dense",
            LayerConfig::Activation(_) => "Activation",
            LayerConfig::Dropout(_) => "Dropout",
            LayerConfig::BatchNormalization(_) => "BatchNormalization",
            LayerConfig::LayerNormalization(_) => "LayerNormalization",
            LayerConfig::Flatten(_) => "Flatten",
        }
    }

    /// Checks the configuration for samples of `input_shape` (batch excluded) and returns the
    /// output shape and the number of weights, without allocating them. [`LayerConfig::build`]
    /// followed by [`Layer::build`](super::Layer::build) with that shape does not panic when this
    /// returns `Ok`.
    pub fn validate(&self, input_shape: &[usize]) -> Result<LayerPlan, WxbError> {
        let layer = self.name().filter(|n| !n.is_empty()).map_or_else(|| snake_case(self.class_name()), str::to_owned);
        let bad = |field: &'static str, value: String, reason: &'static str| WxbError::InvalidLayer {
            layer: layer.clone(),
            field,
            value,
            reason,
        };
        let features = || -> Result<usize, WxbError> {
            match input_shape.last() {
                Some(&f) => Ok(f),
                None => Err(bad("input_shape", "[]".into(), "normalization needs samples with at least one axis")),
            }
        };
        let last_axis = |axis: i32| {
            let last = input_shape.len() as i64;
            if axis == -1 || i64::from(axis) == last {
                Ok(())
            } else {
                Err(bad("axis", axis.to_string(), "only the last axis (-1) is supported"))
            }
        };
        let finite = |field: &'static str, v: f32| {
            if v.is_finite() { Ok(()) } else { Err(bad(field, v.to_string(), "must be a finite number")) }
        };
        // A layer keeping its input's shape, with per-feature weights of these names.
        let same = |names: &[&'static str]| {
            let f = input_shape.last().copied().unwrap_or(0);
            let weights: Vec<(&'static str, Vec<usize>)> = names.iter().map(|&n| (n, vec![f])).collect();
            let params = f as u64 * weights.len() as u64;
            Ok(LayerPlan { output_shape: input_shape.to_vec(), params, weights })
        };
        match self {
            LayerConfig::Dense(c) => {
                let &[inputs] = input_shape else {
                    return Err(bad(
                        "input_shape",
                        format!("{input_shape:?}"),
                        "Dense takes samples of shape [features]: add a Flatten layer first",
                    ));
                };
                if c.units == 0 {
                    return Err(bad("units", "0".into(), "must be at least 1"));
                }
                initializer(&bad, "kernel_initializer", c.kernel_initializer, Rank::Matrix)?;
                initializer(&bad, "bias_initializer", c.bias_initializer, Rank::Vector)?;
                regularizer(&bad, "kernel_regularizer", c.kernel_regularizer)?;
                regularizer(&bad, "bias_regularizer", c.bias_regularizer)?;
                constraint(&bad, "kernel_constraint", c.kernel_constraint)?;
                constraint(&bad, "bias_constraint", c.bias_constraint)?;
                let units = c.units as u64;
                let kernel = (inputs as u64)
                    .checked_mul(units)
                    .ok_or_else(|| bad("units", c.units.to_string(), "the kernel's size overflows"))?;
                let params = kernel.saturating_add(if c.use_bias { units } else { 0 });
                let mut weights = vec![("kernel", vec![inputs, c.units])];
                if c.use_bias {
                    weights.push(("bias", vec![c.units]));
                }
                Ok(LayerPlan { output_shape: vec![c.units], params, weights })
            }
            LayerConfig::Dropout(c) => {
                if !(0.0..1.0).contains(&c.rate) {
                    return Err(bad("rate", c.rate.to_string(), "must be in [0, 1)"));
                }
                same(&[])
            }
            LayerConfig::Activation(_) => same(&[]),
            LayerConfig::Flatten(_) => {
                let n = input_shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
                let n =
                    n.ok_or_else(|| bad("input_shape", format!("{input_shape:?}"), "the flattened size overflows"))?;
                Ok(LayerPlan { output_shape: vec![n], params: 0, weights: Vec::new() })
            }
            LayerConfig::BatchNormalization(c) => {
                features()?;
                last_axis(c.axis)?;
                finite("momentum", c.momentum)?;
                finite("epsilon", c.epsilon)?;
                initializer(&bad, "gamma_initializer", c.gamma_initializer, Rank::Vector)?;
                initializer(&bad, "beta_initializer", c.beta_initializer, Rank::Vector)?;
                initializer(&bad, "moving_mean_initializer", c.moving_mean_initializer, Rank::Vector)?;
                initializer(&bad, "moving_variance_initializer", c.moving_variance_initializer, Rank::Vector)?;
                regularizer(&bad, "gamma_regularizer", c.gamma_regularizer)?;
                regularizer(&bad, "beta_regularizer", c.beta_regularizer)?;
                constraint(&bad, "gamma_constraint", c.gamma_constraint)?;
                constraint(&bad, "beta_constraint", c.beta_constraint)?;
                let optional = [("gamma", c.scale), ("beta", c.center)];
                let mut names: Vec<&'static str> = optional.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
                names.extend(["moving_mean", "moving_variance"]);
                same(&names)
            }
            LayerConfig::LayerNormalization(c) => {
                features()?;
                last_axis(c.axis)?;
                finite("epsilon", c.epsilon)?;
                initializer(&bad, "gamma_initializer", c.gamma_initializer, Rank::Vector)?;
                initializer(&bad, "beta_initializer", c.beta_initializer, Rank::Vector)?;
                regularizer(&bad, "gamma_regularizer", c.gamma_regularizer)?;
                regularizer(&bad, "beta_regularizer", c.beta_regularizer)?;
                constraint(&bad, "gamma_constraint", c.gamma_constraint)?;
                constraint(&bad, "beta_constraint", c.beta_constraint)?;
                let optional = [("gamma", c.scale), ("beta", c.center)];
                let names: Vec<&'static str> = optional.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
                same(&names)
            }
        }
    }
}

/// The rank of the weight an initializer fills.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rank {
    /// A kernel `[in, units]`.
    Matrix,
    /// A bias or a per-feature vector.
    Vector,
}

fn initializer(
    bad: &dyn Fn(&'static str, String, &'static str) -> WxbError,
    field: &'static str,
    init: Initializer,
    rank: Rank,
) -> Result<(), WxbError> {
    let numbers: Vec<f32> = match init {
        Initializer::Constant { value } => vec![value],
        Initializer::RandomNormal { mean, stddev } | Initializer::TruncatedNormal { mean, stddev } => {
            vec![mean, stddev]
        }
        Initializer::RandomUniform { minval, maxval } => vec![minval, maxval],
        Initializer::VarianceScaling { scale, .. } => vec![scale],
        Initializer::Orthogonal { gain } | Initializer::Identity { gain } => {
            if rank == Rank::Vector {
                return Err(bad(field, init.name().into(), "needs a 2-D weight (a kernel), not a vector"));
            }
            vec![gain]
        }
        _ => Vec::new(),
    };
    match numbers.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(bad(field, format!("{} with {v}", init.name()), "its parameters must be finite numbers")),
        None => Ok(()),
    }
}

fn regularizer(
    bad: &dyn Fn(&'static str, String, &'static str) -> WxbError,
    field: &'static str,
    r: Option<Regularizer>,
) -> Result<(), WxbError> {
    let factors: Vec<f32> = match r {
        Some(Regularizer::L1 { l1 }) => vec![l1],
        Some(Regularizer::L2 { l2 }) => vec![l2],
        Some(Regularizer::L1L2 { l1, l2 }) => vec![l1, l2],
        _ => Vec::new(),
    };
    match factors.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        Some(v) => Err(bad(field, v.to_string(), "regularization factors must be finite and non-negative")),
        None => Ok(()),
    }
}

fn constraint(
    bad: &dyn Fn(&'static str, String, &'static str) -> WxbError,
    field: &'static str,
    c: Option<Constraint>,
) -> Result<(), WxbError> {
    let ok = match c {
        Some(Constraint::MaxNorm { max_value, .. }) => max_value >= 0.0 && max_value.is_finite(),
        Some(Constraint::MinMaxNorm { min_value, max_value, rate, .. }) => {
            min_value >= 0.0 && min_value <= max_value && max_value.is_finite() && rate.is_finite()
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(bad(field, format!("{c:?}"), "norm bounds must be finite with 0 <= min_value <= max_value"))
    }
}
