//! A convolution for `explain`: its `f64` pass, and for a chosen output value (a position and a
//! filter) the patch it reads, the filter's kernel, the products summed, the bias and the activation.

use serde::Serialize;

use super::engine::{ConvCore, ConvSpec};
use crate::layers::neuron::ranked_terms;
use crate::layers::{Forward64, LayerStep, OtherTerms, SampleValues, Term};

/// One output value of a convolution: `z = Σ patch ⊙ kernel[…, f] + b_f`, `y = activation(z)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvTrace {
    /// The output value's index in the flattened output sample.
    pub index: usize,
    /// Its name, `{layer}[y,x,f]` (`{layer}[t,f]` for Conv1D).
    pub name: String,
    /// The output position: `[y, x]` (Conv2D) or `[t]` (Conv1D).
    pub position: Vec<usize>,
    /// The filter `f`.
    pub filter: usize,
    /// The input position of the patch's first tap (negative inside the padding).
    pub origin: Vec<i64>,
    /// The patch, `[kh, kw, c]` row-major (`[k, c]` for Conv1D), zeros where it lies in the padding.
    pub patch: Vec<f64>,
    /// The filter's kernel `K[…, f]`, in the same order as the patch.
    pub kernel: Vec<f64>,
    /// The largest products `patchᵢ·kernelᵢ` by magnitude (padding taps excluded: they are 0).
    pub terms: Vec<Term>,
    /// The remaining products, summed.
    pub others: Option<OtherTerms>,
    /// `Σᵢ patchᵢ·kernelᵢ`.
    pub dot: f64,
    /// `b_f` (absent without bias).
    pub bias: Option<f64>,
    /// `z = dot + b_f`.
    pub z: f64,
    /// The output value `activation(z)`.
    pub output: f64,
}

impl ConvCore {
    /// Output `o = pos·f′ + j` (with `f′` output channels) as `(position, filter)`.
    fn unravel(&self, spec: &ConvSpec, o: usize) -> (usize, usize) {
        let out_channels = spec.activation.output_len(self.geometry.filters).max(1);
        (o / out_channels, o % out_channels)
    }

    /// For output position `pos` and tap `t` of the patch, the input value read (`None` in the padding).
    fn tap(&self, pos: usize, t: usize) -> Option<usize> {
        let g = &self.geometry;
        let c = g.input[2];
        let (ky, kx, ch) = (t / c / g.kernel[1], t / c % g.kernel[1], t % c);
        let (y, x) = g.source((pos / g.output[1], pos % g.output[1]), (ky, kx))?;
        Some((y * g.input[1] + x) * c + ch)
    }

    /// `z[pos, f] = Σ patch·K[…, f] + b_f` for every position and filter, then the activation
    /// per position, in `f64`.
    pub fn forward_f64(&self, spec: &ConvSpec, x: &[f64]) -> Forward64 {
        let g = &self.geometry;
        let (w, f, k) = (self.kernel().data(), g.filters, g.patch());
        let bias = self.bias().map(|b| b.data());
        let mut z = vec![0.0; g.positions() * f];
        for pos in 0..g.positions() {
            for t in 0..k {
                let Some(i) = self.tap(pos, t) else { continue };
                for (j, zj) in z[pos * f..][..f].iter_mut().enumerate() {
                    *zj += x[i] * f64::from(w[t * f + j]);
                }
            }
            if let Some(b) = bias {
                z[pos * f..][..f].iter_mut().zip(b).for_each(|(zj, &bj)| *zj += f64::from(bj));
            }
        }
        let out_f = spec.activation.output_len(f);
        let mut output = vec![0.0; g.positions() * out_f];
        for (zr, yr) in z.chunks_exact(f).zip(output.chunks_exact_mut(out_f.max(1))) {
            spec.activation.row(zr, yr);
        }
        Forward64 { z: Some(z), output, source: None }
    }

    /// The trace of each chosen output value.
    pub fn trace(&self, spec: &ConvSpec, v: &SampleValues<'_>) -> LayerStep {
        let g = &self.geometry;
        let z = v.forward.z.as_ref().expect("a convolution keeps z");
        let (w, f) = (self.kernel().data(), g.filters);
        let outputs = v
            .chosen
            .iter()
            .map(|&o| {
                let (pos, filter) = self.unravel(spec, o);
                let kernel: Vec<f64> = (0..g.patch()).map(|t| f64::from(w[t * f + filter])).collect();
                let patch: Vec<f64> = (0..g.patch()).map(|t| self.tap(pos, t).map_or(0.0, |i| v.x[i])).collect();
                let terms: Vec<Term> = (0..g.patch())
                    .filter_map(|t| {
                        let i = self.tap(pos, t)?;
                        let name = v.x_names[i].clone();
                        Some(Term { input: i, name, x: v.x[i], w: kernel[t], product: v.x[i] * kernel[t] })
                    })
                    .collect();
                let dot = terms.iter().map(|t| t.product).sum();
                let (terms, others) = ranked_terms(terms, v.top);
                let (oy, ox) = (pos / g.output[1], pos % g.output[1]);
                let origin = |a: usize, o: usize| (o * g.strides[a]) as i64 - g.pad[a] as i64;
                let (position, origin) = if spec.rank == 2 {
                    (vec![oy, ox], vec![origin(0, oy), origin(1, ox)])
                } else {
                    (vec![ox], vec![origin(1, ox)])
                };
                ConvTrace {
                    index: o,
                    name: v.names[o].clone(),
                    position,
                    filter,
                    origin,
                    patch,
                    kernel,
                    terms,
                    others,
                    dot,
                    bias: self.bias().map(|b| f64::from(b.data()[filter])),
                    z: z[pos * f + filter],
                    output: v.forward.output[o],
                }
            })
            .collect();
        LayerStep::Conv {
            kernel_size: g.kernel[2 - spec.rank..].to_vec(),
            strides: g.strides[2 - spec.rank..].to_vec(),
            dilation_rate: g.dilation[2 - spec.rank..].to_vec(),
            padding: spec.padding,
            filters: f,
            activation: spec.activation,
            outputs,
        }
    }

    /// The `k` input values with the largest `Σ |xᵢ·kᵢ|` over the chosen outputs' patches.
    pub fn strongest_inputs(&self, spec: &ConvSpec, x: &[f64], chosen: &[usize], k: usize) -> Vec<usize> {
        let (w, f) = (self.kernel().data(), self.geometry.filters);
        let mut score = vec![0.0f64; x.len()];
        for &o in chosen {
            let (pos, filter) = self.unravel(spec, o);
            for t in 0..self.geometry.patch() {
                if let Some(i) = self.tap(pos, t) {
                    score[i] += (x[i] * f64::from(w[t * f + filter])).abs();
                }
            }
        }
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
        order.truncate(k);
        order
    }
}
