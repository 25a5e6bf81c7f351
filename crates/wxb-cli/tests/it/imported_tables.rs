//! Models made elsewhere, on a table: a Keras file and an ONNX file name no inputs (wxb calls them
//! `x0, x1, …`), so a CSV's columns are taken in order, its text labels as the classes in sorted
//! order — `evaluate` then gives the framework's own figures. The models are
//! `examples/models/iris_keras.keras` (made by `examples/models/make_keras.py`, Keras 3.15.1, which
//! printed `loss 0.0776, accuracy 0.9733 on the 150 rows`) and `examples/models/iris_torch.onnx`
//! (`make_onnx.py`, PyTorch 2.15: `accuracy 0.9800`).

use crate::common;

use std::path::PathBuf;

use common::{fails, ok, tempdir, write};

fn example(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(path);
    p.canonicalize().unwrap().to_str().unwrap().to_string()
}

fn figure(line: &str, name: &str) -> f64 {
    let at = line.find(&format!("{name}: ")).unwrap_or_else(|| panic!("{name} in {line}")) + name.len() + 2;
    line[at..].split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_keras_file_evaluates_a_csv_by_column_order_as_keras_did() {
    let d = tempdir();
    let run = ok(
        d.path(),
        &["evaluate", "--model", &example("models/iris_keras.keras"), "--data", &example("data/iris.csv")],
    );
    let line = run.stdout.trim();
    assert!(line.starts_with("150 samples"), "{line}");
    assert!((figure(line, "loss") - 0.0776).abs() < 5e-5, "{line}");
    assert!((figure(line, "accuracy") - 0.9733).abs() < 5e-5, "{line}");
    assert!(
        run.stderr.contains("sepal_length, sepal_width, petal_length, petal_width are its inputs x0–x3"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("setosa, versicolor, virginica are the outputs 0–2"), "{}", run.stderr);
}

#[test]
fn an_onnx_file_without_a_loss_is_evaluated_with_the_default_one_and_said() {
    let d = tempdir();
    let run =
        ok(d.path(), &["evaluate", "--model", &example("models/iris_torch.onnx"), "--data", &example("data/iris.csv")]);
    assert!((figure(run.stdout.trim(), "accuracy") - 0.98).abs() < 5e-5, "{}", run.stdout);
    assert!(
        run.stderr.contains("keeps no loss: evaluating with sparse_categorical_crossentropy and accuracy"),
        "{}",
        run.stderr
    );
    // predict names the classes by the labels when the file has them, and by index otherwise.
    let pred =
        ok(d.path(), &["predict", "--model", &example("models/iris_torch.onnx"), "--data", &example("data/iris.csv")]);
    assert!(pred.stdout.starts_with("prediction,p_setosa,p_versicolor,p_virginica\n"), "{}", pred.stdout);
    let new = ok(
        d.path(),
        &["predict", "--model", &example("models/iris_torch.onnx"), "--data", &example("data/iris-new.csv")],
    );
    let rows: Vec<&str> = new.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", new.stdout);
    assert!(rows[0] == "prediction,p_0,p_1,p_2" && rows[1].starts_with("0,"), "{}", new.stdout);
}

#[test]
fn a_table_of_another_width_is_refused_naming_both_counts() {
    let d = tempdir();
    let data = write(d.path(), "three.csv", "a,b,c,species\n1,2,3,setosa\n");
    let data = data.to_str().unwrap();
    fails(
        d.path(),
        &["evaluate", "--model", &example("models/iris_keras.keras"), "--data", data],
        &["three.csv", "4", "3"],
    );
    // --features picks the inputs by name, in the model's order.
    let data = write(
        d.path(),
        "five.csv",
        "id,sepal_length,sepal_width,petal_length,petal_width,species\n7,5.1,3.5,1.4,0.2,setosa\n",
    );
    let features = "sepal_length,sepal_width,petal_length,petal_width";
    let model = example("models/iris_keras.keras");
    let run = ok(d.path(), &["evaluate", "--model", &model, "--data", data.to_str().unwrap(), "--features", features]);
    assert!(figure(run.stdout.trim(), "accuracy") == 1.0, "{}", run.stdout);
}
