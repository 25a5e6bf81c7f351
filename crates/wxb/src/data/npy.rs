//! NumPy `.npy` arrays, format versions 1.0, 2.0 and 3.0.
//!
//! Layout: the magic `\x93NUMPY`, the major and minor version bytes, the header length (`u16`
//! little-endian in version 1, `u32` in 2 and 3), then the header: a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a newline,
//! then the elements.
//!
//! Supported dtypes: `f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`, little- (`<`) or big-endian (`>`) or,
//! for one-byte types, `|`; all are converted to `f32` (see [`ElemType`] for rounding and the
//! refusal of `f64` values beyond `f32`). Structured dtypes, strings, objects and `f2` are refused.
//! A `fortran_order: True` array is transposed into row-major order, so the tensor always has the
//! array's shape and NumPy's logical element order.
//!
//! Limits: the header is at most [`MAX_HEADER_BYTES`]; the element and byte counts of the shape are
//! computed with checked arithmetic, and the data must hold exactly that many bytes before anything
//! of that size is allocated.

use std::path::Path;

use super::{ByteOrder, DataError, ElemType, cell_text, checked_size, read_file};
use crate::Tensor;

/// The longest header accepted (NumPy itself refuses headers over 10,000 bytes by default).
pub const MAX_HEADER_BYTES: usize = 65_536;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const SUPPORTED: &str = "f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, with byte order < or > (or | for one-byte types)";

/// Reads a `.npy` file.
pub fn read(path: &Path) -> Result<Tensor, DataError> {
    let bytes = read_file(path)?;
    decode(&bytes, path)
}

/// Decodes a `.npy` file held in memory; `name` stands for the path in errors.
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Tensor, DataError> {
    decode(bytes, Path::new(name))
}

/// Encodes `tensor` as a version 1.0 `.npy` file of little-endian `f32` (`<f4`), C order.
pub fn encode(tensor: &Tensor) -> Vec<u8> {
    let shape: Vec<String> = tensor.shape().iter().map(|d| d.to_string()).collect();
    let shape = if shape.len() == 1 { format!("({},)", shape[0]) } else { format!("({})", shape.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad with spaces so that the data starts at a multiple of 64 bytes, then end with a newline.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 4 * tensor.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&u16::try_from(header.len()).expect("npy::encode: header too long").to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &x in tensor.data() {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// What a `.npy` header says: the element type and byte order, the shape, whether the elements
/// are in Fortran order, where they start and how many bytes they take.
#[derive(Debug)]
pub(super) struct Header {
    pub ty: ElemType,
    pub order: ByteOrder,
    pub shape: Vec<usize>,
    pub fortran: bool,
    pub data_start: usize,
    pub size: u64,
}

pub(super) fn decode(bytes: &[u8], path: &Path) -> Result<Tensor, DataError> {
    let Header { ty, order, shape, fortran, data_start, size } = header(bytes, path)?;
    let data = &bytes[data_start..];
    if data.len() as u64 != size {
        return Err(DataError::SizeMismatch {
            path: path.to_path_buf(),
            shape,
            dtype: ty.name(),
            expected: size,
            got: data.len() as u64,
        });
    }
    let values = super::elem::to_f32(data, ty, order, path)?;
    let values = if fortran && shape.len() > 1 { fortran_to_c(&values, &shape) } else { values };
    Ok(Tensor::from_vec(&shape, values))
}

/// Parses the header at the start of `bytes` (which need hold no more than the header).
pub(super) fn header(bytes: &[u8], path: &Path) -> Result<Header, DataError> {
    let p = || path.to_path_buf();
    if bytes.is_empty() {
        return Err(DataError::EmptyFile { path: p() });
    }
    if !bytes.starts_with(MAGIC) {
        return Err(DataError::NpyMagic { path: p() });
    }
    let truncated =
        |expected: u64| DataError::Truncated { path: p(), what: ".npy header", expected, got: bytes.len() as u64 };
    let [major, minor] = [bytes.get(6).copied(), bytes.get(7).copied()];
    let (Some(major), Some(minor)) = (major, minor) else { return Err(truncated(8)) };
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(DataError::NpyVersion { path: p(), major, minor }),
    };
    let start = 8 + len_bytes;
    let len = match bytes.get(8..start) {
        Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
        Some(&[a, b, c, d]) => usize::try_from(u32::from_le_bytes([a, b, c, d])).unwrap_or(usize::MAX),
        _ => return Err(truncated(start as u64)),
    };
    let text = |h: &[u8]| cell_text(h);
    if len > MAX_HEADER_BYTES {
        return Err(DataError::NpyHeader {
            path: p(),
            reason: "longer than the 65536 bytes accepted",
            header: text(&bytes[start..bytes.len().min(start + 64)]),
        });
    }
    let Some(header) = bytes.get(start..start + len) else { return Err(truncated((start + len) as u64)) };
    if !utf8 && !header.is_ascii() {
        return Err(DataError::NpyHeader { path: p(), reason: "not ASCII", header: text(header) });
    }
    let dict = Dict::parse(header).map_err(|reason| DataError::NpyHeader {
        path: p(),
        reason,
        header: text(header.trim_ascii()),
    })?;
    let (ty, order) = dtype(&dict.descr).ok_or_else(|| DataError::UnsupportedDtype {
        path: p(),
        dtype: dict.descr.clone(),
        supported: SUPPORTED,
    })?;
    let (shape, size) = checked_size(&dict.shape, ty.size(), path)?;
    Ok(Header { ty, order, shape, fortran: dict.order == Order::Fortran, data_start: start + len, size })
}

/// The element type and byte order of a `descr` string.
fn dtype(descr: &str) -> Option<(ElemType, ByteOrder)> {
    let b = descr.as_bytes();
    if b.len() != 3 {
        return None;
    }
    let ty = match &b[1..] {
        b"f4" => ElemType::F32,
        b"f8" => ElemType::F64,
        b"i1" => ElemType::I8,
        b"i2" => ElemType::I16,
        b"i4" => ElemType::I32,
        b"i8" => ElemType::I64,
        b"u1" => ElemType::U8,
        b"u2" => ElemType::U16,
        b"u4" => ElemType::U32,
        b"u8" => ElemType::U64,
        b"b1" => ElemType::Bool,
        _ => return None,
    };
    let order = match b[0] {
        b'<' => ByteOrder::Little,
        b'>' => ByteOrder::Big,
        b'|' if ty.size() == 1 => ByteOrder::Little,
        _ => return None,
    };
    Some((ty, order))
}

/// Reorders column-major (`fortran_order`) elements into row-major order for the same shape.
fn fortran_to_c(values: &[f32], shape: &[usize]) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    if values.is_empty() {
        return out;
    }
    // Row-major strides; walk the elements in memory (column-major) order with an odometer whose
    // first axis turns fastest.
    let mut strides = vec![1usize; shape.len()];
    for k in (0..shape.len() - 1).rev() {
        strides[k] = strides[k + 1] * shape[k + 1];
    }
    let mut index = vec![0usize; shape.len()];
    let mut offset = 0;
    for &v in values {
        out[offset] = v;
        for k in 0..shape.len() {
            index[k] += 1;
            offset += strides[k];
            if index[k] < shape[k] {
                break;
            }
            offset -= strides[k] * shape[k];
            index[k] = 0;
        }
    }
    out
}

/// The memory order of the elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    C,
    Fortran,
}

/// The three keys of a `.npy` header.
#[derive(Debug, PartialEq)]
struct Dict {
    descr: String,
    order: Order,
    shape: Vec<u64>,
}

impl Dict {
    /// Parses the dict literal; the error says what is wrong.
    fn parse(text: &[u8]) -> Result<Dict, &'static str> {
        let mut c = Cursor { text, pos: 0 };
        let (mut descr, mut order, mut shape) = (None, None, None);
        c.expect(b'{', "expected '{'")?;
        while !c.eat(b'}') {
            let key = c.string()?;
            c.expect(b':', "expected ':' after a key")?;
            let seen = match key {
                "descr" => descr.replace(c.descr()?).is_some(),
                "fortran_order" => order.replace(c.boolean()?).is_some(),
                "shape" => shape.replace(c.tuple()?).is_some(),
                _ => return Err("unknown key (only 'descr', 'fortran_order' and 'shape' are allowed)"),
            };
            if seen {
                return Err("a key appears twice");
            }
            if !c.eat(b',') {
                c.expect(b'}', "expected ',' or '}'")?;
                break;
            }
        }
        if c.peek().is_some() {
            return Err("text after the closing '}'");
        }
        Ok(Dict {
            descr: descr.ok_or("missing 'descr'")?,
            order: order.ok_or("missing 'fortran_order'")?,
            shape: shape.ok_or("missing 'shape'")?,
        })
    }
}

/// A tokenizer over the header's Python literal.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The next non-blank byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while self.text.get(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.text.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, b: u8, why: &'static str) -> Result<(), &'static str> {
        if self.eat(b) { Ok(()) } else { Err(why) }
    }

    /// A quoted string without escapes.
    fn string(&mut self) -> Result<&'a str, &'static str> {
        let q = self.peek().filter(|&q| q == b'\'' || q == b'"').ok_or("expected a quoted string")?;
        let start = self.pos + 1;
        let len = self.text[start..].iter().position(|&b| b == q).ok_or("unterminated string")?;
        let s = &self.text[start..start + len];
        if s.contains(&b'\\') {
            return Err("escapes in strings are not supported");
        }
        self.pos = start + len + 1;
        std::str::from_utf8(s).map_err(|_| "a string is not UTF-8")
    }

    fn descr(&mut self) -> Result<String, &'static str> {
        if self.peek() == Some(b'[') {
            return Err("structured dtypes (a list of fields) are not supported");
        }
        Ok(self.string()?.to_owned())
    }

    fn boolean(&mut self) -> Result<Order, &'static str> {
        self.peek();
        let rest = &self.text[self.pos..];
        for (word, value) in [(&b"True"[..], Order::Fortran), (&b"False"[..], Order::C)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err("'fortran_order' must be True or False")
    }

    /// A tuple of non-negative integers: `()`, `(5,)`, `(2, 3)`; Python 2's `3L` is accepted.
    fn tuple(&mut self) -> Result<Vec<u64>, &'static str> {
        self.expect(b'(', "'shape' must be a tuple")?;
        let mut dims = Vec::new();
        while !self.eat(b')') {
            self.peek();
            let digits = self.text[self.pos..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err("a dimension is not a non-negative integer");
            }
            let s = std::str::from_utf8(&self.text[self.pos..self.pos + digits]).map_err(|_| "bad digits")?;
            dims.push(s.parse().map_err(|_| "a dimension is too large")?);
            self.pos += digits;
            self.eat(b'L');
            if dims.len() > 64 {
                return Err("more than 64 dimensions");
            }
            if !self.eat(b',') {
                self.expect(b')', "expected ',' or ')' in 'shape'")?;
                break;
            }
        }
        Ok(dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headers_numpy_writes() {
        let d = Dict::parse(b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }     \n").unwrap();
        assert_eq!(d, Dict { descr: "<f8".into(), order: Order::C, shape: vec![3, 4] });
        let d = Dict::parse(b"{'descr':'|b1','fortran_order':True,'shape':(7,)}").unwrap();
        assert_eq!((d.order, d.shape), (Order::Fortran, vec![7]));
        assert_eq!(
            Dict::parse(b"{'shape': (), 'fortran_order': False, 'descr': '>i2'}").unwrap().shape,
            Vec::<u64>::new()
        );
        assert_eq!(Dict::parse(b"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}").unwrap().shape, [2, 3]);
    }

    #[test]
    fn refuses_malformed_headers_with_a_reason() {
        let bad = |h: &[u8]| Dict::parse(h).unwrap_err();
        assert_eq!(bad(b"{'descr': '<f4', 'shape': (2,)}"), "missing 'fortran_order'");
        assert_eq!(bad(b"{'descr': '<f4', 'descr': '<f4'"), "a key appears twice");
        assert_eq!(bad(b"{'descr': [('a', '<f4')]"), "structured dtypes (a list of fields) are not supported");
        assert_eq!(bad(b"{'shape': (-1,)"), "a dimension is not a non-negative integer");
        assert_eq!(bad(b"{'shape': (99999999999999999999999,)"), "a dimension is too large");
        assert_eq!(bad(b"{'descr': '<f4'} x"), "text after the closing '}'");
        assert_eq!(bad(b"{'descr"), "unterminated string");
    }

    #[test]
    fn fortran_order_is_transposed_to_row_major() {
        // np.arange(6).reshape(2, 3) in Fortran memory order is 0 3 1 4 2 5.
        assert_eq!(fortran_to_c(&[0., 3., 1., 4., 2., 5.], &[2, 3]), [0., 1., 2., 3., 4., 5.]);
        // np.arange(24).reshape(2, 3, 4), Fortran memory order.
        let c: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let f: Vec<f32> = (0..24).map(|m| ((m % 2) * 12 + (m / 2 % 3) * 4 + m / 6) as f32).collect();
        assert_eq!(fortran_to_c(&f, &[2, 3, 4]), c);
    }

    #[test]
    fn encode_decode_round_trip() {
        for shape in [&[2, 3][..], &[5], &[], &[0, 4]] {
            let n = shape.iter().product::<usize>();
            let t = Tensor::from_vec(shape, (0..n).map(|v| v as f32 * 0.5).collect());
            let bytes = encode(&t);
            assert_eq!((bytes.len() - 4 * n) % 64, 0);
            assert_eq!(from_bytes(&bytes, "t.npy").unwrap(), t);
        }
    }
}
