//! Which rows `wxb train` validates on: `--validation-split` with its rule (`--split`, remembered
//! for `--resume`), or `--validation-data FILE`.
//!
//! The library's [`ValidationSplit`] chooses the rows; here they are moved to the end of the data,
//! in file order, so that `fit`'s Keras rule (the last rows are held out) holds out exactly them,
//! and preprocessing statistics adapted on the leading rows see only training rows.

use anyhow::{Context, Result};
use wxb::Tensor;
use wxb::data::{Schema, Targets, Task};
use wxb::train::{SplitRule, ValidationSplit};

use crate::cli::{DataArgs, TrainArgs};
use crate::train_options::SplitArg;

/// The rule a new run splits with: `--split last`, or a draw seeded with `--seed` (stratified).
pub fn rule(args: &TrainArgs) -> SplitRule {
    match args.options.split.unwrap_or(SplitArg::Shuffled) {
        SplitArg::Last => SplitRule::Last,
        SplitArg::Shuffled => SplitRule::Shuffled { seed: args.seed, stratified: true },
    }
}

/// The class id of each row of `y` (`[n, 1]` class indices), for classification.
pub fn class_ids(pre: &Schema, y: &Tensor) -> Option<Vec<usize>> {
    (pre.task == Task::Classification && y.cols() == 1).then(|| y.data().iter().map(|&c| c as usize).collect())
}

/// Moves the validation rows of `fraction` chosen by `rule` to the end of `x` and `y` (both in
/// file order), warns (one line on standard error) when they lack classes the training rows
/// have, and returns the number of training rows. Without a split, nothing moves.
///
/// # Errors
/// A fraction that leaves no training or no validation row.
pub fn hold_out(x: &mut Tensor, y: &mut Tensor, pre: &Schema, fraction: f64, rule: SplitRule) -> Result<usize> {
    let n = x.rows();
    let Some((training, validation)) = choose(n, y, pre, fraction, rule)? else { return Ok(n) };
    if let Some(order) = order(&training, &validation, rule) {
        *x = x.gather_rows(&order);
        *y = y.gather_rows(&order);
    }
    Ok(training.len())
}

/// The training and the validation rows of `n` rows with targets `y` (`None` without a split),
/// chosen by `rule`; warns as [`hold_out`] does.
///
/// # Errors
/// As [`hold_out`].
pub fn choose(
    n: usize,
    y: &Tensor,
    pre: &Schema,
    fraction: f64,
    rule: SplitRule,
) -> Result<Option<(Vec<usize>, Vec<usize>)>> {
    if fraction == 0.0 {
        return Ok(None);
    }
    let ids = class_ids(pre, y);
    let (training, validation) =
        ValidationSplit { fraction, rule }.split(n, ids.as_deref()).context("--validation-split")?;
    if let (Some(ids), Some(names)) = (&ids, pre.class_names()) {
        warn_missing_classes(ids, &training, &validation, names, rule);
    }
    Ok(Some((training, validation)))
}

/// The rows' new order, the training rows then the validation rows (`None` when the rule keeps
/// the file's order: the last rows are the validation rows).
pub fn order(training: &[usize], validation: &[usize], rule: SplitRule) -> Option<Vec<usize>> {
    (rule != SplitRule::Last).then(|| training.iter().chain(validation).copied().collect())
}

/// One warning line naming the classes of the training rows that no validation row has.
fn warn_missing_classes(ids: &[usize], training: &[usize], validation: &[usize], names: &[String], rule: SplitRule) {
    let mut seen = vec![(false, false); names.len()];
    training.iter().for_each(|&i| seen[ids[i]].0 = true);
    validation.iter().for_each(|&i| seen[ids[i]].1 = true);
    let missing: Vec<String> =
        seen.iter().zip(names).filter(|((t, v), _)| *t && !*v).map(|(_, name)| format!("{name:?}")).collect();
    if missing.is_empty() {
        return;
    }
    let how = match rule {
        SplitRule::Last => " (--split last takes the last rows; the default --split shuffled stratifies)",
        _ => " (too few rows of them to hold one out)",
    };
    eprintln!(
        "warning: the validation set ({} rows) has no rows of class{} {} that the training set has, so its \
         figures say nothing about {}{how}",
        validation.len(),
        if missing.len() == 1 { "" } else { "es" },
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
    );
}

/// `--validation-data FILE`: its features and targets read as the model reads data (the training
/// data's columns, target and preprocessing; its classes mapped to the model's).
pub fn validation_data(args: &TrainArgs, pre: &Schema) -> Result<Option<(Tensor, Tensor)>> {
    let Some(path) = &args.options.validation_data else { return Ok(None) };
    let data = DataArgs { data: Some(path.clone()), labels: None, ..args.data.clone() };
    let (x, y) = crate::dataset::load_for_model(&data, pre, Targets::Required)
        .with_context(|| format!("--validation-data {}", path.display()))?;
    Ok(Some((x, y.context("the validation data has no targets")?)))
}
