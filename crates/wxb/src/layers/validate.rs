//! [`LayerConfig::validate`]: every value of a layer configuration checked against the shape of
//! its input before the layer is built, so that configurations read from files (`--spec`,
//! `config.json`) give typed errors instead of panics or absurd allocations. Each kind checks its
//! own fields ([`LayerKind::plan`](super::LayerKind::plan)) with the helpers of [`Check`].

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

impl LayerPlan {
    /// A layer keeping its input's shape, with a per-feature weight `[features]` for each name.
    pub fn same_shape(input_shape: &[usize], names: &[&'static str]) -> Self {
        let f = input_shape.last().copied().unwrap_or(0);
        let weights: Vec<(&'static str, Vec<usize>)> = names.iter().map(|&n| (n, vec![f])).collect();
        let params = f as u64 * weights.len() as u64;
        Self { output_shape: input_shape.to_vec(), params, weights }
    }
}

impl LayerConfig {
    /// Checks the configuration for samples of `input_shape` (batch excluded) and returns the
    /// output shape and the number of weights, without allocating them. [`LayerConfig::build`]
    /// followed by [`Layer::build`](super::Layer::build) with that shape does not panic when this
    /// returns `Ok`.
    pub fn validate(&self, input_shape: &[usize]) -> Result<LayerPlan, WxbError> {
        let layer = self.name().filter(|n| !n.is_empty()).map_or_else(|| snake_case(self.class_name()), str::to_owned);
        self.plan(input_shape, &Check { layer })
    }

    /// Scalars per sample of the buffers a layer of this configuration keeps beyond those the size
    /// of its output (a convolution's patches `im2col(x)` and their gradient: `2·P·kh·kw·c` for `P`
    /// output positions; an upper bound: the passes hold the patches of a few chunks of samples at
    /// a time, `layers/conv/split.rs`); 0 for the other kinds, and for a configuration that does not fit.
    pub fn buffers_per_sample(&self, input_shape: &[usize]) -> u64 {
        let spec = match self {
            LayerConfig::Conv2D(c) => c.spec(),
            LayerConfig::Conv1D(c) => c.spec(),
            _ => return 0,
        };
        match spec.plan(input_shape, &Check::for_layer("")) {
            Ok((g, _)) => 2u64.saturating_mul(g.positions() as u64).saturating_mul(g.patch() as u64),
            Err(_) => 0,
        }
    }

    /// [`LayerConfig::validate`] for the layer the model names `layer` (its errors say so).
    pub(crate) fn validate_named(&self, input_shape: &[usize], layer: &str) -> Result<LayerPlan, WxbError> {
        self.plan(input_shape, &Check::for_layer(layer))
    }
}

/// The rank of the weight an initializer fills.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rank {
    /// A kernel `[in, units]`.
    Matrix,
    /// A bias or a per-feature vector.
    Vector,
}

/// The checks a layer configuration's values go through, each naming the layer in its error.
#[derive(Clone, Debug)]
pub struct Check {
    layer: String,
}

impl Check {
    /// The checks of the layer named `layer`.
    pub(crate) fn for_layer(layer: &str) -> Self {
        Self { layer: layer.to_string() }
    }

    /// The error for `field = value`, with the reason it is refused.
    pub fn bad(&self, field: &'static str, value: String, reason: &'static str) -> WxbError {
        WxbError::InvalidLayer { layer: self.layer.clone(), field, value, reason }
    }

    /// The number of features (last axis) of samples of `input_shape`.
    pub fn features(&self, input_shape: &[usize]) -> Result<usize, WxbError> {
        input_shape
            .last()
            .copied()
            .ok_or_else(|| self.bad("input_shape", "[]".into(), "normalization needs samples with at least one axis"))
    }

    /// That `axis` (Keras' numbering, batch included) is the last axis of `input_shape`.
    pub fn last_axis(&self, axis: i32, input_shape: &[usize]) -> Result<(), WxbError> {
        let last = input_shape.len() as i64;
        if axis == -1 || i64::from(axis) == last {
            Ok(())
        } else {
            Err(self.bad("axis", axis.to_string(), "only the last axis (-1) is supported"))
        }
    }

    /// That `v` is finite.
    pub fn finite(&self, field: &'static str, v: f32) -> Result<(), WxbError> {
        if v.is_finite() { Ok(()) } else { Err(self.bad(field, v.to_string(), "must be a finite number")) }
    }

    /// That an initializer's numbers are finite and that it can fill a weight of `rank`.
    pub fn initializer(&self, field: &'static str, init: Initializer, rank: Rank) -> Result<(), WxbError> {
        let numbers: Vec<f32> = match init {
            Initializer::Constant { value } => vec![value],
            Initializer::RandomNormal { mean, stddev } | Initializer::TruncatedNormal { mean, stddev } => {
                vec![mean, stddev]
            }
            Initializer::RandomUniform { minval, maxval } => vec![minval, maxval],
            Initializer::VarianceScaling { scale, .. } => vec![scale],
            Initializer::Stft { .. } => {
                return Err(self.bad(
                    field,
                    init.name().into(),
                    "fills a 3-D kernel [frame_length, 1, fft_length] (a convolution's), not a Dense weight",
                ));
            }
            Initializer::Orthogonal { gain } | Initializer::Identity { gain } => {
                if rank == Rank::Vector {
                    return Err(self.bad(field, init.name().into(), "needs a 2-D weight (a kernel), not a vector"));
                }
                vec![gain]
            }
            _ => Vec::new(),
        };
        match numbers.iter().find(|v| !v.is_finite()) {
            Some(v) => {
                Err(self.bad(field, format!("{} with {v}", init.name()), "its parameters must be finite numbers"))
            }
            None => Ok(()),
        }
    }

    /// That a regularizer's factors are finite and non-negative.
    pub fn regularizer(&self, field: &'static str, r: Option<Regularizer>) -> Result<(), WxbError> {
        let factors: Vec<f32> = match r {
            Some(Regularizer::L1 { l1 }) => vec![l1],
            Some(Regularizer::L2 { l2 }) => vec![l2],
            Some(Regularizer::L1L2 { l1, l2 }) => vec![l1, l2],
            _ => Vec::new(),
        };
        match factors.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            Some(v) => Err(self.bad(field, v.to_string(), "regularization factors must be finite and non-negative")),
            None => Ok(()),
        }
    }

    /// That a constraint's bounds are finite with `0 ≤ min_value ≤ max_value`.
    pub fn constraint(&self, field: &'static str, c: Option<Constraint>) -> Result<(), WxbError> {
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
            Err(self.bad(field, format!("{c:?}"), "norm bounds must be finite with 0 <= min_value <= max_value"))
        }
    }

    /// A per-feature weight's three settings: initializer (a vector), regularizer, constraint,
    /// named `{weight}_initializer`, `{weight}_regularizer`, `{weight}_constraint`.
    pub fn feature_weight(
        &self,
        fields: [&'static str; 3],
        init: Initializer,
        r: Option<Regularizer>,
        c: Option<Constraint>,
    ) -> Result<(), WxbError> {
        self.initializer(fields[0], init, Rank::Vector)?;
        self.regularizer(fields[1], r)?;
        self.constraint(fields[2], c)
    }
}
