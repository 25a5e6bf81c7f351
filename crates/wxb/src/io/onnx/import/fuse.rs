//! Activations that converters write as several nodes reading the same value twice (not a
//! chain): recognized whole and read as one activation layer.

use super::node::Node;
use super::{Constants, Fail};
use crate::activations::Activation;
use crate::io::onnx::proto::NodeProto;
use crate::io::onnx::tensor;

/// A fused run of nodes: the activation, the number of nodes it spans and the value it ends with.
pub struct Fused {
    /// The activation the nodes compute.
    pub activation: Activation,
    /// How many nodes (from the first) it spans, `Constant`s between them included.
    pub len: usize,
    /// The last node's output.
    pub output: String,
}

/// The next node after `nodes[from]` that is not a `Constant` (whose values go into
/// `constants`), with its index.
fn next<'a>(
    nodes: &'a [NodeProto],
    from: usize,
    constants: &mut Constants,
) -> Result<Option<(usize, &'a NodeProto)>, Fail> {
    for (i, proto) in nodes.iter().enumerate().skip(from + 1) {
        if proto.op_type != "Constant" {
            return Ok(Some((i, proto)));
        }
        let (name, value) = Node::new(proto, i).constant()?;
        constants.insert(name, value);
    }
    Ok(None)
}

/// Whether `name` is a constant holding the one value `value`.
fn is_scalar(constants: &Constants, name: &str, value: f32) -> bool {
    constants.get(name).and_then(|t| tensor::floats(t).ok()).is_some_and(|v| v == [value])
}

/// Softsign written `Abs(x) → Add(·, 1) → Div(x, ·)` (Keras' export on the torch backend), from
/// `nodes[index]` reading `x`.
pub fn softsign(nodes: &[NodeProto], index: usize, x: &str, constants: &mut Constants) -> Result<Option<Fused>, Fail> {
    let abs = &nodes[index];
    if abs.op_type != "Abs" || abs.input != [x] || abs.output.len() != 1 {
        return Ok(None);
    }
    let Some((i, add)) = next(nodes, index, constants)? else { return Ok(None) };
    let one = add.input.iter().find(|n| **n != abs.output[0]);
    let reads_abs = add.input.len() == 2 && add.input.contains(&abs.output[0]);
    if add.op_type != "Add" || !reads_abs || !one.is_some_and(|n| is_scalar(constants, n, 1.0)) {
        return Ok(None);
    }
    let Some((j, div)) = next(nodes, i, constants)? else { return Ok(None) };
    if div.op_type != "Div" || div.input != [x.to_string(), add.output[0].clone()] || div.output.len() != 1 {
        return Ok(None);
    }
    Ok(Some(Fused { activation: Activation::Softsign, len: j + 1 - index, output: div.output[0].clone() }))
}
