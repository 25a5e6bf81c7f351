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
/// gzip or IDX magic); CSV otherwise.
///
/// # Errors
/// [`DataError::Io`] when the name says nothing and the file cannot be read.
pub fn detect(path: &Path) -> Result<Format, DataError> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if stem.ends_with(".csv") || stem.ends_with(".tsv") || stem.ends_with(".txt") {
        return Ok(Format::Csv);
    }
    if stem.ends_with(".npy") {
        return Ok(Format::Npy);
    }
    if stem.ends_with(".npz") {
        return Ok(Format::Npz);
    }
    if stem.contains("idx") || stem.ends_with("ubyte") {
        return Ok(Format::Idx);
    }
    let mut head = [0u8; 6];
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let n = super::fill(&mut file, &mut head).map_err(io)?;
    Ok(match &head[..n] {
        [0x93, b'N', b'U', b'M', b'P', b'Y'] => Format::Npy,
        [b'P', b'K', ..] => Format::Npz,
        [0x1f, 0x8b, ..] | [0, 0, 0x08..=0x0e, _, ..] => Format::Idx,
        _ => Format::Csv,
    })
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
