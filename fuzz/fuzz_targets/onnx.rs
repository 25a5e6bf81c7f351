//! Reading an ONNX file: any bytes give a model or a `ModelIoError` naming the part — never a
//! panic, never an allocation beyond the limits (`io::onnx::MAX_TENSOR_VALUES`, the weight
//! budget). A model that loads must also predict and train on a tiny batch without panicking,
//! and export back to ONNX.
//!
//! Input: the bytes of an `.onnx` file (seeds: the fixtures of `crates/wxb/tests/fixtures/onnx`).
#![no_main]

mod exercise;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match wxb::io::onnx::read_bytes(std::path::Path::new("fuzz.onnx"), data) {
        Ok(mut loaded) => {
            let _ = wxb::io::onnx::encode(&loaded);
            exercise::exercise(&mut loaded.model);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
