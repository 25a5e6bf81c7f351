//! Keras' "structured data" models: a Functional model with one named input of shape `(1,)` per
//! table column, each column's `StringLookup` / `IntegerLookup` (one-hot) or `Normalization`, a
//! `Concatenate` of the columns, then a chain of layers. wxb reads the front into a table
//! [`Schema`](crate::data::Schema)'s columns (so `wxb predict` takes the raw columns, text
//! included) and the chain into the model.

use serde_json::{Map, Value};

use super::PartError;
use crate::data::table::{
    ColumnKind, ColumnPrep, Impute, IntegerLookupConfig, NormalizationConfig, NormalizationVariables, PrepLayer,
    StringLookupConfig,
};

/// One column of the model: its input's name and how it is prepared.
#[derive(Debug)]
pub(super) struct Column {
    /// The input's (the column's) name.
    pub name: String,
    /// Its preprocessing layer.
    pub layer: ColumnLayer,
}

/// A column's preprocessing as read from the configuration.
#[derive(Debug)]
pub(super) enum ColumnLayer {
    /// The number as it is.
    Plain,
    /// `Normalization` over the column (statistics from the weights, or the config's constants).
    Normalization {
        /// The layer's name (its weights' `vars` group).
        layer: String,
        /// `mean` and `variance` given to the constructor, if they were.
        constants: Option<(f32, f32)>,
    },
    /// A one-hot `StringLookup` or `IntegerLookup`; its vocabulary is empty until read from the
    /// archive's assets when the config has none (an adapted layer).
    Lookup {
        /// The lookup, its vocabulary from the config when there.
        prep: PrepLayer,
        /// Whether the vocabulary is still to be read from the assets.
        from_assets: bool,
        /// The layer's key in the archive (`layers/string_lookup`): its assets folder.
        key: String,
    },
}

/// The columns of a structured-data model and the layers after its `Concatenate`, in order.
pub(super) struct Structured<'a> {
    pub columns: Vec<Column>,
    pub chain: Vec<&'a Value>,
}

fn class(layer: &Value) -> &str {
    layer.get("class_name").and_then(Value::as_str).unwrap_or("")
}

fn layer_name(layer: &Value) -> String {
    layer.get("config").and_then(|c| c.get("name")).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Reads the front of a Functional model with more than one `InputLayer`; `None` for a model with
/// one input. `inbound` gives the names of the layers a layer reads.
pub(super) fn read<'a>(
    layers: &'a [Value],
    inbound: impl Fn(&Value) -> Vec<String>,
) -> Result<Option<Structured<'a>>, PartError> {
    let inputs: Vec<&Value> = layers.iter().filter(|l| class(l) == "InputLayer").collect();
    if inputs.len() < 2 {
        return Ok(None);
    }
    for input in &inputs {
        let cfg = input.get("config").cloned().unwrap_or_default();
        let shape = cfg.get("batch_shape").or_else(|| cfg.get("batch_input_shape"));
        if shape != Some(&serde_json::json!([null, 1])) {
            return Err(PartError::new(
                format!("input {:?}", layer_name(input)),
                format!(
                    "shape {}: a model of several inputs is read as one input of shape (1,) per table column",
                    shape.map_or("unknown".into(), Value::to_string)
                ),
            ));
        }
    }
    let input_names: Vec<String> = inputs.iter().map(|l| layer_name(l)).collect();
    // Keras 3's weight and asset keys: snake_case class names numbered in `model.layers` order.
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    let keys: Vec<String> = layers
        .iter()
        .map(|l| {
            let snake = super::export::snake_case(class(l));
            let n = used.entry(snake.clone()).and_modify(|n| *n += 1).or_insert(0);
            if *n == 0 { format!("layers/{snake}") } else { format!("layers/{snake}_{n}") }
        })
        .collect();
    let mut prepared: Vec<(String, ColumnLayer)> = Vec::new(); // (the layer's name, the column's input)
    let mut of_input: Vec<Option<usize>> = vec![None; inputs.len()];
    let mut concatenate = None;
    let mut chain = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let name = layer_name(layer);
        let part = format!("layer {name:?} ({})", class(layer));
        let reads = inbound(layer);
        match class(layer) {
            "InputLayer" => continue,
            _ if concatenate.is_some() => chain.push(layer),
            "Concatenate" => {
                let axis = layer.get("config").and_then(|c| c.get("axis")).and_then(Value::as_i64);
                if !matches!(axis, Some(-1 | 1)) {
                    return Err(PartError::new(part, "only a Concatenate over the last axis is supported"));
                }
                concatenate = Some((name, reads));
            }
            kind @ ("StringLookup" | "IntegerLookup" | "Normalization") => {
                let [input] = reads.as_slice() else {
                    return Err(PartError::new(part, format!("reads {reads:?}: expected one of the inputs")));
                };
                let Some(k) = input_names.iter().position(|n| n == input) else {
                    return Err(PartError::new(part, format!("reads {input:?}, not one of the model's inputs")));
                };
                if of_input[k].is_some() {
                    return Err(PartError::new(part, format!("input {input:?} is prepared twice")));
                }
                of_input[k] = Some(prepared.len());
                let cfg = layer.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
                let column = column_layer(kind, &cfg, input, name.clone(), keys[i].clone())
                    .map_err(|message| PartError::new(part, message))?;
                prepared.push((name, column));
            }
            other => {
                return Err(PartError::new(
                    part,
                    format!(
                        "a model of several inputs must prepare each column (StringLookup, IntegerLookup, \
                         Normalization) and Concatenate them; {other} before the Concatenate is not supported"
                    ),
                ));
            }
        }
    }
    let Some((concat_name, order)) = concatenate else {
        return Err(PartError::new("config", "a model of several inputs without a Concatenate of them"));
    };
    let mut prepared: Vec<Option<(String, ColumnLayer)>> = prepared.into_iter().map(Some).collect();
    let mut taken = vec![false; inputs.len()];
    let mut columns = Vec::with_capacity(order.len());
    for source in &order {
        let part = || format!("layer {concat_name:?} (Concatenate)");
        let k = match input_names.iter().position(|n| n == source) {
            Some(k) if of_input[k].is_none() => k,
            Some(_) => return Err(PartError::new(part(), format!("reads input {source:?} and its preprocessing"))),
            None => of_input
                .iter()
                .position(|p| p.is_some_and(|j| prepared[j].as_ref().is_some_and(|(n, _)| n == source)))
                .ok_or_else(|| PartError::new(part(), format!("reads {source:?}, which is no column's input")))?,
        };
        if taken[k] {
            return Err(PartError::new(part(), format!("reads column {:?} twice", input_names[k])));
        }
        taken[k] = true;
        let layer = match of_input[k] {
            Some(j) => prepared[j].take().map_or(ColumnLayer::Plain, |(_, l)| l),
            None => ColumnLayer::Plain,
        };
        columns.push(Column { name: input_names[k].clone(), layer });
    }
    if let Some(k) = taken.iter().position(|t| !t) {
        return Err(PartError::new(
            format!("input {:?}", input_names[k]),
            format!("not read by the Concatenate {concat_name:?}"),
        ));
    }
    // The chain after the Concatenate.
    let mut previous = concat_name;
    for layer in &chain {
        let reads = inbound(layer);
        if reads != [previous.as_str()] {
            return Err(PartError::new(
                format!("layer {:?}", layer_name(layer)),
                format!("takes {reads:?}, not the output of {previous:?}: only single-chain models are supported"),
            ));
        }
        previous = layer_name(layer);
    }
    Ok(Some(Structured { columns, chain }))
}

/// A column's preprocessing layer from its config; the message says what is not supported.
fn column_layer(
    kind: &str,
    cfg: &Map<String, Value>,
    column: &str,
    name: String,
    key: String,
) -> Result<ColumnLayer, String> {
    let get = |k: &str| cfg.get(k).cloned().unwrap_or(Value::Null);
    if get("invert") == Value::Bool(true) {
        return Err("invert=True is not supported".into());
    }
    if kind == "Normalization" {
        let axis = get("axis");
        if !(axis == serde_json::json!(-1) || axis == serde_json::json!([-1]) || axis == serde_json::json!([1])) {
            return Err(format!("axis {axis} is not supported over one column (-1)"));
        }
        let first = |k: &str| match get(k) {
            Value::Number(n) => n.as_f64().map(|v| v as f32),
            Value::Array(a) if a.len() == 1 => a[0].as_f64().map(|v| v as f32),
            _ => None,
        };
        let constants = first("mean").zip(first("variance"));
        return Ok(ColumnLayer::Normalization { layer: name, constants });
    }
    let mode = get("output_mode");
    if mode != Value::from("one_hot") {
        return Err(format!("output_mode {mode} is not supported (one_hot, as wxb prepares text columns)"));
    }
    for (k, want) in [("num_oov_indices", Value::from(1)), ("mask_token", Value::Null), ("sparse", Value::Bool(false))]
    {
        let got = get(k);
        if !(got == want || (got.is_null() && k == "sparse")) {
            return Err(format!("{k} = {got} is not supported (only {want})"));
        }
    }
    let vocabulary = get("vocabulary");
    let from_assets = vocabulary.is_null();
    let prep = if kind == "StringLookup" {
        let words: Vec<String> = if from_assets {
            Vec::new()
        } else {
            serde_json::from_value(vocabulary).map_err(|e| format!("vocabulary: {e}"))?
        };
        let mut config = StringLookupConfig::new(column, words);
        config.name = name;
        if let Some(t) = get("oov_token").as_str() {
            config.oov_token = t.to_string();
        }
        PrepLayer::StringLookup { config }
    } else {
        let values: Vec<i64> = if from_assets {
            Vec::new()
        } else {
            serde_json::from_value(vocabulary).map_err(|e| format!("vocabulary: {e}"))?
        };
        let mut config = IntegerLookupConfig::new(column, values);
        config.name = name;
        if let Some(t) = get("oov_token").as_i64() {
            config.oov_token = t;
        }
        PrepLayer::IntegerLookup { config }
    };
    Ok(ColumnLayer::Lookup { prep, from_assets, key })
}

/// Sets a lookup's vocabulary from its assets file `vocabulary.txt` (one token a line, the OOV
/// token first, as Keras' `save_assets` writes it).
pub(super) fn set_vocabulary(prep: &mut PrepLayer, text: &str) -> Result<(), String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    let tokens = lines.get(1..).unwrap_or_default();
    match prep {
        PrepLayer::StringLookup { config } => config.vocabulary = tokens.iter().map(|t| (*t).to_string()).collect(),
        PrepLayer::IntegerLookup { config } => {
            config.vocabulary = tokens
                .iter()
                .map(|t| t.trim().parse::<i64>().map_err(|_| format!("{t:?} is not an integer")))
                .collect::<Result<_, _>>()?;
        }
        _ => {}
    }
    Ok(())
}

/// The schema's columns of the model's: numeric columns (a `Normalization`'s statistics given by
/// `statistics(layer name)`) or looked-up text columns; nothing is missing in them (a missing
/// cell takes 0, or the out-of-vocabulary slot).
pub(super) fn to_prep(
    columns: Vec<Column>,
    mut statistics: impl FnMut(&str) -> Result<NormalizationVariables, PartError>,
) -> Result<Vec<ColumnPrep>, PartError> {
    let mut out = Vec::with_capacity(columns.len());
    for c in columns {
        let (kind, impute, layer) = match c.layer {
            ColumnLayer::Plain => (ColumnKind::Numeric, Impute::Mean { value: 0.0 }, None),
            ColumnLayer::Normalization { layer, constants } => {
                let variables = match constants {
                    Some((mean, variance)) => {
                        NormalizationVariables { mean: vec![mean], variance: vec![variance], count: 0 }
                    }
                    None => statistics(&layer)?,
                };
                let config = NormalizationConfig { name: layer, axis: -1, invert: false, mean: None, variance: None };
                (ColumnKind::Numeric, Impute::Mean { value: 0.0 }, Some(PrepLayer::Normalization { config, variables }))
            }
            ColumnLayer::Lookup { prep, .. } => (ColumnKind::Text, Impute::MostFrequent { value: None }, Some(prep)),
        };
        out.push(ColumnPrep { name: c.name, kind, missing: 0, impute, layer, missing_indicator: false });
    }
    Ok(out)
}
