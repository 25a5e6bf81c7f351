//! Weight penalties added to the loss, as Keras' `keras.regularizers`.
//!
//! `L1: l1·Σ|w|`, `L2: l2·Σw²`, `L1L2: both`. Keras' defaults: `L1(l1=0.01)`, `L2(l2=0.01)`,
//! `L1L2(l1=0, l2=0)`. The penalty's gradient (`l1·sign(w) + 2·l2·w`) is added to the weight's.
//!
//! As an activity regularizer (Keras' `activity_regularizer` on a layer), the same penalty applies
//! to the layer's output `y: [batch, …]`, divided by the batch size as Keras 3 does
//! (`Layer.__call__`): `r(y)/batch`, gradient `r'(y)/batch` into `∂L/∂y`.

use serde::{Deserialize, Serialize};

use crate::tensor::Tensor;

/// A penalty on a weight tensor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
#[non_exhaustive]
pub enum Regularizer {
    /// `l1·Σ|w|`.
    L1 {
        /// Coefficient (Keras' default 0.01).
        l1: f32,
    },
    /// `l2·Σw²`.
    L2 {
        /// Coefficient (Keras' default 0.01).
        l2: f32,
    },
    /// `l1·Σ|w| + l2·Σw²`.
    L1L2 {
        /// L1 coefficient.
        l1: f32,
        /// L2 coefficient.
        l2: f32,
    },
}

impl Regularizer {
    /// `L1(l1=0.01)`, Keras' default.
    pub const L1_DEFAULT: Regularizer = Regularizer::L1 { l1: 0.01 };
    /// `L2(l2=0.01)`, Keras' default.
    pub const L2_DEFAULT: Regularizer = Regularizer::L2 { l2: 0.01 };

    fn coefficients(self) -> (f32, f32) {
        match self {
            Regularizer::L1 { l1 } => (l1, 0.0),
            Regularizer::L2 { l2 } => (0.0, l2),
            Regularizer::L1L2 { l1, l2 } => (l1, l2),
        }
    }

    /// The penalty for `w`, accumulated in f64.
    pub fn loss(self, w: &Tensor) -> f32 {
        let (l1, l2) = self.coefficients();
        let mut abs = 0.0f64;
        let mut sq = 0.0f64;
        for &x in w.data() {
            abs += f64::from(x.abs());
            sq += f64::from(x) * f64::from(x);
        }
        (f64::from(l1) * abs + f64::from(l2) * sq) as f32
    }

    /// Adds `∂penalty/∂w = l1·sign(w) + 2·l2·w` to `grad`.
    pub fn add_gradient(self, w: &Tensor, grad: &mut Tensor) {
        self.add_scaled_gradient(w, grad, 1.0);
    }

    /// Keras' activity penalty of a layer output `y: [batch, …]`: `penalty(y) / batch` (0 for an
    /// empty batch, as Keras' `divide_no_nan`).
    pub fn activity_loss(self, y: &Tensor) -> f32 {
        let batch = y.shape().first().copied().unwrap_or(1);
        if batch == 0 { 0.0 } else { self.loss(y) / batch as f32 }
    }

    /// Adds the activity penalty's gradient `∂(penalty(y)/batch)/∂y` to `dy` (`y`'s shape).
    ///
    /// # Panics
    /// If `dy` does not have `y`'s shape.
    pub fn add_activity_gradient(self, y: &Tensor, dy: &mut Tensor) {
        assert_eq!(y.shape(), dy.shape(), "activity regularizer: output {:?} vs gradient {:?}", y.shape(), dy.shape());
        let batch = y.shape().first().copied().unwrap_or(1).max(1);
        self.add_scaled_gradient(y, dy, 1.0 / batch as f32);
    }

    /// Adds `scale·(l1·sign(w) + 2·l2·w)` to `grad`.
    fn add_scaled_gradient(self, w: &Tensor, grad: &mut Tensor, scale: f32) {
        let (l1, l2) = self.coefficients();
        for (g, &x) in grad.data_mut().iter_mut().zip(w.data()) {
            let sign = if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            };
            *g += scale * (l1 * sign + 2.0 * l2 * x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_match_their_formulas() {
        let w = Tensor::from_vec(&[3], vec![-1.0, 0.5, 2.0]);
        assert!((Regularizer::L1 { l1: 0.1 }.loss(&w) - 0.35).abs() < 1e-6);
        assert!((Regularizer::L2 { l2: 0.1 }.loss(&w) - 0.525).abs() < 1e-6);
        assert!((Regularizer::L1L2 { l1: 0.1, l2: 0.1 }.loss(&w) - 0.875).abs() < 1e-6);
        let mut g = Tensor::zeros(&[3]);
        Regularizer::L1L2 { l1: 0.1, l2: 0.1 }.add_gradient(&w, &mut g);
        assert_eq!(g.data(), &[-0.1 - 0.2, 0.1 + 0.1, 0.1 + 0.4]);
    }
}
