//! The integration tests of `wxb`, one binary (one link instead of one per file: CI time is
//! mostly compiling). Each module is one former `tests/<name>.rs`; run one with
//! `cargo test -p wxb --test it <name>::`.

#[path = "../fixture_json/mod.rs"]
mod fixture_json;

mod architecture;
mod callbacks;
mod conv_gradients;
mod conv_keras;
mod data;
mod explain;
mod explain_conv;
mod explain_pooling;
mod golden_model;
mod gradients;
mod ideas;
mod initializers;
mod io;
mod keras_interop;
mod layers;
mod layers_keras;
mod losses;
mod metrics;
mod model;
mod onnx_export;
mod onnx_import;
mod optimizers;
mod pool_gradients;
mod pooling_keras;
mod preprocessing;
mod reliability_api;
mod reliability_determinism;
mod reliability_divergence;
mod reliability_format;
mod reliability_fuzz_corpus;
mod reliability_roundtrip;
mod stream;
mod summary;
mod threads;
