//! ONNX models, both ways: [`read`] turns a graph made by `torch.onnx.export`, `tf2onnx` or
//! Keras' `export(format="onnx")` — a chain of dense, convolution, pooling, normalization and
//! activation nodes — into a [`Sequential`](crate::model::Sequential), node names kept as layer
//! names; [`write()`] turns a wxb model (with its data preprocessing) into an ONNX file any ONNX
//! runtime runs.
//!
//! The protobuf messages are `prost` structs written by hand for the subset of `onnx.proto` wxb
//! uses ([`proto`]); nothing is generated at build time.

mod export;
mod import;
pub mod proto;
mod tensor;

pub use export::{EXPORT_OPSET, PREPROCESSING_KEY, encode, write};
pub use import::{read, read_bytes};
pub use tensor::MAX_TENSOR_VALUES;

/// The largest ONNX file wxb reads (2 GiB, protobuf's own limit): a larger one is refused before
/// it is read.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// The `ai.onnx` opsets [`read`] accepts.
pub const OPSETS: std::ops::RangeInclusive<i64> = 13..=23;
