//! Behaviour of the non-Dense layers: configurations, dropout statistics, moving statistics,
//! shapes, and the layers inside a trained model.

use wxb::layers::{
    ActivationConfig, BatchNormalizationConfig, DataFormat, DropoutConfig, FlattenConfig, LayerNormalizationConfig,
};
use wxb::prelude::*;

fn round_trip(layer: &dyn Layer, class_name: &str) {
    let config = layer.config();
    let json = serde_json::to_string(&config).unwrap();
    assert!(json.starts_with(&format!("{{\"class_name\":\"{class_name}\",\"config\":{{")), "{json}");
    let back: LayerConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config, "{json}");
    let rebuilt = back.build();
    assert_eq!(rebuilt.class_name(), class_name);
    assert_eq!(rebuilt.name(), layer.name());
    assert_eq!(back.name(), Some(layer.name()));
}

#[test]
fn configs_round_trip_through_json() {
    round_trip(&ActivationLayer::new(Activation::LEAKY_RELU).named("act"), "Activation");
    round_trip(&Dropout::new(0.25).seed(3).named("drop"), "Dropout");
    let bn = BatchNormalization::new()
        .named("bn")
        .momentum(0.9)
        .epsilon(1e-5)
        .without_center()
        .gamma_initializer(Initializer::Constant { value: 0.5 })
        .moving_variance_initializer(Initializer::Constant { value: 2.0 })
        .gamma_regularizer(Regularizer::L2_DEFAULT)
        .beta_constraint(Constraint::NonNeg);
    round_trip(&bn, "BatchNormalization");
    let ln = LayerNormalization::new().named("ln").without_scale().beta_regularizer(Regularizer::L1_DEFAULT);
    round_trip(&ln, "LayerNormalization");
    round_trip(&Flatten::new().data_format(DataFormat::ChannelsFirst).named("flat"), "Flatten");
}

#[test]
fn keras_style_configs_parse_with_keras_defaults() {
    let parse = |s: &str| serde_json::from_str::<LayerConfig>(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let bn = parse(r#"{"class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1, "momentum": 0.9}}"#);
    let want = BatchNormalizationConfig { name: Some("bn".into()), momentum: 0.9, ..Default::default() };
    assert_eq!(bn, LayerConfig::BatchNormalization(want));
    assert_eq!(BatchNormalizationConfig::default().epsilon, 1e-3);
    assert_eq!(BatchNormalizationConfig::default().momentum, 0.99);
    // Keras writes LayerNormalization's axis as a list once built.
    let ln =
        parse(r#"{"class_name": "LayerNormalization", "config": {"axis": [-1], "epsilon": 0.001, "center": false}}"#);
    let want = LayerNormalizationConfig { center: false, ..Default::default() };
    assert_eq!(ln, LayerConfig::LayerNormalization(want));
    let d = parse(r#"{"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.5, "seed": null}}"#);
    assert_eq!(d, LayerConfig::Dropout(DropoutConfig { name: Some("dropout".into()), rate: 0.5, seed: None }));
    let a = parse(r#"{"class_name": "Activation", "config": {"activation": "softmax"}}"#);
    assert_eq!(a, LayerConfig::Activation(ActivationConfig::new(Activation::Softmax)));
    let f = parse(r#"{"class_name": "Flatten", "config": {"data_format": "channels_last"}}"#);
    assert_eq!(f, LayerConfig::Flatten(FlattenConfig::default()));
    let unknown = r#"{"class_name": "BatchNormalization", "config": {"renorm": true}}"#;
    assert!(serde_json::from_str::<LayerConfig>(unknown).unwrap_err().to_string().contains("renorm"));
    let two_axes = r#"{"class_name": "LayerNormalization", "config": {"axis": [1, 2]}}"#;
    assert!(serde_json::from_str::<LayerConfig>(two_axes).is_err());
}

#[test]
fn dropout_scales_kept_values_and_is_the_identity_in_inference() {
    let rate = 0.3;
    let mut d = Dropout::new(rate).named("drop");
    d.build(&[100], 42);
    let x = Tensor::full(&[100, 100], 1.0);
    let y = d.call(&x, Mode::Train, &mut Scratch::default());
    let scale = (1.0f64 / (1.0 - 0.3)) as f32;
    assert!(y.data().iter().all(|&v| v == 0.0 || v == scale), "kept values are x/(1 − rate)");
    let zeroed = y.data().iter().filter(|&&v| v == 0.0).count() as f64 / 1e4;
    assert!((zeroed - 0.3).abs() < 0.02, "zeroed fraction {zeroed}");
    let mean = y.sum() / 1e4;
    assert!((mean - 1.0).abs() < 0.03, "E[y] = x: mean {mean}");
    assert_ne!(d.call(&x, Mode::Train, &mut Scratch::default()), y, "a new mask every training pass");
    assert_eq!(d.call(&x, Mode::Infer, &mut Scratch::default()), x);
    // Backward uses the forward's mask.
    let s = &mut Scratch::default();
    let y = d.call(&x, Mode::Train, s);
    let mut dx = Tensor::default();
    d.backward(&x, &y, &Tensor::full(x.shape(), 2.0), Some(&mut dx), s);
    assert_eq!(dx, y.map(|v| 2.0 * v));
}

#[test]
fn batch_normalization_inference_uses_moving_statistics() {
    let mut bn = BatchNormalization::new().named("bn");
    bn.build(&[2], 0);
    let [gamma, beta, mm, mv] = [[2.0, 0.5], [0.1, -0.1], [1.0, -1.0], [4.0, 0.25]];
    for (p, v) in bn.params_mut().into_iter().zip([gamma, beta, mm, mv]) {
        p.value = Tensor::from_vec(&[2], v.to_vec());
    }
    let x = Tensor::from_vec(&[3, 2], vec![0., 0., 1., 2., 5., -3.]);
    let y = bn.call(&x, Mode::Infer, &mut Scratch::default());
    for i in 0..3 {
        for j in 0..2 {
            let want = gamma[j] * (x.at(&[i, j]) - mm[j]) / (mv[j] + 1e-3f32).sqrt() + beta[j];
            assert!((y.at(&[i, j]) - want).abs() < 1e-5, "y[{i},{j}] = {} vs {want}", y.at(&[i, j]));
        }
    }
    assert_eq!(bn.moving_mean().data(), &mm, "inference leaves the moving statistics");
    bn.call(&x, Mode::Train, &mut Scratch::default());
    // batch mean [2, -1/3], biased variance [14/3, 38/9]; momentum 0.99.
    let want_mean = [0.99 + 2.0 * 0.01, -0.99 + (-1.0 / 3.0) * 0.01];
    let want_var = [4.0 * 0.99 + (14.0 / 3.0) * 0.01, 0.25 * 0.99 + (38.0 / 9.0) * 0.01];
    for j in 0..2 {
        assert!((bn.moving_mean().data()[j] - want_mean[j]).abs() < 1e-6);
        assert!((bn.moving_variance().data()[j] - want_var[j]).abs() < 1e-6);
    }
    let names: Vec<(&str, bool)> = bn.params().iter().map(|p| (p.name, p.trainable)).collect();
    assert_eq!(names, [("gamma", true), ("beta", true), ("moving_mean", false), ("moving_variance", false)]);
}

#[test]
#[should_panic(expected = "only the last axis (-1 or 2) is supported")]
fn normalization_over_another_axis_panics() {
    let mut bn = BatchNormalization::from_config(BatchNormalizationConfig { axis: 1, ..Default::default() });
    bn.build(&[3, 4], 0);
}

#[test]
fn flatten_shapes_in_a_model() {
    let mut model = Sequential::new(&[4, 5, 3]);
    model.add(Flatten::new());
    model.build();
    assert_eq!(model.output_shape(), [60]);
    let x = Tensor::from_vec(&[2, 4, 5, 3], (0..120).map(|v| v as f32).collect());
    let y = model.predict(&x, 32).unwrap();
    assert_eq!(y.shape(), &[2, 60]);
    assert_eq!(y.data(), x.data());
}

/// Three separable blobs in 4-D, labels 0..3.
fn blobs() -> (Tensor, Tensor) {
    let mut rng = wxb::rng::WxbRng::new(0);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..96 {
        let class = i % 3;
        for f in 0..4 {
            let centre = if f == class { 3.0 } else { 0.0 };
            x.push(centre + rng.normal() * 0.5);
        }
        y.push(class as f32);
    }
    (Tensor::from_vec(&[96, 4], x), Tensor::from_vec(&[96, 1], y))
}

#[test]
fn a_model_with_every_layer_learns_and_reuses_its_buffers() {
    let (x, y) = blobs();
    let mut model = Sequential::new(&[4]).seed(1);
    model.add(Dense::new(16));
    model.add(BatchNormalization::new());
    model.add(ActivationLayer::new(Activation::Relu));
    model.add(Dropout::new(0.1));
    model.add(LayerNormalization::new());
    model.add(Dense::new(3));
    model.add(ActivationLayer::new(Activation::Softmax)); // fused with the crossentropy
    model.compile(Optimizer::sgd(0.1), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
    let before = model.evaluate(&x, &y, 32).unwrap()["loss"];
    let options = FitOptions { epochs: 20, batch_size: 16, ..FitOptions::default() };
    model.fit(&x, &y, &options, &mut []).unwrap();
    let after = model.evaluate(&x, &y, 32).unwrap();
    assert!(after["loss"] < 0.5 * before, "loss {before} -> {}", after["loss"]);
    assert!(after["accuracy"] > 0.95, "{after:?}");
    let batch = x.slice_rows(0, 16);
    model.forward(&batch, Mode::Train);
    let ptrs: Vec<*const f32> = (0..7).map(|i| model.activation(i).data().as_ptr()).collect();
    model.forward(&batch, Mode::Train);
    assert_eq!(ptrs, (0..7).map(|i| model.activation(i).data().as_ptr()).collect::<Vec<_>>());
}
