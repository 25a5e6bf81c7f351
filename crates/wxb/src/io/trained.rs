//! A saved model together with its data [`Schema`]: it prepares raw features the way the model's
//! training data was prepared, and names the predicted classes — the same predictions as
//! `wxb predict`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{CONFIG_FILE, LoadedModel, ModelFormat, ModelIoError, detect_format, open_model};
use crate::activations::Activation;
use crate::data::{DataError, LoadOptions, Schema, Targets, Task, load_for_model};
use crate::error::WxbError;
use crate::layers::LayerConfig;
use crate::model::Sequential;
use crate::tensor::{Tensor, predicted_class};

/// A model and the schema of the data it was trained on.
#[derive(Debug)]
pub struct TrainedModel {
    /// The model.
    pub model: Sequential,
    /// Its inputs' names, scaling and standardization; its task and class names.
    pub schema: Schema,
    /// The rest of the application metadata.
    pub metadata: BTreeMap<String, serde_json::Value>,
}

/// A model's outputs, and for a classifier the name of each row's most probable class.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The outputs, `[n, outputs]` (class probabilities for a classifier).
    pub outputs: Tensor,
    /// The arg-max class name of each row, for classification.
    pub classes: Option<Vec<String>>,
}

/// Loads a model folder written by `wxb train` (or by [`super::save`] with the schema in its
/// metadata, see [`Schema::insert_into`]), or any model file [`open_model`] reads.
///
/// A model from another framework's file (Keras, ONNX) that holds no wxb schema gets a plain one
/// ([`plain_schema`]): numeric inputs `x0, x1, …` taken as they are, class names `0, 1, …` when
/// the model classifies.
///
/// # Errors
/// The errors of [`open_model`], and [`ModelIoError::Schema`] when the schema is missing, invalid,
/// or has another number of classes than the model has outputs.
pub fn load_trained(path: &Path) -> Result<TrainedModel, ModelIoError> {
    let format = detect_format(path)?;
    let mut loaded = open_model(path)?;
    let schema_file = if format == ModelFormat::Folder { path.join(CONFIG_FILE) } else { path.to_path_buf() };
    if format != ModelFormat::Folder && !loaded.metadata.contains_key(Schema::METADATA_KEY) {
        plain_schema(&loaded.model).insert_into(&mut loaded.metadata);
    }
    TrainedModel::new(loaded).map_err(|e| ModelIoError::Schema { path: schema_file, source: Box::new(e) })
}

/// The schema of a model that came without one: its inputs `x0, x1, …` (one per element of the
/// input shape, row-major) taken as they are; a classification into classes `0, 1, …` when the
/// model is compiled with a crossentropy or hinge loss of classes, or ends in a softmax or sigmoid
/// (one sigmoid output: classes `0` and `1`), else a regression.
pub fn plain_schema(model: &Sequential) -> Schema {
    let features: usize = model.input_shape().iter().product();
    let outputs: usize = model.output_shape().iter().product();
    let names = (0..features).map(|i| format!("x{i}")).collect();
    let last = model.layers().iter().rev().find_map(|l| output_activation(&l.config()));
    let by_loss = model.compiled().map(|c| {
        matches!(
            c.loss.name(),
            "binary_crossentropy"
                | "categorical_crossentropy"
                | "sparse_categorical_crossentropy"
                | "binary_focal_crossentropy"
                | "categorical_focal_crossentropy"
                | "categorical_hinge"
        )
    });
    let classifies = by_loss.unwrap_or(matches!(last, Some(Activation::Softmax | Activation::Sigmoid)));
    let classes = if outputs == 1 { 2 } else { outputs };
    let class_names = classifies.then(|| (0..classes).map(|c| c.to_string()).collect());
    let mut schema = Schema::csv(names, class_names);
    schema.positional = model.input_shape().len() == 1;
    if model.input_shape().len() > 1 {
        schema.sample_shape = Some(model.input_shape().to_vec());
    }
    if !classifies {
        schema.task = Task::Regression;
    }
    schema
}

/// The activation a layer ends with, for the layers that have one.
fn output_activation(config: &LayerConfig) -> Option<Activation> {
    match config {
        LayerConfig::Dense(c) => Some(c.activation),
        LayerConfig::Activation(c) => Some(c.activation),
        LayerConfig::Conv2D(c) => Some(c.activation),
        LayerConfig::Conv1D(c) => Some(c.activation),
        _ => None,
    }
}

impl TrainedModel {
    /// The model and the schema in its metadata.
    ///
    /// # Errors
    /// [`SchemaError::NoSchema`](crate::data::SchemaError::NoSchema),
    /// [`SchemaError::InvalidSchema`](crate::data::SchemaError::InvalidSchema) or
    /// [`SchemaError::SchemaMismatch`](crate::data::SchemaError::SchemaMismatch).
    pub fn new(loaded: LoadedModel) -> Result<Self, DataError> {
        let LoadedModel { model, mut metadata } = loaded;
        let schema = Schema::from_metadata(&metadata)?;
        schema.check_outputs(model.output_shape().iter().product())?;
        schema.check_inputs(model.input_shape().iter().product())?;
        metadata.remove(Schema::METADATA_KEY);
        Ok(Self { model, schema, metadata })
    }

    /// Predicts from raw features `x` — in the schema's order, as the training file held them
    /// (CSV values, NaN where missing; IDX bytes as 0…255) — by preparing them with the schema
    /// ([`Schema::prepare`]) first. A table with text columns cannot be given as numbers: read
    /// its file with [`TrainedModel::read_data`] and use [`TrainedModel::predict_prepared`].
    ///
    /// # Shapes
    /// `x: [n, schema.source_columns().len()]` → outputs `[n, outputs]`.
    ///
    /// # Errors
    /// [`WxbError::InvalidArgument`] when the schema has text columns or `x` another width than
    /// its columns; [`WxbError`] when `batch_size` is 0.
    pub fn predict(&self, x: &Tensor, batch_size: usize) -> Result<Prediction, WxbError> {
        if self.schema.has_text_columns() {
            let reason = "the model reads text columns: read the data with read_data, then predict_prepared";
            return Err(WxbError::InvalidArgument { name: "x", value: format!("{:?}", x.shape()), reason });
        }
        if self.schema.columns.is_some() && x.cols() != self.schema.source_columns().len() {
            let reason = "one column per column of the training table";
            return Err(WxbError::InvalidArgument { name: "x", value: format!("{:?}", x.shape()), reason });
        }
        let mut prepared = x.clone();
        self.schema.prepare(&mut prepared);
        self.predict_prepared(&prepared, batch_size)
    }

    /// Predicts from features already prepared (as [`load_for_model`] returns them).
    ///
    /// # Shapes
    /// `x: [n, features]` (flat, read as the model's input shape, e.g. `[n, 28, 28, 1]`) or
    /// `[n, input_shape…]` → outputs `[n, outputs]`.
    ///
    /// # Errors
    /// As [`TrainedModel::predict`].
    pub fn predict_prepared(&self, x: &Tensor, batch_size: usize) -> Result<Prediction, WxbError> {
        let input = self.model.input_shape();
        let outputs = if x.rank() == 2 && x.shape()[1..] != *input {
            self.model.predict(&x.clone().with_sample_shape(input), batch_size)?
        } else {
            self.model.predict(x, batch_size)?
        };
        let classes = self
            .schema
            .class_names()
            .map(|names| (0..outputs.rows()).map(|i| names[predicted_class(outputs.row(i))].clone()).collect());
        Ok(Prediction { outputs, classes })
    }

    /// Reads a data file for this model ([`load_for_model`] with its schema): prepared features,
    /// and the targets with [`Targets::Required`].
    ///
    /// # Errors
    /// Those of [`load_for_model`].
    pub fn read_data(
        &self,
        path: &Path,
        labels: Option<&Path>,
        options: &LoadOptions,
        targets: Targets,
    ) -> Result<(Tensor, Option<Tensor>), DataError> {
        load_for_model(path, labels, &self.schema, options, targets)
    }
}
