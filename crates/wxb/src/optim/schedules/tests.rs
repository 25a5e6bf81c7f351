//! Hand-computed values and serialisation of the schedules (Keras' golden values are in
//! `tests/it/optimizers.rs`).

use super::*;

#[test]
fn exponential_and_inverse_time_staircase_floor_the_exponent() {
    let smooth = ExponentialDecay::new(0.1, 10, 0.5);
    assert_eq!(smooth.at(0), 0.1);
    assert!((smooth.at(5) - 0.1 * 0.5f32.sqrt()).abs() < 1e-8);
    let stairs = ExponentialDecay { progression: Progression::Staircase, ..smooth };
    assert_eq!(stairs.at(19), 0.1 * 0.5);
    assert_eq!(stairs.at(25), 0.1 * 0.25);
    let inverse = InverseTimeDecay::new(1.0, 2, 0.5);
    assert_eq!(inverse.at(4), 0.5);
    assert_eq!(InverseTimeDecay { progression: Progression::Staircase, ..inverse }.at(3), 1.0 / 1.5);
}

#[test]
fn piecewise_boundaries_belong_to_the_interval_below() {
    let s = PiecewiseConstantDecay::new(vec![10, 20], vec![1.0, 0.5, 0.1]);
    let got: Vec<f32> = [0, 10, 11, 20, 21, 1000].iter().map(|&t| s.at(t)).collect();
    assert_eq!(got, [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]);
}

#[test]
fn polynomial_holds_or_cycles() {
    let hold = PolynomialDecay::new(1.0, 10);
    assert_eq!(hold.at(0), 1.0);
    assert!((hold.at(5) - (0.9999 * 0.5 + 1e-4)).abs() < 1e-7);
    assert_eq!(hold.at(50), 1e-4);
    let cycle = PolynomialDecay { after_decay: AfterDecay::Cycle, ..hold };
    // Step 15 lies in the second period of length 20: p = 15/20.
    assert!((cycle.at(15) - (0.9999 * 0.25 + 1e-4)).abs() < 1e-7);
}

#[test]
fn cosine_decays_to_alpha_after_a_linear_warmup() {
    let s = CosineDecay { alpha: 0.1, ..CosineDecay::new(1.0, 10) };
    assert_eq!(s.at(0), 1.0);
    assert!((s.at(5) - 0.55).abs() < 1e-6);
    assert!((s.at(100) - 0.1).abs() < 1e-7);
    let warm = CosineDecay { warmup_target: Some(2.0), warmup_steps: 4, ..CosineDecay::new(0.0, 10) };
    assert_eq!(warm.at(1), 0.5);
    assert_eq!(warm.at(4), 2.0);
    assert!((warm.at(9) - 1.0).abs() < 1e-6);
}

#[test]
fn cosine_restarts_begin_each_period_at_m_mul_to_the_restart() {
    let s = CosineDecayRestarts { m_mul: 0.5, ..CosineDecayRestarts::new(1.0, 10) };
    // Periods [0, 10), [10, 30), [30, 70).
    assert_eq!(s.at(0), 1.0);
    assert!((s.at(5) - 0.5).abs() < 1e-6);
    assert!((s.at(10) - 0.5).abs() < 1e-6);
    assert!((s.at(20) - 0.25).abs() < 1e-6);
    assert!((s.at(30) - 0.25).abs() < 1e-6);
    let constant_period = CosineDecayRestarts { t_mul: 1.0, ..CosineDecayRestarts::new(1.0, 10) };
    assert!((constant_period.at(25) - 0.5).abs() < 1e-6);
}

#[test]
fn serialises_as_keras_does() {
    assert_eq!(serde_json::to_string(&LearningRate::Constant(0.5)).unwrap(), "0.5");
    let s = LearningRate::from(ExponentialDecay::new(0.1, 100, 0.96));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"class_name": "ExponentialDecay", "config": {
            "initial_learning_rate": 0.10000000149011612, "decay_steps": 100,
            "decay_rate": 0.9599999785423279, "staircase": false}})
    );
    assert_eq!(serde_json::from_value::<LearningRate>(json).unwrap(), s);
}

#[test]
fn reads_keras_serialised_schedules() {
    // keras.optimizers.schedules.serialize(PolynomialDecay(0.1, 1000, power=0.5, cycle=True)).
    let keras = r#"{"module": "keras.optimizers.schedules", "class_name": "PolynomialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 1000, "end_learning_rate": 0.0001,
                   "power": 0.5, "cycle": true, "name": "PolynomialDecay"},
        "registered_name": null}"#;
    let lr: LearningRate = serde_json::from_str(keras).unwrap();
    let want = PolynomialDecay { power: 0.5, after_decay: AfterDecay::Cycle, ..PolynomialDecay::new(0.1, 1000) };
    assert_eq!(lr, LearningRate::PolynomialDecay(want));
    let minimal: LearningRate = serde_json::from_str(
        r#"{"class_name": "CosineDecayRestarts", "config": {"initial_learning_rate": 1.0, "first_decay_steps": 5}}"#,
    )
    .unwrap();
    assert_eq!(minimal, LearningRate::CosineDecayRestarts(CosineDecayRestarts::new(1.0, 5)));
}

#[test]
fn rejects_what_keras_rejects() {
    let zero = r#"{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}}"#;
    let err = serde_json::from_str::<LearningRate>(zero).unwrap_err().to_string();
    assert!(err.contains("decay_steps"), "{err}");
    let lengths = LearningRate::from(PiecewiseConstantDecay::new(vec![1, 2], vec![0.1, 0.2]));
    assert_eq!(lengths.validate().unwrap_err().schedule, "PiecewiseConstantDecay");
    assert!(LearningRate::from(PiecewiseConstantDecay::new(vec![], vec![0.1])).validate().is_err());
    assert!(serde_json::from_str::<LearningRate>(r#"{"class_name": "Warmup", "config": {}}"#).is_err());
    assert!(LearningRate::Constant(0.1).validate().is_ok());
}
