//! The built-in callbacks in real `fit` runs on tiny data, and directly. The exact decision rules
//! are checked against Keras 3.15.1 in `callbacks/golden.rs`.

#[path = "callbacks/golden.rs"]
mod golden;

use wxb::prelude::*;
use wxb::train::{Direction, LrReduction, Monitor, NonFiniteLoss, Shuffle, TrainParams};

/// `y = 2x + 1` on `n` points of `[0, 1)`.
fn line(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[n, 1], (0..n).map(|i| i as f32 / n as f32).collect());
    let y = x.map(|v| 2.0 * v + 1.0);
    (x, y)
}

fn model(lr: f32) -> Sequential {
    let mut model = Sequential::new(&[1]).seed(7);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(lr), Loss::MeanSquaredError, &[]);
    model
}

fn options(epochs: usize, batch_size: usize) -> FitOptions {
    FitOptions { epochs, batch_size, shuffle: Shuffle::Never, ..FitOptions::default() }
}

/// Records the weights and logs at each epoch end and the logs at train end.
#[derive(Default)]
struct Recorder {
    weights: Vec<Vec<Tensor>>,
    logs: Vec<Logs>,
    end_logs: Option<Logs>,
}

impl Callback for Recorder {
    fn on_epoch_end(&mut self, model: &mut Sequential, _epoch: usize, logs: &Logs) {
        self.weights.push(model.get_weights());
        self.logs.push(logs.clone());
    }

    fn on_train_end(&mut self, _model: &mut Sequential, logs: &Logs) {
        self.end_logs = Some(logs.clone());
    }
}

#[test]
fn early_stopping_stops_fit_after_patience_on_a_plateau() {
    let (x, y) = line(8);
    // A zero learning rate and one batch per epoch: the loss is exactly the same every epoch.
    let mut m = model(0.0);
    let mut es = EarlyStopping::new().monitor("loss").patience(2);
    let history = m.fit(&x, &y, &options(10, 8), &mut [&mut es]).unwrap();
    assert_eq!(history.epochs, vec![0, 1, 2]);
    assert_eq!(es.stopped_epoch(), Some(2));
    assert_eq!(es.best_epoch(), Some(0));
    assert_eq!(es.best(), history.get("loss").map(|l| l[0]));
    assert_eq!(es.wait(), 2);
    assert_eq!(es.restored_epoch(), None);
    assert!(es.issues().is_empty());
}

#[test]
fn early_stopping_restores_the_best_epoch_whether_or_not_it_stopped() {
    let (x, y) = line(8);
    for (patience, epochs_run, stopped) in [(2, 3, Some(2)), (100, 4, None)] {
        let mut m = model(0.1);
        let mut rec = Recorder::default();
        // The loss falls every epoch, so in Max mode the first epoch stays the best.
        let mut es = EarlyStopping::new()
            .monitor("loss")
            .mode(MonitorMode::Max)
            .patience(patience)
            .final_weights(FinalWeights::Best);
        let history = m.fit(&x, &y, &options(4, 4), &mut [&mut rec, &mut es]).unwrap();
        assert_eq!(history.epochs.len(), epochs_run, "patience {patience}");
        assert_eq!(es.stopped_epoch(), stopped, "patience {patience}");
        assert_eq!(es.restored_epoch(), Some(0), "patience {patience}");
        assert_ne!(rec.weights[0], rec.weights[epochs_run - 1], "training moved the weights");
        assert_eq!(m.get_weights(), rec.weights[0], "patience {patience}: epoch 0's weights are back");
    }
}

#[test]
fn early_stopping_is_reset_by_each_fit() {
    let (x, y) = line(8);
    let mut m = model(0.0);
    let mut es = EarlyStopping::new().monitor("loss").patience(1);
    for _ in 0..2 {
        let history = m.fit(&x, &y, &options(10, 8), &mut [&mut es]).unwrap();
        assert_eq!(history.epochs, vec![0, 1]);
        assert_eq!(es.stopped_epoch(), Some(1));
    }
}

#[test]
fn early_stopping_records_a_missing_monitor_and_trains_on() {
    let (x, y) = line(8);
    let mut m = model(0.1);
    // Monitors val_loss by default, but there is no validation data.
    let mut es = EarlyStopping::new();
    let history = m.fit(&x, &y, &options(3, 4), &mut [&mut es]).unwrap();
    assert_eq!(history.epochs, vec![0, 1, 2]);
    assert_eq!(es.stopped_epoch(), None);
    assert_eq!(es.best(), None);
    let want: Vec<CallbackIssue> = (0..3)
        .map(|epoch| CallbackIssue::MissingMonitor {
            epoch,
            monitor: "val_loss".into(),
            available: vec!["loss".into()],
        })
        .collect();
    assert_eq!(es.issues(), want.as_slice());
    assert!(es.issues()[0].to_string().contains("`val_loss` is not available"));
}

#[test]
fn an_undecidable_auto_mode_stops_fit_and_is_recorded() {
    let (x, y) = line(8);
    let opts = FitOptions { validation_split: 0.25, ..options(5, 4) };
    let mut m = model(0.1);
    let mut es = EarlyStopping::new().monitor("val_auc");
    let history = m.fit(&x, &y, &opts, &mut [&mut es]).unwrap();
    assert_eq!(history.epochs, vec![0]);
    assert_eq!(es.issues(), &[CallbackIssue::UnknownDirection { epoch: 0, monitor: "val_auc".into() }]);

    let mut m = model(0.1);
    let mut lr = ReduceLROnPlateau::new().monitor("auc");
    let history = m.fit(&x, &y, &opts, &mut [&mut lr]).unwrap();
    assert_eq!(history.epochs, vec![0]);
    assert_eq!(lr.issues(), &[CallbackIssue::UnknownDirection { epoch: 0, monitor: "auc".into() }]);

    // An explicit mode needs no inference.
    let mut m = model(0.1);
    let mut es = EarlyStopping::new().monitor("val_auc").mode(MonitorMode::Max).patience(9);
    let history = m.fit(&x, &y, &opts, &mut [&mut es]).unwrap();
    assert_eq!(history.epochs.len(), 5);
}

#[test]
fn reduce_lr_on_plateau_lowers_the_rate_fit_uses_and_logs_it() {
    let (x, y) = line(8);
    let mut m = model(0.1);
    // The loss falls every epoch, so in Max mode every epoch after the first is a plateau.
    let mut plateau = ReduceLROnPlateau::new().monitor("loss").mode(MonitorMode::Max).patience(1).factor(0.5);
    let mut rec = Recorder::default();
    let history = m.fit(&x, &y, &options(5, 4), &mut [&mut plateau, &mut rec]).unwrap();
    let rates = [0.1f32, 0.1, 0.05, 0.025, 0.0125];
    let logged: Vec<f64> = rates.iter().map(|&r| f64::from(r)).collect();
    assert_eq!(history.get("learning_rate"), Some(logged.as_slice()), "History sees the added key");
    assert!(rec.logs.iter().zip(&logged).all(|(l, &r)| l.get("learning_rate") == Some(&r)), "later callbacks see it");
    assert_eq!(rec.end_logs.as_ref().and_then(|l| l.get("learning_rate")), Some(&f64::from(0.0125f32)));
    assert_eq!(m.optimizer().unwrap().current_learning_rate(), 0.00625);
    let epochs: Vec<usize> = plateau.reductions().iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, vec![1, 2, 3, 4]);
    assert_eq!(plateau.reductions()[0], LrReduction { epoch: 1, from: 0.1, to: 0.05 });
}

#[test]
fn reduce_lr_on_plateau_respects_min_lr_in_fit() {
    let (x, y) = line(8);
    let mut m = model(0.1);
    let mut plateau = ReduceLROnPlateau::new().monitor("loss").mode(MonitorMode::Max).patience(0).min_lr(0.02);
    let history = m.fit(&x, &y, &options(4, 8), &mut [&mut plateau]).unwrap();
    let logged: Vec<f64> = [0.1f32, 0.1, 0.02, 0.02].iter().map(|&r| f64::from(r)).collect();
    assert_eq!(history.get("learning_rate"), Some(logged.as_slice()));
    assert_eq!(plateau.reductions(), &[LrReduction { epoch: 1, from: 0.1, to: 0.02 }], "at min_lr: no more");
}

#[test]
#[should_panic(expected = "factor >= 1.0")]
fn reduce_lr_on_plateau_refuses_a_factor_of_one() {
    let _ = ReduceLROnPlateau::new().factor(1.0);
}

#[test]
fn learning_rate_scheduler_sets_the_rate_before_each_epoch() {
    let (x, y) = line(8);
    let mut m = model(0.5);
    let mut sched = LearningRateScheduler::new(|epoch, _| if epoch == 0 { 0.1 } else { 0.0 });
    let mut rec = Recorder::default();
    let history = m.fit(&x, &y, &options(3, 4), &mut [&mut sched, &mut rec]).unwrap();
    assert_eq!(history.get("learning_rate"), Some([f64::from(0.1f32), 0.0, 0.0].as_slice()));
    // Epoch 0 trained at 0.1 (not the compiled 0.5), the later epochs did not move the weights.
    let mut reference = model(0.1);
    reference.fit(&x, &y, &options(1, 4), &mut []).unwrap();
    assert_eq!(rec.weights[0], reference.get_weights());
    assert_eq!(rec.weights[1], rec.weights[0]);
    assert_eq!(rec.weights[2], rec.weights[0]);
    assert!(sched.issues().is_empty());
}

#[test]
fn learning_rate_scheduler_receives_the_epoch_and_current_rate() {
    let (x, y) = line(4);
    let mut m = model(0.2);
    let mut sched = LearningRateScheduler::new(|epoch, lr| lr / (epoch as f32 + 1.0));
    let opts = FitOptions { initial_epoch: 1, ..options(4, 4) };
    let history = m.fit(&x, &y, &opts, &mut [&mut sched]).unwrap();
    let want: Vec<f64> = [0.2f32 / 2.0, 0.2 / 2.0 / 3.0, 0.2 / 2.0 / 3.0 / 4.0].iter().map(|&r| f64::from(r)).collect();
    assert_eq!(history.epochs, vec![1, 2, 3]);
    assert_eq!(history.get("learning_rate"), Some(want.as_slice()));
}

#[test]
fn terminate_on_nan_stops_fit_at_the_diverging_batch() {
    let x = Tensor::from_vec(&[4, 1], vec![1000.0, 2000.0, 3000.0, 4000.0]);
    let y = Tensor::zeros(&[4, 1]);
    // A huge rate: the first step throws the weights to ~1e36, the second batch's loss overflows.
    // Keras trains on through NaN; wxb's divergence guard would stop first, so turn it off.
    let keras = FitOptions { on_divergence: wxb::train::OnDivergence::Continue, ..options(3, 1) };
    let mut unguarded = model(1e30);
    let history = unguarded.fit(&x, &y, &keras, &mut []).unwrap();
    assert_eq!(history.epochs.len(), 3, "without the callback training runs on");
    let mut m = model(1e30);
    let mut guard = TerminateOnNaN::new();
    let mut rec = Recorder::default();
    let history = m.fit(&x, &y, &keras, &mut [&mut guard, &mut rec]).unwrap();
    assert_eq!(history.epochs, vec![0], "the epoch still ends");
    let stop = guard.stopped_at().expect("stopped");
    assert_eq!((stop.epoch, stop.batch), (0, 1));
    assert!(!stop.loss.is_finite());
    assert!(rec.end_logs.is_some(), "on_train_end runs");
}

#[test]
fn terminate_on_nan_knows_the_epoch_and_ignores_finite_losses() {
    let mut m = model(0.1);
    let mut guard = TerminateOnNaN::new();
    let params = TrainParams { epochs: 9, initial_epoch: 2, steps: 3, samples: 3, validation_samples: 0 };
    guard.on_train_begin(&mut m, &params);
    guard.on_batch_end(&mut m, 0, &Logs::from([("loss".into(), f64::MAX)]));
    assert!(!m.is_stopping());
    guard.on_epoch_begin(&mut m, 3);
    guard.on_batch_end(&mut m, 2, &Logs::from([("loss".into(), f64::NEG_INFINITY)]));
    assert!(m.is_stopping());
    assert_eq!(guard.stopped_at(), Some(NonFiniteLoss { epoch: 3, batch: 2, loss: f64::NEG_INFINITY }));
}

#[test]
fn auto_mode_follows_the_key_and_the_compiled_metrics() {
    let mut m = Sequential::new(&[1]);
    m.add(Dense::new(2));
    m.compile(Optimizer::sgd(0.1), Loss::MeanSquaredError, &[Metric::Accuracy, Metric::MeanAbsoluteError]);
    let resolve = |key: &str, mode| Monitor::new(key, mode, 0.0).resolve(&m);
    assert_eq!(resolve("loss", MonitorMode::Auto), Some(Direction::Down));
    assert_eq!(resolve("val_loss", MonitorMode::Auto), Some(Direction::Down));
    assert_eq!(resolve("val_accuracy", MonitorMode::Auto), Some(Direction::Up));
    assert_eq!(resolve("mae", MonitorMode::Auto), Some(Direction::Down));
    assert_eq!(resolve("mse", MonitorMode::Auto), None, "not compiled");
    assert_eq!(resolve("val_val_loss", MonitorMode::Auto), None, "one prefix only");
    assert_eq!(resolve("accuracy", MonitorMode::Min), Some(Direction::Down));
    assert_eq!(resolve("mse", MonitorMode::Max), Some(Direction::Up));
}

#[test]
fn improvement_needs_min_delta_and_compares_as_f32() {
    let mon = Monitor::new("loss", MonitorMode::Min, -0.1);
    assert_eq!(mon.min_delta(), 0.1);
    assert!(mon.is_improvement(Direction::Down, 5.0, None));
    assert!(mon.is_improvement(Direction::Down, f64::NAN, None));
    assert!(mon.is_improvement(Direction::Down, 0.85, Some(1.0)));
    assert!(!mon.is_improvement(Direction::Down, 0.95, Some(1.0)));
    assert!(mon.is_improvement(Direction::Up, 1.15, Some(1.0)));
    assert!(!mon.is_improvement(Direction::Up, 1.05, Some(1.0)));
    let exact = Monitor::new("acc", MonitorMode::Max, 0.0);
    assert!(!exact.is_improvement(Direction::Up, 0.1 + 1e-12, Some(0.1)), "equal as f32");
    assert!(!exact.is_improvement(Direction::Up, f64::NAN, Some(0.1)));
    assert!(exact.is_improvement(Direction::Up, 0.1 + 1e-7, Some(0.1)));
}

#[test]
fn early_stopping_baseline_is_the_best_until_training_begins() {
    let mut m = model(0.1);
    let mut es = EarlyStopping::new().baseline(0.5);
    assert_eq!(es.best(), Some(0.5));
    es.on_train_begin(
        &mut m,
        &TrainParams { epochs: 1, initial_epoch: 0, steps: 1, samples: 1, validation_samples: 0 },
    );
    assert_eq!(es.best(), None);
}
