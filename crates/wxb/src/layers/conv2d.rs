//! Keras' `Conv2D`: `y[n, i, j, f] = activation(Σ_{ky,kx,c} x[n, i·sh − pt + ky·dh, j·sw − pl + kx·dw, c]·K[ky, kx, c, f] + b[f])`.

use serde::{Deserialize, Serialize};

use super::conv::{ConvCore, ConvSpec, Padding, int_or_list, one, ones};
use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, Param};
use super::{SampleValues, Scratch, yes, zeros};
use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::error::WxbError;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::tensor::Tensor;

/// Keras' `Conv2D` configuration; defaults as in Keras. `kernel_size`, `strides` and
/// `dilation_rate` accept one number for both axes or `[height, width]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2DConfig {
    /// The layer's name; `None` lets the model choose `conv2d`, `conv2d_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The number of filters (output channels).
    pub filters: usize,
    /// The kernel's `[height, width]`.
    #[serde(deserialize_with = "int_or_list")]
    pub kernel_size: [usize; 2],
    /// The steps between output positions (default `[1, 1]`).
    #[serde(default = "ones", deserialize_with = "int_or_list")]
    pub strides: [usize; 2],
    /// `valid` (default) or `same`.
    #[serde(default)]
    pub padding: Padding,
    /// The samples' layout: only `channels_last` (`[h, w, c]`, Keras' default) is supported.
    #[serde(default)]
    pub data_format: DataFormat,
    /// The spacing between kernel taps (default `[1, 1]`).
    #[serde(default = "ones", deserialize_with = "int_or_list")]
    pub dilation_rate: [usize; 2],
    /// Keras' grouped convolution: only 1 is supported.
    #[serde(default = "one")]
    pub groups: usize,
    /// Applied to each output value (default: linear).
    #[serde(default)]
    pub activation: Activation,
    /// Whether the layer adds a bias per filter (default: true).
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// The kernel's initializer (default: `glorot_uniform`, fans over the receptive field).
    #[serde(default = "glorot_uniform")]
    pub kernel_initializer: Initializer,
    /// The bias' initializer (default: `zeros`).
    #[serde(default = "zeros")]
    pub bias_initializer: Initializer,
    /// Penalty on the kernel.
    #[serde(default)]
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on the bias.
    #[serde(default)]
    pub bias_regularizer: Option<Regularizer>,
    /// Penalty on the output, `r(y)/batch`.
    #[serde(default)]
    pub activity_regularizer: Option<Regularizer>,
    /// Projection of the kernel after each step.
    #[serde(default)]
    pub kernel_constraint: Option<Constraint>,
    /// Projection of the bias after each step.
    #[serde(default)]
    pub bias_constraint: Option<Constraint>,
}

fn glorot_uniform() -> Initializer {
    Initializer::GlorotUniform
}

impl Conv2DConfig {
    /// `filters` filters of `kernel_size` with Keras' defaults.
    pub fn new(filters: usize, kernel_size: [usize; 2]) -> Self {
        Self {
            name: None,
            filters,
            kernel_size,
            strides: [1, 1],
            padding: Padding::Valid,
            data_format: DataFormat::ChannelsLast,
            dilation_rate: [1, 1],
            groups: 1,
            activation: Activation::Linear,
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform,
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            activity_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }

    pub(crate) fn spec(&self) -> ConvSpec {
        ConvSpec {
            rank: 2,
            filters: self.filters,
            kernel: self.kernel_size,
            strides: self.strides,
            dilation: self.dilation_rate,
            padding: self.padding,
            data_format: self.data_format,
            groups: self.groups,
            activation: self.activation,
            use_bias: self.use_bias,
            kernel_initializer: self.kernel_initializer,
            bias_initializer: self.bias_initializer,
            kernel_regularizer: self.kernel_regularizer,
            bias_regularizer: self.bias_regularizer,
            activity_regularizer: self.activity_regularizer,
            kernel_constraint: self.kernel_constraint,
            bias_constraint: self.bias_constraint,
        }
    }
}

impl LayerKind for Conv2DConfig {
    type Layer = Conv2D;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        self.spec().plan(input_shape, check).map(|(_, plan)| plan)
    }

    fn into_layer(self) -> Conv2D {
        Conv2D { config: self, core: ConvCore::default() }
    }
}

/// A 2-D convolution over channels-last images.
///
/// # Shapes
/// `x: [batch, h, w, c]`, kernel `K: [kh, kw, c, filters]` (Keras' layout), bias `b: [filters]`,
/// `y: [batch, oh, ow, filters]` with `oh`, `ow` as [`Padding`] says. Each output value is the dot
/// product of one `kh × kw × c` patch of the input with one filter, plus its bias.
///
/// Computed as `im2col(x)·K` on wxb's GEMM, bias and linear/ReLU activation fused into the
/// product; backward `dK = colsᵀ·dz`, `db = Σ dz`, `dx = col2im(dz·Kᵀ)` (see `layers/conv/`).
#[derive(Debug, Clone)]
pub struct Conv2D {
    config: Conv2DConfig,
    core: ConvCore,
}

impl Conv2D {
    /// `filters` filters of `kernel_size = [kh, kw]`, Keras' defaults (stride 1, valid padding,
    /// glorot_uniform kernel, zero bias, linear activation).
    pub fn new(filters: usize, kernel_size: [usize; 2]) -> Self {
        Self::from_config(Conv2DConfig::new(filters, kernel_size))
    }

    config_setters! {
        Conv2DConfig;
        /// Sets the strides `[sh, sw]`.
        strides(s: [usize; 2]) => strides = s;
        /// Sets the padding.
        padding(p: Padding) => padding = p;
        /// Sets the dilation rates `[dh, dw]`.
        dilation_rate(d: [usize; 2]) => dilation_rate = d;
        /// Sets the activation.
        activation(activation: Activation) => activation = activation;
        /// Removes the bias.
        without_bias() => use_bias = false;
        /// Sets the kernel initializer.
        kernel_initializer(init: Initializer) => kernel_initializer = init;
        /// Sets the bias initializer.
        bias_initializer(init: Initializer) => bias_initializer = init;
        /// Sets the kernel regularizer.
        kernel_regularizer(r: Regularizer) => kernel_regularizer = Some(r);
        /// Sets the bias regularizer.
        bias_regularizer(r: Regularizer) => bias_regularizer = Some(r);
        /// Sets the activity regularizer.
        activity_regularizer(r: Regularizer) => activity_regularizer = Some(r);
        /// Sets the kernel constraint.
        kernel_constraint(c: Constraint) => kernel_constraint = Some(c);
        /// Sets the bias constraint.
        bias_constraint(c: Constraint) => bias_constraint = Some(c);
    }

    /// The kernel `[kh, kw, c, filters]`.
    ///
    /// # Panics
    /// Before the layer is built.
    pub fn kernel(&self) -> &Tensor {
        self.core.kernel()
    }

    /// The bias `[filters]`, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.core.bias()
    }
}

impl Layer for Conv2D {
    conv_layer!(Conv2DConfig);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_keras_json_and_round_trips() {
        let c: LayerConfig = serde_json::from_str(
            r#"{"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": 3, "strides": [2, 1], "padding": "same"}}"#,
        )
        .unwrap();
        let LayerConfig::Conv2D(k) = &c else { panic!("{c:?}") };
        assert_eq!((k.kernel_size, k.strides, k.dilation_rate, k.padding), ([3, 3], [2, 1], [1, 1], Padding::Same));
        let back: LayerConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn a_kernel_of_ones_sums_each_patch() {
        let mut conv = Conv2D::new(1, [2, 2]).named("c").kernel_initializer(Initializer::Ones);
        conv.build(&[3, 3, 1], 0);
        assert_eq!(conv.output_shape(), [2, 2, 1]);
        let x = Tensor::from_vec(&[1, 3, 3, 1], (1..=9).map(|v| v as f32).collect());
        let y = conv.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.shape(), &[1, 2, 2, 1]);
        assert_eq!(y.data(), &[12., 16., 24., 28.]);
    }
}
