//! The activations over tensors and rows: element by element, softmax and log_softmax over each
//! row (the last axis), glu halving each row.

use super::scalar::{last_axis, log_softmax_row, map_into, relu, sigmoid, softmax_row};
use super::{Activation, Real};
use crate::tensor::Tensor;

impl Activation {
    /// `y = f(z)` for one row `z` (one sample's last axis), in any [`Real`] type: softmax and
    /// log_softmax over the row, glu's `a ⊙ σ(b)` for the halves `z = [a, b]`, the others value
    /// by value. `explain` calls it in `f64`.
    ///
    /// # Panics
    /// If `y` does not have [`Activation::output_len`]`(z.len())` values, or glu gets a row of odd
    /// length.
    pub fn row<T: Real>(self, z: &[T], y: &mut [T]) {
        assert_eq!(self.output_len(z.len()), y.len(), "{self}: row of {} values into {}", z.len(), y.len());
        match self {
            Activation::Softmax => softmax_row(z, y),
            Activation::LogSoftmax => log_softmax_row(z, y),
            Activation::Glu => glu_row(z, y),
            other => y.iter_mut().zip(z).for_each(|(o, &v)| *o = other.f(v)),
        }
    }

    /// `y = f(z)`, row by row for softmax, log_softmax and glu. `y` is resized to `z`'s shape
    /// (glu: its last axis halved).
    ///
    /// # Panics
    /// For glu, if `z`'s last axis has an odd length.
    pub fn forward(self, z: &Tensor, y: &mut Tensor) {
        let cols = last_axis(z);
        let out_cols = self.output_len(cols).max(1);
        if self == Activation::Glu {
            y.resize(&self.output_shape(z.shape()));
        } else {
            y.resize(z.shape());
        }
        match self {
            Activation::Linear => y.data_mut().copy_from_slice(z.data()),
            Activation::Relu => map_into(z, y, relu),
            Activation::Softmax | Activation::LogSoftmax | Activation::Glu => {
                for (zr, yr) in z.data().chunks_exact(cols).zip(y.data_mut().chunks_exact_mut(out_cols)) {
                    self.row(zr, yr);
                }
            }
            other => map_into(z, y, |x| other.f(x)),
        }
    }

    /// `shape` with its last axis mapped by [`Activation::output_len`] (allocates: the engine
    /// calls it for glu only).
    ///
    /// # Panics
    /// For glu on a last axis of odd length.
    pub fn output_shape(self, shape: &[usize]) -> Vec<usize> {
        let mut out = shape.to_vec();
        if let Some(last) = out.last_mut() {
            if let Err(why) = self.check_len(*last) {
                panic!("{self} on shape {shape:?}: {why}");
            }
            *last = self.output_len(*last);
        }
        out
    }

    /// `dz = dy · ∂y/∂z`, given the forward input `z` and output `y`. `dz` is resized to `z`'s shape.
    ///
    /// For softmax, `dzᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)`; for log_softmax, `dzᵢ = dyᵢ − softmax(z)ᵢ·Σⱼ dyⱼ`;
    /// for glu (`y = a ⊙ σ(b)`), `da = dy ⊙ σ(b)`, `db = dy ⊙ a ⊙ σ(b) ⊙ (1 − σ(b))`.
    ///
    /// # Panics
    /// If `dy` does not have `y`'s shape ([`Activation::output_shape`] of `z`'s).
    pub fn backward(self, z: &Tensor, y: &Tensor, dy: &Tensor, dz: &mut Tensor) {
        let same = self != Activation::Glu && z.shape() == dy.shape();
        assert!(
            same || self.output_shape(z.shape()) == dy.shape(),
            "{self} backward: input {:?} vs gradient {:?}",
            z.shape(),
            dy.shape()
        );
        dz.resize(z.shape());
        let cols = last_axis(z);
        match self {
            Activation::Linear => dz.data_mut().copy_from_slice(dy.data()),
            Activation::Relu => {
                for ((d, &g), &x) in dz.data_mut().iter_mut().zip(dy.data()).zip(z.data()) {
                    *d = if x > 0.0 { g } else { 0.0 };
                }
            }
            Activation::Softmax => {
                let rows = y.data().chunks_exact(cols).zip(dy.data().chunks_exact(cols));
                for ((yr, gr), dr) in rows.zip(dz.data_mut().chunks_exact_mut(cols)) {
                    let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
                    for ((d, &yi), &gi) in dr.iter_mut().zip(yr).zip(gr) {
                        *d = yi * (gi - dot);
                    }
                }
            }
            Activation::LogSoftmax => {
                let rows = y.data().chunks_exact(cols).zip(dy.data().chunks_exact(cols));
                for ((yr, gr), dr) in rows.zip(dz.data_mut().chunks_exact_mut(cols)) {
                    let total: f32 = gr.iter().sum();
                    for ((d, &yi), &gi) in dr.iter_mut().zip(yr).zip(gr) {
                        *d = gi - yi.exp() * total;
                    }
                }
            }
            Activation::Glu => {
                let half = cols / 2;
                let rows = z.data().chunks_exact(cols).zip(dy.data().chunks_exact(half.max(1)));
                for ((zr, gr), dr) in rows.zip(dz.data_mut().chunks_exact_mut(cols)) {
                    let (a, b) = zr.split_at(half);
                    let (da, db) = dr.split_at_mut(half);
                    for i in 0..half {
                        let s = sigmoid(b[i]);
                        da[i] = gr[i] * s;
                        db[i] = gr[i] * a[i] * s * (1.0 - s);
                    }
                }
            }
            other => {
                let it = dz.data_mut().iter_mut().zip(dy.data()).zip(z.data()).zip(y.data());
                for (((d, &g), &x), &yv) in it {
                    *d = g * other.df(x, yv);
                }
            }
        }
    }
}

/// `y = a ⊙ σ(b)` for the row `z = [a, b]`.
fn glu_row<T: Real>(z: &[T], y: &mut [T]) {
    assert!(z.len().is_multiple_of(2), "glu: a row of {} values cannot be split in two halves", z.len());
    let (a, b) = z.split_at(z.len() / 2);
    for ((o, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *o = ai * sigmoid(bi);
    }
}
