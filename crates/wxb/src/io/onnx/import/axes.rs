//! Operators on a value's axes: `Squeeze` and `Unsqueeze` (a Flatten of a `1×1` image, else a
//! Reshape), and `ReduceMean`/`ReduceMax` over the spatial axes of an image or sequence (global
//! pooling, as tf2onnx writes Keras' GlobalAveragePooling2D at opset 18).

use super::chain::{Chain, Layout, shown};
use super::node::Node;
use super::{Constants, Fail};
use crate::io::onnx::tensor;
use crate::layers::{
    FlattenConfig, GlobalAveragePooling1DConfig, GlobalAveragePooling2DConfig, GlobalMaxPooling1DConfig,
    GlobalMaxPooling2DConfig, LayerConfig, ReshapeConfig,
};

/// The node's axes as written (input 1 from opset 13 on, the `axes` attribute before).
fn raw_axes(node: &Node<'_>, constants: &Constants) -> Result<Option<Vec<i64>>, Fail> {
    match node.constant_input(1, constants)? {
        Some(t) => Ok(Some(tensor::ints(t).map_err(|m| node.fail(format!("axes: {m}")))?)),
        None => node.ints("axes"),
    }
}

/// The node's axes as axes of a rank-`rank` value (batch included), sorted; `None` when it has
/// none.
fn axes(node: &Node<'_>, constants: &Constants, rank: usize) -> Result<Option<Vec<usize>>, Fail> {
    let Some(raw) = raw_axes(node, constants)? else { return Ok(None) };
    let mut axes = Vec::new();
    for a in raw {
        let a = if a < 0 { a + rank as i64 } else { a };
        if !(1..rank as i64).contains(&a) {
            return Err(node.fail(format!("axis {a} of a rank-{rank} value: wxb keeps the batch axis")));
        }
        axes.push(a as usize);
    }
    axes.sort_unstable();
    axes.dedup();
    Ok(Some(axes))
}

/// `Squeeze` and `Unsqueeze`: a Flatten when a channels-last `1×1` image loses its spatial axes,
/// else a Reshape of the values in ONNX's order.
pub fn squeeze(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let onnx = chain.onnx_shape();
    let unsqueeze = node.proto.op_type == "Unsqueeze";
    let rank = onnx.len() + 1;
    let target: Vec<usize> = if unsqueeze {
        let added = raw_axes(node, constants)?.map_or(0, |a| a.len());
        let axes = axes(node, constants, rank + added)?.ok_or_else(|| node.fail("has no axes"))?;
        let mut out = onnx.clone();
        for &a in &axes {
            if a - 1 > out.len() {
                return Err(node.fail(format!("axes {axes:?} for a value [batch, {}]", shown(&onnx))));
            }
            out.insert(a - 1, 1);
        }
        out
    } else {
        let axes = axes(node, constants, rank)?.unwrap_or_else(|| (1..rank).filter(|&a| onnx[a - 1] == 1).collect());
        if axes.iter().any(|&a| onnx[a - 1] != 1) {
            return Err(node.fail(format!("axes {axes:?} of a value [batch, {}] are not all 1", shown(&onnx))));
        }
        (1..rank).filter(|a| !axes.contains(a)).map(|a| onnx[a - 1]).collect()
    };
    if target.is_empty() {
        return Err(node.fail("leaves samples with no axis: wxb keeps [batch, …]"));
    }
    if chain.layout == Layout::ChannelsLast && chain.spatial_is_one() && target.len() == 1 {
        chain.push(node.name(), FlattenConfig::default().into(), Vec::new(), &node.part)?;
        chain.layout = Layout::Plain;
        return Ok(());
    }
    chain.make_plain(node.name(), &node.part)?;
    let target: Vec<i64> = target.iter().map(|&d| d as i64).collect();
    chain.push(node.name(), ReshapeConfig::new(&target).into(), Vec::new(), &node.part)
}

/// `ReduceMean` / `ReduceMax` over the spatial axes of an image or sequence: global pooling
/// (with `keepdims`, the image stays `1×1`).
pub fn reduce(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let rank = chain.onnx_shape().len() + 1;
    let axes = axes(node, constants, rank)?;
    let keepdims = node.int("keepdims", 1)? != 0;
    // The spatial axes in ONNX's numbering: channels first (channels last in wxb) or last.
    let spatial: Vec<usize> = match (chain.layout, rank) {
        (Layout::ChannelsLast, 3 | 4) => (2..rank).collect(),
        (Layout::Plain, 3 | 4) => (1..rank - 1).collect(),
        _ => vec![],
    };
    if spatial.is_empty() || axes.as_deref() != Some(spatial.as_slice()) {
        return Err(node.fail(format!(
            "reduces axes {axes:?} of a value [batch, {}]: wxb reduces the spatial axes of an image or sequence (global pooling)",
            shown(&chain.onnx_shape())
        )));
    }
    let mean = node.proto.op_type == "ReduceMean";
    let config: LayerConfig = match (mean, rank) {
        (true, 4) => GlobalAveragePooling2DConfig { keepdims, ..Default::default() }.into(),
        (false, 4) => GlobalMaxPooling2DConfig { keepdims, ..Default::default() }.into(),
        (true, _) => GlobalAveragePooling1DConfig { keepdims, ..Default::default() }.into(),
        (false, _) => GlobalMaxPooling1DConfig { keepdims, ..Default::default() }.into(),
    };
    chain.push(node.name(), config, Vec::new(), &node.part)?;
    if !keepdims {
        chain.layout = Layout::Plain;
    }
    Ok(())
}
