//! The fully connected layer: `y = activation(x·W + b)`.

use serde::{Deserialize, Serialize};

use super::neuron::{NeuronInputs, neuron_trace};
use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, Param, Rank, SampleValues};
use super::{Scratch, yes, zeros};
use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::error::WxbError;
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
    /// Penalty on the layer's output `y`, added to the loss as `r(y)/batch` (Keras 3's
    /// `activity_regularizer`).
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
            activity_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }
}

impl LayerKind for DenseConfig {
    type Layer = Dense;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let &[inputs] = input_shape else {
            return Err(check.bad(
                "input_shape",
                format!("{input_shape:?}"),
                "Dense takes samples of shape [features]: add a Flatten layer first",
            ));
        };
        if self.units == 0 {
            return Err(check.bad("units", "0".into(), "must be at least 1"));
        }
        if let Err(why) = self.activation.check_len(self.units) {
            return Err(check.bad("units", self.units.to_string(), why));
        }
        check.initializer("kernel_initializer", self.kernel_initializer, Rank::Matrix)?;
        check.initializer("bias_initializer", self.bias_initializer, Rank::Vector)?;
        check.regularizer("kernel_regularizer", self.kernel_regularizer)?;
        check.regularizer("bias_regularizer", self.bias_regularizer)?;
        check.regularizer("activity_regularizer", self.activity_regularizer)?;
        check.constraint("kernel_constraint", self.kernel_constraint)?;
        check.constraint("bias_constraint", self.bias_constraint)?;
        let units = self.units as u64;
        let kernel = (inputs as u64)
            .checked_mul(units)
            .ok_or_else(|| check.bad("units", self.units.to_string(), "the kernel's size overflows"))?;
        let params = kernel.saturating_add(if self.use_bias { units } else { 0 });
        let mut weights = vec![("kernel", vec![inputs, self.units])];
        if self.use_bias {
            weights.push(("bias", vec![self.units]));
        }
        Ok(LayerPlan { output_shape: vec![self.activation.output_len(self.units)], params, weights })
    }

    fn into_layer(self) -> Dense {
        Dense { config: self, in_features: 0, weights: Vec::new() }
    }
}

/// A fully connected layer: `y = activation(x·W + b)`.
///
/// # Shapes
/// `x: [batch, in]`, kernel `W: [in, units]` (Keras' layout), bias `b: [units]`,
/// `y: [batch, units]` (`[batch, units / 2]` for glu, which halves each row: `units` must be even). Each output is one neuron's dot product `Σᵢ xᵢ·Wᵢⱼ + bⱼ`.
///
/// Backward, with `dz = dy ⊙ activation'(z)`: `dW = xᵀ·dz`, `db = Σ_batch dz`, `dx = dz·Wᵀ`.
///
/// The bias and a linear or ReLU activation are applied by the GEMM as it stores `y` (no pass over
/// `z`); ReLU's backward pass reads `y` (`y > 0` exactly when `z > 0`), so only the other
/// activations keep `z` (in the caller's [`Scratch`]).
#[derive(Debug, Clone)]
pub struct Dense {
    config: DenseConfig,
    in_features: usize,
    /// The kernel, then the bias when the layer has one.
    weights: Vec<Param>,
}

/// What a forward pass leaves for the backward pass.
#[derive(Debug, Default)]
struct DenseBuffers {
    /// Pre-activation `z = x·W + b` (unused for linear and ReLU activations, fused into the product).
    z: Tensor,
    /// `∂L/∂z`.
    dz: Tensor,
}

impl Dense {
    /// A Dense layer of `units` neurons with Keras' defaults (glorot_uniform kernel, zero bias,
    /// linear activation).
    pub fn new(units: usize) -> Self {
        Self::from_config(DenseConfig::new(units))
    }

    config_setters! {
        DenseConfig;
        /// Sets the activation applied to `x·W + b`.
        activation(activation: Activation) => activation = activation;
        /// Removes the bias: `y = activation(x·W)`.
        without_bias() => use_bias = false;
        /// Sets the kernel initializer.
        kernel_initializer(init: Initializer) => kernel_initializer = init;
        /// Sets the bias initializer.
        bias_initializer(init: Initializer) => bias_initializer = init;
        /// Sets the kernel regularizer.
        kernel_regularizer(r: Regularizer) => kernel_regularizer = Some(r);
        /// Sets the bias regularizer.
        bias_regularizer(r: Regularizer) => bias_regularizer = Some(r);
        /// Sets the activity regularizer: a penalty on the output, `r(y)/batch`.
        activity_regularizer(r: Regularizer) => activity_regularizer = Some(r);
        /// Sets the kernel constraint.
        kernel_constraint(c: Constraint) => kernel_constraint = Some(c);
        /// Sets the bias constraint.
        bias_constraint(c: Constraint) => bias_constraint = Some(c);
    }

    /// The number of neurons.
    pub fn units(&self) -> usize {
        self.config.units
    }

    /// The kernel `W: [in, units]`.
    ///
    /// # Panics
    /// Before the layer is built.
    pub fn kernel(&self) -> &Tensor {
        &self.weights.first().expect("a built Dense layer").value
    }

    /// The bias `b: [units]`, if the layer has one.
    pub fn bias(&self) -> Option<&Tensor> {
        self.weights.get(1).map(|b| &b.value)
    }

    /// `dW = xᵀ·dz`, `db = Σ_batch dz`, `dx = dz·Wᵀ`.
    fn backprop(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>) {
        assert_eq!(
            (x.rows(), x.cols()),
            (dz.rows(), self.in_features),
            "{}: backward input {:?} does not match gradient {:?} for {} inputs",
            self.name(),
            x.shape(),
            dz.shape(),
            self.in_features
        );
        let units = self.config.units;
        let (kernel, bias) = self.weights.split_first_mut().expect("a built Dense layer");
        matmul_into(&mut kernel.grad, x, Transpose::Yes, dz, Transpose::No, 0.0);
        if let Some(bias) = bias.first_mut() {
            column_sums(dz.data(), units, bias.grad.data_mut());
        }
        if let Some(dx) = dx {
            matmul_into(dx, dz, Transpose::No, &kernel.value, Transpose::Yes, 0.0);
            dx.resize(x.shape());
        }
    }
}

impl Layer for Dense {
    layer_identity!(DenseConfig);

    /// # Panics
    /// If `input_shape` is not `[features]` (add a Flatten layer before Dense for images).
    fn build(&mut self, input_shape: &[usize], seed: u64) {
        assert_eq!(
            input_shape.len(),
            1,
            "{}: Dense takes samples of shape [features], got {input_shape:?}; add a Flatten layer first",
            self.name()
        );
        let (inp, units, cfg) = (input_shape[0], self.config.units, &self.config);
        self.in_features = inp;
        let mut rng = WxbRng::derive(seed, &format!("{}/kernel", self.name()));
        let mut kernel = Param::trainable("kernel", cfg.kernel_initializer.init(&[inp, units], &mut rng));
        (kernel.regularizer, kernel.constraint) = (cfg.kernel_regularizer, cfg.kernel_constraint);
        self.weights = vec![kernel];
        if cfg.use_bias {
            let mut rng = WxbRng::derive(seed, &format!("{}/bias", self.name()));
            let mut b = Param::trainable("bias", cfg.bias_initializer.init(&[units], &mut rng));
            (b.regularizer, b.constraint) = (cfg.bias_regularizer, cfg.bias_constraint);
            self.weights.push(b);
        }
    }

    /// `[units]` (`[units / 2]` for glu, which halves each row).
    fn output_shape(&self) -> Vec<usize> {
        vec![self.config.activation.output_len(self.config.units)]
    }

    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, scratch: &mut Scratch) {
        assert_eq!(
            x.cols(),
            self.in_features,
            "{}: input {:?} has {} features, the kernel expects {}",
            self.name(),
            x.shape(),
            x.cols(),
            self.in_features
        );
        let (w, bias) = (self.kernel(), self.bias().map(Tensor::data));
        match fusion(self.config.activation) {
            Some(act) => matmul_bias_act(y, x, Transpose::No, w, Transpose::No, bias, act),
            None => {
                let z = &mut scratch.get::<DenseBuffers>().z;
                matmul_bias_act(z, x, Transpose::No, w, Transpose::No, bias, Fused::Identity);
                self.config.activation.forward(z, y);
            }
        }
    }

    fn backward(&mut self, x: &Tensor, y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
        let buffers = scratch.get::<DenseBuffers>();
        match self.config.activation {
            Activation::Linear => return self.backprop(x, dy, dx),
            Activation::Relu => relu_backward_from_output(y, dy, &mut buffers.dz),
            other => other.backward(&buffers.z, y, dy, &mut buffers.dz),
        }
        self.backprop(x, &buffers.dz, dx);
    }

    fn output_activation(&self) -> Activation {
        self.config.activation
    }

    fn activity_regularizer(&self) -> Option<Regularizer> {
        self.config.activity_regularizer
    }

    fn logits<'s>(&self, scratch: &'s Scratch) -> Option<&'s Tensor> {
        fusion(self.config.activation).is_none().then(|| scratch.peek::<DenseBuffers>().map(|b| &b.z)).flatten()
    }

    fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        self.backprop(x, dz, dx);
    }

    fn weights(&self) -> &[Param] {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut [Param] {
        &mut self.weights
    }

    /// `zⱼ = Σᵢ xᵢ·Wᵢⱼ + bⱼ` term by term, then `f(z)`.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let (w, units) = (self.kernel().data(), self.config.units);
        let bias = self.bias().map(Tensor::data);
        let z: Vec<f64> = (0..units)
            .map(|j| {
                let dot: f64 = x.iter().enumerate().map(|(i, &xi)| xi * f64::from(w[i * units + j])).sum();
                dot + bias.map_or(0.0, |b| f64::from(b[j]))
            })
            .collect();
        let mut output = vec![0.0; self.config.activation.output_len(units)];
        self.config.activation.row(&z, &mut output);
        Forward64 { z: Some(z), output, source: None }
    }

    /// A [`NeuronTrace`](super::NeuronTrace) per chosen neuron.
    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        let (kernel, activation) = (self.kernel(), self.config.activation);
        let z = v.forward.z.as_ref().expect("Dense values keep z");
        let neurons = v
            .chosen
            .iter()
            .map(|&j| {
                let inputs = NeuronInputs {
                    x: v.x,
                    names: v.x_names,
                    kernel,
                    bias: self.bias().map(|b| f64::from(b.data()[j])),
                    z: z[j],
                    activation,
                    output: v.forward.output[j],
                };
                neuron_trace(&inputs, j, v.names[j].clone(), v.top)
            })
            .collect();
        LayerStep::Dense { inputs: kernel.rows(), units: self.config.units, activation, neurons }
    }

    /// The `k` inputs with the largest `Σ_{j∈chosen} |xᵢ·Wᵢⱼ|`, in decreasing order (ties to the
    /// lower index): the magnitude of their terms in the chosen neurons' dot products.
    fn strongest_inputs(&self, x: &[f64], _forward: &Forward64, chosen: &[usize], k: usize) -> Vec<usize> {
        strongest_inputs(x, self.kernel().data(), self.config.units, chosen, k)
    }
}

/// The activation the GEMM applies while storing, for those it can (then `z` is not kept).
pub(crate) fn fusion(activation: Activation) -> Option<Fused> {
    match activation {
        Activation::Linear => Some(Fused::Identity),
        Activation::Relu => Some(Fused::Relu),
        _ => None,
    }
}

/// `dz = dy ⊙ [y > 0]` for `y = relu(z)` (`y > 0` exactly when `z > 0`).
pub(crate) fn relu_backward_from_output(y: &Tensor, dy: &Tensor, dz: &mut Tensor) {
    assert_eq!(y.shape(), dy.shape(), "relu backward: output {:?} vs gradient {:?}", y.shape(), dy.shape());
    dz.resize(y.shape());
    // Split across the pool when large (a convolution's output: one thread spent 4–6 % of the
    // convnet's training step here).
    let parts = if y.len() < 1 << 15 { 1 } else { crate::parallel::threads() };
    crate::parallel::for_each_range_mut(dz.data_mut(), parts, 16, &|_, r, d| {
        for ((d, &g), &v) in d.iter_mut().zip(&dy.data()[r.clone()]).zip(&y.data()[r]) {
            *d = if v > 0.0 { g } else { 0.0 };
        }
    });
}

/// `sums[j] = Σᵢ m[i, j]` for a row-major matrix of `cols` columns, summing rows in order.
pub(crate) fn column_sums(m: &[f32], cols: usize, sums: &mut [f32]) {
    sums.fill(0.0);
    for row in m.chunks_exact(cols) {
        sums.iter_mut().zip(row).for_each(|(s, d)| *s += d);
    }
}

/// The `k` inputs with the largest `Σ_{j∈neurons} |xᵢ·Wᵢⱼ|` for a kernel `w: [in, units]`, in
/// decreasing order.
fn strongest_inputs(x: &[f64], w: &[f32], units: usize, neurons: &[usize], k: usize) -> Vec<usize> {
    let score: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &xi)| neurons.iter().map(|&j| (xi * f64::from(w[i * units + j])).abs()).sum())
        .collect();
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_a_dot_product_per_neuron_plus_bias() {
        let mut d = Dense::new(2).named("d").activation(Activation::Relu);
        d.build(&[3], 0);
        d.weights[0].value = Tensor::from_vec(&[3, 2], vec![1., -1., 2., -2., 3., -3.]);
        d.weights[1].value = Tensor::from_vec(&[2], vec![0.5, 0.5]);
        let x = Tensor::from_vec(&[1, 3], vec![1., 1., 1.]);
        // neuron 0: 1+2+3+0.5 = 6.5; neuron 1: -6+0.5 → relu → 0
        assert_eq!(d.call(&x, Mode::Infer, &mut Scratch::default()).data(), &[6.5, 0.0]);
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
    fn strongest_inputs_rank_by_the_magnitude_of_their_terms() {
        // 3 inputs, 2 neurons; only neuron 1 is chosen: terms 1·(−5), 2·1, 3·2 → inputs 2, 0, 1.
        let w = [9.0, -5.0, 9.0, 1.0, 9.0, 2.0];
        assert_eq!(strongest_inputs(&[1.0, 2.0, 3.0], &w, 2, &[1], 2), vec![2, 0]);
        assert_eq!(strongest_inputs(&[1.0, 2.0, 3.0], &w, 2, &[1], 9), vec![2, 0, 1]);
    }

    #[test]
    #[should_panic(expected = "add a Flatten layer first")]
    fn images_need_flatten() {
        Dense::new(2).build(&[28, 28], 0);
    }
}
