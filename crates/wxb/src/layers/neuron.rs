//! One Dense neuron's calculation with its real numbers: `z = Σᵢ xᵢ·wᵢ + b`, `a = f(z)`.
//!
//! With `x: [in]` the values the layer receives and `w = W[:, j]` the neuron's column of the kernel
//! `W: [in, units]`, every product `xᵢ·wᵢ` is a [`Term`]. They are listed by decreasing `|xᵢ·wᵢ|`;
//! past the first `top`, the rest are summed into [`OtherTerms`]. Beside the raw dot product `x·w`,
//! [`Similarity`] gives `|x|`, `|w|` and the cosine `x·w / (|x|·|w|)`: only the cosine is bounded
//! (in [−1, 1]); the raw dot product is a similarity in [0, 1] only for unit vectors at an acute
//! angle, and in general is any real number.

use serde::Serialize;

use crate::activations::Activation;
use crate::tensor::Tensor;

/// One product `xᵢ·wᵢ` of a neuron's dot product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    /// The input's index `i`.
    pub input: usize,
    /// The input's name: a feature name, a pixel `pixel[r,c]`, or the neuron it comes from (`dense[17]`).
    pub name: String,
    /// The input value `xᵢ`.
    pub x: f64,
    /// The weight `wᵢ = W[i, j]`.
    pub w: f64,
    /// `xᵢ·wᵢ`.
    pub product: f64,
}

/// The products not listed one by one, summed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OtherTerms {
    /// How many.
    pub count: usize,
    /// Their sum.
    pub sum: f64,
}

/// The sizes of the two vectors of a dot product and the angle between them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Similarity {
    /// `|x| = √Σxᵢ²`.
    pub x_norm: f64,
    /// `|w| = √Σwᵢ²`.
    pub w_norm: f64,
    /// `x·w / (|x|·|w|)` in [−1, 1]; `None` when either vector is all zeros.
    pub cosine: Option<f64>,
}

impl Similarity {
    /// The norms and cosine of `x` and `w`, given their dot product.
    pub fn of(x: &[f64], w: &[f64], dot: f64) -> Self {
        let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
        let (x_norm, w_norm) = (norm(x), norm(w));
        let cosine = (x_norm > 0.0 && w_norm > 0.0).then(|| (dot / (x_norm * w_norm)).clamp(-1.0, 1.0));
        Self { x_norm, w_norm, cosine }
    }
}

/// A Dense neuron's calculation for one sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NeuronTrace {
    /// The neuron's index `j` in its layer.
    pub neuron: usize,
    /// Its name, `{layer}[j]`.
    pub name: String,
    /// The class it stands for, in an output layer that predicts classes.
    pub class: Option<String>,
    /// The largest products `xᵢ·wᵢ` by magnitude, largest first.
    pub terms: Vec<Term>,
    /// The remaining products, summed (absent when every term is listed).
    pub others: Option<OtherTerms>,
    /// `x·w = Σᵢ xᵢ·wᵢ` over every input.
    pub dot: f64,
    /// The bias `b` (absent for a layer without bias).
    pub bias: Option<f64>,
    /// `z = x·w + b`.
    pub z: f64,
    /// The layer's activation `f`.
    pub activation: Activation,
    /// `a = f(z)` (for softmax, this neuron's share `e^(zⱼ)/Σₖ e^(zₖ)` of the layer).
    pub output: f64,
    /// `|x|`, `|w|` and their cosine.
    pub similarity: Similarity,
}

/// Every product `xᵢ·W[i, neuron]` for a kernel `W: [in, units]`, in input order, in `f64`.
///
/// # Panics
/// If `x` does not have `in` values or `neuron ≥ units`.
pub fn dense_products(x: &[f64], kernel: &Tensor, neuron: usize) -> Vec<f64> {
    let (inputs, units) = (kernel.rows(), kernel.cols());
    assert_eq!(x.len(), inputs, "{} inputs for a kernel of shape {:?}", x.len(), kernel.shape());
    assert!(neuron < units, "neuron {neuron} of a layer of {units}");
    x.iter().enumerate().map(|(i, &xi)| xi * f64::from(kernel.data()[i * units + neuron])).collect()
}

/// The `top` largest terms by magnitude (ties to the earlier term; all when `top` is 0), and the
/// rest summed.
pub(crate) fn ranked_terms(mut terms: Vec<Term>, top: usize) -> (Vec<Term>, Option<OtherTerms>) {
    terms.sort_by(|a, b| b.product.abs().total_cmp(&a.product.abs()));
    let shown = if top == 0 { terms.len() } else { top.min(terms.len()) };
    let rest = terms.split_off(shown);
    let others =
        (!rest.is_empty()).then(|| OtherTerms { count: rest.len(), sum: rest.iter().map(|t| t.product).sum() });
    (terms, others)
}

/// The inputs, weights and results a neuron's trace is made from.
pub(crate) struct NeuronInputs<'a> {
    pub x: &'a [f64],
    pub names: &'a [String],
    pub kernel: &'a Tensor,
    pub bias: Option<f64>,
    pub z: f64,
    pub activation: Activation,
    pub output: f64,
}

/// The trace of neuron `j` named `name`, listing the `top` largest terms (all when `top` is 0).
pub(crate) fn neuron_trace(inputs: &NeuronInputs<'_>, j: usize, name: String, top: usize) -> NeuronTrace {
    let products = dense_products(inputs.x, inputs.kernel, j);
    let units = inputs.kernel.cols();
    let w: Vec<f64> = (0..inputs.x.len()).map(|i| f64::from(inputs.kernel.data()[i * units + j])).collect();
    let dot: f64 = products.iter().sum();
    let terms = (0..products.len())
        .map(|i| Term { input: i, name: inputs.names[i].clone(), x: inputs.x[i], w: w[i], product: products[i] })
        .collect();
    let (terms, others) = ranked_terms(terms, top);
    NeuronTrace {
        neuron: j,
        name,
        class: None,
        terms,
        others,
        dot,
        bias: inputs.bias,
        z: inputs.z,
        activation: inputs.activation,
        output: inputs.output,
        similarity: Similarity::of(inputs.x, &w, dot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_sorted_by_magnitude_and_the_rest_summed() {
        let kernel = Tensor::from_vec(&[4, 1], vec![1.0, -2.0, 0.5, 3.0]);
        let x = [1.0, 1.0, 1.0, -1.0];
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let inputs = NeuronInputs {
            x: &x,
            names: &names,
            kernel: &kernel,
            bias: Some(0.25),
            z: -3.25,
            activation: Activation::Linear,
            output: -3.25,
        };
        let t = neuron_trace(&inputs, 0, "d[0]".into(), 2);
        assert_eq!(t.terms.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["d", "b"]);
        assert_eq!(t.terms[0].product, -3.0);
        assert_eq!(t.others, Some(OtherTerms { count: 2, sum: 1.5 }));
        assert_eq!(t.dot, -3.5);
        // |x| = 2, |w| = √14.25.
        assert_eq!(t.similarity.x_norm, 2.0);
        let cos = t.similarity.cosine.unwrap();
        assert!((cos - (-3.5 / (2.0 * 14.25f64.sqrt()))).abs() < 1e-15);
        assert!(neuron_trace(&inputs, 0, "d[0]".into(), 0).others.is_none());
    }

    #[test]
    fn a_zero_vector_has_no_cosine() {
        assert_eq!(Similarity::of(&[0.0, 0.0], &[1.0, 2.0], 0.0).cosine, None);
    }
}
