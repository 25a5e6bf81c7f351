//! Writing a wxb model as an ONNX file: ai.onnx opset [`EXPORT_OPSET`], IR version 10, the input
//! `input` `[batch, …]` and the output `output` `[batch, …]` with a dynamic batch axis, and the
//! model's data preprocessing first, so that the file takes the same raw inputs as `wxb predict`:
//! - arrays and images: `Mul` by the input scale (1/255 for byte images), then `Sub` the mean and
//!   `Div` by the deviation of the saved standardization;
//! - a numeric table: missing cells (NaN) filled with the training mean (`IsNaN`, `Where`), Keras
//!   Normalization as `Sub`/`Div`, the missing indicators (`Cast(IsNaN)`) put after their columns
//!   (`Concat`, `Gather`). A table with text or categorical columns (StringLookup,
//!   IntegerLookup) is refused: their lookups are not exported.
//!
//! The class names and feature names go into the model's `metadata_props` (`wxb.class_names`,
//! `wxb.feature_names`, JSON), and the whole schema under [`PREPROCESSING_KEY`].

mod graph;
mod layers;

use std::path::Path;

use prost::Message;

use super::proto::{self, Dimension, ModelProto, OperatorSetIdProto, TensorShapeProto, TensorTypeProto};
use super::proto::{GraphProto, StringStringEntryProto, TypeProto, ValueInfoProto};
use crate::data::Schema;
use crate::data::table::{Impute, PrepLayer};
use crate::io::{LoadedModel, ModelIoError, atomic};
use crate::tensor::Tensor;
use graph::{Attr, Graph};

/// The ai.onnx opset of the files [`write()`] makes (Gelu needs 20).
pub const EXPORT_OPSET: i64 = 21;

/// The `metadata_props` key holding the model's data schema (JSON): the reader recognizes the
/// preprocessing nodes it describes and gives the schema back.
pub const PREPROCESSING_KEY: &str = "wxb.preprocessing";

/// The nodes and constants preparing raw inputs as `schema` says (those [`write()`] puts first),
/// reading `input` of samples `shape`: `(nodes, initializers, output value)`.
///
/// # Errors
/// What the preprocessing holds that has no ONNX form.
pub(in crate::io::onnx) fn preprocessing_nodes(
    input: &str,
    schema: &Schema,
    shape: &[usize],
) -> Result<(Vec<proto::NodeProto>, Vec<proto::TensorProto>, String), String> {
    let mut g = Graph::new(input, shape);
    preprocessing(&mut g, schema, shape)?;
    Ok((g.nodes, g.initializers, g.current))
}

/// Writes `loaded` (its model and the preprocessing in its metadata, when it has a schema) to
/// `path` as ONNX, atomically.
///
/// # Errors
/// [`ModelIoError::Part`] naming the layer (or the preprocessing) that has no ONNX form in wxb —
/// nothing is written then; [`ModelIoError::Io`] when writing fails.
pub fn write(loaded: &LoadedModel, path: &Path) -> Result<(), ModelIoError> {
    let bytes =
        encode(loaded).map_err(|(part, message)| ModelIoError::Part { path: path.to_path_buf(), part, message })?;
    atomic::write_atomic(path, &bytes).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })
}

/// The ONNX file's bytes for `loaded` (as [`write()`] writes them).
///
/// # Errors
/// `(part, message)`: what cannot be exported.
pub fn encode(loaded: &LoadedModel) -> Result<Vec<u8>, (String, String)> {
    let model = &loaded.model;
    let schema = Schema::from_metadata(&loaded.metadata).ok();
    let input_shape = model.input_shape().to_vec();
    let raw_shape = match schema.as_ref().and_then(|s| s.columns.as_ref()) {
        Some(columns) => vec![columns.len()],
        None => input_shape.clone(),
    };
    let mut g = Graph::new("input", &raw_shape);
    if let Some(schema) = &schema {
        preprocessing(&mut g, schema, &raw_shape).map_err(|m| ("preprocessing".to_string(), m))?;
    }
    g.shape = input_shape;
    for layer in model.layers() {
        layers::emit(&mut g, layer.as_ref())
            .map_err(|m| (format!("layer {:?} ({})", layer.name(), layer.class_name()), m))?;
    }
    g.make_wxb("output");
    // The last value is the graph's output, "output".
    g.node("Identity", "output", &[], Vec::new());
    g.nodes.last_mut().expect("the Identity").output = vec!["output".into()];
    let mut metadata_props = Vec::new();
    if let Some(schema) = &schema {
        let json = |names: &[String]| serde_json::to_string(names).expect("strings serialise");
        let schema_json = serde_json::to_string(schema).expect("schemas serialise");
        metadata_props.push(entry(PREPROCESSING_KEY, schema_json));
        metadata_props.push(entry("wxb.feature_names", json(&schema.feature_names)));
        if let Some(classes) = schema.class_names() {
            metadata_props.push(entry("wxb.class_names", json(classes)));
        }
    }
    let graph = GraphProto {
        node: g.nodes,
        name: model.name().to_string(),
        initializer: g.initializers,
        input: vec![value_info("input", &raw_shape)],
        output: vec![value_info("output", &model.output_shape())],
        ..GraphProto::default()
    };
    let file = ModelProto {
        ir_version: 10,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: EXPORT_OPSET }],
        producer_name: "wxb".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph),
        metadata_props,
        ..ModelProto::default()
    };
    Ok(file.encode_to_vec())
}

fn entry(key: &str, value: String) -> StringStringEntryProto {
    StringStringEntryProto { key: key.into(), value }
}

/// `name: FLOAT [batch, shape…]`.
fn value_info(name: &str, shape: &[usize]) -> ValueInfoProto {
    let mut dim = vec![Dimension { dim_value: None, dim_param: Some("batch".into()) }];
    dim.extend(shape.iter().map(|&d| Dimension { dim_value: Some(d as i64), dim_param: None }));
    let tensor_type = TensorTypeProto { elem_type: proto::FLOAT, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto { tensor_type: Some(tensor_type), ..TypeProto::default() }),
        ..ValueInfoProto::default()
    }
}

/// The schema's preparation of raw inputs ([`Schema::prepare`]) as nodes.
fn preprocessing(g: &mut Graph, schema: &Schema, input_shape: &[usize]) -> Result<(), String> {
    if let Some(columns) = &schema.columns {
        return table(g, columns);
    }
    if schema.scale != 1.0 {
        let scale = g.scalar("preprocessing/scale", schema.scale);
        g.node("Mul", "preprocessing/scale", &[scale], Vec::new());
    }
    if let Some(s) = &schema.standardize {
        let n: usize = input_shape.iter().product();
        if s.mean.len() != n || s.std.len() != n {
            return Err(format!("standardization of {} features for an input of {n}", s.mean.len()));
        }
        let mean = g.constant("preprocessing/mean", &Tensor::from_vec(input_shape, s.mean.clone()));
        let std = g.constant("preprocessing/std", &Tensor::from_vec(input_shape, s.std.clone()));
        g.node("Sub", "preprocessing/center", &[mean], Vec::new());
        g.node("Div", "preprocessing/scale_to_unit_variance", &[std], Vec::new());
    }
    Ok(())
}

/// A numeric table's preparation: fill, normalize, missing indicators.
fn table(g: &mut Graph, columns: &[crate::data::table::ColumnPrep]) -> Result<(), String> {
    let k = columns.len();
    let (mut fill, mut mean, mut div) = (Vec::new(), Vec::new(), Vec::new());
    for c in columns {
        let Impute::Mean { value } = c.impute else {
            return Err(format!("column {:?} is text: StringLookup is not exported to ONNX", c.name));
        };
        fill.push(value);
        match &c.layer {
            None => (mean.push(0.0), div.push(1.0)),
            Some(PrepLayer::Normalization { variables, .. }) => {
                let d = variables.variance[0].sqrt().max(crate::data::table::NormalizationVariables::EPSILON);
                (mean.push(variables.mean[0]), div.push(d))
            }
            Some(_) => {
                return Err(format!("column {:?} is categorical: IntegerLookup is not exported to ONNX", c.name));
            }
        };
    }
    let x = g.current.clone();
    let is_nan = g.node_reading("IsNaN", "preprocessing/is_missing", vec![x.clone()], Vec::new());
    let fill = g.constant("preprocessing/fill", &Tensor::from_vec(&[k], fill));
    g.current = g.node_reading("Where", "preprocessing/impute", vec![is_nan.clone(), fill, x], Vec::new());
    let mean = g.constant("preprocessing/mean", &Tensor::from_vec(&[k], mean));
    let div = g.constant("preprocessing/deviation", &Tensor::from_vec(&[k], div));
    g.node("Sub", "preprocessing/center", &[mean], Vec::new());
    g.node("Div", "preprocessing/normalize", &[div], Vec::new());
    if columns.iter().any(|c| c.missing_indicator) {
        let flag = g.node_reading("Cast", "preprocessing/missing_indicator", vec![is_nan], vec![("to", Attr::Int(1))]);
        let values = g.current.clone();
        g.current = g.node_reading("Concat", "preprocessing/concat", vec![values, flag], vec![("axis", Attr::Int(1))]);
        let mut order = Vec::new();
        for (j, c) in columns.iter().enumerate() {
            order.push(j as i64);
            if c.missing_indicator {
                order.push((k + j) as i64);
            }
        }
        let order = g.ints("preprocessing/order", &order);
        g.node("Gather", "preprocessing/order", &[order], vec![("axis", Attr::Int(1))]);
    }
    Ok(())
}
