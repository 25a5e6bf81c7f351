//! Keras' model configuration (the `.keras` archive's `config.json`, the `.h5` file's
//! `model_config` attribute) read into wxb's layer configs: Sequential models and Functional
//! models that are one chain, with the compile settings.

use serde_json::{Map, Value};

use super::PartError;
use super::columns::{self, Column};
use crate::io::CompileConfig;
use crate::layers::LayerConfig;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optim::{Clipping, LearningRate, OptimizerConfig, Rule};

/// A Keras model's architecture as wxb reads it.
#[derive(Debug)]
pub(super) struct KerasModel {
    /// The model's name.
    pub name: String,
    /// The shape of one input sample.
    pub input_shape: Vec<usize>,
    /// The layers after the input, in order.
    pub layers: Vec<Piece>,
    /// The compile settings, when the file has them.
    pub compile: Option<CompileConfig>,
    /// A structured-data model's columns (one input each): `input_shape` is then their width.
    pub columns: Option<Vec<Column>>,
}

/// One Keras layer.
#[derive(Debug)]
pub(super) enum Piece {
    /// A layer wxb has.
    Layer(LayerConfig),
    /// A leading `Normalization` layer (weights mean, variance, count): wxb's input
    /// standardization.
    Normalization {
        /// The layer's name.
        name: String,
        /// Statistics per element of the sample (`axis` is every axis but the batch), else per
        /// channel (`axis = -1`).
        per_element: bool,
    },
}

impl Piece {
    /// The layer's name in the file.
    pub fn name(&self) -> String {
        match self {
            Piece::Layer(c) => c.name().unwrap_or_default().to_string(),
            Piece::Normalization { name, .. } => name.clone(),
        }
    }
}

/// Keys of Keras' layer configs that wxb's configs do not have and that change nothing wxb
/// computes (the initializers: the weights come from the file).
const IGNORED: &[&str] = &[
    "trainable",
    "dtype",
    "autocast",
    "kernel_initializer",
    "bias_initializer",
    "beta_initializer",
    "gamma_initializer",
    "moving_mean_initializer",
    "moving_variance_initializer",
    "lora_alpha",
    "renorm_momentum",
];

/// Keys wxb lacks whose Keras value must be this one (any other value is refused).
const MUST_BE: &[(&str, &str)] = &[
    ("noise_shape", "null"),
    ("synchronized", "false"),
    ("rms_scaling", "false"),
    ("renorm", "false"),
    ("renorm_clipping", "null"),
    ("quantization_config", "null"),
    ("lora_rank", "null"),
];

/// Reads a model configuration (`{"class_name": "Sequential" | "Functional", "config": …}`) and,
/// when given, the compile configuration (`.keras`: the model config's `compile_config`; `.h5`: the
/// `training_config` attribute).
pub(super) fn read_model(config: &Value, compile: Option<&Value>) -> Result<KerasModel, PartError> {
    let class = config.get("class_name").and_then(Value::as_str).unwrap_or("");
    let body = config
        .get("config")
        .and_then(Value::as_object)
        .ok_or_else(|| PartError::new("config", "no \"config\" object"))?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or("model").to_string();
    let layers =
        body.get("layers").and_then(Value::as_array).ok_or_else(|| PartError::new("config", "no \"layers\" list"))?;
    let mut structured = None;
    match class {
        "Sequential" => {}
        "Functional" | "Model" => {
            structured = columns::read(layers, inbound_names)?;
            if structured.is_none() {
                check_chain(body, layers)?;
            } else {
                check_output(body, structured.as_ref().and_then(|s| s.chain.last().copied()))?;
            }
        }
        other => {
            return Err(PartError::new(
                "config",
                format!("model class {other:?} is not supported (Sequential or a single-chain Functional model)"),
            ));
        }
    }
    let mut input_shape = None;
    let mut pieces = Vec::new();
    let (chain, columns): (Vec<&Value>, _) = match structured {
        Some(s) => {
            // The width is known once the vocabularies are (see `assemble`).
            input_shape = Some(vec![0]);
            (s.chain, Some(s.columns))
        }
        None => (layers.iter().collect(), None),
    };
    for (i, layer) in chain.into_iter().enumerate() {
        let class = layer.get("class_name").and_then(Value::as_str).unwrap_or("");
        let cfg = layer.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
        let lname = cfg.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let part = format!("layer {lname:?} ({class})");
        if input_shape.is_none() {
            input_shape = declared_input(&cfg).or_else(|| built_input(layer));
        }
        match class {
            "InputLayer" => continue,
            "Normalization" if pieces.is_empty() => {
                let shape = input_shape.clone().unwrap_or_default();
                let per_element = normalization_axes(cfg.get("axis"), shape.len()).ok_or_else(|| {
                    PartError::new(
                        &part,
                        format!("axis {:?} is not supported (-1, or every axis but the batch)", cfg.get("axis")),
                    )
                })?;
                if cfg.get("invert").and_then(Value::as_bool) == Some(true) {
                    return Err(PartError::new(part, "invert=True is not supported"));
                }
                pieces.push(Piece::Normalization { name: lname, per_element });
            }
            "Normalization" => {
                return Err(PartError::new(part, "a Normalization layer is supported only as the first layer"));
            }
            _ => pieces.push(Piece::Layer(layer_config(class, cfg, &part, i)?)),
        }
    }
    let input_shape = input_shape.ok_or_else(|| PartError::new("config", "the model's input shape is not given"))?;
    let compile = compile.map(read_compile).transpose()?;
    Ok(KerasModel { name, input_shape, layers: pieces, compile, columns })
}

/// Whether a `Normalization`'s `axis` keeps every axis of a sample of rank `rank` (`Some(true)`)
/// or only the last (`Some(false)`); `None` for other axes.
fn normalization_axes(axis: Option<&Value>, rank: usize) -> Option<bool> {
    let axes: Vec<i64> = match axis? {
        Value::Number(n) => vec![n.as_i64()?],
        Value::Array(a) => a.iter().map(Value::as_i64).collect::<Option<_>>()?,
        _ => return None,
    };
    let all: Vec<i64> = (1..=rank as i64).collect();
    if axes == all {
        Some(true)
    } else if axes == [-1] || axes == [rank as i64] {
        Some(rank == 1)
    } else {
        None
    }
}

/// A Functional model must be one chain: each layer takes the output of the layer before it.
fn check_chain(body: &Map<String, Value>, layers: &[Value]) -> Result<(), PartError> {
    let mut previous: Option<&str> = None;
    for layer in layers {
        let cfg = layer.get("config");
        let name = cfg.and_then(|c| c.get("name")).and_then(Value::as_str).unwrap_or("");
        let inputs = inbound_names(layer);
        if let Some(prev) = previous
            && inputs != [prev]
        {
            return Err(PartError::new(
                format!("layer {name:?}"),
                format!("takes {inputs:?}, not the output of {prev:?}: only single-chain models are supported"),
            ));
        }
        previous = Some(name);
    }
    check_output(body, layers.last())
}

/// The model's output must be its last layer.
fn check_output(body: &Map<String, Value>, last: Option<&Value>) -> Result<(), PartError> {
    let outputs = body.get("output_layers").map(|o| o.to_string()).unwrap_or_default();
    let last = last.and_then(|l| l.get("config")).and_then(|c| c.get("name")).and_then(Value::as_str);
    if let Some(last) = last
        && !outputs.contains(&format!("\"{last}\""))
    {
        return Err(PartError::new("config", format!("the model's output {outputs} is not its last layer {last:?}")));
    }
    Ok(())
}

/// The names of the layers a Functional layer's inbound node reads (Keras 3's `keras_history`, or
/// Keras 2's `[[name, 0, 0, {}]]`).
fn inbound_names(layer: &Value) -> Vec<String> {
    let mut names = Vec::new();
    fn walk(v: &Value, names: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Array(h)) = o.get("keras_history")
                    && let Some(Value::String(n)) = h.first()
                {
                    names.push(n.clone());
                    return;
                }
                o.values().for_each(|v| walk(v, names));
            }
            Value::Array(a) => {
                if let [Value::String(n), Value::Number(_), Value::Number(_), ..] = a.as_slice() {
                    names.push(n.clone());
                } else {
                    a.iter().for_each(|v| walk(v, names));
                }
            }
            _ => {}
        }
    }
    if let Some(nodes) = layer.get("inbound_nodes") {
        walk(nodes, &mut names);
    }
    names
}

/// The sample shape a layer declares (`batch_shape` / `batch_input_shape`, batch dropped).
fn declared_input(cfg: &Map<String, Value>) -> Option<Vec<usize>> {
    let shape = cfg.get("batch_shape").or_else(|| cfg.get("batch_input_shape"))?.as_array()?;
    shape.iter().skip(1).map(|d| d.as_u64().map(|d| d as usize)).collect()
}

/// The input shape a built layer records (`build_config.input_shape`, batch dropped).
fn built_input(layer: &Value) -> Option<Vec<usize>> {
    let shape = layer.get("build_config")?.get("input_shape")?.as_array()?;
    shape.iter().skip(1).map(|d| d.as_u64().map(|d| d as usize)).collect()
}

/// Removes Keras' bookkeeping keys (`module`, `registered_name`, `shared_object_id`) from
/// serialized objects, recursively.
fn strip(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for k in ["module", "registered_name", "shared_object_id"] {
                o.remove(k);
            }
            o.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// One Keras layer config as wxb's: Keras' own keys and values (wxb's configs are Keras'), less
/// the keys that change nothing here; a key wxb does not know is refused, naming it.
fn layer_config(class: &str, mut cfg: Map<String, Value>, part: &str, _index: usize) -> Result<LayerConfig, PartError> {
    for k in IGNORED {
        cfg.remove(*k);
    }
    for (key, expected) in MUST_BE {
        // The value as Keras writes it in JSON (`"valid"`, `false`, `1`), compared as text.
        if let Some(v) = cfg.remove(*key).map(|v| v.to_string())
            && v != *expected
        {
            return Err(PartError::new(part, format!("{key} = {v} is not supported (only {expected})")));
        }
    }
    if class == "Dropout" || class == "SpatialDropout2D" {
        // Keras draws its masks with its own generator: the seed means nothing to wxb's.
        cfg.remove("seed");
    }
    let mut value = Value::Object(cfg);
    strip(&mut value);
    let entry = serde_json::json!({"class_name": class, "config": value});
    serde_json::from_value::<LayerConfig>(entry).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("unknown variant") {
            PartError::new(part, format!("layer kind {class} is not supported by wxb"))
        } else {
            PartError::new(part, text)
        }
    })
}

/// Keras' compile config: `{"optimizer": {...}, "loss": ..., "metrics": [...]}` (`.keras`), or the
/// `.h5` `training_config` (`optimizer_config` and `loss`, `metrics`).
fn read_compile(compile: &Value) -> Result<CompileConfig, PartError> {
    let part = "compile_config";
    let optimizer = compile
        .get("optimizer")
        .or_else(|| compile.get("optimizer_config"))
        .ok_or_else(|| PartError::new(part, "no optimizer"))?;
    let optimizer = read_optimizer(optimizer)?;
    let loss = match compile.get("loss") {
        Some(Value::String(s)) => s.parse::<Loss>().map_err(|e| PartError::new(part, format!("loss: {e}")))?,
        Some(v @ Value::Object(_)) => {
            let mut v = v.clone();
            strip(&mut v);
            serde_json::from_value::<Loss>(v.clone())
                .or_else(|_| {
                    v.get("class_name").and_then(Value::as_str).unwrap_or("").parse::<Loss>().map_err(|e| e.to_string())
                })
                .map_err(|e| PartError::new(part, format!("loss {v}: {e}")))?
        }
        other => return Err(PartError::new(part, format!("loss {other:?} is not supported (one loss by name)"))),
    };
    let mut metrics = Vec::new();
    if let Some(list) = compile.get("metrics").and_then(Value::as_array) {
        for m in list {
            let name = match m {
                Value::String(s) => s.clone(),
                Value::Object(o) => o.get("class_name").and_then(Value::as_str).unwrap_or("").to_string(),
                other => other.to_string(),
            };
            let metric = name.parse::<Metric>().map_err(|e| PartError::new(part, format!("metric {name:?}: {e}")))?;
            metrics.push(metric);
        }
    }
    Ok(CompileConfig { optimizer, loss, metrics })
}

/// Keras' serialized optimizer: the rule from its class name and hyperparameters, the learning
/// rate (a number or a schedule), clipping and weight decay.
pub(super) fn read_optimizer(value: &Value) -> Result<OptimizerConfig, PartError> {
    let part = "compile_config.optimizer";
    let mut value = value.clone();
    strip(&mut value);
    let class = value.get("class_name").and_then(Value::as_str).unwrap_or("").to_string();
    let cfg = value.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    let rule: Rule = serde_json::from_value(serde_json::json!({"class_name": class, "config": cfg}))
        .map_err(|e| PartError::new(part, format!("optimizer {class:?} is not supported ({e})")))?;
    let mut config = OptimizerConfig::new(rule);
    if let Some(lr) = cfg.get("learning_rate") {
        config.learning_rate = serde_json::from_value::<LearningRate>(lr.clone())
            .map_err(|e| PartError::new(part, format!("learning_rate {lr}: {e}")))?;
    }
    let number = |k: &str| cfg.get(k).and_then(Value::as_f64).map(|v| v as f32);
    config.weight_decay = number("weight_decay");
    config.clipping = match (number("clipnorm"), number("clipvalue"), number("global_clipnorm")) {
        (None, None, None) => Clipping::None,
        (Some(n), None, None) => Clipping::Norm(n),
        (None, Some(v), None) => Clipping::Value(v),
        (None, None, Some(g)) => Clipping::GlobalNorm(g),
        _ => return Err(PartError::new(part, "only one of clipnorm, clipvalue, global_clipnorm may be set")),
    };
    for key in ["use_ema", "gradient_accumulation_steps", "loss_scale_factor"] {
        if let Some(v) = cfg.get(key)
            && !(v.is_null() || *v == Value::Bool(false))
        {
            return Err(PartError::new(part, format!("{key} = {v} is not supported")));
        }
    }
    Ok(config)
}
