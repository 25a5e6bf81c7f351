//! Each wxb layer as ONNX nodes. Images are channels last in wxb and `NCHW` in ONNX's image
//! operators: a Transpose goes in before the first image operator and back out before the first
//! node that needs wxb's order (Flatten, Reshape, Dense, a softmax), so a run of convolutions and
//! poolings stays `NCHW` without Transposes between them.

use super::graph::{Attr, Graph, Layout};
use crate::activations::Activation;
use crate::layers::{Layer, LayerConfig, Padding};
use crate::tensor::Tensor;

/// Why a layer cannot be written.
pub type Refusal = String;

pub(super) fn weight<'a>(layer: &'a dyn Layer, name: &str) -> Option<&'a Tensor> {
    layer.param(name).map(|p| &p.value)
}

/// The padding TensorFlow's `same` adds along an axis of `n`: `(before, after)`.
pub(super) fn same_pads(n: usize, k: usize, s: usize, d: usize) -> [i64; 2] {
    let extent = (k - 1) * d + 1;
    let out = n.div_ceil(s);
    let total = ((out.max(1) - 1) * s + extent).saturating_sub(n);
    [(total / 2) as i64, (total - total / 2) as i64]
}

/// ONNX `pads` `[top, left, bottom, right]` for `padding` on an `[h, w]` image.
fn pads(padding: Padding, hw: [usize; 2], k: [usize; 2], s: [usize; 2], d: [usize; 2]) -> Vec<i64> {
    match padding {
        Padding::Same => {
            let [[t, b], [l, r]] = [0, 1].map(|a| same_pads(hw[a], k[a], s[a], d[a]));
            vec![t, l, b, r]
        }
        _ => vec![0; 4],
    }
}

fn ints(v: [usize; 2]) -> Attr {
    Attr::Ints(v.iter().map(|&x| x as i64).collect())
}

/// Appends `layer`'s nodes; the graph's shape becomes the layer's output shape.
pub fn emit(g: &mut Graph, layer: &dyn Layer) -> Result<(), Refusal> {
    let name = layer.name().to_string();
    let config = layer.config();
    let input = g.shape.clone();
    if let Some(done) = super::sequence::emit(g, layer, &input) {
        done?;
        g.shape = layer.output_shape();
        return Ok(());
    }
    match &config {
        LayerConfig::Dense(c) => {
            g.make_wxb(&name);
            let kernel = weight(layer, "kernel").expect("a built Dense has a kernel");
            let mut extra = vec![g.constant(&format!("{name}/kernel"), kernel)];
            if let Some(b) = weight(layer, "bias") {
                extra.push(g.constant(&format!("{name}/bias"), b));
            }
            g.node("Gemm", &name, &extra, Vec::new());
            activation(g, &name, c.activation)?;
        }
        LayerConfig::Activation(c) => activation(g, &name, c.activation)?,
        LayerConfig::Dropout(_) | LayerConfig::SpatialDropout2D(_) => {}
        LayerConfig::BatchNormalization(c) => {
            if input.len() == 3 {
                g.make_nchw(&name);
            } else if input.len() != 1 {
                return Err(format!(
                    "BatchNormalization of samples {input:?}: only [features] and images are exported"
                ));
            }
            let features = *input.last().expect("a sample axis");
            let ones = Tensor::from_vec(&[features], vec![1.0; features]);
            let zeros = Tensor::from_vec(&[features], vec![0.0; features]);
            let gamma = weight(layer, "gamma").unwrap_or(&ones);
            let beta = weight(layer, "beta").unwrap_or(&zeros);
            let extra = vec![
                g.constant(&format!("{name}/gamma"), gamma),
                g.constant(&format!("{name}/beta"), beta),
                g.constant(&format!("{name}/moving_mean"), weight(layer, "moving_mean").expect("built")),
                g.constant(&format!("{name}/moving_variance"), weight(layer, "moving_variance").expect("built")),
            ];
            g.node("BatchNormalization", &name, &extra, vec![("epsilon", Attr::Float(c.epsilon))]);
        }
        LayerConfig::Flatten(_) => {
            g.make_wxb(&name);
            g.node("Flatten", &name, &[], vec![("axis", Attr::Int(1))]);
        }
        LayerConfig::Reshape(_) => {
            g.make_wxb(&name);
            let mut shape = vec![0i64];
            shape.extend(layer.output_shape().iter().map(|&d| d as i64));
            let shape = g.ints(&format!("{name}/shape"), &shape);
            g.node("Reshape", &name, &[shape], Vec::new());
        }
        LayerConfig::Permute(c) => {
            g.make_wxb(&name);
            let mut perm = vec![0i64];
            perm.extend(c.dims.iter().map(|&d| d as i64));
            g.node("Transpose", &name, &[], vec![("perm", Attr::Ints(perm))]);
        }
        LayerConfig::Rescaling(c) => {
            let scale = g.scalar(&format!("{name}/scale"), c.scale);
            let offset = g.scalar(&format!("{name}/offset"), c.offset);
            g.node("Mul", &format!("{name}/Mul"), &[scale], Vec::new());
            g.node("Add", &name, &[offset], Vec::new());
        }
        LayerConfig::Conv2D(c) => {
            if c.groups != 1 {
                return Err(format!("groups = {}: grouped convolutions are not exported", c.groups));
            }
            g.make_nchw(&name);
            let kernel = weight(layer, "kernel").expect("a built Conv2D has a kernel");
            let &[kh, kw, per_group, out] = kernel.shape() else { unreachable!("a Conv2D kernel has rank 4") };
            // [kh, kw, in/g, out] → [out, in/g, kh, kw].
            let k = kernel.data();
            let mut w = vec![0.0; k.len()];
            for o in 0..out {
                for i in 0..per_group {
                    for y in 0..kh {
                        for x in 0..kw {
                            w[((o * per_group + i) * kh + y) * kw + x] = k[((y * kw + x) * per_group + i) * out + o];
                        }
                    }
                }
            }
            let mut extra =
                vec![g.constant(&format!("{name}/kernel"), &Tensor::from_vec(&[out, per_group, kh, kw], w))];
            if let Some(b) = weight(layer, "bias") {
                extra.push(g.constant(&format!("{name}/bias"), b));
            }
            let hw = [input[0], input[1]];
            let attrs = vec![
                ("kernel_shape", ints([kh, kw])),
                ("strides", ints(c.strides)),
                ("dilations", ints(c.dilation_rate)),
                ("pads", Attr::Ints(pads(c.padding, hw, [kh, kw], c.strides, c.dilation_rate))),
            ];
            g.node("Conv", &name, &extra, attrs);
            activation(g, &name, c.activation)?;
        }
        LayerConfig::MaxPooling2D(c) => pool(g, &name, "MaxPool", &input, c.pool_size, c.strides, c.padding),
        LayerConfig::AveragePooling2D(c) => pool(g, &name, "AveragePool", &input, c.pool_size, c.strides, c.padding),
        LayerConfig::GlobalAveragePooling2D(c) => global(g, &name, "GlobalAveragePool", c.keepdims),
        LayerConfig::GlobalMaxPooling2D(c) => global(g, &name, "GlobalMaxPool", c.keepdims),
        LayerConfig::ZeroPadding2D(c) => {
            g.make_nchw(&name);
            let [[t, b], [l, r]] = c.padding.map(|p| p.map(|v| v as i64));
            let pads = g.ints(&format!("{name}/pads"), &[0, 0, t, l, 0, 0, b, r]);
            g.node("Pad", &name, &[pads], vec![("mode", Attr::Str("constant"))]);
        }
        other => return Err(format!("{} layers have no ONNX export in wxb yet", other.class_name())),
    }
    g.shape = layer.output_shape();
    Ok(())
}

fn pool(g: &mut Graph, name: &str, op: &str, input: &[usize], k: [usize; 2], s: Option<[usize; 2]>, p: Padding) {
    g.make_nchw(name);
    let s = s.unwrap_or(k);
    let mut attrs = vec![
        ("kernel_shape", ints(k)),
        ("strides", ints(s)),
        ("pads", Attr::Ints(pads(p, [input[0], input[1]], k, s, [1, 1]))),
    ];
    if op == "AveragePool" {
        // Keras' "same" average excludes the padding from the count.
        attrs.push(("count_include_pad", Attr::Int(0)));
    }
    g.node(op, name, &[], attrs);
}

fn global(g: &mut Graph, name: &str, op: &str, keepdims: bool) {
    g.make_nchw(name);
    g.node(op, name, &[], Vec::new());
    if !keepdims {
        g.node("Flatten", &format!("{name}/squeeze"), &[], vec![("axis", Attr::Int(1))]);
        g.layout = Layout::Wxb;
    }
}

/// The nodes of `activation` (none for linear).
pub fn activation(g: &mut Graph, name: &str, activation: Activation) -> Result<(), Refusal> {
    let act = format!("{name}/{}", activation.name());
    match activation {
        Activation::Linear => {}
        Activation::Relu => g.node("Relu", &act, &[], Vec::new()),
        Activation::LeakyRelu { negative_slope } => {
            g.node("LeakyRelu", &act, &[], vec![("alpha", Attr::Float(negative_slope))]);
        }
        Activation::Elu { alpha } => g.node("Elu", &act, &[], vec![("alpha", Attr::Float(alpha))]),
        Activation::Selu => g.node("Selu", &act, &[], Vec::new()),
        Activation::Gelu => g.node("Gelu", &act, &[], Vec::new()),
        Activation::GeluTanh => g.node("Gelu", &act, &[], vec![("approximate", Attr::Str("tanh"))]),
        Activation::Sigmoid => g.node("Sigmoid", &act, &[], Vec::new()),
        Activation::HardSigmoid => {
            g.node("HardSigmoid", &act, &[], vec![("alpha", Attr::Float(1.0 / 6.0)), ("beta", Attr::Float(0.5))])
        }
        Activation::Tanh => g.node("Tanh", &act, &[], Vec::new()),
        Activation::Softmax | Activation::LogSoftmax => {
            g.make_wxb(name);
            let op = if activation == Activation::Softmax { "Softmax" } else { "LogSoftmax" };
            g.node(op, &act, &[], vec![("axis", Attr::Int(-1))]);
        }
        Activation::Softplus => g.node("Softplus", &act, &[], Vec::new()),
        Activation::Softsign => g.node("Softsign", &act, &[], Vec::new()),
        Activation::Relu6 => {
            let (lo, hi) = (g.scalar(&format!("{act}/min"), 0.0), g.scalar(&format!("{act}/max"), 6.0));
            g.node("Clip", &act, &[lo, hi], Vec::new());
        }
        Activation::HardSilu => g.node("HardSwish", &act, &[], Vec::new()),
        Activation::Mish => g.node("Mish", &act, &[], Vec::new()),
        Activation::Exponential => g.node("Exp", &act, &[], Vec::new()),
        Activation::Silu => {
            let x = g.current.clone();
            g.node("Sigmoid", &format!("{act}/sigmoid"), &[], Vec::new());
            let sig = std::mem::replace(&mut g.current, x);
            g.node("Mul", &act, &[sig], Vec::new());
        }
        other => return Err(format!("the activation {} has no ONNX export in wxb yet", other.name())),
    }
    Ok(())
}
