//! The one read of a pipe: any bytes, handed out a few at a time as a pipe does, go through
//! `Input::from_reader` (the format told from the name, else the first bytes) and `load_input`
//! (CSV text plain or gzip, IDX, NumPy; a `.npz` decompresses only `x` and `y`) — a dataset whose
//! features and targets agree in length, or a one-line `DataError`. The first byte chooses the read
//! size, the task and the name; the rest is the stream (see `pipe.rs`).
#![no_main]

mod pipe;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match pipe::load(data) {
        Some(Ok(d)) => assert_eq!(d.features.rows(), d.targets.rows()),
        Some(Err(e)) => {
            let text = e.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
        }
        None => {}
    }
});
