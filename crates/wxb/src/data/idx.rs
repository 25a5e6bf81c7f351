//! IDX files, the format of MNIST: a big-endian header and a dense array, raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type code (`0x08` u8, `0x09` i8, `0x0B` i16, `0x0C` i32, `0x0D` f32,
//! `0x0E` f64), the rank `r` (one byte), `r` dimensions as big-endian `u32`, then the elements,
//! row-major and big-endian. Gzip is detected by its magic bytes (`1F 8B`), not by the file name;
//! a gzip file may hold several members (as `bgzip` writes), read as one stream.
//!
//! Checks, all before the data is allocated: the magic number, that the element and byte counts of
//! the shape do not overflow, and that the data holds exactly the declared number of bytes (for gzip:
//! that the compressed size can possibly hold it, then decompression stops one byte past it, so
//! truncated streams, trailing bytes and corrupt streams (CRC) are all refused).

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::{ByteOrder, DataError, ElemType, checked_size, fill, max_inflated, read_capped, read_file};
use crate::Tensor;

/// An IDX file's contents: its element type and its data converted to `f32`, of the IDX shape.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The element type stored in the file.
    pub dtype: ElemType,
    /// The elements as `f32`, shaped as the file's dimensions.
    pub tensor: Tensor,
}

/// Reads an IDX file, raw or gzip-compressed.
pub fn read(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = read_file(path)?;
    decode(&bytes, path)
}

/// Decodes an IDX file held in memory (raw or gzip); `name` stands for the path in errors.
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<IdxArray, DataError> {
    decode(bytes, Path::new(name))
}

pub(super) fn decode(bytes: &[u8], path: &Path) -> Result<IdxArray, DataError> {
    if bytes.is_empty() {
        return Err(DataError::EmptyFile { path: path.to_path_buf() });
    }
    if bytes.starts_with(&[0x1F, 0x8B]) {
        let mut gz = MultiGzDecoder::new(bytes);
        let header = Header::parse(&mut gz, path)?;
        let limit = max_inflated(bytes.len() as u64);
        if header.bytes > limit {
            return Err(DataError::ImplausibleSize {
                path: path.to_path_buf(),
                declared: header.bytes,
                compressed: bytes.len() as u64,
                limit,
            });
        }
        let data = read_capped(gz, header.bytes, path)?;
        header.finish(&data, path)
    } else {
        let mut r = bytes;
        let header = Header::parse(&mut r, path)?;
        header.finish(r, path)
    }
}

/// A parsed IDX header.
struct Header {
    dtype: ElemType,
    shape: Vec<usize>,
    bytes: u64,
}

impl Header {
    fn parse(r: &mut impl Read, path: &Path) -> Result<Header, DataError> {
        let p = || path.to_path_buf();
        let io = |source| DataError::Decompress { path: p(), source };
        let mut magic = [0u8; 4];
        let got = fill(r, &mut magic).map_err(io)?;
        if got < 4 {
            return Err(DataError::Truncated { path: p(), what: "IDX header", expected: 4, got: got as u64 });
        }
        let dtype = match (magic[0], magic[1], magic[2]) {
            (0, 0, 0x08) => ElemType::U8,
            (0, 0, 0x09) => ElemType::I8,
            (0, 0, 0x0B) => ElemType::I16,
            (0, 0, 0x0C) => ElemType::I32,
            (0, 0, 0x0D) => ElemType::F32,
            (0, 0, 0x0E) => ElemType::F64,
            _ => return Err(DataError::BadMagic { path: p(), magic: u32::from_be_bytes(magic) }),
        };
        let rank = usize::from(magic[3]);
        let mut dims = vec![0u8; 4 * rank];
        let got = fill(r, &mut dims).map_err(io)?;
        if got < dims.len() {
            return Err(DataError::Truncated {
                path: p(),
                what: "IDX header",
                expected: 4 + dims.len() as u64,
                got: 4 + got as u64,
            });
        }
        let dims: Vec<u64> = dims
            .chunks_exact(4)
            .map(|c| u64::from(u32::from_be_bytes(c.try_into().expect("4-byte dimension"))))
            .collect();
        let (shape, bytes) = checked_size(&dims, dtype.size(), path)?;
        Ok(Header { dtype, shape, bytes })
    }

    fn finish(self, data: &[u8], path: &Path) -> Result<IdxArray, DataError> {
        if data.len() as u64 != self.bytes {
            return Err(DataError::SizeMismatch {
                path: PathBuf::from(path),
                shape: self.shape,
                dtype: self.dtype.name(),
                expected: self.bytes,
                got: data.len() as u64,
            });
        }
        let tensor = if self.dtype == ElemType::U8 {
            // Images, the common case: converted straight into the tensor (no second copy).
            Tensor::from_iter_with_shape(&self.shape, data.iter().map(|&b| f32::from(b)))
        } else {
            Tensor::from_vec(&self.shape, super::elem::to_f32(data, self.dtype, ByteOrder::Big, path)?)
        };
        Ok(IdxArray { dtype: self.dtype, tensor })
    }
}

/// Encodes `tensor` as an IDX file of `dtype` (values are cast with Rust's `as`, saturating).
/// For tests and tools that write small IDX files; `dtype` must be one IDX supports.
///
/// # Panics
/// If `dtype` has no IDX type code, the rank exceeds 255 or a dimension exceeds `u32::MAX`.
pub fn encode(tensor: &Tensor, dtype: ElemType) -> Vec<u8> {
    let code = match dtype {
        ElemType::U8 => 0x08,
        ElemType::I8 => 0x09,
        ElemType::I16 => 0x0B,
        ElemType::I32 => 0x0C,
        ElemType::F32 => 0x0D,
        ElemType::F64 => 0x0E,
        other => panic!("idx::encode: IDX has no type {}", other.name()),
    };
    let rank = u8::try_from(tensor.rank()).expect("idx::encode: rank above 255");
    let mut out = vec![0, 0, code, rank];
    for &d in tensor.shape() {
        out.extend(u32::try_from(d).expect("idx::encode: dimension above u32::MAX").to_be_bytes());
    }
    for &x in tensor.data() {
        match dtype {
            ElemType::U8 => out.push(x as u8),
            ElemType::I8 => out.push(x as i8 as u8),
            ElemType::I16 => out.extend((x as i16).to_be_bytes()),
            ElemType::I32 => out.extend((x as i32).to_be_bytes()),
            ElemType::F32 => out.extend(x.to_be_bytes()),
            _ => out.extend(f64::from(x).to_be_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_type_round_trips_raw_and_gzipped() {
        let t = Tensor::from_vec(&[2, 3], vec![0., 1., 2., 3., 4., 100.]);
        for ty in [ElemType::U8, ElemType::I8, ElemType::I16, ElemType::I32, ElemType::F32, ElemType::F64] {
            let raw = encode(&t, ty);
            assert_eq!(from_bytes(&raw, "t").unwrap(), IdxArray { dtype: ty, tensor: t.clone() });
            assert_eq!(from_bytes(&gzip(&raw), "t").unwrap().tensor, t);
        }
        let neg = Tensor::from_vec(&[2], vec![-5., -300.]);
        assert_eq!(from_bytes(&encode(&neg, ElemType::I16), "n").unwrap().tensor, neg);
    }

    #[test]
    fn scalars_and_empty_arrays_are_fine() {
        assert_eq!(from_bytes(&[0, 0, 8, 0, 7], "s").unwrap().tensor, Tensor::from_vec(&[], vec![7.]));
        assert_eq!(from_bytes(&[0, 0, 8, 1, 0, 0, 0, 0], "e").unwrap().tensor.shape(), &[0]);
    }
}
