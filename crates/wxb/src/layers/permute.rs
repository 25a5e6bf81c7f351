//! Keras' `Permute`: reorders the axes of each sample, e.g. `dims = (2, 3, 1)` moves a
//! channels-first image `[c, h, w]` to channels last `[h, w, c]` (how an ONNX model's `NCHW` input
//! enters wxb's channels-last convolutions).

use serde::{Deserialize, Serialize};

use super::{Check, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode, SampleValues, Scratch};
use super::{check_samples, resize_batch};
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Keras' `Permute` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermuteConfig {
    /// The layer's name; `None` lets the model choose `permute`, `permute_1`, …
    #[serde(default)]
    pub name: Option<String>,
    /// Output axis `i` is input axis `dims[i]`, counted from 1 (the batch axis is 0 and stays).
    pub dims: Vec<usize>,
}

impl PermuteConfig {
    /// Samples whose axes are reordered by `dims` (1-based, a permutation of `1..=rank`).
    pub fn new(dims: &[usize]) -> Self {
        Self { name: None, dims: dims.to_vec() }
    }

    fn output_shape(&self, input_shape: &[usize], check: &Check) -> Result<Vec<usize>, WxbError> {
        let rank = input_shape.len();
        let mut seen = vec![false; rank];
        let valid = self.dims.len() == rank
            && rank < 8
            && self.dims.iter().all(|&d| (1..=rank).contains(&d) && !std::mem::replace(&mut seen[d - 1], true));
        if !valid {
            let shown = format!("{:?} for samples of shape {input_shape:?}", self.dims);
            return Err(check.bad(
                "dims",
                shown,
                "must reorder the sample's axes: a permutation of 1..=rank (rank < 8)",
            ));
        }
        Ok(self.dims.iter().map(|&d| input_shape[d - 1]).collect())
    }
}

impl LayerKind for PermuteConfig {
    type Layer = Permute;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let output_shape = self.output_shape(input_shape, check)?;
        Ok(LayerPlan { output_shape, params: 0, weights: Vec::new() })
    }

    fn into_layer(self) -> Permute {
        Permute { config: self, input: Vec::new(), output: Vec::new(), source: Vec::new() }
    }
}

/// Reorders each sample's axes, as Keras' `Permute`.
///
/// # Shapes
/// `x: [batch, d1, …, dk] → y: [batch, d_{dims[0]}, …, d_{dims[k−1]}]`:
/// `y[b, i1, …, ik] = x[b, j…]` with `j_{dims[a]} = i_a`. Backward: `dx` is `dy` moved back.
#[derive(Debug, Clone)]
pub struct Permute {
    config: PermuteConfig,
    input: Vec<usize>,
    output: Vec<usize>,
    /// For each output value of a sample, the input value it is (row-major indices).
    source: Vec<usize>,
}

impl Permute {
    /// Samples whose axes are reordered by `dims` (1-based).
    pub fn new(dims: &[usize]) -> Self {
        Self::from_config(PermuteConfig::new(dims))
    }

    config_setters! { PermuteConfig; }
}

/// For each output value (row-major over `output`), the row-major index of its input value.
fn sources(input: &[usize], dims: &[usize]) -> Vec<usize> {
    let rank = input.len();
    let mut in_strides = vec![1usize; rank];
    for a in (0..rank.saturating_sub(1)).rev() {
        in_strides[a] = in_strides[a + 1] * input[a + 1];
    }
    let output: Vec<usize> = dims.iter().map(|&d| input[d - 1]).collect();
    let strides: Vec<usize> = dims.iter().map(|&d| in_strides[d - 1]).collect();
    let n: usize = input.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut index = vec![0usize; rank];
    for _ in 0..n {
        out.push(index.iter().zip(&strides).map(|(i, s)| i * s).sum());
        for a in (0..rank).rev() {
            index[a] += 1;
            if index[a] < output[a] {
                break;
            }
            index[a] = 0;
        }
    }
    out
}

impl Layer for Permute {
    layer_identity!(PermuteConfig);

    /// # Panics
    /// If `dims` does not reorder `input_shape`'s axes (the message of the validation error).
    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        let check = Check::for_layer(self.name());
        self.output = self.config.output_shape(input_shape, &check).unwrap_or_else(|e| panic!("{e}"));
        self.input = input_shape.to_vec();
        self.source = sources(input_shape, &self.config.dims);
    }

    fn output_shape(&self) -> Vec<usize> {
        self.output.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, _scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.input);
        resize_batch(y, x.rows(), &self.output);
        let n = self.source.len();
        if n == 0 {
            return;
        }
        for (xs, ys) in x.data().chunks_exact(n).zip(y.data_mut().chunks_exact_mut(n)) {
            for (out, &s) in ys.iter_mut().zip(&self.source) {
                *out = xs[s];
            }
        }
    }

    /// # Panics
    /// If `dy` does not hold as many values as `x`.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        assert_eq!(dy.len(), x.len(), "{}: gradient {:?} for input {:?}", self.name(), dy.shape(), x.shape());
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        let n = self.source.len();
        if n == 0 {
            return;
        }
        for (dys, dxs) in dy.data().chunks_exact(n).zip(dx.data_mut().chunks_exact_mut(n)) {
            for (&g, &s) in dys.iter().zip(&self.source) {
                dxs[s] = g;
            }
        }
    }

    /// The same values, moved.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let output = self.source.iter().map(|&s| x[s]).collect();
        Forward64 { z: None, output, source: Some(self.source.clone()) }
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::Permute {
            dims: self.config.dims.clone(),
            input_shape: v.input_shape.to_vec(),
            output_shape: self.output.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_first_becomes_channels_last_and_back() {
        // A [c=2, h=2, w=3] sample with value 100·c + 10·h + w.
        let mut values = Vec::new();
        for c in 0..2 {
            for h in 0..2 {
                for w in 0..3 {
                    values.push((100 * c + 10 * h + w) as f32);
                }
            }
        }
        let x = Tensor::from_vec(&[1, 2, 2, 3], values);
        let mut p = Permute::new(&[2, 3, 1]).named("p");
        p.build(&[2, 2, 3], 0);
        assert_eq!(p.output_shape(), [2, 3, 2]);
        let y = p.call(&x, Mode::Infer, &mut Scratch::default());
        // y[h, w, c] = 100·c + 10·h + w.
        assert_eq!(&y.data()[..4], &[0.0, 100.0, 1.0, 101.0]);
        assert_eq!(y.data()[2 * 3 * 2 - 1], 112.0);
        let mut back = Permute::new(&[3, 1, 2]).named("back");
        back.build(&[2, 3, 2], 0);
        assert_eq!(back.call(&y, Mode::Infer, &mut Scratch::default()), x);
        let mut dx = Tensor::default();
        p.backward(&x, &y, &y, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx, x);
        assert_eq!(p.forward_f64(&[2, 2, 3], &x.data().iter().map(|&v| v as f64).collect::<Vec<_>>()).output[1], 100.0);
    }

    #[test]
    fn dims_that_are_no_permutation_are_refused() {
        for dims in [&[1, 1][..], &[1][..], &[0, 1][..], &[1, 3][..]] {
            let e = LayerConfig::from(PermuteConfig::new(dims)).validate(&[2, 3]).unwrap_err().to_string();
            assert!(e.contains("dims") && e.contains("permutation"), "{e}");
        }
        assert_eq!(LayerConfig::from(PermuteConfig::new(&[2, 1])).validate(&[2, 3]).unwrap().output_shape, [3, 2]);
    }
}
