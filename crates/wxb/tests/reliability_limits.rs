//! Resource limits: headers and configurations that claim more memory than their file could hold
//! are refused before anything of that size is allocated. A tracking global allocator (this test
//! binary only) records the largest single allocation each loader asks for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, idx, npy};
use wxb::io::{self, ModelIoError};
use wxb::prelude::*;

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: forwards every call to the system allocator unchanged; only records sizes.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: as for `dealloc`, and `new_size` is valid per the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// The largest single allocation `f` makes on this thread, and its result.
fn largest<T>(f: impl FnOnce() -> T) -> (usize, T) {
    LARGEST.with(|l| l.set(0));
    let out = f();
    (LARGEST.with(Cell::get), out)
}

const MIB: usize = 1 << 20;

#[test]
fn idx_headers_claiming_huge_arrays_allocate_nothing_of_that_size() {
    // u8 array 65535 × 65535 × 65535 (2.8e14 bytes) followed by 4 bytes.
    let mut bytes = vec![0, 0, 0x08, 3];
    for _ in 0..3 {
        bytes.extend(0xFFFFu32.to_be_bytes());
    }
    bytes.extend([1, 2, 3, 4]);
    let (size, r) = largest(|| idx::from_bytes(&bytes, "huge.idx"));
    assert!(matches!(r, Err(DataError::SizeMismatch { expected: 281_462_092_005_375, got: 4, .. })), "{r:?}");
    assert!(size < MIB, "allocated {size} bytes");
    // Dimensions whose product overflows u64.
    let mut bytes = vec![0, 0, 0x0E, 4];
    for _ in 0..4 {
        bytes.extend(u32::MAX.to_be_bytes());
    }
    let (size, r) = largest(|| idx::from_bytes(&bytes, "overflow.idx"));
    assert!(matches!(r, Err(DataError::ShapeOverflow { .. })), "{r:?}");
    assert!(size < MIB);
    // Gzip: a 1 GiB array declared in a stream of a few dozen bytes.
    let mut header = vec![0, 0, 0x08, 2];
    header.extend(32768u32.to_be_bytes());
    header.extend(32768u32.to_be_bytes());
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&header).unwrap();
        e.finish().unwrap()
    };
    let (size, r) = largest(|| idx::from_bytes(&gz, "bomb.idx.gz"));
    assert!(matches!(r, Err(DataError::ImplausibleSize { declared: 1_073_741_824, .. })), "{r:?}");
    assert!(size < MIB);
}

#[test]
fn npy_and_npz_headers_claiming_huge_arrays_allocate_nothing_of_that_size() {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend([0u8; 16]);
    let (size, r) = largest(|| npy::from_bytes(&bytes, "huge.npy"));
    assert!(matches!(r, Err(DataError::SizeMismatch { expected: 40_000_000_000, got: 16, .. })), "{r:?}");
    assert!(size < MIB);
    // An archive whose entry claims 4 GiB − 16 bytes, stored, in a file of a few hundred bytes.
    let mut zip = npz::encode(&[("x", &Tensor::zeros(&[4]))]);
    let central = zip.windows(4).rposition(|w| w == 0x0201_4b50u32.to_le_bytes()).unwrap();
    for field in [20, 24] {
        zip[central + field..central + field + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    }
    let (size, r) = largest(|| npz::from_bytes(&zip, "huge.npz", &NpzOptions::default()));
    assert!(matches!(r, Err(DataError::CorruptZip { .. })), "{r:?}");
    assert!(size < MIB);
    // The same claim against a 1 MiB cap: refused by the cap, before reading.
    let r = npz::from_bytes(&zip, "huge.npz", &NpzOptions { max_entry_bytes: MIB as u64 });
    assert!(matches!(r, Err(DataError::EntryTooLarge { size: 4_294_967_280, limit: 1_048_576, .. })), "{r:?}");
}

fn saved_model_bytes() -> (String, Vec<u8>) {
    let mut m = Sequential::new(&[10]).seed(1);
    m.add(Dense::new(5).activation(Activation::Relu));
    m.add(Dense::new(2));
    let dir = tempfile::tempdir().unwrap();
    io::save(&mut m, dir.path(), &Default::default(), io::OptimizerState::Exclude).unwrap();
    let config = std::fs::read_to_string(dir.path().join(io::CONFIG_FILE)).unwrap();
    (config, std::fs::read(dir.path().join(io::WEIGHTS_FILE)).unwrap())
}

#[test]
fn a_config_claiming_10_to_the_12_units_is_bounded_by_the_weights_file() {
    // Every weight must be in the weights file with its shape: checked from the configuration
    // alone, before anything is built.
    let (config, weights) = saved_model_bytes();
    for (from, to) in [
        ("\"units\": 5,", "\"units\": 1000000000000,"),
        ("\"input_shape\": [\n        10\n      ]", "\"input_shape\": [\n        1000000000000\n      ]"),
    ] {
        let huge = config.replace(from, to);
        assert_ne!(huge, config, "{from}");
        let (size, r) = largest(|| io::load_bytes(huge.as_bytes(), &weights));
        let e = r.unwrap_err();
        assert!(matches!(&e, ModelIoError::TensorShape { name, .. } if name == "layers.0.kernel"), "{e}");
        assert!(e.to_string().contains("1000000000000"), "{e}");
        assert!(size < MIB, "allocated {size} bytes");
    }
    let (size, r) = largest(|| io::load_bytes(config.as_bytes(), &weights));
    r.unwrap();
    assert!(size < MIB);
}
