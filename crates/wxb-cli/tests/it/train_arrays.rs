//! `wxb train`, `evaluate`, `predict` end to end on IDX files (raw and gzip), `.npy` with
//! `--labels`, and `.npz` with arrays `x` and `y`.

use crate::common;

use common::*;
use serde_json::json;

/// A `.npy` of little-endian int64, as NumPy writes integer labels.
fn npy_i64(values: &[i64]) -> Vec<u8> {
    let mut header = format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({},), }}", values.len());
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    values.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
    b
}

#[test]
fn idx_images_raw_and_gzip_train_the_same_model() {
    let d = tempdir();
    let p = d.path();
    let (px, labels) = images(60, 1);
    write(p, "img-idx3-ubyte", idx_u8(&[60, 4, 4], &px));
    write(p, "lab-idx1-ubyte", idx_u8(&[60], &labels));
    write(p, "img-idx3-ubyte.gz", gzip(&idx_u8(&[60, 4, 4], &px)));
    write(p, "lab-idx1-ubyte.gz", gzip(&idx_u8(&[60], &labels)));
    let train = ["train", "--lr", "0.01", "--epochs", "15", "--verbose", "0"];
    ok(p, &[&train[..], &["--data", "img-idx3-ubyte", "--labels", "lab-idx1-ubyte", "--out", "raw"]].concat());
    ok(p, &[&train[..], &["--data", "img-idx3-ubyte.gz", "--labels", "lab-idx1-ubyte.gz", "--out", "gz"]].concat());
    let w = |m: &str| tensors(&p.join(m).join("model.safetensors"));
    assert_eq!(w("raw"), w("gz"));
    // The images arrive as (4, 4, 1); the default MLP flattens them first (layer 0).
    assert_eq!(w("raw")["layers.1.kernel"].0, [16, 64], "4×4 images flatten to 16 inputs");
    let pre = &config(&p.join("raw"))["metadata"]["preprocessing"];
    assert_eq!(pre["format"], json!("idx"));
    assert_eq!(pre["image_shape"], json!([4, 4]));
    assert_eq!(pre["sample_shape"], json!([4, 4, 1]));
    assert_eq!(pre["class_names"], json!(["0", "1", "2"]));
    assert_eq!(pre["feature_names"][5], json!("pixel[1,1]"));
    assert!(close(pre["scale"].as_f64().unwrap(), 1.0 / 255.0, 1e-7), "bytes scale to [0, 1]");

    let e = json(
        &ok(p, &["evaluate", "--model", "raw", "--data", "img-idx3-ubyte.gz", "--labels", "lab-idx1-ubyte", "--json"])
            .stdout,
    );
    assert!(e["accuracy"].as_f64().unwrap() >= 0.95, "{e}");
    ok(p, &["predict", "--model", "raw", "--data", "img-idx3-ubyte", "--out", "p.csv"]);
    let (header, rows) = read_csv(&p.join("p.csv"));
    assert_eq!(header, ["prediction", "p_0", "p_1", "p_2"]);
    assert_eq!(rows.len(), 60);
    let right = rows.iter().zip(&labels).filter(|(r, l)| r[0] == l.to_string()).count();
    assert!(close(right as f64 / 60.0, e["accuracy"].as_f64().unwrap(), 1e-9), "predict agrees with evaluate");
}

#[test]
fn npy_with_labels_and_npz_with_x_and_y_train_the_same_model() {
    let d = tempdir();
    let p = d.path();
    let rows = blobs(60, 2);
    let x: Vec<f32> = rows.iter().flat_map(|(x, _)| x.map(|v| v as f32)).collect();
    let classes: Vec<i64> =
        rows.iter().map(|(_, l)| ["red", "green", "blue"].iter().position(|c| c == l).unwrap() as i64).collect();
    write(p, "x.npy", npy(&[60, 3], x.clone()));
    write(p, "y.npy", npy_i64(&classes));
    let y_f32: Vec<f32> = classes.iter().map(|&c| c as f32).collect();
    let npz = wxb::data::npz::encode(&[
        ("x", &wxb::Tensor::from_vec(&[60, 3], x)),
        ("y", &wxb::Tensor::from_vec(&[60], y_f32)),
    ]);
    write(p, "data.npz", npz);
    let train = ["train", "--standardize", "--lr", "0.01", "--epochs", "15", "--verbose", "0"];
    ok(p, &[&train[..], &["--data", "x.npy", "--labels", "y.npy", "--out", "npy"]].concat());
    ok(p, &[&train[..], &["--data", "data.npz", "--out", "npz"]].concat());
    let w = |m: &str| tensors(&p.join(m).join("model.safetensors"));
    assert_eq!(w("npy"), w("npz"), "int64 and float labels, .npy and .npz: the same data");
    let pre = &config(&p.join("npy"))["metadata"]["preprocessing"];
    assert_eq!(pre["format"], json!("npy"));
    assert_eq!(pre["feature_names"], json!(["x[0]", "x[1]", "x[2]"]));
    assert_eq!(pre.get("sample_shape"), None, "rank-2 arrays stay flat");
    assert_eq!(pre["class_names"], json!(["0", "1", "2"]));

    let a = json(&ok(p, &["evaluate", "--model", "npy", "--data", "data.npz", "--json"]).stdout);
    let b = json(&ok(p, &["evaluate", "--model", "npy", "--data", "x.npy", "--labels", "y.npy", "--json"]).stdout);
    assert_eq!(a, b);
    assert!(a["accuracy"].as_f64().unwrap() >= 0.95, "{a}");
    ok(p, &["predict", "--model", "npz", "--data", "x.npy", "--out", "p.csv"]);
    assert_eq!(read_csv(&p.join("p.csv")).1.len(), 60);
}

#[test]
fn npy_with_float_targets_is_regression() {
    let d = tempdir();
    let p = d.path();
    let mut g = Gen::new(3);
    let x: Vec<f32> = (0..80).map(|_| g.signed() as f32).collect();
    let y: Vec<f32> = x.chunks(2).map(|r| 2.0 * r[0] - r[1] + 0.5).collect();
    write(p, "x.npy", npy(&[40, 2], x));
    write(p, "y.npy", npy(&[40], y));
    ok(
        p,
        &[
            "train",
            "--data",
            "x.npy",
            "--labels",
            "y.npy",
            "--layers",
            "",
            "--epochs",
            "2",
            "--verbose",
            "0",
            "--out",
            "m",
        ],
    );
    assert_eq!(config(&p.join("m"))["metadata"]["preprocessing"]["task"], json!("regression"));
    let e = json(&ok(p, &["evaluate", "--model", "m", "--data", "x.npy", "--labels", "y.npy", "--json"]).stdout);
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["loss", "mae", "mse"]);
}
