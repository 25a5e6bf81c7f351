//! [`PoolCore`]: a pooling layer's built geometry and its passes over channels-last batches.
//!
//! For a batch `x: [B, h, w, c]` and windows `W(oy, ox)` (the real cells of each window):
//! max `y[n, oy, ox, ch] = max_{(i, j) ∈ W} x[n, i, j, ch]`, backward `dx[argmax] += dy` (the first
//! largest in row-major window order, as TensorFlow's `MaxPoolGrad`); average
//! `y = Σ_{W} x / |W|`, backward `dx[i, j, ch] += dy / |W|` for each window holding `(i, j)`.
//! Global max pooling is Keras' `ops.max` (TensorFlow's `reduce_max`), whose gradient the cells
//! equal to the max share equally: `dx = dy / ties` for each of them.

use super::{PoolOp, PoolSpec, Window};
use crate::layers::conv::Geometry;
use crate::layers::{Check, Mode, Scratch, check_samples, resize_batch};
use crate::parallel;
use crate::tensor::Tensor;

/// A built pooling layer: its geometry (`filters` = channels).
#[derive(Clone, Debug, Default)]
pub(crate) struct PoolCore {
    pub geometry: Geometry,
    /// The output sample's shape.
    output: Vec<usize>,
}

/// What a training pass of max pooling leaves for the backward pass.
#[derive(Debug, Default)]
struct PoolBuffers {
    /// For each output value of the batch, the index of its input within its sample.
    argmax: Vec<u32>,
}

impl PoolCore {
    /// The geometry for samples of `input_shape`.
    ///
    /// # Panics
    /// If the settings do not fit (the message of the validation error).
    pub fn build(spec: &PoolSpec, name: &str, input_shape: &[usize]) -> Self {
        let (geometry, plan) = spec.plan(input_shape, &Check::for_layer(name)).unwrap_or_else(|e| panic!("{e}"));
        Self { geometry, output: plan.output_shape }
    }

    fn input_shape(&self, spec: &PoolSpec) -> &[usize] {
        &self.geometry.input[2 - spec.rank..]
    }

    /// Output values per sample.
    pub(crate) fn output_len(&self) -> usize {
        self.geometry.positions() * self.geometry.filters
    }

    /// The real cells' rows and columns of window `(oy, ox)`: `(rows, cols)` as ranges.
    pub(crate) fn window(&self, oy: usize, ox: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let g = &self.geometry;
        let span = |o: usize, a: usize| {
            let start = o * g.strides[a];
            let lo = start.saturating_sub(g.pad[a]);
            let hi = (start + g.kernel[a]).saturating_sub(g.pad[a]).min(g.input[a]);
            lo..hi.max(lo)
        };
        (span(oy, 0), span(ox, 1))
    }

    /// `y` for a batch `x`; a training max pass keeps each output's argmax in `scratch`. The
    /// samples are split across the thread pool.
    pub fn forward(&self, spec: &PoolSpec, name: &str, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch) {
        check_samples(name, "input", x, self.input_shape(spec));
        let (batch, in_len, out_len) = (x.rows(), self.geometry.input_len(), self.output_len());
        resize_batch(y, batch, &self.output);
        let keep = spec.op == PoolOp::Max && mode == Mode::Train;
        let mut none: [u32; 0] = [];
        let argmax: &mut [u32] = if keep {
            let b = scratch.get::<PoolBuffers>();
            b.argmax.resize(batch * out_len, 0);
            &mut b.argmax
        } else {
            &mut none
        };
        let (ys, args) = (Shared(y.data_mut().as_mut_ptr()), Shared(argmax.as_mut_ptr()));
        let parts = parts(x.len(), batch);
        parallel::for_each_part(parts, &|p| {
            for n in parallel::range(batch, parts, 1, p) {
                let xs = &x.data()[n * in_len..(n + 1) * in_len];
                // SAFETY: `y` holds `batch · out_len` values (resized above) and, when `keep`,
                // `argmax` too; both are borrowed exclusively for this call and each part writes
                // the disjoint ranges of its own samples.
                let (out, arg) = unsafe {
                    let out = std::slice::from_raw_parts_mut(ys.get().add(n * out_len), out_len);
                    (out, keep.then(|| std::slice::from_raw_parts_mut(args.get().add(n * out_len), out_len)))
                };
                match spec.op {
                    PoolOp::Max => self.max_sample(xs, out, arg),
                    PoolOp::Average => self.average_sample(xs, out),
                }
            }
        });
    }

    /// One sample's maxima and (when `arg` is given) the index of each one's first largest cell:
    /// a later cell replaces the max only when strictly larger. Compiled for AVX-512 when the CPU
    /// has it (the selects of [`argmax_block`] on whole vectors: with SSE only, the training
    /// pass's pooling took 7 % of the convnet's training step).
    pub(crate) fn max_sample(&self, xs: &[f32], ys: &mut [f32], arg: Option<&mut [u32]>) {
        #[cfg(target_arch = "x86_64")]
        if crate::tensor::has_avx512() {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { self.max_sample_avx512(xs, ys, arg) };
        }
        self.max_sample_any(xs, ys, arg)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn max_sample_avx512(&self, xs: &[f32], ys: &mut [f32], arg: Option<&mut [u32]>) {
        self.max_sample_any(xs, ys, arg)
    }

    /// [`PoolCore::max_sample`] for any instruction set.
    #[inline(always)]
    fn max_sample_any(&self, xs: &[f32], ys: &mut [f32], mut arg: Option<&mut [u32]>) {
        let g = &self.geometry;
        let (c, w) = (g.input[2], g.input[1]);
        for oy in 0..g.output[0] {
            for ox in 0..g.output[1] {
                let o = (oy * g.output[1] + ox) * c;
                let (rows, cols) = self.window(oy, ox);
                let out = &mut ys[o..o + c];
                match arg.as_deref_mut() {
                    None => {
                        let first = (rows.start * w + cols.start) * c;
                        out.copy_from_slice(&xs[first..first + c]);
                        for i in rows.clone() {
                            for j in cols.clone() {
                                let at = (i * w + j) * c;
                                out.iter_mut()
                                    .zip(&xs[at..at + c])
                                    .for_each(|(m, &v)| *m = if v > *m { v } else { *m });
                            }
                        }
                    }
                    Some(a) => {
                        let a = &mut a[o..o + c];
                        let mut ch = 0;
                        while ch + LANES <= c {
                            let (m, i) = argmax_block::<LANES>(xs, (w, c), (rows.clone(), cols.clone()), ch);
                            out[ch..ch + LANES].copy_from_slice(&m);
                            a[ch..ch + LANES].copy_from_slice(&i);
                            ch += LANES;
                        }
                        for ch in ch..c {
                            let (m, i) = argmax_block::<1>(xs, (w, c), (rows.clone(), cols.clone()), ch);
                            (out[ch], a[ch]) = (m[0], i[0]);
                        }
                    }
                }
            }
        }
    }

    /// One sample's means over each window's real cells.
    fn average_sample(&self, xs: &[f32], ys: &mut [f32]) {
        let g = &self.geometry;
        let (c, w) = (g.input[2], g.input[1]);
        for oy in 0..g.output[0] {
            for ox in 0..g.output[1] {
                let o = (oy * g.output[1] + ox) * c;
                let (rows, cols) = self.window(oy, ox);
                let out = &mut ys[o..o + c];
                out.fill(0.0);
                for i in rows.clone() {
                    for j in cols.clone() {
                        let at = (i * w + j) * c;
                        out.iter_mut().zip(&xs[at..at + c]).for_each(|(s, &v)| *s += v);
                    }
                }
                let count = (rows.len() * cols.len()) as f32;
                out.iter_mut().for_each(|s| *s /= count);
            }
        }
    }

    /// `dx` from `dy` (see the module's formulas), the samples split across the thread pool.
    ///
    /// # Panics
    /// If `dy` does not have the output's shape, or (max) without a training pass in `scratch`.
    pub fn backward(
        &self,
        spec: &PoolSpec,
        name: &str,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<&mut Tensor>,
        scratch: &mut Scratch,
    ) {
        let (batch, in_len, out_len) = (x.rows(), self.geometry.input_len(), self.output_len());
        assert_eq!(dy.len(), batch * out_len, "{name}: gradient {:?} for input {:?}", dy.shape(), x.shape());
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        let argmax: &[u32] = match spec.op {
            PoolOp::Max => {
                let b = scratch.peek::<PoolBuffers>().filter(|b| b.argmax.len() == batch * out_len);
                &b.unwrap_or_else(|| panic!("{name}: backward without a training forward pass")).argmax
            }
            PoolOp::Average => &[],
        };
        let global = matches!(spec.window, Window::Global { .. });
        let dxs = Shared(dx.data_mut().as_mut_ptr());
        let parts = parts(x.len(), batch);
        parallel::for_each_part(parts, &|p| {
            for n in parallel::range(batch, parts, 1, p) {
                // SAFETY: `dx` holds `batch · in_len` values (resized above), borrowed exclusively
                // for this call; each part writes the disjoint ranges of its own samples.
                let d = unsafe { std::slice::from_raw_parts_mut(dxs.get().add(n * in_len), in_len) };
                d.fill(0.0);
                let dys = &dy.data()[n * out_len..(n + 1) * out_len];
                match spec.op {
                    PoolOp::Max if global => {
                        self.global_max_sample(&x.data()[n * in_len..(n + 1) * in_len], dys, &argmax[n * out_len..], d);
                    }
                    PoolOp::Max => {
                        let args = &argmax[n * out_len..(n + 1) * out_len];
                        dys.iter().zip(args).for_each(|(&g, &a)| d[a as usize] += g);
                    }
                    PoolOp::Average => self.average_backward_sample(dys, d),
                }
            }
        });
    }

    /// `reduce_max`'s gradient for one sample: the cells equal to their channel's max share it.
    fn global_max_sample(&self, xs: &[f32], dys: &[f32], args: &[u32], dx: &mut [f32]) {
        let c = self.geometry.input[2];
        for (ch, (&d, &a)) in dys.iter().zip(args).enumerate() {
            let max = xs[a as usize];
            let ties = xs.iter().skip(ch).step_by(c).filter(|&&v| v == max).count();
            let share = (1.0 / ties as f32) * d;
            xs.iter().enumerate().skip(ch).step_by(c).filter(|(_, v)| **v == max).for_each(|(i, _)| dx[i] = share);
        }
    }

    /// One sample's average-pooling gradient: each window's `dy / count` to each of its cells.
    fn average_backward_sample(&self, dys: &[f32], dx: &mut [f32]) {
        let g = &self.geometry;
        let (c, w) = (g.input[2], g.input[1]);
        for oy in 0..g.output[0] {
            for ox in 0..g.output[1] {
                let o = (oy * g.output[1] + ox) * c;
                let (rows, cols) = self.window(oy, ox);
                let count = (rows.len() * cols.len()) as f32;
                for i in rows.clone() {
                    for j in cols.clone() {
                        let at = (i * w + j) * c;
                        dx[at..at + c].iter_mut().zip(&dys[o..o + c]).for_each(|(d, &v)| *d += v / count);
                    }
                }
            }
        }
    }
}

/// Channels whose maxima and argmaxima [`argmax_block`] keeps in registers at once.
const LANES: usize = 16;

/// The maxima of channels `ch..ch + L` over the window's cells `rows × cols` of a sample `xs` of
/// width and channels `(w, c)`, with the index in `xs` of each one's first largest cell (a later
/// cell wins only when strictly larger). Written with selects on local arrays so that it
/// vectorizes: with a branch per value, max pooling's training pass took 12 % of the convnet's
/// training step.
#[inline(always)]
fn argmax_block<const L: usize>(
    xs: &[f32],
    (w, c): (usize, usize),
    (rows, cols): (std::ops::Range<usize>, std::ops::Range<usize>),
    ch: usize,
) -> ([f32; L], [u32; L]) {
    let first = (rows.start * w + cols.start) * c + ch;
    let mut m: [f32; L] = xs[first..first + L].try_into().expect("L values");
    let mut arg: [u32; L] = std::array::from_fn(|l| (first + l) as u32);
    for i in rows {
        for j in cols.clone() {
            let at = (i * w + j) * c + ch;
            let v: &[f32; L] = xs[at..at + L].try_into().expect("L values");
            for l in 0..L {
                let larger = v[l] > m[l];
                m[l] = if larger { v[l] } else { m[l] };
                arg[l] = if larger { (at + l) as u32 } else { arg[l] };
            }
        }
    }
    (m, arg)
}

/// Below this many input values, one thread pools them all.
const PARALLEL_MIN: usize = 1 << 14;

/// How many parts a pass over `values` in `batch` samples takes.
fn parts(values: usize, batch: usize) -> usize {
    if values < PARALLEL_MIN { 1 } else { parallel::threads().min(batch).max(1) }
}

/// A buffer written by the parts of one call, each to its own samples.
struct Shared<T>(*mut T);
// SAFETY: the parts of one call write disjoint ranges through it (see each use).
unsafe impl<T> Sync for Shared<T> {}
impl<T> Shared<T> {
    /// The pointer (a method, so that closures capture the `Sync` wrapper, not the field).
    fn get(&self) -> *mut T {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use crate::layers::{AveragePooling2D, Layer, LayerConfig, MaxPooling2D, Mode, Padding, Scratch};
    use crate::tensor::Tensor;

    /// Every small setting that validates builds, runs both passes and gives the planned shape;
    /// every average's gradient sums to the output gradient's sum (each window shares it whole).
    #[test]
    fn every_valid_small_setting_runs_and_conserves_the_gradient() {
        let mut checked = 0;
        for (h, w) in [(1, 1), (2, 5), (5, 3), (4, 4)] {
            for pool in 1..=4 {
                for stride in 1..=3 {
                    for padding in [Padding::Valid, Padding::Same] {
                        let layers: [Box<dyn Layer>; 2] = [
                            Box::new(MaxPooling2D::new([pool, pool]).strides([stride, 1]).padding(padding)),
                            Box::new(AveragePooling2D::new([pool, 1]).strides([stride, stride]).padding(padding)),
                        ];
                        for mut layer in layers {
                            let config: LayerConfig = layer.config();
                            let Ok(plan) = config.validate(&[h, w, 2]) else { continue };
                            layer.set_name("p".into());
                            layer.build(&[h, w, 2], 0);
                            assert_eq!(layer.output_shape(), plan.output_shape);
                            let n = 3 * h * w * 2;
                            let x = Tensor::from_vec(&[3, h, w, 2], (0..n).map(|i| (i * 7 % 5) as f32).collect());
                            let s = &mut Scratch::default();
                            let y = layer.call(&x, Mode::Train, s);
                            let mut dx = Tensor::default();
                            layer.backward(&x, &y, &Tensor::full(y.shape(), 1.0), Some(&mut dx), s);
                            let (total, want) = (dx.data().iter().sum::<f32>(), y.len() as f32);
                            assert!((total - want).abs() < 1e-3, "{config:?} on [{h}, {w}, 2]: {total} vs {want}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// A batch large enough to be split across the pool gives each sample what the one-sample
    /// `f64` pass gives, and routes each max's gradient to its source.
    #[test]
    fn split_batches_match_the_one_sample_pass() {
        let (batch, shape) = (64, [10, 10, 4]);
        let n = batch * 400;
        let x = Tensor::from_vec(&[batch, 10, 10, 4], (0..n).map(|i| ((i * 7919) % 1009) as f32).collect());
        assert!(x.len() >= super::PARALLEL_MIN);
        let layers: [Box<dyn Layer>; 2] = [
            Box::new(MaxPooling2D::new([3, 3]).strides([2, 2]).padding(Padding::Same)),
            Box::new(AveragePooling2D::new([2, 2])),
        ];
        for mut layer in layers {
            layer.set_name("p".into());
            layer.build(&shape, 0);
            let s = &mut Scratch::default();
            let y = layer.call(&x, Mode::Train, s);
            let mut dx = Tensor::default();
            layer.backward(&x, &y, &y, Some(&mut dx), s);
            let per = y.len() / batch;
            for k in [0, 31, 63] {
                let xs: Vec<f64> = x.data()[k * 400..(k + 1) * 400].iter().map(|&v| f64::from(v)).collect();
                let f = layer.forward_f64(&shape, &xs);
                for (o, (&got, want)) in y.data()[k * per..(k + 1) * per].iter().zip(&f.output).enumerate() {
                    assert!((f64::from(got) - want).abs() < 1e-3, "sample {k} value {o}: {got} vs {want}");
                }
                if let Some(source) = &f.source {
                    let dxs = &dx.data()[k * 400..(k + 1) * 400];
                    source.iter().for_each(|&i| assert!(dxs[i] > 0.0, "sample {k}: input {i} gets its max's gradient"));
                }
            }
        }
    }
}
