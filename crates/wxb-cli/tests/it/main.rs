//! The integration tests of `wxb-cli`, one binary (one link instead of one per file: CI time is
//! mostly compiling). Each module is one former `tests/<name>.rs`; run one with
//! `cargo test -p wxb-cli --test it <name>::`.

#[path = "../common/mod.rs"]
mod common;

mod binary_and_split;
mod catalogue;
mod cli_manners;
mod crash;
mod docs;
mod errors_data;
mod errors_flags;
mod errors_model;
mod explain;
mod explain_conv_draw;
mod explain_html;
mod images;
mod imported_tables;
mod keras_files;
mod library_predict;
mod limits;
mod memory;
mod mnist_default;
mod model_options;
mod onnx;
mod pictures;
mod reliability;
mod resume;
mod stream;
mod stress;
mod tables;
mod tabular_penguins;
mod train_arrays;
mod train_csv;
mod train_options;
