//! The fuzzers' committed inputs, replayed on every `cargo test`: the seed corpora
//! (`fuzz/seeds/<target>/`) and every input a fuzzer ever crashed on (`fuzz/regressions/<target>/`)
//! go through the same checks as the fuzz targets in `fuzz/fuzz_targets/` — data or a one-line
//! error, never a panic; a model that loads also predicts and trains.
//!
//! `cargo test -p wxb --test it reliability_fuzz_corpus:: -- --ignored write_seeds` rewrites the seeds.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use wxb::data::csv::{self, CsvOptions, FeatureColumns, FeatureReader, NonFinite, TargetColumn, Task};
use wxb::data::npz::{self, NpzOptions};
use wxb::data::{ElemType, idx, npy};
use wxb::io::{self, OptimizerState};
use wxb::prelude::*;

#[path = "../../../../fuzz/fuzz_targets/pipe.rs"]
mod pipe;

fn fuzz_dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz").join(kind).join(target)
}

fn one_line(message: String) {
    assert!(!message.is_empty() && !message.contains('\n'), "{message:?}");
}

/// `fuzz_targets/csv.rs`.
fn csv_case(data: &[u8]) {
    let Some((&choice, text)) = data.split_first() else { return };
    let target = match choice & 3 {
        0 => TargetColumn::Last,
        1 => TargetColumn::Absent,
        2 => TargetColumn::Index(usize::from(choice >> 5)),
        _ => TargetColumn::Name("y".into()),
    };
    let task = match (choice >> 2) & 3 {
        0 => None,
        1 => Some(Task::Classification),
        _ => Some(Task::Regression),
    };
    let mut options = CsvOptions { target, task, ..CsvOptions::default() };
    if choice & 0x10 != 0 {
        options.non_finite = NonFinite::Allow;
    }
    if choice & 0x80 != 0 {
        options.features = FeatureColumns::Names(vec!["a".into(), "b".into()]);
        options.delimiter = Some(b';');
    }
    if let Err(e) = csv::from_reader(text, "f.csv", &options) {
        one_line(e.to_string());
    }
    match FeatureReader::from_reader(Cursor::new(text.to_vec()), "f.csv", &options) {
        Ok(mut r) => loop {
            match r.next_batch(3) {
                Ok(Some(batch)) => assert!(batch.rows() <= 3 && batch.cols() == r.feature_names().len()),
                Ok(None) => break,
                Err(e) => break one_line(e.to_string()),
            }
        },
        Err(e) => one_line(e.to_string()),
    }
}

/// `fuzz_targets/idx.rs`.
fn idx_case(data: &[u8]) {
    if let Err(e) = idx::from_bytes(data, "f.idx") {
        one_line(e.to_string());
    }
}

/// `fuzz_targets/npy_npz.rs`.
fn npy_npz_case(data: &[u8]) {
    if let Err(e) = npy::from_bytes(data, "f.npy") {
        one_line(e.to_string());
    }
    for limit in [1 << 20, npz::MAX_ENTRY_BYTES] {
        if let Err(e) = npz::from_bytes(data, "f.npz", &NpzOptions { max_entry_bytes: limit }) {
            one_line(e.to_string());
        }
    }
    match npz::from_bytes_selected(data, "f.npz", &["x", "y"], &NpzOptions { max_entry_bytes: 1 << 20 }) {
        Ok(z) => assert!(z.names().iter().all(|n| *n == "x" || *n == "y")),
        Err(e) => one_line(e.to_string()),
    }
}

/// `fuzz_targets/input.rs`, reading its input through the same `pipe.rs`.
fn input_case(data: &[u8]) {
    match pipe::load(data) {
        Some(Ok(d)) => assert_eq!(d.features.rows(), d.targets.rows()),
        Some(Err(e)) => one_line(e.to_string()),
        None => {}
    }
}

/// `fuzz_targets/exercise.rs`.
fn exercise(model: &mut Sequential) {
    let _ = model.summary();
    let input: usize = model.input_shape().iter().product();
    let outputs: usize = model.output_shape().iter().product();
    if input > 4096 || outputs > 4096 || model.count_params() > 1 << 16 {
        return;
    }
    let mut shape = vec![2];
    shape.extend_from_slice(model.input_shape());
    let x = Tensor::from_vec(&shape, (0..2 * input).map(|i| (i % 7) as f32 - 3.0).collect());
    assert_eq!(model.predict(&x, 1).unwrap().rows(), 2);
    let Some(loss) = model.compiled().map(|c| c.loss) else { return };
    let targets = if loss.is_sparse() { Tensor::zeros(&[2, 1]) } else { Tensor::zeros(&[2, outputs]) };
    let _ = model.train_on_batch(&x, &targets, None);
    let _ = model.evaluate(&x, &targets, 2);
    let _ = model.fit(&x, &targets, &FitOptions { epochs: 1, batch_size: 1, ..FitOptions::default() }, &mut []);
}

/// `fuzz_targets/model_dir.rs`.
fn model_dir_case(data: &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<4>() else { return };
    let cut = u32::from_le_bytes(*len) as usize % (rest.len() + 1);
    let (config, weights) = rest.split_at(cut);
    match io::load_bytes(config, weights) {
        Ok(mut loaded) => exercise(&mut loaded.model),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `fuzz_targets/spec.rs`.
fn spec_case(data: &[u8]) {
    let Some((&shape, json)) = data.split_first() else { return };
    let input_shape: Vec<usize> = match shape % 4 {
        0 => vec![usize::from(shape >> 2) + 1],
        1 => vec![2, usize::from(shape >> 2) % 5 + 1],
        2 => vec![],
        _ => vec![usize::from(shape >> 2)],
    };
    let Ok(layers) = wxb::layers::parse_spec(json) else { return };
    match Sequential::from_configs(&input_shape, 7, &layers, 1 << 16) {
        Ok(mut model) => {
            model.compile(Optimizer::adam(), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError]);
            exercise(&mut model);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `fuzz_targets/onnx.rs`.
fn onnx_case(data: &[u8]) {
    match io::onnx::read_bytes(std::path::Path::new("fuzz.onnx"), data) {
        Ok(mut loaded) => {
            let _ = io::onnx::encode(&loaded);
            exercise(&mut loaded.model);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

type Case = fn(&[u8]);
const TARGETS: [(&str, Case); 7] = [
    ("csv", csv_case),
    ("input", input_case),
    ("idx", idx_case),
    ("npy_npz", npy_npz_case),
    ("model_dir", model_dir_case),
    ("spec", spec_case),
    ("onnx", onnx_case),
];

#[test]
fn seeds_and_fuzzer_findings_never_panic() {
    let mut replayed = 0;
    for (target, case) in TARGETS {
        for kind in ["seeds", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz_dir(kind, target)) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let result = std::panic::catch_unwind(|| case(&bytes));
                assert!(result.is_ok(), "{} panicked", path.display());
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 20, "only {replayed} committed inputs found");
}

fn trained(mut m: Sequential, loss: Loss, optimizer: Optimizer) -> Sequential {
    m.compile(optimizer, loss, &[Metric::Accuracy]);
    let input: usize = m.input_shape().iter().product();
    let mut shape = vec![4];
    shape.extend_from_slice(m.input_shape());
    let x = Tensor::from_vec(&shape, (0..4 * input).map(|i| (i % 5) as f32 / 5.0).collect());
    let y = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 1.0, 0.0]);
    m.train_on_batch(&x, &y, None).unwrap();
    m
}

fn model_seed(model: &mut Sequential, state: OptimizerState) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    io::save(model, dir.path(), &BTreeMap::new(), state).unwrap();
    let config = std::fs::read(dir.path().join(io::CONFIG_FILE)).unwrap();
    let weights = std::fs::read(dir.path().join(io::WEIGHTS_FILE)).unwrap();
    let mut seed = (config.len() as u32).to_le_bytes().to_vec();
    seed.extend(config);
    seed.extend(weights);
    seed
}

#[test]
#[ignore = "rewrites the committed seed corpora under fuzz/seeds"]
fn write_seeds() {
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = fuzz_dir("seeds", target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for (i, (choice, text)) in [
        (0u8, "a,b,y\n1,2.5,cat\n-3,1e3,dog\n4,5,cat\n"),
        (0x01, "a,b,c\n1,2,3\n4,5,6\n"),
        (0x0A | 0x20, "x,y,z\n1,\"2\",3\n4,5,6\n7,8,9\n"),
        (0x13, "a,b,y\nnan,inf,1\n-inf,1e39,2\n"),
        (0x80, "a;b;y\n1;2;0\n3;4;1\n"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut seed = vec![choice];
        seed.extend(text.as_bytes());
        write("csv", &format!("seed-{i}"), &seed);
    }
    let t = Tensor::from_vec(&[3, 2, 2], (0..12).map(|v| v as f32).collect());
    for (i, ty) in [ElemType::U8, ElemType::I16, ElemType::F32, ElemType::F64].into_iter().enumerate() {
        write("idx", &format!("seed-{i}"), &idx::encode(&t, ty));
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numpy");
    for name in ["fortran.npy", "v3.npy", "be_f8.npy", "dtypes_compressed.npz"] {
        write("npy_npz", name, &std::fs::read(fixtures.join(name)).unwrap());
    }
    write("npy_npz", "f4.npz", &npz::encode(&[("x", &t), ("y", &Tensor::zeros(&[3]))]));
    let unused = npz::encode(&[("x", &t), ("y", &Tensor::zeros(&[3])), ("unused", &Tensor::zeros(&[8]))]);
    write("npy_npz", "unused-entry.npz", &unused);

    // One byte (read size, task, name: /dev/stdin, f.tsv, f.csv.gz, f.npz), then the stream.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"a,b,y\n1,2,x\n3,4,z\n5,6,x\n7,8,z\n").unwrap();
    let streams: [(u8, Vec<u8>); 7] = [
        (0x00, b"a,b,y\n0.515274,1,cat\n2,3,dog\n4,5,cat\n6,7,dog\n".to_vec()),
        (0x01, b"a;b;y\r\n1;2;0\r\n3;4;1\r\n5;6;0\r\n7;8;1\r\n".to_vec()),
        (0x22, b"a\tb\ty\n1\t2\t0.5\n3\t4\t1.5\n".to_vec()),
        (0x43, gz.finish().unwrap()),
        (0x64, unused),
        (0x05, b"a,y\n1,caf\xe9\n2,caf\xe8\n3,tea\n".to_vec()),
        (0x06, b"a,y\n1,0\n2,\"open\n3,1\n4,0\n".to_vec()),
    ];
    for (i, (choice, stream)) in streams.into_iter().enumerate() {
        let mut seed = vec![choice];
        seed.extend(stream);
        write("input", &format!("seed-{i}"), &seed);
    }

    let mut mlp = Sequential::new(&[4]).seed(1);
    mlp.add(Dense::new(3).activation(Activation::Relu));
    mlp.add(Dense::new(2).activation(Activation::Softmax));
    let mut mlp = trained(mlp, Loss::SPARSE_CATEGORICAL_CROSSENTROPY, Optimizer::adam());
    write("model_dir", "mlp-adam", &model_seed(&mut mlp, OptimizerState::Include));
    let mut mixed = Sequential::new(&[2, 3]).seed(2);
    mixed.add(Flatten::new());
    mixed.add(Dense::new(4));
    mixed.add(BatchNormalization::new());
    mixed.add(ActivationLayer::new(Activation::Tanh));
    mixed.add(Dropout::new(0.25));
    mixed.add(LayerNormalization::new());
    mixed.add(Dense::new(1).activation(Activation::Sigmoid));
    let sgd = wxb::optim::Sgd { momentum: 0.9, nesterov: true };
    let mut mixed = trained(mixed, Loss::BINARY_CROSSENTROPY, Optimizer::new(sgd));
    write("model_dir", "mixed-sgd", &model_seed(&mut mixed, OptimizerState::Include));
    write("model_dir", "mixed-no-state", &model_seed(&mut mixed, OptimizerState::Exclude));
    let mut bare = Sequential::new(&[1]);
    bare.add(Dense::new(1));
    write("model_dir", "uncompiled", &model_seed(&mut bare, OptimizerState::Exclude));

    let specs = [
        (
            0x0Cu8,
            r#"[{"class_name": "Dense", "config": {"units": 3, "activation": "relu"}}, {"class_name": "Dropout", "config": {"rate": 0.5}}, {"class_name": "Dense", "config": {"units": 1}}]"#,
        ),
        (
            0x05,
            r#"{"layers": [{"class_name": "Flatten", "config": {}}, {"class_name": "BatchNormalization", "config": {"momentum": 0.9}}, {"class_name": "Dense", "config": {"units": 2, "kernel_initializer": "orthogonal", "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}}]}"#,
        ),
        (
            0x08,
            r#"[{"class_name": "LayerNormalization", "config": {"axis": -1}}, {"class_name": "Activation", "config": {"activation": "softmax"}}]"#,
        ),
        (
            0x02,
            r#"[{"class_name": "Flatten", "config": {}}, {"class_name": "Dense", "config": {"units": 2, "name": "out", "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}}}}]"#,
        ),
    ];
    for (i, (shape, json)) in specs.into_iter().enumerate() {
        let mut seed = vec![shape];
        seed.extend(json.as_bytes());
        write("spec", &format!("seed-{i}"), &seed);
    }
}
