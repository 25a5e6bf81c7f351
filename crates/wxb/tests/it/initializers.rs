//! Every initializer's distribution agrees with Keras 3.15.1's on a (784, 256) kernel: mean,
//! standard deviation and range. Fixture: `fixtures/initializers.json`, made by
//! `fixtures/keras/initializers.py`. (The draws differ — wxb has its own seeded generator — so the
//! comparison allows for sampling error.)

use serde_json::Value;
use wxb::init::Initializer;
use wxb::rng::WxbRng;

#[test]
fn initializer_statistics_match_keras() {
    let f: Value = serde_json::from_str(include_str!("../fixtures/initializers.json")).unwrap();
    let shape = [784usize, 256];
    let n = (shape[0] * shape[1]) as f64;
    for init in Initializer::ALL {
        let want = &f["stats"][init.name()];
        let (mean, std, min, max) = (
            want["mean"].as_f64().unwrap(),
            want["std"].as_f64().unwrap(),
            want["min"].as_f64().unwrap(),
            want["max"].as_f64().unwrap(),
        );
        let w = init.init(&shape, &mut WxbRng::derive(3, init.name()));
        let v: Vec<f64> = w.data().iter().map(|&x| f64::from(x)).collect();
        let m = v.iter().sum::<f64>() / n;
        let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let name = init.name();
        // The mean of n draws wanders by about std/√n: allow 6 of those (plus the identity's exact mean).
        assert!((m - mean).abs() <= 6.0 * std / n.sqrt() + 1e-9, "{name}: mean {m} vs Keras {mean}");
        assert!((s - std).abs() <= 0.01 * std + 1e-9, "{name}: std {s} vs Keras {std}");
        let bounded = init.name().contains("uniform")
            || init.name().contains("truncated")
            || init.name().contains("glorot_normal")
            || matches!(init, Initializer::HeNormal | Initializer::LecunNormal | Initializer::VarianceScaling { .. })
            || std == 0.0
            || name == "identity";
        if bounded {
            // Uniform and truncated draws fill their range: the extremes agree closely.
            let tol = 0.02 * (max - min).max(1e-9);
            assert!(
                (lo - min).abs() <= tol && (hi - max).abs() <= tol,
                "{name}: range [{lo}, {hi}] vs Keras [{min}, {max}]"
            );
        } else {
            // Untruncated normals (and orthogonal matrices): extremes of ~4.5σ, same order as Keras'.
            assert!(lo < 0.0 && (lo / min - 1.0).abs() < 0.3, "{name}: min {lo} vs Keras {min}");
            assert!(hi > 0.0 && (hi / max - 1.0).abs() < 0.3, "{name}: max {hi} vs Keras {max}");
        }
    }
}

/// `keras.initializers.STFT(...)(shape)` for the cases of `fixtures/keras/initializers.py`, to
/// 1e-6 (the kernel is computed in f32 as Keras does).
#[test]
fn stft_kernels_match_keras() {
    let f: Value = serde_json::from_str(include_str!("../fixtures/initializers.json")).unwrap();
    let cases = f["stft"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let init: Initializer = serde_json::from_value(case["initializer"].clone()).unwrap();
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let w = init.init(&shape, &mut WxbRng::new(0));
        assert_eq!(w.shape(), shape.as_slice());
        let want: Vec<f64> = case["kernel"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (i, (&got, &want)) in w.data().iter().zip(&want).enumerate() {
            assert!(
                (f64::from(got) - want).abs() <= 1e-6,
                "{}: element {i}: {got} vs Keras {want}",
                case["initializer"]
            );
        }
    }
    assert_eq!("stft".parse::<Initializer>().unwrap(), Initializer::STFT);
}

#[test]
#[should_panic(expected = "needs a shape [frame_length, 1, fft_length")]
fn stft_refuses_a_matrix() {
    Initializer::STFT.init(&[4, 3], &mut WxbRng::new(0));
}

#[test]
fn kernels_start_random_within_the_glorot_limit_and_biases_at_zero() {
    let limit = (6.0f64 / (784.0 + 256.0)).sqrt() as f32;
    let w = Initializer::GlorotUniform.init(&[784, 256], &mut WxbRng::new(0));
    assert!(w.data().iter().all(|x| x.abs() <= limit));
    let b = Initializer::Zeros.init(&[256], &mut WxbRng::new(0));
    assert!(b.data().iter().all(|&x| x == 0.0));
}
