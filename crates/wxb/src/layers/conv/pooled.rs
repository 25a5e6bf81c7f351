//! [`ConvPool`]: a convolution (linear or ReLU) and the max pooling right after it, run as one
//! training pass by the model (`model/fusion.rs`), so that the convolution's output never leaves
//! the cache.
//!
//! Unfused, the convnet's first layer writes its output (`[B, 26, 26, 32]`: 11 MiB at batch 128)
//! to memory, the pooling reads it, the pooling's backward pass writes a gradient as large, and
//! the convolution's backward pass reads both again: four passes through memory for nine products
//! per value. Fused, forward: each chunk of samples (the chunks of `split`) is convolved into a
//! cache-sized buffer and pooled from there, keeping each pooled value's argmax (its cell in the
//! sample's convolution output). Backward: each chunk's `dz` is made in the cache from the pooled
//! gradient, `dz[argmax[o]] += dy[o]` (for ReLU only where the pooled value `y[o] > 0`, which is
//! the ReLU output at the argmax), then the chunk's products as unfused.
//!
//! The values are bit-identical to the two layers' passes: the same products on the same chunks
//! and parts, the layer's own pooling code, and `dz` summed in the pooling's order from zero.
//! The pair's inner output (the convolution's) is not kept: the model's `activation(i)` for it
//! is not refreshed by a fused training step.

use super::Geometry;
use super::split::{self, Grads, Parts, Pooled, Upstream};
use crate::layers::dense::fusion;
use crate::layers::pool::{PoolCore, PoolOp, Window};
use crate::layers::{Check, LayerConfig, Param, Scratch, resize_batch};
use crate::tensor::{Fused, Mat, Tensor};

/// A convolution and its following max pooling, planned for samples of one input shape.
#[derive(Clone, Debug)]
pub(crate) struct ConvPool {
    /// The convolution's geometry.
    conv: Geometry,
    /// The convolution's activation, applied by its product (linear or ReLU).
    act: Fused,
    /// The pooling, built for the convolution's output.
    pool: PoolCore,
    /// The pooled sample's shape (the pooling layer's output shape).
    output: Vec<usize>,
}

/// The fused pass's buffers: the pooled values' argmax, and the convolution's parts.
#[derive(Debug, Default)]
struct ConvPoolBuffers {
    argmax: Vec<u32>,
    parts: Parts,
}

impl ConvPool {
    /// The fused pass of layers `first` then `second` for samples of `input_shape`, when they are a
    /// `Conv2D` then a `MaxPooling2D` (or `Conv1D` then `MaxPooling1D`), the convolution linear or
    /// ReLU without an activity regularizer (whose penalty needs its output); `None` otherwise.
    pub(crate) fn of(first: &LayerConfig, second: &LayerConfig, input_shape: &[usize]) -> Option<Self> {
        let (conv, pool) = match (first, second) {
            (LayerConfig::Conv2D(c), LayerConfig::MaxPooling2D(p)) => (c.spec(), p.spec()),
            (LayerConfig::Conv1D(c), LayerConfig::MaxPooling1D(p)) => (c.spec(), p.spec()),
            _ => return None,
        };
        let act = fusion(conv.activation)?;
        if conv.activity_regularizer.is_some() || pool.op != PoolOp::Max || !matches!(pool.window, Window::Local { .. })
        {
            return None;
        }
        let check = Check::for_layer("fused");
        let (geometry, plan) = conv.plan(input_shape, &check).ok()?;
        let (_, pooled) = pool.plan(&plan.output_shape, &check).ok()?;
        let core = PoolCore::build(&pool, "fused", &plan.output_shape);
        Some(Self { conv: geometry, act, pool: core, output: pooled.output_shape })
    }

    /// The convolution's kernel as the `[K, f]` matrix of its product.
    fn kernel<'w>(&self, weights: &'w [Param]) -> Mat<'w> {
        Mat { data: weights[0].value.data(), rows: self.conv.patch(), cols: self.conv.filters }
    }

    /// `y = maxpool(act(im2col(x)·K + b))` from the convolution's `weights` (kernel, then bias),
    /// keeping the argmax in `scratch` for [`ConvPool::backward`].
    ///
    /// # Panics
    /// If `x`'s samples do not have the convolution's input shape.
    pub(crate) fn forward(&self, weights: &[Param], x: &Tensor, y: &mut Tensor, scratch: &mut Scratch) {
        let g = &self.conv;
        assert_eq!(x.cols(), g.input_len(), "convolution: input {:?} does not match the layer", x.shape());
        let batch = x.rows();
        resize_batch(y, batch, &self.output);
        let buf = scratch.get::<ConvPoolBuffers>();
        buf.argmax.resize(y.len(), 0);
        let bias = weights.get(1).map(|b| b.value.data());
        let (k, act) = (self.kernel(weights), self.act);
        split::forward_pooled(
            g,
            x.data(),
            batch,
            (k, bias, act),
            &self.pool,
            y.data_mut(),
            &mut buf.argmax,
            &mut buf.parts,
        );
    }

    /// The backward pass of both layers from the pooled output `y` and its gradient `dy`: the
    /// convolution's weight gradients into `weights`' `grad`s and, when asked, `dx`.
    ///
    /// # Panics
    /// If the sizes do not match the last [`ConvPool::forward`] in `scratch`.
    pub(crate) fn backward(
        &self,
        weights: &mut [Param],
        x: &Tensor,
        (y, dy): (&Tensor, &Tensor),
        dx: Option<&mut Tensor>,
        scratch: &mut Scratch,
    ) {
        let g = self.conv;
        let buf = scratch.peek_mut::<ConvPoolBuffers>().expect("a fused forward pass before its backward pass");
        assert_eq!(
            (y.len(), dy.len(), buf.argmax.len()),
            (x.rows() * self.pool.output_len(), y.len(), y.len()),
            "convolution and pooling backward: output, gradient and argmax sizes for input {:?}",
            x.shape()
        );
        let relu = self.act == Fused::Relu;
        let up = Pooled { y: y.data(), dy: dy.data(), argmax: &buf.argmax, len: self.pool.output_len(), relu };
        let (kernel, bias) = weights.split_first_mut().expect("a built convolution");
        let k = Mat { data: kernel.value.data(), rows: g.patch(), cols: g.filters };
        let dx = dx.map(|dx| {
            dx.resize(x.shape());
            dx.data_mut()
        });
        let grads = Grads { kernel: kernel.grad.data_mut(), bias: bias.first_mut().map(|b| b.grad.data_mut()) };
        split::backward(&g, x.data(), x.rows(), Upstream::Pooled(up), k, grads, dx, &mut buf.parts);
    }
}
