//! Saving and loading models: a directory with `config.json` and `model.safetensors`; other
//! frameworks' files (Keras `.keras` and `.h5` in [`keras`], ONNX) through [`open_model`] and
//! [`save_as`].
//!
//! - `config.json`: the architecture as Keras-like layer configs (`{"class_name": "Dense",
//!   "config": {...}}`), the compile settings, the optimizer's step count, application metadata
//!   (the data [`Schema`](crate::data::Schema) under `preprocessing`: feature names, scaling,
//!   standardization, class names — [`load_trained`] returns it with the model), and wxb's format
//!   version.
//! - `model.safetensors`: f32 little-endian tensors named `layers.{i}.{variable}` (e.g.
//!   `layers.0.kernel`, `layers.0.bias`) — `safetensors.numpy.load_file` reads it — plus the
//!   optimizer's slots as `optimizer.{variable}.{slot}` when saved with training state. Its header
//!   metadata embeds a copy of the configuration.
//!
//! Every file is replaced atomically ([`atomic::write_atomic`]). The weights file is written first
//! and is self-contained; `config.json` carries the same `generation` stamp. If a crash falls
//! between the two writes, the stamps differ and the loader uses the configuration embedded in the
//! weights file, so a load always sees one consistent state, old or new.

pub mod atomic;
mod check;
mod error;
pub mod keras;
mod open;
mod trained;
mod weights;

pub mod onnx;

pub use error::ModelIoError;
pub use open::{MAX_MODEL_FILE_BYTES, ModelFormat, check_size, detect_format, format_of, open_model, save_as};
pub use trained::{Prediction, TrainedModel, load_trained, plain_schema};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::layers::LayerConfig;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::model::Sequential;
use crate::optim::{Optimizer, OptimizerConfig};

/// The newest model format this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// The value of the `format` key.
pub const FORMAT_NAME: &str = "wxb-model";
/// The configuration file's name.
pub const CONFIG_FILE: &str = "config.json";
/// The weights file's name.
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// The architecture of a Sequential model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequentialConfig {
    /// The model's name.
    pub name: String,
    /// The shape of one input sample.
    pub input_shape: Vec<usize>,
    /// The seed of its random draws.
    pub seed: u64,
    /// The layers, in order.
    pub layers: Vec<LayerConfig>,
}

/// `compile`'s settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompileConfig {
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The loss.
    pub loss: Loss,
    /// The metrics.
    pub metrics: Vec<Metric>,
}

/// The contents of `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version (see [`FORMAT_VERSION`]).
    pub format_version: u64,
    /// Pairs this file with the weights file written with it.
    #[serde(default)]
    pub generation: String,
    /// The architecture, Keras-style: `{"class_name": "Sequential", "config": {...}}`.
    pub model: ModelEntry,
    /// The compile settings, if the model was compiled.
    #[serde(default)]
    pub compile: Option<CompileConfig>,
    /// Optimizer steps taken, when the optimizer state was saved.
    #[serde(default)]
    pub optimizer_iterations: Option<u64>,
    /// The optimizer's scalar state (Nadam's `u_product`), when saved.
    #[serde(default)]
    pub optimizer_scalars: BTreeMap<String, f32>,
    /// Application data (the CLI keeps preprocessing and training progress here).
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

/// `{"class_name": "Sequential", "config": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
pub enum ModelEntry {
    /// A [`Sequential`] model.
    Sequential(SequentialConfig),
}

/// Whether the optimizer's state goes into the files, so that training can resume exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerState {
    /// Save the slots and the step count (for `--resume` and checkpoints).
    Include,
    /// Save only the model (smaller; enough for evaluate/predict).
    Exclude,
}

/// A model read back from disk.
#[derive(Debug)]
pub struct LoadedModel {
    /// The model, compiled if it was saved compiled, with its optimizer state if it was saved.
    pub model: Sequential,
    /// The application metadata.
    pub metadata: BTreeMap<String, serde_json::Value>,
}

/// The configuration describing `model` (without a generation stamp).
pub fn model_file(
    model: &Sequential,
    metadata: &BTreeMap<String, serde_json::Value>,
    state: OptimizerState,
) -> ModelFile {
    let compiled = model.compiled();
    ModelFile {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        generation: String::new(),
        model: ModelEntry::Sequential(SequentialConfig {
            name: model.name().into(),
            input_shape: model.input_shape().to_vec(),
            seed: model.seed_value(),
            layers: model.layers().iter().map(|l| l.config()).collect(),
        }),
        compile: compiled.map(|c| CompileConfig {
            optimizer: c.optimizer.config().clone(),
            loss: c.loss,
            metrics: c.metrics.clone(),
        }),
        optimizer_iterations: match state {
            OptimizerState::Include => compiled.map(|c| c.optimizer.iterations()),
            OptimizerState::Exclude => None,
        },
        optimizer_scalars: match (state, compiled) {
            (OptimizerState::Include, Some(c)) => c.optimizer.state().scalars.into_iter().collect(),
            _ => BTreeMap::new(),
        },
        metadata: metadata.clone(),
    }
}

/// Saves `model` into `dir` (created if needed): `model.safetensors`, then `config.json`, each
/// replaced atomically.
pub fn save(
    model: &mut Sequential,
    dir: &Path,
    metadata: &BTreeMap<String, serde_json::Value>,
    state: OptimizerState,
) -> Result<(), ModelIoError> {
    model.build();
    atomic::create_dir_durable(dir).map_err(|source| ModelIoError::Io { path: dir.to_path_buf(), source })?;
    let mut file = model_file(model, metadata, state);
    let embedded = serde_json::to_string(&file).expect("model configs serialise");
    let (bytes, generation) = weights::encode(model, &embedded, state);
    file.generation = generation;
    let weights_path = dir.join(WEIGHTS_FILE);
    atomic::write_atomic(&weights_path, &bytes).map_err(|source| ModelIoError::Io { path: weights_path, source })?;
    let mut json = serde_json::to_string_pretty(&file).expect("model configs serialise");
    json.push('\n');
    let config_path = dir.join(CONFIG_FILE);
    atomic::write_atomic(&config_path, json.as_bytes()).map_err(|source| ModelIoError::Io { path: config_path, source })
}

/// Loads a model directory written by [`save`].
///
/// Everything read is checked before it is used: the format and its version, every layer's
/// configuration ([`Sequential::from_configs`]), the optimizer's schedule and the metrics, and every
/// tensor's name, dtype and shape. The weights the configuration asks for must all be in the
/// weights file, so a configuration claiming huge layers is refused before anything of that size
/// is allocated: memory stays bounded by the size of the files. A directory holding only a valid
/// `model.safetensors` (a crash during the very first save) loads from the configuration embedded
/// in it.
pub fn load(dir: &Path) -> Result<LoadedModel, ModelIoError> {
    let config_path = dir.join(CONFIG_FILE);
    let weights_path = dir.join(WEIGHTS_FILE);
    let config = match std::fs::read(&config_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && weights_path.is_file() => None,
        Err(source) => return Err(ModelIoError::Io { path: config_path, source }),
    };
    let weights = read(&weights_path)?;
    decode_model(&config_path, config.as_deref(), &weights_path, &weights)
}

/// Loads a model from the bytes of its `config.json` and `model.safetensors` (as [`load`] does; the
/// file names stand for the paths in errors).
pub fn load_bytes(config: &[u8], weights: &[u8]) -> Result<LoadedModel, ModelIoError> {
    decode_model(Path::new(CONFIG_FILE), Some(config), Path::new(WEIGHTS_FILE), weights)
}

fn decode_model(
    config_path: &Path,
    config: Option<&[u8]>,
    weights_path: &Path,
    weights: &[u8],
) -> Result<LoadedModel, ModelIoError> {
    let config = match config {
        Some(bytes) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| config_error(config_path, 1, 1, format!("not UTF-8 text ({e})")))?;
            Some(parse_model_file(config_path, text)?)
        }
        None => None,
    };
    let decoded = weights::decode(weights_path, weights)?;
    // A crash between the two writes leaves an older config.json: trust the weights file's copy.
    let (config, source) = match config {
        Some(c) if c.generation == decoded.generation => (c, config_path),
        _ => (parse_model_file(weights_path, &decoded.embedded_config)?, weights_path),
    };
    check::compile_settings(source, config.compile.as_ref(), config.optimizer_iterations)?;
    let ModelEntry::Sequential(arch) = &config.model;
    // Every weight must be in the weights file: its f32 values bound the model's size.
    check::weights_present(weights_path, arch, &decoded)?;
    let budget = decoded.tensors.values().map(|(_, _, data)| data.len() as u64).sum();
    let mut model = Sequential::from_configs(&arch.input_shape, arch.seed, &arch.layers, budget)
        .map_err(|e| check::invalid(source, e, budget))?
        .named(&arch.name);
    if let Some(c) = &config.compile {
        model.compile(Optimizer::from_config(c.optimizer.clone()), c.loss, &c.metrics);
    }
    let scalars: Vec<(String, f32)> = config.optimizer_scalars.iter().map(|(k, &v)| (k.clone(), v)).collect();
    weights::restore(weights_path, &decoded, &mut model, config.optimizer_iterations, &scalars)?;
    Ok(LoadedModel { model, metadata: config.metadata })
}

fn read(path: &Path) -> Result<Vec<u8>, ModelIoError> {
    std::fs::read(path).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })
}

fn config_error(path: &Path, line: usize, column: usize, message: String) -> ModelIoError {
    ModelIoError::Config { path: path.to_path_buf(), line, column, message }
}

/// Parses and version-checks a `config.json` text.
fn parse_model_file(path: &Path, text: &str) -> Result<ModelFile, ModelIoError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| config_error(path, e.line(), e.column(), e.to_string()))?;
    let version = match value.get("format_version") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            config_error(path, 1, 1, format!("\"format_version\" is {v}, expected a whole number (1 for this wxb)"))
        })?),
    };
    let format = value.get("format").and_then(serde_json::Value::as_str);
    if format != Some(FORMAT_NAME) {
        return Err(config_error(
            path,
            1,
            1,
            format!("not a wxb model (\"format\" is {format:?}, expected {FORMAT_NAME:?})"),
        ));
    }
    match version {
        Some(v) if (1..=FORMAT_VERSION).contains(&v) => {}
        Some(0) => {
            return Err(ModelIoError::Version {
                path: path.to_path_buf(),
                found: 0,
                supported: FORMAT_VERSION,
                hint: "no wxb ever wrote version 0: the file is damaged",
            });
        }
        Some(v) => {
            return Err(ModelIoError::Version {
                path: path.to_path_buf(),
                found: v,
                supported: FORMAT_VERSION,
                hint: "it was saved by a newer wxb: upgrade wxb to load it",
            });
        }
        None => return Err(config_error(path, 1, 1, "missing \"format_version\"".into())),
    }
    serde_json::from_str(text).map_err(|e| config_error(path, e.line(), e.column(), e.to_string()))
}

/// The path of a file in a model directory.
pub fn file_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
