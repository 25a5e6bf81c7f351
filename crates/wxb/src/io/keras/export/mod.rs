//! Writing a wxb model as Keras files: the Keras 3 `.keras` archive (`config.json`,
//! `metadata.json`, `model.weights.h5` in Keras 3's layout, with the optimizer's state) and the
//! legacy `.h5` file. The model's input preprocessing goes in front (`layers.rs`: `Rescaling` and
//! `Normalization`, or one input per table column with its lookup), so the file takes the same raw
//! inputs as `wxb predict`; the `.keras` file's `metadata.json` keeps wxb's metadata (the data
//! schema, the training state) for wxb to read back.

mod compile;
mod layers;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::PartError;
use super::tree::Node;
use crate::io::{LoadedModel, ModelIoError, atomic};
use crate::model::Sequential;
use crate::tensor::Tensor;
pub(in crate::io::keras) use compile::snake_case;
use compile::{Variable, compile_config, optimizer_variables};
use layers::{KerasLayers, keras_layers};

/// The Keras version the files say they were written for.
const KERAS_VERSION: &str = "3.15.1";

/// The key of `metadata.json` under which wxb keeps its own metadata (the data schema, the
/// training state): Keras ignores it, and rewrites `metadata.json` without it when it saves.
pub(in crate::io::keras) const WXB_METADATA_KEY: &str = "wxb";

/// One layer of the Keras model: its serialized config, its variables in Keras' order, the shape
/// (batch excluded) and dtype of its output, and (in a Functional model) the indices of the
/// layers it reads.
struct KerasLayer {
    class: String,
    name: String,
    config: Value,
    variables: Vec<Tensor>,
    output: Vec<usize>,
    dtype: &'static str,
    inbound: Vec<usize>,
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

/// Writes `model` with its wxb `metadata` (the data schema, the training state) as a Keras 3
/// `.keras` archive at `path` (atomically): [`write_keras`] for a model not held in a
/// [`LoadedModel`].
///
/// # Errors
/// As [`write_keras`].
pub fn save_keras(
    model: &Sequential,
    metadata: &BTreeMap<String, serde_json::Value>,
    path: &Path,
) -> Result<(), ModelIoError> {
    let bytes = archive_bytes(model, metadata).map_err(|e| e.at(path))?;
    atomic::write_atomic(path, &bytes).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })
}

/// The `.keras` archive's bytes.
fn keras_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, PartError> {
    archive_bytes(&loaded.model, &loaded.metadata)
}

/// The `.keras` archive's bytes of `model` and its wxb `metadata` (kept in `metadata.json`).
fn archive_bytes(model: &Sequential, metadata: &BTreeMap<String, serde_json::Value>) -> Result<Vec<u8>, PartError> {
    let layers = keras_layers(model, metadata)?;
    let mut config = model_config(model, &layers);
    if let Some(compile) = compile_config(model) {
        config["compile_config"] = compile;
    }
    let mut weights = Node::default();
    weights.attr("name", model.name());
    weights.group("vars").attr("name", model.name());
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    let layers_group = weights.group("layers");
    for layer in &layers.list {
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
    let mut about = json!({"keras_version": KERAS_VERSION, "date_saved": "wxb"});
    if !metadata.is_empty() {
        about[WXB_METADATA_KEY] = json!(metadata);
    }
    let metadata = serde_json::to_vec(&about).expect("JSON serialises");
    super::archive::write(&[("metadata.json", &metadata), ("config.json", &config), ("model.weights.h5", &h5)])
        .map_err(|e| PartError::new("zip archive", e))
}

/// The legacy `.h5` file's bytes.
fn h5_bytes(loaded: &LoadedModel) -> Result<Vec<u8>, PartError> {
    let model = &loaded.model;
    let layers = keras_layers(model, &loaded.metadata)?;
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
    weights.strings("layer_names", layers.list.iter().map(|l| l.name.clone()).collect());
    for layer in &layers.list {
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

/// `{"class_name": "Sequential", "config": {...}}` with an InputLayer and every layer, or a
/// `Functional` model of one input per table column.
fn model_config(model: &Sequential, layers: &KerasLayers) -> Value {
    if layers.functional {
        return functional_config(model, &layers.list);
    }
    let mut batch_shape = vec![Value::Null];
    batch_shape.extend(model.input_shape().iter().map(|&d| json!(d)));
    let mut list = vec![json!({
        "module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
        "config": {"batch_shape": batch_shape.clone(), "dtype": "float32", "sparse": false, "name": "input_layer"},
    })];
    for l in &layers.list {
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

/// A Functional model's config: every layer with the Keras tensors it reads (`inbound_nodes`), the
/// inputs by name (`input_layers`, a dict: `model.predict({column: values, …})`), the last layer
/// the output.
fn functional_config(model: &Sequential, layers: &[KerasLayer]) -> Value {
    let tensor = |l: &KerasLayer| {
        let mut shape = vec![Value::Null];
        shape.extend(l.output.iter().map(|&d| json!(d)));
        json!({"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": l.dtype, "keras_history": [l.name, 0, 0]}})
    };
    let mut list = Vec::with_capacity(layers.len());
    let mut inputs = serde_json::Map::new();
    for l in layers {
        let inbound = match l.inbound.as_slice() {
            [] => {
                inputs.insert(l.name.clone(), json!([l.name, 0, 0]));
                json!([])
            }
            [one] if l.class != "Concatenate" => json!([{"args": [tensor(&layers[*one])], "kwargs": {}}]),
            many => json!([{"args": [many.iter().map(|&i| tensor(&layers[i])).collect::<Vec<_>>()], "kwargs": {}}]),
        };
        list.push(json!({"module": "keras.layers", "class_name": l.class, "config": l.config, "registered_name": null,
            "name": l.name, "inbound_nodes": inbound}));
    }
    let last = layers.last().map(|l| l.name.clone()).unwrap_or_default();
    json!({
        "module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
        "config": {"name": model.name(), "trainable": true, "layers": list, "input_layers": inputs,
            "output_layers": [last, 0, 0]},
        "build_config": {"input_shape": null},
    })
}
