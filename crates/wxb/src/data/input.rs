//! One read of a data file. [`Input`] opens a file — or a pipe, a FIFO, `/dev/stdin` — once and
//! reads its first bytes ahead into a buffer: the format is told from them (and from the name),
//! then the reader hands out the same bytes again followed by the rest. Nothing is read twice from
//! the source, so a stream that cannot be rewound is read whole and in order.
//!
//! For CSV text, [`text`] gunzips (by the name's `.gz` or the gzip magic), drops a UTF-8 byte-order
//! mark, and keeps the text's own first bytes ahead, from which [`delimiter`] tells the separator.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::format::{Format, by_head, by_name, stem};
use super::{DataError, fill};

/// The bytes read ahead: enough for a format's magic and for a long header line.
const HEAD: usize = 64 << 10;

/// The gzip magic bytes.
const GZIP: [u8; 2] = [0x1f, 0x8b];

/// A source whose first bytes were read ahead, to be looked at, and are then read again.
pub(super) struct Peeked<'a> {
    head: Vec<u8>,
    at: usize,
    inner: Box<dyn Read + Send + 'a>,
}

impl<'a> Peeked<'a> {
    /// Reads up to 64 KiB of `inner` ahead (fewer when it ends first).
    pub(super) fn new(mut inner: Box<dyn Read + Send + 'a>, path: &Path) -> Result<Self, DataError> {
        let mut head = vec![0; HEAD];
        let got = fill(&mut inner, &mut head).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
        head.truncate(got);
        Ok(Self { head, at: 0, inner })
    }

    /// The bytes read ahead and not yet handed out (all of them before the first read).
    pub(super) fn head(&self) -> &[u8] {
        &self.head[self.at..]
    }
}

impl Read for Peeked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let ahead = self.head();
        if ahead.is_empty() {
            return self.inner.read(buf);
        }
        let n = buf.len().min(ahead.len());
        buf[..n].copy_from_slice(&ahead[..n]);
        self.at += n;
        Ok(n)
    }
}

/// A data file opened for one read, its first bytes already buffered (see the module's docs).
///
/// ```
/// use wxb::data::{Format, Input};
/// // Bytes from a pipe: the name says nothing, the first bytes tell the format.
/// let input = Input::from_reader(&b"a,y\n1,0\n2,1\n"[..], "/dev/stdin").unwrap();
/// assert_eq!(input.format(), Format::Csv);
/// ```
pub struct Input {
    path: PathBuf,
    regular: bool,
    source: Peeked<'static>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("path", &self.path).field("regular", &self.regular).finish_non_exhaustive()
    }
}

impl Input {
    /// Opens `path` (a file, a pipe, a FIFO, a device) and reads its first bytes.
    ///
    /// # Errors
    /// [`DataError::Io`] when it cannot be opened or read.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let io = |source| DataError::Io { path: path.to_path_buf(), source };
        let file = File::open(path).map_err(io)?;
        let regular = file.metadata().map_err(io)?.is_file();
        Ok(Self { path: path.to_path_buf(), regular, source: Peeked::new(Box::new(file), path)? })
    }

    /// Reads from `reader` as from a pipe; `name` stands for the path in errors and its extension
    /// (if any) names the format.
    ///
    /// # Errors
    /// [`DataError::Io`] when the reader fails.
    pub fn from_reader(reader: impl Read + Send + 'static, name: &str) -> Result<Self, DataError> {
        let path = PathBuf::from(name);
        Ok(Self { source: Peeked::new(Box::new(reader), &path)?, path, regular: false })
    }

    /// The path (or the name given to a reader).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format: by the name's extension (see [`detect`](super::detect)), else by the first bytes.
    pub fn format(&self) -> Format {
        by_name(&self.path).unwrap_or_else(|| by_head(self.source.head()))
    }

    /// Whether the source is a regular file (which can be opened again, and seeked).
    pub(super) fn is_regular(&self) -> bool {
        self.regular
    }

    /// Every byte, the buffered ones first.
    pub(super) fn into_bytes(mut self) -> Result<Vec<u8>, DataError> {
        let mut out = Vec::new();
        self.source.read_to_end(&mut out).map_err(|source| DataError::Io { path: self.path, source })?;
        Ok(out)
    }

    /// The source, its first bytes still to be read.
    pub(super) fn into_raw(self) -> Peeked<'static> {
        self.source
    }
}

/// `raw` as text: gunzipped when the name ends in `.gz` or the bytes start with the gzip magic,
/// without a UTF-8 byte-order mark, its first bytes buffered (for [`delimiter`]).
pub(super) fn text<'a>(raw: Peeked<'a>, path: &Path) -> Result<Peeked<'a>, DataError> {
    let named_gz = path.file_name().is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".gz"));
    let mut text = if named_gz || raw.head().starts_with(&GZIP) {
        Peeked::new(Box::new(MultiGzDecoder::new(raw)), path).map_err(|e| match e {
            DataError::Io { path, source } => DataError::Decompress { path, source },
            e => e,
        })?
    } else {
        raw
    };
    if text.head().starts_with(b"\xEF\xBB\xBF") {
        text.at += 3;
    }
    Ok(text)
}

/// The field delimiter of CSV text: a tab for `.tsv` files; otherwise (`.csv` files included:
/// many are written with `;` where the decimal mark is a comma) the one of `,` `;` and tab found
/// most often outside quotes in the first line of `head` (a comma on a tie, or when there is none).
pub(super) fn delimiter(path: &Path, head: &[u8]) -> u8 {
    let name = stem(path);
    if name.ends_with(".tsv") {
        return b'\t';
    }
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in head.iter().take_while(|&&b| b != b'\n' && b != b'\r') {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
            c.1 += 1;
        }
    }
    counts.iter().fold((b',', 0), |best, &c| if c.1 > best.1 { c } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_is_read_again() {
        let p = Path::new("f");
        let mut r = Peeked::new(Box::new(&b"abcdef"[..]), p).unwrap();
        assert_eq!(r.head(), b"abcdef");
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, "abcdef");
    }

    #[test]
    fn delimiters_by_name_then_by_the_first_line() {
        assert_eq!(delimiter(Path::new("a.TSV.gz"), b"a,b,c"), b'\t');
        assert_eq!(delimiter(Path::new("a.csv"), b"a;b;c"), b';');
        assert_eq!(delimiter(Path::new("a.csv"), b"a;b,c,d"), b',');
        assert_eq!(delimiter(Path::new("/dev/stdin"), b"a;b;c\n1,2;3"), b';');
        assert_eq!(delimiter(Path::new("x.txt"), b"a\tb\n"), b'\t');
        assert_eq!(delimiter(Path::new("x"), b"\"a;b\",c\n"), b',');
        assert_eq!(delimiter(Path::new("x"), b"abc\n"), b',');
    }
}
