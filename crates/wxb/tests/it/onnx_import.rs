//! ONNX import against onnxruntime: the fixtures in `tests/fixtures/onnx/` were exported by
//! `torch.onnx.export` (or built with `onnx.helper`) and run in onnxruntime by
//! `tests/fixtures/onnx/make.py`, which wrote each model's input and onnxruntime's output beside
//! it (`NAME.json`). wxb must give the same outputs to 1e-5, and refuse what it cannot represent
//! in one line naming the file and the node.

use std::path::{Path, PathBuf};

use prost::Message;
use wxb::io::onnx::{self, proto};
use wxb::tensor::Tensor;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(name)
}

/// The input and onnxruntime's output that `make.py` recorded for `name`.
fn reference(name: &str) -> (Tensor, Tensor) {
    let text = std::fs::read_to_string(fixture(&format!("{name}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let tensor = |shape: &str, values: &str| {
        let shape: Vec<usize> = serde_json::from_value(v[shape].clone()).unwrap();
        let values: Vec<f32> = serde_json::from_value(v[values].clone()).unwrap();
        Tensor::from_vec(&shape, values)
    };
    (tensor("input_shape", "input"), tensor("output_shape", "output"))
}

fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    for (i, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{what}: value {i}: wxb {g}, onnxruntime {w}");
    }
}

fn matches_onnxruntime(name: &str) -> wxb::io::LoadedModel {
    let loaded = onnx::read(&fixture(&format!("{name}.onnx"))).unwrap_or_else(|e| panic!("{e}"));
    let (x, y) = reference(name);
    let got = loaded.model.predict(&x, 2).unwrap();
    assert_close(&got, &y, name);
    loaded
}

fn layer_names(loaded: &wxb::io::LoadedModel) -> Vec<String> {
    loaded.model.layers().iter().map(|l| format!("{} ({})", l.name(), l.class_name())).collect()
}

#[test]
fn a_torch_mlp_with_batch_norm_predicts_as_onnxruntime_with_the_node_names() {
    let loaded = matches_onnxruntime("mlp");
    assert_eq!(
        layer_names(&loaded),
        [
            "/fc1/Gemm (Dense)",
            "/act1/Relu (Activation)",
            "/fc2/Gemm (Dense)",
            "/bn/BatchNormalization (BatchNormalization)",
            "/act2/LeakyRelu (Activation)",
            "/fc3/Gemm (Dense)",
            "/out/Softmax (Activation)",
        ]
    );
    assert_eq!(loaded.model.input_shape(), [8]);
    assert_eq!(loaded.metadata["onnx"]["input"], "input");
    assert_eq!(loaded.metadata["onnx"]["opset"], 17);
}

#[test]
fn every_activation_predicts_as_onnxruntime() {
    matches_onnxruntime("activations");
}

#[test]
fn a_torch_convnet_takes_nchw_input_through_a_permute() {
    let loaded = matches_onnxruntime("convnet");
    assert_eq!(loaded.model.input_shape(), [1, 10, 10]);
    let names = layer_names(&loaded);
    assert_eq!(names[0], "/0/Conv/to_channels_last (Permute)");
    assert_eq!(names[1], "/0/Conv (Conv2D)");
    assert!(names.contains(&"/6/Flatten/to_channels_first (Permute)".to_string()), "{names:?}");
}

#[test]
fn same_padding_dilation_batch_norm_and_global_pooling_predict_as_onnxruntime() {
    let loaded = matches_onnxruntime("gapnet");
    let names = layer_names(&loaded);
    assert!(names.contains(&"/3/BatchNormalization (BatchNormalization)".to_string()), "{names:?}");
    // After a global pooling the image is 1×1: flattening needs no permutation.
    assert!(!names.iter().any(|n| n.contains("to_channels_first")), "{names:?}");
}

#[test]
fn a_tf2onnx_shaped_graph_with_transposes_matmul_add_and_auto_pad_predicts_as_onnxruntime() {
    let loaded = matches_onnxruntime("handmade");
    // The Transposes only change the layout: no layer for them.
    assert_eq!(
        layer_names(&loaded),
        [
            "conv (Conv2D)",
            "softsign (Activation)",
            "flatten (Reshape)",
            "dense/MatMul (Dense)",
            "dropout (Dropout)",
            "softmax (Activation)",
        ]
    );
    assert_eq!(loaded.model.input_shape(), [6, 6, 2]);
}

/// The layers' class names, in order.
fn classes(loaded: &wxb::io::LoadedModel) -> Vec<String> {
    loaded.model.layers().iter().map(|l| l.class_name().to_string()).collect()
}

// The tf_*/keras_* fixtures come from real converters: `tests/fixtures/onnx/make_tf.py` wrote them
// with tf2onnx 1.17 (`tf2onnx.convert.from_keras`) and Keras 3.15's `model.export(format="onnx")`
// on TensorFlow 2.21 (keras_*) and on torch 2.15 (keras_torch_*, `--torch`), and recorded
// onnxruntime 1.32's outputs.

#[test]
fn tf2onnx_and_keras_export_dense_models_predict_as_onnxruntime() {
    for name in ["tf_dense", "keras_dense"] {
        let loaded = matches_onnxruntime(name);
        assert_eq!(loaded.model.input_shape(), [8], "{name}");
        let classes = classes(&loaded);
        // BatchNormalization folded into Mul + Add by the converter: one BatchNormalization layer.
        assert_eq!(classes.iter().filter(|c| *c == "BatchNormalization").count(), 1, "{name}: {classes:?}");
        // hard_sigmoid written as Add 3 → Clip(0, 6) → Mul 1/6: relu6 and a Rescaling.
        assert_eq!(classes.iter().filter(|c| *c == "Rescaling").count(), 1, "{name}: {classes:?}");
        assert_eq!(classes.iter().filter(|c| *c == "Dense").count(), 10, "{name}: {classes:?}");
        let names = layer_names(&loaded);
        assert!(names[0].ends_with("dense_1/MatMul (Dense)"), "{name}: {names:?}");
    }
}

#[test]
fn tf2onnx_and_keras_export_convnets_predict_as_onnxruntime() {
    for name in ["tf_conv", "keras_conv", "tf_gap", "keras_gap"] {
        let loaded = matches_onnxruntime(name);
        let names = layer_names(&loaded);
        // A channels-last input: the converters' Transposes become no layer.
        assert!(!names.iter().any(|n| n.contains("Permute")), "{name}: {names:?}");
        assert!(names.iter().any(|n| n.ends_with("(Conv2D)")), "{name}: {names:?}");
    }
    // Flatten as Shape → Gather → Cast → Slice → Concat → Cast → Reshape: evaluated, one layer.
    let loaded = matches_onnxruntime("tf_conv");
    assert_eq!(loaded.model.input_shape(), [8, 8, 2]);
    assert!(layer_names(&loaded).contains(&"conv_1/flatten_1/Reshape (Reshape)".to_string()));
    // GlobalAveragePooling2D as ReduceMean (tf2onnx, opset 18) or GlobalAveragePool + Squeeze.
    assert!(classes(&matches_onnxruntime("tf_gap")).contains(&"GlobalAveragePooling2D".to_string()));
    let keras_gap = classes(&matches_onnxruntime("keras_gap"));
    assert!(keras_gap.contains(&"GlobalAveragePooling2D".to_string()) && keras_gap.contains(&"Flatten".to_string()));
}

#[test]
fn keras_export_on_the_torch_backend_predicts_as_onnxruntime() {
    let dense = matches_onnxruntime("keras_torch_dense");
    let classes = classes(&dense);
    // Casts to FLOAT are no layers; BatchNormalization written Sub → Mul → Add is one layer;
    // softsign written Abs → Add 1 → Div is one activation.
    assert_eq!(classes.iter().filter(|c| *c == "BatchNormalization").count(), 1, "{classes:?}");
    assert_eq!(classes.iter().filter(|c| *c == "Dense").count(), 10, "{classes:?}");
    assert!(layer_names(&dense).contains(&"/Abs (Activation)".to_string()));
    let conv = matches_onnxruntime("keras_torch_conv");
    assert_eq!(conv.model.input_shape(), [8, 8, 2]);
    assert!(!layer_names(&conv).iter().any(|n| n.contains("Permute")));
}

fn refused(path: &Path) -> String {
    let e = onnx::read(path).expect_err("must be refused").to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.contains(path.file_name().unwrap().to_str().unwrap()), "names the file: {e}");
    e
}

#[test]
fn a_graph_that_is_not_a_chain_is_refused_naming_the_node() {
    let e = refused(&fixture("bad_residual.onnx"));
    assert!(e.contains("node \"/Add\" (Add)") && e.contains("not a chain"), "{e}");
}

#[test]
fn an_unsupported_op_is_refused_naming_the_node_and_op() {
    let e = refused(&fixture("bad_unsupported_op.onnx"));
    assert!(e.contains("node \"/1/HardSwish\" (HardSwish): operator HardSwish is not supported"), "{e}");
}

#[test]
fn control_flow_is_refused() {
    let e = refused(&fixture("bad_control_flow.onnx"));
    assert!(e.contains("node \"choose\" (If): control flow is not supported"), "{e}");
}

/// `mlp.onnx` decoded, changed by `edit`, written to a temporary file.
fn edited(edit: impl FnOnce(&mut proto::ModelProto)) -> (tempfile::TempDir, PathBuf) {
    let mut model = proto::ModelProto::decode(std::fs::read(fixture("mlp.onnx")).unwrap().as_slice()).unwrap();
    edit(&mut model);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    (dir, path)
}

#[test]
fn truncated_or_corrupted_files_are_refused_naming_the_protobuf() {
    let bytes = std::fs::read(fixture("mlp.onnx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 7] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = refused(&path);
        assert!(e.contains("protobuf") || e.contains("node") || e.contains("graph"), "{e}");
    }
    let mut flipped = bytes.clone();
    for b in flipped.iter_mut().skip(40).step_by(97) {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &flipped).unwrap();
    refused(&path);
}

#[test]
fn weights_or_outputs_of_the_wrong_shape_are_refused_naming_the_part() {
    let (_dir, path) = edited(|m| {
        let out = &mut m.graph.as_mut().unwrap().output[0];
        let shape = out.r#type.as_mut().unwrap().tensor_type.as_mut().unwrap().shape.as_mut().unwrap();
        shape.dim[1].dim_value = Some(4);
    });
    let e = refused(&path);
    assert!(e.contains("graph output \"output\": declared shape [?, 4], the nodes give [batch, 3]"), "{e}");
    let (_dir, path) = edited(|m| {
        let graph = m.graph.as_mut().unwrap();
        let b = graph.node[2].input[1].clone();
        let t = graph.initializer.iter_mut().find(|t| t.name == b).unwrap();
        t.dims = vec![12, 8];
        t.raw_data.truncate(12 * 8 * 4);
    });
    let e = refused(&path);
    assert!(
        e.contains("node \"/fc2/Gemm\" (Gemm): B has shape [12, 8] (transB = 1), the input has 16 features"),
        "{e}"
    );
}

#[test]
fn tensors_and_files_over_the_limits_are_refused_before_allocating() {
    let (_dir, path) = edited(|m| {
        let graph = m.graph.as_mut().unwrap();
        graph.initializer[0].dims = vec![1 << 20, 1 << 20];
    });
    let e = refused(&path);
    assert!(e.contains("over the limit"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.onnx");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(onnx::MAX_FILE_BYTES + 1).unwrap(); // sparse: no disk used
    let e = refused(&path);
    assert!(e.contains("file size") && e.contains("over the limit"), "{e}");
}

#[test]
fn opsets_outside_13_to_23_are_refused() {
    let (_dir, path) = edited(|m| m.opset_import[0].version = 9);
    let e = refused(&path);
    assert!(e.contains("opset_import: ai.onnx opset 9, wxb reads opsets 13 to 23"), "{e}");
}

/// The fuzz target `fuzz/fuzz_targets/onnx.rs` run over mutations of every fixture (its seeds):
/// 320 per file (over 5,000 inputs) — bytes flipped, runs of bytes overwritten with 0 or 0xff, cut short, a byte
/// duplicated — each read without a panic; one that still loads predicts and exports.
#[test]
fn thousands_of_mutated_fixtures_are_read_or_refused_without_a_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    let (mut loaded, mut total) = (0, 0);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        for k in 0..320 {
            let mut data = bytes.clone();
            let at = (next() as usize) % data.len();
            match k % 4 {
                0 => data[at] ^= 1 << (next() % 8),
                1 => data[at..]
                    .iter_mut()
                    .take(1 + (next() % 8) as usize)
                    .for_each(|b| *b = if k % 8 == 1 { 0 } else { 0xff }),
                2 => data.truncate(at),
                _ => data.insert(at, data[at]),
            }
            total += 1;
            if let Ok(model) = onnx::read_bytes(Path::new("mutated.onnx"), &data) {
                loaded += 1;
                if model.model.input_shape().iter().product::<usize>() <= 1 << 16 {
                    let x = Tensor::zeros(&[[2].as_slice(), model.model.input_shape()].concat());
                    let _ = model.model.predict(&x, 2);
                }
                let _ = onnx::encode(&model);
            }
        }
    }
    assert!(total >= 5000 && loaded > 0, "{loaded} of {total} mutated files loaded");
}
