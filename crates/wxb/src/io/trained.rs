//! A saved model together with its data [`Schema`]: it prepares raw features the way the model's
//! training data was prepared, and names the predicted classes — the same predictions as
//! `wxb predict`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{CONFIG_FILE, LoadedModel, ModelIoError, load};
use crate::data::{DataError, LoadOptions, Schema, Targets, load_for_model};
use crate::error::WxbError;
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
/// metadata, see [`Schema::insert_into`]).
///
/// # Errors
/// The errors of [`load`], and [`ModelIoError::Schema`] when the schema is missing, invalid, or
/// has another number of classes than the model has outputs.
pub fn load_trained(dir: &Path) -> Result<TrainedModel, ModelIoError> {
    let loaded = load(dir)?;
    TrainedModel::new(loaded).map_err(|e| ModelIoError::Schema { path: dir.join(CONFIG_FILE), source: Box::new(e) })
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
