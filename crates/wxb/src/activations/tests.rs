use super::*;
use crate::tensor::Tensor;

#[test]
fn names_round_trip() {
    for a in Activation::ALL {
        assert_eq!(a.name().parse::<Activation>().unwrap(), a);
    }
    assert_eq!("swish".parse::<Activation>().unwrap(), Activation::Silu);
    assert_eq!("hard_swish".parse::<Activation>().unwrap(), Activation::HardSilu);
    // Keras' threshold has no defaults: the bare name needs its parameters.
    assert!("threshold".parse::<Activation>().is_err());
    let err = "relu7".parse::<Activation>().unwrap_err().to_string();
    assert!(err.contains("\"relu7\"") && err.contains("softmax"), "{err}");
}

#[test]
fn json_accepts_keras_names_and_parameters() {
    for a in Activation::ALL {
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", a.name()));
        assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), a);
    }
    let custom = Activation::LeakyRelu { negative_slope: 0.1 };
    let json = serde_json::to_string(&custom).unwrap();
    assert_eq!(json, r#"{"leaky_relu":{"negative_slope":0.1}}"#);
    assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), custom);
    assert!(serde_json::from_str::<Activation>("\"relu9\"").unwrap_err().to_string().contains("relu9"));
    let relu = Activation::relu_with(0.1, Some(4.0), 0.5);
    let json = serde_json::to_string(&relu).unwrap();
    assert_eq!(json, r#"{"relu":{"negative_slope":0.1,"max_value":4.0,"threshold":0.5}}"#);
    assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), relu);
    assert_eq!(Activation::relu_with(0.0, None, 0.0), Activation::Relu);
    let threshold = Activation::Threshold { threshold: 0.5, default_value: -1.0 };
    let json = serde_json::to_string(&threshold).unwrap();
    assert_eq!(json, r#"{"threshold":{"threshold":0.5,"default_value":-1.0}}"#);
    assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), threshold);
}

#[test]
fn relu_keeps_nan_and_infinities() {
    assert!(Activation::Relu.f(f32::NAN).is_nan());
    assert_eq!(Activation::Relu.f(f32::INFINITY), f32::INFINITY);
    assert_eq!(Activation::Relu.f(f32::NEG_INFINITY), 0.0);
    let z = Tensor::from_vec(&[1, 3], vec![f32::NAN, -1.0, 2.0]);
    let mut y = Tensor::default();
    Activation::Relu.forward(&z, &mut y);
    assert!(y.data()[0].is_nan());
    assert_eq!(&y.data()[1..], &[0.0, 2.0]);
}

#[test]
fn softmax_is_stable_for_huge_logits() {
    let z = Tensor::from_vec(&[1, 3], vec![1000.0, 1001.0, 1002.0]);
    let mut y = Tensor::default();
    Activation::Softmax.forward(&z, &mut y);
    assert!(y.is_finite());
    assert!((y.sum() - 1.0).abs() < 1e-6);
    Activation::LogSoftmax.forward(&z, &mut y);
    // keras.activations.log_softmax([[1000., 1001., 1002.]]) = [-2.4076059, -1.4076059, -0.40760595]
    assert!((y.at(&[0, 2]) - (-0.407_605_95)).abs() < 1e-6, "{y:?}");
}

#[test]
fn known_values() {
    // Keras 3.15 / TF 2.21: x = np.array([-1.5, 0.7], "float32");
    // keras.activations.<name>(x) (gelu_tanh: keras.activations.gelu(x, approximate=True)).
    let cases: [(Activation, [f32; 2]); 6] = [
        (Activation::Selu, [-1.365_814_3, 0.735_490_7]),
        (Activation::Gelu, [-0.100_210_83, 0.530_625_4]),
        (Activation::GeluTanh, [-0.100_428_43, 0.530_570_15]),
        (Activation::HardSigmoid, [0.25, 0.616_666_7]),
        (Activation::Mish, [-0.298_099_76, 0.561_148_4]),
        (Activation::Softplus, [0.201_413_29, 1.103_186]),
    ];
    for (a, want) in cases {
        for (x, w) in [-1.5f32, 0.7].into_iter().zip(want) {
            assert!((a.f(x) - w).abs() < 1e-6, "{a}({x}) = {} want {w}", a.f(x));
        }
    }
}

#[test]
fn the_f64_formulas_agree_with_the_f32_engine() {
    let z: Vec<f32> = (-12..12).map(|i| i as f32 * 0.37).collect();
    let zt = Tensor::from_vec(&[1, z.len()], z.clone());
    let z64: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
    for a in Activation::ALL {
        let mut y = Tensor::default();
        a.forward(&zt, &mut y);
        let mut y64 = vec![0.0f64; a.output_len(z64.len())];
        a.row(&z64, &mut y64);
        for (got, want) in y64.iter().zip(y.data()) {
            assert!((got - f64::from(*want)).abs() <= 1e-5 * (1.0 + got.abs()), "{a}: {got} vs {want}");
        }
        let mut y32 = vec![0.0f32; a.output_len(z.len())];
        a.row(&z, &mut y32);
        assert_eq!(y32, y.data(), "{a}: the f32 row is the engine's");
    }
}

#[test]
fn glu_halves_the_last_axis() {
    // keras.activations.glu(np.array([[1., -2., 0.5, 3.]], "float32")) = [[0.62245935, -1.9051482]]
    let z = Tensor::from_vec(&[1, 4], vec![1.0, -2.0, 0.5, 3.0]);
    let mut y = Tensor::default();
    Activation::Glu.forward(&z, &mut y);
    assert_eq!(y.shape(), &[1, 2]);
    assert!((y.data()[0] - 0.622_459_35).abs() < 1e-6 && (y.data()[1] + 1.905_148_2).abs() < 1e-6, "{y:?}");
    assert!(Activation::Glu.check_len(3).is_err());
    assert!(Activation::Glu.check_len(4).is_ok() && Activation::Relu.check_len(3).is_ok());
}

#[test]
fn nan_stays_nan_except_where_keras_zeroes_it() {
    // TensorFlow's hard_shrink and soft_shrink are `tf.where(|x| > t, …, 0)`: NaN fails the test
    // and becomes 0. Every other element-wise activation keeps a NaN visible.
    for a in Activation::ALL.into_iter().filter(|a| a.is_elementwise()) {
        let y = a.f(f32::NAN);
        if matches!(a, Activation::HardShrink { .. } | Activation::SoftShrink { .. }) {
            assert_eq!(y, 0.0, "{a}(NaN)");
        } else {
            assert!(y.is_nan(), "{a}(NaN) = {y}");
        }
    }
}
