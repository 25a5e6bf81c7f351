//! The sequence layers (`[steps, channels]`, channels last in wxb) as ONNX's 1-D operators, which
//! take `[batch, channels, steps]`: each between two `Transpose (0, 2, 1)`s; and
//! LayerNormalization (opset 17's `LayerNormalization` over the last axis).

use super::graph::{Attr, Graph};
use super::layers::{Refusal, activation, same_pads, weight};
use crate::layers::{Layer, LayerConfig, Padding};
use crate::tensor::Tensor;

/// ONNX `pads` `[begin, end]` of a 1-D window over `n` steps.
fn pads(padding: Padding, n: usize, k: usize, s: usize, d: usize) -> Vec<i64> {
    match padding {
        Padding::Same => same_pads(n, k, s, d).to_vec(),
        Padding::Causal => vec![((k - 1) * d) as i64, 0],
        Padding::Valid => vec![0, 0],
    }
}

fn swap_axes(g: &mut Graph, name: &str) {
    g.node("Transpose", name, &[], vec![("perm", Attr::Ints(vec![0, 2, 1]))]);
}

/// Appends the nodes of a Conv1D, 1-D pooling or LayerNormalization layer; `None` for other
/// layers.
pub fn emit(g: &mut Graph, layer: &dyn Layer, input: &[usize]) -> Option<Result<(), Refusal>> {
    let name = layer.name().to_string();
    match layer.config() {
        LayerConfig::Conv1D(c) => Some(conv1d(g, layer, &name, input, &c)),
        LayerConfig::MaxPooling1D(c) => Some(pool1d(g, &name, "MaxPool", input, c.pool_size[0], c.strides, c.padding)),
        LayerConfig::AveragePooling1D(c) => {
            Some(pool1d(g, &name, "AveragePool", input, c.pool_size[0], c.strides, c.padding))
        }
        LayerConfig::GlobalAveragePooling1D(c) => Some(reduce(g, &name, "ReduceMean", c.keepdims)),
        LayerConfig::GlobalMaxPooling1D(c) => Some(reduce(g, &name, "ReduceMax", c.keepdims)),
        LayerConfig::LayerNormalization(c) => {
            g.make_wxb(&name);
            let features = *input.last().expect("a sample axis");
            let ones = Tensor::from_vec(&[features], vec![1.0; features]);
            let mut extra = vec![g.constant(&format!("{name}/gamma"), weight(layer, "gamma").unwrap_or(&ones))];
            if let Some(beta) = weight(layer, "beta") {
                extra.push(g.constant(&format!("{name}/beta"), beta));
            }
            let attrs = vec![("axis", Attr::Int(-1)), ("epsilon", Attr::Float(c.epsilon))];
            g.node("LayerNormalization", &name, &extra, attrs);
            Some(Ok(()))
        }
        _ => None,
    }
}

fn conv1d(
    g: &mut Graph,
    layer: &dyn Layer,
    name: &str,
    input: &[usize],
    c: &crate::layers::Conv1DConfig,
) -> Result<(), Refusal> {
    if c.groups != 1 {
        return Err(format!("groups = {}: grouped convolutions are not exported", c.groups));
    }
    g.make_wxb(name);
    let kernel = weight(layer, "kernel").expect("a built Conv1D has a kernel");
    let &[k, per_group, out] = kernel.shape() else { unreachable!("a Conv1D kernel has rank 3") };
    // [k, in, out] → [out, in, k].
    let data = kernel.data();
    let mut w = vec![0.0; data.len()];
    for o in 0..out {
        for i in 0..per_group {
            for t in 0..k {
                w[(o * per_group + i) * k + t] = data[(t * per_group + i) * out + o];
            }
        }
    }
    let mut extra = vec![g.constant(&format!("{name}/kernel"), &Tensor::from_vec(&[out, per_group, k], w))];
    if let Some(b) = weight(layer, "bias") {
        extra.push(g.constant(&format!("{name}/bias"), b));
    }
    let (s, d) = (c.strides[0], c.dilation_rate[0]);
    let attrs = vec![
        ("kernel_shape", Attr::Ints(vec![k as i64])),
        ("strides", Attr::Ints(vec![s as i64])),
        ("dilations", Attr::Ints(vec![d as i64])),
        ("pads", Attr::Ints(pads(c.padding, input[0], k, s, d))),
    ];
    swap_axes(g, &format!("{name}/to_ncl"));
    g.node("Conv", name, &extra, attrs);
    swap_axes(g, &format!("{name}/to_nlc"));
    activation(g, name, c.activation)
}

fn pool1d(
    g: &mut Graph,
    name: &str,
    op: &str,
    input: &[usize],
    k: usize,
    s: Option<[usize; 1]>,
    p: Padding,
) -> Result<(), Refusal> {
    g.make_wxb(name);
    let s = s.map_or(k, |s| s[0]);
    let mut attrs = vec![
        ("kernel_shape", Attr::Ints(vec![k as i64])),
        ("strides", Attr::Ints(vec![s as i64])),
        ("pads", Attr::Ints(pads(p, input[0], k, s, 1))),
    ];
    if op == "AveragePool" {
        attrs.push(("count_include_pad", Attr::Int(0)));
    }
    swap_axes(g, &format!("{name}/to_ncl"));
    g.node(op, name, &[], attrs);
    swap_axes(g, &format!("{name}/to_nlc"));
    Ok(())
}

/// Global 1-D pooling: the mean or max over the steps (axis 1 of `[batch, steps, channels]`).
fn reduce(g: &mut Graph, name: &str, op: &str, keepdims: bool) -> Result<(), Refusal> {
    g.make_wxb(name);
    let axes = g.ints(&format!("{name}/axes"), &[1]);
    g.node(op, name, &[axes], vec![("keepdims", Attr::Int(i64::from(keepdims)))]);
    Ok(())
}
