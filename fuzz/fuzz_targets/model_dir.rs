//! Loading a model directory: `config.json` and `model.safetensors`, in any state, give a model or
//! a `ModelIoError` — never a panic, never an allocation beyond the files' size. A model that
//! loads must also predict and train on a tiny batch without panicking.
//!
//! Input: a little-endian `u32` `n`, then `config.json` (its first `n mod len` bytes), then
//! `model.safetensors` (the rest).
#![no_main]

mod exercise;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else { return };
    let cut = u32::from_le_bytes(*len) as usize % (rest.len() + 1);
    let (config, weights) = rest.split_at(cut);
    match wxb::io::load_bytes(config, weights) {
        Ok(mut loaded) => exercise::exercise(&mut loaded.model),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
