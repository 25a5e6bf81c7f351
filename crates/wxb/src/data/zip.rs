//! A minimal zip reader, enough for `.npz`: the central directory (with zip64 records), stored and
//! deflated entries, CRC-32 checks, and hard limits that make zip bombs harmless.
//!
//! Everything is read through the central directory, with every offset and size checked against
//! the archive's length before it is used. Entries are decompressed with a cap of their declared
//! size (see [`read_capped`](super::read_capped)); a declared size above the caller's limit, or
//! above what the compressed bytes can hold, is refused before decompressing anything.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::read::DeflateDecoder;

use super::{DataError, fill, max_inflated, read_capped};

const EOCD: u32 = 0x0605_4b50;
const EOCD64: u32 = 0x0606_4b50;
const EOCD64_LOCATOR: u32 = 0x0706_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// One file of the archive, as the central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The file name in the archive.
    pub name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

/// `archive[entry]`, the name errors give an entry.
pub(super) fn entry_path(archive: &Path, entry: &str) -> PathBuf {
    PathBuf::from(format!("{}[{}]", archive.display(), entry.escape_debug()))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads `len` bytes at `offset`, which the caller has checked to lie inside the archive.
fn read_at(r: &mut (impl Read + Seek), offset: u64, len: usize, path: &Path) -> Result<Vec<u8>, DataError> {
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    r.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut buf = vec![0; len];
    let got = fill(r, &mut buf).map_err(io)?;
    if got < len {
        return Err(DataError::CorruptZip { path: path.to_path_buf(), reason: "the archive ends early" });
    }
    Ok(buf)
}

/// The entries of the archive `r` of `len` bytes, in central-directory order.
pub(super) fn entries(r: &mut (impl Read + Seek), len: u64, path: &Path) -> Result<Vec<Entry>, DataError> {
    let corrupt = |reason| DataError::CorruptZip { path: path.to_path_buf(), reason };
    // The end-of-central-directory record is in the last 22 + 65,535 (comment) bytes.
    let tail_len = len.min(22 + 65_535);
    let tail = read_at(r, len - tail_len, tail_len as usize, path)?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD)
        .ok_or_else(|| DataError::NotZip { path: path.to_path_buf() })?;
    let eocd_pos = len - tail_len + at as u64;
    let e = &tail[at..];
    let (mut count, mut cd_size, mut cd_offset) =
        (u64::from(u16_at(e, 10)), u64::from(u32_at(e, 12)), u64::from(u32_at(e, 16)));
    // Zip64: the 32-bit fields are saturated and a locator precedes the record (without a locator,
    // the 32-bit values stand, as for an archive of exactly 65,535 entries).
    let saturated = count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF;
    if let Some(loc_pos) = eocd_pos.checked_sub(20).filter(|_| saturated) {
        let loc = read_at(r, loc_pos, 20, path)?;
        if u32_at(&loc, 0) == EOCD64_LOCATOR {
            let e64_pos = u64_at(&loc, 8);
            if e64_pos.checked_add(56).is_none_or(|end| end > loc_pos) {
                return Err(corrupt("the zip64 end-of-directory record lies outside the archive"));
            }
            let e64 = read_at(r, e64_pos, 56, path)?;
            if u32_at(&e64, 0) != EOCD64 {
                return Err(corrupt("bad zip64 end-of-directory signature"));
            }
            (count, cd_size, cd_offset) = (u64_at(&e64, 32), u64_at(&e64, 40), u64_at(&e64, 48));
        }
    }
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > eocd_pos) {
        return Err(corrupt("the central directory lies outside the archive"));
    }
    // Each central record takes at least 46 bytes: the count cannot exceed what the size holds.
    if count > cd_size / 46 {
        return Err(corrupt("more entries than the central directory can hold"));
    }
    let cd = read_at(r, cd_offset, cd_size as usize, path)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut pos = 0usize;
    for _ in 0..count {
        let h = cd.get(pos..pos + 46).ok_or(corrupt("the central directory ends inside a record"))?;
        if u32_at(h, 0) != CENTRAL {
            return Err(corrupt("bad central directory record signature"));
        }
        let (n, x, c) = (usize::from(u16_at(h, 28)), usize::from(u16_at(h, 30)), usize::from(u16_at(h, 32)));
        let var =
            cd.get(pos + 46..pos + 46 + n + x + c).ok_or(corrupt("the central directory ends inside a record"))?;
        let mut entry = Entry {
            name: String::from_utf8_lossy(&var[..n]).into_owned(),
            flags: u16_at(h, 8),
            method: u16_at(h, 10),
            crc: u32_at(h, 16),
            compressed: u64::from(u32_at(h, 20)),
            size: u64::from(u32_at(h, 24)),
            offset: u64::from(u32_at(h, 42)),
        };
        zip64_extra(&mut entry, &var[n..n + x]).ok_or(corrupt("bad zip64 extra field"))?;
        out.push(entry);
        pos += 46 + n + x + c;
    }
    Ok(out)
}

/// Replaces the sizes and offset that are `0xFFFFFFFF` by their 64-bit values in the zip64 extra
/// field (id 1), which lists them in the order: size, compressed size, offset.
fn zip64_extra(entry: &mut Entry, mut extra: &[u8]) -> Option<()> {
    const MAX: u64 = 0xFFFF_FFFF;
    if entry.size != MAX && entry.compressed != MAX && entry.offset != MAX {
        return Some(());
    }
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let body = extra.get(4..4 + len)?;
        if id == 1 {
            let mut fields = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for v in [&mut entry.size, &mut entry.compressed, &mut entry.offset] {
                if *v == MAX {
                    *v = fields.next()?;
                }
            }
            return Some(());
        }
        extra = &extra[4 + len..];
    }
    None
}

/// The decompressed bytes of `entry`, at most `limit` of them, checked against its declared size
/// and CRC-32.
pub(super) fn extract(
    r: &mut (impl Read + Seek),
    len: u64,
    entry: &Entry,
    limit: u64,
    archive: &Path,
) -> Result<Vec<u8>, DataError> {
    let path = entry_path(archive, &entry.name);
    let corrupt = |reason| DataError::CorruptZip { path: path.clone(), reason };
    if entry.flags & 1 != 0 {
        return Err(DataError::UnsupportedZip { path, reason: "encrypted".into() });
    }
    if entry.size > limit {
        return Err(DataError::EntryTooLarge { path, size: entry.size, limit });
    }
    match entry.method {
        0 if entry.compressed != entry.size => return Err(corrupt("a stored entry's two sizes differ")),
        0 => {}
        8 if entry.size > max_inflated(entry.compressed) => {
            return Err(DataError::ImplausibleSize {
                path,
                declared: entry.size,
                compressed: entry.compressed,
                limit: max_inflated(entry.compressed),
            });
        }
        8 => {}
        m => {
            return Err(DataError::UnsupportedZip {
                path,
                reason: format!("compression method {m} (only 0, stored, and 8, deflate, are supported)"),
            });
        }
    }
    if entry.offset.checked_add(30).is_none_or(|end| end > len) {
        return Err(corrupt("the entry's local header lies outside the archive"));
    }
    let local = read_at(r, entry.offset, 30, archive)?;
    if u32_at(&local, 0) != LOCAL {
        return Err(corrupt("bad local header signature"));
    }
    let start = entry.offset + 30 + u64::from(u16_at(&local, 26)) + u64::from(u16_at(&local, 28));
    if start.checked_add(entry.compressed).is_none_or(|end| end > len) {
        return Err(corrupt("the entry's data lies outside the archive"));
    }
    r.seek(SeekFrom::Start(start)).map_err(|source| DataError::Io { path: archive.to_path_buf(), source })?;
    let raw = r.take(entry.compressed);
    let data = if entry.method == 0 {
        read_capped(raw, entry.size, &path)?
    } else {
        read_capped(DeflateDecoder::new(raw), entry.size, &path)?
    };
    if data.len() as u64 != entry.size {
        return Err(DataError::EntrySize { path, declared: entry.size, got: data.len() as u64 });
    }
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    if crc.sum() != entry.crc {
        return Err(DataError::Checksum { path, expected: entry.crc, got: crc.sum() });
    }
    Ok(data)
}
