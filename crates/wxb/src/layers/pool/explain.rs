//! `explain` for pooling: each window's max or mean recomputed in `f64`, and per chosen output
//! value the window's input values ([`PoolTrace`]).

use serde::Serialize;

use super::engine::PoolCore;
use super::{PoolOp, PoolSpec, Window};
use crate::layers::{Forward64, LayerStep, Padding, SampleValues};

/// One input value of a pooling window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolInput {
    /// Its index in the input sample (flattened, channels last).
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Its value.
    pub x: f64,
}

/// One output value of a pooling layer: its window's real cells (one channel) and the result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolTrace {
    /// The output value's index.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// The window's cells inside the input, row-major.
    pub inputs: Vec<PoolInput>,
    /// Max pooling: the position in `inputs` of the (first) largest value.
    pub argmax: Option<usize>,
    /// The max or the mean of `inputs`.
    pub output: f64,
}

impl PoolCore {
    /// The input indices (within one sample) of output value `o`'s window, row-major.
    fn cells(&self, o: usize) -> impl Iterator<Item = usize> + '_ {
        let g = &self.geometry;
        let (c, p) = (g.filters, o / g.filters);
        let (rows, cols) = self.window(p / g.output[1], p % g.output[1]);
        rows.flat_map(move |i| cols.clone().map(move |j| (i * g.input[1] + j) * c + o % c))
    }

    /// Every output value in `f64`; a max's source is its first largest input.
    pub fn forward_f64(&self, op: PoolOp, x: &[f64]) -> Forward64 {
        let n = self.geometry.positions() * self.geometry.filters;
        let mut output = Vec::with_capacity(n);
        let mut source = Vec::with_capacity(n);
        for o in 0..n {
            let cells: Vec<usize> = self.cells(o).collect();
            match op {
                PoolOp::Max => {
                    let best = cells.iter().copied().reduce(|b, i| if x[i] > x[b] { i } else { b }).unwrap_or(0);
                    output.push(x[best]);
                    source.push(best);
                }
                PoolOp::Average => {
                    output.push(cells.iter().map(|&i| x[i]).sum::<f64>() / cells.len().max(1) as f64);
                }
            }
        }
        Forward64 { z: None, output, source: (op == PoolOp::Max).then_some(source) }
    }

    /// A [`PoolTrace`] per chosen output value.
    pub fn trace(&self, spec: &PoolSpec, v: &SampleValues<'_>) -> LayerStep {
        let g = &self.geometry;
        let (pool_size, strides, padding) = match spec.window {
            Window::Local { pool, strides, padding } => (pool, strides, padding),
            Window::Global { .. } => ([g.input[0], g.input[1]], [1, 1], Padding::Valid),
        };
        let outputs = v
            .chosen
            .iter()
            .map(|&o| {
                let inputs: Vec<PoolInput> =
                    self.cells(o).map(|i| PoolInput { index: i, name: v.x_names[i].clone(), x: v.x[i] }).collect();
                let source = v.forward.source.as_ref().map(|s| s[o]);
                PoolTrace {
                    index: o,
                    name: v.names[o].clone(),
                    argmax: source.and_then(|s| inputs.iter().position(|p| p.index == s)),
                    inputs,
                    output: v.forward.output[o],
                }
            })
            .collect();
        LayerStep::Pooling {
            operation: spec.op,
            pool_size: pool_size[2 - spec.rank..].to_vec(),
            strides: strides[2 - spec.rank..].to_vec(),
            padding,
            outputs,
        }
    }

    /// A max's largest input per chosen output; for an average, the `k` window cells of largest
    /// magnitude over the chosen outputs.
    pub fn strongest_inputs(&self, x: &[f64], forward: &Forward64, chosen: &[usize], k: usize) -> Vec<usize> {
        if let Some(source) = &forward.source {
            let mut up: Vec<usize> = chosen.iter().map(|&o| source[o]).collect();
            up.sort_unstable();
            up.dedup();
            return up;
        }
        let mut cells: Vec<usize> = chosen.iter().flat_map(|&o| self.cells(o)).collect();
        cells.sort_unstable();
        cells.dedup();
        cells.sort_by(|&a, &b| x[b].abs().total_cmp(&x[a].abs()));
        cells.truncate(k.max(1));
        cells
    }
}
