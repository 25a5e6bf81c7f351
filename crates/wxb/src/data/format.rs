//! Which reader a data file needs: by its name, else by its first bytes.

use std::path::Path;

use super::DataError;

/// A data file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV text with a header ([`csv`](super::csv)).
    Csv,
    /// IDX, raw or gzip ([`idx`](super::idx)).
    Idx,
    /// A NumPy array ([`npy`](super::npy)).
    Npy,
    /// A NumPy archive ([`npz`](super::npz)).
    Npz,
}

/// The format of `path`: from its extension (`.csv`, `.tsv`, `.txt`, `.npy`, `.npz`, a name with
/// `idx` or ending in `ubyte`; each optionally `.gz`), else from its first bytes (NumPy magic, zip,
/// gzip or IDX magic); CSV otherwise. A pipe, FIFO or device is not read (its bytes could not be
/// read again): its format is its name's, else CSV — [`Input::format`](super::Input::format) looks
/// at the first bytes of the one read that [`load`](super::load) makes.
///
/// # Errors
/// [`DataError::Io`] when the name says nothing and the file cannot be read.
pub fn detect(path: &Path) -> Result<Format, DataError> {
    if let Some(format) = by_name(path) {
        return Ok(format);
    }
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    // Not opened unless regular: opening a FIFO would wait for its writer.
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Ok(Format::Csv);
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = [0u8; 6];
    let n = super::fill(&mut file, &mut head).map_err(io)?;
    Ok(by_head(&head[..n]))
}

/// The file name, lower case, without a `.gz` suffix.
pub(super) fn stem(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    name.strip_suffix(".gz").map(str::to_owned).unwrap_or(name)
}

/// The format a file's name says, if it says one.
pub(super) fn by_name(path: &Path) -> Option<Format> {
    let stem = stem(path);
    if stem.ends_with(".csv") || stem.ends_with(".tsv") || stem.ends_with(".txt") {
        Some(Format::Csv)
    } else if stem.ends_with(".npy") {
        Some(Format::Npy)
    } else if stem.ends_with(".npz") {
        Some(Format::Npz)
    } else if stem.contains("idx") || stem.ends_with("ubyte") {
        Some(Format::Idx)
    } else {
        None
    }
}

/// The format a file's first bytes say: NumPy, zip (`.npz`), gzip or IDX magic; CSV otherwise.
pub(super) fn by_head(head: &[u8]) -> Format {
    match head {
        [0x93, b'N', b'U', b'M', b'P', b'Y', ..] => Format::Npy,
        [b'P', b'K', ..] => Format::Npz,
        [0x1f, 0x8b, ..] | [0, 0, 0x08..=0x0e, _, ..] => Format::Idx,
        _ => Format::Csv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_then_bytes_decide() {
        assert_eq!(detect(Path::new("a.CSV.gz")).unwrap(), Format::Csv);
        assert_eq!(detect(Path::new("x.npz")).unwrap(), Format::Npz);
        assert_eq!(detect(Path::new("train-images-idx3-ubyte")).unwrap(), Format::Idx);
        let d = std::env::temp_dir().join(format!("wxb-detect-{}", std::process::id()));
        std::fs::write(&d, b"\x93NUMPY\x01\x00").unwrap();
        assert_eq!(detect(&d).unwrap(), Format::Npy);
        std::fs::write(&d, b"a,b\n1,2\n").unwrap();
        assert_eq!(detect(&d).unwrap(), Format::Csv);
        std::fs::remove_file(&d).unwrap();
        assert!(matches!(detect(Path::new("/no/such/file")), Err(DataError::Io { .. })));
    }
}
