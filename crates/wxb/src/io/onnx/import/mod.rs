//! Reading an ONNX file into a [`Sequential`]: the graph must be a chain (each node reads the
//! previous node's output and constants), every node an operator wxb has a layer for.
//!
//! Layout: ONNX images are `NCHW`, wxb's convolutions channels last. A model whose input is an
//! `NCHW` image keeps that input (its samples are `[c, h, w]`, as the ONNX runtime takes them); a
//! `Permute((2, 3, 1))` layer named `{node}/to_channels_last` is inserted before the first node
//! that needs channels last, and a `Permute((3, 1, 2))` (`{node}/to_channels_first`) before a node
//! that needs ONNX's order back (a `Flatten` of a `c×h×w` image with `h·w > 1`, a `Reshape`, a
//! softmax over the last axis). A `Transpose` that only changes the layout (`(0, 3, 1, 2)` of a
//! channels-last input, `(0, 2, 3, 1)` back) becomes no layer at all; any other becomes a
//! `Permute`. Conv kernels `[out, in/groups, kh, kw]` become Keras' `[kh, kw, in/groups, out]`.

mod affine;
mod axes;
mod chain;
mod fuse;
mod node;
mod ops;
mod shape;
mod spatial;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use prost::Message;

use super::proto::{self, ModelProto, TensorProto};
use super::{MAX_FILE_BYTES, OPSETS, PREPROCESSING_KEY, export};
use crate::data::Schema;
use crate::io::{LoadedModel, ModelIoError};
use crate::layers::ActivationConfig;
use crate::model::{MAX_PARAMS, Sequential};
use chain::{Chain, shown};
use node::Node;

/// A problem in one part of the file (a node, the graph, an initializer).
#[derive(Debug)]
pub struct Fail {
    part: String,
    message: String,
}

impl Fail {
    fn new(part: &str, message: impl Into<String>) -> Self {
        Self { part: part.to_string(), message: message.into() }
    }
}

/// The constant values of the graph: initializers and `Constant` nodes' outputs.
type Constants = HashMap<String, TensorProto>;

/// Reads the ONNX model at `path` (see the module's documentation for what it accepts).
///
/// # Errors
/// [`ModelIoError::Io`] when the file cannot be read; [`ModelIoError::Part`] naming the part of
/// the file (the file size, the protobuf, the opset, the graph's input, a node by name and op)
/// that is damaged, over the limits or not representable.
pub fn read(path: &Path) -> Result<LoadedModel, ModelIoError> {
    let io = |source| ModelIoError::Io { path: path.to_path_buf(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        let message = format!("{len} bytes, over the limit of {MAX_FILE_BYTES} bytes for an ONNX file");
        return Err(ModelIoError::Part { path: path.to_path_buf(), part: "file size".into(), message });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_bytes(path, &bytes)
}

/// Reads an ONNX model from its bytes, as [`read`] (`path` names it in errors).
///
/// # Errors
/// As [`read`].
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<LoadedModel, ModelIoError> {
    decode(bytes).map_err(|f| ModelIoError::Part { path: path.to_path_buf(), part: f.part, message: f.message })
}

fn decode(bytes: &[u8]) -> Result<LoadedModel, Fail> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Fail::new("file size", format!("over the limit of {MAX_FILE_BYTES} bytes")));
    }
    let model = ModelProto::decode(bytes)
        .map_err(|e| Fail::new("protobuf", format!("not a readable ONNX model (truncated or corrupt): {e}")))?;
    let opset = check_opsets(&model)?;
    let graph = model.graph.as_ref().ok_or_else(|| Fail::new("graph", "the model has no graph"))?;
    let mut constants: Constants = graph.initializer.iter().map(|t| (t.name.clone(), t.clone())).collect();
    let schema = schema_of(&model)?;
    let (input_name, raw_shape) = match &schema {
        Some(schema) if schema.columns.is_some() => table_inputs(graph, schema, &constants)?,
        _ => graph_input(graph, &constants)?,
    };
    let prepared = match schema {
        Some(schema) => Some(preprocessing(schema, graph, &input_name, &raw_shape, &constants)?),
        None => None,
    };
    let (skip, mut current, input_shape) = match &prepared {
        Some((_, skip, current, shape)) => (*skip, current.clone(), shape.clone()),
        None => (0, input_name.clone(), raw_shape),
    };
    let mut chain = Chain::new(input_shape.clone());
    // The ONNX sample shape of each value of the chain so far (for `Shape` nodes), and the
    // shapes computed from them.
    let mut known = HashMap::from([(current.clone(), chain.onnx_shape())]);
    let mut shapes = shape::ShapeValues::new();
    let mut fused_until = 0;
    for (index, proto) in graph.node.iter().enumerate().skip(skip) {
        if index < fused_until {
            continue;
        }
        let node = Node::new(proto, index);
        if !proto.domain.is_empty() && proto.domain != "ai.onnx" {
            return Err(node.fail(format!("operator domain {:?} is not supported (only ai.onnx)", proto.domain)));
        }
        if proto.op_type == "Constant" {
            let (name, value) = node.constant()?;
            constants.insert(name, value);
            continue;
        }
        if matches!(proto.op_type.as_str(), "If" | "Loop" | "Scan" | "SequenceMap") {
            return Err(node.fail("control flow is not supported: wxb imports a chain of layers"));
        }
        if let [only] = proto.input.as_slice()
            && proto.op_type == "Identity"
            && let Some(value) = constants.get(only).cloned()
        {
            constants.insert(proto.output.first().cloned().unwrap_or_default(), value);
            continue;
        }
        if let Some(fused) = fuse::softsign(&graph.node, index, &current, &mut constants)? {
            chain.push(node.name(), ActivationConfig::new(fused.activation).into(), Vec::new(), &node.part)?;
            (fused_until, current) = (index + fused.len, fused.output);
            known.insert(current.clone(), chain.onnx_shape());
            continue;
        }
        if shape::is_shape_node(&node, &constants, &shapes, &known) {
            shape::evaluate(&node, &constants, &mut shapes, &known)?;
            continue;
        }
        if let Some(computed) = proto.input.get(1).filter(|_| proto.op_type == "Reshape").and_then(|i| shapes.get(i)) {
            let target = shape::as_reshape_target(&node, computed, &proto.input[1])?;
            constants.insert(proto.input[1].clone(), target);
        }
        let dynamic: Vec<&String> =
            proto.input.iter().filter(|i| !i.is_empty() && !constants.contains_key(*i)).collect();
        match dynamic.as_slice() {
            [only] if **only == current => {}
            [] => return Err(node.fail("computes from constants only: wxb imports a chain of layers")),
            _ => {
                let other = dynamic.iter().find(|i| ***i != current).map_or("", |s| s.as_str());
                return Err(node.fail(format!(
                    "reads {other:?}, which is not the output of the node before it ({current:?}): the graph is not a chain of layers"
                )));
            }
        }
        let output = proto.output.first().filter(|o| !o.is_empty());
        let output = output.ok_or_else(|| node.fail("has no output"))?;
        ops::convert(&mut chain, &node, &current, &constants)?;
        current = output.clone();
        known.insert(current.clone(), chain.onnx_shape());
    }
    let output_name = match graph.output.as_slice() {
        [one] => one.name.clone(),
        outputs => return Err(Fail::new("graph outputs", format!("{} outputs, wxb models have one", outputs.len()))),
    };
    if output_name != current {
        return Err(Fail::new(
            "graph outputs",
            format!("the output {output_name:?} is not the last node's output {current:?}: the graph is not a chain"),
        ));
    }
    chain.make_plain("output", "graph output")?;
    check_output_shape(graph, &chain)?;
    let producer = format!("{} {}", model.producer_name, model.producer_version).trim().to_string();
    let model = build(graph, chain, &input_shape)?;
    let mut metadata = BTreeMap::new();
    let info = serde_json::json!({
        "producer": producer,
        "opset": opset,
        "input": input_name,
        "output": output_name,
    });
    metadata.insert("onnx".to_string(), info);
    if let Some((schema, ..)) = prepared {
        schema.insert_into(&mut metadata);
    }
    Ok(LoadedModel { model, metadata })
}

/// A recognized preprocessing: the schema, its node count, its output value, the prepared shape.
type Prepared = (Schema, usize, String, Vec<usize>);

/// The data schema wxb's writer keeps in `metadata_props` ([`PREPROCESSING_KEY`]), if any.
fn schema_of(model: &ModelProto) -> Result<Option<Schema>, Fail> {
    let Some(entry) = model.metadata_props.iter().find(|e| e.key == PREPROCESSING_KEY) else { return Ok(None) };
    let part = format!("metadata_props {PREPROCESSING_KEY}");
    let value: serde_json::Value =
        serde_json::from_str(&entry.value).map_err(|e| Fail::new(&part, format!("not JSON: {e}")))?;
    Schema::from_metadata(&BTreeMap::from([(Schema::METADATA_KEY.to_string(), value)]))
        .map(Some)
        .map_err(|e| Fail::new(&part, e.to_string()))
}

/// A table's graph inputs, which must be the schema's columns as wxb writes them: the first
/// column's name and the raw shape `[columns]`.
fn table_inputs(
    graph: &proto::GraphProto,
    schema: &Schema,
    constants: &Constants,
) -> Result<(String, Vec<usize>), Fail> {
    let columns = schema.columns.as_deref().unwrap_or_default();
    let expected = export::graph_inputs(Some(schema), &[]);
    let inputs: Vec<_> = graph.input.iter().filter(|i| !constants.contains_key(&i.name)).cloned().collect();
    if inputs != expected {
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Fail::new(
            "graph inputs",
            format!(
                "{names:?}: the schema's table needs one [batch, 1] input per column, {:?}",
                schema.source_columns()
            ),
        ));
    }
    Ok((columns.first().map(|c| c.name.clone()).unwrap_or_default(), vec![columns.len()]))
}

/// When the graph starts with exactly the preprocessing nodes `schema` describes: the schema,
/// the number of those nodes, the value they end with and the shape of one prepared sample.
fn preprocessing(
    schema: Schema,
    graph: &proto::GraphProto,
    input: &str,
    raw_shape: &[usize],
    constants: &Constants,
) -> Result<Prepared, Fail> {
    let part = format!("metadata_props {PREPROCESSING_KEY}");
    let (nodes, initializers, output) =
        export::preprocessing_nodes(input, &schema, raw_shape).map_err(|m| Fail::new(&part, m))?;
    let same = graph.node.len() >= nodes.len()
        && nodes.iter().zip(&graph.node).all(|(a, b)| a == b)
        && initializers.iter().all(|t| constants.get(&t.name) == Some(t));
    if !same {
        return Err(Fail::new(&part, "the graph does not start with the preprocessing nodes it describes"));
    }
    let shape = if schema.columns.is_some() { vec![schema.feature_names.len()] } else { raw_shape.to_vec() };
    Ok((schema, nodes.len(), output, shape))
}

/// The default domain's opset, which must be one of [`OPSETS`].
fn check_opsets(model: &ModelProto) -> Result<i64, Fail> {
    let default = model.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx");
    let version = default.map(|o| o.version).ok_or_else(|| Fail::new("opset_import", "no ai.onnx opset"))?;
    if !OPSETS.contains(&version) {
        return Err(Fail::new(
            "opset_import",
            format!("ai.onnx opset {version}, wxb reads opsets {} to {}", OPSETS.start(), OPSETS.end()),
        ));
    }
    Ok(version)
}

/// The graph's one input that is not an initializer: its name and the shape of one sample (every
/// axis but the first, the batch, must have a fixed length).
fn graph_input(graph: &proto::GraphProto, constants: &Constants) -> Result<(String, Vec<usize>), Fail> {
    let inputs: Vec<_> = graph.input.iter().filter(|i| !constants.contains_key(&i.name)).collect();
    let [input] = inputs.as_slice() else {
        return Err(Fail::new("graph inputs", format!("{} inputs, wxb models have one", inputs.len())));
    };
    let part = format!("graph input {:?}", input.name);
    let tensor = input.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
    let tensor = tensor.ok_or_else(|| Fail::new(&part, "is not a tensor"))?;
    if tensor.elem_type != proto::FLOAT {
        let got = super::tensor::type_name(tensor.elem_type);
        return Err(Fail::new(&part, format!("has element type {got}, wxb models take FLOAT")));
    }
    let dims = tensor.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
    if dims.len() < 2 {
        return Err(Fail::new(
            &part,
            format!("has rank {}, wxb needs [batch, …] with a sample of rank ≥ 1", dims.len()),
        ));
    }
    let mut shape = Vec::new();
    for (axis, d) in dims.iter().enumerate().skip(1) {
        match d.dim_value {
            Some(v) if (1..=1 << 31).contains(&v) => shape.push(v as usize),
            _ => {
                return Err(Fail::new(&part, format!("axis {axis} has no fixed length: only the batch axis may vary")));
            }
        }
    }
    Ok((input.name.clone(), shape))
}

/// Refuses layers whose output disagrees with the shape the graph declares for its output.
fn check_output_shape(graph: &proto::GraphProto, chain: &Chain) -> Result<(), Fail> {
    let declared = graph.output[0].r#type.as_ref().and_then(|t| t.tensor_type.as_ref()).and_then(|t| t.shape.as_ref());
    let Some(declared) = declared else { return Ok(()) };
    let got = chain.onnx_shape();
    let fits = declared.dim.len() == got.len() + 1
        && declared.dim.iter().skip(1).zip(&got).all(|(d, &g)| d.dim_value.is_none_or(|v| v == g as i64));
    if !fits {
        let want: Vec<String> =
            declared.dim.iter().map(|d| d.dim_value.map_or_else(|| "?".into(), |v| v.to_string())).collect();
        return Err(Fail::new(
            &format!("graph output {:?}", graph.output[0].name),
            format!("declared shape [{}], the nodes give [batch, {}]", want.join(", "), shown(&got)),
        ));
    }
    Ok(())
}

/// The model: layers built from the chain's configurations, named after the nodes, with their
/// weights.
fn build(graph: &proto::GraphProto, chain: Chain, input_shape: &[usize]) -> Result<Sequential, Fail> {
    let Chain { configs, names, weights, .. } = chain;
    let mut seq = Sequential::from_configs(input_shape, 0, &configs, MAX_PARAMS)
        .map_err(|e| Fail::new("graph", e.to_string()))?
        .named(if graph.name.is_empty() { "onnx_model" } else { &graph.name });
    for (layer, name) in seq.layers_mut().iter_mut().zip(names) {
        layer.set_name(name);
    }
    let flat: Vec<_> = weights.into_iter().flatten().collect();
    seq.set_weights(&flat).map_err(|e| Fail::new("initializers", e.to_string()))?;
    Ok(seq)
}
