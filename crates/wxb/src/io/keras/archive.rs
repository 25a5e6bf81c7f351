//! The `.keras` zip archive, through the `zip` crate: members read with a size cap (a zip bomb is
//! refused before it is inflated), written stored as Keras writes them.

use std::io::{Cursor, Read, Write};

use super::PartError;

/// A `.keras` archive being read.
pub(super) struct Reader<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Reader<'a> {
    /// Reads the archive's central directory.
    pub fn new(bytes: &'a [u8]) -> Result<Self, PartError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| PartError::new("zip archive", format!("not a valid zip archive ({e})")))?;
        Ok(Self { zip })
    }

    /// The bytes of member `name`, at most `limit` of them.
    pub fn member(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, PartError> {
        let file = self
            .zip
            .by_name(name)
            .map_err(|e| PartError::new(name, format!("missing from the archive or unreadable ({e})")))?;
        if file.size() > limit {
            return Err(PartError::new(name, format!("{} bytes, over the limit of {limit}", file.size())));
        }
        // The declared size is not trusted for the allocation (a forged header claims gigabytes).
        let mut out = Vec::with_capacity(file.size().min(1 << 20) as usize);
        file.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| PartError::new(name, format!("corrupt archive member ({e})")))?;
        if out.len() as u64 > limit {
            return Err(PartError::new(name, format!("more than {limit} bytes once inflated")));
        }
        Ok(out)
    }
}

/// A zip archive of `members` (name, bytes), stored uncompressed with no timestamps (the same
/// bytes for the same members).
pub(super) fn write(members: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in members {
        zip.start_file(*name, options).map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}
