//! Keras' own files, both ways: the Keras 3 `.keras` archive (a zip of `config.json`,
//! `metadata.json` and `model.weights.h5`) and the legacy HDF5 `.h5` file (the `model_config`
//! attribute and `model_weights/`).
//!
//! Reading: Sequential models and Functional models that are one chain, with every layer kind wxb
//! has; a leading `Normalization` layer becomes the model's input standardization (its data
//! [`Schema`](crate::data::Schema)); the compile settings and, when the file holds it, the optimizer's state. The
//! layers keep the file's names. Every part is checked before it is used: a damaged archive or
//! HDF5 file, weights whose shapes disagree with the configuration, an unsupported layer are one
//! [`ModelIoError::Part`] naming the file and the part.
//!
//! Writing ([`write_keras`], [`write_h5`]): see `export.rs`.

mod archive;
mod columns;
mod config;
mod export;
mod h5;
mod tree;
mod weights;

use std::collections::BTreeMap;
use std::path::Path;

pub use export::{save_keras, to_h5_bytes, to_keras_bytes, write_h5, write_keras};

use super::{LoadedModel, ModelIoError, plain_schema};
use crate::data::{Schema, Standardization};
use crate::layers::LayerConfig;
use crate::model::Sequential;
use crate::optim::Optimizer;
use columns::ColumnLayer;
use config::{KerasModel, Piece};
use h5::H5;

/// What is wrong, and where in the file (before the file's path is known to the message).
#[derive(Debug)]
pub(crate) struct PartError {
    part: String,
    message: String,
}

impl PartError {
    pub(crate) fn new(part: impl Into<String>, message: impl Into<String>) -> Self {
        Self { part: part.into(), message: message.into() }
    }

    /// The error for the file at `path`.
    pub(crate) fn at(self, path: &Path) -> ModelIoError {
        ModelIoError::Part { path: path.to_path_buf(), part: self.part, message: self.message }
    }
}

/// The largest `config.json` or metadata member read from an archive (64 MiB).
const MAX_CONFIG_BYTES: u64 = 64 << 20;

/// Reads a Keras 3 `.keras` archive: `config.json` (the architecture and `compile_config`) and
/// `model.weights.h5` (`layers/<snake_case class>/vars/<i>`, the layer's name in the `vars`
/// group's `name` attribute; `optimizer/vars/<i>`).
///
/// # Errors
/// [`ModelIoError::Part`] naming the archive member and what is wrong in it;
/// [`ModelIoError::Io`] when the file cannot be read.
pub fn read_keras(path: &Path) -> Result<LoadedModel, ModelIoError> {
    let bytes = std::fs::read(path).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })?;
    read_keras_bytes(&bytes).map_err(|e| e.at(path))
}

/// [`read_keras`] on the archive's bytes (errors name the file `model.keras`).
///
/// # Errors
/// As [`read_keras`].
pub fn keras_from_bytes(bytes: &[u8]) -> Result<LoadedModel, ModelIoError> {
    read_keras_bytes(bytes).map_err(|e| e.at(Path::new("model.keras")))
}

/// [`read_h5`] on the file's bytes (errors name the file `model.h5`).
///
/// # Errors
/// As [`read_h5`].
pub fn h5_from_bytes(bytes: Vec<u8>) -> Result<LoadedModel, ModelIoError> {
    read_h5_bytes(bytes).map_err(|e| e.at(Path::new("model.h5")))
}

fn read_keras_bytes(bytes: &[u8]) -> Result<LoadedModel, PartError> {
    let mut zip = archive::Reader::new(bytes)?;
    let config = zip.member("config.json", MAX_CONFIG_BYTES)?;
    let config: serde_json::Value =
        serde_json::from_slice(&config).map_err(|e| PartError::new("config.json", format!("invalid JSON ({e})")))?;
    let weights = zip.member("model.weights.h5", super::MAX_MODEL_FILE_BYTES)?;
    let compile = config.get("compile_config").filter(|c| !c.is_null());
    let mut keras = config::read_model(&config, compile).map_err(|e| in_member("config.json", e))?;
    for column in keras.columns.iter_mut().flatten() {
        if let ColumnLayer::Lookup { prep, from_assets: true, key } = &mut column.layer {
            let member = format!("assets/{key}/vocabulary.txt");
            let text = zip.member(&member, MAX_CONFIG_BYTES)?;
            let text = String::from_utf8(text).map_err(|_| PartError::new(&member, "not UTF-8 text"))?;
            columns::set_vocabulary(prep, &text).map_err(|e| PartError::new(&member, e))?;
        }
    }
    let h5 = H5::parse(weights, "model.weights.h5")?;
    // What wxb wrote about the model (its data schema, its training): Keras leaves it out when it
    // saves the model again, so it is never older than the model.
    let wxb = zip
        .member("metadata.json", MAX_CONFIG_BYTES)
        .ok()
        .and_then(|about| serde_json::from_slice::<serde_json::Value>(&about).ok())
        .and_then(|mut about| about.get_mut(export::WXB_METADATA_KEY).map(serde_json::Value::take))
        .and_then(|wxb| serde_json::from_value::<BTreeMap<String, serde_json::Value>>(wxb).ok());
    if let Some(wxb) = &wxb {
        without_exported_scaling(&mut keras, wxb);
    }
    let mut loaded = assemble(keras, &h5, weights::Layout::Keras3)?;
    if let Some(wxb) = wxb
        && Schema::from_metadata(&wxb).is_ok_and(|s| fits(&s, &loaded.model))
    {
        loaded.metadata.extend(wxb);
    }
    Ok(loaded)
}

/// Drops the leading `Rescaling` that `wxb export` wrote for the scale of the schema it kept in
/// `metadata.json` (the schema scales the inputs itself).
fn without_exported_scaling(keras: &mut KerasModel, wxb: &BTreeMap<String, serde_json::Value>) {
    let Ok(schema) = Schema::from_metadata(wxb) else { return };
    if schema.scale != 1.0
        && schema.feature_names.len() == keras.input_shape.iter().product::<usize>()
        && let Some(Piece::Layer(LayerConfig::Rescaling(r))) = keras.layers.first()
        && r.scale == schema.scale
        && r.offset == 0.0
    {
        keras.layers.remove(0);
    }
}

/// Whether a schema kept in `metadata.json` describes the model's inputs.
fn fits(schema: &Schema, model: &Sequential) -> bool {
    schema.feature_names.len() == model.input_shape().iter().product::<usize>()
}

/// Reads a legacy Keras `.h5` file: the `model_config` and `training_config` attributes, the
/// weights under `model_weights/<layer>/` (named by each group's `weight_names`) and the
/// optimizer's under `optimizer_weights/`.
///
/// # Errors
/// [`ModelIoError::Part`] naming the HDF5 object and what is wrong in it.
pub fn read_h5(path: &Path) -> Result<LoadedModel, ModelIoError> {
    let bytes = std::fs::read(path).map_err(|source| ModelIoError::Io { path: path.to_path_buf(), source })?;
    read_h5_bytes(bytes).map_err(|e| e.at(path))
}

fn read_h5_bytes(bytes: Vec<u8>) -> Result<LoadedModel, PartError> {
    let h5 = H5::parse(bytes, "")?;
    let text = h5.attr_string("", "model_config")?.ok_or_else(|| {
        PartError::new("model_config", "missing: a weights-only file (save_weights) holds no model to load")
    })?;
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| PartError::new("model_config", format!("invalid JSON ({e})")))?;
    let training = match h5.attr_string("", "training_config")? {
        Some(t) => Some(
            serde_json::from_str::<serde_json::Value>(&t)
                .map_err(|e| PartError::new("training_config", format!("invalid JSON ({e})")))?,
        ),
        None => None,
    };
    let keras = config::read_model(&config, training.as_ref()).map_err(|e| in_member("model_config", e))?;
    assemble(keras, &h5, weights::Layout::Legacy)
}

fn in_member(member: &str, e: PartError) -> PartError {
    PartError { part: format!("{member}: {}", e.part), message: e.message }
}

/// Builds the model from the configuration, loads the weights (and the optimizer's state) and
/// makes the data schema (with the standardization of a leading `Normalization`).
fn assemble(mut keras: KerasModel, h5: &H5, layout: weights::Layout) -> Result<LoadedModel, PartError> {
    let configs: Vec<_> = keras
        .layers
        .iter()
        .filter_map(|p| match p {
            Piece::Layer(c) => Some(c.clone()),
            Piece::Normalization { .. } => None,
        })
        .collect();
    // Keras stores every weight as an uncompressed float32: a configuration claiming more
    // weights than the file can hold is refused before anything of that size is allocated.
    let budget = (h5.size() / 4) as u64;
    let columns = match keras.columns {
        Some(columns) => {
            let prep = columns::to_prep(columns, |layer| weights::column_statistics(h5, layout, layer))?;
            keras.input_shape = vec![prep.iter().map(crate::data::table::ColumnPrep::width).sum()];
            Some(prep)
        }
        None => None,
    };
    let mut model = Sequential::from_configs(&keras.input_shape, 0, &configs, budget)
        .map_err(|e| PartError::new("model", format!("cannot be built: {e}")))?
        .named(&keras.name);
    let loaded = weights::load(h5, layout, &keras.layers, &mut model)?;
    if let Some(c) = &keras.compile {
        // The values the model types would otherwise meet as panics later.
        super::check::compile_settings(Path::new("compile_config"), Some(c), None).map_err(|e| match e {
            ModelIoError::Config { message, .. } => PartError::new("compile_config", message),
            other => PartError::new("compile_config", other.to_string()),
        })?;
        model.compile(Optimizer::from_config(c.optimizer.clone()), c.loss, &c.metrics);
        if let Some(state) = weights::optimizer_state(h5, layout, &model)? {
            let opt = model.optimizer_mut().expect("compiled above");
            opt.restore_state(&state).map_err(|e| PartError::new("optimizer", e.to_string()))?;
        }
    }
    let mut schema = plain_schema(&model);
    if let Some((mean, variance)) = loaded.normalization {
        schema.standardize = Some(standardization(&mean, &variance, schema.feature_names.len()));
    }
    if let Some(columns) = columns {
        // The inputs are named: the CSV's columns are taken by name.
        schema.feature_names = crate::data::table::input_names(&columns);
        schema.columns = Some(columns);
        schema.positional = false;
    }
    let mut metadata = BTreeMap::new();
    schema.insert_into(&mut metadata);
    Ok(LoadedModel { model, metadata })
}

/// Keras' `Normalization` over the last axis, `(x − mean) / max(√variance, ε)` with Keras'
/// `epsilon()` = 1e-7, as wxb's per-feature standardization: a feature `i` of the flattened
/// sample takes the statistics of its channel `i mod channels`.
fn standardization(mean: &[f32], variance: &[f32], features: usize) -> Standardization {
    let channels = mean.len().max(1);
    let std: Vec<f32> = variance.iter().map(|v| v.max(0.0).sqrt().max(1e-7)).collect();
    Standardization {
        mean: (0..features).map(|i| mean[i % channels]).collect(),
        std: (0..features).map(|i| std[i % channels]).collect(),
    }
}
