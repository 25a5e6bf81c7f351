//! Writes wxb models as ONNX files for `interop/check_onnx.sh`, which runs them in onnxruntime:
//! for each model, `NAME.onnx` and `NAME.json` with raw inputs (as `wxb predict` takes them:
//! unscaled; a table's raw CSV columns, one input each, null or `""` where a cell is missing) and
//! wxb's own predictions on them.
//!
//! Run: `cargo run --example onnx_interop -- OUT_DIR`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wxb::data::table::ColumnKind;
use wxb::data::{AdaptOptions, LoadOptions, Schema, Standardization, Targets, load_raw};
use wxb::io::{LoadedModel, TrainedModel, onnx};
use wxb::prelude::*;

/// Raw inputs: a fixed pattern in [-2, 2], with NaN at every `missing_every`-th value when given.
fn inputs(n: usize, shape: &[usize], missing_every: Option<usize>) -> Tensor {
    let per: usize = shape.iter().product();
    let data = (0..n * per)
        .map(|i| match missing_every {
            Some(k) if i % k == k - 1 => f32::NAN,
            _ => (((i * 7919) % 101) as f32 - 50.0) / 25.0,
        })
        .collect();
    let mut full = vec![n];
    full.extend_from_slice(shape);
    Tensor::from_vec(&full, data)
}

fn write(
    dir: &Path,
    name: &str,
    model: Sequential,
    schema: Schema,
    x: &Tensor,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut metadata = BTreeMap::new();
    schema.insert_into(&mut metadata);
    let loaded = LoadedModel { model, metadata };
    onnx::write(&loaded, &dir.join(format!("{name}.onnx")))?;
    let trained = TrainedModel::new(loaded)?;
    let y = trained.predict(x, 32)?.outputs;
    let json = serde_json::json!({
        "input_shape": x.shape(),
        "input": x.data().iter().map(|v| if v.is_nan() { None } else { Some(*v) }).collect::<Vec<_>>(),
        "output_shape": y.shape(),
        "output": y.data(),
    });
    std::fs::write(dir.join(format!("{name}.json")), json.to_string())?;
    println!("{name}: {} layers, input {:?}, output {:?}", trained.model.layers().len(), x.shape(), y.shape());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: onnx_interop OUT_DIR")?);
    std::fs::create_dir_all(&dir)?;

    // A classifier of standardized features (Mul, Sub, Div before the layers).
    let mut m = Sequential::new(&[4]).seed(1);
    m.add(Dense::new(16).activation(Activation::Relu));
    m.add(BatchNormalization::new());
    m.add(Dropout::new(0.2));
    m.add(Dense::new(8).activation(Activation::Gelu));
    m.add(Dense::new(8).activation(Activation::Selu));
    m.add(Dense::new(3).activation(Activation::Softmax));
    let mut schema =
        Schema::csv((0..4).map(|i| format!("f{i}")).collect(), Some(vec!["a".into(), "b".into(), "c".into()]));
    schema.scale = 0.5;
    schema.standardize = Some(Standardization { mean: vec![0.1, -0.2, 0.3, 0.0], std: vec![1.5, 0.5, 2.0, 1.0] });
    write(&dir, "mlp_standardized", m, schema, &inputs(6, &[4], None))?;

    // A convnet on 1/255-scaled images.
    let mut m = Sequential::new(&[8, 8, 1]).seed(2);
    m.add(Conv2D::new(4, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
    m.add(BatchNormalization::new());
    m.add(MaxPooling2D::new([2, 2]));
    m.add(ZeroPadding2D::new([[1, 0], [0, 1]]));
    m.add(Conv2D::new(6, [3, 3]).strides([2, 2]).activation(Activation::Tanh));
    m.add(AveragePooling2D::new([2, 2]).strides([1, 1]).padding(Padding::Same));
    m.add(Flatten::new());
    m.add(Dense::new(5).activation(Activation::Softmax));
    let mut schema = Schema::csv(
        (0..64).map(|i| format!("pixel[{},{}]", i / 8, i % 8)).collect(),
        Some((0..5).map(|c| c.to_string()).collect()),
    );
    schema.sample_shape = Some(vec![8, 8, 1]);
    schema.scale = 1.0 / 255.0;
    let images = Tensor::from_vec(&[3, 8, 8, 1], (0..192).map(|i| ((i * 37) % 256) as f32).collect());
    write(&dir, "convnet_images", m, schema, &images)?;

    // Global pooling, a regression (no class names).
    let mut m = Sequential::new(&[6, 6, 3]).seed(3);
    m.add(Conv2D::new(5, [3, 3]).dilation_rate([2, 2]).activation(Activation::Elu { alpha: 0.5 }));
    m.add(GlobalAveragePooling2D::new());
    m.add(Dense::new(2));
    let mut schema = Schema::csv((0..108).map(|i| format!("x{i}")).collect(), None);
    schema.sample_shape = Some(vec![6, 6, 3]);
    write(&dir, "gap_regression", m, schema, &inputs(4, &[6, 6, 3], None))?;

    // A sequence model: Conv1D (causal and same), LayerNormalization, 1-D pooling.
    let mut m = Sequential::new(&[10, 3]).seed(5);
    m.add(Conv1D::new(4, [3]).padding(Padding::Causal).activation(Activation::Relu));
    m.add(LayerNormalization::new());
    m.add(MaxPooling1D::new([2]));
    m.add(Conv1D::new(5, [2]).padding(Padding::Same).dilation_rate([2]));
    m.add(AveragePooling1D::new([2]).padding(Padding::Same));
    m.add(GlobalAveragePooling1D::new());
    m.add(LayerNormalization::new());
    m.add(Dense::new(3).activation(Activation::Softmax));
    let mut schema =
        Schema::csv((0..30).map(|i| format!("x{i}")).collect(), Some(vec!["u".into(), "v".into(), "w".into()]));
    schema.sample_shape = Some(vec![10, 3]);
    write(&dir, "sequence_conv1d", m, schema, &inputs(4, &[10, 3], None))?;

    // Tables with missing cells: mean imputation, Keras Normalization, missing indicators; a
    // text column (StringLookup) and a categorical column of integers (IntegerLookup).
    let train =
        "a,city,b,rooms,label\n1.5,paris,,3,x\n2.5,oslo,4,2,y\n,paris,6,3,x\n0.5,,2,1,y\n3,rome,1,2,x\n2,oslo,3,,y\n";
    let test = "a,city,b,rooms,label\n1,paris,2,3,x\n,lima,,2,y\n0.5,,1,7,x\n2,rome,,,y\n4,oslo,0,1,x\n";
    table(&dir, "table_missing", "a,b,c,label\n1.5,,3,x\n2.5,4,,y\n,6,1,x\n0.5,2,2,y\n3,1,0,x\n", None, &[])?;
    table(&dir, "table_lookups", train, Some(test), &["rooms".into()])?;
    Ok(())
}

/// A table model adapted on `train` (`categorical` columns as IntegerLookup), its predictions on
/// the raw rows of `test` (default: `train`), written with the raw columns as `check_onnx.sh`
/// feeds them.
fn table(
    dir: &Path,
    name: &str,
    train: &str,
    test: Option<&str>,
    categorical: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
    let (train_csv, test_csv) = (dir.join(format!("{name}.train.csv")), dir.join(format!("{name}.test.csv")));
    std::fs::write(&train_csv, train)?;
    std::fs::write(&test_csv, test.unwrap_or(train))?;
    let options = LoadOptions { categorical: categorical.to_vec(), ..LoadOptions::default() };
    let raw = load_raw(&train_csv, None, &options)?;
    let rows: Vec<usize> = (0..raw.rows()).collect();
    let data = raw.adapt(&rows, &AdaptOptions { missing_indicator: true, ..AdaptOptions::default() });
    let mut m = Sequential::new(&[data.schema.feature_names.len()]).seed(4);
    m.add(Dense::new(6).activation(Activation::Softplus));
    m.add(Dense::new(2).activation(Activation::Softmax));
    let mut metadata = BTreeMap::new();
    data.schema.insert_into(&mut metadata);
    let loaded = LoadedModel { model: m, metadata };
    onnx::write(&loaded, &dir.join(format!("{name}.onnx")))?;
    let trained = TrainedModel::new(loaded)?;
    let (x, _) = trained.read_data(&test_csv, None, &LoadOptions::default(), Targets::Ignored)?;
    let y = trained.predict_prepared(&x, 32)?.outputs;
    // The raw columns: the test file's cells by header.
    let text = test.unwrap_or(train);
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let cells: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let columns: Vec<_> = trained
        .schema
        .columns
        .iter()
        .flatten()
        .map(|c| {
            let j = header.iter().position(|h| *h == c.name).expect("a training column");
            let values: Vec<serde_json::Value> = cells
                .iter()
                .map(|r| match c.kind {
                    ColumnKind::Numeric => r[j].parse::<f64>().map_or(serde_json::Value::Null, serde_json::Value::from),
                    _ => serde_json::Value::from(r[j]),
                })
                .collect();
            let kind = if c.kind == ColumnKind::Numeric { "float" } else { "string" };
            serde_json::json!({ "name": c.name, "type": kind, "values": values })
        })
        .collect();
    let json = serde_json::json!({ "columns": columns, "output_shape": y.shape(), "output": y.data() });
    std::fs::write(dir.join(format!("{name}.json")), json.to_string())?;
    println!(
        "{name}: {} layers, {} raw columns, {} rows, output {:?}",
        trained.model.layers().len(),
        columns.len(),
        cells.len(),
        y.shape()
    );
    Ok(())
}
