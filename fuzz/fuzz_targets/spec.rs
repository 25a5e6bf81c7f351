//! `--spec` model JSON: a list of Keras-style layer configurations (or an object with a `layers`
//! list), as `wxb train --spec` reads it, built for samples of a fuzzed input shape. Parsing and
//! building give a model or an error — never a panic, never a huge allocation.
//!
//! Input: one byte choosing the input shape, then the JSON text.
#![no_main]

mod exercise;

use libfuzzer_sys::fuzz_target;
use wxb::prelude::*;

fuzz_target!(|data: &[u8]| {
    let Some((&shape, json)) = data.split_first() else { return };
    let input_shape: Vec<usize> = match shape % 4 {
        0 => vec![usize::from(shape >> 2) + 1],
        1 => vec![2, usize::from(shape >> 2) % 5 + 1],
        2 => vec![],
        _ => vec![usize::from(shape >> 2)],
    };
    let Ok(layers) = wxb::layers::parse_spec(json) else { return };
    // A small weight budget keeps each case fast; the budget check itself is what is tested.
    match Sequential::from_configs(&input_shape, 7, &layers, 1 << 16) {
        Ok(mut model) => {
            model.compile(Optimizer::adam(), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError]);
            exercise::exercise(&mut model);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
