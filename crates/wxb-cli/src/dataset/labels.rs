//! Labels: deciding the task of array labels, and matching labels to a saved model's classes.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use wxb::Tensor;

use super::AUTO_MAX_CLASSES;
use crate::cli::TaskArg;
use crate::preprocess::{Preprocessing, Task};

/// Classification when asked, or (auto) when every label is a non-negative integer with few
/// distinct values; the classes are then `0..=max`.
pub fn decide_task(y: &Tensor, task: TaskArg, name: &str) -> Result<(Task, Option<Vec<String>>)> {
    let integer = y.cols() == 1 && y.data().iter().all(|&v| v >= 0.0 && v.fract() == 0.0 && v < 1e6);
    let mut distinct: Vec<u32> = if integer { y.data().iter().map(|&v| v as u32).collect() } else { vec![] };
    distinct.sort_unstable();
    distinct.dedup();
    let classify = match task {
        TaskArg::Classification => {
            if !integer {
                let bad = y.data().iter().find(|v| !(**v >= 0.0 && v.fract() == 0.0)).copied().unwrap_or(f32::NAN);
                bail!("{name}: label {bad} is not a class index (classification needs integers 0, 1, 2, …)");
            }
            true
        }
        TaskArg::Regression => false,
        TaskArg::Auto => integer && distinct.len() <= AUTO_MAX_CLASSES && distinct.len() * 2 <= y.rows(),
    };
    if !classify {
        return Ok((Task::Regression, None));
    }
    if distinct.len() < 2 {
        bail!(
            "{name}: only one class ({}) in the labels: classification needs at least two",
            distinct.first().copied().unwrap_or(0)
        );
    }
    let k = *distinct.last().expect("two classes") as usize + 1;
    Ok((Task::Classification, Some((0..k).map(|c| c.to_string()).collect())))
}

/// This file's class indices (sorted by its own labels) → the model's class indices.
pub fn map_classes(labels: &Tensor, classes: &[String], pre: &Preprocessing, path: &Path) -> Result<Tensor> {
    let names = pre.class_names.as_deref().unwrap_or_default();
    let to_model: Vec<usize> = classes
        .iter()
        .map(|c| {
            names.iter().position(|n| n == c).ok_or_else(|| {
                anyhow!("{}: label {c:?} is not one of the model's classes ({})", path.display(), names.join(", "))
            })
        })
        .collect::<Result<_>>()?;
    Ok(labels.map(|i| to_model[i as usize] as f32))
}

pub fn check_labels(y: &Tensor, classes: usize, name: &str) -> Result<()> {
    for (i, &v) in y.data().iter().enumerate() {
        if !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes) {
            bail!("{name}: label {v} at sample {i} is outside the model's {classes} classes (0..{classes})");
        }
    }
    Ok(())
}
