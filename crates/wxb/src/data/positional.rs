//! A model that names no inputs — a Keras or ONNX file, whose inputs wxb calls `x0, x1, …` — takes
//! a table's columns in order, as `model.predict(df.to_numpy())` would in Python.

use std::path::Path;

use super::csv::{self, CsvOptions, FeatureColumns, Target, TargetColumn};
use super::input::Input;
use super::load::{LoadOptions, Targets};
use super::{DataError, Format, Schema, SchemaError, Task};

/// What [`bind_positional`] chose: the model's inputs, its target and classes, from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The schema, with the file's column names as its features (and target, class names).
    pub schema: Schema,
    /// Whether the class names came from the file's labels (sorted, as training numbers them).
    pub classes_from_labels: bool,
}

/// For a schema that names no inputs ([`Schema::positional`]), the schema of a CSV file whose
/// columns are the model's inputs in order: the target is `options.target` (by default the last
/// column when the file has one column more than the model has inputs, or when `targets` are
/// required), the features `options.features` or every other column. Text class labels become the
/// model's classes in sorted order (how `wxb train` and scikit-learn's `LabelEncoder` number them)
/// when there are at most as many as the model has classes. Any other schema or file: `None`.
///
/// # Errors
/// [`SchemaError::FeatureCount`] when the columns left are not as many as the model's inputs;
/// [`DataError::UnknownColumn`] for a `--target` the header lacks; the readers' errors.
pub fn bind_positional(
    path: &Path,
    schema: &Schema,
    options: &LoadOptions,
    targets: Targets,
) -> Result<Option<Bound>, DataError> {
    if !schema.positional || Input::open(path)?.format() != Format::Csv {
        return Ok(None);
    }
    let names = csv::header(path, options.delimiter)?;
    let inputs = schema.feature_names.len();
    let unknown = |name: &str| DataError::UnknownColumn {
        path: path.to_path_buf(),
        name: name.to_string(),
        available: names.clone(),
    };
    let target = match &options.target {
        TargetColumn::Name(t) => Some(names.iter().position(|n| n == t).ok_or_else(|| unknown(t))?),
        TargetColumn::Index(i) if *i < names.len() => Some(*i),
        TargetColumn::Index(i) => return Err(unknown(&i.to_string())),
        TargetColumn::Absent => None,
        TargetColumn::Last => (targets == Targets::Required || names.len() == inputs + 1).then(|| names.len() - 1),
    };
    let features: Vec<String> = match &options.features {
        FeatureColumns::Names(list) => list.clone(),
        FeatureColumns::Indices(list) => list
            .iter()
            .map(|&i| names.get(i).cloned().ok_or_else(|| unknown(&i.to_string())))
            .collect::<Result<_, _>>()?,
        FeatureColumns::Rest => {
            names.iter().enumerate().filter(|(i, _)| Some(*i) != target).map(|(_, n)| n.clone()).collect()
        }
    };
    if features.len() != inputs {
        return Err(
            SchemaError::FeatureCount { path: path.to_path_buf(), expected: inputs, got: features.len() }.into()
        );
    }
    let mut bound = Schema { feature_names: features, target: target.map(|t| names[t].clone()), ..schema.clone() };
    let mut classes_from_labels = false;
    if let (Some(t), Task::Classification) = (&bound.target, schema.task) {
        let k = schema.class_names.as_ref().map_or(0, Vec::len);
        let o = CsvOptions {
            target: TargetColumn::Name(t.clone()),
            features: FeatureColumns::Names(vec![bound.feature_names[0].clone()]),
            task: Some(Task::Classification),
            class_count: csv::ClassCount::Any,
            non_finite: options.non_finite,
            delimiter: options.delimiter,
        };
        if let Some(Target::Classes { classes, .. }) = csv::read(path, &o)?.target
            && classes.len() <= k
            && !classes.iter().all(|c| c.parse::<usize>().is_ok_and(|i| i < k))
        {
            let mut names = classes;
            let extra: Vec<String> = (names.len()..k).map(|i| format!("class {i}")).collect();
            names.extend(extra);
            bound.class_names = Some(names);
            classes_from_labels = true;
        }
    }
    Ok(Some(Bound { schema: bound, classes_from_labels }))
}
