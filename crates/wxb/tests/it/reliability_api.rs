//! Bad data through the library API: `fit`, `evaluate`, `predict`, `train_on_batch` and
//! `set_weights` answer every malformed input (wrong shapes, empty arrays, mismatched validation
//! data, bad labels, bad sample or class weights, NaN, zero batch sizes) with a typed
//! [`WxbError`] carrying the offending values — never a panic.

use proptest::prelude::*;
use wxb::prelude::*;
use wxb::train::Shuffle;

fn model(loss: Loss) -> Sequential {
    let mut m = Sequential::new(&[3]).seed(1);
    m.add(Dense::new(4).activation(Activation::Relu));
    m.add(Dense::new(2).activation(Activation::Softmax));
    m.compile(Optimizer::sgd(0.1), loss, &[Metric::Accuracy]);
    m
}

fn t(shape: &[usize], v: f32) -> Tensor {
    Tensor::full(shape, v)
}

fn fit(m: &mut Sequential, x: &Tensor, y: &Tensor, o: FitOptions) -> Result<History, WxbError> {
    m.fit(x, y, &FitOptions { epochs: 2, batch_size: 2, ..o }, &mut [])
}

#[test]
fn each_kind_of_bad_input_has_its_typed_error() {
    let sparse = Loss::SPARSE_CATEGORICAL_CROSSENTROPY;
    let (x, y) = (t(&[4, 3], 0.5), t(&[4, 1], 1.0));
    let e = fit(&mut model(sparse), &t(&[4, 5], 0.5), &y, FitOptions::default()).unwrap_err();
    assert_eq!(e, WxbError::Shape { what: "x", expected: vec![4, 3], got: vec![4, 5] });
    let e = fit(&mut model(sparse), &t(&[0, 3], 0.5), &t(&[0, 1], 0.0), FitOptions::default()).unwrap_err();
    assert_eq!(e, WxbError::Empty { what: "x" });
    let e = fit(&mut model(sparse), &x, &t(&[3, 1], 1.0), FitOptions::default()).unwrap_err();
    assert_eq!(e, WxbError::SampleCount { what: "y", expected: 4, got: 3 });
    let e = fit(&mut model(sparse), &x, &t(&[4, 1], 2.0), FitOptions::default()).unwrap_err();
    assert_eq!(e, WxbError::LabelOutOfRange { what: "y", index: 0, label: 2.0, classes: 2 });
    let e = fit(&mut model(sparse), &x, &t(&[4, 1], f32::NAN), FitOptions::default()).unwrap_err();
    assert!(matches!(e, WxbError::LabelOutOfRange { index: 0, .. }), "{e}");
    let e = fit(&mut model(Loss::CATEGORICAL_CROSSENTROPY), &x, &t(&[4, 3], 0.0), FitOptions::default()).unwrap_err();
    assert_eq!(e, WxbError::Shape { what: "y", expected: vec![4, 2], got: vec![4, 3] });
    let e = model(sparse).fit(&x, &y, &FitOptions { batch_size: 0, ..FitOptions::default() }, &mut []).unwrap_err();
    assert!(matches!(e, WxbError::InvalidArgument { name: "batch_size", .. }), "{e}");
    let bad_validation = FitOptions { validation_data: Some((t(&[2, 2], 0.0), t(&[2, 1], 0.0))), ..Default::default() };
    let e = fit(&mut model(sparse), &x, &y, bad_validation).unwrap_err();
    assert_eq!(e, WxbError::Shape { what: "validation x", expected: vec![2, 3], got: vec![2, 2] });
    let short_validation =
        FitOptions { validation_data: Some((t(&[2, 3], 0.0), t(&[1, 1], 0.0))), ..Default::default() };
    let e = fit(&mut model(sparse), &x, &y, short_validation).unwrap_err();
    assert_eq!(e, WxbError::SampleCount { what: "validation y", expected: 2, got: 1 });
    let e = fit(&mut model(sparse), &x, &y, FitOptions { sample_weight: Some(vec![1.0; 3]), ..Default::default() })
        .unwrap_err();
    assert_eq!(e, WxbError::SampleCount { what: "sample_weight", expected: 4, got: 3 });
    let e = fit(&mut model(sparse), &x, &y, FitOptions { sample_weight: Some(vec![-1.0; 4]), ..Default::default() })
        .unwrap_err();
    assert!(matches!(&e, WxbError::InvalidArgument { name: "sample_weight", value, .. } if value == "-1"), "{e}");
    for split in [1.0, -0.5, f64::NAN, 1e-17] {
        let e =
            fit(&mut model(sparse), &x, &y, FitOptions { validation_split: split, ..Default::default() }).unwrap_err();
        assert!(matches!(e, WxbError::InvalidArgument { name: "validation_split", .. }), "{split}: {e}");
    }
    let e = fit(&mut model(sparse), &t(&[4, 3], f32::INFINITY), &y, FitOptions::default()).unwrap_err();
    assert!(matches!(e, WxbError::Diverged(ref d) if d.found == wxb::train::NonFiniteIn::Inputs), "{e}");
    let mut uncompiled = Sequential::new(&[3]);
    uncompiled.add(Dense::new(2));
    assert_eq!(uncompiled.evaluate(&x, &y, 2).unwrap_err(), WxbError::NotCompiled);
    assert_eq!(uncompiled.fit(&x, &y, &FitOptions::default(), &mut []).unwrap_err(), WxbError::NotCompiled);
    let mut m = model(sparse);
    assert!(matches!(m.predict(&x, 0), Err(WxbError::InvalidArgument { name: "batch_size", .. })));
    assert!(matches!(m.evaluate(&x, &y, 0), Err(WxbError::InvalidArgument { name: "batch_size", .. })));
    assert_eq!(
        m.predict(&t(&[2], 0.0), 1).unwrap_err(),
        WxbError::Shape { what: "x", expected: vec![2, 3], got: vec![2] }
    );
    assert_eq!(m.set_weights(&[]).unwrap_err(), WxbError::WeightCount { expected: 4, got: 0 });
    let mut w = m.get_weights();
    w[1] = t(&[5], 0.0);
    assert_eq!(
        m.set_weights(&w).unwrap_err(),
        WxbError::WeightShape { name: "dense/bias".into(), expected: vec![4], got: vec![5] }
    );
    let e = m.train_on_batch(&x, &y, Some(&[1.0, f32::NAN, 1.0, 1.0])).unwrap_err();
    assert!(matches!(e, WxbError::InvalidArgument { name: "sample_weight", .. }), "{e}");
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0usize..5, 0..4)
}

fn values() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(1.0), Just(2.0), Just(-1.0), Just(0.5), Just(f32::NAN), Just(f32::INFINITY)]
}

fn tensor() -> impl Strategy<Value = Tensor> {
    (shape(), values()).prop_map(|(s, v)| Tensor::full(&s, v))
}

fn loss() -> impl Strategy<Value = Loss> {
    prop_oneof![
        Just(Loss::SPARSE_CATEGORICAL_CROSSENTROPY),
        Just(Loss::CATEGORICAL_CROSSENTROPY),
        Just(Loss::BINARY_CROSSENTROPY),
        Just(Loss::MeanSquaredError),
        Just(Loss::HUBER),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Anything at all: an answer, never a panic.
    #[test]
    fn random_shapes_and_values_never_panic(
        x in tensor(),
        y in tensor(),
        v in proptest::option::of((tensor(), tensor())),
        sw in proptest::option::of(proptest::collection::vec(values(), 0..5)),
        batch in 0usize..4,
        split in prop_oneof![Just(0.0), Just(0.5), Just(0.99)],
        loss in loss(),
    ) {
        let mut m = model(loss);
        let options = FitOptions {
            epochs: 1,
            batch_size: batch,
            shuffle: Shuffle::Never,
            validation_split: split,
            validation_data: v.clone(),
            sample_weight: sw.clone(),
            ..FitOptions::default()
        };
        let _ = m.fit(&x, &y, &options, &mut []);
        let _ = m.evaluate(&x, &y, batch);
        let _ = m.predict(&x, batch);
        let _ = m.train_on_batch(&x, &y, sw.as_deref());
        if let Some((vx, vy)) = &v {
            let _ = m.set_weights(&[vx.clone(), vy.clone()]);
        }
    }
}
