//! The NumPy readers: any bytes give an array (`.npy`), named arrays (`.npz`) or a one-line
//! `DataError`. Every input is tried as both, and as a dataset's archive (only `x` and `y` read).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, npy};

fuzz_target!(|data: &[u8]| {
    check(npy::from_bytes(data, "f.npy").map(|t| assert_eq!(t.len(), t.shape().iter().product::<usize>())));
    // A small entry cap, so that the cap is exercised too.
    check(npz::from_bytes(data, "f.npz", &NpzOptions { max_entry_bytes: 1 << 20 }).map(|_| ()));
    check(npz::from_bytes(data, "f.npz", &NpzOptions::default()).map(|_| ()));
    // Only the arrays a dataset reads: the other entries are listed, never decompressed.
    let selected = npz::from_bytes_selected(data, "f.npz", &["x", "y"], &NpzOptions { max_entry_bytes: 1 << 20 });
    check(selected.map(|z| assert!(z.names().iter().all(|n| *n == "x" || *n == "y"))));
});

fn check(r: Result<(), DataError>) {
    if let Err(e) = r {
        let text = e.to_string();
        assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
    }
}
