//! Resource limits: headers and configurations that claim more memory than their file could hold
//! are refused before anything of that size is allocated. A tracking global allocator (this test
//! binary only) records the largest single allocation each loader asks for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use wxb::data::npz::{self, NpzOptions};
use wxb::data::{DataError, idx, npy};
use wxb::io::{self, ModelIoError};
use wxb::model::MemoryPlan;
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

// Work bounded by the input: layer naming in linear time, memory checked against a budget before
// anything is allocated.

fn unnamed_dropouts(n: usize) -> Vec<LayerConfig> {
    vec![LayerConfig::Dropout(wxb::layers::DropoutConfig::new(0.1)); n]
}

#[test]
fn five_thousand_unnamed_layers_are_named_in_well_under_a_second() {
    // Before: cubic naming, 150 s for a 5,000-layer spec.
    let start = Instant::now();
    let m = Sequential::from_configs(&[3], 0, &unnamed_dropouts(5000), wxb::model::MAX_PARAMS).unwrap();
    let mut added = Sequential::new(&[3]);
    for _ in 0..5000 {
        added.add(Dropout::new(0.1));
    }
    assert!(start.elapsed() < Duration::from_millis(500), "{:?}", start.elapsed());
    for model in [&m, &added] {
        let names: Vec<&str> = model.layers().iter().map(|l| l.name()).collect();
        assert_eq!(names[..3], ["dropout", "dropout_1", "dropout_2"]);
        assert_eq!(names[4999], "dropout_4999");
    }
    // Keras' first free name, around names taken by hand, also after a rename through layers_mut.
    let mut m = Sequential::new(&[3]);
    m.add(Dense::new(2).named("dense_1"));
    m.add(Dense::new(2));
    m.add(Dense::new(2));
    m.layers_mut()[1].set_name("dense_3".into());
    m.add(Dense::new(2));
    m.add(Dropout::new(0.5));
    let names: Vec<&str> = m.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names, ["dense_1", "dense_3", "dense_2", "dense", "dropout"]);
}

#[test]
fn a_config_json_of_100_000_layers_loads_in_seconds() {
    // Before: a quadratic name check, minutes (200,000 layers: over 4 minutes; now 0.9 s).
    let mut configs = unnamed_dropouts(100_000);
    configs.push(Dense::new(2).config());
    let mut m = Sequential::from_configs(&[3], 0, &configs, wxb::model::MAX_PARAMS).unwrap();
    let dir = tempfile::tempdir().unwrap();
    io::save(&mut m, dir.path(), &Default::default(), io::OptimizerState::Exclude).unwrap();
    let config = std::fs::read(dir.path().join(io::CONFIG_FILE)).unwrap();
    let weights = std::fs::read(dir.path().join(io::WEIGHTS_FILE)).unwrap();
    let start = Instant::now();
    let loaded = io::load_bytes(&config, &weights).unwrap();
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    assert_eq!(loaded.model.layers().len(), 100_001);
    assert_eq!(loaded.model.layers()[99_999].name(), "dropout_99999");
}

#[test]
fn training_evaluation_and_prediction_beyond_the_memory_budget_are_refused_before_allocating() {
    // 10⁸ units: few enough weights for MAX_PARAMS, but 32 × 10⁸ activations per layer and
    // buffer. Estimated from the configurations, before any weight exists.
    let configs = [Dense::new(100_000_000).config(), Dense::new(2).config()];
    let (size, bytes) =
        largest(|| MemoryPlan::of_configs(&[3], &configs, wxb::model::MAX_PARAMS).unwrap().training_bytes(32, 2));
    assert!(size < MIB);
    let e = MemoryPlan::check(bytes, wxb::model::DEFAULT_MEMORY_BUDGET, "training", 32).unwrap_err();
    assert!(matches!(e, WxbError::OverMemoryBudget { what: "training", batch: 32, budget: 8_589_934_592, .. }), "{e}");
    assert!(e.to_string().contains("more than the memory budget of 8 GiB"), "{e}");
    // Weightless layers: 300 dropouts on 1,000 features keep 300 activations of a batch.
    let mut m = Sequential::new(&[1000]);
    for _ in 0..300 {
        m.add(Dropout::new(0.1));
    }
    m.add(Dense::new(2));
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[]);
    m.set_memory_budget(16 * MIB as u64);
    let (x, y) = (Tensor::zeros(&[64, 1000]), Tensor::zeros(&[64, 1]));
    let over = |r: Result<(), WxbError>, what: &str| match r {
        Err(WxbError::OverMemoryBudget { what: w, batch: 64, bytes, budget: 16_777_216 }) if w == what => bytes,
        r => panic!("{what}: {r:?}"),
    };
    let (size, r) = largest(|| m.fit(&x, &y, &FitOptions { batch_size: 64, ..FitOptions::default() }, &mut []));
    let training = over(r.map(drop), "training");
    assert!(size < MIB, "allocated {size} bytes");
    let (size, r) = largest(|| m.evaluate(&x, &y, 64));
    over(r.map(drop), "evaluation");
    assert!(size < MIB);
    let (size, r) = largest(|| m.predict(&x, 64));
    let prediction = over(r.map(drop), "prediction");
    assert!(size < MIB);
    // Each estimate covers what the pass keeps: 300 activations of 64 × 1,000 f32 and more.
    assert!(prediction >= 300 * 64 * 1000 * 4 && training > 2 * prediction, "{prediction} {training}");
    // Within the budget, it runs.
    m.set_memory_budget(wxb::model::DEFAULT_MEMORY_BUDGET);
    assert_eq!(m.predict(&Tensor::zeros(&[2, 1000]), 64).unwrap().shape(), [2, 2]);
}
