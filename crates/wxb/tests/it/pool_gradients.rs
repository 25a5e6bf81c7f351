//! Finite-difference checks of the backward passes of the pooling layers (strides, `valid` and
//! `same` padding, 1-D and 2-D, global), Reshape, Rescaling and ZeroPadding2D.
//!
//! The objective is `L = Σ r ⊙ y` for a fixed random `r`, so `dy = r`. Numeric gradients are
//! central differences `(L(x + h) − L(x − h)) / 2h` (sums in f64) with `h = 1e-2`; an element
//! passes when `|analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) + 1e-3·max(1, ‖numeric‖∞)`.
//! The inputs are distinct multiples of 0.05, so that no max changes place within `±h`.
//! `checker_rejects_a_wrong_gradient` shows the check catches a gradient off by 2 %.

use wxb::layers::{Layer, Mode, Scratch};
use wxb::prelude::*;
use wxb::rng::WxbRng;

const H: f32 = 1e-2;

/// `[shape]` holding `0.05·k − 1` for a random permutation of `k = 0, 1, …`.
fn distinct(rng: &mut WxbRng, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let mut keys: Vec<(f32, usize)> = (0..n).map(|k| (rng.uniform(), k)).collect();
    keys.sort_by(|a, b| a.0.total_cmp(&b.0));
    Tensor::from_vec(shape, keys.iter().map(|&(_, k)| 0.05 * k as f32 - 1.0).collect())
}

fn objective(layer: &dyn Layer, x: &Tensor, r: &Tensor) -> f64 {
    let mut y = Tensor::default();
    layer.forward(x, &mut y, Mode::Infer, &mut Scratch::default());
    y.data().iter().zip(r.data()).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum()
}

/// Panics at the first element whose analytic and numeric gradients differ.
fn compare(what: &str, analytic: &[f32], numeric: &[f64]) {
    let scale = numeric.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        let a = f64::from(a);
        let tol = 1e-2 * a.abs().max(n.abs()) + 1e-3 * scale;
        assert!((a - n).abs() <= tol, "{what}[{i}]: analytic {a} vs numeric {n}");
    }
}

/// Checks `dx` of `layer` (built) on `x`, the analytic gradient times `grad_scale`.
fn check(what: &str, layer: &mut dyn Layer, x: &Tensor, grad_scale: f32) {
    let mut rng = WxbRng::new(7);
    let mut scratch = Scratch::default();
    let mut y = Tensor::default();
    layer.forward(x, &mut y, Mode::Train, &mut scratch);
    let n = y.len();
    let r = Tensor::from_vec(y.shape(), (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect());
    let mut dx = Tensor::default();
    layer.backward(x, &y, &r, Some(&mut dx), &mut scratch);
    assert_eq!(dx.shape(), x.shape(), "{what}");
    let numeric: Vec<f64> = (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.clone(), x.clone());
            up.data_mut()[i] += H;
            down.data_mut()[i] -= H;
            (objective(layer, &up, &r) - objective(layer, &down, &r)) / (2.0 * f64::from(H))
        })
        .collect();
    let dx: Vec<f32> = dx.data().iter().map(|v| v * grad_scale).collect();
    compare(&format!("{what} dx"), &dx, &numeric);
}

fn check_all(cases: Vec<(&str, Box<dyn Layer>)>, x: &Tensor, grad_scale: f32) {
    for (what, mut layer) in cases {
        layer.set_name("p".into());
        layer.build(&x.shape()[1..], 0);
        check(what, layer.as_mut(), x, grad_scale);
    }
}

#[test]
fn pooling_2d_gradients_match_finite_differences() {
    let x = distinct(&mut WxbRng::new(3), &[2, 7, 6, 3]);
    let cases: Vec<(&str, Box<dyn Layer>)> = vec![
        ("max 2x2", Box::new(MaxPooling2D::new([2, 2]))),
        ("max 3x3 strides 2 same", Box::new(MaxPooling2D::new([3, 3]).strides([2, 2]).padding(Padding::Same))),
        ("max 2x3 strides 1x2 (overlapping)", Box::new(MaxPooling2D::new([2, 3]).strides([1, 2]))),
        ("average 2x2", Box::new(AveragePooling2D::new([2, 2]))),
        ("average 3x3 strides 2 same", Box::new(AveragePooling2D::new([3, 3]).strides([2, 2]).padding(Padding::Same))),
        ("average 3x2 strides 1 same", Box::new(AveragePooling2D::new([3, 2]).strides([1, 1]).padding(Padding::Same))),
        ("global average", Box::new(GlobalAveragePooling2D::new())),
        ("global max", Box::new(GlobalMaxPooling2D::new().keepdims(true))),
        ("zero padding", Box::new(ZeroPadding2D::new([[0, 2], [3, 1]]))),
        ("reshape", Box::new(Reshape::new(&[-1, 9]))),
        ("rescaling", Box::new(Rescaling::new(-0.7, 0.25))),
    ];
    check_all(cases, &x, 1.0);
}

#[test]
fn pooling_1d_gradients_match_finite_differences() {
    let x = distinct(&mut WxbRng::new(4), &[3, 9, 2]);
    let cases: Vec<(&str, Box<dyn Layer>)> = vec![
        ("max 2", Box::new(MaxPooling1D::new([2]))),
        ("max 3 strides 2 same", Box::new(MaxPooling1D::new([3]).strides([2]).padding(Padding::Same))),
        ("average 4 strides 1 same", Box::new(AveragePooling1D::new([4]).strides([1]).padding(Padding::Same))),
        ("average 3", Box::new(AveragePooling1D::new([3]))),
        ("global average", Box::new(GlobalAveragePooling1D::new())),
        ("global max", Box::new(GlobalMaxPooling1D::new())),
    ];
    check_all(cases, &x, 1.0);
}

#[test]
#[should_panic(expected = "analytic")]
fn checker_rejects_a_wrong_gradient() {
    let x = distinct(&mut WxbRng::new(5), &[2, 6, 6, 2]);
    check_all(vec![("average 3x3 same", Box::new(AveragePooling2D::new([3, 3]).padding(Padding::Same)))], &x, 1.02);
}

/// Weights after two epochs (a partial last batch) of a model with convolutions followed by max
/// poolings, which a training step fuses (`model/fusion.rs`), on `threads` threads; with
/// `unfused`, an identity `Activation` layer between each pair keeps the layers apart (same
/// values, same layer names, so the same initial weights and dropout masks). Also returns the
/// first layer's output length after training: a fused step does not keep it.
fn trained_with_pooling(threads: usize, unfused: bool) -> (Vec<Tensor>, usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let n = 150;
        let x = Tensor::from_vec(
            &[n, 14, 14, 1],
            (0..n * 196).map(|i| ((i * 7919 % 1009) as f32) / 1009.0 - 0.3).collect(),
        );
        let y = Tensor::from_vec(&[n, 1], (0..n).map(|i| (i * 31 % 10) as f32).collect());
        let mut m = Sequential::new(&[14, 14, 1]).seed(3);
        let gap = |m: &mut Sequential| {
            if unfused {
                m.add(ActivationLayer::new(Activation::Linear));
            }
        };
        // First layer (no input gradient), ReLU, non-overlapping windows.
        m.add(Conv2D::new(8, [3, 3]).activation(Activation::Relu));
        gap(&mut m);
        m.add(MaxPooling2D::new([2, 2]));
        // Inner layer (input gradient), linear, overlapping windows with padding.
        m.add(Conv2D::new(6, [2, 2]).padding(Padding::Same));
        gap(&mut m);
        m.add(MaxPooling2D::new([3, 3]).strides([2, 2]).padding(Padding::Same));
        m.add(Reshape::new(&[9, 6]));
        m.add(Conv1D::new(4, [3]).activation(Activation::Relu).without_bias());
        gap(&mut m);
        m.add(MaxPooling1D::new([2]));
        m.add(Flatten::new());
        m.add(Dropout::new(0.25));
        m.add(Dense::new(10).activation(Activation::Softmax));
        m.compile(Optimizer::adam(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[Metric::Accuracy]);
        let options = FitOptions { epochs: 2, batch_size: 64, ..FitOptions::default() };
        m.fit(&x, &y, &options, &mut []).unwrap();
        (m.get_weights(), m.activation(0).len())
    })
}

#[test]
fn fused_convolution_and_pooling_train_to_the_unfused_weights_bit_for_bit() {
    for threads in [1, 2] {
        let ((fused, kept), (unfused, kept_unfused)) =
            (trained_with_pooling(threads, false), trained_with_pooling(threads, true));
        assert_eq!((kept, kept_unfused), (0, 150 % 64 * 12 * 12 * 8), "the fused pass skips the first output");
        assert_eq!(fused.len(), unfused.len());
        for (i, (a, b)) in fused.iter().zip(&unfused).enumerate() {
            assert_eq!(a, b, "{threads} threads, weight {i}: fused and unfused differ by up to {}", a.max_abs_diff(b));
        }
    }
}
