//! Optimizers and learning-rate schedules against Keras 3.15.1 (TensorFlow 2.21 backend).
//!
//! The golden numbers in `fixtures/optimizers.json` come from `fixtures/keras/optimizers.py`: each
//! optimizer applies three steps of fixed gradients to a 2×3 kernel and a 3-vector bias; each
//! schedule is evaluated at a list of steps. Each optimizer here is built from Keras' own
//! serialised configuration, so the defaults and field names are checked too.

use std::sync::OnceLock;

use serde_json::Value;
use wxb::Tensor;
use wxb::constraints::Constraint;
use wxb::layers::Param;
use wxb::optim::{Clipping, LearningRate, Optimizer, OptimizerConfig, Rule};

fn fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| serde_json::from_str(include_str!("../fixtures/optimizers.json")).expect("valid JSON"))
}

fn floats(v: &Value) -> Vec<f32> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().expect("a number") as f32],
        other => panic!("not a number or an array: {other}"),
    }
}

fn tensor(v: &Value) -> Tensor {
    let data = floats(v);
    match v[0].as_array() {
        Some(row) => Tensor::from_vec(&[data.len() / row.len(), row.len()], data),
        None => Tensor::from_vec(&[data.len()], data),
    }
}

/// Agreement to 1e-6, relative for values above 1.
fn close(got: &[f32], want: &[f32]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{} values, want {}", got.len(), want.len()));
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let agrees = (g - w).abs() <= 1e-6 * w.abs().max(1.0);
        if !agrees {
            return Err(format!("[{i}] = {g}, Keras {w} (diff {:e})", (g - w).abs()));
        }
    }
    Ok(())
}

/// The optimizer described by Keras' `keras.optimizers.serialize(optimizer)`.
fn from_keras(keras: &Value) -> Optimizer {
    let rule: Rule = serde_json::from_value(keras.clone()).expect("Keras' optimizer config reads as a Rule");
    let c = &keras["config"];
    let learning_rate: LearningRate = serde_json::from_value(c["learning_rate"].clone()).expect("a learning rate");
    let number = |key: &str| c[key].as_f64().map(|v| v as f32);
    let clipping = match (number("clipnorm"), number("global_clipnorm"), number("clipvalue")) {
        (Some(n), _, _) => Clipping::Norm(n),
        (_, Some(n), _) => Clipping::GlobalNorm(n),
        (_, _, Some(v)) => Clipping::Value(v),
        _ => Clipping::None,
    };
    Optimizer::from_config(OptimizerConfig { rule, learning_rate, clipping, weight_decay: number("weight_decay") })
}

fn initial_params() -> [Param; 2] {
    let init = &fixture()["initial"];
    [Param::trainable("kernel", tensor(&init["kernel"])), Param::trainable("bias", tensor(&init["bias"]))]
}

fn set_gradients(params: &mut [Param; 2], step: usize) {
    let g = &fixture()["gradients"][step];
    params[0].grad = tensor(&g["kernel"]);
    params[1].grad = tensor(&g["bias"]);
}

fn step(optimizer: &mut Optimizer, params: &mut [Param; 2]) {
    let [kernel, bias] = params;
    optimizer.apply(&mut [kernel, bias]);
}

/// Replays one fixture case; returns what disagrees with Keras.
fn check_case(case: &Value) -> Result<(), String> {
    let mut optimizer = from_keras(&case["keras"]);
    let mut params = initial_params();
    if case["kernel_constraint"] == "NonNeg" {
        params[0].constraint = Some(Constraint::NonNeg);
    }
    for (i, want) in case["steps"].as_array().unwrap().iter().enumerate() {
        set_gradients(&mut params, i);
        step(&mut optimizer, &mut params);
        close(params[0].value.data(), &floats(&want["kernel"])).map_err(|e| format!("step {}: kernel{e}", i + 1))?;
        close(params[1].value.data(), &floats(&want["bias"])).map_err(|e| format!("step {}: bias{e}", i + 1))?;
    }
    if optimizer.iterations() != case["iterations"].as_u64().unwrap() {
        return Err(format!("iterations {}", optimizer.iterations()));
    }
    // Keras' optimizer.variables: iteration, learning_rate (unless a schedule), slots, scalars.
    let variables = case["variables"].as_array().unwrap();
    let size: usize = variables.iter().map(|v| floats(&v["value"]).len()).sum();
    if optimizer.keras_variables_size().0 != size {
        return Err(format!("{} optimizer values, Keras {size}", optimizer.keras_variables_size().0));
    }
    let path = |v: &Value| v["path"].as_str().unwrap().to_string();
    let rest: Vec<&Value> =
        variables.iter().filter(|v| !path(v).ends_with("/iteration") && !path(v).ends_with("/learning_rate")).collect();
    let state = optimizer.state();
    let (slots, scalars) = rest.split_at(state.tensors.len().min(rest.len()));
    if scalars.len() != state.scalars.len() {
        return Err(format!(
            "{} slots and {} scalars, Keras {} variables",
            state.tensors.len(),
            state.scalars.len(),
            rest.len()
        ));
    }
    for ((name, tensor), keras) in state.tensors.iter().zip(slots) {
        let (variable, slot) = name.split_once('.').unwrap();
        let stem = ["kernel", "bias"][variable.parse::<usize>().unwrap()];
        let keras_path = path(keras);
        if !keras_path.ends_with(&format!("/{stem}_{slot}")) {
            return Err(format!("state {name} where Keras has {keras_path}"));
        }
        close(tensor.data(), &floats(&keras["value"])).map_err(|e| format!("{keras_path}{e}"))?;
    }
    for ((name, value), keras) in state.scalars.iter().zip(scalars) {
        close(&[*value], &floats(&keras["value"])).map_err(|e| format!("{name}{e}"))?;
    }
    Ok(())
}

#[test]
fn optimizers_match_keras_step_by_step() {
    let cases = fixture()["optimizers"].as_array().unwrap();
    assert!(cases.len() >= 40, "the fixture lists {} optimizer cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check_case(c).err().map(|e| format!("{}: {e}", c["name"].as_str().unwrap())))
        .collect();
    assert!(failures.is_empty(), "disagreements with Keras:\n{}", failures.join("\n"));
}

#[test]
fn keras_default_configs_are_wxb_defaults() {
    for name in ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion", "lamb"] {
        let case = fixture()["optimizers"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
        let keras = from_keras(&case["keras"]);
        let ours = Optimizer::from_name(name).unwrap();
        assert_eq!(keras.config(), ours.config(), "{name}");
    }
    let constructors = [
        Optimizer::sgd(0.01),
        Optimizer::rmsprop(),
        Optimizer::adam(),
        Optimizer::adamw(),
        Optimizer::adagrad(),
        Optimizer::adadelta(),
        Optimizer::adamax(),
        Optimizer::nadam(),
        Optimizer::ftrl(),
        Optimizer::lion(),
        Optimizer::lamb(),
    ];
    for (o, name) in constructors.iter().zip(Rule::CLASS_NAMES) {
        assert_eq!(o.config(), Optimizer::from_name(name).unwrap().config());
    }
}

#[test]
fn schedules_match_keras() {
    let cases = fixture()["schedules"].as_array().unwrap();
    assert!(cases.len() >= 12, "the fixture lists {} schedules", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let schedule: LearningRate = serde_json::from_value(case["keras"].clone()).expect("Keras' schedule config");
        assert!(schedule.class_name().is_some(), "{name}");
        let steps = case["steps"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap());
        for (s, want) in steps.zip(floats(&case["values"])) {
            if let Err(e) = close(&[schedule.at(s)], &[want]) {
                failures.push(format!("{name} at step {s}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "disagreements with Keras:\n{}", failures.join("\n"));
}

/// Optimizers with every kind of state: slots, a schedule (iterations), Nadam's `u_product`.
fn stateful_optimizers() -> Vec<Optimizer> {
    use wxb::optim::*;
    vec![
        Optimizer::new(Sgd { momentum: 0.9, nesterov: true }).with_learning_rate(0.05),
        Optimizer::sgd(0.1).with_schedule(ExponentialDecay::new(0.1, 2, 0.5)),
        Optimizer::new(RmsProp { momentum: 0.5, centered: true, ..RmsProp::default() }),
        Optimizer::new(Adam { amsgrad: true, ..Adam::default() }).with_clipping(Clipping::GlobalNorm(1.0)),
        Optimizer::adamw().with_schedule(CosineDecay::new(0.01, 5)),
        Optimizer::adagrad(),
        Optimizer::adadelta().with_learning_rate(1.0),
        Optimizer::adamax(),
        Optimizer::nadam().with_clipping(Clipping::Norm(1.0)),
        Optimizer::new(Ftrl { l1_regularization_strength: 0.01, beta: 0.5, ..Ftrl::default() }),
        Optimizer::lion(),
        Optimizer::lamb().with_weight_decay(Some(0.01)),
    ]
}

fn train(optimizer: &mut Optimizer, params: &mut [Param; 2], steps: std::ops::Range<usize>) {
    for i in steps {
        set_gradients(params, i % 3);
        step(optimizer, params);
    }
}

fn bits(params: &[Param; 2]) -> Vec<u32> {
    params.iter().flat_map(|p| p.value.data().iter().map(|v| v.to_bits())).collect()
}

#[test]
fn restored_state_continues_bit_identically() {
    for mut uninterrupted in stateful_optimizers() {
        let name = uninterrupted.config().rule.class_name();
        let mut params = initial_params();
        train(&mut uninterrupted, &mut params, 0..3);
        let saved = uninterrupted.state();
        let mut resumed_params = params.clone();
        let mut fresh_params = params.clone();

        let mut resumed = Optimizer::from_config(uninterrupted.config().clone());
        resumed.restore_state(&saved).unwrap();
        assert_eq!(resumed.state(), saved, "{name}");
        let mut fresh = Optimizer::from_config(uninterrupted.config().clone());

        train(&mut uninterrupted, &mut params, 3..7);
        train(&mut resumed, &mut resumed_params, 3..7);
        train(&mut fresh, &mut fresh_params, 3..7);
        assert_eq!(bits(&resumed_params), bits(&params), "{name}: resumed training diverged");
        assert_eq!(resumed.state(), uninterrupted.state(), "{name}");
        assert_eq!(resumed.iterations(), 7);
        // The state matters: without it, training takes another path.
        assert_ne!(bits(&fresh_params), bits(&params), "{name}: the state made no difference");
    }
}

#[test]
fn state_names_slots_in_keras_order_with_scalars() {
    use wxb::optim::{Adam, Nadam, RmsProp};
    let names = |mut o: Optimizer| {
        let mut params = initial_params();
        train(&mut o, &mut params, 0..1);
        let s = o.state();
        (s.tensors.into_iter().map(|(n, _)| n).collect::<Vec<_>>(), s.scalars)
    };
    let (adam, none) = names(Optimizer::new(Adam { amsgrad: true, ..Adam::default() }));
    assert_eq!(adam, ["0.momentum", "0.velocity", "1.momentum", "1.velocity", "0.velocity_hat", "1.velocity_hat"]);
    assert!(none.is_empty());
    let (rmsprop, _) = names(Optimizer::new(RmsProp { momentum: 0.9, ..RmsProp::default() }));
    assert_eq!(rmsprop, ["0.velocity", "1.velocity", "0.momentum", "1.momentum"]);
    let (_, nadam) = names(Optimizer::new(Nadam::default()));
    assert_eq!(nadam, [("u_product".to_string(), 0.9f32 * (1.0 - 0.5 * 0.96))]);
    assert!(names(Optimizer::sgd(0.1)).0.is_empty());
}

#[test]
fn restore_rejects_states_of_other_shapes_and_changes_nothing() {
    use wxb::optim::{Nadam, Sgd, StateError};
    let mut adam = Optimizer::adam();
    train(&mut adam, &mut initial_params(), 0..2);
    let state = adam.state();

    let mut sgd = Optimizer::new(Sgd { momentum: 0.9, nesterov: false });
    let err = sgd.restore_state(&state).unwrap_err();
    assert!(matches!(&err, StateError::UnexpectedTensor { name, .. } if name == "0.velocity"), "{err}");
    assert_eq!((sgd.iterations(), sgd.slots().len()), (0, 0));

    let mut fresh = Optimizer::adam();
    let mut missing = state.clone();
    missing.tensors.retain(|(n, _)| n != "1.velocity");
    assert_eq!(fresh.restore_state(&missing), Err(StateError::MissingTensor { name: "1.velocity".into() }));
    let mut duplicated = state.clone();
    duplicated.tensors.push(state.tensors[0].clone());
    assert!(matches!(fresh.restore_state(&duplicated), Err(StateError::DuplicateTensor { .. })));
    let mut reshaped = state.clone();
    reshaped.tensors[1].1 = Tensor::zeros(&[3]);
    assert!(matches!(fresh.restore_state(&reshaped), Err(StateError::SlotShape { .. })));
    let mut far = state.clone();
    far.tensors[0].0 = "4000000000.momentum".into();
    assert!(matches!(fresh.restore_state(&far), Err(StateError::UnexpectedTensor { .. })));
    let mut extra_scalar = state.clone();
    extra_scalar.scalars.push(("u_product".into(), 1.0));
    assert!(matches!(fresh.restore_state(&extra_scalar), Err(StateError::Scalars { .. })));
    assert_eq!(fresh.iterations(), 0);

    let mut nadam = Optimizer::new(Nadam::default());
    train(&mut nadam, &mut initial_params(), 0..1);
    let mut no_scalar = nadam.state();
    no_scalar.scalars.clear();
    assert!(matches!(Optimizer::nadam().restore_state(&no_scalar), Err(StateError::Scalars { .. })));
    assert_eq!(state.tensor(1, "velocity").map(Tensor::shape), Some(&[3][..]));
}

#[test]
#[should_panic(expected = "optimizer built for 2 variables, got 1")]
fn apply_panics_when_the_variables_change() {
    let mut o = Optimizer::adam();
    let mut params = initial_params();
    train(&mut o, &mut params, 0..1);
    o.apply(&mut [&mut params[0]]);
}

#[test]
fn apply_without_variables_takes_no_step() {
    let mut o = Optimizer::adam();
    o.apply(&mut []);
    assert_eq!(o.iterations(), 0);
}

#[test]
fn every_config_survives_a_json_round_trip() {
    use wxb::optim::*;
    let mut rules: Vec<Rule> = Rule::all_defaults();
    rules.extend([
        Sgd { momentum: 0.9, nesterov: true }.into(),
        RmsProp { rho: 0.8, momentum: 0.5, epsilon: 1e-4, centered: true }.into(),
        Adam { beta_1: 0.8, beta_2: 0.99, epsilon: 1e-5, amsgrad: true }.into(),
        AdamW { amsgrad: true, ..AdamW::default() }.into(),
        Adagrad { initial_accumulator_value: 0.5, epsilon: 1e-3 }.into(),
        Adadelta { rho: 0.9, epsilon: 1e-6 }.into(),
        Adamax { beta_1: 0.8, beta_2: 0.95, epsilon: 1e-6 }.into(),
        Nadam { beta_1: 0.8, beta_2: 0.99, epsilon: 1e-6 }.into(),
        Ftrl {
            learning_rate_power: -0.7,
            initial_accumulator_value: 0.3,
            l1_regularization_strength: 0.05,
            l2_regularization_strength: 0.02,
            l2_shrinkage_regularization_strength: 0.1,
            beta: 0.5,
        }
        .into(),
        Lion { beta_1: 0.8, beta_2: 0.95 }.into(),
        Lamb { beta_1: 0.8, beta_2: 0.99, epsilon: 1e-4 }.into(),
    ]);
    let learning_rates: Vec<LearningRate> = vec![
        LearningRate::Constant(0.125),
        ExponentialDecay { progression: Progression::Staircase, ..ExponentialDecay::new(0.1, 10, 0.5) }.into(),
        PiecewiseConstantDecay::new(vec![10, 20], vec![1.0, 0.5, 0.1]).into(),
        PolynomialDecay { power: 0.5, after_decay: AfterDecay::Cycle, ..PolynomialDecay::new(0.1, 30) }.into(),
        InverseTimeDecay::new(0.1, 10, 0.5).into(),
        CosineDecay { alpha: 0.2, warmup_target: Some(0.1), warmup_steps: 10, ..CosineDecay::new(0.0, 40) }.into(),
        CosineDecayRestarts { t_mul: 1.5, m_mul: 0.8, alpha: 0.05, ..CosineDecayRestarts::new(0.1, 7) }.into(),
    ];
    let clippings = [Clipping::None, Clipping::Norm(1.0), Clipping::Value(0.5), Clipping::GlobalNorm(2.0)];
    for (i, rule) in rules.into_iter().enumerate() {
        let config = OptimizerConfig {
            learning_rate: learning_rates[i % learning_rates.len()].clone(),
            clipping: clippings[i % clippings.len()],
            weight_decay: (i % 2 == 0).then_some(0.01),
            rule,
        };
        let json = serde_json::to_string(&config).unwrap();
        let back: OptimizerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config, "{json}");
    }
    let adamw = serde_json::to_value(Optimizer::adamw().config()).unwrap();
    let want = r#"{"rule": {"class_name": "AdamW", "config": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false}},
                   "learning_rate": 0.001, "clipping": "none", "weight_decay": 0.004}"#;
    let want: Value = serde_json::from_str(want).unwrap();
    let as_f32 = |v: &Value| serde_json::from_value::<OptimizerConfig>(v.clone()).unwrap();
    assert_eq!(as_f32(&adamw), as_f32(&want));
    assert_eq!(adamw["rule"]["class_name"], "AdamW");
    assert!(adamw["learning_rate"].is_number());
}
