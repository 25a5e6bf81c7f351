//! The compile settings and the optimizer's state as Keras writes them: `compile_config` and the
//! `optimizer/vars` of `model.weights.h5`.

use serde_json::{Value, json};

use crate::model::Sequential;
use crate::optim::{Clipping, LearningRate, Optimizer};
use crate::tensor::Tensor;

/// Keras' `compile_config` for a compiled model.
pub(super) fn compile_config(model: &Sequential) -> Option<Value> {
    let compiled = model.compiled()?;
    let config = compiled.optimizer.config();
    let rule = serde_json::to_value(&config.rule).expect("rules serialise");
    let mut hyper = rule["config"].as_object().cloned().unwrap_or_default();
    hyper.insert("name".into(), json!(snake_case(config.rule.class_name()).to_lowercase()));
    hyper.insert("learning_rate".into(), learning_rate(&config.learning_rate));
    hyper.insert("weight_decay".into(), json!(config.weight_decay));
    let (norm, value, global) = match config.clipping {
        Clipping::Norm(n) => (Some(n), None, None),
        Clipping::Value(v) => (None, Some(v), None),
        Clipping::GlobalNorm(g) => (None, None, Some(g)),
        _ => (None, None, None),
    };
    hyper.insert("clipnorm".into(), json!(norm));
    hyper.insert("clipvalue".into(), json!(value));
    hyper.insert("global_clipnorm".into(), json!(global));
    let loss = compiled.loss;
    let loss_value = if loss.name().parse::<crate::losses::Loss>().ok() == Some(loss) {
        json!(loss.name())
    } else {
        let mut v = serde_json::to_value(loss).expect("losses serialise");
        if let Value::Object(o) = &mut v {
            o.insert("module".into(), json!("keras.losses"));
            o.insert("registered_name".into(), Value::Null);
        }
        v
    };
    Some(json!({
        "optimizer": {"module": "keras.optimizers", "class_name": config.rule.class_name(), "config": hyper, "registered_name": null},
        "loss": loss_value,
        "loss_weights": null,
        "metrics": compiled.metrics.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "weighted_metrics": null,
        "run_eagerly": false,
        "steps_per_execution": 1,
        "jit_compile": false,
    }))
}

/// A learning rate as Keras serializes it: a number, or a schedule object.
fn learning_rate(lr: &LearningRate) -> Value {
    let mut v = serde_json::to_value(lr).expect("schedules serialise");
    if let Value::Object(o) = &mut v {
        o.insert("module".into(), json!("keras.optimizers.schedules"));
        o.insert("registered_name".into(), Value::Null);
    }
    v
}

/// One of Keras' optimizer variables.
pub(super) enum Variable {
    Step(i64),
    Float(Tensor),
}

/// Keras' `optimizer.variables`: the step count, the learning rate (when constant), then each
/// trainable variable's slots; slots the optimizer has not made yet (no step taken) start at the
/// rule's initial values, as Keras builds them.
pub(super) fn optimizer_variables(model: &Sequential, opt: &Optimizer) -> Vec<Variable> {
    let mut out = vec![Variable::Step(opt.iterations() as i64)];
    if let LearningRate::Constant(lr) = opt.config().learning_rate {
        out.push(Variable::Float(Tensor::from_vec(&[], vec![lr])));
    }
    let state = opt.state();
    if state.tensors.is_empty() {
        let rule = opt.config().rule.math();
        let names = rule.slot_names();
        let shapes: Vec<Vec<usize>> =
            model.params().filter(|(_, _, p)| p.trainable).map(|(_, _, p)| p.value.shape().to_vec()).collect();
        for group in rule.slot_groups() {
            for shape in &shapes {
                for name in &group {
                    let s = names.iter().position(|n| n == name).unwrap_or(0);
                    let n = shape.iter().product();
                    out.push(Variable::Float(Tensor::from_vec(shape, vec![rule.initial_slot_value(s); n])));
                }
            }
        }
    } else {
        out.extend(state.tensors.into_iter().map(|(_, t)| Variable::Float(t)));
    }
    // Nadam's `u_product`, built after the slots (its initial value before the first step).
    let scalars = if state.scalars.is_empty() {
        opt.config().rule.math().scalars().into_iter().map(|(_, v)| v).collect()
    } else {
        state.scalars.into_iter().map(|(_, v)| v).collect::<Vec<f32>>()
    };
    out.extend(scalars.into_iter().map(|v| Variable::Float(Tensor::from_vec(&[], vec![v]))));
    out
}

/// Keras' `naming.to_snake_case`: `BatchNormalization` → `batch_normalization`, `Conv2D` →
/// `conv2d`, `MaxPooling2D` → `max_pooling2d`.
pub(in crate::io::keras) fn snake_case(name: &str) -> String {
    let c: Vec<char> = name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    // (.)([A-Z][a-z]+) → \1_\2, then ([a-z])([A-Z]) → \1_\2, lowercased.
    let mut first = String::new();
    for (i, &ch) in c.iter().enumerate() {
        if i > 0 && ch.is_ascii_uppercase() && c.get(i + 1).is_some_and(char::is_ascii_lowercase) {
            first.push('_');
        }
        first.push(ch);
    }
    let f: Vec<char> = first.chars().collect();
    let mut out = String::new();
    for (i, &ch) in f.iter().enumerate() {
        if i > 0 && ch.is_ascii_uppercase() && f[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(ch);
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_is_keras() {
        assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
        assert_eq!(snake_case("Conv2D"), "conv2d");
        assert_eq!(snake_case("MaxPooling2D"), "max_pooling2d");
        assert_eq!(snake_case("GlobalAveragePooling1D"), "global_average_pooling1d");
        assert_eq!(snake_case("Dense"), "dense");
        assert_eq!(snake_case("RMSprop"), "rm_sprop");
        assert_eq!(snake_case("ZeroPadding2D"), "zero_padding2d");
    }
}
