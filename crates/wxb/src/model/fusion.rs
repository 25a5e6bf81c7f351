//! The pairs of layers a training step runs as one pass: a convolution and the max pooling right
//! after it ([`ConvPool`], see `layers/conv/pooled.rs`), whose values are those of the two layers'
//! passes. Planned once from the layers' configurations (on the first step after a change to
//! the layers), so that a step allocates nothing.

use crate::layers::{ConvPool, Layer, Mode};
use crate::tensor::Tensor;

use super::{Sequential, Workspace};

/// Per layer: the fused pass that starts at it, if any (its next layer is then skipped).
#[derive(Debug, Default)]
pub(crate) struct Fusions(Vec<Option<ConvPool>>);

impl Fusions {
    /// The fused pairs of `layers` for samples of `input_shape`. A pair's second layer is never
    /// the model's last (whose output the loss reads through its own methods), and a layer
    /// belongs to at most one pair.
    pub(crate) fn plan(layers: &[Box<dyn Layer>], input_shape: &[usize]) -> Self {
        let mut fused = Vec::with_capacity(layers.len());
        let mut shape = input_shape.to_vec();
        let mut i = 0;
        while i < layers.len() {
            let pair = (i + 2 < layers.len())
                .then(|| ConvPool::of(&layers[i].config(), &layers[i + 1].config(), &shape))
                .flatten();
            shape = layers[i].output_shape();
            i += 1;
            if pair.is_some() {
                fused.push(pair);
                fused.push(None);
                shape = layers[i].output_shape();
                i += 1;
            } else {
                fused.push(None);
            }
        }
        Self(fused)
    }

    /// Whether any pair is fused.
    pub(crate) fn any(&self) -> bool {
        self.0.iter().any(Option::is_some)
    }

    /// The fused pass starting at layer `i`.
    pub(crate) fn at(&self, i: usize) -> Option<&ConvPool> {
        self.0.get(i).and_then(Option::as_ref)
    }
}

impl Sequential {
    /// A training forward pass on `x` into the model's workspace, each fused pair as one pass
    /// (the pair's first output is left as it was).
    pub(crate) fn forward_train(&mut self, x: &Tensor) {
        let fusions = self.fusions.get_or_insert_with(|| Fusions::plan(&self.layers, &self.input_shape));
        let work = &mut self.work;
        let n = self.layers.len();
        work.acts.resize_with(n, Tensor::default);
        work.scratch.resize_with(n, Default::default);
        let mut i = 0;
        while i < n {
            let (done, rest) = work.acts.split_at_mut(i);
            let input = if i == 0 { x } else { &done[i - 1] };
            if let Some(pair) = fusions.at(i) {
                pair.forward(self.layers[i].weights(), input, &mut rest[1], &mut work.scratch[i]);
                i += 2;
            } else {
                self.layers[i].forward(input, &mut rest[0], Mode::Train, &mut work.scratch[i]);
                i += 1;
            }
        }
        self.layers.iter_mut().zip(&work.scratch).for_each(|(l, s)| l.end_train_forward(s));
    }

    /// The backward pass of the layer or fused pair that ends at layer `i`, from `grads[i]`;
    /// returns the first layer it covered.
    pub(crate) fn backward_layer(&mut self, i: usize, x: &Tensor) -> usize {
        match i.checked_sub(1).and_then(|j| self.fusions.as_ref()?.at(j).map(|p| (j, p))) {
            Some((j, pair)) => {
                let Workspace { acts, grads, scratch, .. } = &mut self.work;
                let (lower, upper) = grads.split_at_mut(j);
                let input = if j == 0 { x } else { &acts[j - 1] };
                let (y, dy) = (&acts[i], &upper[1]);
                pair.backward(self.layers[j].weights_mut(), input, (y, dy), lower.last_mut(), &mut scratch[j]);
                j
            }
            None => {
                let Workspace { acts, grads, scratch, .. } = &mut self.work;
                let (lower, upper) = grads.split_at_mut(i);
                let input = if i == 0 { x } else { &acts[i - 1] };
                self.layers[i].backward(input, &acts[i], &upper[0], lower.last_mut(), &mut scratch[i]);
                i
            }
        }
    }
}
