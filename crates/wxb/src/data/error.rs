//! [`DataError`]: everything that can be wrong with a data file, as one actionable line.
//!
//! Every variant carries the offending values: the file (`path`, or the name a caller gave to bytes
//! held in memory; `archive.npz[entry.npy]` inside archives), the 1-based line, the column, the cell
//! text, the sizes or shapes expected and found.

use std::path::PathBuf;

use super::error_text::{column_name, quoted_list, shape_text};
pub use super::schema_error::SchemaError;

/// What can be wrong with a data file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file holds no bytes.
    #[error("{}: the file is empty", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// A CSV file holds a header but no data rows.
    #[error("{}: the file has a header but no data rows", path.display())]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A CSV row has more or fewer fields than the header.
    #[error("{}:{line}: row has {fields} fields, the header has {expected}", path.display())]
    RaggedRow {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the row starts.
        line: u64,
        /// Fields in the row.
        fields: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A cell that must hold a number does not.
    #[error("{}:{line}: column {column:?}: {value:?} is not a number", path.display())]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The cell's text (at most 64 characters are kept).
        value: String,
    },
    /// An empty cell: missing values are not supported.
    #[error("{}:{line}: column {column:?} is empty (missing values are not supported)", path.display())]
    MissingValue {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name in the header.
        column: String,
    },
    /// A target cell that is a missing marker: a row cannot be trained on without its target.
    #[error(
        "{}:{line}: the target column {column:?} is missing ({value:?}); remove the row or fill the target",
        path.display()
    )]
    MissingTarget {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The target column's name.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// Several problems in a table file, named together (at most
    /// [`PROBLEMS_KEPT`](super::table::PROBLEMS_KEPT) kept, and the first of each column).
    #[error("{}: {}", path.display(), super::table::problems_summary(problems, *total))]
    Problems {
        /// The file.
        path: PathBuf,
        /// The problems kept, in the order found.
        problems: Vec<super::table::CellProblem>,
        /// How many there were in all.
        total: usize,
    },
    /// `nan`, `inf` or `-inf` where finite values are required.
    #[error(
        "{}:{line}: column {column:?}: {value:?} is not a finite number (use NonFinite::Allow to keep it)",
        path.display()
    )]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A finite number too large for `f32` (it would become infinite).
    #[error("{}:{line}: column {column:?}: {value:?} is too large for a 32-bit float", path.display())]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// A column asked for by name is not in the header.
    #[error("{}: no column {name:?}; the columns are {}", path.display(), quoted_list(available))]
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        name: String,
        /// The header's names.
        available: Vec<String>,
    },
    /// A column asked for by 0-based index is past the last one.
    #[error(
        "{}: no column at index {index} (0-based); the {} columns are {}",
        path.display(), available.len(), quoted_list(available)
    )]
    ColumnIndexOutOfRange {
        /// The file.
        path: PathBuf,
        /// The index asked for.
        index: usize,
        /// The header's names.
        available: Vec<String>,
    },
    /// A column read (target or feature) whose name appears more than once in the header.
    #[error(
        "{}: the header names more than one column {name:?} (columns {}); give each column its own name",
        path.display(), columns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
        /// The 1-based columns that bear it.
        columns: Vec<usize>,
    },
    /// A column read (target or feature) whose header name is empty.
    #[error("{}: column {column} has no name in the header; give each column its own name", path.display())]
    EmptyColumnName {
        /// The file.
        path: PathBuf,
        /// The 1-based column.
        column: usize,
    },
    /// The same column selected twice as a feature.
    #[error("{}: column {name:?} is selected more than once as a feature", path.display())]
    RepeatedFeature {
        /// The file.
        path: PathBuf,
        /// The column's name.
        name: String,
    },
    /// A CSV field that spans lines: a quote opened and not closed on its line, which would swallow
    /// the rows after it into one cell.
    #[error(
        "{}:{line}: column {column}{}: a quoted field runs past the end of the line (an unterminated quote?); \
         fields may not span lines",
        path.display(), column_name(name)
    )]
    UnterminatedQuote {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the field (its quote) opens.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's header name (none for the header itself).
        name: Option<String>,
    },
    /// Bytes that are not UTF-8 in CSV text (Latin-1 `caf\xE9`, say): refused rather than guessed,
    /// so that labels that differ in such a byte never merge.
    #[error(
        "{}:{line}: column {column}{}: byte 0x{byte:02X} in \"{value}\" is not UTF-8; save the file as UTF-8 \
         (e.g. iconv -f latin1 -t utf-8)",
        path.display(), column_name(name)
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's header name (none for the header itself).
        name: Option<String>,
        /// The first byte that is not UTF-8.
        byte: u8,
        /// The cell, its non-ASCII bytes escaped (`caf\xe9`; at most 64 characters are kept).
        value: String,
    },
    /// The target column was also selected as a feature.
    #[error("{}: column {column:?} is the target, it cannot also be a feature", path.display())]
    TargetIsFeature {
        /// The file.
        path: PathBuf,
        /// The target column's name.
        column: String,
    },
    /// No feature column is left.
    #[error("{}: no feature columns (the header is {})", path.display(), quoted_list(available))]
    NoFeatures {
        /// The file.
        path: PathBuf,
        /// The header's names.
        available: Vec<String>,
    },
    /// A classification target with fewer than two classes.
    #[error(
        "{}: target column {column:?} holds the single class {class:?}; classification needs at least 2",
        path.display()
    )]
    SingleClass {
        /// The file.
        path: PathBuf,
        /// The target column's name.
        column: String,
        /// The only label found.
        class: String,
    },
    /// A streamed classification target with more distinct labels than a model can have classes.
    #[error(
        "{}: target column {column:?} holds more than {limit} distinct labels, more classes than a model may have; \
         use --task regression for numbers",
        path.display()
    )]
    TooManyLabels {
        /// The file.
        path: PathBuf,
        /// The target column's name.
        column: String,
        /// [`MAX_CLASSES`](super::MAX_CLASSES).
        limit: usize,
    },
    /// The first bytes of an IDX file are not a valid magic number.
    #[error(
        "{}: bad magic number 0x{magic:08X} (expected 0x0000TTRR, type TT one of 08 09 0B 0C 0D 0E and rank RR, \
         e.g. 0x00000801 or 0x00000803 for unsigned bytes)",
        path.display()
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first four bytes, big-endian.
        magic: u32,
    },
    /// The data ends inside a header.
    #[error("{}: truncated {what}: needs {expected} bytes, the data holds {got}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Which part (`IDX header`, `.npy header`, ...).
        what: &'static str,
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// The header's shape does not match the size of the data.
    #[error(
        "{}: header declares shape {} of {dtype} = {expected} bytes but the data holds {got} bytes",
        path.display(), shape_text(shape)
    )]
    SizeMismatch {
        /// The file.
        path: PathBuf,
        /// The declared shape.
        shape: Vec<usize>,
        /// The element type.
        dtype: &'static str,
        /// Bytes the shape needs.
        expected: u64,
        /// Bytes present (for compressed data, at most `expected + 1`: reading stops there).
        got: u64,
    },
    /// The number of elements (or bytes) of a declared shape overflows.
    #[error("{}: header declares shape {}, whose size overflows", path.display(), shape_text(shape))]
    ShapeOverflow {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        shape: Vec<u64>,
    },
    /// A compressed stream declares more data than its compressed size can possibly hold.
    #[error(
        "{}: declares {declared} bytes of data, more than {compressed} compressed bytes can hold (at most {limit})",
        path.display()
    )]
    ImplausibleSize {
        /// The file (or archive entry).
        path: PathBuf,
        /// The declared uncompressed size.
        declared: u64,
        /// The size of the compressed stream.
        compressed: u64,
        /// The most that size can decompress to.
        limit: u64,
    },
    /// A gzip or deflate stream is corrupt.
    #[error("{}: corrupt compressed data: {source}", path.display())]
    Decompress {
        /// The file (or archive entry).
        path: PathBuf,
        /// The decompressor's error.
        source: std::io::Error,
    },
    /// A float64 element is finite but beyond the range of `f32`.
    #[error("{}: element {index} = {value:e} does not fit a 32-bit float", path.display())]
    ValueOverflow {
        /// The file.
        path: PathBuf,
        /// The element's flat (row-major) index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The file does not start with the `.npy` magic string.
    #[error("{}: not a .npy file (it does not start with \\x93NUMPY)", path.display())]
    NpyMagic {
        /// The file.
        path: PathBuf,
    },
    /// An `.npy` format version this reader does not know.
    #[error("{}: unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)", path.display())]
    NpyVersion {
        /// The file.
        path: PathBuf,
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The `.npy` header dictionary is malformed.
    #[error("{}: bad .npy header: {reason}: {header:?}", path.display())]
    NpyHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
        /// The header text (at most 64 characters are kept).
        header: String,
    },
    /// An element type this reader does not convert.
    #[error("{}: unsupported dtype {dtype:?} (supported: {supported})", path.display())]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The dtype as written in the file.
        dtype: String,
        /// The supported ones.
        supported: &'static str,
    },
    /// The file is not a zip archive.
    #[error("{}: not a zip (.npz) archive: no end-of-central-directory record", path.display())]
    NotZip {
        /// The file.
        path: PathBuf,
    },
    /// The zip structure is inconsistent.
    #[error("{}: corrupt zip archive: {reason}", path.display())]
    CorruptZip {
        /// The archive (or `archive[entry]`).
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// A zip feature this reader does not support.
    #[error("{}: unsupported zip entry: {reason}", path.display())]
    UnsupportedZip {
        /// `archive[entry]`.
        path: PathBuf,
        /// What it uses.
        reason: String,
    },
    /// An archive entry is larger than the configured limit.
    #[error("{}: entry declares {size} bytes, more than the limit of {limit}", path.display())]
    EntryTooLarge {
        /// `archive[entry]`.
        path: PathBuf,
        /// Its declared uncompressed size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An archive entry decompresses to a size other than the one it declares (a zip bomb or damage).
    #[error("{}: entry declares {declared} bytes but decompresses to {got}", path.display())]
    EntrySize {
        /// `archive[entry]`.
        path: PathBuf,
        /// Declared uncompressed size.
        declared: u64,
        /// Bytes produced (reading stops at `declared + 1`).
        got: u64,
    },
    /// An archive entry's CRC-32 does not match its data.
    #[error("{}: CRC-32 mismatch: the archive says {expected:08x}, the data gives {got:08x}", path.display())]
    Checksum {
        /// `archive[entry]`.
        path: PathBuf,
        /// The archive's CRC.
        expected: u32,
        /// The data's CRC.
        got: u32,
    },
    /// Two archive entries have the same array name.
    #[error("{}: more than one array named {name:?}", path.display())]
    DuplicateEntry {
        /// The archive.
        path: PathBuf,
        /// The name.
        name: String,
    },
    /// A file of a known layout (MNIST) has another shape.
    #[error("{}: expected {expected}, got shape {}", path.display(), shape_text(got))]
    UnexpectedShape {
        /// The file.
        path: PathBuf,
        /// What was expected, in words.
        expected: &'static str,
        /// The shape found.
        got: Vec<usize>,
    },
    /// A file of a known layout (MNIST) has another element type.
    #[error("{}: expected elements of type {expected}, got {got}", path.display())]
    UnexpectedDtype {
        /// The file.
        path: PathBuf,
        /// The type expected.
        expected: &'static str,
        /// The type found.
        got: &'static str,
    },
    /// A class label outside `0..classes`.
    #[error("{}: label {label} at index {index} is outside 0..{classes}", path.display())]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// The sample.
        index: usize,
        /// The label.
        label: f32,
        /// The number of classes.
        classes: usize,
    },
    /// Images and labels disagree in their number of samples.
    #[error("{}: {images} images but {labels} labels in {}", images_path.display(), labels_path.display())]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A directory lacks an expected file.
    #[error("{}: no file named {}", dir.display(), quoted_list(expected))]
    MissingFile {
        /// The directory.
        dir: PathBuf,
        /// The names looked for.
        expected: Vec<String>,
    },
    /// Training data without labels: array data needs a labels file (or an array `y` in a `.npz`).
    #[error("{}: the data has no labels (a labels file, or an array y in a .npz)", path.display())]
    NoLabels {
        /// The data file.
        path: PathBuf,
    },
    /// An array of features holds no samples.
    #[error("{}: no samples: the array has shape {shape:?}", path.display())]
    NoSamples {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// A `.npz` archive lacks the array of features.
    #[error("{}: no array named {name:?} (found: {})", path.display(), found.join(", "))]
    NoArray {
        /// The archive.
        path: PathBuf,
        /// The name looked for.
        name: &'static str,
        /// The arrays it holds.
        found: Vec<String>,
    },
    /// A labels file holds another number of labels than the data file holds samples.
    #[error("{}: {labels} labels for {samples} samples in {}", labels_path.display(), data_path.display())]
    LabelCount {
        /// The labels file.
        labels_path: PathBuf,
        /// The data file.
        data_path: PathBuf,
        /// Number of labels.
        labels: usize,
        /// Number of samples.
        samples: usize,
    },
    /// NaN or an infinity in an array (refused unless non-finite values are allowed).
    #[error("{}: {what} {row}, column {column}: {value} is not a finite number", path.display())]
    NonFiniteElement {
        /// The file.
        path: PathBuf,
        /// `sample` or `label`.
        what: &'static str,
        /// The 0-based sample.
        row: usize,
        /// The 0-based column.
        column: usize,
        /// The value.
        value: f32,
    },
    /// Classification was asked for, but a label is not a class index.
    #[error(
        "{}: label {label} is not a class index (classification needs integers 0, 1, 2, …)",
        path.display()
    )]
    NotAClass {
        /// The labels file.
        path: PathBuf,
        /// The first label that is not a non-negative integer.
        label: f32,
    },
    /// Integer class labels whose largest value implies an absurd number of classes: more than
    /// [`MAX_CLASSES`](super::MAX_CLASSES), or more than both the samples and twice the distinct
    /// labels (`{0, 999999}` in 40 samples would be a million-way softmax).
    #[error(
        "{}: labels 0..={max_label} imply {classes} classes, but {samples} samples hold {distinct} distinct labels \
         (at most {limit} classes, and no more than both the samples and twice the distinct labels); \
         use text labels (each distinct one is a class) or regression",
        path.display()
    )]
    TooManyClasses {
        /// The labels file.
        path: PathBuf,
        /// The largest label.
        max_label: u32,
        /// The classes it implies, `max_label + 1`.
        classes: usize,
        /// The distinct labels.
        distinct: usize,
        /// The samples.
        samples: usize,
        /// [`MAX_CLASSES`](super::MAX_CLASSES).
        limit: usize,
    },
    /// Array labels holding a single class, for classification.
    #[error("{}: only one class ({class}) in the labels: classification needs at least two", path.display())]
    SingleLabel {
        /// The labels file.
        path: PathBuf,
        /// The one class.
        class: u32,
    },
    /// Data that does not fit a saved model's schema, or a schema that cannot be read.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}
