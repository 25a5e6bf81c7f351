//! [`Schema`]: what a model needs to read new data the way it read its training data — the
//! feature names, the input scaling, the standardization statistics, the task and the class
//! names. A model folder keeps it in `config.json` under `metadata.preprocessing`
//! ([`Schema::METADATA_KEY`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::{self, ColumnKind, ColumnPrep, Impute, MissingValues, PrepLayer};
use super::task::Task;
use super::{DataError, SchemaError};
use crate::Tensor;
use crate::losses::Loss;

/// The file format a model was trained from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// CSV with a header.
    Csv,
    /// IDX images or arrays.
    Idx,
    /// NumPy `.npy` or `.npz`.
    Npy,
}

/// z-score statistics of the training features: `x' = (x − mean) / std`, per feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardization {
    /// Mean and (population) standard deviation of each column of `x: [n, k]`, summed in f64; a
    /// deviation below 1e-12 (a constant feature) becomes 1.
    pub fn fit(x: &Tensor) -> Self {
        let (n, k) = (x.rows(), x.cols());
        let mut mean = vec![0.0f64; k];
        for row in x.data().chunks_exact(k.max(1)) {
            mean.iter_mut().zip(row).for_each(|(m, &v)| *m += f64::from(v));
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0.0f64; k];
        for row in x.data().chunks_exact(k.max(1)) {
            var.iter_mut().zip(row).zip(&mean).for_each(|((s, &v), m)| *s += (f64::from(v) - m).powi(2));
        }
        let std = var
            .iter()
            .map(|s| {
                let sd = (s / n.max(1) as f64).sqrt();
                if sd > 1e-12 { sd as f32 } else { 1.0 }
            })
            .collect();
        Self { mean: mean.into_iter().map(|m| m as f32).collect(), std }
    }

    /// `x' = (x − mean) / std` for each row of `x: [n, k]`, in place.
    pub fn apply(&self, x: &mut Tensor) {
        let k = x.cols().max(1);
        for row in x.data_mut().chunks_exact_mut(k) {
            for ((v, m), sd) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / sd;
            }
        }
    }
}

/// Everything needed to prepare new inputs for a model and to read its outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The training data's format.
    pub format: InputFormat,
    /// Feature names, in input order (CSV headers, or `pixel[r,c]` for images, `x[i]` otherwise).
    pub feature_names: Vec<String>,
    /// The shape of one image (rows, cols) when the inputs are images: how `explain` draws them.
    #[serde(default)]
    pub image_shape: Option<Vec<usize>>,
    /// The shape of one sample as the model takes it (batch excluded): `[28, 28, 1]` for IDX
    /// images, an array's trailing shape for NumPy arrays of rank 3 or more. `None` — tables, rank-2
    /// arrays, models of earlier wxb versions — is flat, `[features]`; see [`Schema::input_shape`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_shape: Option<Vec<usize>>,
    /// Raw inputs are multiplied by this first (1/255 for byte images).
    pub scale: f32,
    /// Then standardized, if the model was trained so.
    #[serde(default)]
    pub standardize: Option<Standardization>,
    /// Classification or regression.
    pub task: Task,
    /// The target column's name, if it had one.
    #[serde(default)]
    pub target: Option<String>,
    /// The class names; index `i` names class `i`.
    #[serde(default)]
    pub class_names: Option<Vec<String>>,
    /// A table's columns and their preprocessing (imputation, Keras `Normalization` or
    /// `StringLookup`, missing indicator), which make the inputs [`Schema::feature_names`] from
    /// the file's columns; `None` for arrays and for models of earlier wxb versions, whose
    /// features are the file's numeric columns themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<ColumnPrep>>,
    /// The cells a table was read with as missing, used again for new data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_values: Option<MissingValues>,
    /// The model came without input names (a Keras or ONNX file: inputs `x0, x1, …`): a table's
    /// columns are its inputs in order ([`super::bind_positional`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub positional: bool,
}

impl Schema {
    /// The key of a model folder's metadata that holds the schema.
    pub const METADATA_KEY: &'static str = "preprocessing";

    /// The schema of a CSV table with these feature columns, unscaled and not standardized: a
    /// classification into `class_names` when given, else a regression.
    pub fn csv(feature_names: Vec<String>, class_names: Option<Vec<String>>) -> Self {
        let task = if class_names.is_some() { Task::Classification } else { Task::Regression };
        Self {
            format: InputFormat::Csv,
            feature_names,
            image_shape: None,
            sample_shape: None,
            scale: 1.0,
            standardize: None,
            task,
            target: None,
            class_names,
            columns: None,
            missing_values: None,
            positional: false,
        }
    }

    /// The shape of one sample as a model of this data takes it: [`Schema::sample_shape`], else
    /// `[features]`. Its elements are the features, in order (row-major).
    pub fn input_shape(&self) -> Vec<usize> {
        self.sample_shape.clone().unwrap_or_else(|| vec![self.feature_names.len()])
    }

    /// The file columns the model reads: a table's [`Schema::columns`], else the features.
    pub fn source_columns(&self) -> Vec<String> {
        match &self.columns {
            Some(columns) => columns.iter().map(|c| c.name.clone()).collect(),
            None => self.feature_names.clone(),
        }
    }

    /// Whether the model reads a table with a text column (whose raw features cannot be a tensor).
    pub fn has_text_columns(&self) -> bool {
        self.columns.as_ref().is_some_and(|c| c.iter().any(|c| c.kind == ColumnKind::Text))
    }

    /// Prepares raw inputs `x` (as the training file held them: CSV values, IDX bytes as 0…255)
    /// in place: scaling, then the saved standardization; for a table, `x: [n, columns]` holds the
    /// numeric columns' values (NaN where missing) and becomes `[n, features]` by the columns'
    /// preprocessing.
    ///
    /// # Panics
    /// When the table has a text column ([`Schema::has_text_columns`]: read such data with
    /// [`load_for_model`](super::load_for_model)), or `x` has another number of columns.
    pub fn prepare(&self, x: &mut Tensor) {
        if let Some(columns) = &self.columns {
            assert!(!self.has_text_columns(), "a table with text columns cannot be prepared from numbers");
            *x = table::transform(columns, &table::RawTable::from_numbers(x, &self.source_columns()));
            return;
        }
        if self.scale != 1.0 {
            x.data_mut().iter_mut().for_each(|v| *v *= self.scale);
        }
        self.standardize_in_place(x);
    }

    /// Applies only the saved standardization (inputs already scaled), in place.
    pub fn standardize_in_place(&self, x: &mut Tensor) {
        if let Some(s) = &self.standardize {
            s.apply(x);
        }
    }

    /// The number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        self.class_names.as_ref().map_or(0, Vec::len)
    }

    /// The class names, for classification.
    pub fn class_names(&self) -> Option<&[String]> {
        match self.task {
            Task::Classification => self.class_names.as_deref(),
            Task::Regression => None,
        }
    }

    /// Class indices `y: [n, 1]` the way the model's loss takes them: as they are for sparse
    /// categorical crossentropy, and for binary crossentropy on two classes (the 0/1 targets of a
    /// one-unit sigmoid head, the positive class being the second); one-hot `[n, classes]` for any
    /// other loss. Other targets are returned as they are.
    pub fn targets_for(&self, loss: Loss, y: Tensor) -> Tensor {
        if self.task != Task::Classification || loss.is_sparse() || y.cols() != 1 {
            return y;
        }
        if self.classes() == 2 && matches!(loss, Loss::BinaryCrossentropy { .. }) {
            return y;
        }
        let k = self.classes();
        let mut data = vec![0.0; y.rows() * k];
        for (row, &c) in data.chunks_exact_mut(k.max(1)).zip(y.data()) {
            if let Some(v) = row.get_mut(c as usize) {
                *v = 1.0;
            }
        }
        Tensor::from_vec(&[y.rows(), k], data)
    }

    /// Reads the schema from a model folder's metadata (see [`LoadedModel`](crate::io::LoadedModel)).
    ///
    /// # Errors
    /// [`SchemaError::NoSchema`] when the metadata lacks it, [`SchemaError::InvalidSchema`] when it
    /// does not parse.
    pub fn from_metadata(meta: &BTreeMap<String, serde_json::Value>) -> Result<Self, DataError> {
        let v = meta.get(Self::METADATA_KEY).ok_or(SchemaError::NoSchema)?;
        let schema = Self::deserialize(v).map_err(|e| SchemaError::InvalidSchema { message: e.to_string() })?;
        schema.check_consistent().map_err(|message| SchemaError::InvalidSchema { message })?;
        Ok(schema)
    }

    /// What a damaged or hand-edited schema would apply silently: a scale that is not a finite
    /// positive number, standardization statistics of another length than the features or with a
    /// standard deviation that is not a finite positive number (a division by 0), an image shape
    /// that does not hold the features.
    fn check_consistent(&self) -> Result<(), String> {
        let features = self.feature_names.len();
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(format!("scale = {} must be a finite positive number", self.scale));
        }
        if let Some(s) = &self.standardize {
            if s.mean.len() != features || s.std.len() != features {
                return Err(format!(
                    "the standardization has {} means and {} standard deviations for {features} features",
                    s.mean.len(),
                    s.std.len()
                ));
            }
            if let Some(i) = s.std.iter().position(|d| !(d.is_finite() && *d > 0.0)) {
                return Err(format!("the standard deviation of feature {:?} is {}", self.feature_names[i], s.std[i]));
            }
            if let Some(i) = s.mean.iter().position(|m| !m.is_finite()) {
                return Err(format!("the mean of feature {:?} is {}", self.feature_names[i], s.mean[i]));
            }
        }
        if let Some(columns) = &self.columns {
            let width: usize = columns.iter().map(ColumnPrep::width).sum();
            if width != features {
                return Err(format!("the columns' preprocessing makes {width} inputs for {features} feature names"));
            }
            for c in columns {
                if let Some(PrepLayer::Normalization { variables: v, .. }) = &c.layer
                    && !(v.mean.len() == 1 && v.variance.len() == 1 && v.mean[0].is_finite() && v.variance[0] >= 0.0)
                {
                    return Err(format!("the normalization of column {:?} is invalid", c.name));
                }
                let fits = match (c.kind, &c.impute, &c.layer) {
                    (ColumnKind::Numeric, Impute::Mean { value }, None | Some(PrepLayer::Normalization { .. })) => {
                        value.is_finite()
                    }
                    (ColumnKind::Text, Impute::MostFrequent { .. }, Some(PrepLayer::StringLookup { config })) => {
                        config.num_oov_indices == 1
                    }
                    (ColumnKind::Text, Impute::MostFrequent { .. }, Some(PrepLayer::IntegerLookup { config })) => {
                        config.num_oov_indices == 1
                    }
                    _ => false,
                };
                if !fits {
                    return Err(format!("the preprocessing of column {:?} does not fit its kind {}", c.name, c.kind));
                }
            }
        }
        if let Some(shape) = &self.image_shape
            && shape.iter().product::<usize>() != features
        {
            return Err(format!("the image shape {shape:?} does not hold the {features} features"));
        }
        if let Some(shape) = &self.sample_shape
            && (shape.is_empty() || shape.iter().product::<usize>() != features)
        {
            return Err(format!("the sample shape {shape:?} does not hold the {features} features"));
        }
        Ok(())
    }

    /// Checks the schema against a model's input width: one input per feature.
    ///
    /// # Errors
    /// [`SchemaError::InvalidSchema`] when they disagree.
    pub fn check_inputs(&self, inputs: usize) -> Result<(), DataError> {
        let features = self.feature_names.len();
        if features != inputs {
            let message = format!("{features} feature names for a model of {inputs} inputs");
            return Err(SchemaError::InvalidSchema { message }.into());
        }
        Ok(())
    }

    /// Stores the schema in a model folder's metadata, under [`Schema::METADATA_KEY`].
    pub fn insert_into(&self, meta: &mut BTreeMap<String, serde_json::Value>) {
        let value = serde_json::to_value(self).expect("a schema serialises");
        meta.insert(Self::METADATA_KEY.to_string(), value);
    }

    /// Checks the schema against a model's output width: a classifier has one output per class,
    /// or one sigmoid output for two classes (the probability of the second).
    ///
    /// # Errors
    /// [`SchemaError::SchemaMismatch`] when they disagree.
    pub fn check_outputs(&self, outputs: usize) -> Result<(), DataError> {
        match self.class_names() {
            Some(names) if names.len() != outputs && !(names.len() == 2 && outputs == 1) => {
                Err(SchemaError::SchemaMismatch { outputs, classes: names.len() }.into())
            }
            _ => Ok(()),
        }
    }
}

/// The names of an image's pixels, `pixel[r,c]`, row by row.
pub fn pixel_names(rows: usize, cols: usize) -> Vec<String> {
    (0..rows * cols).map(|i| format!("pixel[{},{}]", i / cols, i % cols)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardization_centres_and_scales_and_keeps_constant_columns() {
        let x = Tensor::from_vec(&[3, 2], vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0]);
        let s = Standardization::fit(&x);
        assert_eq!(s.mean, [2.0, 5.0]);
        assert!((s.std[0] - (2.0f32 / 3.0).sqrt()).abs() < 1e-6 && s.std[1] == 1.0);
        let schema = Schema {
            format: InputFormat::Csv,
            feature_names: vec!["a".into(), "b".into()],
            image_shape: None,
            sample_shape: None,
            scale: 1.0,
            standardize: Some(s),
            task: Task::Regression,
            target: None,
            class_names: None,
            columns: None,
            missing_values: None,
            positional: false,
        };
        let mut y = x.clone();
        schema.prepare(&mut y);
        assert!((y.at(&[0, 0]) + 1.224_745).abs() < 1e-5 && y.at(&[2, 1]) == 0.0);
        let mut meta = BTreeMap::new();
        schema.insert_into(&mut meta);
        assert_eq!(Schema::from_metadata(&meta).unwrap(), schema);
        assert!(matches!(Schema::from_metadata(&BTreeMap::new()), Err(DataError::Schema(SchemaError::NoSchema))));
    }

    #[test]
    fn class_indices_become_one_hot_for_dense_losses() {
        let schema = Schema::csv(vec!["a".into()], Some(vec!["x".into(), "y".into(), "z".into()]));
        let y = Tensor::from_vec(&[2, 1], vec![2.0, 0.0]);
        assert_eq!(schema.targets_for(Loss::SPARSE_CATEGORICAL_CROSSENTROPY, y.clone()), y);
        let hot = schema.targets_for(Loss::MeanSquaredError, y);
        assert_eq!(hot.data(), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        assert!(schema.check_outputs(3).is_ok() && schema.check_outputs(2).is_err());
        assert_eq!(pixel_names(2, 2)[3], "pixel[1,1]");
    }

    #[test]
    fn schemas_written_by_earlier_wxb_versions_still_read() {
        // As `wxb train` wrote it before the schema moved into the library (optional keys absent).
        let old = serde_json::json!({
            "format": "npy",
            "feature_names": ["x[0]", "x[1]"],
            "scale": 1.0,
            "task": "classification",
            "class_names": ["0", "1"]
        });
        let meta = BTreeMap::from([(Schema::METADATA_KEY.to_string(), old)]);
        let schema = Schema::from_metadata(&meta).unwrap();
        assert_eq!((schema.format, schema.task, schema.classes()), (InputFormat::Npy, Task::Classification, 2));
        assert!(schema.standardize.is_none() && schema.image_shape.is_none() && schema.target.is_none());
        assert_eq!(schema.input_shape(), [2], "no sample shape: flat, as earlier versions trained");
        let bad = BTreeMap::from([(Schema::METADATA_KEY.to_string(), serde_json::json!({"task": "guess"}))]);
        let e = Schema::from_metadata(&bad).unwrap_err();
        assert!(e.to_string().starts_with("the model's preprocessing metadata is invalid: "), "{e}");
    }
}
