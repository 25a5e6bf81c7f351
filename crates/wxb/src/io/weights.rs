//! `model.safetensors`: the weights (and optionally the optimizer slots) as f32 tensors.

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::{FORMAT_NAME, ModelIoError, OptimizerState};
use crate::model::Sequential;
use crate::tensor::Tensor;

/// The safetensors bytes for `model` with `config` embedded, and their generation stamp.
pub(super) fn encode(model: &Sequential, config: &str, state: OptimizerState) -> (Vec<u8>, String) {
    let mut tensors: BTreeMap<String, &Tensor> = model.named_weights();
    let snapshot = match (state, model.optimizer()) {
        (OptimizerState::Include, Some(opt)) => opt.state().tensors,
        _ => Vec::new(),
    };
    for (name, t) in &snapshot {
        tensors.insert(format!("optimizer.{name}"), t);
    }
    let generation = stamp(config, &tensors);
    let meta = [("config", config), ("format", FORMAT_NAME), ("generation", generation.as_str())];
    (serialize(&tensors, &meta), generation)
}

/// The safetensors file of f32 `tensors` with string `metadata`, the same bytes for the same
/// arguments (the `safetensors` crate orders its metadata by a `HashMap`, so two identical saves
/// would differ): an 8-byte little-endian header length, the JSON header with its keys sorted
/// (`__metadata__` first, then every tensor's dtype, shape and data offsets) padded with spaces to
/// a multiple of 8, then the tensors' bytes in name order.
fn serialize(tensors: &BTreeMap<String, &Tensor>, metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let meta: serde_json::Map<String, serde_json::Value> =
        metadata.iter().map(|(k, v)| ((*k).to_string(), serde_json::Value::from(*v))).collect();
    header.insert("__metadata__".into(), meta.into());
    let mut offset = 0usize;
    for (name, t) in tensors {
        let end = offset + 4 * t.len();
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": t.shape(), "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut json = serde_json::to_vec(&serde_json::Value::Object(header)).expect("a JSON map serialises");
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut bytes = Vec::with_capacity(8 + json.len() + offset);
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    for t in tensors.values() {
        bytes.extend(t.data().iter().flat_map(|x| x.to_le_bytes()));
    }
    bytes
}

/// FNV-1a over the configuration and every tensor's name and bytes.
fn stamp(config: &str, tensors: &BTreeMap<String, &Tensor>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(config.as_bytes());
    for (name, t) in tensors {
        eat(name.as_bytes());
        t.data().iter().for_each(|x| eat(&x.to_le_bytes()));
    }
    format!("{h:016x}")
}

/// A decoded weights file.
pub(super) struct Decoded {
    pub generation: String,
    pub embedded_config: String,
    pub tensors: BTreeMap<String, (Vec<usize>, Dtype, Vec<f32>)>,
}

pub(super) fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, ModelIoError> {
    let err = |message: String| ModelIoError::Weights { path: path.to_path_buf(), message };
    let st = SafeTensors::deserialize(bytes).map_err(|e| err(e.to_string()))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| err(e.to_string()))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT_NAME) {
        return Err(err(format!("no \"format\": {FORMAT_NAME:?} in its metadata: not written by wxb")));
    }
    let generation = meta.get("generation").cloned().ok_or_else(|| err("no generation stamp".into()))?;
    let embedded_config = meta.get("config").cloned().ok_or_else(|| err("no embedded configuration".into()))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        let data = if view.dtype() == Dtype::F32 {
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        } else {
            Vec::new()
        };
        if let Some(i) = data.iter().position(|v: &f32| !v.is_finite()) {
            return Err(err(format!("tensor {name} holds {} at index {i}: the weights are damaged", data[i])));
        }
        tensors.insert(name, (view.shape().to_vec(), view.dtype(), data));
    }
    Ok(Decoded { generation, embedded_config, tensors })
}

/// Copies the decoded tensors into `model`, checking names, shapes and dtypes.
pub(super) fn restore(
    path: &Path,
    decoded: &Decoded,
    model: &mut Sequential,
    optimizer_iterations: Option<u64>,
    optimizer_scalars: &[(String, f32)],
) -> Result<(), ModelIoError> {
    let mut wanted: Vec<String> = Vec::new();
    let mut weights = Vec::new();
    for (i, layer) in model.layers().iter().enumerate() {
        for p in layer.params() {
            let name = format!("layers.{i}.{}", p.name);
            weights.push(fetch(path, decoded, &name, p.value.shape())?);
            wanted.push(name);
        }
    }
    model.set_weights(&weights).expect("shapes checked against the configuration");
    if let Some(iterations) = optimizer_iterations {
        // Slot "optimizer.{v}.{slot}" has the shape of trainable variable v.
        let shapes: Vec<Vec<usize>> =
            model.params().filter(|(_, _, p)| p.trainable).map(|(_, _, p)| p.value.shape().to_vec()).collect();
        let mut tensors = Vec::new();
        for name in decoded.tensors.keys().filter_map(|k| k.strip_prefix("optimizer.")) {
            let v: Option<usize> = name.split('.').next().and_then(|v| v.parse().ok());
            let Some(shape) = v.and_then(|v| shapes.get(v)) else {
                return Err(ModelIoError::UnexpectedTensor {
                    path: path.to_path_buf(),
                    name: format!("optimizer.{name}"),
                });
            };
            let full = format!("optimizer.{name}");
            tensors.push((name.to_string(), fetch(path, decoded, &full, shape)?));
            wanted.push(full);
        }
        // Slots are all there or none are (a fresh optimizer creates them at its first step).
        if let (false, Some(opt)) = (tensors.is_empty(), model.optimizer()) {
            for v in 0..shapes.len() {
                for slot in opt.slot_names() {
                    let name = format!("optimizer.{v}.{slot}");
                    if !decoded.tensors.contains_key(&name) {
                        return Err(ModelIoError::MissingTensor { path: path.to_path_buf(), name });
                    }
                }
            }
        }
        let state = crate::optim::OptimizerState { iterations, tensors, scalars: optimizer_scalars.to_vec() };
        if let Some(opt) = model.optimizer_mut() {
            opt.restore_state(&state)
                .map_err(|e| ModelIoError::Weights { path: path.to_path_buf(), message: e.to_string() })?;
        }
    }
    for name in decoded.tensors.keys() {
        if !wanted.contains(name) {
            return Err(ModelIoError::UnexpectedTensor { path: path.to_path_buf(), name: name.clone() });
        }
    }
    Ok(())
}

/// Checks that `name` is in the file with `shape` and dtype F32, before anything is built.
pub(super) fn expect(path: &Path, decoded: &Decoded, name: &str, shape: &[usize]) -> Result<(), ModelIoError> {
    let (got, dtype, _) = decoded
        .tensors
        .get(name)
        .ok_or_else(|| ModelIoError::MissingTensor { path: path.to_path_buf(), name: name.to_string() })?;
    if got != shape || *dtype != Dtype::F32 {
        return Err(ModelIoError::TensorShape {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected: shape.to_vec(),
            got: got.clone(),
            dtype: format!("{dtype:?}"),
        });
    }
    Ok(())
}

fn fetch(path: &Path, decoded: &Decoded, name: &str, shape: &[usize]) -> Result<Tensor, ModelIoError> {
    expect(path, decoded, name, shape)?;
    Ok(Tensor::from_vec(shape, decoded.tensors[name].2.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tensors_give_the_same_bytes_and_the_crate_reads_them() {
        let (a, b) = (Tensor::from_vec(&[2, 3], vec![1., 2., 3., 4., 5., 6.]), Tensor::from_vec(&[1], vec![-0.5]));
        let tensors: BTreeMap<String, &Tensor> =
            [("layers.0.kernel".to_string(), &a), ("layers.0.bias".to_string(), &b)].into();
        let meta = [("config", "{\"x\": 1}"), ("format", FORMAT_NAME), ("generation", "abc")];
        let bytes = serialize(&tensors, &meta);
        for _ in 0..5 {
            assert_eq!(serialize(&tensors, &meta), bytes, "serialization is deterministic");
        }
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!(header_len % 8, 0);
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let kernel = st.tensor("layers.0.kernel").unwrap();
        assert_eq!(kernel.shape(), [2, 3]);
        assert_eq!(kernel.dtype(), Dtype::F32);
        assert_eq!(&kernel.data()[4..8], 2.0f32.to_le_bytes());
        assert_eq!(st.tensor("layers.0.bias").unwrap().data(), (-0.5f32).to_le_bytes());
        let (_, m) = SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(m.metadata().as_ref().unwrap()["config"], "{\"x\": 1}");
    }
}
