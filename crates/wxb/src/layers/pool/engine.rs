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
    fn output_len(&self) -> usize {
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

    /// `y` for a batch `x`; a training max pass keeps each output's argmax in `scratch`.
    pub fn forward(&self, spec: &PoolSpec, name: &str, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch) {
        check_samples(name, "input", x, self.input_shape(spec));
        let g = &self.geometry;
        let (batch, in_len, out_len, c, w) = (x.rows(), g.input_len(), self.output_len(), g.input[2], g.input[1]);
        resize_batch(y, batch, &self.output);
        let mut argmax = match (spec.op, mode) {
            (PoolOp::Max, Mode::Train) => {
                let b = scratch.get::<PoolBuffers>();
                b.argmax.resize(batch * out_len, 0);
                Some(&mut b.argmax[..])
            }
            _ => None,
        };
        for n in 0..batch {
            let xs = &x.data()[n * in_len..(n + 1) * in_len];
            let ys = &mut y.data_mut()[n * out_len..(n + 1) * out_len];
            let mut arg = argmax.as_deref_mut().map(|a| &mut a[n * out_len..(n + 1) * out_len]);
            for oy in 0..g.output[0] {
                for ox in 0..g.output[1] {
                    let o = (oy * g.output[1] + ox) * c;
                    let (rows, cols) = self.window(oy, ox);
                    let out = &mut ys[o..o + c];
                    match spec.op {
                        PoolOp::Max => {
                            let mut first = true;
                            for i in rows.clone() {
                                for j in cols.clone() {
                                    let at = (i * w + j) * c;
                                    let cells = &xs[at..at + c];
                                    if first {
                                        out.copy_from_slice(cells);
                                        if let Some(a) = arg.as_deref_mut() {
                                            (0..c).for_each(|ch| a[o + ch] = (at + ch) as u32);
                                        }
                                        first = false;
                                        continue;
                                    }
                                    for ch in 0..c {
                                        if cells[ch] > out[ch] {
                                            out[ch] = cells[ch];
                                            if let Some(a) = arg.as_deref_mut() {
                                                a[o + ch] = (at + ch) as u32;
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        PoolOp::Average => {
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
            }
        }
    }

    /// `dx` from `dy` (see the module's formulas).
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
        let g = &self.geometry;
        let (batch, in_len, out_len, c, w) = (x.rows(), g.input_len(), self.output_len(), g.input[2], g.input[1]);
        assert_eq!(dy.len(), batch * out_len, "{name}: gradient {:?} for input {:?}", dy.shape(), x.shape());
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        dx.data_mut().fill(0.0);
        match spec.op {
            PoolOp::Max => {
                let b = scratch.peek::<PoolBuffers>().filter(|b| b.argmax.len() == batch * out_len);
                let argmax = &b.unwrap_or_else(|| panic!("{name}: backward without a training forward pass")).argmax;
                let global = matches!(spec.window, Window::Global { .. });
                for (n, (dys, args)) in dy.data().chunks_exact(out_len).zip(argmax.chunks_exact(out_len)).enumerate() {
                    let dxs = &mut dx.data_mut()[n * in_len..(n + 1) * in_len];
                    if global {
                        // `reduce_max`'s gradient: shared equally by the cells equal to the max.
                        let xs = &x.data()[n * in_len..(n + 1) * in_len];
                        for (ch, (&d, &a)) in dys.iter().zip(args).enumerate() {
                            let max = xs[a as usize];
                            let ties = xs.iter().skip(ch).step_by(c).filter(|&&v| v == max).count();
                            let share = (1.0 / ties as f32) * d;
                            xs.iter().enumerate().skip(ch).step_by(c).filter(|(_, v)| **v == max).for_each(|(i, _)| {
                                dxs[i] = share;
                            });
                        }
                    } else {
                        dys.iter().zip(args).for_each(|(&d, &a)| dxs[a as usize] += d);
                    }
                }
            }
            PoolOp::Average => {
                for (n, dys) in dy.data().chunks_exact(out_len).enumerate() {
                    let dxs = &mut dx.data_mut()[n * in_len..(n + 1) * in_len];
                    for oy in 0..g.output[0] {
                        for ox in 0..g.output[1] {
                            let o = (oy * g.output[1] + ox) * c;
                            let (rows, cols) = self.window(oy, ox);
                            let count = (rows.len() * cols.len()) as f32;
                            for i in rows.clone() {
                                for j in cols.clone() {
                                    let at = (i * w + j) * c;
                                    dxs[at..at + c].iter_mut().zip(&dys[o..o + c]).for_each(|(d, &v)| *d += v / count);
                                }
                            }
                        }
                    }
                }
            }
        }
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
}
