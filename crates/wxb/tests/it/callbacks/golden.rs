//! Replays `tests/fixtures/callbacks.json`, written by `tests/fixtures/keras/callbacks.py` from
//! Keras 3.15.1 (TensorFlow 2.21): the same scripted logs through wxb's callbacks must give the same
//! waits, best values, stopped epochs, restored weights and learning rates, bit for bit.

use serde_json::Value;
use wxb::prelude::*;
use wxb::train::TrainParams;

fn fixture() -> Value {
    let text = include_str!("../../fixtures/callbacks.json");
    serde_json::from_str(text).expect("callbacks.json parses")
}

/// Floats are stored as Python `repr` strings so that they round-trip exactly; `null` is none.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.parse().unwrap_or_else(|_| panic!("bad float {s:?}"))),
        other => panic!("expected a float string or null, got {other}"),
    }
}

fn nums(v: &Value) -> Vec<Option<f64>> {
    v.as_array().expect("an array").iter().map(num).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().expect("an array").iter().map(|x| x.as_u64().expect("an integer") as usize).collect()
}

fn opt_usize(v: &Value) -> Option<usize> {
    v.as_u64().map(|x| x as usize)
}

/// Equal as numbers, or both NaN, or both absent.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || (a.is_nan() && b.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

fn assert_same_seq(name: &str, what: &str, got: &[Option<f64>], want: &[Option<f64>]) {
    assert!(
        got.len() == want.len() && got.iter().zip(want).all(|(g, w)| same(*g, *w)),
        "{name}: {what}: wxb {got:?}, Keras {want:?}"
    );
}

/// The model of the script: `Dense(1)` on one input, SGD, metrics `accuracy` and `mse`.
fn model_with(lr: f32) -> Sequential {
    let mut model = Sequential::new(&[1]);
    model.add(Dense::new(1));
    model.compile(Optimizer::sgd(lr), Loss::MeanSquaredError, &[Metric::Accuracy, Metric::MeanSquaredError]);
    model
}

fn set_marker(model: &mut Sequential, value: f32) {
    model.set_weights(&[Tensor::full(&[1, 1], value), Tensor::zeros(&[1])]).unwrap();
}

fn logs_for(monitor: &str, value: Option<f64>) -> Logs {
    let mut logs = Logs::from([("other".to_string(), 0.0)]);
    if let Some(v) = value {
        logs.insert(monitor.to_string(), v);
    }
    logs
}

fn mode(params: &Value) -> MonitorMode {
    match params["mode"].as_str().unwrap_or("auto") {
        "auto" => MonitorMode::Auto,
        "min" => MonitorMode::Min,
        "max" => MonitorMode::Max,
        other => panic!("unknown mode {other}"),
    }
}

fn early_stopping(params: &Value) -> EarlyStopping {
    let mut es = EarlyStopping::new().mode(mode(params));
    if let Some(m) = params["monitor"].as_str() {
        es = es.monitor(m);
    }
    if let Some(d) = num(&params["min_delta"]) {
        es = es.min_delta(d);
    }
    if let Some(p) = params["patience"].as_u64() {
        es = es.patience(p as usize);
    }
    if let Some(b) = num(&params["baseline"]) {
        es = es.baseline(b);
    }
    if params["restore_best_weights"].as_bool() == Some(true) {
        es = es.final_weights(FinalWeights::Best);
    }
    if let Some(s) = params["start_from_epoch"].as_u64() {
        es = es.start_from_epoch(s as usize);
    }
    es
}

fn issue_at(issues: &[CallbackIssue], epoch: usize, pred: impl Fn(&CallbackIssue) -> bool) -> bool {
    issues.iter().any(|i| i.epoch() == epoch && pred(i))
}

#[test]
fn early_stopping_matches_keras() {
    let fx = fixture();
    let scenarios = fx["early_stopping"].as_array().unwrap();
    assert!(scenarios.len() >= 20, "the fixture holds every scenario");
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap();
        let params = &sc["params"];
        let monitor = params["monitor"].as_str().unwrap_or("val_loss");
        let want = &sc["expected"];
        let mut model = model_with(0.01);
        let mut es = early_stopping(params);
        let train = TrainParams { epochs: 100, initial_epoch: 0, steps: 1, samples: 1, validation_samples: 0 };
        es.on_train_begin(&mut model, &train);
        let initial = sc["initial_epoch"].as_u64().unwrap() as usize;
        let (mut waits, mut bests, mut missing, mut raised, mut run) = (vec![], vec![], vec![], None, 0);
        for (i, value) in nums(&sc["values"]).into_iter().enumerate() {
            let epoch = initial + i;
            set_marker(&mut model, (epoch + 1) as f32);
            es.on_epoch_end_mut(&mut model, epoch, &mut logs_for(monitor, value));
            run += 1;
            if issue_at(es.issues(), epoch, |i| matches!(i, CallbackIssue::UnknownDirection { .. })) {
                assert!(model.is_stopping(), "{name}: an undecidable mode stops training");
                raised = Some(epoch);
                break;
            }
            if issue_at(es.issues(), epoch, |i| matches!(i, CallbackIssue::MissingMonitor { .. })) {
                missing.push(epoch);
            }
            waits.push(es.wait());
            bests.push(es.best());
            if model.is_stopping() {
                break;
            }
        }
        let mut restored = None;
        if raised.is_none() {
            set_marker(&mut model, 0.0);
            es.on_train_end(&mut model, &Logs::new());
            let kernel = model.get_weights()[0].data()[0];
            restored = (kernel != 0.0).then(|| kernel as usize - 1);
            assert_eq!(es.restored_epoch(), restored, "{name}: restored_epoch()");
        }
        assert_eq!(raised, opt_usize(&want["raised_at"]), "{name}: raised at");
        assert_eq!(run, want["epochs_run"].as_u64().unwrap() as usize, "{name}: epochs run");
        assert_eq!(waits, usizes(&want["wait"]), "{name}: wait per epoch");
        assert_same_seq(name, "best per epoch", &bests, &nums(&want["best"]));
        assert_eq!(missing, usizes(&want["missing"]), "{name}: epochs missing the monitor");
        let keras_stopped = want["stopped_epoch"].as_u64().unwrap() as usize;
        assert_eq!(es.stopped_epoch(), (keras_stopped > 0).then_some(keras_stopped), "{name}: stopped_epoch");
        let final_best = num(&want["final_best"]);
        assert!(same(es.best(), final_best), "{name}: best {:?}, Keras {final_best:?}", es.best());
        // Keras' best_epoch starts at 0; wxb says None until a value is judged.
        let keras_best_epoch = final_best.map(|_| want["best_epoch"].as_u64().unwrap() as usize);
        assert_eq!(es.best_epoch(), keras_best_epoch, "{name}: best_epoch");
        assert_eq!(restored, opt_usize(&want["restored_epoch"]), "{name}: restored epoch");
    }
}

fn reduce_lr(params: &Value) -> ReduceLROnPlateau {
    let mut r = ReduceLROnPlateau::new().mode(mode(params));
    if let Some(m) = params["monitor"].as_str() {
        r = r.monitor(m);
    }
    if let Some(f) = num(&params["factor"]) {
        r = r.factor(f);
    }
    if let Some(p) = params["patience"].as_u64() {
        r = r.patience(p as usize);
    }
    if let Some(d) = num(&params["min_delta"]) {
        r = r.min_delta(d);
    }
    if let Some(c) = params["cooldown"].as_u64() {
        r = r.cooldown(c as usize);
    }
    if let Some(m) = num(&params["min_lr"]) {
        r = r.min_lr(m);
    }
    r
}

#[test]
fn reduce_lr_on_plateau_matches_keras() {
    let fx = fixture();
    let scenarios = fx["reduce_lr_on_plateau"].as_array().unwrap();
    assert!(scenarios.len() >= 10, "the fixture holds every scenario");
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap();
        let params = &sc["params"];
        let monitor = params["monitor"].as_str().unwrap_or("val_loss");
        let want = &sc["expected"];
        let mut model = model_with(num(&sc["initial_lr"]).unwrap() as f32);
        let mut cb = reduce_lr(params);
        let train = TrainParams { epochs: 100, initial_epoch: 0, steps: 1, samples: 1, validation_samples: 0 };
        cb.on_train_begin(&mut model, &train);
        let (mut logged, mut after, mut waits, mut cooldowns, mut bests) = (vec![], vec![], vec![], vec![], vec![]);
        let (mut missing, mut raised) = (vec![], None);
        for (epoch, value) in nums(&sc["values"]).into_iter().enumerate() {
            let mut logs = logs_for(monitor, value);
            cb.on_epoch_end_mut(&mut model, epoch, &mut logs);
            if issue_at(cb.issues(), epoch, |i| matches!(i, CallbackIssue::UnknownDirection { .. })) {
                assert!(model.is_stopping(), "{name}: an undecidable mode stops training");
                raised = Some(epoch);
                break;
            }
            if issue_at(cb.issues(), epoch, |i| matches!(i, CallbackIssue::MissingMonitor { .. })) {
                missing.push(epoch);
            }
            logged.push(logs.get("learning_rate").copied());
            after.push(Some(f64::from(model.optimizer().unwrap().current_learning_rate())));
            waits.push(cb.wait());
            cooldowns.push(cb.cooldown_counter());
            bests.push(cb.best());
        }
        assert_eq!(raised, opt_usize(&want["raised_at"]), "{name}: raised at");
        assert_same_seq(name, "logged learning_rate", &logged, &nums(&want["logged_lr"]));
        assert_same_seq(name, "learning rate after each epoch", &after, &nums(&want["lr_after"]));
        assert_eq!(waits, usizes(&want["wait"]), "{name}: wait per epoch");
        assert_eq!(cooldowns, usizes(&want["cooldown"]), "{name}: cooldown per epoch");
        assert_same_seq(name, "best per epoch", &bests, &nums(&want["best"]));
        assert_eq!(missing, usizes(&want["missing"]), "{name}: epochs missing the monitor");
        // Every change of rate is a recorded reduction.
        let changes = after.windows(2).filter(|w| w[0] != w[1]).count()
            + usize::from(after.first().is_some_and(|a| *a != num(&sc["initial_lr"])));
        assert_eq!(cb.reductions().len(), changes, "{name}: recorded reductions");
    }
}

/// The schedules of the script, computed in `f64` and rounded once, as Keras does.
fn schedule(name: &str) -> LearningRateScheduler {
    match name {
        "halve_from_2" => {
            LearningRateScheduler::new(|epoch, lr| if epoch >= 2 { (f64::from(lr) * 0.5) as f32 } else { lr })
        }
        "exp_after_1" => {
            LearningRateScheduler::new(
                |epoch, lr| {
                    if epoch < 1 { lr } else { (f64::from(lr) * (-0.1f64).exp()) as f32 }
                },
            )
        }
        "inverse_epoch" => LearningRateScheduler::new(|epoch, _| (0.1 / (epoch as f64 + 1.0)) as f32),
        other => panic!("unknown schedule {other}"),
    }
}

#[test]
fn learning_rate_scheduler_matches_keras() {
    let fx = fixture();
    for sc in fx["learning_rate_scheduler"].as_array().unwrap() {
        let name = sc["schedule"].as_str().unwrap();
        let mut model = model_with(num(&sc["initial_lr"]).unwrap() as f32);
        let mut cb = schedule(name);
        let (mut begin, mut logged) = (vec![], vec![]);
        for epoch in 0..sc["epochs"].as_u64().unwrap() as usize {
            cb.on_epoch_begin(&mut model, epoch);
            begin.push(Some(f64::from(model.optimizer().unwrap().current_learning_rate())));
            let mut logs = Logs::from([("loss".to_string(), 1.0)]);
            cb.on_epoch_end_mut(&mut model, epoch, &mut logs);
            logged.push(logs.get("learning_rate").copied());
        }
        assert_same_seq(name, "rate at epoch begin", &begin, &nums(&sc["expected"]["lr_at_begin"]));
        assert_same_seq(name, "logged learning_rate", &logged, &nums(&sc["expected"]["logged_lr"]));
        assert!(cb.issues().is_empty(), "{name}: {:?}", cb.issues());
    }
}

#[test]
fn terminate_on_nan_matches_keras() {
    let fx = fixture();
    for sc in fx["terminate_on_nan"].as_array().unwrap() {
        let name = sc["name"].as_str().unwrap();
        let mut model = model_with(0.01);
        let mut cb = TerminateOnNaN::new();
        let train = TrainParams { epochs: 100, initial_epoch: 0, steps: 1, samples: 1, validation_samples: 0 };
        cb.on_train_begin(&mut model, &train);
        let mut stopped = None;
        'epochs: for (epoch, batches) in sc["losses"].as_array().unwrap().iter().enumerate() {
            cb.on_epoch_begin(&mut model, epoch);
            for (batch, loss) in nums(batches).into_iter().enumerate() {
                let logs = loss.map_or_else(Logs::new, |l| Logs::from([("loss".to_string(), l)]));
                cb.on_batch_end(&mut model, batch, &logs);
                if model.is_stopping() {
                    stopped = Some(vec![epoch, batch]);
                    break 'epochs;
                }
            }
        }
        let want = sc["expected"]["stopped_at"].as_array().map(|a| a.iter().map(|v| v.as_u64().unwrap() as usize));
        assert_eq!(stopped, want.map(Iterator::collect), "{name}: stopped at");
        assert_eq!(cb.stopped_at().map(|s| vec![s.epoch, s.batch]), stopped, "{name}: stopped_at()");
    }
}
