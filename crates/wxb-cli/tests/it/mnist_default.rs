//! `wxb train` with no data: the bundled MNIST, from any folder, into `wxb-model/`.

use crate::common;

use common::*;

#[test]
fn default_train_uses_the_bundled_mnist_from_any_folder() {
    let d = tempdir();
    let p = d.path();
    // One epoch keeps the test short; everything else is the default run.
    let run = ok(p, &["train", "--epochs", "1"]);
    // Progress and status on stderr, the result on stdout.
    let (lines, out): (Vec<&str>, &str) = (run.stderr.lines().collect(), run.stdout.trim_end());
    assert_eq!(lines[0], "Epoch 1/1");
    assert!(lines[1].starts_with("63/63 - "), "8,000 digits in batches of 128: {}", lines[1]);
    let accuracy: f64 = out
        .strip_prefix("Test accuracy: ")
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(out.ends_with("on 2000 test digits"), "{out}");
    assert!(accuracy > 0.85, "one epoch of the 784-256-128-10 MLP: {accuracy}");
    assert_eq!(lines[2], "Saved the model to wxb-model/ (config.json, model.safetensors, history.csv, training.png)");

    let m = p.join("wxb-model");
    let mut names: Vec<String> =
        std::fs::read_dir(&m).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["config.json", "history.csv", "model.safetensors", "training.png"], "no temporary files left");

    let w = tensors(&m.join("model.safetensors"));
    let shapes: Vec<(&str, &[usize])> =
        w.iter().filter(|(k, _)| k.starts_with("layers.")).map(|(k, (s, _))| (k.as_str(), s.as_slice())).collect();
    assert_eq!(
        shapes,
        [
            // Layer 0 is the Flatten of the (28, 28, 1) images: no weights.
            ("layers.1.bias", &[256][..]),
            ("layers.1.kernel", &[784, 256][..]),
            ("layers.2.bias", &[128][..]),
            ("layers.2.kernel", &[256, 128][..]),
            ("layers.3.bias", &[10][..]),
            ("layers.3.kernel", &[128, 10][..]),
        ]
    );
    assert!(w["layers.1.kernel"].1.iter().all(|v| v.is_finite()));

    let cfg = config(&m);
    assert_eq!(cfg["format"], "wxb-model");
    assert_eq!(cfg["format_version"], 1);
    assert_eq!(cfg["compile"]["optimizer"]["rule"]["class_name"], "Adam");

    let history = std::fs::read_to_string(m.join("history.csv")).unwrap();
    let rows: Vec<&str> = history.lines().collect();
    assert_eq!(rows[0], "epoch,accuracy,loss");
    assert_eq!(rows.len(), 2);
    assert!(rows[1].starts_with("0,"));

    let png = std::fs::read(m.join("training.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 520 && height >= 380, "{width}×{height}");

    // Keras' own text for its classic MNIST MLP on (28, 28, 1) images, trained with Adam
    // (crates/wxb/tests/fixtures/keras/summary.py).
    let summary = ok(p, &["summary", "--model", "wxb-model"]).stdout;
    assert_eq!(summary, include_str!("../../../wxb/tests/fixtures/summary_mnist_flatten_adam.txt"));
    let shape = &config(&m)["metadata"]["preprocessing"]["sample_shape"];
    assert_eq!(shape, &serde_json::json!([28, 28, 1]), "the digits keep their shape");
}
