//! Divergence: `fit` stops at the first batch whose loss, outputs, gradients or weights are NaN or
//! infinite, keeps the weights from before that batch, and says where and what to try.

use wxb::prelude::*;
use wxb::train::{Divergence, KeptWeights, NonFiniteIn, OnDivergence, Shuffle};

/// Records the weights after every batch (the last good model at any moment).
#[derive(Default)]
struct Snapshots {
    after_batch: Vec<Vec<Tensor>>,
}

impl Callback for Snapshots {
    fn on_train_begin(&mut self, model: &mut Sequential, _: &wxb::train::TrainParams) {
        self.after_batch.push(model.get_weights());
    }
    fn on_batch_end(&mut self, model: &mut Sequential, _: usize, _: &Logs) {
        self.after_batch.push(model.get_weights());
    }
}

fn options(epochs: usize, batch_size: usize) -> FitOptions {
    FitOptions { epochs, batch_size, shuffle: Shuffle::Never, ..FitOptions::default() }
}

fn diverged(e: WxbError) -> Divergence {
    match e {
        WxbError::Diverged(d) => *d,
        other => panic!("expected a divergence, got {other}"),
    }
}

fn regression() -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[8, 2], (0..16).map(|i| (i % 5) as f32 - 2.0).collect());
    let y = x.map(|v| 3.0 * v);
    (x.clone(), Tensor::from_vec(&[8, 1], (0..8).map(|i| y.row(i).iter().sum()).collect()))
}

fn mlp(lr: f32) -> Sequential {
    let mut m = Sequential::new(&[2]).seed(3);
    m.add(Dense::new(8).activation(Activation::Relu));
    m.add(Dense::new(1));
    m.compile(Optimizer::sgd(lr), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError]);
    m
}

#[test]
fn a_huge_learning_rate_stops_at_the_bad_batch_with_the_last_good_weights() {
    let (x, y) = regression();
    let mut m = mlp(1e30);
    let mut snaps = Snapshots::default();
    let d = diverged(m.fit(&x, &y, &options(5, 2), &mut [&mut snaps]).unwrap_err());
    // Every batch whose end was reached left finite weights; the bad one left none.
    let good = snaps.after_batch.len() - 1;
    assert_eq!(d.epoch * d.steps + d.batch, good, "{d}");
    assert_eq!(d.steps, 4);
    assert_eq!(d.learning_rate, 1e30);
    assert_eq!(d.iterations, good as u64);
    assert_eq!(d.weights, KeptWeights::BeforeBadStep);
    assert_eq!(m.get_weights(), *snaps.after_batch.last().unwrap(), "the weights from before the bad batch");
    assert!(m.get_weights().iter().all(|w| w.data().iter().all(|v| v.is_finite())));
    assert_eq!(m.optimizer().unwrap().iterations(), good as u64, "the bad step was not counted");
    assert!(matches!(d.found, NonFiniteIn::Output | NonFiniteIn::Loss | NonFiniteIn::Gradient), "{d}");
    if d.found != NonFiniteIn::Loss {
        assert!(d.layer.is_some(), "{d}");
    }
    assert_eq!(d.history.epochs, (0..d.epoch).collect::<Vec<_>>(), "the completed epochs");
    let text = WxbError::Diverged(Box::new(d.clone())).to_string();
    assert!(
        text.starts_with(&format!("training diverged at epoch {}, batch {}/4", d.epoch + 1, d.batch + 1)),
        "{text}"
    );
    assert!(text.contains("learning rate 1e30") && text.contains("lower the learning rate (e.g. 1e29)"), "{text}");
    assert!(text.contains("clip the gradients by norm"), "{text}");
}

#[test]
fn the_first_non_finite_gradient_names_its_layer_and_weight() {
    // Finite outputs and loss, but a gradient overflows: x = 3e38 gives an output of 3e8 and a
    // squared error of 9e16, but the kernel's gradient x·2·err = 1.8e47 is infinite.
    let x = Tensor::from_vec(&[1, 1], vec![3e38]);
    let y = Tensor::zeros(&[1, 1]);
    let mut m = Sequential::new(&[1]).seed(0);
    m.add(Dense::new(1).named("only").kernel_initializer(Initializer::Constant { value: 1e-30 }));
    m.compile(Optimizer::sgd(0.1), Loss::MeanSquaredError, &[]);
    let before = m.get_weights();
    let d = diverged(m.fit(&x, &y, &options(1, 1), &mut []).unwrap_err());
    assert_eq!(d.found, NonFiniteIn::Gradient, "{d}");
    assert_eq!((d.layer.clone(), d.variable), (Some((0, "only".to_string())), Some("kernel")));
    assert_eq!(m.get_weights(), before);
}

#[test]
fn nan_in_the_data_is_named_as_such() {
    let (mut x, y) = regression();
    x.data_mut()[2 * 5] = f32::NAN; // row 5: batch 2 of 4 with batches of 2
    let mut m = mlp(0.01);
    let d = diverged(m.fit(&x, &y, &options(3, 2), &mut []).unwrap_err());
    assert_eq!((d.epoch, d.batch, d.found), (0, 2, NonFiniteIn::Inputs));
    assert!(d.to_string().contains("remove or replace the NaN/infinite values in the data"), "{d}");
    let (x, mut y) = regression();
    y.data_mut()[0] = f32::INFINITY;
    let d = diverged(mlp(0.01).fit(&x, &y, &options(3, 2), &mut []).unwrap_err());
    assert_eq!((d.epoch, d.batch, d.found), (0, 0, NonFiniteIn::Targets));
}

#[test]
fn batch_normalization_statistics_are_restored_too() {
    let (mut x, y) = regression();
    x.data_mut()[2 * 4 + 1] = f32::INFINITY; // batch 2
    let mut m = Sequential::new(&[2]).seed(1);
    m.add(BatchNormalization::new());
    m.add(Dense::new(1));
    m.compile(Optimizer::sgd(0.01), Loss::MeanSquaredError, &[]);
    let mut snaps = Snapshots::default();
    let d = diverged(m.fit(&x, &y, &options(2, 2), &mut [&mut snaps]).unwrap_err());
    assert_eq!((d.batch, d.found), (2, NonFiniteIn::Inputs));
    // gamma, beta, moving_mean, moving_variance, kernel, bias: all as after batch 1.
    assert_eq!(m.get_weights(), snaps.after_batch[2]);
}

#[test]
fn an_overflowing_update_is_caught_right_after_it() {
    let x = Tensor::from_vec(&[1, 1], vec![10.0]);
    let y = Tensor::zeros(&[1, 1]);
    let mut m = Sequential::new(&[1]).seed(0);
    m.add(Dense::new(1).kernel_initializer(Initializer::Ones));
    m.compile(Optimizer::sgd(3e38), Loss::MeanSquaredError, &[]);
    let d = diverged(m.fit(&x, &y, &options(2, 1), &mut []).unwrap_err());
    assert_eq!((d.epoch, d.batch, d.found), (0, 0, NonFiniteIn::Weight));
    assert_eq!((d.layer.clone(), d.variable), (Some((0, "dense".to_string())), Some("kernel")));
    assert_eq!((d.weights, d.iterations, d.learning_rate), (KeptWeights::AfterBadStep, 0, 3e38));
    assert!(d.to_string().contains("use a checkpoint"), "{d}");
}

#[test]
fn continue_trains_through_nan_as_keras_and_train_on_batch_is_unguarded() {
    let (x, y) = regression();
    let keras = FitOptions { on_divergence: OnDivergence::Continue, ..options(2, 2) };
    let history = mlp(1e30).fit(&x, &y, &keras, &mut []).unwrap();
    assert!(!history.last("loss").unwrap().is_finite());
    let mut m = mlp(1e30);
    for _ in 0..4 {
        m.train_on_batch(&x, &y, None).unwrap();
    }
    assert!(m.get_weights().iter().any(|w| w.data().iter().any(|v| !v.is_finite())));
}
