//! Writing a wxb model as an ONNX file: ai.onnx opset [`EXPORT_OPSET`] (and `ai.onnx.ml` 3 for
//! a table's lookups), IR version 10, the input `input` `[batch, …]` and the output `output`
//! `[batch, …]` with a dynamic batch axis, and the model's data preprocessing first, so that the
//! file takes the same raw inputs as `wxb predict`:
//! - arrays and images: `Mul` by the input scale (1/255 for byte images), then `Sub` the mean and
//!   `Div` by the deviation of the saved standardization;
//! - a table: one input per raw column instead of `input` (FLOAT, NaN where missing; STRING for
//!   text and categorical columns, `""` where missing), each prepared as wxb does (imputation,
//!   Keras Normalization, StringLookup/IntegerLookup one-hot through `ai.onnx.ml` LabelEncoder,
//!   missing indicators) and concatenated in wxb's feature order (see `table.rs`).
//!
//! The class names and feature names go into the model's `metadata_props` (`wxb.class_names`,
//! `wxb.feature_names`, JSON), and the whole schema under [`PREPROCESSING_KEY`].

mod graph;
mod layers;
mod sequence;
mod table;

use std::path::Path;

use prost::Message;

use super::proto::{self, Dimension, ModelProto, OperatorSetIdProto, TensorShapeProto, TensorTypeProto};
use super::proto::{GraphProto, StringStringEntryProto, TypeProto, ValueInfoProto};
use crate::data::Schema;
use crate::io::{LoadedModel, ModelIoError, atomic};
use crate::tensor::Tensor;
use graph::Graph;

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
    let uses_ml = g.nodes.iter().any(|n| n.domain == table::ML_DOMAIN);
    let graph = GraphProto {
        node: g.nodes,
        name: model.name().to_string(),
        initializer: g.initializers,
        input: graph_inputs(schema.as_ref(), &raw_shape),
        output: vec![value_info("output", proto::FLOAT, &model.output_shape())],
        ..GraphProto::default()
    };
    let file = ModelProto {
        ir_version: 10,
        opset_import: [(String::new(), EXPORT_OPSET), (table::ML_DOMAIN.to_string(), table::ML_OPSET)]
            .into_iter()
            .take(if uses_ml { 2 } else { 1 })
            .map(|(domain, version)| OperatorSetIdProto { domain, version })
            .collect(),
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

/// The graph's inputs: `input` `[batch, shape…]`, or for a table one `[batch, 1]` per column
/// (FLOAT or STRING), named after it.
pub(in crate::io::onnx) fn graph_inputs(schema: Option<&Schema>, shape: &[usize]) -> Vec<ValueInfoProto> {
    match schema.and_then(|s| s.columns.as_ref()) {
        Some(columns) => columns.iter().map(|c| value_info(&c.name, table::input_type(c), &[1])).collect(),
        None => vec![value_info("input", proto::FLOAT, shape)],
    }
}

/// `name: elem_type [batch, shape…]`.
fn value_info(name: &str, elem_type: i32, shape: &[usize]) -> ValueInfoProto {
    let mut dim = vec![Dimension { dim_value: None, dim_param: Some("batch".into()) }];
    dim.extend(shape.iter().map(|&d| Dimension { dim_value: Some(d as i64), dim_param: None }));
    let tensor_type = TensorTypeProto { elem_type, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto { tensor_type: Some(tensor_type), ..TypeProto::default() }),
        ..ValueInfoProto::default()
    }
}

/// The schema's preparation of raw inputs ([`Schema::prepare`]) as nodes.
fn preprocessing(g: &mut Graph, schema: &Schema, input_shape: &[usize]) -> Result<(), String> {
    if let Some(columns) = &schema.columns {
        return table::table(g, columns);
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
