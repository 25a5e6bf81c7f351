//! [`ConvSpec`] (a Conv1D or Conv2D configuration seen as a 2-D convolution) and [`ConvCore`]
//! (its weights and passes): `y = activation(im2col(x)·K + b)` on wxb's GEMM.
//!
//! Shapes for a batch of `B` samples with `P = oh·ow` output positions and patches of
//! `K = kh·kw·c` values: `cols = im2col(x): [B·P, K]`, kernel `[kh, kw, c, f]` read as `[K, f]`,
//! `z = cols·kernel + b: [B·P, f]` (the output `[B, oh, ow, f]` as stored). Backward, with
//! `dz = dy ⊙ activation'(z)`: `dkernel = colsᵀ·dz`, `db = Σ_rows dz`, `dx = col2im(dz·kernelᵀ)`.
//! The bias and a linear or ReLU activation are applied by the GEMM as it stores `y`.

use super::geometry::{Geometry, Padding, TooLarge, axis};
use super::split::{self, Grads, Parts, Upstream};
use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::error::WxbError;
use crate::init::Initializer;
use crate::layers::dense::fusion;
use crate::layers::{Check, DataFormat, LayerPlan, Param, Rank, Scratch};
use crate::regularizers::Regularizer;
use crate::rng::WxbRng;
use crate::tensor::{Fused, Mat, Tensor};

/// A convolution's settings, Conv1D's (`rank` 1: height 1) or Conv2D's (`rank` 2).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvSpec {
    /// 1 for Conv1D (samples `[steps, c]`), 2 for Conv2D (samples `[h, w, c]`).
    pub rank: usize,
    pub filters: usize,
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: Padding,
    pub data_format: DataFormat,
    pub groups: usize,
    pub activation: Activation,
    pub use_bias: bool,
    pub kernel_initializer: Initializer,
    pub bias_initializer: Initializer,
    pub kernel_regularizer: Option<Regularizer>,
    pub bias_regularizer: Option<Regularizer>,
    pub activity_regularizer: Option<Regularizer>,
    pub kernel_constraint: Option<Constraint>,
    pub bias_constraint: Option<Constraint>,
}

impl ConvSpec {
    /// The last `rank` entries of a per-axis setting (Conv1D shows one value).
    fn shown(&self, v: [usize; 2]) -> String {
        format!("{:?}", &v[2 - self.rank..])
    }

    /// Keras' kernel shape: `[kh, kw, c, f]` (Conv2D) or `[k, c, f]` (Conv1D).
    pub fn kernel_shape(&self, channels: usize) -> Vec<usize> {
        let mut s = self.kernel[2 - self.rank..].to_vec();
        s.extend([channels, self.filters]);
        s
    }

    /// The output sample's shape: `[oh, ow, f′]` or `[ow, f′]`, `f′` the activation's output length.
    pub fn output_shape(&self, g: &Geometry) -> Vec<usize> {
        let mut s = g.output[2 - self.rank..].to_vec();
        s.push(self.activation.output_len(self.filters));
        s
    }

    /// Checks every setting for samples of `input_shape` and returns the geometry and the plan.
    ///
    /// # Errors
    /// [`WxbError::InvalidLayer`] naming the first invalid field, with the shapes involved.
    pub fn plan(&self, input_shape: &[usize], check: &Check) -> Result<(Geometry, LayerPlan), WxbError> {
        if self.filters == 0 {
            return Err(check.bad("filters", "0".into(), "must be at least 1"));
        }
        for (field, v) in [("kernel_size", self.kernel), ("strides", self.strides), ("dilation_rate", self.dilation)] {
            if v.contains(&0) {
                return Err(check.bad(field, self.shown(v), "every value must be at least 1"));
            }
            if v.iter().any(|&d| d > 1 << 20) {
                return Err(check.bad(field, self.shown(v), "values above 2^20 are not supported"));
            }
        }
        if self.strides.iter().any(|&s| s > 1) && self.dilation.iter().any(|&d| d > 1) {
            return Err(check.bad(
                "strides",
                format!("{} with dilation_rate {}", self.shown(self.strides), self.shown(self.dilation)),
                "strides > 1 cannot be combined with dilation_rate > 1 (as in Keras)",
            ));
        }
        if self.padding == Padding::Causal && self.rank != 1 {
            return Err(check.bad("padding", "causal".into(), "causal padding is only for Conv1D"));
        }
        if self.data_format != DataFormat::ChannelsLast {
            return Err(check.bad("data_format", "channels_first".into(), "only channels_last is supported"));
        }
        if self.groups != 1 {
            return Err(check.bad("groups", self.groups.to_string(), "grouped convolutions are not supported"));
        }
        if let Err(why) = self.activation.check_len(self.filters) {
            return Err(check.bad("filters", self.filters.to_string(), why));
        }
        if matches!(self.kernel_initializer, Initializer::Identity { .. }) {
            return Err(check.bad(
                "kernel_initializer",
                "identity".into(),
                "needs a 2-D weight, not a convolution kernel",
            ));
        }
        let stft = matches!(self.kernel_initializer, Initializer::Stft { .. });
        if !stft {
            check.initializer("kernel_initializer", self.kernel_initializer, Rank::Matrix)?;
        }
        check.initializer("bias_initializer", self.bias_initializer, Rank::Vector)?;
        check.regularizer("kernel_regularizer", self.kernel_regularizer)?;
        check.regularizer("bias_regularizer", self.bias_regularizer)?;
        check.regularizer("activity_regularizer", self.activity_regularizer)?;
        check.constraint("kernel_constraint", self.kernel_constraint)?;
        check.constraint("bias_constraint", self.bias_constraint)?;
        let input = match (self.rank, input_shape) {
            (2, &[h, w, c]) => [h, w, c],
            (1, &[steps, c]) => [1, steps, c],
            _ => {
                let what = if self.rank == 2 {
                    "Conv2D takes samples of shape [height, width, channels] (channels last)"
                } else {
                    "Conv1D takes samples of shape [steps, channels] (channels last)"
                };
                return Err(check.bad("input_shape", format!("{input_shape:?}"), what));
            }
        };
        if input.contains(&0) {
            return Err(check.bad("input_shape", format!("{input_shape:?}"), "every axis must be at least 1"));
        }
        if stft && (self.rank != 1 || input[2] != 1 || self.filters < 2) {
            return Err(check.bad(
                "kernel_initializer",
                format!("stft for a kernel {:?}", self.kernel_shape(input[2])),
                "fills a Conv1D kernel [frame_length, 1, fft_length >= 2]: one input channel, at least 2 filters",
            ));
        }
        let g = self.geometry(input).map_err(|TooLarge| {
            let extent: Vec<usize> = (0..2).map(|a| (self.kernel[a] - 1) * self.dilation[a] + 1).collect();
            check.bad(
                "kernel_size",
                format!(
                    "{} (dilated: {}) for samples of shape {input_shape:?} with padding {}",
                    self.shown(self.kernel),
                    self.shown([extent[0], extent[1]]),
                    self.padding.name()
                ),
                "the kernel is larger than the input",
            )
        })?;
        let kernel_len = [g.kernel[1], input[2], self.filters, 4]
            .iter()
            .try_fold(g.kernel[0], |n, &d| n.checked_mul(d))
            .map(|bytes| bytes / 4);
        let kernel_len =
            kernel_len.ok_or_else(|| check.bad("filters", self.filters.to_string(), "the kernel's size overflows"))?;
        let mut weights = vec![("kernel", self.kernel_shape(input[2]))];
        if self.use_bias {
            weights.push(("bias", vec![self.filters]));
        }
        let params = kernel_len as u64 + if self.use_bias { self.filters as u64 } else { 0 };
        Ok((g, LayerPlan { output_shape: self.output_shape(&g), params, weights }))
    }

    /// The geometry for input `[h, w, c]`.
    fn geometry(&self, input: [usize; 3]) -> Result<Geometry, TooLarge> {
        let a = |i: usize| axis(input[i], self.kernel[i], self.strides[i], self.dilation[i], self.padding);
        let ((oh, pt), (ow, pl)) = (a(0)?, a(1)?);
        let (strides, dilation, kernel, filters) = (self.strides, self.dilation, self.kernel, self.filters);
        Ok(Geometry { input, kernel, strides, dilation, pad: [pt, pl], output: [oh, ow], filters })
    }
}

/// A built convolution: its geometry and weights (kernel, then bias).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConvCore {
    pub geometry: Geometry,
    pub weights: Vec<Param>,
}

/// What a forward pass leaves for the backward pass, and the parts' buffers.
#[derive(Debug, Default)]
struct ConvBuffers {
    /// `z = cols·kernel + b`, kept only for activations the GEMM does not apply.
    z: Tensor,
    /// `∂L/∂z`.
    dz: Tensor,
    /// Each part's patches (see [`split`]).
    parts: Parts,
}

impl ConvCore {
    /// Builds the weights of layer `name` for samples of `input_shape`.
    ///
    /// # Panics
    /// If the settings do not fit the input (see [`ConvSpec::plan`]), with the error's message.
    pub fn build(spec: &ConvSpec, name: &str, input_shape: &[usize], seed: u64) -> Self {
        let check = Check::for_layer(name);
        let (geometry, plan) = spec.plan(input_shape, &check).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = WxbRng::derive(seed, &format!("{name}/kernel"));
        let shape = &plan.weights[0].1;
        let mut kernel = Param::trainable("kernel", spec.kernel_initializer.init(shape, &mut rng));
        (kernel.regularizer, kernel.constraint) = (spec.kernel_regularizer, spec.kernel_constraint);
        let mut weights = vec![kernel];
        if spec.use_bias {
            let mut rng = WxbRng::derive(seed, &format!("{name}/bias"));
            let mut b = Param::trainable("bias", spec.bias_initializer.init(&[spec.filters], &mut rng));
            (b.regularizer, b.constraint) = (spec.bias_regularizer, spec.bias_constraint);
            weights.push(b);
        }
        Self { geometry, weights }
    }

    /// The kernel as stored.
    ///
    /// # Panics
    /// Before the layer is built.
    pub fn kernel(&self) -> &Tensor {
        &self.weights.first().expect("a built convolution").value
    }

    /// The bias, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.weights.get(1).map(|b| &b.value)
    }

    /// The kernel as the `[K, f]` matrix of the product.
    fn kernel_matrix(&self) -> Mat<'_> {
        Mat { data: self.kernel().data(), rows: self.geometry.patch(), cols: self.geometry.filters }
    }

    /// `[B, oh, ow, f]` (rank 2) or `[B, ow, f]` (rank 1), as an array and its length.
    fn dims(&self, spec: &ConvSpec, batch: usize, f: usize) -> ([usize; 4], usize) {
        let [oh, ow] = self.geometry.output;
        if spec.rank == 2 { ([batch, oh, ow, f], 4) } else { ([batch, ow, f, 0], 3) }
    }

    /// `y = activation(im2col(x)·K + b)`.
    ///
    /// # Panics
    /// If `x`'s samples do not have the built shape.
    pub fn forward(&self, spec: &ConvSpec, name: &str, x: &Tensor, y: &mut Tensor, scratch: &mut Scratch) {
        let g = &self.geometry;
        assert_eq!(
            x.cols(),
            g.input_len(),
            "{name}: input {:?} does not match samples of shape {:?}",
            x.shape(),
            &g.input[3 - spec.rank - 1..]
        );
        let batch = x.rows();
        let buf = scratch.get::<ConvBuffers>();
        let bias = self.bias().map(Tensor::data);
        let (z_dims, n) = self.dims(spec, batch, g.filters);
        let k = self.kernel_matrix();
        match fusion(spec.activation) {
            Some(act) => {
                y.resize(&z_dims[..n]);
                split::forward(g, x.data(), batch, (k, bias, act), y.data_mut(), &mut buf.parts);
            }
            None => {
                buf.z.resize(&z_dims[..n]);
                split::forward(g, x.data(), batch, (k, bias, Fused::Identity), buf.z.data_mut(), &mut buf.parts);
                spec.activation.forward(&buf.z, y);
            }
        }
    }

    /// The pre-activation values of the last forward pass, when kept.
    pub fn logits<'s>(&self, spec: &ConvSpec, scratch: &'s Scratch) -> Option<&'s Tensor> {
        fusion(spec.activation).is_none().then(|| scratch.peek::<ConvBuffers>().map(|b| &b.z)).flatten()
    }

    /// The backward pass from `dy` (through the activation).
    pub fn backward(
        &mut self,
        spec: &ConvSpec,
        x: &Tensor,
        y: &Tensor,
        dy: &Tensor,
        dx: Option<&mut Tensor>,
        s: &mut Scratch,
    ) {
        let buf = s.get::<ConvBuffers>();
        match spec.activation {
            Activation::Linear => self.backprop(x, Upstream::Logits(dy.data()), dx, buf),
            Activation::Relu => {
                assert_eq!(y.shape(), dy.shape(), "relu backward: output {:?} vs gradient {:?}", y.shape(), dy.shape());
                self.backprop(x, Upstream::Relu { y: y.data(), dy: dy.data() }, dx, buf);
            }
            other => {
                other.backward(&buf.z, y, dy, &mut buf.dz);
                let dz = std::mem::take(&mut buf.dz);
                self.backprop(x, Upstream::Logits(dz.data()), dx, buf);
                buf.dz = dz;
            }
        }
    }

    /// The backward pass from `dz = ∂L/∂z`.
    pub fn backward_from_logits(&mut self, x: &Tensor, dz: &Tensor, dx: Option<&mut Tensor>, s: &mut Scratch) {
        self.backprop(x, Upstream::Logits(dz.data()), dx, s.get::<ConvBuffers>());
    }

    /// `dkernel = colsᵀ·dz`, `db = Σ_rows dz`, `dx = col2im(dz·kernelᵀ)`.
    fn backprop(&mut self, x: &Tensor, up: Upstream<'_>, dx: Option<&mut Tensor>, buf: &mut ConvBuffers) {
        let g = self.geometry;
        assert_eq!(
            (x.cols(), up.len(g.positions() * g.filters)),
            (g.input_len(), x.rows() * g.positions() * g.filters),
            "convolution backward: input {:?} and a gradient of {} values do not match the layer",
            x.shape(),
            up.len(g.positions() * g.filters)
        );
        let (kernel, bias) = self.weights.split_first_mut().expect("a built convolution");
        let k = Mat { data: kernel.value.data(), rows: g.patch(), cols: g.filters };
        let dx = dx.map(|dx| {
            dx.resize(x.shape());
            dx.data_mut()
        });
        let grads = Grads { kernel: kernel.grad.data_mut(), bias: bias.first_mut().map(|b| b.grad.data_mut()) };
        split::backward(&g, x.data(), x.rows(), up, k, grads, dx, &mut buf.parts);
    }
}
