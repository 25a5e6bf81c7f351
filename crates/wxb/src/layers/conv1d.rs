//! Keras' `Conv1D`: `y[n, t, f] = activation(Σ_{k,c} x[n, t·s − p + k·d, c]·K[k, c, f] + b[f])`, a Conv2D of height 1.

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

/// Keras' `Conv1D` configuration; defaults as in Keras. `kernel_size`, `strides` and
/// `dilation_rate` accept one number or a list of one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv1DConfig {
    /// The layer's name; `None` lets the model choose `conv1d`, `conv1d_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The number of filters (output channels).
    pub filters: usize,
    /// The kernel's length `[k]`.
    #[serde(deserialize_with = "int_or_list")]
    pub kernel_size: [usize; 1],
    /// The steps between output positions (default `[1]`).
    #[serde(default = "ones", deserialize_with = "int_or_list")]
    pub strides: [usize; 1],
    /// `valid` (default), `same` or `causal` (output `t` sees inputs up to `t`).
    #[serde(default)]
    pub padding: Padding,
    /// The samples' layout: only `channels_last` (`[steps, c]`, Keras' default) is supported.
    #[serde(default)]
    pub data_format: DataFormat,
    /// The spacing between kernel taps (default `[1]`).
    #[serde(default = "ones", deserialize_with = "int_or_list")]
    pub dilation_rate: [usize; 1],
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

impl Conv1DConfig {
    /// `filters` filters of `kernel_size` with Keras' defaults.
    pub fn new(filters: usize, kernel_size: [usize; 1]) -> Self {
        Self {
            name: None,
            filters,
            kernel_size,
            strides: [1],
            padding: Padding::Valid,
            data_format: DataFormat::ChannelsLast,
            dilation_rate: [1],
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
            rank: 1,
            filters: self.filters,
            kernel: [1, self.kernel_size[0]],
            strides: [1, self.strides[0]],
            dilation: [1, self.dilation_rate[0]],
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

impl LayerKind for Conv1DConfig {
    type Layer = Conv1D;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        self.spec().plan(input_shape, check).map(|(_, plan)| plan)
    }

    fn into_layer(self) -> Conv1D {
        Conv1D { config: self, core: ConvCore::default() }
    }
}

/// A 1-D convolution over channels-last sequences.
///
/// # Shapes
/// `x: [batch, steps, c]`, kernel `K: [k, c, filters]` (Keras' layout), bias `b: [filters]`,
/// `y: [batch, out_steps, filters]` with `out_steps` as [`Padding`] says. Each output value is the
/// dot product of one `k × c` window of the input with one filter, plus its bias.
///
/// Computed as `im2col(x)·K` on wxb's GEMM, bias and linear/ReLU activation fused into the
/// product; backward `dK = colsᵀ·dz`, `db = Σ dz`, `dx = col2im(dz·Kᵀ)` (see `layers/conv/`).
#[derive(Debug, Clone)]
pub struct Conv1D {
    config: Conv1DConfig,
    core: ConvCore,
}

impl Conv1D {
    /// `filters` filters of `kernel_size = [k]`, Keras' defaults (stride 1, valid padding,
    /// glorot_uniform kernel, zero bias, linear activation).
    pub fn new(filters: usize, kernel_size: [usize; 1]) -> Self {
        Self::from_config(Conv1DConfig::new(filters, kernel_size))
    }

    config_setters! {
        Conv1DConfig;
        /// Sets the stride `[s]`.
        strides(s: [usize; 1]) => strides = s;
        /// Sets the padding.
        padding(p: Padding) => padding = p;
        /// Sets the dilation rate `[d]`.
        dilation_rate(d: [usize; 1]) => dilation_rate = d;
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

    /// The kernel `[k, c, filters]`.
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

impl Layer for Conv1D {
    conv_layer!(Conv1DConfig);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_padding_sees_only_the_past() {
        // Kernel [1, 1] of length 2 with dilation 2: y[t] = x[t − 2] + x[t].
        let mut conv = Conv1D::new(1, [2]).named("c").dilation_rate([2]).padding(Padding::Causal);
        conv = conv.kernel_initializer(Initializer::Ones).without_bias();
        conv.build(&[5, 1], 0);
        assert_eq!(conv.output_shape(), [5, 1]);
        assert_eq!(conv.kernel().shape(), &[2, 1, 1]);
        let x = Tensor::from_vec(&[1, 5, 1], vec![1., 2., 3., 4., 5.]);
        let y = conv.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.data(), &[1., 2., 4., 6., 8.]);
    }

    #[test]
    fn kernel_size_is_one_number_or_a_list_of_one() {
        let c: Conv1DConfig = serde_json::from_str(r#"{"filters": 2, "kernel_size": [3], "strides": 2}"#).unwrap();
        assert_eq!((c.kernel_size, c.strides), ([3], [2]));
        let e = serde_json::from_str::<Conv1DConfig>(r#"{"filters": 2, "kernel_size": [3, 3]}"#).unwrap_err();
        assert!(e.to_string().contains("expected 1 sizes"), "{e}");
    }

    #[test]
    fn stft_fills_a_one_channel_kernel_as_keras_uses_it() {
        let stft = Conv1D::new(6, [8]).kernel_initializer(Initializer::STFT).without_bias().named("spectrum");
        let mut layer = stft.clone();
        layer.build(&[32, 1], 0);
        let want = Initializer::STFT.init(&[8, 1, 6], &mut crate::rng::WxbRng::new(0));
        assert_eq!(layer.kernel(), &want);
        let e = stft.config().validate(&[32, 2]).unwrap_err().to_string();
        assert!(e.contains("spectrum") && e.contains("[8, 2, 6]") && e.contains("one input channel"), "{e}");
    }
}
