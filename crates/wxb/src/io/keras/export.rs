//! Writing a wxb model as Keras files: the Keras 3 `.keras` archive (`config.json`,
//! `metadata.json`, `model.weights.h5` in Keras 3's layout, with the optimizer's state) and the
//! legacy `.h5` file. The model's input preprocessing (its schema's scaling and standardization)
//! goes in front as Keras `Rescaling` and `Normalization` layers, so the file takes the same raw
//! inputs as `wxb predict`.

use std::path::Path;

use serde_json::{Value, json};

use super::PartError;
use super::tree::Node;
use crate::data::Schema;
use crate::io::{LoadedModel, ModelIoError, atomic};
use crate::model::Sequential;
use crate::optim::{Clipping, LearningRate, Optimizer};
use crate::tensor::Tensor;

/// The Keras version the files say they were written for.
const KERAS_VERSION: &str = "3.15.1";

/// One layer of the Keras model: its serialized config and its variables in Keras' order.
struct KerasLayer {
    class: String,
    name: String,
    config: Value,
    variables: Vec<Tensor>,
}

/// Writes `loaded` as a Keras 3 `.keras` archive at `path` (atomically), with the optimizer's
/// state when the model is compiled.
///
/// # Errors
/// [`ModelIoError::Part`] when the model's preprocessing cannot be expressed in Keras (a table
/// with text columns), [`ModelIoError::Io`] when writing fails.
pub fn write_keras(loaded: &mut LoadedModel, path: &Path) -> Result<(), ModelIoError> {
    let bytes = keras_bytes(loaded).map_err(|e| e.at(path))?;
    atomic::write_atomic(path, &bytes).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })
}

/// Writes `loaded` as a legacy Keras `.h5` file at `path` (atomically).
///
/// # Errors
/// As [`write_keras`].
pub fn write_h5(loaded: &mut LoadedModel, path: &Path) -> Result<(), ModelIoError> {
    let bytes = h5_bytes(loaded).map_err(|e| e.at(path))?;
    atomic::write_atomic(path, &bytes).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })
}

/// The bytes [`write_keras`] writes (errors name the file `model.keras`).
///
/// # Errors
/// As [`write_keras`].
pub fn to_keras_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, ModelIoError> {
    keras_bytes(loaded).map_err(|e| e.at(Path::new("model.keras")))
}

/// The bytes [`write_h5`] writes (errors name the file `model.h5`).
///
/// # Errors
/// As [`write_keras`].
pub fn to_h5_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, ModelIoError> {
    h5_bytes(loaded).map_err(|e| e.at(Path::new("model.h5")))
}

/// The `.keras` archive's bytes.
fn keras_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, PartError> {
    let model = &loaded.model;
    let layers = keras_layers(model, loaded)?;
    let mut config = model_config(model, &layers);
    if let Some(compile) = compile_config(model) {
        config["compile_config"] = compile;
    }
    let mut weights = Node::default();
    weights.attr("name", model.name());
    weights.group("vars").attr("name", model.name());
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    let layers_group = weights.group("layers");
    for layer in &layers {
        let snake = snake_case(&layer.class);
        let n = used.entry(snake.clone()).and_modify(|n| *n += 1).or_insert(0);
        let key = if *n == 0 { snake } else { format!("{snake}_{n}") };
        let vars = layers_group.group(&key).group("vars");
        vars.attr("name", &layer.name);
        for (i, v) in layer.variables.iter().enumerate() {
            if is_count(layer, i) {
                vars.i64(&i.to_string(), v.data()[0] as i64);
            } else {
                vars.f32(&i.to_string(), v);
            }
        }
    }
    if let Some(opt) = model.optimizer() {
        let vars = weights.group("optimizer").group("vars");
        vars.attr("name", &snake_case(opt.config().rule.class_name()).to_lowercase());
        for (i, v) in optimizer_variables(model, opt).into_iter().enumerate() {
            match v {
                Variable::Step(s) => vars.i64(&i.to_string(), s),
                Variable::Float(t) => vars.f32(&i.to_string(), &t),
            }
        }
    }
    let h5 = weights.to_bytes().map_err(|e| PartError::new("model.weights.h5", e))?;
    let config = serde_json::to_vec(&config).expect("JSON serialises");
    let metadata = serde_json::to_vec(&json!({"keras_version": KERAS_VERSION, "date_saved": "wxb"})).expect("JSON");
    super::archive::write(&[("metadata.json", &metadata), ("config.json", &config), ("model.weights.h5", &h5)])
        .map_err(|e| PartError::new("zip archive", e))
}

/// The legacy `.h5` file's bytes.
fn h5_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, PartError> {
    let model = &loaded.model;
    let layers = keras_layers(model, loaded)?;
    let config = model_config(model, &layers);
    let mut root = Node::default();
    root.attr("model_config", &config.to_string());
    root.attr("keras_version", KERAS_VERSION);
    root.attr("backend", "tensorflow");
    if let Some(compile) = compile_config(model) {
        let mut training = compile.clone();
        if let Some(o) = training.as_object_mut() {
            let optimizer = o.remove("optimizer").unwrap_or(Value::Null);
            o.insert("optimizer_config".into(), optimizer);
        }
        root.attr("training_config", &training.to_string());
    }
    let weights = root.group("model_weights");
    weights.attr("keras_version", KERAS_VERSION);
    weights.attr("backend", "tensorflow");
    weights.strings("layer_names", layers.iter().map(|l| l.name.clone()).collect());
    for layer in &layers {
        let group = weights.group(&layer.name);
        let names = variable_names(&layer.class, layer.variables.len());
        group.strings("weight_names", names.iter().map(|n| format!("{}/{n}", layer.name)).collect());
        let inner = group.group(&layer.name);
        for (i, (n, v)) in names.iter().zip(&layer.variables).enumerate() {
            if is_count(layer, i) {
                inner.i64(n, v.data()[0] as i64);
            } else {
                inner.f32(n, v);
            }
        }
    }
    root.to_bytes().map_err(|e| PartError::new("HDF5", e))
}

/// Whether variable `i` of `layer` is Keras' int64 sample count (a `Normalization`'s third).
fn is_count(layer: &KerasLayer, i: usize) -> bool {
    layer.class == "Normalization" && i == 2
}

/// Keras' variable names of a layer kind, in its order.
fn variable_names(class: &str, count: usize) -> Vec<String> {
    let names: &[&str] = match class {
        "BatchNormalization" => &["gamma", "beta", "moving_mean", "moving_variance"],
        "LayerNormalization" => &["gamma", "beta"],
        "Normalization" => &["mean", "variance", "count"],
        _ => &["kernel", "bias"],
    };
    (0..count).map(|i| names.get(i).map_or_else(|| format!("variable_{i}"), |n| (*n).to_string())).collect()
}

/// The model's layers as Keras', the preprocessing first.
fn keras_layers(model: &Sequential, loaded: &LoadedModel) -> Result<Vec<KerasLayer>, PartError> {
    let mut out = Vec::new();
    if let Ok(schema) = Schema::from_metadata(&loaded.metadata) {
        preprocessing(&schema, model.input_shape(), &mut out)?;
    }
    for layer in model.layers() {
        let entry = serde_json::to_value(layer.config()).expect("layer configs serialise");
        let class = entry["class_name"].as_str().unwrap_or_default().to_string();
        let mut config = entry["config"].clone();
        keras_values(&mut config);
        config["name"] = json!(layer.name());
        config["trainable"] = json!(true);
        config["dtype"] = json!("float32");
        out.push(KerasLayer {
            class,
            name: layer.name().to_string(),
            config,
            variables: layer.params().iter().map(|p| p.value.clone()).collect(),
        });
    }
    Ok(out)
}

/// wxb's config values as Keras reads them: initializers, regularizers and constraints as Keras
/// objects with their module.
fn keras_values(config: &mut Value) {
    let Some(map) = config.as_object_mut() else { return };
    for (key, value) in map.iter_mut() {
        let module = if key.ends_with("_initializer") {
            "keras.initializers"
        } else if key.ends_with("_regularizer") {
            "keras.regularizers"
        } else if key.ends_with("_constraint") {
            "keras.constraints"
        } else {
            continue;
        };
        if let Value::Object(o) = value
            && o.contains_key("class_name")
        {
            o.insert("module".into(), json!(module));
            o.insert("registered_name".into(), Value::Null);
            o.entry("config").or_insert_with(|| json!({}));
        }
    }
}

/// The schema's scaling and standardization as `Rescaling` and `Normalization` layers.
fn preprocessing(schema: &Schema, input_shape: &[usize], out: &mut Vec<KerasLayer>) -> Result<(), PartError> {
    let features: usize = input_shape.iter().product();
    let mut stats: Option<(Vec<f32>, Vec<f32>)> = None;
    if let Some(columns) = &schema.columns {
        let (mut mean, mut variance) = (Vec::new(), Vec::new());
        for c in columns {
            match (&c.layer, c.missing_indicator) {
                (None, false) => {
                    mean.push(0.0);
                    variance.push(1.0);
                }
                (Some(crate::data::table::PrepLayer::Normalization { variables, .. }), false) => {
                    mean.push(variables.mean[0]);
                    variance.push(variables.variance[0]);
                }
                _ => {
                    return Err(PartError::new(
                        format!("preprocessing of column {:?}", c.name),
                        "a lookup or missing-value indicator cannot be exported to Keras (numeric, normalized columns only)",
                    ));
                }
            }
        }
        if mean.iter().any(|&m| m != 0.0) || variance.iter().any(|&v| v != 1.0) {
            stats = Some((mean, variance));
        }
    }
    if schema.scale != 1.0 {
        let config =
            json!({"name": "rescaling", "scale": schema.scale, "offset": 0.0, "trainable": true, "dtype": "float32"});
        out.push(KerasLayer { class: "Rescaling".into(), name: "rescaling".into(), config, variables: Vec::new() });
    }
    if let Some(s) = &schema.standardize {
        stats = Some((s.mean.clone(), s.std.iter().map(|d| d * d).collect()));
    }
    if let Some((mean, variance)) = stats {
        if mean.len() != features {
            return Err(PartError::new("preprocessing", format!("{} statistics for {features} inputs", mean.len())));
        }
        // Per input element: Normalization over every axis but the batch.
        let axis: Vec<i64> = (1..=input_shape.len() as i64).collect();
        let config = json!({"name": "normalization", "axis": axis, "invert": false, "mean": null, "variance": null,
            "trainable": true, "dtype": "float32"});
        let variables = vec![
            Tensor::from_vec(input_shape, mean),
            Tensor::from_vec(input_shape, variance),
            Tensor::from_vec(&[], vec![0.0]),
        ];
        out.push(KerasLayer { class: "Normalization".into(), name: "normalization".into(), config, variables });
    }
    Ok(())
}

/// `{"class_name": "Sequential", "config": {...}}` with an InputLayer and every layer.
fn model_config(model: &Sequential, layers: &[KerasLayer]) -> Value {
    let mut batch_shape = vec![Value::Null];
    batch_shape.extend(model.input_shape().iter().map(|&d| json!(d)));
    let mut list = vec![json!({
        "module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
        "config": {"batch_shape": batch_shape.clone(), "dtype": "float32", "sparse": false, "name": "input_layer"},
    })];
    for l in layers {
        list.push(
            json!({"module": "keras.layers", "class_name": l.class, "config": l.config, "registered_name": null}),
        );
    }
    json!({
        "module": "keras", "class_name": "Sequential", "registered_name": null,
        "config": {"name": model.name(), "trainable": true, "dtype": "float32", "layers": list},
        "build_config": {"input_shape": batch_shape},
    })
}

/// Keras' `compile_config` for a compiled model.
fn compile_config(model: &Sequential) -> Option<Value> {
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
enum Variable {
    Step(i64),
    Float(Tensor),
}

/// Keras' `optimizer.variables`: the step count, the learning rate (when constant), then each
/// trainable variable's slots; slots the optimizer has not made yet (no step taken) start at the
/// rule's initial values, as Keras builds them.
fn optimizer_variables(model: &Sequential, opt: &Optimizer) -> Vec<Variable> {
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
    out.extend(state.scalars.into_iter().map(|(_, v)| Variable::Float(Tensor::from_vec(&[], vec![v]))));
    out
}

/// Keras' `naming.to_snake_case`: `BatchNormalization` → `batch_normalization`, `Conv2D` →
/// `conv2d`, `MaxPooling2D` → `max_pooling2d`.
pub(super) fn snake_case(name: &str) -> String {
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
