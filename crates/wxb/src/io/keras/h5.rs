//! The few HDF5 reads Keras' weights need, over the pure-Rust `hdf5-pure` crate, each failure a
//! [`PartError`] naming the HDF5 object.

use hdf5_pure::{AttrValue, DType, File};

use super::PartError;
use crate::tensor::Tensor;

/// An HDF5 file being read; `member` prefixes the parts named in errors (`model.weights.h5: `
/// inside a `.keras` archive, nothing for a `.h5` file).
pub(super) struct H5 {
    file: File,
    member: &'static str,
}

impl H5 {
    /// Parses the HDF5 `bytes`.
    pub fn parse(bytes: Vec<u8>, member: &'static str) -> Result<Self, PartError> {
        let file = File::from_bytes(bytes)
            .map_err(|e| PartError::new(member_part(member, "/"), format!("not a valid HDF5 file ({e})")))?;
        Ok(Self { file, member })
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.file.as_bytes().len()
    }

    /// The part name of `path` in errors.
    pub fn part(&self, path: &str) -> String {
        member_part(self.member, path)
    }

    /// The names of the groups in the group at `path` (`""` for the root).
    pub fn groups(&self, path: &str) -> Result<Vec<String>, PartError> {
        let group = self.group(path)?;
        group.groups().map_err(|e| self.bad(path, e))
    }

    /// The names of the datasets in the group at `path`.
    pub fn datasets(&self, path: &str) -> Result<Vec<String>, PartError> {
        let group = self.group(path)?;
        group.datasets().map_err(|e| self.bad(path, e))
    }

    /// Whether `path` is a group.
    pub fn has_group(&self, path: &str) -> bool {
        self.group(path).is_ok()
    }

    fn group(&self, path: &str) -> Result<hdf5_pure::Group, PartError> {
        if path.is_empty() || path == "/" {
            return Ok(self.file.root());
        }
        self.file.group(path).map_err(|e| PartError::new(self.part(path), format!("missing group ({e})")))
    }

    /// The attribute `name` of the group at `path`, when it is text (or an array of one text).
    pub fn attr_string(&self, path: &str, name: &str) -> Result<Option<String>, PartError> {
        let attrs = self.group(path)?.attrs().map_err(|e| self.bad(path, e))?;
        Ok(attrs
            .get(name)
            .and_then(|v| strings(v).and_then(|s| if s.len() == 1 { s.into_iter().next() } else { None })))
    }

    /// The attribute `name` of the group at `path` as a list of texts (an empty list when it is
    /// absent or an empty array of another type, as h5py writes an empty list).
    pub fn attr_strings(&self, path: &str, name: &str) -> Result<Vec<String>, PartError> {
        let attrs = self.group(path)?.attrs().map_err(|e| self.bad(path, e))?;
        Ok(attrs.get(name).and_then(strings).unwrap_or_default())
    }

    /// The shape of the dataset at `path`.
    pub fn shape(&self, path: &str) -> Result<Vec<usize>, PartError> {
        let ds =
            self.file.dataset(path).map_err(|e| PartError::new(self.part(path), format!("missing dataset ({e})")))?;
        let shape = ds.shape().map_err(|e| self.bad(path, e))?;
        shape
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| PartError::new(self.part(path), "dimension too large")))
            .collect()
    }

    /// The float dataset at `path`, which must have `expected` shape (checked before its values
    /// are read, so a damaged shape allocates nothing).
    pub fn tensor(&self, path: &str, expected: &[usize], what: &str) -> Result<Tensor, PartError> {
        let shape = self.shape(path)?;
        if shape != expected {
            return Err(PartError::new(
                self.part(path),
                format!(
                    "shape {shape:?}, but {what} needs {expected:?} (the configuration disagrees with the weights)"
                ),
            ));
        }
        let ds = self.file.dataset(path).map_err(|e| self.bad(path, e))?;
        match ds.dtype().map_err(|e| self.bad(path, e))? {
            DType::F32 | DType::F64 => {}
            other => return Err(PartError::new(self.part(path), format!("holds {other}, not floating-point numbers"))),
        }
        let data = ds.read_f32().map_err(|e| self.bad(path, e))?;
        if data.len() != expected.iter().product::<usize>() {
            return Err(PartError::new(self.part(path), format!("{} values for shape {expected:?}", data.len())));
        }
        Ok(Tensor::from_vec(expected, data))
    }

    /// The integer scalar dataset at `path` (an optimizer's step count).
    pub fn scalar_i64(&self, path: &str) -> Result<i64, PartError> {
        let shape = self.shape(path)?;
        if shape.iter().product::<usize>() != 1 {
            return Err(PartError::new(self.part(path), format!("shape {shape:?}, expected a scalar")));
        }
        let ds = self.file.dataset(path).map_err(|e| self.bad(path, e))?;
        let v = ds.read_i64().map_err(|e| self.bad(path, e))?;
        v.first().copied().ok_or_else(|| PartError::new(self.part(path), "empty"))
    }

    fn bad(&self, path: &str, e: hdf5_pure::Error) -> PartError {
        PartError::new(self.part(path), format!("unreadable ({e})"))
    }
}

/// `member: path`, or `path` alone.
fn member_part(member: &str, path: &str) -> String {
    if member.is_empty() { path.to_string() } else { format!("{member}: {path}") }
}

/// The texts of a string attribute (scalar or array, fixed or variable length, either charset).
fn strings(v: &AttrValue) -> Option<Vec<String>> {
    match v {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(vec![s.clone()]),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => Some(vec![value.clone()]),
        AttrValue::StringArray(a)
        | AttrValue::AsciiStringArray(a)
        | AttrValue::VarLenStringArray(a)
        | AttrValue::VarLenAsciiStringArray(a)
        | AttrValue::VarLenAsciiCharArray(a) => Some(a.clone()),
        AttrValue::StringArraySized { values, .. } | AttrValue::AsciiStringArraySized { values, .. } => {
            Some(values.clone())
        }
        AttrValue::F64Array(a) if a.is_empty() => Some(Vec::new()),
        _ => None,
    }
}
