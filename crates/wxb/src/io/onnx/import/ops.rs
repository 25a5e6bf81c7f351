//! Each supported operator as wxb layers: the dense ones and the activations here, the image ones
//! in `spatial.rs`.

use super::chain::{Chain, Layout, shown};
use super::node::Node;
use super::{Constants, Fail};
use super::{affine, axes, spatial};
use crate::activations::{Activation, SELU_ALPHA, SELU_SCALE};
use crate::layers::{ActivationConfig, DenseConfig, DropoutConfig, LayerNormalizationConfig};
use crate::tensor::Tensor;

/// Adds the layers for `node`, which reads the current value `current` (and constants).
pub fn convert(chain: &mut Chain, node: &Node<'_>, current: &str, constants: &Constants) -> Result<(), Fail> {
    let op = node.proto.op_type.as_str();
    let activation = match op {
        "Relu" => Some(Activation::Relu),
        "LeakyRelu" => Some(Activation::LeakyRelu { negative_slope: node.float("alpha", 0.01)? }),
        "Elu" => Some(Activation::Elu { alpha: node.float("alpha", 1.0)? }),
        "Selu" => {
            let (alpha, gamma) = (node.float("alpha", SELU_ALPHA)?, node.float("gamma", SELU_SCALE)?);
            if (alpha - SELU_ALPHA).abs() > 1e-6 || (gamma - SELU_SCALE).abs() > 1e-6 {
                return Err(node.fail(format!(
                    "alpha {alpha}, gamma {gamma}: wxb's selu has alpha {SELU_ALPHA}, gamma {SELU_SCALE}"
                )));
            }
            Some(Activation::Selu)
        }
        "Sigmoid" => Some(Activation::Sigmoid),
        "HardSigmoid" => {
            let (alpha, beta) = (node.float("alpha", 0.2)?, node.float("beta", 0.5)?);
            if (alpha - 1.0 / 6.0).abs() > 1e-6 || (beta - 0.5).abs() > 1e-6 {
                return Err(node.fail(format!(
                    "alpha {alpha}, beta {beta}: wxb's hard_sigmoid (Keras 3's) is max(0, min(1, x/6 + 0.5)), alpha 1/6 and beta 0.5"
                )));
            }
            Some(Activation::HardSigmoid)
        }
        "Tanh" => Some(Activation::Tanh),
        "Softplus" => Some(Activation::Softplus),
        "Softsign" => Some(Activation::Softsign),
        "Gelu" => match node.string("approximate", "none")?.as_str() {
            "none" => Some(Activation::Gelu),
            "tanh" => Some(Activation::GeluTanh),
            other => return Err(node.fail(format!("approximate {other:?} (expected \"none\" or \"tanh\")"))),
        },
        "Softmax" | "LogSoftmax" => {
            let rank = chain.onnx_shape().len() as i64 + 1;
            let axis = node.int("axis", -1)?;
            if axis != -1 && axis != rank - 1 {
                return Err(
                    node.fail(format!("axis {axis} of a rank-{rank} value: wxb applies softmax over the last axis"))
                );
            }
            chain.make_plain(node.name(), &node.part)?;
            Some(if op == "Softmax" { Activation::Softmax } else { Activation::LogSoftmax })
        }
        _ => None,
    };
    if let Some(activation) = activation {
        let config = ActivationConfig::new(activation);
        return chain.push(node.name(), config.into(), Vec::new(), &node.part);
    }
    match op {
        "Identity" => Ok(()),
        "Cast" => match node.int("to", 0)? {
            1 => Ok(()),
            to => Err(node.fail(format!("casts the values to type #{to}: wxb models compute in FLOAT"))),
        },
        "Dropout" => dropout(chain, node, constants),
        "Gemm" => gemm(chain, node, current, constants),
        "MatMul" => matmul(chain, node, current, constants),
        "Add" | "Sub" => affine::add(chain, node, constants),
        "Mul" | "Div" => affine::mul(chain, node, constants),
        "Clip" => affine::clip(chain, node, constants),
        "Squeeze" | "Unsqueeze" => axes::squeeze(chain, node, constants),
        "ReduceMean" | "ReduceMax" => axes::reduce(chain, node, constants),
        "Conv" => spatial::conv(chain, node, constants),
        "MaxPool" | "AveragePool" => spatial::pool(chain, node),
        "GlobalAveragePool" | "GlobalMaxPool" => spatial::global_pool(chain, node),
        "BatchNormalization" => spatial::batch_norm(chain, node, constants),
        "LayerNormalization" => layer_norm(chain, node, constants),
        "Flatten" => spatial::flatten(chain, node),
        "Reshape" => spatial::reshape(chain, node, constants),
        "Transpose" => spatial::transpose(chain, node),
        "Pad" => spatial::pad(chain, node, constants),
        other => Err(node.fail(format!("operator {other} is not supported"))),
    }
}

fn dropout(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let rate = match node.floats(1, constants)? {
        Some((_, values)) => values.first().copied().unwrap_or(0.5),
        None => node.float("ratio", 0.5)?,
    };
    if node.int("training_mode", 0)? != 0 || node.proto.input.get(2).is_some_and(|t| !t.is_empty()) {
        return Err(node.fail("a training_mode input: wxb imports inference graphs"));
    }
    let rate = if (0.0..1.0).contains(&rate) { rate } else { 0.5 };
    chain.push(node.name(), DropoutConfig::new(rate).into(), Vec::new(), &node.part)
}

/// The features of a `[batch, features]` value, else an error naming its shape.
fn features(chain: &Chain, node: &Node<'_>) -> Result<usize, Fail> {
    match (chain.layout, chain.shape.as_slice()) {
        (Layout::Plain, &[k]) => Ok(k),
        _ => Err(node.fail(format!(
            "needs a [batch, features] input, the value before it is [batch, {}] (flatten it first)",
            shown(&chain.onnx_shape())
        ))),
    }
}

/// `Y = alpha·A·op(B) + beta·C` as a Dense layer: kernel `alpha·op(B)` `[k, n]`, bias `beta·C`.
fn gemm(chain: &mut Chain, node: &Node<'_>, current: &str, constants: &Constants) -> Result<(), Fail> {
    if node.proto.input.first().map(String::as_str) != Some(current) {
        return Err(node.fail("A must be the previous node's output and B a constant"));
    }
    if node.int("transA", 0)? != 0 {
        return Err(node.fail("transA = 1 (a transposed batch) is not supported"));
    }
    let k = features(chain, node)?;
    let (alpha, beta) = (node.float("alpha", 1.0)?, node.float("beta", 1.0)?);
    let (b_shape, b) = node.floats(1, constants)?.ok_or_else(|| node.fail("has no B"))?;
    let trans_b = node.int("transB", 0)? != 0;
    let n = match (b_shape.as_slice(), trans_b) {
        (&[bk, n], false) if bk == k => n,
        (&[n, bk], true) if bk == k => n,
        _ => {
            return Err(node.fail(format!(
                "B has shape {b_shape:?} (transB = {}), the input has {k} features",
                u8::from(trans_b)
            )));
        }
    };
    let kernel: Vec<f32> = if trans_b {
        (0..k * n).map(|i| alpha * b[(i % n) * k + i / n]).collect()
    } else {
        b.iter().map(|v| alpha * v).collect()
    };
    let bias = match node.floats(2, constants)? {
        None => None,
        Some((shape, c)) => Some(per_output(node, &shape, &c, n, "C")?.into_iter().map(|v| beta * v).collect()),
    };
    dense(chain, node, k, n, kernel, bias)
}

/// `Y = A·B` (B a constant `[k, n]`) as a Dense layer without bias (an `Add` after it gives one).
fn matmul(chain: &mut Chain, node: &Node<'_>, current: &str, constants: &Constants) -> Result<(), Fail> {
    if node.proto.input.first().map(String::as_str) != Some(current) {
        return Err(node.fail("the first input must be the previous node's output and the second a constant"));
    }
    let k = features(chain, node)?;
    let (shape, b) = node.floats(1, constants)?.ok_or_else(|| node.fail("has no second input"))?;
    let &[bk, n] = shape.as_slice() else {
        return Err(node.fail(format!("B has shape {shape:?}, expected [{k}, units]")));
    };
    if bk != k {
        return Err(node.fail(format!("B has shape {shape:?}, the input has {k} features")));
    }
    dense(chain, node, k, n, b, None)
}

fn dense(
    chain: &mut Chain,
    node: &Node<'_>,
    k: usize,
    n: usize,
    kernel: Vec<f32>,
    bias: Option<Vec<f32>>,
) -> Result<(), Fail> {
    let mut config = DenseConfig::new(n);
    config.use_bias = bias.is_some();
    let mut weights = vec![Tensor::from_vec(&[k, n], kernel)];
    weights.extend(bias.map(|b| Tensor::from_vec(&[n], b)));
    chain.push(node.name(), config.into(), weights, &node.part)?;
    chain.open_bias = true;
    Ok(())
}

/// A constant that gives each of `n` outputs one value: `[n]`, `[1, n]`, `[n, 1, 1]`, one value…
fn per_output(node: &Node<'_>, shape: &[usize], values: &[f32], n: usize, what: &str) -> Result<Vec<f32>, Fail> {
    let trimmed: Vec<usize> = shape.iter().copied().skip_while(|&d| d == 1).collect();
    let ok = values.len() == 1 || (values.len() == n && trimmed.first() == Some(&n));
    if !ok {
        return Err(node.fail(format!("{what} has shape {shape:?}, expected one value per output ({n})")));
    }
    Ok(if values.len() == 1 { vec![values[0]; n] } else { values.to_vec() })
}

/// `LayerNormalization` over the last axis (opset 17) as Keras' LayerNormalization.
fn layer_norm(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    if node.proto.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(node.fail("outputs its mean and inverse deviation: wxb imports inference graphs"));
    }
    chain.make_plain(node.name(), &node.part)?;
    let rank = chain.shape.len() as i64 + 1;
    let axis = node.int("axis", -1)?;
    if axis != -1 && axis != rank - 1 {
        return Err(node.fail(format!("axis {axis} of a rank-{rank} value: wxb normalizes the last axis")));
    }
    let n = *chain.shape.last().expect("a sample has an axis");
    let (shape, gamma) = node.floats(1, constants)?.ok_or_else(|| node.fail("has no Scale"))?;
    let mut weights = vec![Tensor::from_vec(&[n], per_output(node, &shape, &gamma, n, "Scale")?)];
    if let Some((shape, beta)) = node.floats(2, constants)? {
        weights.push(Tensor::from_vec(&[n], per_output(node, &shape, &beta, n, "B")?));
    }
    let mut config = LayerNormalizationConfig { epsilon: node.float("epsilon", 1e-5)?, ..Default::default() };
    config.center = weights.len() == 2;
    chain.push(node.name(), config.into(), weights, &node.part)
}
