//! ONNX constant tensors to and from wxb's: shapes checked against the values they hold, values
//! read from `raw_data` (little-endian) or the typed fields.

use super::proto::{self, TensorProto};
use crate::tensor::Tensor;

/// The most values one constant tensor may hold (2³⁰, 4 GiB of f32): a shape claiming more is
/// refused before anything is allocated.
pub const MAX_TENSOR_VALUES: usize = 1 << 30;

/// The shape of `t`, every dimension checked (non-negative, the product at most
/// [`MAX_TENSOR_VALUES`]).
pub fn shape(t: &TensorProto) -> Result<Vec<usize>, String> {
    let mut n = 1usize;
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| format!("dimension {d} in shape {:?}", t.dims))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= MAX_TENSOR_VALUES)
            .ok_or_else(|| format!("shape {:?} holds more than {MAX_TENSOR_VALUES} values, over the limit", t.dims))?;
        dims.push(d);
    }
    Ok(dims)
}

fn count(t: &TensorProto) -> Result<usize, String> {
    Ok(shape(t)?.iter().product())
}

fn check_len(t: &TensorProto, got: usize) -> Result<(), String> {
    let want = count(t)?;
    if got != want {
        return Err(format!("holds {got} values, its shape {:?} needs {want}", t.dims));
    }
    Ok(())
}

fn not_external(t: &TensorProto) -> Result<(), String> {
    if t.data_location == 1 || !t.external_data.is_empty() {
        return Err("its values are stored outside the file (external data), which wxb does not read".into());
    }
    Ok(())
}

/// The values of a FLOAT or DOUBLE tensor as `f32`, row-major.
pub fn floats(t: &TensorProto) -> Result<Vec<f32>, String> {
    not_external(t)?;
    let values: Vec<f32> = match t.data_type {
        proto::FLOAT if !t.raw_data.is_empty() => {
            if !t.raw_data.len().is_multiple_of(4) {
                return Err(format!("raw_data of {} bytes is not a whole number of f32 values", t.raw_data.len()));
            }
            t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        }
        proto::FLOAT => t.float_data.clone(),
        proto::DOUBLE if !t.raw_data.is_empty() => {
            if !t.raw_data.len().is_multiple_of(8) {
                return Err(format!("raw_data of {} bytes is not a whole number of f64 values", t.raw_data.len()));
            }
            t.raw_data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect()
        }
        proto::DOUBLE => t.double_data.iter().map(|&v| v as f32).collect(),
        other => return Err(format!("element type {} where floats are needed", type_name(other))),
    };
    check_len(t, values.len())?;
    Ok(values)
}

/// The values of an INT64 or INT32 tensor, row-major.
pub fn ints(t: &TensorProto) -> Result<Vec<i64>, String> {
    not_external(t)?;
    let values: Vec<i64> = match t.data_type {
        proto::INT64 if !t.raw_data.is_empty() => {
            if !t.raw_data.len().is_multiple_of(8) {
                return Err(format!("raw_data of {} bytes is not a whole number of i64 values", t.raw_data.len()));
            }
            t.raw_data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes"))).collect()
        }
        proto::INT64 => t.int64_data.clone(),
        proto::INT32 if !t.raw_data.is_empty() => {
            if !t.raw_data.len().is_multiple_of(4) {
                return Err(format!("raw_data of {} bytes is not a whole number of i32 values", t.raw_data.len()));
            }
            t.raw_data.chunks_exact(4).map(|b| i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect()
        }
        proto::INT32 => t.int32_data.iter().map(|&v| i64::from(v)).collect(),
        other => return Err(format!("element type {} where integers are needed", type_name(other))),
    };
    check_len(t, values.len())?;
    Ok(values)
}

/// A FLOAT tensor named `name` holding `t` (values in `raw_data`).
pub fn from_tensor(name: &str, t: &Tensor) -> TensorProto {
    floats_proto(name, t.shape(), t.data())
}

/// A FLOAT tensor named `name` of shape `dims` holding `values` (in `raw_data`).
pub fn floats_proto(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: proto::FLOAT,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..TensorProto::default()
    }
}

/// An INT64 tensor named `name` of shape `[values.len()]`.
pub fn ints_proto(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: proto::INT64,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..TensorProto::default()
    }
}

/// ONNX's name of an element type, for messages.
pub fn type_name(data_type: i32) -> String {
    let name = match data_type {
        0 => "UNDEFINED",
        1 => "FLOAT",
        2 => "UINT8",
        3 => "INT8",
        4 => "UINT16",
        5 => "INT16",
        6 => "INT32",
        7 => "INT64",
        8 => "STRING",
        9 => "BOOL",
        10 => "FLOAT16",
        11 => "DOUBLE",
        16 => "BFLOAT16",
        _ => return format!("#{data_type}"),
    };
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_raw_data_or_the_typed_field_and_must_fill_the_shape() {
        let t = from_tensor("w", &Tensor::from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!((shape(&t).unwrap(), floats(&t).unwrap()), (vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]));
        let typed =
            TensorProto { dims: vec![2], data_type: proto::FLOAT, float_data: vec![5.0, 6.0], ..Default::default() };
        assert_eq!(floats(&typed).unwrap(), [5.0, 6.0]);
        let short = TensorProto { dims: vec![3], ..typed.clone() };
        assert!(floats(&short).unwrap_err().contains("holds 2 values, its shape [3] needs 3"));
        let huge = TensorProto { dims: vec![1 << 20, 1 << 20], ..typed.clone() };
        assert!(floats(&huge).unwrap_err().contains("over the limit"));
        let negative = TensorProto { dims: vec![-1], ..typed };
        assert!(shape(&negative).is_err());
        assert_eq!(ints(&ints_proto("s", &[-1, 8])).unwrap(), [-1, 8]);
        assert!(floats(&ints_proto("s", &[1])).unwrap_err().contains("INT64"));
    }
}
