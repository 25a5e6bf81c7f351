//! Keras files both ways. The fixtures and Keras' own predictions come from real Keras 3.15
//! (`tests/fixtures/keras/interop.py`, run with the Keras venv): import must match Keras to 1e-5;
//! export → import must give the same model back; damaged or unsupported files must be refused
//! in one message naming the file and the part.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use wxb::Tensor;
use wxb::io::{self, ModelFormat, ModelIoError, OptimizerState};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras/interop").join(name)
}

fn expected(key: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[key].clone()
}

fn matrix(v: &serde_json::Value) -> (usize, Vec<f32>) {
    let rows = v.as_array().unwrap();
    let data = rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32)).collect();
    (rows.len(), data)
}

/// Keras' inputs of fixture `key`, raw, `[n, features]`.
fn inputs(key: &str) -> Tensor {
    let (n, data) = matrix(&expected(key)["inputs"]);
    let width = data.len() / n;
    Tensor::from_vec(&[n, width], data)
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}: element {i}: wxb {g}, Keras {w}");
    }
}

/// The model at `path` predicts Keras' outputs for fixture `key` from the raw inputs (through
/// its schema: a leading Normalization is the input standardization).
fn matches_keras(path: &Path, key: &str) {
    let trained = io::load_trained(path).unwrap();
    let out = trained.predict(&inputs(key), 8).unwrap().outputs;
    let (_, want) = matrix(&expected(key)["predictions"]);
    assert_close(out.data(), &want, 1e-5, &path.display().to_string());
}

#[test]
fn formats_are_detected_by_content() {
    assert_eq!(io::detect_format(&fixture("dense.keras")).unwrap(), ModelFormat::Keras);
    assert_eq!(io::detect_format(&fixture("dense.h5")).unwrap(), ModelFormat::KerasH5);
    let dir = tempfile::tempdir().unwrap();
    // The content decides, not the name.
    let renamed = dir.path().join("model.bin");
    std::fs::copy(fixture("conv.h5"), &renamed).unwrap();
    assert_eq!(io::detect_format(&renamed).unwrap(), ModelFormat::KerasH5);
    assert_eq!(io::detect_format(dir.path()).unwrap(), ModelFormat::Folder);
}

#[test]
fn dense_keras_archive_predicts_as_keras() {
    matches_keras(&fixture("dense.keras"), "dense");
}

#[test]
fn dense_legacy_h5_predicts_as_keras() {
    matches_keras(&fixture("dense.h5"), "dense");
}

#[test]
fn conv_keras_archive_predicts_as_keras() {
    matches_keras(&fixture("conv.keras"), "conv");
}

#[test]
fn conv_legacy_h5_predicts_as_keras() {
    matches_keras(&fixture("conv.h5"), "conv");
}

#[test]
fn functional_chain_predicts_as_keras() {
    matches_keras(&fixture("regression.keras"), "regression");
}

#[test]
fn names_compile_settings_and_optimizer_state_are_read() {
    for file in ["dense.keras", "dense.h5"] {
        let loaded = io::open_model(&fixture(file)).unwrap();
        let names: Vec<&str> = loaded.model.layers().iter().map(|l| l.name()).collect();
        assert_eq!(names, ["hidden", "bn", "drop", "ln", "probs"], "{file}");
        assert_eq!(loaded.model.name(), "dense_net");
        let compiled = loaded.model.compiled().expect("compiled");
        assert_eq!(compiled.loss.name(), "sparse_categorical_crossentropy");
        assert_eq!(compiled.optimizer.config().rule.class_name(), "Adam");
        let steps = expected("dense")["optimizer_iterations"].as_u64().unwrap();
        assert_eq!(compiled.optimizer.iterations(), steps, "{file}: Keras' step count");
        assert_eq!(compiled.optimizer.state().tensors.len(), 2 * 8, "{file}: m and v of 8 trainable variables");
    }
}

#[test]
fn summary_shows_the_files_layer_names() {
    let loaded = io::open_model(&fixture("conv.keras")).unwrap();
    let summary = loaded.model.summary();
    assert!(summary.contains("conv (Conv2D)") && summary.contains("out (Dense)"), "{summary}");
}

fn round_trip(source: &str, out: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded = io::open_model(&fixture(source)).unwrap();
    let path = dir.path().join(out);
    let format = ModelFormat::from_extension(&path).unwrap();
    io::save_as(&mut loaded, &path, format, OptimizerState::Include).unwrap();
    assert_eq!(io::detect_format(&path).unwrap(), format);
    let back = io::open_model(&path).unwrap();
    assert_eq!(back.model.get_weights(), loaded.model.get_weights(), "{source} → {out}: weights");
    let names = |m: &wxb::Sequential| m.layers().iter().map(|l| l.config()).collect::<Vec<_>>();
    assert_eq!(names(&back.model), names(&loaded.model), "{source} → {out}: layers");
    let (a, b) = (back.model.compiled().unwrap(), loaded.model.compiled().unwrap());
    assert_eq!(a.optimizer.config(), b.optimizer.config());
    assert_eq!(a.loss, b.loss);
    if out.ends_with(".keras") {
        assert_eq!(a.optimizer.state(), b.optimizer.state(), "{source} → {out}: optimizer state");
    }
    let before = io::load_trained(&fixture(source)).unwrap();
    let after = io::load_trained(&path).unwrap();
    let key = source.split('.').next().unwrap();
    let x = inputs(key);
    let (a, b) = (after.predict(&x, 8).unwrap().outputs, before.predict(&x, 8).unwrap().outputs);
    assert_close(a.data(), b.data(), 1e-6, &format!("{source} → {out}: predictions"));
}

#[test]
fn export_keras_then_import_gives_the_same_model() {
    round_trip("dense.keras", "dense.keras");
    round_trip("conv.h5", "conv.keras");
    round_trip("regression.keras", "regression.keras");
}

#[test]
fn export_h5_then_import_gives_the_same_model() {
    round_trip("dense.keras", "dense.h5");
    round_trip("conv.keras", "conv.h5");
}

/// The members of a `.keras` archive.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

fn write_archive(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

/// `fixture` with its `config.json` edited by `edit`, opened: the error's text.
fn with_config(fixture_name: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut m = members(&fixture(fixture_name));
    for (name, data) in &mut m {
        if name == "config.json" {
            let mut v: serde_json::Value = serde_json::from_slice(data).unwrap();
            edit(&mut v);
            *data = serde_json::to_vec(&v).unwrap();
        }
    }
    let path = dir.path().join("edited.keras");
    write_archive(&path, &m);
    let e = io::open_model(&path).unwrap_err();
    assert!(matches!(e, ModelIoError::Part { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("edited.keras") && !text.contains('\n'), "{text}");
    text
}

#[test]
fn weights_that_disagree_with_the_config_are_refused() {
    let e = with_config("dense.keras", |v| v["config"]["layers"][2]["config"]["units"] = 9.into());
    assert!(e.contains("model.weights.h5: layers/dense/vars/0") && e.contains("[4, 9]"), "{e}");
}

#[test]
fn an_unsupported_layer_is_refused_by_name() {
    let e = with_config("dense.keras", |v| v["config"]["layers"][3]["class_name"] = "GRU".into());
    assert!(e.contains("layer \"bn\" (GRU)") && e.contains("not supported"), "{e}");
    let e = with_config("dense.keras", |v| v["config"]["layers"][5]["config"]["rms_scaling"] = true.into());
    assert!(e.contains("layer \"ln\"") && e.contains("rms_scaling"), "{e}");
}

#[test]
fn truncated_or_corrupted_files_are_refused_naming_the_part() {
    let dir = tempfile::tempdir().unwrap();
    for source in ["dense.keras", "dense.h5", "conv.keras"] {
        let bytes = std::fs::read(fixture(source)).unwrap();
        for cut in [8, 100, bytes.len() / 2, bytes.len() - 30] {
            let path = dir.path().join(format!("cut-{cut}-{source}"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let e = io::open_model(&path).unwrap_err().to_string();
            assert!(e.contains(&format!("cut-{cut}-{source}")) && !e.contains('\n'), "{e}");
        }
    }
    // A damaged weights member inside a valid archive: the member is named.
    let mut m = members(&fixture("dense.keras"));
    for (name, data) in &mut m {
        if name == "model.weights.h5" {
            data.truncate(600);
        }
    }
    let path = dir.path().join("damaged.keras");
    write_archive(&path, &m);
    let e = io::open_model(&path).unwrap_err().to_string();
    assert!(e.contains("damaged.keras: model.weights.h5"), "{e}");
    // A member missing.
    m.retain(|(n, _)| n != "model.weights.h5");
    write_archive(&path, &m);
    let e = io::open_model(&path).unwrap_err().to_string();
    assert!(e.contains("damaged.keras: model.weights.h5") && e.contains("missing"), "{e}");
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.keras");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"PK\x03\x04").unwrap();
    // Sparse: no disk is used.
    f.set_len(io::MAX_MODEL_FILE_BYTES + 1).unwrap();
    let e = io::open_model(&path).unwrap_err().to_string();
    assert!(e.contains("huge.keras: file size") && e.contains("over the limit"), "{e}");
}

/// Every Keras optimizer's saved state continues training as in Keras: Keras trained each model
/// three steps, saved it, then took one more step on a fixed batch
/// (`tests/fixtures/keras/optimizer_state.py`); wxb imports the saved file (its slots, step count
/// and Nadam's `u_product`) and takes the same step: the weights agree to 1e-5.
#[test]
fn imported_optimizer_state_takes_keras_next_step() {
    let dir = fixture("optimizers");
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (n, x) = matrix(&expected["x"]);
    let x = Tensor::from_vec(&[n, x.len() / n], x);
    let y: Vec<f32> = expected["y"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    let y = Tensor::from_vec(&[n, 1], y);
    let cases = expected["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 12, "every optimizer of the script");
    for (name, case) in cases {
        let mut loaded = io::open_model(&dir.join(format!("{name}.keras"))).unwrap();
        let model = &mut loaded.model;
        assert_eq!(model.optimizer().unwrap().iterations(), 3, "{name}: Keras' three steps");
        model.train_on_batch(&x, &y, None).unwrap();
        assert_eq!(model.optimizer().unwrap().iterations(), case["iterations"].as_u64().unwrap(), "{name}");
        let want = case["weights"].as_array().unwrap();
        let got = model.get_weights();
        assert_eq!(got.len(), want.len(), "{name}: weights");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let w: Vec<f32> = w.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            assert_close(g.data(), &w, 1e-5, &format!("{name}: weight {i} after Keras' next step"));
        }
    }
}

/// Keras' predictions of `structured.keras` on every row of `structured.csv`.
fn structured_predictions() -> Vec<f32> {
    let text = std::fs::read_to_string(fixture("structured.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    matrix(&expected["predictions"]).1
}

/// `wxb predict`'s computation: the raw CSV read through the model's schema, then the model.
fn predict_csv(trained: &io::TrainedModel) -> Vec<f32> {
    let options = wxb::data::LoadOptions::default();
    let csv = fixture("structured.csv");
    let (x, _) = wxb::data::load_for_model(&csv, None, &trained.schema, &options, wxb::data::Targets::Ignored).unwrap();
    trained.predict_prepared(&x, 16).unwrap().outputs.data().to_vec()
}

/// A Keras "structured data" model made in Keras (`tests/fixtures/keras/structured.py`: one named
/// input per column; a StringLookup adapted, its vocabulary in the archive's assets; a
/// Normalization; an IntegerLookup with its vocabulary in the config; a raw number; Concatenate;
/// a chain) is read into wxb's table schema, and predicts Keras' outputs from the raw CSV rows
/// (text, and values Keras never saw, included) to 1e-5.
#[test]
fn structured_data_model_predicts_as_keras_from_raw_columns() {
    let trained = io::load_trained(&fixture("structured.keras")).unwrap();
    assert_eq!(trained.schema.source_columns(), ["island", "bill", "year", "flipper"]);
    let names = &trained.schema.feature_names;
    assert_eq!(names[..4], ["island=[UNK]", "island=Biscoe", "island=Torgersen", "island=Dream"], "{names:?}");
    assert_eq!(trained.model.input_shape(), [4 + 1 + 4 + 1]);
    assert_close(&predict_csv(&trained), &structured_predictions(), 1e-5, "structured.keras vs Keras");
}

/// Exporting the structured model writes the same shape of Functional model (one input per
/// column, the lookups' vocabularies in their configs), which reads back into the same schema
/// and predictions; the legacy `.h5` too.
#[test]
fn structured_data_model_round_trips_through_keras_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded = io::open_model(&fixture("structured.keras")).unwrap();
    for out in ["structured.keras", "structured.h5"] {
        let path = dir.path().join(out);
        let format = ModelFormat::from_extension(&path).unwrap();
        io::save_as(&mut loaded, &path, format, OptimizerState::Include).unwrap();
        let back = io::load_trained(&path).unwrap();
        assert_eq!(
            back.schema.columns,
            io::load_trained(&fixture("structured.keras")).unwrap().schema.columns,
            "{out}"
        );
        assert_close(&predict_csv(&back), &structured_predictions(), 1e-5, out);
    }
    let config: serde_json::Value = serde_json::from_slice(
        &members(&dir.path().join("structured.keras")).into_iter().find(|(n, _)| n == "config.json").unwrap().1,
    )
    .unwrap();
    assert_eq!(config["class_name"], "Functional");
    let inputs = config["config"]["input_layers"].as_object().unwrap();
    assert_eq!(inputs.keys().collect::<Vec<_>>(), ["bill", "flipper", "island", "year"]);
}
