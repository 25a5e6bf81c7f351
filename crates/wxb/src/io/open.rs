//! One entry point for every model file wxb reads: a wxb folder, a Keras 3 `.keras` archive, a
//! legacy Keras `.h5` file or an ONNX graph, told apart by their content ([`detect_format`]), not
//! their names; and one for every format it writes ([`save_as`]).

use std::io::Read;
use std::path::Path;

use super::{LoadedModel, ModelIoError, OptimizerState};

/// The most bytes a model file may hold (2 GiB): larger ones are refused before they are read.
pub const MAX_MODEL_FILE_BYTES: u64 = 2 << 30;

/// The kinds of model files wxb reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFormat {
    /// A wxb model folder (`config.json`, `model.safetensors`).
    Folder,
    /// A Keras 3 `.keras` archive (a zip of `config.json`, `metadata.json`, `model.weights.h5`).
    Keras,
    /// A legacy Keras HDF5 file (`model_config` attribute, `model_weights/`).
    KerasH5,
    /// An ONNX `ModelProto`.
    Onnx,
}

impl ModelFormat {
    /// The format a file written at `path` gets from its extension: `.keras`, `.h5`/`.hdf5`,
    /// `.onnx`; `None` for any other (a folder is named by having no such extension: see
    /// [`ModelFormat::for_output`]).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "keras" => Some(Self::Keras),
            "h5" | "hdf5" => Some(Self::KerasH5),
            "onnx" => Some(Self::Onnx),
            _ => None,
        }
    }

    /// The format of an output path: its extension's ([`ModelFormat::from_extension`]), else a
    /// folder.
    pub fn for_output(path: &Path) -> Self {
        Self::from_extension(path).unwrap_or(Self::Folder)
    }

    /// Its name in messages: `wxb folder`, `Keras (.keras)`, `Keras HDF5 (.h5)`, `ONNX`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Folder => "wxb folder",
            Self::Keras => "Keras (.keras)",
            Self::KerasH5 => "Keras HDF5 (.h5)",
            Self::Onnx => "ONNX",
        }
    }
}

impl std::fmt::Display for ModelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The zip local file header's signature: a `.keras` archive.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The HDF5 superblock's signature (at offset 0 in the files Keras writes).
const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";

/// The format of the model at `path`, from its content: a directory is a wxb folder; a file
/// starting with the zip signature `PK\x03\x04` is a `.keras` archive, one starting with HDF5's
/// `\x89HDF\r\n\x1a\n` a legacy Keras `.h5`; a protobuf whose first field is ONNX's `ir_version`
/// (tag `0x08`, a small varint) an ONNX model.
///
/// # Errors
/// [`ModelIoError::Io`] when `path` cannot be read, [`ModelIoError::Format`] when it is none of
/// these (the message names the file and what its first bytes look like).
pub fn detect_format(path: &Path) -> Result<ModelFormat, ModelIoError> {
    let io = |source| ModelIoError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Ok(ModelFormat::Folder);
    }
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path).map_err(io)?.take(16).read_to_end(&mut head).map_err(io)?;
    format_of(&head).ok_or_else(|| ModelIoError::Format {
        path: path.to_path_buf(),
        message: if head.is_empty() {
            "the file is empty, not a model".into()
        } else {
            "not a model wxb reads (expected a wxb folder, a Keras .keras or .h5 file, or an ONNX file)".into()
        },
    })
}

/// The format of a file from its first bytes (at least 16 when the file has them).
pub fn format_of(head: &[u8]) -> Option<ModelFormat> {
    if head.starts_with(ZIP_MAGIC) {
        return Some(ModelFormat::Keras);
    }
    if head.starts_with(HDF5_MAGIC) {
        return Some(ModelFormat::KerasH5);
    }
    // ONNX: field 1 (`ir_version`, varint) comes first in every writer's output; versions so far
    // are 1…11 — accept up to 127 (one byte) to leave room for new ones.
    if let [0x08, v, ..] = head
        && (1..0x80).contains(v)
    {
        return Some(ModelFormat::Onnx);
    }
    None
}

/// Opens the model at `path`, whatever its format ([`detect_format`]): a wxb folder through
/// [`super::load`], Keras files through [`super::keras`], ONNX files through the ONNX reader.
/// A file larger than [`MAX_MODEL_FILE_BYTES`] is refused before it is read.
///
/// A model read from another framework's file has no wxb data schema in its metadata: see
/// [`super::load_trained`], which gives it a plain one.
///
/// # Errors
/// The reader's [`ModelIoError`], each naming the file and the part that is wrong.
pub fn open_model(path: &Path) -> Result<LoadedModel, ModelIoError> {
    let format = detect_format(path)?;
    if format != ModelFormat::Folder {
        check_size(path)?;
    }
    match format {
        ModelFormat::Folder => super::load(path),
        ModelFormat::Keras => super::keras::read_keras(path),
        ModelFormat::KerasH5 => super::keras::read_h5(path),
        ModelFormat::Onnx => super::onnx::read(path),
    }
}

/// Saves `loaded` at `path` in `format`: a wxb folder ([`super::save`], with the optimizer state
/// when `state` says so), a `.keras` archive or legacy `.h5` file ([`super::keras`]; a `.keras`
/// archive always holds the optimizer's state when the model is compiled), or an ONNX file.
///
/// # Errors
/// [`ModelIoError::Io`] when writing fails, [`ModelIoError::Part`] when the model holds something
/// the format cannot express. Nothing is written then.
pub fn save_as(
    loaded: &mut LoadedModel,
    path: &Path,
    format: ModelFormat,
    state: OptimizerState,
) -> Result<(), ModelIoError> {
    match format {
        ModelFormat::Folder => super::save(&mut loaded.model, path, &loaded.metadata, state),
        ModelFormat::Keras => super::keras::write_keras(loaded, path),
        ModelFormat::KerasH5 => super::keras::write_h5(loaded, path),
        ModelFormat::Onnx => super::onnx::write(loaded, path),
    }
}

/// Refuses a file over [`MAX_MODEL_FILE_BYTES`].
pub fn check_size(path: &Path) -> Result<(), ModelIoError> {
    let len = std::fs::metadata(path).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })?.len();
    if len > MAX_MODEL_FILE_BYTES {
        return Err(ModelIoError::Part {
            path: path.to_path_buf(),
            part: "file size".into(),
            message: format!("{len} bytes, over the limit of {MAX_MODEL_FILE_BYTES} bytes for a model file"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(format_of(b"PK\x03\x04rest"), Some(ModelFormat::Keras));
        assert_eq!(format_of(b"\x89HDF\r\n\x1a\n\0\0"), Some(ModelFormat::KerasH5));
        assert_eq!(format_of(&[0x08, 0x07, 0x12, 0x04]), Some(ModelFormat::Onnx));
        assert_eq!(format_of(&[0x08, 0x00]), None);
        assert_eq!(format_of(b"{\"format\": 1}"), None);
        assert_eq!(format_of(b""), None);
    }

    #[test]
    fn output_formats_come_from_the_extension() {
        assert_eq!(ModelFormat::for_output(Path::new("m.KERAS")), ModelFormat::Keras);
        assert_eq!(ModelFormat::for_output(Path::new("m.h5")), ModelFormat::KerasH5);
        assert_eq!(ModelFormat::for_output(Path::new("m.onnx")), ModelFormat::Onnx);
        assert_eq!(ModelFormat::for_output(Path::new("out/model")), ModelFormat::Folder);
        assert_eq!(ModelFormat::from_extension(Path::new("m.txt")), None);
    }

    #[test]
    fn a_file_that_is_no_model_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "hello").unwrap();
        let e = detect_format(&path).unwrap_err().to_string();
        assert!(e.contains("notes.txt") && e.contains("not a model"), "{e}");
        std::fs::write(&path, "").unwrap();
        assert!(detect_format(&path).unwrap_err().to_string().contains("empty"));
    }
}
