//! The weights calculation made visible: what each neuron computed for one sample, and how the
//! optimizer moved one weight, as data (the library never prints; `wxb explain` and
//! `wxb train --trace` show it).
//!
//! # A sample's calculation: [`explain`]
//!
//! Each Dense neuron `j` takes the values `x: [in]` its layer receives, its weights
//! `w = W[:, j]` (a column of the kernel `W: [in, units]`) and its bias `bⱼ`:
//! `zⱼ = x·w + bⱼ = Σᵢ xᵢ·wᵢ + bⱼ`, then `aⱼ = f(zⱼ)`. [`explain`] recomputes every layer for one
//! sample in `f64`, term by term, without the GEMM, and compares its output with
//! [`crate::Sequential::predict`]'s. Each layer computes its own part and says what it did
//! ([`crate::layers::Layer::forward_f64`], [`crate::layers::Layer::trace`]); this module chooses
//! the neurons shown and reads the output. [`Explainer`] runs the sample's pass once and explains
//! it as many ways as asked.
//!
//! The neurons that **matter most** (the default choice, [`NeuronChoice::MatterMost`]):
//! in the output layer, the predicted class's neuron (or every output for values); in the layer
//! below a Dense layer, the `per_layer` neurons whose terms `|xᵢ·wᵢ|` weigh most in the chosen
//! neurons' dot products, and so on down to the first layer. Layers that act on each value
//! (normalizations, Activation, Dropout) show the same values as the Dense neurons they follow.
//!
//! The raw dot product `x·w` is not a similarity in [0, 1]: it is any real number, growing with
//! `|x|` and `|w|`. Only the cosine `x·w / (|x|·|w|)` ([`Similarity`]) is bounded, in [−1, 1],
//! and the dot product equals it only when both vectors have length 1.
//!
//! ## JSON (serde) schema of an [`Explanation`]
//!
//! ```text
//! { "inputs": 784,
//!   "layers": [ { "index": 0, "name": "dense", "class_name": "Dense",
//!                 "step": { "kind": "dense", "inputs": 784, "units": 128, "activation": "relu",
//!                           "neurons": [ { "neuron": 17, "name": "dense[17]", "class": null,
//!                                          "terms": [ {"input": 350, "name": "pixel[12,14]",
//!                                                      "x": 0.98, "w": 0.11, "product": 0.108}, … ],
//!                                          "others": {"count": 774, "sum": 0.42},
//!                                          "dot": 1.9, "bias": 0.03, "z": 1.93,
//!                                          "activation": "relu", "output": 1.93,
//!                                          "similarity": {"x_norm": 9.1, "w_norm": 1.2, "cosine": 0.17} } ] } },
//!               { …, "step": { "kind": "normalization", "statistics": "moving" | "sample", "epsilon": 0.001,
//!                              "features": [ {"index", "name", "x", "mean", "variance", "normalized",
//!                                             "gamma", "beta", "output"} ] } },
//!               { …, "step": { "kind": "activation", "activation": "softmax", "values": [ {"index", "name", "x", "output"} ] } },
//!               { …, "step": { "kind": "dropout", "rate": 0.2, "values": [ … ] } },
//!               { …, "step": { "kind": "flatten", "input_shape": [28, 28], "output_shape": [784] } } ],
//!   "output": { "values": [ … ], "engine": [ … ], "max_abs_difference": 3e-8,
//!               "prediction": { "kind": "class", "index": 7, "name": "7", "probability": 0.998 }
//!                           | { "kind": "values", "values": [ … ] } } }
//! ```
//!
//! # A weight's training: [`WeightTracer`]
//!
//! A [`crate::train::Callback`] that records, for one scalar weight ([`WeightRef`]), every step's
//! gradient, learning rate, optimizer slots before and after, and the rule's formula with all its
//! intermediate values ([`RuleTrace`]), replayed bit for bit by the rule's own code.

mod forward;
mod layer;
mod rule_trace;
mod sample;
mod select;
mod weight_ref;
mod weight_trace;

// The trace of each kind of layer is the layer's own (`crate::layers`); re-exported here, where
// explanations are read.
pub use crate::layers::{
    ConvTrace, FeatureTrace, LayerStep, NeuronTrace, OtherTerms, PoolInput, PoolOp, PoolTrace, Similarity, Statistics,
    Term, ValueTrace, dense_products,
};
pub use layer::LayerTrace;
pub use rule_trace::{Equation, Moved, RuleTrace, num, p, replay};
pub use sample::{
    ExplainOptions, Explainer, Explanation, LayerChoice, NeuronChoice, OutputTrace, Prediction, Reading, explain,
};
pub use weight_ref::{WeightRef, WeightRefError};
pub use weight_trace::{WeightStep, WeightTracer};
