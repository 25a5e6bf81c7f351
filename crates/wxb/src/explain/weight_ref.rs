//! [`WeightRef`]: one scalar weight of a model, named `LAYER:ROW:COL` (a kernel entry `W[ROW, COL]`)
//! or `LAYER:VARIABLE:INDEX` (an entry of a vector such as `bias`, `gamma` or `beta`); `LAYER` is
//! a layer's index or name.

use std::fmt;

use crate::model::Sequential;

/// A scalar weight of a model, resolved against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightRef {
    /// The layer's index.
    pub layer: usize,
    /// The layer's name.
    pub layer_name: String,
    /// The variable's Keras name (`kernel`, `bias`, `gamma`, `beta`).
    pub variable: &'static str,
    /// The entry's index in the variable (`[row, col]` for a kernel, `[i]` for a vector).
    pub index: Vec<usize>,
    /// The entry's position in the variable's row-major values.
    pub offset: usize,
    /// The variable's position among the model's trainable variables (the optimizer's numbering).
    pub optimizer_variable: usize,
}

impl fmt::Display for WeightRef {
    /// `dense/kernel[3, 1]`, `dense_1/bias[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index: Vec<String> = self.index.iter().map(usize::to_string).collect();
        write!(f, "{}/{}[{}]", self.layer_name, self.variable, index.join(", "))
    }
}

/// Why a weight specification does not name a trainable weight of the model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeightRefError {
    /// Not `LAYER:ROW:COL` or `LAYER:VARIABLE:INDEX`.
    #[error("{spec:?}: expected LAYER:ROW:COL (a kernel entry) or LAYER:bias:COL, LAYER being a layer's index or name")]
    Syntax {
        /// The text given.
        spec: String,
    },
    /// No such layer.
    #[error("{spec:?}: no layer {layer:?}; layers are 0..={last} ({names})")]
    Layer {
        /// The text given.
        spec: String,
        /// The layer asked for.
        layer: String,
        /// The last layer index.
        last: usize,
        /// `index name` of every layer.
        names: String,
    },
    /// The layer has no such trainable variable.
    #[error("{spec:?}: layer {layer} has no trainable {variable:?} (it has: {available})")]
    Variable {
        /// The text given.
        spec: String,
        /// The layer's name.
        layer: String,
        /// The variable asked for.
        variable: String,
        /// The layer's trainable variables and their shapes.
        available: String,
    },
    /// An index outside the variable's shape.
    #[error("{spec:?}: {layer}/{variable} has shape {shape:?}; valid indices are {valid}")]
    Index {
        /// The text given.
        spec: String,
        /// The layer's name.
        layer: String,
        /// The variable.
        variable: String,
        /// Its shape.
        shape: Vec<usize>,
        /// The valid ranges, e.g. `ROW in 0..=3, COL in 0..=7`.
        valid: String,
    },
}

impl WeightRef {
    /// Resolves `spec` against `model`'s trainable variables.
    ///
    /// # Errors
    /// With the valid layers, variables or index ranges when `spec` names none of them.
    pub fn resolve(spec: &str, model: &Sequential) -> Result<Self, WeightRefError> {
        let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
        let [layer, a, b] = parts.as_slice() else { return Err(WeightRefError::Syntax { spec: spec.into() }) };
        let layers = model.layers();
        let li = match layer.parse::<usize>() {
            Ok(i) if i < layers.len() => Some(i),
            Ok(_) => None,
            Err(_) => layers.iter().position(|l| l.name() == *layer),
        };
        let Some(li) = li else {
            let names: Vec<String> = layers.iter().enumerate().map(|(i, l)| format!("{i} {}", l.name())).collect();
            return Err(WeightRefError::Layer {
                spec: spec.into(),
                layer: layer.to_string(),
                last: layers.len().saturating_sub(1),
                names: names.join(", "),
            });
        };
        let l = &layers[li];
        let (variable, index) = match (a.parse::<usize>(), b.parse::<usize>()) {
            (Ok(row), Ok(col)) => ("kernel".to_string(), vec![row, col]),
            (Err(_), Ok(i)) => (a.to_string(), vec![i]),
            _ => return Err(WeightRefError::Syntax { spec: spec.into() }),
        };
        let trainable: Vec<_> = l.params().into_iter().filter(|p| p.trainable).collect();
        let Some(pos) = trainable.iter().position(|p| p.name == variable) else {
            let available: Vec<String> =
                trainable.iter().map(|p| format!("{} {:?}", p.name, p.value.shape())).collect();
            return Err(WeightRefError::Variable {
                spec: spec.into(),
                layer: l.name().into(),
                variable,
                available: if available.is_empty() { "no trainable weights".into() } else { available.join(", ") },
            });
        };
        let p = trainable[pos];
        let shape = p.value.shape().to_vec();
        if index.len() != shape.len() || index.iter().zip(&shape).any(|(i, d)| i >= d) {
            let valid = match shape.as_slice() {
                [rows, cols] => format!("ROW in 0..={} and COL in 0..={}", rows - 1, cols - 1),
                dims => {
                    format!("{} in 0..={}", variable.to_uppercase(), dims.iter().product::<usize>().saturating_sub(1))
                }
            };
            return Err(WeightRefError::Index { spec: spec.into(), layer: l.name().into(), variable, shape, valid });
        }
        let offset = index.iter().zip(&shape).fold(0, |o, (i, d)| o * d + i);
        let before: usize = layers[..li].iter().map(|l| l.params().iter().filter(|p| p.trainable).count()).sum();
        Ok(Self {
            layer: li,
            layer_name: l.name().into(),
            variable: p.name,
            index,
            offset,
            optimizer_variable: before + pos,
        })
    }

    /// The weight's current value in `model`.
    ///
    /// # Panics
    /// If `model` is not the model it was resolved against.
    pub fn value(&self, model: &Sequential) -> f32 {
        self.param(model, |p| p.value.data()[self.offset])
    }

    /// The gradient of the weight left by the last step (after the regularizer's term and clipping).
    pub fn grad(&self, model: &Sequential) -> f32 {
        self.param(model, |p| p.grad.data()[self.offset])
    }

    /// Every value of the weight's variable in `model`.
    pub fn values(&self, model: &Sequential) -> Vec<f32> {
        self.whole(model, |p| p.value.data().to_vec())
    }

    /// Every gradient of the weight's variable left by the last step.
    pub fn grads(&self, model: &Sequential) -> Vec<f32> {
        self.whole(model, |p| p.grad.data().to_vec())
    }

    fn whole(&self, model: &Sequential, f: impl Fn(&crate::layers::Param) -> Vec<f32>) -> Vec<f32> {
        let layer = &model.layers()[self.layer];
        f(layer.params().into_iter().find(|p| p.name == self.variable).expect("resolved against this model"))
    }

    fn param(&self, model: &Sequential, f: impl Fn(&crate::layers::Param) -> f32) -> f32 {
        let layer = &model.layers()[self.layer];
        f(layer.params().into_iter().find(|p| p.name == self.variable).expect("resolved against this model"))
    }
}
