//! The fully connected layer: `y = activation(x·W + b)`.

use serde::{Deserialize, Serialize};

use super::{Layer, LayerConfig, Mode, Param};
use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::init::Initializer;
use crate::regularizers::Regularizer;
use crate::rng::WxbRng;
use crate::tensor::{Fused, Tensor, Transpose, matmul_bias_act, matmul_into};

/// Keras' `Dense` configuration; defaults as in Keras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseConfig {
    /// The layer's name; `None` lets the model choose `dense`, `dense_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// The number of neurons (output features).
    pub units: usize,
    /// Applied to `x·W + b` (default: linear).
    #[serde(default)]
    pub activation: Activation,
    /// Whether the layer adds a bias vector (default: true).
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// The kernel's initializer (default: `glorot_uniform`).
    #[serde(default = "glorot_uniform")]
    pub kernel_initializer: Initializer,
    /// The bias' initializer (default: `zeros`).
    #[serde(default = "zeros")]
    pub bias_initializer: Initializer,
    /// Penalty on the kernel, added to the loss.
    #[serde(default)]
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on the bias, added to the loss.
    #[serde(default)]
    pub bias_regularizer: Option<Regularizer>,
    /// Projection of the kernel after each step.
    #[serde(default)]
    pub kernel_constraint: Option<Constraint>,
    /// Projection of the bias after each step.
    #[serde(default)]
    pub bias_constraint: Option<Constraint>,
}

fn yes() -> bool {
    true
}
fn glorot_uniform() -> Initializer {
    Initializer::GlorotUniform
}
fn zeros() -> Initializer {
    Initializer::Zeros
}

impl DenseConfig {
    /// `units` neurons with Keras' defaults.
    pub fn new(units: usize) -> Self {
        Self {
            name: None,
            units,
            activation: Activation::Linear,
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform,
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }
}

/// A fully connected layer: `y = activation(x·W + b)`.
///
/// Shapes: `x: [batch, in]`, kernel `W: [in, units]` (Keras' layout), bias `b: [units]`,
/// `y: [batch, units]`. Each output is one neuron's dot product `Σᵢ xᵢ·Wᵢⱼ + bⱼ`.
///
/// Backward, with `dz = dy ⊙ activation'(z)`: `dW = xᵀ·dz`, `db = Σ_batch dz`, `dx = dz·Wᵀ`.
///
/// The bias and a linear or ReLU activation are applied by the GEMM as it stores `y` (no pass over
/// `z`); ReLU's backward pass reads `y` (`y > 0` exactly when `z > 0`), so only the other
/// activations keep `z`.
#[derive(Debug, Clone)]
pub struct Dense {
    config: DenseConfig,
    name: String,
    in_features: usize,
    kernel: Param,
    bias: Option<Param>,
    /// Pre-activation `z = x·W + b` of the last forward pass (unused for linear and ReLU
    /// activations, fused into the product).
    z: Tensor,
    /// `∂L/∂z` of the last backward pass.
    dz: Tensor,
}

impl Dense {
    /// A Dense layer of `units` neurons with Keras' defaults (glorot_uniform kernel, zero bias,
    /// linear activation).
    pub fn new(units: usize) -> Self {
        Self::from_config(DenseConfig::new(units))
    }

    /// A Dense layer from its configuration.
    pub fn from_config(config: DenseConfig) -> Self {
        Self {
            name: config.name.clone().unwrap_or_default(),
            config,
            in_features: 0,
            kernel: Param::trainable("kernel", Tensor::default()),
            bias: None,
            z: Tensor::default(),
            dz: Tensor::default(),
        }
    }

    /// Sets the activation applied to `x·W + b`.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.config.activation = activation;
        self
    }

    /// Removes the bias: `y = activation(x·W)`.
    pub fn without_bias(mut self) -> Self {
        self.config.use_bias = false;
        self
    }

    /// Sets the kernel initializer.
    pub fn kernel_initializer(mut self, init: Initializer) -> Self {
        self.config.kernel_initializer = init;
        self
    }

    /// Sets the bias initializer.
    pub fn bias_initializer(mut self, init: Initializer) -> Self {
        self.config.bias_initializer = init;
        self
    }

    /// Sets the kernel regularizer.
    pub fn kernel_regularizer(mut self, r: Regularizer) -> Self {
        self.config.kernel_regularizer = Some(r);
        self
    }

    /// Sets the bias regularizer.
    pub fn bias_regularizer(mut self, r: Regularizer) -> Self {
        self.config.bias_regularizer = Some(r);
        self
    }

    /// Sets the kernel constraint.
    pub fn kernel_constraint(mut self, c: Constraint) -> Self {
        self.config.kernel_constraint = Some(c);
        self
    }

    /// Sets the bias constraint.
    pub fn bias_constraint(mut self, c: Constraint) -> Self {
        self.config.bias_constraint = Some(c);
        self
    }

    /// Names the layer.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self.config.name = Some(name.to_string());
        self
    }

    /// The number of neurons.
    pub fn units(&self) -> usize {
        self.config.units
    }

    /// The kernel `W: [in, units]` (empty until built).
    pub fn kernel(&self) -> &Tensor {
        &self.kernel.value
    }

    /// The bias `b: [units]`, if the layer has one.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref().map(|b| &b.value)
    }

    /// `dW = xᵀ·dz`, `db = Σ_batch dz`, `dx = dz·Wᵀ`.
    fn backprop(&mut self, x: &Tensor, dz: Option<&Tensor>, dx: Option<&mut Tensor>) {
        let dz = dz.unwrap_or(&self.dz);
        assert_eq!(
            (x.rows(), x.cols()),
            (dz.rows(), self.in_features),
            "{}: backward input {:?} does not match gradient {:?} for {} inputs",
            self.name,
            x.shape(),
            dz.shape(),
            self.in_features
        );
        matmul_into(&mut self.kernel.grad, x, Transpose::Yes, dz, Transpose::No, 0.0);
        if let Some(bias) = &mut self.bias {
            column_sums(dz.data(), self.config.units, bias.grad.data_mut());
        }
        if let Some(dx) = dx {
            matmul_into(dx, dz, Transpose::No, &self.kernel.value, Transpose::Yes, 0.0);
            dx.resize(x.shape());
        }
    }
}

impl Layer for Dense {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.config.name = Some(name.clone());
        self.name = name;
    }

    fn class_name(&self) -> &'static str {
        "Dense"
    }

    /// # Panics
    /// If `input_shape` is not `[features]` (add a Flatten layer before Dense for images).
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        assert_eq!(
            input_shape.len(),
            1,
            "{}: Dense takes samples of shape [features], got {input_shape:?}; add a Flatten layer first",
            self.name
        );
        let (inp, units) = (input_shape[0], self.config.units);
        self.in_features = inp;
        let mut rng = WxbRng::derive(seed, &format!("{}/kernel", self.name));
        self.kernel = Param::trainable("kernel", self.config.kernel_initializer.init(&[inp, units], &mut rng));
        self.kernel.regularizer = self.config.kernel_regularizer;
        self.kernel.constraint = self.config.kernel_constraint;
        self.bias = self.config.use_bias.then(|| {
            let mut rng = WxbRng::derive(seed, &format!("{}/bias", self.name));
            let mut b = Param::trainable("bias", self.config.bias_initializer.init(&[units], &mut rng));
            b.regularizer = self.config.bias_regularizer;
            b.constraint = self.config.bias_constraint;
            b
        });
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![self.config.units]
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor, _mode: Mode) {
        assert_eq!(
            x.cols(),
            self.in_features,
            "{}: input {:?} has {} features, the kernel expects {}",
            self.name,
            x.shape(),
            x.cols(),
            self.in_features
        );
        let bias = self.bias.as_ref().map(|b| b.value.data());
        let w = &self.kernel.value;
        match fusion(self.config.activation) {
            Some(act) => matmul_bias_act(y, x, Transpose::No, w, Transpose::No, bias, act),
            None => {
                matmul_bias_act(&mut self.z, x, Transpose::No, w, Transpose::No, bias, Fused::Identity);
                self.config.activation.forward(&self.z, y);
            }
        }
    }

    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>) {
        match self.config.activation {
            Activation::Linear => return self.backprop(x, Some(dy), dx),
            Activation::Relu => relu_backward_from_output(y, dy, &mut self.dz),
            other => other.backward(&self.z, y, dy, &mut self.dz),
        }
        self.backprop(x, None, dx);
    }

    fn output_activation(&self) -> Activation {
        self.config.activation
    }

    fn logits(&self) -> Option<&Tensor> {
        fusion(self.config.activation).is_none().then_some(&self.z)
    }

    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>) {
        self.backprop(x, Some(dz), dx);
    }

    fn params(&self) -> Vec<&Param> {
        std::iter::once(&self.kernel).chain(self.bias.as_ref()).collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        std::iter::once(&mut self.kernel).chain(self.bias.as_mut()).collect()
    }

    fn for_each_param(&self, f: &mut dyn FnMut(&Param)) {
        std::iter::once(&self.kernel).chain(self.bias.as_ref()).for_each(f);
    }

    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        std::iter::once(&mut self.kernel).chain(self.bias.as_mut()).for_each(f);
    }

    fn config(&self) -> LayerConfig {
        LayerConfig::Dense(self.config.clone())
    }
}

/// The activation the GEMM applies while storing, for those it can (then `z` is not kept).
fn fusion(activation: Activation) -> Option<Fused> {
    match activation {
        Activation::Linear => Some(Fused::Identity),
        Activation::Relu => Some(Fused::Relu),
        _ => None,
    }
}

/// `dz = dy ⊙ [y > 0]` for `y = relu(z)` (`y > 0` exactly when `z > 0`).
fn relu_backward_from_output(y: &Tensor, dy: &Tensor, dz: &mut Tensor) {
    assert_eq!(y.shape(), dy.shape(), "relu backward: output {:?} vs gradient {:?}", y.shape(), dy.shape());
    dz.resize(y.shape());
    for ((d, &g), &v) in dz.data_mut().iter_mut().zip(dy.data()).zip(y.data()) {
        *d = if v > 0.0 { g } else { 0.0 };
    }
}

/// `sums[j] = Σᵢ m[i, j]` for a row-major matrix of `cols` columns, summing rows in order.
fn column_sums(m: &[f32], cols: usize, sums: &mut [f32]) {
    sums.fill(0.0);
    for row in m.chunks_exact(cols) {
        sums.iter_mut().zip(row).for_each(|(s, d)| *s += d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_a_dot_product_per_neuron_plus_bias() {
        let mut d = Dense::new(2).named("d").activation(Activation::Relu);
        d.build(&[3], 0);
        d.kernel.value = Tensor::from_vec(&[3, 2], vec![1., -1., 2., -2., 3., -3.]);
        d.bias.as_mut().unwrap().value = Tensor::from_vec(&[2], vec![0.5, 0.5]);
        let x = Tensor::from_vec(&[1, 3], vec![1., 1., 1.]);
        // neuron 0: 1+2+3+0.5 = 6.5; neuron 1: -6+0.5 → relu → 0
        assert_eq!(d.call(&x, Mode::Infer).data(), &[6.5, 0.0]);
    }

    #[test]
    fn config_round_trips_through_json() {
        let d = Dense::new(4).named("out").activation(Activation::Softmax).kernel_regularizer(Regularizer::L2_DEFAULT);
        let json = serde_json::to_string(&d.config()).unwrap();
        let back: LayerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d.config());
        assert!(json.contains("\"class_name\":\"Dense\""), "{json}");
    }

    #[test]
    #[should_panic(expected = "add a Flatten layer first")]
    fn images_need_flatten() {
        Dense::new(2).build(&[28, 28], 0);
    }
}
