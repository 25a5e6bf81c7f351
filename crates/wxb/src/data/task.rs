//! The task — classification or regression — and the rules that decide it and map labels to
//! class indices.
//!
//! A CSV target column is decided cell by cell (see [`csv`](super::csv)); array labels (IDX, NumPy)
//! by [`decide_array_task`]: classification when every label is a non-negative integer below 10⁶
//! and there are at most [`AUTO_MAX_CLASSES`] distinct values and at most half as many as labels;
//! the classes are then `0..=max`. The class count that implies is refused when it is absurd: more
//! than [`MAX_CLASSES`], or more than both the samples and twice the distinct labels.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{DataError, SchemaError};
use crate::Tensor;

/// When the task is decided from the data, the most distinct values a column of integers (or of
/// mixed numbers and text) may hold to be read as class labels.
pub const AUTO_MAX_CLASSES: usize = 20;

/// When the task is decided from the data, the most distinct values a CSV column of integers may
/// hold to be read as class labels (a rating 0–12 is a number to predict, digits 0–9 are classes).
pub const AUTO_MAX_INTEGER_CLASSES: usize = 10;

/// The most classes integer array labels may imply (`max label + 1`); see [`DataError::TooManyClasses`].
pub const MAX_CLASSES: usize = 65_536;

/// Classification or regression. Where the choice is an `Option<Task>`, `None` decides it from
/// the data: a CSV target column by the rule in [`csv`](super::csv); array labels are classes when
/// every label is a non-negative integer, with at most [`AUTO_MAX_CLASSES`] distinct values and at
/// most half as many as labels (the classes are then `0..=max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Predicts one of the class names: targets are class indices.
    Classification,
    /// Predicts numbers.
    Regression,
}

impl FromStr for Task {
    type Err = String;

    /// `classification` or `regression`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "classification" => Ok(Task::Classification),
            "regression" => Ok(Task::Regression),
            _ => Err(format!("unknown task {s:?} (expected classification or regression)")),
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        })
    }
}

/// How many distinct labels a classification target must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClassCount {
    /// At least two, as training a classifier needs (default): one is [`DataError::SingleClass`].
    #[default]
    AtLeastTwo,
    /// Any number, one included: data to evaluate a trained classifier on (say, one digit's images).
    Any,
}

/// The task of array labels `y: [n, columns]` (`task`, or decided when `None`), and for
/// classification the class names `"0"…"max"`. `path` names the labels in errors.
///
/// # Errors
/// [`DataError::NotAClass`] when classification is asked for and a label is not a non-negative
/// integer; [`DataError::SingleLabel`] when the labels hold fewer than two classes;
/// [`DataError::TooManyClasses`] when the largest label implies more than [`MAX_CLASSES`]
/// classes, or more than both the samples and twice the distinct labels.
pub(super) fn decide_array_task(
    y: &Tensor,
    task: Option<Task>,
    path: &Path,
) -> Result<(Task, Option<Vec<String>>), DataError> {
    let mut labels = ArrayLabels::new(y.cols());
    labels.add(y);
    labels.decide(task, path)
}

/// What [`decide_array_task`]'s rule needs of array labels, gathered chunk by chunk (a streamed
/// file's): whether every label is a class index, the distinct ones (at most [`MAX_CLASSES`]` + 1`
/// kept, the largest always), the rows and the first label that is no class index.
#[derive(Debug, Clone)]
pub(super) struct ArrayLabels {
    rows: usize,
    integer: bool,
    distinct: Vec<u32>,
    max: u32,
    more: bool,
    not_a_class: Option<f32>,
}

impl ArrayLabels {
    /// No labels yet, of `cols` columns (more than one: no class indices).
    pub(super) fn new(cols: usize) -> Self {
        Self { rows: 0, integer: cols == 1, distinct: Vec::new(), max: 0, more: false, not_a_class: None }
    }

    /// Adds labels `[rows, cols]`.
    pub(super) fn add(&mut self, y: &Tensor) {
        self.rows += y.rows();
        if self.not_a_class.is_none() {
            self.not_a_class = y.data().iter().find(|v| !(**v >= 0.0 && v.fract() == 0.0)).copied();
        }
        self.integer &= y.data().iter().all(|&v| v >= 0.0 && v.fract() == 0.0 && v < 1e6);
        if !self.integer {
            self.distinct.clear();
            return;
        }
        self.distinct.extend(y.data().iter().map(|&v| v as u32));
        self.distinct.sort_unstable();
        self.distinct.dedup();
        if let Some(&m) = self.distinct.last() {
            self.max = self.max.max(m);
        }
        if self.distinct.len() > MAX_CLASSES + 1 {
            self.distinct.truncate(MAX_CLASSES + 1);
            self.more = true;
        }
    }

    /// The task and the classes `0..=max` (see [`decide_array_task`]).
    pub(super) fn decide(self, task: Option<Task>, path: &Path) -> Result<(Task, Option<Vec<String>>), DataError> {
        let distinct = self.distinct.len() + usize::from(self.more);
        let classify = match task {
            Some(Task::Classification) => {
                if !self.integer {
                    return Err(DataError::NotAClass {
                        path: path.to_path_buf(),
                        label: self.not_a_class.unwrap_or(f32::NAN),
                    });
                }
                true
            }
            Some(Task::Regression) => false,
            None => self.integer && distinct <= AUTO_MAX_CLASSES && distinct * 2 <= self.rows,
        };
        if !classify {
            return Ok((Task::Regression, None));
        }
        if distinct < 2 {
            let class = self.distinct.first().copied().unwrap_or(0);
            return Err(DataError::SingleLabel { path: path.to_path_buf(), class });
        }
        let max_label = self.max;
        let k = max_label as usize + 1;
        if k > MAX_CLASSES || (k > self.rows && k > 2 * distinct) {
            return Err(DataError::TooManyClasses {
                path: path.to_path_buf(),
                max_label,
                classes: k,
                distinct,
                samples: self.rows,
                limit: MAX_CLASSES,
            });
        }
        Ok((Task::Classification, Some((0..k).map(|c| c.to_string()).collect())))
    }
}

/// A file's class indices `labels: [n, 1]` (indices into its own sorted `classes`) → indices into
/// a model's `model_classes`.
///
/// # Errors
/// [`SchemaError::UnknownClass`] for a class the model does not know.
pub(super) fn map_classes(
    labels: &Tensor,
    classes: &[String],
    model_classes: &[String],
    path: &Path,
) -> Result<Tensor, DataError> {
    let to_model: Vec<usize> = classes
        .iter()
        .map(|c| {
            model_classes.iter().position(|n| n == c).ok_or_else(|| SchemaError::UnknownClass {
                path: path.to_path_buf(),
                label: c.clone(),
                classes: model_classes.to_vec(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(labels.map(|i| to_model[i as usize] as f32))
}

/// Checks that every class index in `y` is an integer in `0..classes`.
///
/// # Errors
/// [`SchemaError::NotModelClass`] naming the first label that is not.
pub(super) fn check_class_indices(y: &Tensor, classes: usize, path: &Path) -> Result<(), DataError> {
    match y.data().iter().position(|&v| !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes)) {
        Some(index) => {
            Err(SchemaError::NotModelClass { path: path.to_path_buf(), index, label: y.data()[index], classes }.into())
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_labels_decide_the_task() {
        let p = Path::new("y");
        let y = Tensor::from_vec(&[4, 1], vec![0.0, 2.0, 0.0, 2.0]);
        let (task, names) = decide_array_task(&y, None, p).unwrap();
        assert_eq!((task, names.unwrap().len()), (Task::Classification, 3));
        assert_eq!(decide_array_task(&y, Some(Task::Regression), p).unwrap().0, Task::Regression);
        let one = Tensor::from_vec(&[2, 1], vec![1.0, 1.0]);
        assert_eq!(decide_array_task(&one, Some(Task::Regression), p).unwrap().0, Task::Regression);
        let e = decide_array_task(&one, None, p).unwrap_err();
        assert_eq!(e.to_string(), "y: only one class (1) in the labels: classification needs at least two");
        let frac = Tensor::from_vec(&[2, 1], vec![0.5, 1.0]);
        assert!(matches!(decide_array_task(&frac, Some(Task::Classification), p), Err(DataError::NotAClass { .. })));
        assert_eq!("regression".parse::<Task>().unwrap(), Task::Regression);
        assert!("auto".parse::<Task>().is_err());
    }

    #[test]
    fn labels_map_to_the_models_classes() {
        let p = Path::new("f.csv");
        let model: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let labels = Tensor::from_vec(&[2, 1], vec![0.0, 1.0]);
        let mapped = map_classes(&labels, &["b".into(), "c".into()], &model, p).unwrap();
        assert_eq!(mapped.data(), [1.0, 2.0]);
        assert!(matches!(
            map_classes(&labels, &["z".into()], &model, p),
            Err(DataError::Schema(SchemaError::UnknownClass { .. }))
        ));
        assert!(check_class_indices(&mapped, 3, p).is_ok());
        let e = check_class_indices(&mapped, 2, p).unwrap_err();
        assert_eq!(e.to_string(), "f.csv: label 2 at sample 1 is outside the model's 2 classes (0..2)");
    }
}
