//! Model format versions: a model saved by format version 1 (committed under
//! `tests/fixtures/models/v1/`, never to be regenerated once released) must keep loading and
//! predicting the same numbers in every later wxb; a version this wxb does not know is refused with
//! a message that says what to do.
//!
//! `cargo test -p wxb --test it reliability_format:: -- --ignored write_v1_fixture` wrote the fixture.

use std::fs;
use std::path::{Path, PathBuf};

use wxb::io::{self, ModelIoError, OptimizerState};
use wxb::prelude::*;
use wxb::train::Shuffle;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/v1")
}

/// The inputs whose predictions `expected.json` records.
fn inputs() -> Tensor {
    Tensor::from_vec(&[3, 2, 3], (0..18).map(|i| (i as f32 - 8.0) / 4.0).collect())
}

/// A copy of the fixture's two files in a fresh folder, removed when the guard drops.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [io::CONFIG_FILE, io::WEIGHTS_FILE] {
        fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

#[test]
#[ignore = "writes the version-1 fixture; run only to create it, never to refresh it"]
fn write_v1_fixture() {
    let mut m = Sequential::new(&[2, 3]).seed(2024).named("v1_fixture");
    m.add(Flatten::new());
    m.add(Dense::new(5).activation(Activation::Relu).kernel_regularizer(Regularizer::L2_DEFAULT));
    m.add(BatchNormalization::new());
    m.add(Dropout::new(0.2));
    m.add(LayerNormalization::new());
    m.add(ActivationLayer::new(Activation::Tanh));
    m.add(Dense::new(3).activation(Activation::Softmax));
    m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    let x = inputs();
    let y = Tensor::from_vec(&[3, 1], vec![0.0, 2.0, 1.0]);
    let options = FitOptions { epochs: 3, batch_size: 2, shuffle: Shuffle::EveryEpoch, ..FitOptions::default() };
    m.fit(&x, &y, &options, &mut []).unwrap();
    let meta = std::collections::BTreeMap::from([("origin".to_string(), serde_json::json!("reliability_format.rs"))]);
    fs::create_dir_all(fixture()).unwrap();
    io::save(&mut m, &fixture(), &meta, OptimizerState::Include).unwrap();
    let p = m.predict(&x, 3).unwrap();
    let expected = serde_json::json!({
        "predictions_bits": p.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        "optimizer_iterations": m.optimizer().unwrap().iterations(),
    });
    fs::write(fixture().join("expected.json"), serde_json::to_string_pretty(&expected).unwrap()).unwrap();
}

#[test]
fn a_version_1_model_keeps_loading_with_the_same_predictions() {
    let expected: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixture().join("expected.json")).unwrap()).unwrap();
    let loaded = io::load(&fixture()).unwrap();
    assert_eq!(loaded.metadata["origin"], "reliability_format.rs");
    let mut m = loaded.model;
    assert_eq!(m.name(), "v1_fixture");
    assert_eq!(m.layers().len(), 7);
    assert_eq!(m.optimizer().unwrap().iterations(), expected["optimizer_iterations"].as_u64().unwrap());
    // The same numbers (to rounding: another CPU may sum the products in another order).
    let got = m.predict(&inputs(), 3).unwrap();
    let want =
        expected["predictions_bits"].as_array().unwrap().iter().map(|v| f32::from_bits(v.as_u64().unwrap() as u32));
    assert_eq!(got.len(), 9);
    for (g, w) in got.data().iter().zip(want) {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1e-3), "{g} vs {w}");
    }
    // It also trains on (its optimizer state is complete).
    let y = Tensor::from_vec(&[3, 1], vec![0.0, 2.0, 1.0]);
    m.fit(&inputs(), &y, &FitOptions { epochs: 1, batch_size: 3, ..FitOptions::default() }, &mut []).unwrap();
}

#[test]
fn unknown_versions_are_refused_with_a_clear_message() {
    let dir = fixture_copy();
    let config = fs::read_to_string(dir.path().join(io::CONFIG_FILE)).unwrap();
    assert!(config.contains("\"format_version\": 1,"), "{config}");
    for (version, hint) in [
        (2, "it was saved by a newer wxb: upgrade wxb to load it"),
        (0, "no wxb ever wrote version 0: the file is damaged"),
    ] {
        let changed = config.replace("\"format_version\": 1,", &format!("\"format_version\": {version},"));
        fs::write(dir.path().join(io::CONFIG_FILE), changed).unwrap();
        let e = io::load(dir.path()).unwrap_err();
        assert!(matches!(e, ModelIoError::Version { found, supported: 1, .. } if found == version), "{e}");
        let text = e.to_string();
        assert!(
            text.ends_with(&format!(
                "model format version {version} is not supported (this wxb reads versions 1 to 1); {hint}"
            )),
            "{text}"
        );
        assert!(text.contains("config.json"), "{text}");
    }
    // Before, a version that is not a number read as "missing format_version".
    let changed = config.replace("\"format_version\": 1,", "\"format_version\": \"x\",");
    fs::write(dir.path().join(io::CONFIG_FILE), changed).unwrap();
    let e = io::load(dir.path()).unwrap_err().to_string();
    assert!(e.ends_with("\"format_version\" is \"x\", expected a whole number (1 for this wxb)"), "{e}");
}

#[test]
fn a_crash_before_the_first_config_json_still_loads_from_the_weights_file() {
    let dir = fixture_copy();
    fs::remove_file(dir.path().join(io::CONFIG_FILE)).unwrap();
    let m = io::load(dir.path()).unwrap().model;
    let original = io::load(&fixture()).unwrap().model;
    assert_eq!(m.predict(&inputs(), 3).unwrap(), original.predict(&inputs(), 3).unwrap());
    fs::remove_file(dir.path().join(io::WEIGHTS_FILE)).unwrap();
    let e = io::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("config.json"), "{e}");
}

#[test]
fn a_huge_layer_in_config_json_is_refused_before_allocating() {
    let dir = fixture_copy();
    let path = dir.path().join(io::CONFIG_FILE);
    let config = fs::read_to_string(&path).unwrap();
    // config.json keeps the weights file's generation stamp, so it is the configuration used.
    let huge = config.replace("\"units\": 5,", "\"units\": 1000000000000,");
    assert_ne!(huge, config);
    fs::write(&path, huge).unwrap();
    let e = io::load(dir.path()).unwrap_err();
    assert!(
        matches!(&e, ModelIoError::TensorShape { name, got, .. } if name == "layers.1.kernel" && got == &[6, 5]),
        "{e}"
    );
    assert!(e.to_string().ends_with("the configuration needs [6, 1000000000000] (F32)"), "{e}");
}

/// A copy of the fixture in a fresh folder whose weights file holds what `edit` makes of each
/// tensor's bytes (`None` drops the tensor); the metadata is kept.
fn fixture_with_weights(edit: impl Fn(&str, &[u8]) -> Option<Vec<u8>>) -> tempfile::TempDir {
    use safetensors::tensor::{SafeTensors, TensorView};
    let dir = fixture_copy();
    let bytes = fs::read(dir.path().join(io::WEIGHTS_FILE)).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let edited: Vec<(String, TensorView, Vec<u8>)> =
        st.tensors().into_iter().filter_map(|(n, v)| edit(&n, v.data()).map(|data| (n, v, data))).collect();
    let views =
        edited.iter().map(|(n, v, data)| (n.clone(), TensorView::new(v.dtype(), v.shape().to_vec(), data).unwrap()));
    fs::write(dir.path().join(io::WEIGHTS_FILE), safetensors::serialize(views, meta.metadata().clone()).unwrap())
        .unwrap();
    dir
}

#[test]
fn optimizer_state_for_only_some_weights_is_refused() {
    // Before this was checked, such a file loaded and the next training step panicked.
    // Only the first weight's slots: nothing says the others are missing but their absence.
    let dir = fixture_with_weights(|n, data| {
        (!n.starts_with("optimizer.") || n.starts_with("optimizer.0.")).then(|| data.to_vec())
    });
    let e = io::load(dir.path()).unwrap_err();
    assert!(matches!(&e, ModelIoError::MissingTensor { name, .. } if name == "optimizer.1.momentum"), "{e}");
}

#[test]
fn non_finite_weights_are_refused_naming_the_tensor() {
    // Before this was checked, NaN weights loaded and `predict` chose a class from NaN probabilities.
    for bad in [f32::NAN, f32::INFINITY] {
        let dir = fixture_with_weights(|n, data| {
            let mut data = data.to_vec();
            if n == "layers.1.kernel" {
                data[8..12].copy_from_slice(&bad.to_le_bytes());
            }
            Some(data)
        });
        let e = io::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("layers.1.kernel") && e.contains("at index 2") && e.contains("damaged"), "{e}");
        assert!(e.contains(io::WEIGHTS_FILE), "{e}");
    }
}

#[test]
fn invalid_optimizer_settings_in_config_json_are_refused() {
    // Before this was checked, a negative learning rate loaded and `--resume` climbed the loss.
    let dir = fixture_copy();
    let path = dir.path().join(io::CONFIG_FILE);
    let config = fs::read_to_string(&path).unwrap();
    for (from, to, says) in [
        ("\"learning_rate\": 0.001", "\"learning_rate\": -0.001", "learning_rate = -0.001 must be a finite positive"),
        ("\"learning_rate\": 0.001", "\"learning_rate\": 0.0", "learning_rate = 0 must be a finite positive"),
        ("\"beta_1\": 0.9", "\"beta_1\": -0.9", "Adam beta_1 = -0.9 must be finite and non-negative"),
        ("\"epsilon\": 1e-7", "\"epsilon\": -1e-7", "Adam epsilon = -0.0000001 must be finite"),
        (
            "\"epsilon\": 1e-7",
            "\"epsilon\": null",
            "config.json:117:25: invalid model configuration: invalid type: null",
        ),
    ] {
        let changed = config.replace(from, to);
        assert_ne!(changed, config, "{from} is in the fixture");
        fs::write(&path, changed).unwrap();
        let e = io::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains(says) && e.contains("config.json"), "{e}");
    }
}
