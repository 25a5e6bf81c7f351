//! Gradient clipping shared by all optimizers (Keras' `clipnorm`, `clipvalue`, `global_clipnorm`).

use serde::{Deserialize, Serialize};

use crate::layers::Param;

/// Which clipping an optimizer applies to the gradients before its update (at most one in Keras).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Clipping {
    /// No clipping.
    #[default]
    None,
    /// Each gradient scaled so that its L2 norm is at most this.
    Norm(f32),
    /// Each gradient value clipped into `[−v, v]`.
    Value(f32),
    /// All gradients scaled together so that their joint L2 norm is at most this.
    GlobalNorm(f32),
}

impl Clipping {
    /// Clips the gradients of `params` in place.
    pub fn clip(self, params: &mut [&mut Param]) {
        match self {
            Clipping::None => {}
            Clipping::Value(v) => {
                for p in params.iter_mut() {
                    p.grad.data_mut().iter_mut().for_each(|g| *g = g.clamp(-v, v));
                }
            }
            Clipping::Norm(max) => {
                for p in params.iter_mut() {
                    let norm = l2(p.grad.data());
                    scale_if_above(p.grad.data_mut(), norm, max);
                }
            }
            Clipping::GlobalNorm(max) => {
                let norm = params.iter().map(|p| l2(p.grad.data()).powi(2)).sum::<f32>().sqrt();
                for p in params.iter_mut() {
                    scale_if_above(p.grad.data_mut(), norm, max);
                }
            }
        }
    }
}

fn l2(g: &[f32]) -> f32 {
    g.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn scale_if_above(g: &mut [f32], norm: f32, max: f32) {
    if norm > max {
        let f = max / norm;
        g.iter_mut().for_each(|x| *x *= f);
    }
}
