//! AdamW, Keras' `AdamW`: [`Adam`]'s update with decoupled weight decay.
//!
//! The decay is applied by the shared [`super::Optimizer`] before the update, `w ← w − (w·wd)·lr`,
//! with `wd` the configuration's `weight_decay` (Keras' default for AdamW: 0.004); then Adam's
//! update runs on the decayed weights:
//!
//! ```text
//! α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ);  m ← m + (g − m)·(1 − β₁);  v ← v + (g² − v)·(1 − β₂)
//! w ← w − m·α / (√v + ε)
//! ```

use super::hyperparameters;
use super::{Adam, RuleMath, StepContext, Traced};

hyperparameters! {
    /// Keras' `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
    /// epsilon=1e-7, amsgrad=False)`; the weight decay lives in [`super::OptimizerConfig`].
    AdamW {
        /// Decay β₁ of the first moment (default 0.9).
        beta_1: f32 = 0.9,
        /// Decay β₂ of the second moment (default 0.999).
        beta_2: f32 = 0.999,
        /// ε added to `√v` (default 1e-7).
        epsilon: f32 = 1e-7,
        /// Whether the AMSGrad variant is used (default false).
        amsgrad: bool = false,
    }
}

impl AdamW {
    /// Keras' default decoupled weight decay for AdamW.
    pub const DEFAULT_WEIGHT_DECAY: f32 = 0.004;

    /// The Adam rule with the same hyperparameters.
    pub fn adam(&self) -> Adam {
        Adam { beta_1: self.beta_1, beta_2: self.beta_2, epsilon: self.epsilon, amsgrad: self.amsgrad }
    }
}

impl RuleMath for AdamW {
    fn default_weight_decay(&self) -> Option<f32> {
        Some(Self::DEFAULT_WEIGHT_DECAY)
    }

    fn slot_groups(&self) -> Vec<Vec<&'static str>> {
        self.adam().slot_groups()
    }

    #[inline(always)]
    fn update_step(&self, step: StepContext, scalars: &[f32], w: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
        self.adam().update_step(step, scalars, w, g, slots);
    }

    fn trace_step(&self, t: Traced<'_>) -> f32 {
        self.adam().trace_step(t)
    }
}
