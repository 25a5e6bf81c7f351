//! The IDX reader, raw and gzip: any bytes give an array or a one-line `DataError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxb::data::idx;

fuzz_target!(|data: &[u8]| {
    match idx::from_bytes(data, "f.idx") {
        Ok(a) => assert_eq!(a.tensor.len(), a.tensor.shape().iter().product::<usize>()),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
        }
    }
});
