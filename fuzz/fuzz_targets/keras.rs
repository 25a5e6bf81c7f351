//! Keras' files: any bytes, read as a `.keras` archive and as a legacy `.h5` file, give a model or
//! a one-line `ModelIoError` — never a panic, never an allocation beyond what the file's
//! configuration and weights hold. A model that loads must also predict and train on a tiny
//! batch, and export back to both formats.
//!
//! Input: the file.
#![no_main]

mod exercise;

use libfuzzer_sys::fuzz_target;
use wxb::io::keras;

fuzz_target!(|data: &[u8]| {
    for loaded in [keras::keras_from_bytes(data), keras::h5_from_bytes(data.to_vec())] {
        match loaded {
            Ok(mut loaded) => {
                exercise::exercise(&mut loaded.model);
                for bytes in [keras::to_keras_bytes(&loaded), keras::to_h5_bytes(&loaded)] {
                    if let Err(e) = bytes {
                        assert!(!e.to_string().contains('\n'));
                    }
                }
            }
            Err(e) => assert!(!e.to_string().is_empty() && !e.to_string().contains('\n')),
        }
    }
});
