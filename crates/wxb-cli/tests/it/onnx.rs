//! ONNX files through the CLI: `summary`, `predict` and `explain` on a model exported by
//! `torch.onnx.export` (the fixture `crates/wxb/tests/fixtures/onnx/mlp.onnx`, made by its
//! `make.py`), and `wxb export --out model.onnx` of a trained model read back by `wxb predict`.

use crate::common;

use std::path::{Path, PathBuf};

use common::{TempDir, ok, run};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wxb/tests/fixtures/onnx").join(name)
}

/// The fixture's inputs as a CSV of columns `x0…x7` and onnxruntime's outputs, from `mlp.json`.
fn mlp_data(dir: &Path) -> (PathBuf, Vec<Vec<f64>>) {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture("mlp.json")).unwrap()).unwrap();
    let x: Vec<f64> = serde_json::from_value(v["input"].clone()).unwrap();
    let y: Vec<f64> = serde_json::from_value(v["output"].clone()).unwrap();
    let mut csv = (0..8).map(|i| format!("x{i}")).collect::<Vec<_>>().join(",") + "\n";
    for row in x.chunks(8) {
        csv += &(row.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",") + "\n");
    }
    let path = dir.join("x.csv");
    std::fs::write(&path, csv).unwrap();
    (path, y.chunks(3).map(<[f64]>::to_vec).collect())
}

#[test]
fn summary_predict_and_explain_read_a_torch_onnx_file_with_its_node_names() {
    let d = TempDir::new().unwrap();
    let p = d.path();
    let model = fixture("mlp.onnx");
    let model = model.to_str().unwrap();
    let summary = ok(p, &["summary", "--model", model]).stdout;
    assert!(summary.contains("/fc1/Gemm") && summary.contains("/bn/BatchNormalization"), "{summary}");
    let (data, want) = mlp_data(p);
    let data = data.to_str().unwrap();
    ok(p, &["predict", "--model", model, "--data", data, "--out", "pred.csv"]);
    let pred = std::fs::read_to_string(p.join("pred.csv")).unwrap();
    let rows: Vec<Vec<String>> = pred.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.len(), want.len(), "{pred}");
    for (row, want) in rows.iter().zip(&want) {
        let got: Vec<f64> = row[row.len() - 3..].iter().map(|v| v.parse().unwrap()).collect();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "wxb predict {got:?}, onnxruntime {want:?}");
        }
    }
    let explained = ok(p, &["explain", "--model", model, "--data", data, "--row", "1"]).stdout;
    assert!(explained.contains("/fc3/Gemm") && explained.contains("/out/Softmax"), "{explained}");
}

#[test]
fn an_exported_model_predicts_as_the_folder_it_came_from() {
    let d = TempDir::new().unwrap();
    let p = d.path();
    let mut csv = String::from("a,b,c,kind\n");
    for i in 0..60 {
        let (a, b) = ((i * 37 % 23) as f32 / 4.0, (i * 11 % 17) as f32 - 8.0);
        let kind = if a + b > 2.0 { "up" } else { "down" };
        csv += &format!("{a},{b},{},{kind}\n", (i % 5) as f32 * 10.0);
    }
    std::fs::write(p.join("t.csv"), csv).unwrap();
    ok(p, &["train", "--data", "t.csv", "--layers", "8", "--epochs", "3", "--verbose", "0", "--out", "m"]);
    ok(p, &["export", "--model", "m", "--out", "m.onnx"]);
    ok(p, &["predict", "--model", "m", "--data", "t.csv", "--out", "folder.csv"]);
    ok(p, &["predict", "--model", "m.onnx", "--data", "t.csv", "--out", "onnx.csv"]);
    let (folder, onnx) =
        (std::fs::read_to_string(p.join("folder.csv")).unwrap(), std::fs::read_to_string(p.join("onnx.csv")).unwrap());
    assert_eq!(folder, onnx);
}

#[test]
fn an_onnx_graph_that_is_not_a_chain_is_refused_in_one_line_with_status_2() {
    let d = TempDir::new().unwrap();
    let model = fixture("bad_residual.onnx");
    let r = run(d.path(), &["summary", "--model", model.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("bad_residual.onnx") && r.stderr.contains("node \"/Add\" (Add)"), "{}", r.stderr);
}

#[test]
fn a_table_with_text_categories_and_missing_cells_exports_with_its_lookups() {
    let d = TempDir::new().unwrap();
    let p = d.path();
    let mut csv = String::from("a,shade,rooms,kind\n");
    for i in 0..60 {
        let a = if i % 7 == 3 { String::new() } else { format!("{}", (i * 37 % 23) as f32 / 4.0) };
        let shade = ["red", "blue", "", "green"][i % 4];
        let rooms = if i % 9 == 4 { String::new() } else { (1 + i % 3).to_string() };
        let kind = if (i * 37 % 23) as f32 / 4.0 + (i % 3) as f32 > 3.0 { "up" } else { "down" };
        csv += &format!("{a},{shade},{rooms},{kind}\n");
    }
    std::fs::write(p.join("t.csv"), csv).unwrap();
    let train = ["train", "--data", "t.csv", "--layers", "8", "--epochs", "2", "--verbose", "0", "--out", "m"];
    ok(p, &[&train[..], &["--categorical", "rooms", "--missing-indicator"]].concat());
    ok(p, &["export", "--model", "m", "--out", "m.onnx"]);
    std::fs::write(p.join("new.csv"), "a,shade,rooms\n1.5,red,2\n,purple,9\n3,,\n0.25,green,1\n").unwrap();
    ok(p, &["predict", "--model", "m", "--data", "new.csv", "--out", "folder.csv"]);
    ok(p, &["predict", "--model", "m.onnx", "--data", "new.csv", "--out", "onnx.csv"]);
    let (folder, onnx) =
        (std::fs::read_to_string(p.join("folder.csv")).unwrap(), std::fs::read_to_string(p.join("onnx.csv")).unwrap());
    assert_eq!(folder, onnx);
}
