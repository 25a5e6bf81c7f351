//! The image and sequence operators (Conv, pooling, BatchNormalization) and those that move
//! values (Flatten, Reshape, Transpose, Pad) as wxb layers, keeping track of the layout.

use super::chain::{Chain, Layout, shown};
use super::node::Node;
use super::window::Window;
use super::{Constants, Fail};
use crate::layers::{
    AveragePooling1DConfig, AveragePooling2DConfig, BatchNormalizationConfig, Conv1DConfig, Conv2DConfig, DataFormat,
    FlattenConfig, GlobalAveragePooling1DConfig, GlobalAveragePooling2DConfig, GlobalMaxPooling1DConfig,
    GlobalMaxPooling2DConfig, LayerConfig, MaxPooling1DConfig, MaxPooling2DConfig, Padding, PermuteConfig,
    ReshapeConfig, ZeroPadding2DConfig,
};
use crate::tensor::Tensor;

/// The image's `[h, w]` once channels last (a sequence's `[1, steps]`) and its number of
/// spatial axes; `spatial` is what the node needs (1 or 2).
fn image(chain: &mut Chain, node: &Node<'_>, spatial: usize) -> Result<[usize; 2], Fail> {
    let rank = chain.onnx_shape().len();
    if rank != spatial + 1 {
        let what = if spatial == 1 { "a sequence [batch, c, steps]" } else { "an NCHW image" };
        return Err(
            node.fail(format!("needs {what}, the value before it is of shape [batch, {}]", shown(&chain.onnx_shape())))
        );
    }
    chain.make_channels_last(node.name(), &node.part)?;
    Ok(if spatial == 1 { [1, chain.shape[0]] } else { [chain.shape[0], chain.shape[1]] })
}

/// `Conv` with one group as Conv2D (a ZeroPadding2D before it for pads other than `valid` and
/// `same`) or, with 1-D weights, as Conv1D (`valid`, `same` or `causal`).
pub fn conv(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let (w_shape, w) = node.floats(1, constants)?.ok_or_else(|| node.fail("has no weights W"))?;
    let (out, per_group, kh, kw, spatial) = match *w_shape.as_slice() {
        [out, per_group, kh, kw] => (out, per_group, kh, kw, 2),
        [out, per_group, k] => (out, per_group, 1, k, 1),
        _ => {
            return Err(node.fail(format!(
                "W has shape {w_shape:?}: only 1-D and 2-D convolutions [out, in/groups, k…] are supported"
            )));
        }
    };
    let hw = image(chain, node, spatial)?;
    let window = Window::read(node, hw, spatial, Some([kh, kw]))?;
    if window.kernel != [kh, kw] {
        return Err(node.fail(format!("kernel_shape {:?} disagrees with W's shape {w_shape:?}", window.kernel)));
    }
    let groups = node.int("group", 1)?;
    if groups != 1 {
        return Err(node.fail(format!("group {groups}: wxb's convolutions have no groups here")));
    }
    let channels = *chain.shape.last().expect("a sample has an axis");
    if channels != per_group {
        return Err(node.fail(format!("W has shape {w_shape:?} for an input of {channels} channels")));
    }
    let padding = match (window.padding(hw), spatial) {
        (Some(Padding::Causal), 2) | (None, 2) => {
            let pad = ZeroPadding2DConfig { name: None, padding: window.pads, data_format: DataFormat::ChannelsLast };
            chain.push(&format!("{}/pad", node.name()), pad.into(), Vec::new(), &node.part)?;
            Padding::Valid
        }
        (Some(p), _) => p,
        (None, _) => {
            return Err(node.fail(format!(
                "pads {:?}: wxb's Conv1D pads only as Keras' \"valid\", \"same\" or \"causal\" do",
                window.pads[1]
            )));
        }
    };
    // [out, in/g, kh, kw] → [kh, kw, in/g, out].
    let mut kernel = vec![0.0; w.len()];
    for o in 0..out {
        for i in 0..per_group {
            for y in 0..kh {
                for x in 0..kw {
                    kernel[((y * kw + x) * per_group + i) * out + o] = w[((o * per_group + i) * kh + y) * kw + x];
                }
            }
        }
    }
    let bias = match node.floats(2, constants)? {
        None => None,
        Some((_, b)) if b.len() == out => Some(Tensor::from_vec(&[out], b)),
        Some((shape, _)) => return Err(node.fail(format!("B has shape {shape:?}, expected [{out}]"))),
    };
    let (config, kernel): (LayerConfig, Tensor) = if spatial == 2 {
        let mut c = Conv2DConfig::new(out, [kh, kw]);
        (c.strides, c.dilation_rate, c.padding, c.use_bias) =
            (window.strides, window.dilations, padding, bias.is_some());
        (c.into(), Tensor::from_vec(&[kh, kw, per_group, out], kernel))
    } else {
        let mut c = Conv1DConfig::new(out, [kw]);
        (c.strides, c.dilation_rate, c.padding, c.use_bias) =
            ([window.strides[1]], [window.dilations[1]], padding, bias.is_some());
        (c.into(), Tensor::from_vec(&[kw, per_group, out], kernel))
    };
    chain.push(node.name(), config, std::iter::once(kernel).chain(bias).collect(), &node.part)?;
    chain.open_bias = true;
    Ok(())
}

/// `MaxPool` and `AveragePool` (1-D or 2-D) as Keras' pooling layers.
pub fn pool(chain: &mut Chain, node: &Node<'_>) -> Result<(), Fail> {
    let spatial = chain.onnx_shape().len().saturating_sub(1);
    let hw = image(chain, node, if spatial == 1 { 1 } else { 2 })?;
    let window = Window::read(node, hw, spatial, None)?;
    if window.dilations != [1, 1] {
        return Err(node.fail(format!("dilations {:?}: wxb's pooling has none", window.dilations)));
    }
    let max = node.proto.op_type == "MaxPool";
    if node.int("storage_order", 0)? != 0 {
        return Err(node.fail("storage_order 1 is not supported"));
    }
    let include_pad = !max && node.int("count_include_pad", 0)? != 0;
    let mut padding = window.padding(hw).filter(|&p| p != Padding::Causal);
    if include_pad && padding == Some(Padding::Same) && window.pads != [[0, 0], [0, 0]] {
        padding = None;
    }
    let padding = match padding {
        Some(p) => p,
        // Zeros counted in the mean are a ZeroPadding2D before a valid pooling.
        None if include_pad && spatial == 2 => {
            let pad = ZeroPadding2DConfig { name: None, padding: window.pads, data_format: DataFormat::ChannelsLast };
            chain.push(&format!("{}/pad", node.name()), pad.into(), Vec::new(), &node.part)?;
            Padding::Valid
        }
        None => {
            return Err(node
                .fail(format!("pads {:?}: wxb's pooling pads only as Keras' \"valid\" or \"same\" do", window.pads)));
        }
    };
    if node.int("ceil_mode", 0)? != 0 {
        let fits = [0, 1].iter().all(|&a| {
            let padded = hw[a] + window.pads[a][0] + window.pads[a][1];
            padded < window.kernel[a] || (padded - window.kernel[a]) % window.strides[a] == 0
        });
        if !fits {
            return Err(node.fail("ceil_mode 1 gives another output size than wxb's pooling (floor)"));
        }
    }
    let (k, s) = (window.kernel, window.strides);
    let config: LayerConfig = match (max, spatial) {
        (true, 2) => MaxPooling2DConfig { strides: Some(s), padding, ..MaxPooling2DConfig::new(k) }.into(),
        (false, 2) => AveragePooling2DConfig { strides: Some(s), padding, ..AveragePooling2DConfig::new(k) }.into(),
        (true, _) => MaxPooling1DConfig { strides: Some([s[1]]), padding, ..MaxPooling1DConfig::new([k[1]]) }.into(),
        (false, _) => {
            AveragePooling1DConfig { strides: Some([s[1]]), padding, ..AveragePooling1DConfig::new([k[1]]) }.into()
        }
    };
    chain.push(node.name(), config, Vec::new(), &node.part)
}

/// `GlobalAveragePool`, `GlobalMaxPool`: `[c, h, w] → [c, 1, 1]` (channels last: `[1, 1, c]`), or
/// a sequence's `[c, steps] → [c, 1]`.
pub fn global_pool(chain: &mut Chain, node: &Node<'_>) -> Result<(), Fail> {
    let average = node.proto.op_type == "GlobalAveragePool";
    let config: LayerConfig = if chain.onnx_shape().len() == 2 {
        image(chain, node, 1)?;
        if average {
            GlobalAveragePooling1DConfig { keepdims: true, ..Default::default() }.into()
        } else {
            GlobalMaxPooling1DConfig { keepdims: true, ..Default::default() }.into()
        }
    } else {
        image(chain, node, 2)?;
        if average {
            GlobalAveragePooling2DConfig { keepdims: true, ..Default::default() }.into()
        } else {
            GlobalMaxPooling2DConfig { keepdims: true, ..Default::default() }.into()
        }
    };
    chain.push(node.name(), config, Vec::new(), &node.part)
}

/// `BatchNormalization` (inference) over the channels: of an image (channels last) or of
/// `[batch, features]`.
pub fn batch_norm(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    if node.int("training_mode", 0)? != 0 || node.proto.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(node.fail("training mode (running statistics as outputs): wxb imports inference graphs"));
    }
    if chain.layout == Layout::Plain && chain.shape.len() != 1 {
        chain.make_channels_last(node.name(), &node.part)?;
    }
    let c = *chain.shape.last().expect("a sample has an axis");
    let mut weights = Vec::new();
    for (i, name) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
        let (shape, values) = node.floats(i, constants)?.ok_or_else(|| node.fail(format!("has no {name}")))?;
        if values.len() != c {
            return Err(node.fail(format!("{name} has shape {shape:?}, the input has {c} channels")));
        }
        weights.push(Tensor::from_vec(&[c], values));
    }
    let config = BatchNormalizationConfig { epsilon: node.float("epsilon", 1e-5)?, ..Default::default() };
    chain.push(node.name(), config.into(), weights, &node.part)
}

/// `Flatten` (axis 1): an image goes back to ONNX's `c, h, w` order first (unless it is `1×1`,
/// where the orders agree).
pub fn flatten(chain: &mut Chain, node: &Node<'_>) -> Result<(), Fail> {
    if node.int("axis", 1)? != 1 {
        return Err(node.fail("axis other than 1: wxb flattens each sample whole"));
    }
    if chain.layout == Layout::ChannelsLast && !chain.spatial_is_one() {
        chain.make_plain(node.name(), &node.part)?;
    }
    chain.push(node.name(), FlattenConfig::default().into(), Vec::new(), &node.part)?;
    chain.layout = Layout::Plain;
    Ok(())
}

/// `Reshape` with a constant shape whose first entry keeps the batch (`0` or `-1`).
pub fn reshape(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    let t = node.constant_input(1, constants)?.ok_or_else(|| node.fail("has no shape"))?;
    let shape = crate::io::onnx::tensor::ints(t).map_err(|m| node.fail(format!("shape: {m}")))?;
    chain.make_plain(node.name(), &node.part)?;
    let input = chain.shape.clone();
    let allow_zero = node.int("allowzero", 0)? != 0;
    let Some((&first, rest)) = shape.split_first() else {
        return Err(node.fail("an empty shape: wxb keeps the batch axis"));
    };
    let target: Option<Vec<i64>> = rest
        .iter()
        .enumerate()
        .map(|(i, &d)| match d {
            0 if !allow_zero => input.get(i).map(|&v| v as i64),
            -1 => Some(-1),
            d if d > 0 => Some(d),
            _ => None,
        })
        .collect();
    let Some(mut target) = target else {
        return Err(node.fail(format!("shape {shape:?}: wxb reshapes to positive lengths")));
    };
    match first {
        0 if !allow_zero => {}
        -1 if !target.contains(&-1) => {
            // The batch is inferred: the rest must hold one sample exactly.
            let n: i64 = input.iter().map(|&d| d as i64).product();
            if target.iter().product::<i64>() != n {
                return Err(node.fail(format!("shape {shape:?} for samples of [{}]", shown(&input))));
            }
        }
        _ => return Err(node.fail(format!("shape {shape:?} fixes the batch axis: only 0 or -1 keep it"))),
    }
    if target.is_empty() {
        target.push(1);
    }
    chain.push(node.name(), ReshapeConfig::new(&target).into(), Vec::new(), &node.part)
}

/// `Transpose` keeping the batch first: a change of layout only (no layer), or a Permute.
pub fn transpose(chain: &mut Chain, node: &Node<'_>) -> Result<(), Fail> {
    let rank = chain.onnx_shape().len() + 1;
    let perm = node.ints("perm")?.unwrap_or_else(|| (0..rank as i64).rev().collect());
    let mut seen = vec![false; rank];
    let valid = perm.len() == rank
        && perm.iter().all(|&p| (0..rank as i64).contains(&p) && !std::mem::replace(&mut seen[p as usize], true));
    if !valid || perm[0] != 0 {
        return Err(node.fail(format!("perm {perm:?} for a rank-{rank} value: the batch axis must stay first")));
    }
    match (chain.layout, perm.as_slice()) {
        (Layout::Plain, [0, 3, 1, 2] | [0, 2, 1]) => chain.layout = Layout::ChannelsLast,
        (Layout::ChannelsLast, [0, 2, 3, 1] | [0, 2, 1]) => chain.layout = Layout::Plain,
        _ => {
            chain.make_plain(node.name(), &node.part)?;
            let dims: Vec<usize> = perm[1..].iter().map(|&p| p as usize).collect();
            chain.push(node.name(), PermuteConfig::new(&dims).into(), Vec::new(), &node.part)?;
        }
    }
    Ok(())
}

/// `Pad` with zeros on the image's height and width only, as ZeroPadding2D.
pub fn pad(chain: &mut Chain, node: &Node<'_>, constants: &Constants) -> Result<(), Fail> {
    if node.string("mode", "constant")? != "constant" {
        return Err(node.fail("only mode \"constant\" (zeros) is supported"));
    }
    if let Some((_, value)) = node.floats(2, constants)?
        && value.iter().any(|&v| v != 0.0)
    {
        return Err(node.fail(format!("constant_value {value:?}: wxb pads with zeros")));
    }
    if node.proto.input.get(3).is_some_and(|a| !a.is_empty()) {
        return Err(node.fail("an axes input is not supported"));
    }
    let t = node.constant_input(1, constants)?.ok_or_else(|| node.fail("has no pads"))?;
    let pads = crate::io::onnx::tensor::ints(t).map_err(|m| node.fail(format!("pads: {m}")))?;
    let &[0, 0, t, l, 0, 0, b, r] = pads.as_slice() else {
        return Err(node.fail(format!("pads {pads:?}: wxb pads an NCHW image's height and width only")));
    };
    if [t, l, b, r].iter().any(|&p| !(0..=1 << 20).contains(&p)) {
        return Err(node.fail(format!("pads {pads:?}: expected lengths from 0 to 2^20")));
    }
    image(chain, node, 2)?;
    let padding = [[t as usize, b as usize], [l as usize, r as usize]];
    let config = ZeroPadding2DConfig { name: None, padding, data_format: DataFormat::ChannelsLast };
    chain.push(node.name(), config.into(), Vec::new(), &node.part)
}
