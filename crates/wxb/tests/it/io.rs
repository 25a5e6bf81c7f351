//! Model directories: round trips, exact resume, and clear errors for damaged files.

use std::collections::BTreeMap;
use std::fs;

use wxb::io::{self, ModelIoError, OptimizerState};
use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::Shuffle;

/// A fresh folder, removed when the returned guard drops (nothing left in the temp folder).
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("wxb-io-{tag}-")).tempdir().unwrap()
}

fn data() -> (Tensor, Tensor) {
    let mut rng = WxbRng::new(4);
    let x: Vec<f32> = (0..64 * 5).map(|_| rng.normal()).collect();
    let y: Vec<f32> = (0..64).map(|i| (i % 3) as f32).collect();
    (Tensor::from_vec(&[64, 5], x), Tensor::from_vec(&[64, 1], y))
}

fn model() -> Sequential {
    let mut m = Sequential::new(&[5]).seed(11);
    m.add(Dense::new(7).activation(Activation::Tanh).kernel_regularizer(Regularizer::L2_DEFAULT));
    m.add(Dense::new(3).activation(Activation::Softmax));
    let sgd = wxb::optim::Sgd { momentum: 0.9, nesterov: false };
    m.compile(Optimizer::new(sgd).with_learning_rate(0.05), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    m
}

/// The model trained `epochs` epochs on the data, and the data.
fn fitted(epochs: usize) -> (Sequential, Tensor, Tensor) {
    let (x, y) = data();
    let mut m = model();
    m.fit(&x, &y, &opts(epochs, 0), &mut []).unwrap();
    (m, x, y)
}

fn opts(epochs: usize, initial_epoch: usize) -> FitOptions {
    FitOptions { epochs, initial_epoch, batch_size: 8, shuffle: Shuffle::EveryEpoch, ..FitOptions::default() }
}

#[test]
fn save_load_predict_is_bit_identical_and_metadata_survives() {
    let dir_guard = temp_dir("roundtrip");
    let dir = dir_guard.path();
    let (mut m, x, _) = fitted(2);
    let mut meta = BTreeMap::new();
    meta.insert("class_names".to_string(), serde_json::json!(["a", "b", "c"]));
    io::save(&mut m, dir, &meta, OptimizerState::Exclude).unwrap();
    let loaded = io::load(dir).unwrap();
    let back = loaded.model;
    assert_eq!(loaded.metadata, meta);
    assert_eq!(back.predict(&x, 32).unwrap(), m.predict(&x, 32).unwrap());
    assert_eq!(back.count_params(), m.count_params());
    // The weights file is a plain safetensors file with Keras-like names.
    let bytes = fs::read(dir.join("model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["layers.0.bias", "layers.0.kernel", "layers.1.bias", "layers.1.kernel"]);
    let config = fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(config.contains("\"class_name\": \"Dense\"") && config.contains("\"format_version\": 1"), "{config}");
}

#[test]
fn resuming_from_a_saved_state_matches_an_uninterrupted_run() {
    let dir_guard = temp_dir("resume");
    let dir = dir_guard.path();
    let (straight, x, y) = fitted(4);
    let (mut first, _, _) = fitted(2);
    io::save(&mut first, dir, &BTreeMap::new(), OptimizerState::Include).unwrap();
    let mut resumed = io::load(dir).unwrap().model;
    assert_eq!(resumed.optimizer().unwrap().iterations(), 16);
    resumed.fit(&x, &y, &opts(4, 2), &mut []).unwrap();
    assert_eq!(resumed.get_weights(), straight.get_weights());
}

#[test]
fn a_stale_config_from_a_crash_between_the_writes_is_ignored() {
    let dir_guard = temp_dir("stale");
    let dir = dir_guard.path();
    let (x, y) = data();
    let mut m = model();
    io::save(&mut m, dir, &BTreeMap::new(), OptimizerState::Exclude).unwrap();
    let old_config = fs::read(dir.join("config.json")).unwrap();
    m.fit(&x, &y, &opts(1, 0), &mut []).unwrap();
    io::save(&mut m, dir, &BTreeMap::new(), OptimizerState::Exclude).unwrap();
    // Simulate a crash after the weights file was replaced but before config.json was.
    fs::write(dir.join("config.json"), old_config).unwrap();
    let back = io::load(dir).unwrap().model;
    assert_eq!(back.predict(&x, 32).unwrap(), m.predict(&x, 32).unwrap());
}

fn save_fresh(tag: &str) -> tempfile::TempDir {
    let dir = temp_dir(tag);
    io::save(&mut model(), dir.path(), &BTreeMap::new(), OptimizerState::Exclude).unwrap();
    dir
}

#[test]
fn damaged_files_give_clear_errors() {
    // Invalid JSON: the message has the file, line and column.
    let guard = save_fresh("badjson");
    let dir = guard.path();
    fs::write(dir.join("config.json"), "{\n  \"format\": \"wxb-model\",\n  oops\n}").unwrap();
    let err = io::load(dir).unwrap_err().to_string();
    assert!(err.contains("config.json:3:3: invalid model configuration"), "{err}");

    // A newer format version is refused with advice.
    let guard = save_fresh("newer");
    let dir = guard.path();
    let text =
        fs::read_to_string(dir.join("config.json")).unwrap().replace("\"format_version\": 1", "\"format_version\": 9");
    fs::write(dir.join("config.json"), text).unwrap();
    let err = io::load(dir).unwrap_err();
    assert!(matches!(err, ModelIoError::Version { found: 9, supported: 1, .. }), "{err}");
    assert!(err.to_string().contains("upgrade wxb"), "{err}");

    // A truncated weights file.
    let guard = save_fresh("truncated");
    let dir = guard.path();
    let w = fs::read(dir.join("model.safetensors")).unwrap();
    fs::write(dir.join("model.safetensors"), &w[..w.len() / 2]).unwrap();
    let err = io::load(dir).unwrap_err();
    assert!(matches!(err, ModelIoError::Weights { .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors: corrupt weights file"), "{err}");

    // A config whose layer sizes disagree with the tensors (the generation stamp still matches).
    let guard = save_fresh("shape");
    let dir = guard.path();
    let text = fs::read_to_string(dir.join("config.json")).unwrap().replace("\"units\": 7", "\"units\": 8");
    fs::write(dir.join("config.json"), text).unwrap();
    let err = io::load(dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: tensor \"layers.0.kernel\" has shape [5, 7] (F32), the configuration needs [5, 8] (F32)",
            dir.join("model.safetensors").display()
        )
    );

    // Missing files name the path.
    let err = io::load(temp_dir("missing").path()).unwrap_err().to_string();
    assert!(err.contains("config.json") && err.contains("No such file"), "{err}");
}

#[test]
fn a_convnet_round_trips_with_keras_kernel_shapes_and_resumes_exactly() {
    let dir_guard = temp_dir("conv");
    let dir = dir_guard.path();
    let mut rng = WxbRng::new(5);
    let x = Tensor::from_vec(&[24, 6, 6, 2], (0..24 * 72).map(|_| rng.normal()).collect());
    let y = Tensor::from_vec(&[24, 1], (0..24).map(|i| (i % 3) as f32).collect());
    let convnet = || {
        let mut m = Sequential::new(&[6, 6, 2]).seed(3);
        m.add(Conv2D::new(4, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
        m.add(Conv2D::new(3, [2, 2]).strides([2, 2]).dilation_rate([1, 1]).activation(Activation::Tanh));
        m.add(Flatten::new());
        m.add(Dense::new(3).activation(Activation::Softmax));
        m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        m
    };
    let (mut straight, mut first) = (convnet(), convnet());
    straight.fit(&x, &y, &opts(4, 0), &mut []).unwrap();
    first.fit(&x, &y, &opts(2, 0), &mut []).unwrap();
    io::save(&mut first, dir, &BTreeMap::new(), OptimizerState::Include).unwrap();
    let mut back = io::load(dir).unwrap().model;
    assert_eq!(back.predict(&x, 8).unwrap(), first.predict(&x, 8).unwrap());
    let shapes: Vec<Vec<usize>> = back.get_weights().iter().map(|w| w.shape().to_vec()).collect();
    assert_eq!(shapes[..4], [vec![3, 3, 2, 4], vec![4], vec![2, 2, 4, 3], vec![3]]);
    let config = fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(config.contains("\"class_name\": \"Conv2D\"") && config.contains("\"padding\": \"same\""), "{config}");
    back.fit(&x, &y, &opts(4, 2), &mut []).unwrap();
    assert_eq!(back.get_weights(), straight.get_weights());
}
