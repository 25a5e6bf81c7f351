//! Finite-difference checks of every activation's and layer's gradients.
//!
//! The objective is `L = Σ r ⊙ y` for a fixed random `r`, so `dy = r`. Numeric gradients are
//! central differences `(L(v + h) − L(v − h)) / 2h` in f32 (sums in f64) with `h = 1e-2`; an
//! element passes when `|analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) + 1e-3·max(1, ‖numeric‖∞)`.
//! Inputs are kept at least 0.1 away from kinks (relu at 0, hard_sigmoid at ±3, …), further than
//! any step moves them. `checker_rejects_wrong_derivatives` shows the tolerance catches a formula
//! off by 2 %.

use wxb::activations::Activation;
use wxb::layers::{
    ActivationLayer, BatchNormalization, Dense, Dropout, Flatten, Layer, LayerNormalization, Mode, Scratch,
};
use wxb::regularizers::Regularizer;
use wxb::rng::WxbRng;
use wxb::tensor::Tensor;

const H: f32 = 1e-2;
const RTOL: f32 = 1e-2;
const MARGIN: f32 = 0.1;

fn uniform(rng: &mut WxbRng, shape: &[usize], lo: f32, hi: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.uniform_range(lo, hi)).collect())
}

/// Every activation with Keras' defaults, and the parametric ones with other parameters.
fn activations() -> Vec<Activation> {
    let mut all = Activation::ALL.to_vec();
    all.extend([
        Activation::relu_with(0.1, Some(2.5), 0.0),
        Activation::relu_with(0.2, None, -1.0),
        Activation::relu_with(0.0, Some(3.0), 1.0),
        Activation::relu_with(0.3, Some(6.0), 0.5),
        Activation::Threshold { threshold: 0.5, default_value: -1.0 },
        Activation::Celu { alpha: 0.5 },
        Activation::Elu { alpha: 2.0 },
        Activation::HardShrink { threshold: 1.0 },
        Activation::SoftShrink { threshold: 0.3 },
        Activation::Squareplus { b: 1.0 },
    ]);
    all
}

/// Where `a`'s derivative jumps.
fn kinks(a: Activation) -> Vec<f32> {
    match a {
        Activation::HardSigmoid | Activation::HardSilu => vec![-3.0, 3.0],
        Activation::HardTanh | Activation::SparsePlus | Activation::SparseSigmoid => vec![-1.0, 1.0],
        Activation::HardShrink { threshold } | Activation::SoftShrink { threshold } => vec![-threshold, threshold],
        Activation::ReluWith { max_value, threshold, .. } => vec![0.0, threshold, max_value.unwrap_or(0.0)],
        Activation::Threshold { threshold, .. } => vec![threshold],
        _ => vec![0.0, 6.0],
    }
}

/// Whether `v` is at least `MARGIN` away from every kink of `a`.
fn off_kinks(a: Activation, v: f32) -> bool {
    kinks(a).iter().all(|k| (v - k).abs() >= MARGIN)
}

/// Values in `[-4, 4)` away from `a`'s kinks.
fn smooth_input(a: Activation, rng: &mut WxbRng, shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            loop {
                let v = rng.uniform_range(-4.0, 4.0);
                if off_kinks(a, v) {
                    break v;
                }
            }
        })
        .collect();
    Tensor::from_vec(shape, data)
}

fn objective(y: &Tensor, r: &Tensor) -> f64 {
    assert_eq!(y.shape(), r.shape());
    y.data().iter().zip(r.data()).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum()
}

/// Central differences of `loss_with(i, value)` (the objective with element `i` set to `value`).
fn numeric_grad(values: &[f32], mut loss_with: impl FnMut(usize, f32) -> f64) -> Vec<f32> {
    let grad = |(i, &v): (usize, &f32)| {
        let (up, down) = (v + H, v - H);
        ((loss_with(i, up) - loss_with(i, down)) / f64::from(up - down)) as f32
    };
    values.iter().enumerate().map(grad).collect()
}

fn grad_close(analytic: &[f32], numeric: &[f32]) -> Result<(), String> {
    if analytic.len() != numeric.len() {
        return Err(format!("{} analytic values vs {} numeric", analytic.len(), numeric.len()));
    }
    let scale = numeric.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        let (diff, tol) = ((a - n).abs(), RTOL * a.abs().max(n.abs()) + 1e-3 * scale);
        if diff.is_nan() || diff > tol {
            return Err(format!("element {i}: analytic {a} vs numeric {n}"));
        }
    }
    Ok(())
}

fn assert_grad(what: &str, analytic: &[f32], numeric: &[f32]) {
    if let Err(e) = grad_close(analytic, numeric) {
        panic!("{what}: {e}");
    }
}

/// Checks `dx` and every trainable parameter's gradient of a built layer at `x`, and that the
/// backward pass overwrites (not accumulates) and gives the same parameter gradients without `dx`.
fn check_layer<L: Layer + Clone>(what: &str, base: &L, x: &Tensor, mode: Mode, rng: &mut WxbRng) {
    let mut layer = base.clone();
    let s = &mut Scratch::default();
    let y = layer.call(x, mode, s);
    let r = uniform(rng, y.shape(), -1.0, 1.0);
    let mut dx = Tensor::default();
    layer.backward(x, &y, &r, Some(&mut dx), s);
    layer.backward(x, &y, &r, Some(&mut dx), s);
    assert_eq!(dx.shape(), x.shape(), "{what}: dx shape");
    let num = numeric_grad(x.data(), |i, v| {
        let mut xp = x.clone();
        xp.data_mut()[i] = v;
        objective(&base.clone().call(&xp, mode, &mut Scratch::default()), &r)
    });
    assert_grad(&format!("{what}: dx"), dx.data(), &num);

    let mut no_dx = base.clone();
    let s2 = &mut Scratch::default();
    let y2 = no_dx.call(x, mode, s2);
    no_dx.backward(x, &y2, &r, None, s2);
    for (k, p) in layer.params().into_iter().enumerate().filter(|(_, p)| p.trainable) {
        let num = numeric_grad(base.params()[k].value.data(), |i, v| {
            let mut l = base.clone();
            l.params_mut()[k].value.data_mut()[i] = v;
            objective(&l.call(x, mode, &mut Scratch::default()), &r)
        });
        assert_grad(&format!("{what}: d{}", p.name), p.grad.data(), &num);
        assert_eq!(p.grad, no_dx.params()[k].grad, "{what}: d{} without dx", p.name);
    }
}

/// A small random batch shape `[batch, features]`.
fn random_shape(rng: &mut WxbRng) -> [usize; 2] {
    [2 + rng.below(4), 2 + rng.below(5)]
}

/// A small random batch shape `[batch, features]` that `a` accepts (glu: an even last axis).
fn shape_for(a: Activation, rng: &mut WxbRng) -> [usize; 2] {
    let [batch, features] = random_shape(rng);
    [batch, if a == Activation::Glu { 2 * (1 + features / 2) } else { features }]
}

#[test]
fn every_elementwise_derivative_matches_differences() {
    let mut rng = WxbRng::new(1);
    for a in activations().into_iter().filter(|a| a.is_elementwise()) {
        let x = smooth_input(a, &mut rng, &[64]);
        let analytic: Vec<f32> = x.data().iter().map(|&v| a.df(v, a.f(v))).collect();
        let numeric = numeric_grad(x.data(), |_, v| f64::from(a.f(v)));
        assert_grad(&format!("{a}.df"), &analytic, &numeric);
    }
}

#[test]
fn every_activation_backward_matches_differences() {
    let mut rng = WxbRng::new(2);
    for a in activations() {
        let shape = shape_for(a, &mut rng);
        let z = smooth_input(a, &mut rng, &shape);
        let (mut y, mut dz) = (Tensor::default(), Tensor::default());
        a.forward(&z, &mut y);
        let r = uniform(&mut rng, y.shape(), -1.0, 1.0);
        a.backward(&z, &y, &r, &mut dz);
        let numeric = numeric_grad(z.data(), |i, v| {
            let mut zp = z.clone();
            zp.data_mut()[i] = v;
            let mut yp = Tensor::default();
            a.forward(&zp, &mut yp);
            objective(&yp, &r)
        });
        assert_grad(&format!("{a}.backward"), dz.data(), &numeric);
    }
}

#[test]
fn checker_rejects_wrong_derivatives() {
    let mut rng = WxbRng::new(3);
    let x = smooth_input(Activation::Sigmoid, &mut rng, &[32]);
    let sig = Activation::Sigmoid;
    let numeric = numeric_grad(x.data(), |_, v| f64::from(sig.f(v)));
    let right: Vec<f32> = x.data().iter().map(|&v| sig.df(v, sig.f(v))).collect();
    assert!(grad_close(&right, &numeric).is_ok());
    let off_by_2_percent: Vec<f32> = right.iter().map(|g| g * 1.02).collect();
    assert!(grad_close(&off_by_2_percent, &numeric).is_err());
    // tanh' written from x instead of y.
    let tanh = Activation::Tanh;
    let numeric = numeric_grad(x.data(), |_, v| f64::from(tanh.f(v)));
    let wrong: Vec<f32> = x.data().iter().map(|&v| 1.0 - v * v).collect();
    assert!(grad_close(&wrong, &numeric).is_err());
}

/// `x`, and a Dense layer whose pre-activations `x·W + b` (and those of every step) avoid kinks.
fn dense_case(a: Activation, bias: bool, rng: &mut WxbRng) -> (Dense, Tensor) {
    for _ in 0..1000 {
        let [batch, inp] = random_shape(rng);
        let units = if a == Activation::Glu { 2 * (1 + rng.below(3)) } else { 2 + rng.below(4) };
        let mut d = Dense::new(units).activation(a).named("d");
        if !bias {
            d = d.without_bias();
        }
        d.build(&[inp], rng.next_u64());
        if bias {
            d.params_mut()[1].value = uniform(rng, &[units], -0.5, 0.5);
        }
        let x = uniform(rng, &[batch, inp], -2.0, 2.0);
        let z = d.clone().activation(Activation::Linear).call(&x, Mode::Train, &mut Scratch::default());
        if z.data().iter().all(|&v| off_kinks(a, v)) {
            return (d, x);
        }
    }
    panic!("no Dense case off the kinks of {a}");
}

#[test]
fn dense_gradients_with_every_activation_with_and_without_bias() {
    let mut rng = WxbRng::new(4);
    for a in activations() {
        for bias in [true, false] {
            let (d, x) = dense_case(a, bias, &mut rng);
            check_layer(&format!("Dense({a}, bias {bias})"), &d, &x, Mode::Train, &mut rng);
        }
    }
}

#[test]
fn dense_fused_backward_from_logits() {
    let mut rng = WxbRng::new(5);
    for a in [Activation::Softmax, Activation::Sigmoid] {
        let (base, x) = dense_case(a, true, &mut rng);
        let mut d = base.clone();
        let s = &mut Scratch::default();
        d.call(&x, Mode::Train, s);
        let z = d.logits(s).expect("a non-linear Dense keeps its logits").clone();
        let r = uniform(&mut rng, z.shape(), -1.0, 1.0);
        let mut dx = Tensor::default();
        d.backward_from_logits(&x, &r, Some(&mut dx), s);
        let logits_objective = |l: &mut Dense, x: &Tensor| {
            let s = &mut Scratch::default();
            l.call(x, Mode::Train, s);
            objective(l.logits(s).unwrap(), &r)
        };
        let num = numeric_grad(x.data(), |i, v| {
            let mut xp = x.clone();
            xp.data_mut()[i] = v;
            logits_objective(&mut base.clone(), &xp)
        });
        assert_grad(&format!("Dense({a}) fused dx"), dx.data(), &num);
        for k in 0..2 {
            let num = numeric_grad(base.params()[k].value.data(), |i, v| {
                let mut l = base.clone();
                l.params_mut()[k].value.data_mut()[i] = v;
                logits_objective(&mut l, &x)
            });
            assert_grad(&format!("Dense({a}) fused d{}", d.params()[k].name), d.params()[k].grad.data(), &num);
        }
    }
}

#[test]
fn activation_layer_gradients() {
    let mut rng = WxbRng::new(6);
    for a in activations() {
        let shape = shape_for(a, &mut rng);
        let mut layer = ActivationLayer::new(a).named("a");
        layer.build(&shape[1..], 0);
        check_layer(&format!("Activation({a})"), &layer, &smooth_input(a, &mut rng, &shape), Mode::Train, &mut rng);
    }
    // Softmax over the last axis of rank-2 samples; glu halving it.
    for a in [Activation::Softmax, Activation::LogSoftmax, Activation::Glu] {
        let mut layer = ActivationLayer::new(a).named("a");
        layer.build(&[3, 4], 0);
        check_layer(
            &format!("Activation({a}) rank 3"),
            &layer,
            &smooth_input(a, &mut rng, &[2, 3, 4]),
            Mode::Train,
            &mut rng,
        );
    }
}

#[test]
fn activation_layer_fused_backward_passes_logit_gradients_through() {
    let mut layer = ActivationLayer::new(Activation::Softmax);
    layer.build(&[3], 0);
    let x = Tensor::from_vec(&[1, 3], vec![0.5, -1.0, 2.0]);
    let s = &mut Scratch::default();
    layer.call(&x, Mode::Train, s);
    let dz = Tensor::from_vec(&[1, 3], vec![0.1, -0.2, 0.3]);
    let mut dx = Tensor::default();
    layer.backward_from_logits(&x, &dz, Some(&mut dx), s);
    assert_eq!(dx, dz);
}

#[test]
fn dropout_gradients_with_a_fixed_mask() {
    let mut rng = WxbRng::new(7);
    for rate in [0.0, 0.3, 0.6] {
        let shape = random_shape(&mut rng);
        let mut d = Dropout::new(rate).named("drop");
        // Clones share the stream's state, so every clone draws the same first mask.
        d.build(&shape[1..], 11);
        let x = uniform(&mut rng, &shape, -2.0, 2.0);
        check_layer(&format!("Dropout({rate}) train"), &d, &x, Mode::Train, &mut rng);
        check_layer(&format!("Dropout({rate}) infer"), &d, &x, Mode::Infer, &mut rng);
    }
}

fn spread_input(rng: &mut WxbRng, shape: &[usize]) -> Tensor {
    let t = uniform(rng, shape, -2.0, 2.0);
    let shift = rng.uniform_range(-1.0, 1.0);
    t.map(|v| v * 1.5 + shift)
}

#[test]
fn batch_normalization_gradients_in_training_and_inference() {
    let mut rng = WxbRng::new(8);
    for (i, sample) in [vec![3usize], vec![4], vec![2, 3]].into_iter().enumerate() {
        let c = *sample.last().unwrap();
        let mut bn = BatchNormalization::new().named("bn").momentum(0.8);
        if i == 2 {
            bn = bn.without_center();
        }
        bn.build(&sample, 0);
        let mut ps = bn.params_mut();
        let trainable = ps.iter().filter(|p| p.trainable).count();
        for p in ps.iter_mut().take(trainable) {
            p.value = uniform(&mut rng, &[c], 0.5, 1.5);
        }
        ps[trainable].value = uniform(&mut rng, &[c], -0.5, 0.5); // moving mean
        ps[trainable + 1].value = uniform(&mut rng, &[c], 0.5, 2.0); // moving variance
        let mut shape = vec![3 + rng.below(4)];
        shape.extend(&sample);
        let x = spread_input(&mut rng, &shape);
        check_layer(&format!("BatchNormalization {sample:?} train"), &bn, &x, Mode::Train, &mut rng);
        check_layer(&format!("BatchNormalization {sample:?} infer"), &bn, &x, Mode::Infer, &mut rng);
    }
}

#[test]
fn layer_normalization_gradients() {
    let mut rng = WxbRng::new(9);
    for (i, sample) in [vec![4usize], vec![6], vec![2, 5]].into_iter().enumerate() {
        let c = *sample.last().unwrap();
        let mut ln = LayerNormalization::new().named("ln");
        if i == 1 {
            ln = ln.without_scale();
        }
        ln.build(&sample, 0);
        for p in ln.params_mut() {
            p.value = uniform(&mut rng, &[c], -1.5, 1.5);
        }
        let mut shape = vec![2 + rng.below(3)];
        shape.extend(&sample);
        let x = spread_input(&mut rng, &shape);
        check_layer(&format!("LayerNormalization {sample:?}"), &ln, &x, Mode::Train, &mut rng);
    }
}

#[test]
fn flatten_gradients() {
    let mut rng = WxbRng::new(10);
    let mut f = Flatten::new().named("f");
    f.build(&[2, 3], 0);
    check_layer("Flatten", &f, &uniform(&mut rng, &[3, 2, 3], -1.0, 1.0), Mode::Train, &mut rng);
}

#[test]
fn regularizer_gradients() {
    let mut rng = WxbRng::new(11);
    let regs = [
        Regularizer::L1 { l1: 0.05 },
        Regularizer::L2 { l2: 0.03 },
        Regularizer::L1L2 { l1: 0.02, l2: 0.04 },
        Regularizer::L1_DEFAULT,
        Regularizer::L2_DEFAULT,
    ];
    for r in regs {
        // Away from 0, where L1 has its kink.
        let w = smooth_input(Activation::Relu, &mut rng, &[3, 4]);
        let mut g = Tensor::zeros(w.shape());
        r.add_gradient(&w, &mut g);
        let num = numeric_grad(w.data(), |i, v| {
            let mut wp = w.clone();
            wp.data_mut()[i] = v;
            f64::from(r.loss(&wp))
        });
        assert_grad(&format!("{r:?}"), g.data(), &num);
    }
}
