//! What a saved model needs to read new data the way it read its training data: the feature
//! names, the input scaling, the standardization statistics, the task and the class names. Kept in
//! `config.json` under `metadata.preprocessing`.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use wxb::Tensor;
use wxb::losses::Loss;

/// The metadata key.
pub const KEY: &str = "preprocessing";

/// Classification or regression, once decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Predicts one of `class_names`.
    Classification,
    /// Predicts numbers.
    Regression,
}

/// The file format the model was trained from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// CSV with a header.
    Csv,
    /// IDX images or arrays.
    Idx,
    /// NumPy .npy/.npz.
    Npy,
}

/// z-score statistics of the training features: `x' = (x − mean) / std`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardization {
    /// Mean and (population) standard deviation of each column of `x`, in f64.
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
}

/// Everything needed to prepare new inputs and read the outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// The training data's format.
    pub format: InputFormat,
    /// Feature names, in input order (CSV headers, or `pixel[r,c]` for images, `x[i]` otherwise).
    pub feature_names: Vec<String>,
    /// The shape of one image (rows, cols) when the inputs are images.
    #[serde(default)]
    pub image_shape: Option<Vec<usize>>,
    /// Inputs are multiplied by this first (1/255 for byte images).
    pub scale: f32,
    /// Then standardized, if the model was trained with `--standardize`.
    #[serde(default)]
    pub standardize: Option<Standardization>,
    /// Classification or regression.
    pub task: Task,
    /// The target column's name, if it had one.
    #[serde(default)]
    pub target: Option<String>,
    /// The class names; index `i` is class `i`.
    #[serde(default)]
    pub class_names: Option<Vec<String>>,
}

impl Preprocessing {
    /// Applies the scaling and standardization to raw inputs `[n, features]` in place.
    pub fn apply(&self, x: &mut Tensor) {
        let k = x.cols().max(1);
        if self.scale != 1.0 {
            x.data_mut().iter_mut().for_each(|v| *v *= self.scale);
        }
        if let Some(s) = &self.standardize {
            for row in x.data_mut().chunks_exact_mut(k) {
                for ((v, m), sd) in row.iter_mut().zip(&s.mean).zip(&s.std) {
                    *v = (*v - m) / sd;
                }
            }
        }
    }

    /// Reads it from a model's metadata.
    pub fn from_metadata(meta: &std::collections::BTreeMap<String, serde_json::Value>) -> Result<Self> {
        let Some(v) = meta.get(KEY) else {
            bail!("the model has no preprocessing metadata (was it saved by `wxb train`?)");
        };
        serde_json::from_value(v.clone()).context("the model's preprocessing metadata is invalid")
    }

    /// Class indices `[n, 1]` the way the model's loss takes them: as they are for sparse
    /// categorical crossentropy, one-hot `[n, classes]` for any other loss (`--loss
    /// categorical_crossentropy`, `mean_squared_error`, …). Other targets are returned as they are.
    pub fn targets_for(&self, loss: Loss, y: Tensor) -> Tensor {
        if self.task != Task::Classification || loss.is_sparse() || y.cols() != 1 {
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

    /// The number of classes, for classification.
    pub fn classes(&self) -> usize {
        self.class_names.as_ref().map_or(0, Vec::len)
    }
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
        let p = Preprocessing {
            format: InputFormat::Csv,
            feature_names: vec!["a".into(), "b".into()],
            image_shape: None,
            scale: 1.0,
            standardize: Some(s),
            task: Task::Regression,
            target: None,
            class_names: None,
        };
        let mut y = x.clone();
        p.apply(&mut y);
        assert!((y.at(&[0, 0]) + 1.224_745).abs() < 1e-5 && y.at(&[2, 1]) == 0.0);
    }
}
