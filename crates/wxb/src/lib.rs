//! # wxb — the weights calculation of deep learning, `Y = X·W + b`, with exact Keras semantics
//!
//! A dense network multiplies its input features `X: [batch, in]` by a kernel `W: [in, units]`
//! (one dot product per neuron), adds a bias `b: [units]`, applies an activation, and an optimizer
//! moves `W` and `b` after each batch. wxb does this with Keras 3's initializers, activations,
//! losses, optimizers, metrics and callbacks, formula for formula, on a fast GEMM.
//!
//! ```
//! use wxb::prelude::*;
//!
//! // y = 3x + 2, learned by one neuron.
//! let x = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 2.0, 3.0]);
//! let y = x.map(|v| 3.0 * v + 2.0);
//! let mut model = Sequential::new(&[1]).seed(0);
//! model.add(Dense::new(1));
//! model.compile(Optimizer::sgd(0.05), Loss::MeanSquaredError, &[]);
//! let history = model.fit(&x, &y, &FitOptions { epochs: 300, batch_size: 4, ..FitOptions::default() }, &mut []).unwrap();
//! assert!(history.last("loss").unwrap() < 1e-3);
//! ```
//!
//! The library never prints: progress reaches the caller through [`train::Callback`]s.
//!
//! `ARCHITECTURE.md` at the repository's root maps the modules: each imports only from those
//! below it (`tests/it/architecture.rs` checks it).

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod activations;
pub mod constraints;
pub mod data;
pub mod error;
pub mod explain;
pub mod init;
pub mod io;
pub mod layers;
pub mod logs;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod optim;
pub(crate) mod parallel;
pub mod regularizers;
pub mod rng;
pub mod tensor;
pub mod train;

pub use error::WxbError;
pub use model::Sequential;
pub use tensor::Tensor;

/// The names most programs need.
pub mod prelude {
    pub use crate::WxbError;
    pub use crate::activations::Activation;
    pub use crate::constraints::Constraint;
    pub use crate::init::Initializer;
    pub use crate::layers::{
        ActivationLayer, AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, DataFormat, Dense,
        Dropout, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
        Layer, LayerConfig, LayerNormalization, MaxPooling1D, MaxPooling2D, Mode, Padding, Permute, Rescaling, Reshape,
        Scratch, SpatialDropout2D, ZeroPadding2D,
    };
    pub use crate::losses::{Loss, Predictions};
    pub use crate::metrics::Metric;
    pub use crate::model::{Sequential, Workspace};
    pub use crate::optim::{Clipping, LearningRate, Optimizer};
    pub use crate::regularizers::Regularizer;
    pub use crate::tensor::Tensor;
    pub use crate::train::{
        Callback, CallbackIssue, EarlyStopping, FinalWeights, FitOptions, History, LearningRateScheduler, Logs,
        MonitorMode, ReduceLROnPlateau, TerminateOnNaN,
    };
}

/// The README's Rust examples compile, and the first (training on the bundled MNIST) runs.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
