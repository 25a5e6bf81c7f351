//! Finite-difference checks of Conv2D's and Conv1D's backward passes: `∂L/∂x`, `∂L/∂kernel` and
//! `∂L/∂bias` for strides, `valid`/`same`/`causal` padding and dilation, with a linear, tanh and
//! softmax activation.
//!
//! The objective is `L = Σ r ⊙ y` for a fixed random `r`, so `dy = r`. Numeric gradients are
//! central differences `(L(v + h) − L(v − h)) / 2h` (sums in f64) with `h = 1e-2`; an element
//! passes when `|analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) + 1e-3·max(1, ‖numeric‖∞)`.
//! `checker_rejects_a_wrong_gradient` shows the check catches a gradient off by 2 %.

use wxb::activations::Activation;
use wxb::layers::{Conv1D, Conv2D, Layer, Mode, Padding, Scratch};
use wxb::rng::WxbRng;
use wxb::tensor::Tensor;

const H: f32 = 1e-2;

fn uniform(rng: &mut WxbRng, shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect())
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

/// Checks `dx` and every weight's gradient of `layer` (built) on `x`.
fn check(what: &str, layer: &mut dyn Layer, x: &Tensor, grad_scale: f32) {
    let mut rng = WxbRng::new(7);
    let mut scratch = Scratch::default();
    let mut y = Tensor::default();
    layer.forward(x, &mut y, Mode::Train, &mut scratch);
    let r = uniform(&mut rng, y.shape());
    let mut dx = Tensor::default();
    layer.backward(x, &y, &r, Some(&mut dx), &mut scratch);
    let numeric_x: Vec<f64> = (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.clone(), x.clone());
            up.data_mut()[i] += H;
            down.data_mut()[i] -= H;
            (objective(layer, &up, &r) - objective(layer, &down, &r)) / (2.0 * f64::from(H))
        })
        .collect();
    let dx: Vec<f32> = dx.data().iter().map(|v| v * grad_scale).collect();
    compare(&format!("{what} dx"), &dx, &numeric_x);
    for p in 0..layer.weights().len() {
        let analytic: Vec<f32> = layer.weights()[p].grad.data().iter().map(|v| v * grad_scale).collect();
        let numeric: Vec<f64> = (0..layer.weights()[p].len())
            .map(|i| {
                let v = layer.weights()[p].value.data()[i];
                layer.weights_mut()[p].value.data_mut()[i] = v + H;
                let up = objective(layer, x, &r);
                layer.weights_mut()[p].value.data_mut()[i] = v - H;
                let down = objective(layer, x, &r);
                layer.weights_mut()[p].value.data_mut()[i] = v;
                (up - down) / (2.0 * f64::from(H))
            })
            .collect();
        compare(&format!("{what} {}", layer.weights()[p].name), &analytic, &numeric);
    }
}

fn conv2d_cases() -> Vec<(&'static str, Conv2D)> {
    let c =
        |f, k| Conv2D::new(f, k).bias_initializer(wxb::init::Initializer::RandomUniform { minval: -0.5, maxval: 0.5 });
    vec![
        ("valid 3x3", c(3, [3, 3])),
        ("same, strides 2x1", c(2, [3, 2]).strides([2, 1]).padding(Padding::Same)),
        ("valid, strides 2", c(2, [2, 2]).strides([2, 2]).activation(Activation::Tanh)),
        ("same, dilation 2x1", c(3, [2, 3]).dilation_rate([2, 1]).padding(Padding::Same)),
        ("valid, dilation 2, tanh", c(2, [2, 2]).dilation_rate([2, 2]).activation(Activation::Tanh)),
        (
            "same, strides 3, softmax",
            c(4, [4, 4]).strides([3, 3]).padding(Padding::Same).activation(Activation::Softmax),
        ),
        ("no bias", c(2, [3, 3]).without_bias().padding(Padding::Same)),
    ]
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    let mut rng = WxbRng::new(3);
    let x = uniform(&mut rng, &[2, 7, 6, 3]);
    for (what, conv) in conv2d_cases() {
        let mut conv = conv.named("c");
        conv.build(&x.shape()[1..], 11);
        check(what, &mut conv, &x, 1.0);
    }
}

#[test]
fn conv1d_gradients_match_finite_differences() {
    let mut rng = WxbRng::new(4);
    let x = uniform(&mut rng, &[3, 9, 2]);
    let cases = [
        ("valid", Conv1D::new(3, [3])),
        ("same, strides 2", Conv1D::new(2, [2]).strides([2]).padding(Padding::Same)),
        (
            "causal, dilation 2, tanh",
            Conv1D::new(4, [3]).dilation_rate([2]).padding(Padding::Causal).activation(Activation::Tanh),
        ),
        ("valid, strides 3", Conv1D::new(2, [4]).strides([3])),
    ];
    for (what, conv) in cases {
        let mut conv = conv.named("c");
        conv.build(&x.shape()[1..], 12);
        check(what, &mut conv, &x, 1.0);
    }
}

#[test]
#[should_panic(expected = "analytic")]
fn checker_rejects_a_wrong_gradient() {
    let mut rng = WxbRng::new(5);
    let x = uniform(&mut rng, &[1, 5, 5, 2]);
    let mut conv = Conv2D::new(2, [3, 3]).named("c");
    conv.build(&x.shape()[1..], 1);
    check("off by 2 %", &mut conv, &x, 1.02);
}
