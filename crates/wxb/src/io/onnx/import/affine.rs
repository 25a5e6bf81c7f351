//! Element-wise arithmetic with constants, as converters write it: `Add` after a Gemm, MatMul or
//! Conv is its bias; a BatchNormalization written as `Mul` + `Add` (tf2onnx) or `Sub` + `Mul` +
//! `Add` (Keras' export on torch) of per-channel constants becomes one BatchNormalization layer of
//! variance 1 and ε 0 (`γ·(x − mean) + β` exactly, the constants merged as they come); a
//! `Mul`/`Add` of one value becomes a Rescaling (`scale·x + offset`); `Div` is a `Mul` by the
//! reciprocal; `Clip` to `[0, 6]` or `[0, ∞)` is relu6 or relu (Keras' hard_sigmoid is written
//! `Add 3 → Clip(0, 6) → Mul 1/6` by tf2onnx).

use super::chain::{Chain, Layout, shown};
use super::node::Node;
use super::{Constants, Fail};
use crate::activations::Activation;
use crate::layers::{ActivationConfig, BatchNormalizationConfig, LayerConfig, RescalingConfig};
use crate::tensor::Tensor;

/// How a constant broadcasts over the current value.
enum Broadcast {
    /// One value for every element.
    Scalar(f32),
    /// One value per entry of wxb's last axis (the channels, or the features).
    PerChannel(Vec<f32>),
}

/// How the constant input of `node` broadcasts over the current value; `channels_last` may
/// insert a Permute to bring an NCHW image's channels last (false when the constant must merge
/// into the layer before it).
fn broadcast(
    chain: &mut Chain,
    node: &Node<'_>,
    constants: &Constants,
    channels_last: bool,
) -> Result<Broadcast, Fail> {
    let i = constant_side(node, constants)?;
    let (shape, values) = node.floats(i, constants)?.ok_or_else(|| node.fail("has no constant input"))?;
    if values.len() == 1 && shape.len() <= chain.onnx_shape().len() + 1 {
        return Ok(Broadcast::Scalar(values[0]));
    }
    let onnx = chain.onnx_shape();
    let rank = onnx.len() + 1;
    let refuse = || {
        node.fail(format!(
            "a constant of shape {shape:?} for a value [batch, {}]: wxb applies one value, or one per channel",
            shown(&onnx)
        ))
    };
    if shape.len() > rank {
        return Err(refuse());
    }
    // The constant's axes aligned with the value's, batch first.
    let mut padded = vec![1; rank - shape.len()];
    padded.extend(&shape);
    let varying: Vec<usize> = (0..rank).filter(|&a| padded[a] != 1).collect();
    let &[axis] = varying.as_slice() else { return Err(refuse()) };
    if axis == 0 || padded[axis] != onnx[axis - 1] {
        return Err(refuse());
    }
    match (chain.layout, axis == rank - 1, (rank == 3 || rank == 4) && axis == 1) {
        (Layout::Plain, true, _) => {}
        (Layout::ChannelsLast, _, true) => {}
        (Layout::Plain, _, true) if channels_last => chain.make_channels_last(node.name(), &node.part)?,
        _ => return Err(refuse()),
    }
    Ok(Broadcast::PerChannel(values))
}

/// Which input is the constant (the other must be the current value).
fn constant_side(node: &Node<'_>, constants: &Constants) -> Result<usize, Fail> {
    let is_constant = |i: usize| node.proto.input.get(i).is_some_and(|n| constants.contains_key(n));
    match (is_constant(0), is_constant(1)) {
        (false, true) => Ok(1),
        (true, false) if matches!(node.proto.op_type.as_str(), "Add" | "Mul") => Ok(0),
        _ => Err(node.fail("needs the previous node's output first and a constant second")),
    }
}

/// `Add` (or `Sub`) of a constant: into the bias or offset of the layer before it when it has
/// one (a Gemm, MatMul, Conv, or a Mul made into a layer), else a layer of its own.
pub fn add(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let subtract = node.proto.op_type == "Sub";
    let sign = |v: f32| if subtract { -v } else { v };
    let open = chain.open_bias;
    let added = match broadcast(chain, node, constants, !open)? {
        Broadcast::Scalar(v) => Broadcast::Scalar(sign(v)),
        Broadcast::PerChannel(v) => Broadcast::PerChannel(v.into_iter().map(sign).collect()),
    };
    if chain.open_bias && merge_bias(chain, &added) {
        return Ok(());
    }
    let channels = *chain.shape.last().expect("a sample has an axis");
    match added {
        Broadcast::Scalar(offset) => {
            let config = RescalingConfig { name: None, scale: 1.0, offset };
            chain.push(node.name(), config.into(), Vec::new(), &node.part)?;
        }
        // `x − m` keeps m as the moving mean (as a BatchNormalization subtracts it), `x + b` as β.
        Broadcast::PerChannel(v) if subtract => {
            let mean = v.into_iter().map(|x| -x).collect();
            per_channel(chain, node, vec![1.0; channels], vec![0.0; channels], mean)?;
        }
        Broadcast::PerChannel(beta) => per_channel(chain, node, vec![1.0; channels], beta, vec![0.0; channels])?,
    }
    chain.open_bias = true;
    Ok(())
}

/// Adds `added` into the last layer's bias, offset or β; false when it has none that fits.
fn merge_bias(chain: &mut Chain, added: &Broadcast) -> bool {
    let n = *chain.shape.last().expect("a sample has an axis");
    let values = match added {
        Broadcast::Scalar(v) => vec![*v; n],
        Broadcast::PerChannel(v) => v.clone(),
    };
    let (Some(config), Some(weights)) = (chain.configs.last_mut(), chain.weights.last_mut()) else { return false };
    let use_bias = match config {
        LayerConfig::Dense(c) => &mut c.use_bias,
        LayerConfig::Conv2D(c) => &mut c.use_bias,
        LayerConfig::Rescaling(c) => {
            let Broadcast::Scalar(v) = added else { return false };
            c.offset += v;
            return true;
        }
        LayerConfig::BatchNormalization(_) => {
            for (b, v) in weights[1].data_mut().iter_mut().zip(values) {
                *b += v;
            }
            return true;
        }
        _ => return false,
    };
    if *use_bias {
        let bias = weights.last_mut().expect("a bias");
        for (b, v) in bias.data_mut().iter_mut().zip(values) {
            *b += v;
        }
    } else {
        *use_bias = true;
        weights.push(Tensor::from_vec(&[n], values));
    }
    true
}

/// `Mul` (or `Div`) by a constant: a Rescaling (one value) or a BatchNormalization (one per
/// channel) that a following `Add` gives its offset.
pub fn mul(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let divide = node.proto.op_type == "Div";
    let factor = |v: f32| if divide { 1.0 / v } else { v };
    let open = chain.open_bias;
    let scaled = match broadcast(chain, node, constants, !open)? {
        Broadcast::Scalar(v) => Broadcast::Scalar(factor(v)),
        Broadcast::PerChannel(v) => Broadcast::PerChannel(v.into_iter().map(factor).collect()),
    };
    if chain.open_bias && merge_scale(chain, &scaled) {
        return Ok(());
    }
    match scaled {
        Broadcast::Scalar(scale) => {
            let config = RescalingConfig { name: None, scale, offset: 0.0 };
            chain.push(node.name(), config.into(), Vec::new(), &node.part)?;
        }
        Broadcast::PerChannel(gamma) => {
            let c = gamma.len();
            per_channel(chain, node, gamma, vec![0.0; c], vec![0.0; c])?;
        }
    }
    chain.open_bias = true;
    Ok(())
}

/// Multiplies the last layer's output by `scaled` when it is a Rescaling or BatchNormalization
/// made of `Mul`/`Add`/`Sub` (its scale and offset, γ and β); false otherwise.
fn merge_scale(chain: &mut Chain, scaled: &Broadcast) -> bool {
    let (Some(config), Some(weights)) = (chain.configs.last_mut(), chain.weights.last_mut()) else { return false };
    match (config, scaled) {
        (LayerConfig::Rescaling(c), Broadcast::Scalar(s)) => {
            (c.scale, c.offset) = (c.scale * s, c.offset * s);
            true
        }
        (LayerConfig::BatchNormalization(_), _) => {
            let n = weights[0].len();
            let factors = match scaled {
                Broadcast::Scalar(s) => vec![*s; n],
                Broadcast::PerChannel(v) => v.clone(),
            };
            for w in &mut weights[..2] {
                for (x, f) in w.data_mut().iter_mut().zip(&factors) {
                    *x *= f;
                }
            }
            true
        }
        _ => false,
    }
}

/// `γ·(x − mean) + β` per channel as a BatchNormalization of variance 1 and ε 0.
fn per_channel(
    chain: &mut Chain,
    node: &Node<'_>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    mean: Vec<f32>,
) -> Result<(), Fail> {
    let c = gamma.len();
    let weights = vec![
        Tensor::from_vec(&[c], gamma),
        Tensor::from_vec(&[c], beta),
        Tensor::from_vec(&[c], mean),
        Tensor::from_vec(&[c], vec![1.0; c]),
    ];
    let config = BatchNormalizationConfig { epsilon: 0.0, ..Default::default() };
    chain.push(node.name(), config.into(), weights, &node.part)
}

/// `Clip` to `[0, 6]` (relu6) or `[0, ∞)` (relu).
pub fn clip(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let bound = |i: usize| -> Result<Option<f32>, Fail> {
        match node.floats(i, constants)? {
            None => Ok(None),
            Some((_, v)) if v.len() == 1 => Ok(Some(v[0])),
            Some((shape, _)) => Err(node.fail(format!("bound of shape {shape:?}: expected one value"))),
        }
    };
    let activation = match (bound(1)?, bound(2)?) {
        (Some(min), Some(max)) if min == 0.0 && max == 6.0 => Activation::Relu6,
        (Some(min), max) if min == 0.0 && max.is_none_or(|m| m == f32::INFINITY) => Activation::Relu,
        (min, max) => {
            return Err(node.fail(format!("clips to [{min:?}, {max:?}]: wxb has relu6 ([0, 6]) and relu ([0, ∞))")));
        }
    };
    chain.push(node.name(), ActivationConfig::new(activation).into(), Vec::new(), &node.part)
}
