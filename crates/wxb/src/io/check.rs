//! Checks of a loaded configuration's values that the model types would otherwise meet as panics
//! or absurd allocations later (at `compile`, `evaluate` or the next training step).

use std::path::Path;

use super::weights::{Decoded, expect};
use super::{CompileConfig, ModelIoError, SequentialConfig};
use crate::error::WxbError;
use crate::metrics::Metric;
use crate::optim::{Clipping, LearningRate, OptimizerConfig};

/// The most thresholds an `AUC` metric read from a file may have (Keras' default is 200).
pub const MAX_AUC_THRESHOLDS: usize = 1 << 20;
/// The most optimizer steps a file may claim: 2⁵³, so that the step counts exactly in the `f64`
/// schedules and never overflows when training goes on.
pub const MAX_ITERATIONS: u64 = 1 << 53;

/// The optimizer's schedule and step count, and the metrics' parameters.
pub(super) fn compile_settings(
    path: &Path,
    compile: Option<&CompileConfig>,
    iterations: Option<u64>,
) -> Result<(), ModelIoError> {
    let invalid = |message: String| ModelIoError::Config { path: path.to_path_buf(), line: 1, column: 1, message };
    if let Some(n) = iterations.filter(|&n| n > MAX_ITERATIONS) {
        return Err(invalid(format!("optimizer_iterations = {n} is more than the {MAX_ITERATIONS} steps accepted")));
    }
    let Some(c) = compile else { return Ok(()) };
    c.optimizer.learning_rate.validate().map_err(|e| invalid(format!("optimizer: {e}")))?;
    optimizer_numbers(&c.optimizer).map_err(|e| invalid(format!("optimizer: {e}")))?;
    for m in &c.metrics {
        if let Metric::Auc { num_thresholds, .. } = *m
            && !(2..=MAX_AUC_THRESHOLDS).contains(&num_thresholds)
        {
            return Err(invalid(format!(
                "metric auc: num_thresholds = {num_thresholds} must be in 2..={MAX_AUC_THRESHOLDS}"
            )));
        }
    }
    Ok(())
}

/// The optimizer's numbers read from a file: a constant learning rate finite and positive (a
/// negative one climbs the loss), the weight decay and every hyperparameter of the rule finite and
/// non-negative (no Keras optimizer takes a negative `beta`, `rho`, `epsilon` or `momentum`; Ftrl's
/// `learning_rate_power` non-positive), and a
/// clipping threshold finite. Keras' own constructors accept some of these; a file that holds them
/// is damaged or hand-edited, and training on from it would move the weights the wrong way.
fn optimizer_numbers(c: &OptimizerConfig) -> Result<(), String> {
    if let LearningRate::Constant(lr) = c.learning_rate
        && !(lr.is_finite() && lr > 0.0)
    {
        return Err(format!("learning_rate = {lr} must be a finite positive number"));
    }
    if let Some(wd) = c.weight_decay.filter(|wd| !(wd.is_finite() && *wd >= 0.0)) {
        return Err(format!("weight_decay = {wd} must be finite and non-negative"));
    }
    if let Clipping::Norm(v) | Clipping::Value(v) | Clipping::GlobalNorm(v) = c.clipping
        && !v.is_finite()
    {
        return Err(format!("clipping threshold {v} must be finite"));
    }
    let rule = serde_json::to_value(&c.rule).map_err(|e| e.to_string())?;
    let class = rule.get("class_name").and_then(|v| v.as_str()).unwrap_or("optimizer").to_string();
    if let Some(serde_json::Value::Object(config)) = rule.get("config") {
        for (name, value) in config {
            // serde_json writes a non-finite f32 as null.
            // Ftrl's learning_rate_power is the one that must be ≤ 0 instead.
            let (sign, ok): (&str, fn(f64) -> bool) = match name.as_str() {
                "learning_rate_power" => ("non-positive", |v| v <= 0.0),
                _ => ("non-negative", |v| v >= 0.0),
            };
            let bad = match value {
                serde_json::Value::Number(n) => n.as_f64().filter(|v| !ok(*v)).map(|v| (v as f32).to_string()),
                serde_json::Value::Null => Some("null".to_string()),
                _ => None,
            };
            if let Some(v) = bad {
                return Err(format!("{class} {name} = {v} must be finite and {sign}"));
            }
        }
    }
    Ok(())
}

/// The error for an architecture [`Sequential::from_configs`](crate::Sequential::from_configs)
/// refused; a model larger than the weights file (`budget` values) is named as such.
pub(super) fn invalid(path: &Path, e: WxbError, budget: u64) -> ModelIoError {
    let source = match e {
        WxbError::ModelTooLarge { params, .. } => {
            WxbError::ModelTooLarge { params, limit: budget, why: "the weights file holds only that many values" }
        }
        e => e,
    };
    ModelIoError::Invalid { path: path.to_path_buf(), source }
}

/// Every weight the architecture needs is in the weights file with its shape: checked layer by
/// layer from the configurations alone, so that a configuration disagreeing with its weights
/// (however large it claims to be) is named precisely before anything is built. An invalid layer
/// stops the walk; [`Sequential::from_configs`](crate::Sequential::from_configs) reports it.
pub(super) fn weights_present(path: &Path, arch: &SequentialConfig, decoded: &Decoded) -> Result<(), ModelIoError> {
    let mut shape = arch.input_shape.clone();
    for (i, layer) in arch.layers.iter().enumerate() {
        let Ok(plan) = layer.validate(&shape) else { return Ok(()) };
        for (name, weight) in &plan.weights {
            expect(path, decoded, &format!("layers.{i}.{name}"), weight)?;
        }
        shape = plan.output_shape;
    }
    Ok(())
}
