//! NumPy `.npz` archives: a zip of `.npy` files (`np.savez`: stored, `np.savez_compressed`:
//! deflated), read as named arrays.
//!
//! An entry `name.npy` becomes the array `name`, as in NumPy; entries whose names do not end in
//! `.npy` (directories, other files) are skipped. Each entry is decoded as by [`npy`](super::npy).
//!
//! [`read_selected`] and [`from_bytes_selected`] decompress only the arrays asked for: the others
//! are listed ([`Npz::skipped`]) but never inflated, so an unused entry costs nothing however far
//! it would inflate.
//!
//! Limits: an entry may decompress to at most [`NpzOptions::max_entry_bytes`] bytes (by default and
//! at most [`MAX_ENTRY_BYTES`], 4 GiB). The size each entry declares is checked against that limit
//! and against what its compressed size can hold before anything is decompressed; decompression
//! stops one byte past the declared size, so an entry that decompresses to more or less than it
//! declares (a zip bomb, or damage) is refused, as is one whose CRC-32 differs.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use super::DataError;
use super::zip::{entries, entry_path, extract};
use crate::Tensor;

/// The largest uncompressed size of an entry any options allow: 4 GiB.
pub const MAX_ENTRY_BYTES: u64 = 4 << 30;

/// How to read an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpzOptions {
    /// The largest uncompressed size of one entry, in bytes; values above [`MAX_ENTRY_BYTES`] are
    /// lowered to it.
    pub max_entry_bytes: u64,
}

impl Default for NpzOptions {
    fn default() -> Self {
        Self { max_entry_bytes: MAX_ENTRY_BYTES }
    }
}

/// The arrays of an archive, in archive order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Npz {
    arrays: Vec<(String, Tensor)>,
    skipped: Vec<String>,
}

impl Npz {
    /// The array called `name` (without `.npy`).
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// The arrays' names, in archive order.
    pub fn names(&self) -> Vec<&str> {
        self.arrays.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The names of the arrays in the archive that were not asked for, hence not read.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The number of arrays.
    pub fn len(&self) -> usize {
        self.arrays.len()
    }

    /// Whether the archive holds no array.
    pub fn is_empty(&self) -> bool {
        self.arrays.is_empty()
    }

    /// Removes and returns the array called `name`.
    pub fn take(&mut self, name: &str) -> Option<Tensor> {
        let i = self.arrays.iter().position(|(n, _)| n == name)?;
        Some(self.arrays.remove(i).1)
    }

    /// The `(name, array)` pairs, in archive order.
    pub fn into_arrays(self) -> Vec<(String, Tensor)> {
        self.arrays
    }
}

/// Reads a `.npz` archive.
pub fn read(path: &Path, options: &NpzOptions) -> Result<Npz, DataError> {
    read_as(path, options, None)
}

/// Reads the arrays called `names` of a `.npz` archive (those it holds); the other entries are
/// not decompressed.
pub fn read_selected(path: &Path, names: &[&str], options: &NpzOptions) -> Result<Npz, DataError> {
    read_as(path, options, Some(names))
}

/// Decodes a `.npz` archive held in memory; `name` stands for the path in errors.
pub fn from_bytes(bytes: &[u8], name: &str, options: &NpzOptions) -> Result<Npz, DataError> {
    decode(&mut Cursor::new(bytes), bytes.len() as u64, Path::new(name), options, None)
}

/// [`from_bytes`], decompressing only the arrays called `names`.
pub fn from_bytes_selected(bytes: &[u8], name: &str, names: &[&str], options: &NpzOptions) -> Result<Npz, DataError> {
    decode_selected(bytes, Path::new(name), names, options)
}

/// [`from_bytes_selected`] of bytes read from `path`.
pub(super) fn decode_selected(
    bytes: &[u8],
    path: &Path,
    names: &[&str],
    options: &NpzOptions,
) -> Result<Npz, DataError> {
    decode(&mut Cursor::new(bytes), bytes.len() as u64, path, options, Some(names))
}

fn read_as(path: &Path, options: &NpzOptions, names: Option<&[&str]>) -> Result<Npz, DataError> {
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    decode(&mut BufReader::new(file), len, path, options, names)
}

fn decode(
    r: &mut (impl Read + Seek),
    len: u64,
    path: &Path,
    options: &NpzOptions,
    wanted: Option<&[&str]>,
) -> Result<Npz, DataError> {
    if len == 0 {
        return Err(DataError::EmptyFile { path: path.to_path_buf() });
    }
    let limit = options.max_entry_bytes.min(MAX_ENTRY_BYTES);
    let mut arrays: Vec<(String, Tensor)> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for entry in entries(r, len, path)? {
        let Some(name) = entry.name.strip_suffix(".npy") else { continue };
        if arrays.iter().map(|(n, _)| n).chain(&skipped).any(|n| n == name) {
            return Err(DataError::DuplicateEntry { path: path.to_path_buf(), name: name.to_owned() });
        }
        if wanted.is_some_and(|w| !w.contains(&name)) {
            skipped.push(name.to_owned());
            continue;
        }
        let bytes = extract(r, len, &entry, limit, path)?;
        let tensor = super::npy::decode(&bytes, &entry_path(path, &entry.name))?;
        arrays.push((name.to_owned(), tensor));
    }
    Ok(Npz { arrays, skipped })
}

/// Writes `arrays` as an uncompressed `.npz` archive (like `np.savez`) of `<f4` arrays.
///
/// # Panics
/// If an array is larger than 4 GiB or there are more than 65,535 arrays (this writer has no zip64).
pub fn encode(arrays: &[(&str, &Tensor)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let u32_of = |n: usize| u32::try_from(n).expect("npz::encode: over 4 GiB");
    for (name, tensor) in arrays {
        let data = super::npy::encode(tensor);
        let file = format!("{name}.npy");
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        let offset = u32_of(out.len());
        // Shared fields: version 2.0, no flags, stored, no time, CRC, sizes, name length, no extra.
        let mut common = vec![20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0];
        common.extend(crc.sum().to_le_bytes());
        common.extend(u32_of(data.len()).to_le_bytes());
        common.extend(u32_of(data.len()).to_le_bytes());
        common.extend(u16::try_from(file.len()).expect("npz::encode: name too long").to_le_bytes());
        common.extend([0, 0]);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&common);
        out.extend(file.as_bytes());
        out.extend(&data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0]);
        central.extend(&common);
        central.extend([0; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(file.as_bytes());
    }
    let count = u16::try_from(arrays.len()).expect("npz::encode: too many arrays").to_le_bytes();
    let cd_offset = u32_of(out.len());
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend(count);
    out.extend(count);
    out.extend(u32_of(central.len()).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0, 0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_read_gives_the_arrays_back() {
        let a = Tensor::from_vec(&[2, 2], vec![1., 2., 3., 4.]);
        let b = Tensor::from_vec(&[3], vec![-1., 0., 1.]);
        let bytes = encode(&[("a", &a), ("b", &b)]);
        let mut npz = from_bytes(&bytes, "t.npz", &NpzOptions::default()).unwrap();
        assert_eq!(npz.names(), ["a", "b"]);
        assert_eq!(npz.get("b"), Some(&b));
        assert_eq!(npz.take("a"), Some(a));
        assert_eq!(npz.len(), 1);
        assert!(from_bytes(&encode(&[]), "e.npz", &NpzOptions::default()).unwrap().is_empty());
    }

    #[test]
    fn the_entry_limit_applies_before_decompressing() {
        let a = Tensor::zeros(&[100]);
        let e = from_bytes(&encode(&[("a", &a)]), "t.npz", &NpzOptions { max_entry_bytes: 100 }).unwrap_err();
        assert!(matches!(e, DataError::EntryTooLarge { size: 528, limit: 100, .. }), "{e}");
        assert_eq!(e.to_string(), "t.npz[a.npy]: entry declares 528 bytes, more than the limit of 100");
    }
}
