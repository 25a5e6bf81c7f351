//! Element types of binary array files (IDX, `.npy`) and their conversion to `f32`.

use std::path::Path;

use super::DataError;

/// The numeric type of the elements stored in a binary array file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ElemType {
    /// `bool`, one byte, 0 is false and anything else true.
    Bool,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

/// The order of the bytes of multi-byte elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (NumPy's `<`).
    Little,
    /// Most significant byte first (IDX, NumPy's `>`).
    Big,
}

impl ElemType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            ElemType::Bool | ElemType::U8 | ElemType::I8 => 1,
            ElemType::U16 | ElemType::I16 => 2,
            ElemType::U32 | ElemType::I32 | ElemType::F32 => 4,
            ElemType::U64 | ElemType::I64 | ElemType::F64 => 8,
        }
    }

    /// NumPy's name of the type (`uint8`, `float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ElemType::Bool => "bool",
            ElemType::U8 => "uint8",
            ElemType::I8 => "int8",
            ElemType::U16 => "uint16",
            ElemType::I16 => "int16",
            ElemType::U32 => "uint32",
            ElemType::I32 => "int32",
            ElemType::U64 => "uint64",
            ElemType::I64 => "int64",
            ElemType::F32 => "float32",
            ElemType::F64 => "float64",
        }
    }
}

/// Converts `bytes` (a whole number of elements) to `f32`.
///
/// Integers are rounded to the nearest `f32` (exact up to 2^24). NaN and infinities in float data are
/// kept. A finite `f64` beyond the range of `f32` is an error ([`DataError::ValueOverflow`]) rather
/// than a silent infinity.
pub(crate) fn to_f32(bytes: &[u8], ty: ElemType, order: ByteOrder, path: &Path) -> Result<Vec<f32>, DataError> {
    debug_assert_eq!(bytes.len() % ty.size(), 0);
    macro_rules! conv {
        ($t:ty, $n:literal) => {
            bytes
                .chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().expect("chunks_exact yields whole elements");
                    (match order {
                        ByteOrder::Little => <$t>::from_le_bytes(a),
                        ByteOrder::Big => <$t>::from_be_bytes(a),
                    }) as f32
                })
                .collect()
        };
    }
    Ok(match ty {
        ElemType::Bool => bytes.iter().map(|&b| f32::from(u8::from(b != 0))).collect(),
        ElemType::U8 => bytes.iter().map(|&b| f32::from(b)).collect(),
        ElemType::I8 => bytes.iter().map(|&b| f32::from(b as i8)).collect(),
        ElemType::U16 => conv!(u16, 2),
        ElemType::I16 => conv!(i16, 2),
        ElemType::U32 => conv!(u32, 4),
        ElemType::I32 => conv!(i32, 4),
        ElemType::U64 => conv!(u64, 8),
        ElemType::I64 => conv!(i64, 8),
        ElemType::F32 => conv!(f32, 4),
        ElemType::F64 => {
            let mut out = Vec::with_capacity(bytes.len() / 8);
            for (index, c) in bytes.chunks_exact(8).enumerate() {
                let a: [u8; 8] = c.try_into().expect("chunks_exact yields whole elements");
                let value = match order {
                    ByteOrder::Little => f64::from_le_bytes(a),
                    ByteOrder::Big => f64::from_be_bytes(a),
                };
                let x = value as f32;
                if x.is_infinite() && value.is_finite() {
                    return Err(DataError::ValueOverflow { path: path.to_path_buf(), index, value });
                }
                out.push(x);
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_type_in_both_orders() {
        let p = Path::new("x");
        assert_eq!(to_f32(&[0, 1, 7], ElemType::Bool, ByteOrder::Little, p).unwrap(), [0., 1., 1.]);
        assert_eq!(to_f32(&[255], ElemType::I8, ByteOrder::Little, p).unwrap(), [-1.]);
        assert_eq!(to_f32(&[1, 2], ElemType::U16, ByteOrder::Big, p).unwrap(), [258.]);
        assert_eq!(to_f32(&[1, 2], ElemType::U16, ByteOrder::Little, p).unwrap(), [513.]);
        assert_eq!(to_f32(&(-3i64).to_be_bytes(), ElemType::I64, ByteOrder::Big, p).unwrap(), [-3.]);
        assert_eq!(to_f32(&1.5f32.to_le_bytes(), ElemType::F32, ByteOrder::Little, p).unwrap(), [1.5]);
        let nan = to_f32(&f64::NAN.to_be_bytes(), ElemType::F64, ByteOrder::Big, p).unwrap();
        assert!(nan[0].is_nan());
    }

    #[test]
    fn a_finite_double_beyond_f32_is_refused() {
        let mut b = 1.0f64.to_le_bytes().to_vec();
        b.extend(1e300f64.to_le_bytes());
        let e = to_f32(&b, ElemType::F64, ByteOrder::Little, Path::new("x.npy")).unwrap_err();
        assert!(matches!(e, DataError::ValueOverflow { index: 1, .. }));
        assert_eq!(e.to_string(), "x.npy: element 1 = 1e300 does not fit a 32-bit float");
        let inf = to_f32(&f64::INFINITY.to_le_bytes(), ElemType::F64, ByteOrder::Little, Path::new("x")).unwrap();
        assert_eq!(inf, [f32::INFINITY]);
    }
}
