//! A wxb model's layers as Keras layers: each layer's config in Keras' serialization, and the
//! model's preprocessing in front — its schema's scaling and standardization as `Rescaling` and
//! `Normalization` layers of one input, or, for a table with text or categorical columns, one
//! named input per column with its `StringLookup`, `IntegerLookup` or `Normalization` and a
//! `Concatenate` in wxb's feature order (Keras' "structured data" model).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{KerasLayer, PartError};
use crate::data::Schema;
use crate::data::table::{ColumnPrep, PrepLayer};
use crate::model::Sequential;
use crate::tensor::Tensor;

/// The Keras model to write: its layers in Keras' `model.layers` order and whether it is a
/// Functional model of one input per table column (its first layers are the `InputLayer`s).
pub(super) struct KerasLayers {
    pub list: Vec<KerasLayer>,
    pub functional: bool,
}

/// The model's layers as Keras', the preprocessing first.
pub(super) fn keras_layers(model: &Sequential, metadata: &BTreeMap<String, Value>) -> Result<KerasLayers, PartError> {
    let mut out = Vec::new();
    let mut functional = false;
    if let Ok(schema) = Schema::from_metadata(metadata) {
        match schema.columns.as_deref() {
            Some(columns) if columns.iter().any(has_lookup) => {
                if schema.scale != 1.0 || schema.standardize.is_some() {
                    return Err(PartError::new(
                        "preprocessing",
                        "a table with lookups and a whole-input scaling cannot be exported to Keras",
                    ));
                }
                column_inputs(columns, &mut out)?;
                functional = true;
            }
            _ => preprocessing(&schema, model.input_shape(), &mut out)?,
        }
    }
    for layer in model.layers() {
        let entry = serde_json::to_value(layer.config()).expect("layer configs serialise");
        let class = entry["class_name"].as_str().unwrap_or_default().to_string();
        let mut config = entry["config"].clone();
        keras_values(&mut config);
        config["name"] = json!(layer.name());
        config["trainable"] = json!(true);
        config["dtype"] = json!("float32");
        // In a Functional model each layer reads the one before (the first, the Concatenate).
        let inbound = out.len().checked_sub(1).into_iter().collect();
        out.push(KerasLayer {
            class,
            name: layer.name().to_string(),
            config,
            variables: layer.params().iter().map(|p| p.value.clone()).collect(),
            output: layer.output_shape(),
            dtype: "float32",
            inbound,
        });
    }
    Ok(KerasLayers { list: out, functional })
}

/// Whether a column is looked up (text or categorical).
fn has_lookup(c: &ColumnPrep) -> bool {
    matches!(c.layer, Some(PrepLayer::StringLookup { .. } | PrepLayer::IntegerLookup { .. }))
}

/// One `InputLayer` per column (named after it, shape `(1,)`, `string` for a `StringLookup`,
/// `int64` for an `IntegerLookup`, else `float32`), then each column's preprocessing layer, then
/// the `Concatenate` of every column's output in the schema's order.
fn column_inputs(columns: &[ColumnPrep], out: &mut Vec<KerasLayer>) -> Result<(), PartError> {
    for c in columns {
        if c.missing_indicator {
            return Err(PartError::new(
                format!("preprocessing of column {:?}", c.name),
                "its missing-value indicator has no built-in Keras layer; export to ONNX (model.onnx), which has it",
            ));
        }
        let dtype = match c.layer {
            Some(PrepLayer::StringLookup { .. }) => "string",
            Some(PrepLayer::IntegerLookup { .. }) => "int64",
            _ => "float32",
        };
        let config = json!({"batch_shape": [null, 1], "dtype": dtype, "sparse": false, "ragged": false,
            "name": c.name, "optional": false});
        out.push(KerasLayer {
            class: "InputLayer".into(),
            name: c.name.clone(),
            config,
            variables: Vec::new(),
            output: vec![1],
            dtype,
            inbound: Vec::new(),
        });
    }
    let mut concatenated = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        let Some(layer) = &c.layer else {
            concatenated.push(i);
            continue;
        };
        let (class, mut config, variables) = match layer {
            PrepLayer::Normalization { config, variables } => {
                let mut config = serde_json::to_value(config).expect("configs serialise");
                let axis = config["axis"].clone();
                config["axis"] = json!([axis]);
                let count = Tensor::from_vec(&[], vec![variables.count as f32]);
                let stats = vec![
                    Tensor::from_vec(&[1], variables.mean.clone()),
                    Tensor::from_vec(&[1], variables.variance.clone()),
                ];
                ("Normalization", config, stats.into_iter().chain([count]).collect())
            }
            PrepLayer::StringLookup { config } => {
                ("StringLookup", serde_json::to_value(config).expect("configs serialise"), Vec::new())
            }
            PrepLayer::IntegerLookup { config } => {
                ("IntegerLookup", serde_json::to_value(config).expect("configs serialise"), Vec::new())
            }
        };
        config["trainable"] = json!(true);
        config["dtype"] = json!("float32");
        let name = config["name"].as_str().unwrap_or_default().to_string();
        concatenated.push(out.len());
        out.push(KerasLayer {
            class: class.into(),
            name,
            config,
            variables,
            output: vec![c.width()],
            dtype: "float32",
            inbound: vec![i],
        });
    }
    let width = columns.iter().map(ColumnPrep::width).sum();
    out.push(KerasLayer {
        class: "Concatenate".into(),
        name: "concatenate".into(),
        config: json!({"name": "concatenate", "trainable": true, "dtype": "float32", "axis": -1}),
        variables: Vec::new(),
        output: vec![width],
        dtype: "float32",
        inbound: concatenated,
    });
    Ok(())
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
                (Some(PrepLayer::Normalization { variables, .. }), false) => {
                    mean.push(variables.mean[0]);
                    variance.push(variables.variance[0]);
                }
                _ => {
                    return Err(PartError::new(
                        format!("preprocessing of column {:?}", c.name),
                        "its missing-value indicator has no built-in Keras layer; export to ONNX (model.onnx), which has it",
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
        let (class, name, variables) = ("Rescaling".into(), "rescaling".into(), Vec::new());
        out.push(KerasLayer {
            class,
            name,
            config,
            variables,
            output: input_shape.to_vec(),
            dtype: "float32",
            inbound: Vec::new(),
        });
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
        let (class, name) = ("Normalization".into(), "normalization".into());
        out.push(KerasLayer {
            class,
            name,
            config,
            variables,
            output: input_shape.to_vec(),
            dtype: "float32",
            inbound: Vec::new(),
        });
    }
    Ok(())
}
