//! [`MemoryPlan`]: the memory training, evaluation and prediction will allocate, computed from
//! the layers' shapes before anything is allocated, and the budget it is checked against.
//!
//! A model of few weights can still ask for a lot: a layer of 10⁸ units holds 10⁸ activations per
//! sample, 12.8 GB for a batch of 32. [`Sequential::fit`](crate::Sequential::fit),
//! [`Sequential::evaluate`] and [`Sequential::predict`] refuse with
//! [`WxbError::OverMemoryBudget`] when their estimate exceeds the model's budget
//! ([`Sequential::set_memory_budget`]; by default [`default_memory_budget`], 8 GiB unless
//! [`set_default_memory_budget`] changed it).

use std::sync::atomic::{AtomicU64, Ordering};

use super::Sequential;
use super::build::WEIGHT_BUDGET;
use crate::error::WxbError;
use crate::layers::LayerConfig;

/// The memory budget of a new model unless [`set_default_memory_budget`] changes it: 8 GiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 8 << 30;

static DEFAULT_BUDGET: AtomicU64 = AtomicU64::new(DEFAULT_MEMORY_BUDGET);

/// Sets the memory budget (bytes) of the models created from now on in this process (the `wxb`
/// command's `--memory-budget`).
pub fn set_default_memory_budget(bytes: u64) {
    DEFAULT_BUDGET.store(bytes, Ordering::Relaxed);
}

/// The memory budget (bytes) new models get: [`DEFAULT_MEMORY_BUDGET`] unless
/// [`set_default_memory_budget`] changed it.
pub fn default_memory_budget() -> u64 {
    DEFAULT_BUDGET.load(Ordering::Relaxed)
}

/// A model's sizes in f32 scalars, from which the memory of each use is estimated (an upper
/// estimate: every buffer a layer may keep is counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryPlan {
    /// All weights.
    pub weights: u64,
    /// One input sample.
    pub input: u64,
    /// One sample's outputs of every layer, summed.
    pub activations: u64,
    /// One output sample.
    pub output: u64,
    /// One sample's share of the layers' buffers larger than their outputs (a convolution's
    /// patches `im2col(x)` and their gradient), summed.
    pub buffers: u64,
}

/// `a·b + c` in u64, saturating.
fn mul_add(a: u64, b: u64, c: u64) -> u64 {
    a.saturating_mul(b).saturating_add(c)
}

impl MemoryPlan {
    /// The sizes of a model for samples of `input_shape` built from `configs`, from the
    /// configurations alone (nothing is allocated).
    ///
    /// # Errors
    /// A configuration that [`LayerConfig::validate`] refuses, or more than `max_params` weights
    /// ([`WxbError::ModelTooLarge`], as [`Sequential::from_configs`] would say).
    pub fn of_configs(input_shape: &[usize], configs: &[LayerConfig], max_params: u64) -> Result<Self, WxbError> {
        let size = |shape: &[usize]| shape.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64));
        let (input, output) = (size(input_shape), size(input_shape));
        let mut plan = Self { weights: 0, input, activations: 0, output, buffers: 0 };
        let mut shape = input_shape.to_vec();
        for config in configs {
            let layer = config.validate(&shape)?;
            plan.buffers = plan.buffers.saturating_add(config.buffers_per_sample(&shape));
            shape = layer.output_shape;
            plan.weights = plan.weights.saturating_add(layer.params);
            if plan.weights > max_params {
                return Err(WxbError::ModelTooLarge { params: plan.weights, limit: max_params, why: WEIGHT_BUDGET });
            }
            plan.output = size(&shape);
            plan.activations = plan.activations.saturating_add(plan.output);
        }
        Ok(plan)
    }

    /// Bytes for training in batches of `batch` samples with an optimizer keeping `slots` values
    /// per weight: the weights, their gradients, one more copy (early stopping's best weights) and
    /// the slots; per sample, the input and targets, each layer's output, its gradient and up to
    /// two buffers of its own (and the larger ones of convolutions), and the validation pass's
    /// buffers.
    pub fn training_bytes(&self, batch: usize, slots: usize) -> u64 {
        let per_sample =
            mul_add(6, self.activations, mul_add(2, self.input, 2 * self.output)).saturating_add(self.buffers);
        4 * mul_add(batch as u64, per_sample, self.weights.saturating_mul(3 + slots as u64)).min(u64::MAX / 4)
    }

    /// Bytes for predicting `rows` samples in batches of `batch`: the weights, per sample of a
    /// batch its input, each layer's output and one buffer of its own (a convolution: its
    /// patches), and the `rows` outputs.
    pub fn prediction_bytes(&self, batch: usize, rows: usize) -> u64 {
        let per_sample = mul_add(2, self.activations, self.input).saturating_add(self.buffers / 2);
        let total = mul_add(batch as u64, per_sample, mul_add(rows as u64, self.output, self.weights));
        4 * total.min(u64::MAX / 4)
    }

    /// `Ok` when `bytes` fit `budget`, else [`WxbError::OverMemoryBudget`] naming both.
    ///
    /// # Errors
    /// `bytes > budget`.
    pub fn check(bytes: u64, budget: u64, what: &'static str, batch: usize) -> Result<(), WxbError> {
        if bytes > budget {
            return Err(WxbError::OverMemoryBudget { what, batch, bytes, budget });
        }
        Ok(())
    }
}

impl Sequential {
    /// The model's sizes (see [`MemoryPlan`]).
    pub fn memory_plan(&self) -> MemoryPlan {
        let size = |shape: &[usize]| shape.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64));
        let input = size(&self.input_shape);
        let mut plan =
            MemoryPlan { weights: self.count_params() as u64, input, activations: 0, output: input, buffers: 0 };
        let mut shape = self.input_shape.clone();
        for layer in &self.layers {
            plan.buffers = plan.buffers.saturating_add(layer.config().buffers_per_sample(&shape));
            shape = layer.output_shape();
            plan.output = size(&shape);
            plan.activations = plan.activations.saturating_add(plan.output);
        }
        plan
    }

    /// The most bytes [`Sequential::fit`](crate::Sequential::fit), [`Sequential::evaluate`] and
    /// [`Sequential::predict`] may allocate, as estimated by [`MemoryPlan`].
    pub fn memory_budget(&self) -> u64 {
        self.memory_budget
    }

    /// Sets the memory budget in bytes (default: [`default_memory_budget`]).
    pub fn set_memory_budget(&mut self, bytes: u64) {
        self.memory_budget = bytes;
    }

    /// Checks the memory of predicting `rows` samples in batches of `batch` against the budget.
    pub(crate) fn check_prediction_memory(
        &self,
        batch: usize,
        rows: usize,
        what: &'static str,
    ) -> Result<(), WxbError> {
        let batch = batch.min(rows);
        MemoryPlan::check(self.memory_plan().prediction_bytes(batch, rows), self.memory_budget, what, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::DenseConfig;

    #[test]
    fn plans_count_weights_and_activations_from_configs_as_built_models_do() {
        let configs = [LayerConfig::Dense(DenseConfig::new(5)), LayerConfig::Dense(DenseConfig::new(3))];
        let plan = MemoryPlan::of_configs(&[4], &configs, 1000).unwrap();
        assert_eq!(
            plan,
            MemoryPlan { weights: 4 * 5 + 5 + 5 * 3 + 3, input: 4, activations: 8, output: 3, buffers: 0 }
        );
        let model = Sequential::from_configs(&[4], 0, &configs, super::super::MAX_PARAMS).unwrap();
        assert_eq!(model.memory_plan(), plan);
        // Adam: 2 slots; batch 10.
        assert_eq!(plan.training_bytes(10, 2), 4 * (43 * 5 + 10 * (6 * 8 + 2 * 4 + 2 * 3)));
        assert_eq!(plan.prediction_bytes(10, 100), 4 * (43 + 10 * (2 * 8 + 4) + 100 * 3));
        let e = MemoryPlan::check(plan.training_bytes(10, 2), 1000, "training", 10).unwrap_err();
        assert_eq!(e, WxbError::OverMemoryBudget { what: "training", batch: 10, bytes: 3340, budget: 1000 });
        let e = MemoryPlan::of_configs(&[4], &configs, 42).unwrap_err();
        assert_eq!(e, WxbError::ModelTooLarge { params: 43, limit: 42, why: WEIGHT_BUDGET });
    }

    #[test]
    fn a_convolution_counts_its_patches_and_their_gradient() {
        use crate::layers::{Conv2DConfig, FlattenConfig};
        let configs = [
            LayerConfig::Conv2D(Conv2DConfig::new(4, [3, 3])),
            LayerConfig::Flatten(FlattenConfig::default()),
            LayerConfig::Dense(DenseConfig::new(2)),
        ];
        let plan = MemoryPlan::of_configs(&[6, 5, 2], &configs, 1 << 20).unwrap();
        // 4×3 positions, patches of 3·3·2 values: im2col(x) and its gradient.
        assert_eq!((plan.activations, plan.buffers), (48 + 48 + 2, 2 * 12 * 18));
        let model = Sequential::from_configs(&[6, 5, 2], 0, &configs, super::super::MAX_PARAMS).unwrap();
        assert_eq!(model.memory_plan(), plan);
        assert_eq!(plan.prediction_bytes(1, 1), 4 * (plan.weights + 2 * 98 + 60 + 12 * 18 + 2));
    }
}
