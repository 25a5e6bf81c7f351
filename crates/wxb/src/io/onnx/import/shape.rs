//! Shapes computed inside the graph: converters write a Flatten of a dynamic batch as
//! `Shape → Gather/Slice → Concat → Cast → Reshape` (tf2onnx, Keras' export). These nodes are
//! evaluated here, on lengths that are known or the batch size, instead of becoming layers; a
//! `Reshape` reading such a shape gets it as a constant whose first entry keeps the batch.

use std::collections::HashMap;

use super::node::Node;
use super::{Constants, Fail};
use crate::io::onnx::proto::TensorProto;
use crate::io::onnx::tensor;

/// One entry of a shape computed in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// A length known when the graph is read.
    Known(i64),
    /// The batch size (known only when the model runs).
    Batch,
}

/// A small integer tensor computed from shapes: a scalar or a vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeValue {
    /// Whether it has rank 0.
    pub scalar: bool,
    /// Its entries (one for a scalar).
    pub dims: Vec<Dim>,
}

/// The shape values computed so far, by value name.
pub type ShapeValues = HashMap<String, ShapeValue>;

/// The operators evaluated on shape values.
const SHAPE_OPS: [&str; 7] = ["Shape", "Gather", "Cast", "Slice", "Concat", "Unsqueeze", "Squeeze"];

/// Whether `node` computes on shapes (a `Shape` of a value of known shape, or one of the index
/// operators reading at least one shape value and otherwise constants).
pub fn is_shape_node(
    node: &Node<'_>,
    constants: &Constants,
    shapes: &ShapeValues,
    known: &HashMap<String, Vec<usize>>,
) -> bool {
    let op = node.proto.op_type.as_str();
    if op == "Shape" {
        return node.proto.input.first().is_some_and(|i| known.contains_key(i));
    }
    SHAPE_OPS.contains(&op)
        && node.proto.input.iter().any(|i| shapes.contains_key(i))
        && node
            .proto
            .input
            .iter()
            .filter(|i| !i.is_empty())
            .all(|i| shapes.contains_key(i) || constants.contains_key(i))
}

/// Evaluates a node [`is_shape_node`] accepted, storing its output in `shapes`.
pub fn evaluate(
    node: &Node<'_>,
    constants: &Constants,
    shapes: &mut ShapeValues,
    known: &HashMap<String, Vec<usize>>,
) -> Result<(), Fail> {
    let input = |i: usize| -> Result<ShapeValue, Fail> {
        let name =
            node.proto.input.get(i).filter(|n| !n.is_empty()).ok_or_else(|| node.fail(format!("has no input {i}")))?;
        if let Some(v) = shapes.get(name) {
            return Ok(v.clone());
        }
        let t = constants.get(name).ok_or_else(|| node.fail(format!("input {i} ({name:?}) is not a constant")))?;
        from_constant(t).map_err(|m| node.fail(format!("input {i} ({name:?}): {m}")))
    };
    let ints = |i: usize| -> Result<Vec<i64>, Fail> {
        input(i)?
            .dims
            .iter()
            .map(|d| match d {
                Dim::Known(v) => Ok(*v),
                Dim::Batch => Err(node.fail(format!("input {i} depends on the batch size: wxb needs it constant"))),
            })
            .collect()
    };
    let value = match node.proto.op_type.as_str() {
        "Shape" => {
            let sample = &known[&node.proto.input[0]];
            let mut dims = vec![Dim::Batch];
            dims.extend(sample.iter().map(|&d| Dim::Known(d as i64)));
            let (start, end) = (node.int("start", 0)?, node.int("end", dims.len() as i64)?);
            let range = clamp_range(start, end, dims.len());
            ShapeValue { scalar: false, dims: range.map(|i| dims[i]).collect() }
        }
        "Cast" => {
            let to = node.int("to", 0)?;
            if ![6, 7].contains(&to) {
                return Err(node.fail(format!("casts a shape to type #{to}: wxb evaluates shapes as integers")));
            }
            input(0)?
        }
        "Gather" => {
            let data = vector(node, input(0)?)?;
            let indices = input(1)?;
            if node.int("axis", 0)? != 0 {
                return Err(node.fail("gathers a shape along an axis other than 0"));
            }
            let picked: Result<Vec<Dim>, Fail> = indices
                .dims
                .iter()
                .map(|d| match *d {
                    Dim::Known(i) => index(i, data.len())
                        .map(|i| data[i])
                        .ok_or_else(|| node.fail(format!("index {i} out of range"))),
                    Dim::Batch => Err(node.fail("an index that depends on the batch size")),
                })
                .collect();
            ShapeValue { scalar: indices.scalar, dims: picked? }
        }
        "Slice" => {
            let data = vector(node, input(0)?)?;
            let (starts, ends) = (ints(1)?, ints(2)?);
            let axes = if node.proto.input.get(3).is_some_and(|n| !n.is_empty()) { ints(3)? } else { vec![0] };
            let steps = if node.proto.input.get(4).is_some_and(|n| !n.is_empty()) { ints(4)? } else { vec![1] };
            let ([start], [end], [0 | -1], [1]) =
                (starts.as_slice(), ends.as_slice(), axes.as_slice(), steps.as_slice())
            else {
                return Err(node.fail("slices a shape other than along its one axis with step 1"));
            };
            ShapeValue { scalar: false, dims: clamp_range(*start, *end, data.len()).map(|i| data[i]).collect() }
        }
        "Concat" => {
            let mut dims = Vec::new();
            for i in 0..node.proto.input.len() {
                dims.extend(vector(node, input(i)?)?);
            }
            ShapeValue { scalar: false, dims }
        }
        "Unsqueeze" => {
            let value = input(0)?;
            if !value.scalar {
                return Err(node.fail("unsqueezes a shape vector: wxb evaluates shapes of rank 0 and 1"));
            }
            ShapeValue { scalar: false, dims: value.dims }
        }
        "Squeeze" => {
            let value = input(0)?;
            if value.dims.len() != 1 {
                return Err(node.fail("squeezes a shape of more than one entry"));
            }
            ShapeValue { scalar: true, dims: value.dims }
        }
        other => unreachable!("is_shape_node accepts {other}"),
    };
    let output = node.proto.output.first().filter(|o| !o.is_empty()).ok_or_else(|| node.fail("has no output"))?;
    shapes.insert(output.clone(), value);
    Ok(())
}

/// A shape value as the constant a `Reshape` reads: the batch size as `0` (keep it) in the first
/// entry, where it is the only place wxb takes it.
pub fn as_reshape_target(node: &Node<'_>, value: &ShapeValue, name: &str) -> Result<TensorProto, Fail> {
    let mut ints = Vec::new();
    for (i, d) in value.dims.iter().enumerate() {
        ints.push(match (i, *d) {
            (_, Dim::Known(v)) => v,
            (0, Dim::Batch) if node.int("allowzero", 0)? == 0 => 0,
            _ => return Err(node.fail(format!("shape entry {i} is the batch size: wxb keeps the batch axis first"))),
        });
    }
    Ok(tensor::ints_proto(name, &ints))
}

fn from_constant(t: &TensorProto) -> Result<ShapeValue, String> {
    let shape = tensor::shape(t)?;
    if shape.len() > 1 {
        return Err(format!("has rank {}: wxb evaluates shapes of rank 0 and 1", shape.len()));
    }
    let values = tensor::ints(t)?;
    Ok(ShapeValue { scalar: shape.is_empty(), dims: values.into_iter().map(Dim::Known).collect() })
}

fn vector(node: &Node<'_>, value: ShapeValue) -> Result<Vec<Dim>, Fail> {
    if value.dims.len() > 64 {
        return Err(node.fail("a shape of more than 64 entries"));
    }
    Ok(value.dims)
}

/// ONNX's index `i` (negative: from the end) into `len` entries.
fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// ONNX's `[start, end)` (negative: from the end, clamped) over `len` entries.
fn clamp_range(start: i64, end: i64, len: usize) -> std::ops::Range<usize> {
    let clamp = |v: i64| {
        let v = if v < 0 { v.saturating_add(len as i64) } else { v };
        v.clamp(0, len as i64) as usize
    };
    let (s, e) = (clamp(start), clamp(end));
    s..e.max(s)
}
