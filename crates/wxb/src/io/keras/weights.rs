//! Keras' weights in HDF5, onto a built wxb model: the Keras 3 layout of `model.weights.h5`
//! (`layers/<snake_case class>/vars/<i>`, the layer's name in the `vars` group's `name`
//! attribute; the optimizer's under `optimizer/vars/<i>`) and the legacy `.h5` layout
//! (`model_weights/<layer>/…` listed by the group's `weight_names`; `optimizer_weights/`).

use std::collections::BTreeMap;

use super::PartError;
use super::config::Piece;
use super::h5::H5;
use crate::data::table::NormalizationVariables;
use crate::model::Sequential;
use crate::optim::OptimizerState;
use crate::tensor::Tensor;

/// Where the weights are in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Layout {
    /// A `.keras` archive's `model.weights.h5`.
    Keras3,
    /// A legacy `.h5` file.
    Legacy,
}

/// What the weights held besides the layers': a leading `Normalization`'s mean and variance.
pub(super) struct Loaded {
    pub normalization: Option<(Vec<f32>, Vec<f32>)>,
}

/// The dataset paths of each layer's variables, in Keras' order, by layer name.
fn layer_variables(h5: &H5, layout: Layout) -> Result<BTreeMap<String, Vec<String>>, PartError> {
    let mut found = BTreeMap::new();
    match layout {
        Layout::Keras3 => {
            for group in h5.groups("layers")? {
                let vars = format!("layers/{group}/vars");
                if !h5.has_group(&vars) {
                    continue;
                }
                let name = h5.attr_string(&vars, "name")?.unwrap_or(group.clone());
                found.insert(name, numbered(h5, &vars)?);
            }
        }
        Layout::Legacy => {
            let root = if h5.has_group("model_weights") { "model_weights" } else { "" };
            for group in h5.groups(root)? {
                let base = if root.is_empty() { group.clone() } else { format!("{root}/{group}") };
                let names = h5.attr_strings(&base, "weight_names")?;
                found.insert(group, names.iter().map(|n| format!("{base}/{n}")).collect());
            }
        }
    }
    Ok(found)
}

/// The datasets `0, 1, …, n−1` of a Keras 3 `vars` group, in order.
fn numbered(h5: &H5, vars: &str) -> Result<Vec<String>, PartError> {
    let mut names = h5.datasets(vars)?;
    let mut indices = Vec::with_capacity(names.len());
    for n in &names {
        let i: usize = n.parse().map_err(|_| {
            PartError::new(h5.part(&format!("{vars}/{n}")), "unexpected dataset (variables are numbered 0, 1, …)")
        })?;
        indices.push(i);
    }
    indices.sort_unstable();
    if indices.iter().enumerate().any(|(k, &i)| k != i) {
        return Err(PartError::new(
            h5.part(vars),
            format!("variables {indices:?} are not numbered 0 to {}", names.len()),
        ));
    }
    names = indices.iter().map(|i| format!("{vars}/{i}")).collect();
    Ok(names)
}

/// Loads every layer's weights into `model` (built from the same configuration, its layers in the
/// order of the pieces that are layers), each checked against the shape the configuration gives.
pub(super) fn load(h5: &H5, layout: Layout, pieces: &[Piece], model: &mut Sequential) -> Result<Loaded, PartError> {
    let variables = layer_variables(h5, layout)?;
    let mut normalization = None;
    let mut index = 0;
    for piece in pieces {
        let name = piece.name();
        let paths = variables.get(&name).map(Vec::as_slice).unwrap_or_default();
        match piece {
            Piece::Normalization { per_element, .. } => {
                let shape = model.input_shape();
                let channels = if *per_element { shape.to_vec() } else { vec![*shape.last().unwrap_or(&1)] };
                let [mean, variance, ..] = paths else {
                    return Err(PartError::new(
                        h5.part(&format!("layer {name:?}")),
                        "the Normalization layer's mean and variance are missing (not adapted)",
                    ));
                };
                let mean = h5.tensor(mean, &channels, "the Normalization's mean")?;
                let variance = h5.tensor(variance, &channels, "the Normalization's variance")?;
                normalization = Some((mean.data().to_vec(), variance.data().to_vec()));
            }
            Piece::Layer(config) => {
                let layer = &model.layers()[index];
                let needed: Vec<(String, Vec<usize>)> =
                    layer.params().iter().map(|p| (p.name.to_string(), p.value.shape().to_vec())).collect();
                if paths.len() != needed.len() {
                    return Err(PartError::new(
                        h5.part(&format!("layer {name:?}")),
                        format!(
                            "{} weight tensors, but the configuration's {} needs {}",
                            paths.len(),
                            config.class_name(),
                            needed.len()
                        ),
                    ));
                }
                let mut values = Vec::with_capacity(paths.len());
                for (path, (variable, shape)) in paths.iter().zip(&needed) {
                    values.push(h5.tensor(path, shape, &format!("{name}'s {variable}"))?);
                }
                for (p, v) in model.layers_mut()[index].params_mut().into_iter().zip(&values) {
                    p.value.assign(v);
                }
                index += 1;
            }
        }
    }
    Ok(Loaded { normalization })
}

/// The statistics of a table column's `Normalization` layer `name` (mean and variance of shape
/// `(1,)`, and the count when saved).
pub(super) fn column_statistics(h5: &H5, layout: Layout, name: &str) -> Result<NormalizationVariables, PartError> {
    let variables = layer_variables(h5, layout)?;
    let paths = variables.get(name).map(Vec::as_slice).unwrap_or_default();
    let [mean, variance, rest @ ..] = paths else {
        return Err(PartError::new(
            h5.part(&format!("layer {name:?}")),
            "the Normalization layer's mean and variance are missing (not adapted)",
        ));
    };
    let mean = h5.tensor(mean, &[1], "the Normalization's mean")?.data().to_vec();
    let variance = h5.tensor(variance, &[1], "the Normalization's variance")?.data().to_vec();
    let count = match rest.first() {
        Some(c) => u64::try_from(h5.scalar_i64(c)?).unwrap_or(0),
        None => 0,
    };
    Ok(NormalizationVariables { mean, variance, count })
}

/// The optimizer's saved state, in Keras' `optimizer.variables` order: the step count, the
/// learning rate (when constant), then each trainable variable's slots ([`Optimizer::state`]'s
/// order); `None` when the file holds none.
///
/// [`Optimizer::state`]: crate::optim::Optimizer::state
pub(super) fn optimizer_state(
    h5: &H5,
    layout: Layout,
    model: &Sequential,
) -> Result<Option<OptimizerState>, PartError> {
    let Some(optimizer) = model.optimizer() else { return Ok(None) };
    let paths = match layout {
        Layout::Keras3 if h5.has_group("optimizer/vars") => numbered(h5, "optimizer/vars")?,
        Layout::Legacy if h5.has_group("optimizer_weights") => h5
            .attr_strings("optimizer_weights", "weight_names")?
            .iter()
            .map(|n| format!("optimizer_weights/{n}"))
            .collect(),
        _ => return Ok(None),
    };
    if paths.is_empty() {
        return Ok(None);
    }
    let config = optimizer.config();
    let rule = config.rule.math();
    // Built after the slots (Nadam's `u_product`), so last in `optimizer.variables`.
    let scalars = rule.scalars();
    let trainable: Vec<Vec<usize>> =
        model.params().filter(|(_, _, p)| p.trainable).map(|(_, _, p)| p.value.shape().to_vec()).collect();
    let mut slots = Vec::new();
    for group in rule.slot_groups() {
        for (v, shape) in trainable.iter().enumerate() {
            for name in &group {
                slots.push((format!("{v}.{name}"), shape.clone()));
            }
        }
    }
    let constant_lr = usize::from(matches!(config.learning_rate, crate::optim::LearningRate::Constant(_)));
    let expected = 1 + constant_lr + slots.len() + scalars.len();
    if paths.len() != expected {
        return Err(PartError::new(
            h5.part(paths[0].rsplit_once('/').map_or("optimizer", |(g, _)| g)),
            format!(
                "{} optimizer variables, but {} over this model's {} trainable weights has {expected}",
                paths.len(),
                config.rule.class_name(),
                trainable.len()
            ),
        ));
    }
    let iterations = h5.scalar_i64(&paths[0])?;
    let iterations = u64::try_from(iterations)
        .ok()
        .filter(|&n| n <= crate::io::check::MAX_ITERATIONS)
        .ok_or_else(|| PartError::new(h5.part(&paths[0]), format!("step count {iterations} is out of range")))?;
    let first_scalar = 1 + constant_lr + slots.len();
    let mut tensors: Vec<(String, Tensor)> = Vec::with_capacity(slots.len());
    for (path, (key, shape)) in paths[1 + constant_lr..first_scalar].iter().zip(slots) {
        let what = format!("the optimizer slot {key}");
        tensors.push((key, h5.tensor(path, &shape, &what)?));
    }
    let mut values = Vec::with_capacity(scalars.len());
    for (path, (name, _)) in paths[first_scalar..].iter().zip(&scalars) {
        let value = h5.tensor(path, &[], &format!("the optimizer's {name}"))?.data()[0];
        values.push(((*name).to_string(), value));
    }
    Ok(Some(OptimizerState { iterations, tensors, scalars: values }))
}
