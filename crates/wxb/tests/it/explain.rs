//! `wxb::explain`: the hand-computed calculation of one sample agrees with the engine, neuron by
//! neuron and layer by layer; the weight tracer's formulas reproduce the engine's steps exactly.

use wxb::explain::{
    ExplainOptions, Explainer, LayerChoice, LayerStep, NeuronChoice, Prediction, Reading, WeightRef, WeightTracer,
    explain, p,
};
use wxb::layers::{LayerNormalization, Mode};
use wxb::optim::{Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lamb, Lion, Nadam, RmsProp, Sgd};
use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::{Callback, Logs};

fn blobs(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = WxbRng::new(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let c = i % 3;
        x.extend((0..4).map(|j| if j == c { 2.0 } else { 0.0 } + rng.normal()));
        y.push(c as f32);
    }
    (Tensor::from_vec(&[n, 4], x), Tensor::from_vec(&[n, 1], y))
}

/// Dense → BatchNormalization → Activation → Dropout → Dense → LayerNormalization → Dense(softmax),
/// trained a little so that every statistic is non-trivial.
fn trained_mixed_model() -> (Sequential, Tensor) {
    let (x, y) = blobs(90, 1);
    let mut m = Sequential::new(&[4]).seed(3);
    m.add(Dense::new(8));
    m.add(BatchNormalization::new());
    m.add(ActivationLayer::new(Activation::Tanh));
    m.add(Dropout::new(0.3));
    m.add(Dense::new(6).activation(Activation::Relu));
    m.add(LayerNormalization::new());
    m.add(Dense::new(3).activation(Activation::Softmax));
    m.compile(Optimizer::adam().with_learning_rate(0.01), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[]);
    m.fit(&x, &y, &FitOptions { epochs: 3, batch_size: 16, ..FitOptions::default() }, &mut []).unwrap();
    (m, x)
}

fn classes() -> Reading {
    Reading::Classes(vec!["a".into(), "b".into(), "c".into()])
}

#[test]
fn every_layer_agrees_with_the_engine_and_every_neuron_adds_up() {
    let (mut m, x) = trained_mixed_model();
    let row = x.row(5).to_vec();
    let opts = ExplainOptions { reading: classes(), top: 2, per_layer: 2, ..ExplainOptions::default() };
    let e = explain(&m, &row, &opts).unwrap();
    assert_eq!(e.layers.len(), 7);
    assert!(e.output.max_abs_difference < 1e-5, "{}", e.output.max_abs_difference);
    let engine: Vec<Vec<f32>> = {
        m.forward(&Tensor::from_vec(&[1, 4], row.clone()), Mode::Infer);
        (0..7).map(|i| m.activation(i).data().to_vec()).collect()
    };
    let close = |a: f64, b: f32| (a - f64::from(b)).abs() < 1e-5 * (1.0 + a.abs());
    for layer in &e.layers {
        let out = &engine[layer.index];
        match &layer.step {
            LayerStep::Dense { neurons, .. } => {
                assert!(!neurons.is_empty());
                for n in neurons {
                    let listed: f64 = n.terms.iter().map(|t| t.product).sum();
                    let rest = n.others.as_ref().map_or(0.0, |o| o.sum);
                    assert!((listed + rest - n.dot).abs() < 1e-12, "{n:?}");
                    assert!(n.terms.windows(2).all(|t| t[0].product.abs() >= t[1].product.abs()));
                    assert!(n.terms.iter().all(|t| t.product == t.x * t.w));
                    assert!((n.dot + n.bias.unwrap_or(0.0) - n.z).abs() < 1e-12);
                    assert!(close(n.output, out[n.neuron]), "{}: {} vs {}", n.name, n.output, out[n.neuron]);
                    let cos = n.similarity.cosine.unwrap();
                    assert!((-1.0..=1.0).contains(&cos));
                    assert!((cos * n.similarity.x_norm * n.similarity.w_norm - n.dot).abs() < 1e-9);
                }
            }
            LayerStep::Normalization { features, .. } => {
                for f in features {
                    let y = f.gamma.unwrap_or(1.0) * f.normalized + f.beta.unwrap_or(0.0);
                    assert!((y - f.output).abs() < 1e-12 && close(f.output, out[f.index]), "{f:?}");
                }
            }
            LayerStep::Activation { values, .. } | LayerStep::Dropout { values, .. } => {
                assert!(values.iter().all(|v| close(v.output, out[v.index])));
            }
            other => panic!("no such step in this model: {other:?}"),
        }
    }
    // The output layer shows the predicted class's neuron, named after its class.
    let Prediction::Class { index, name, probability } = &e.output.prediction else { panic!("classes") };
    let LayerStep::Dense { neurons, .. } = &e.layers[6].step else { panic!("dense") };
    assert_eq!((neurons.len(), neurons[0].neuron), (1, *index));
    assert_eq!(neurons[0].class.as_deref(), Some(name.as_str()));
    assert!((neurons[0].output - probability).abs() < 1e-15);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["layers"][6]["step"]["kind"], "dense");
    assert_eq!(json["layers"][1]["step"]["statistics"], "moving");
    assert!(json["layers"][0]["step"]["neurons"][0]["terms"][0]["product"].is_number());
}

#[test]
fn layer_outputs_are_the_engines_activations() {
    let (mut m, x) = trained_mixed_model();
    let row = x.row(7).to_vec();
    let explainer = Explainer::new(&m, &row, &[]).unwrap();
    let ours: Vec<Vec<f64>> = (0..7).map(|i| explainer.layer_output(i).unwrap().to_vec()).collect();
    assert!(explainer.layer_output(7).is_none(), "past the last layer");
    m.forward(&Tensor::from_vec(&[1, 4], row.clone()), Mode::Infer);
    for (i, ours) in ours.iter().enumerate() {
        let engine = m.activation(i).data();
        assert_eq!(ours.len(), engine.len(), "layer {i}");
        for (a, &b) in ours.iter().zip(engine) {
            assert!((a - f64::from(b)).abs() < 1e-5 * (1.0 + a.abs()), "layer {i}: {a} vs {b}");
        }
    }
}

#[test]
fn hidden_neurons_that_matter_most_have_the_largest_terms_above() {
    // Two inputs, three hidden neurons, one output: the output's terms are h·(1, −5, 0.1).
    let mut m = Sequential::new(&[2]).seed(0);
    m.add(Dense::new(3));
    m.add(Dense::new(1));
    m.set_weights(&[
        Tensor::from_vec(&[2, 3], vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
        Tensor::zeros(&[3]),
        Tensor::from_vec(&[3, 1], vec![1.0, -5.0, 0.1]),
        Tensor::zeros(&[1]),
    ])
    .unwrap();
    let opts = ExplainOptions { per_layer: 2, ..ExplainOptions::default() };
    let e = explain(&m, &[2.0, 7.0], &opts).unwrap();
    let LayerStep::Dense { neurons, .. } = &e.layers[0].step else { panic!() };
    assert_eq!(neurons.iter().map(|n| n.neuron).collect::<Vec<_>>(), [1, 0]);
    let LayerStep::Dense { neurons, .. } = &e.layers[1].step else { panic!() };
    assert_eq!(neurons[0].terms[0].name, "dense[1]");
    assert!((neurons[0].z - (2.0 - 10.0 + 0.2)).abs() < 1e-7, "{}", neurons[0].z);
    // One layer, one neuron, on request.
    let one = ExplainOptions { layers: LayerChoice::Only(0), neuron: NeuronChoice::Only(2), ..opts };
    let e = explain(&m, &[2.0, 7.0], &one).unwrap();
    assert_eq!(e.layers.len(), 1);
    let LayerStep::Dense { neurons, .. } = &e.layers[0].step else { panic!() };
    assert_eq!(neurons[0].neuron, 2);
}

#[test]
fn bad_requests_are_errors() {
    let (m, x) = trained_mixed_model();
    let row = x.row(0).to_vec();
    let o = ExplainOptions::default();
    assert!(explain(&m, &row[..3], &o).is_err());
    assert!(explain(&m, &row, &ExplainOptions { layers: LayerChoice::Only(7), ..o.clone() }).is_err());
    let neuron = ExplainOptions { layers: LayerChoice::Only(4), neuron: NeuronChoice::Only(6), ..o.clone() };
    assert!(explain(&m, &row, &neuron).is_err());
    assert!(explain(&m, &row, &ExplainOptions { neuron: NeuronChoice::Only(0), ..o.clone() }).is_err());
    assert!(explain(&m, &row, &ExplainOptions { per_layer: 0, ..o }).is_err());
}

#[test]
fn weight_specs_name_the_valid_ranges() {
    let (m, _) = trained_mixed_model();
    let w = WeightRef::resolve("4:7:5", &m).unwrap();
    assert_eq!((w.layer, w.variable, w.offset, w.optimizer_variable), (4, "kernel", 7 * 6 + 5, 4));
    assert_eq!(w.to_string(), "dense_1/kernel[7, 5]");
    let b = WeightRef::resolve("dense_2:bias:2", &m).unwrap();
    assert_eq!((b.layer, b.optimizer_variable), (6, 9), "kernels, biases, gammas and betas before it");
    let err = |s: &str| WeightRef::resolve(s, &m).unwrap_err().to_string();
    assert!(err("4:8:0").contains("ROW in 0..=7 and COL in 0..=5"), "{}", err("4:8:0"));
    assert!(err("9:0:0").contains("0..=6"), "{}", err("9:0:0"));
    assert!(err("3:0:0").contains("no trainable weights"), "{}", err("3:0:0"));
    assert!(err("0:bias:8").contains("BIAS in 0..=7"), "{}", err("0:bias:8"));
    assert!(err("1:moving_mean:0").contains("gamma [8], beta [8]"), "{}", err("1:moving_mean:0"));
    assert!(err("0:1").contains("LAYER:ROW:COL"));
}

/// Records a weight's value after every batch, to compare with a trace of another run.
struct Recorder(WeightRef, Vec<f32>);

impl Callback for Recorder {
    fn on_batch_end(&mut self, model: &mut Sequential, _batch: usize, _logs: &Logs) {
        self.1.push(self.0.value(model));
    }
}

fn traced_run(optimizer: Optimizer, spec: &str) -> Vec<wxb::explain::WeightStep> {
    let (x, y) = blobs(60, 2);
    let build = || {
        let mut m = Sequential::new(&[4]).seed(5);
        m.add(Dense::new(5).activation(Activation::Relu));
        m.add(Dense::new(3).activation(Activation::Softmax));
        m.compile(optimizer.clone(), Loss::SPARSE_CATEGORICAL_CROSSENTROPY, &[]);
        m
    };
    let opts = FitOptions { epochs: 3, batch_size: 16, ..FitOptions::default() };
    let mut traced = build();
    let weight = WeightRef::resolve(spec, &traced).unwrap();
    let mut tracer = WeightTracer::new(weight.clone());
    traced.fit(&x, &y, &opts, &mut [&mut tracer]).unwrap();
    let mut plain = build();
    let mut recorder = Recorder(weight.clone(), Vec::new());
    plain.fit(&x, &y, &opts, &mut [&mut recorder]).unwrap();
    let steps = tracer.steps();
    let name = optimizer.config().rule.class_name();
    assert_eq!(steps.len(), 12, "{name}: 3 epochs of 4 batches");
    let after: Vec<f32> = steps.iter().map(|s| s.w_after).collect();
    assert_eq!(after, recorder.1, "{name}: the traced values are the untraced run's weights");
    assert_eq!(steps.last().unwrap().w_after, weight.value(&traced));
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s.step, i as u64 + 1);
        assert_eq!(s.rule.new_value.to_bits(), s.w_after.to_bits(), "{name} step {i}: {:?}", s.rule);
        assert_eq!(s.rule.rule, name);
        assert_eq!(
            s.rule.equations.last().unwrap().value.to_bits(),
            s.w_after.to_bits(),
            "{name}: the last equation is w"
        );
        assert_eq!(s.rule.slots.len(), s.slots_after.len(), "{name}: every slot is replayed");
        for (slot, moved) in &s.rule.slots {
            let engine = s.slots_after.iter().find(|(n, _)| n == slot).unwrap().1;
            assert_eq!(moved.new.to_bits(), engine.to_bits(), "{name} step {i} slot {slot}");
        }
        if i > 0 {
            assert_eq!(s.w_before, steps[i - 1].w_after);
        }
    }
    assert!(steps.iter().any(|s| s.change() != 0.0), "{name}: the weight never moved");
    steps.to_vec()
}

#[test]
fn sgd_with_momentum_traces_match_the_engine() {
    let steps = traced_run(Optimizer::new(Sgd { momentum: 0.9, nesterov: false }).with_learning_rate(0.1), "0:1:2");
    let (rule, g) = (&steps[1].rule, steps[1].g);
    let [(_, v)] = rule.slots[..] else { panic!("{rule:?}") };
    assert_eq!(v.old, steps[0].slots_after[0].1, "the velocity carries over from the step before");
    assert_eq!(v.new, v.old * 0.9 - g * 0.1);
    let velocity = rule.equations.iter().find(|e| e.name == "v").unwrap();
    assert_eq!(velocity.formula, "v ← μ·v − lr·g");
    assert_eq!(velocity.numbers, format!("0.9·{} − 0.1·{}", p(v.old), p(g)));
}

#[test]
fn adam_traces_match_the_engine() {
    let steps = traced_run(Optimizer::adam().with_learning_rate(0.01), "1:bias:0");
    let alpha = steps[2].rule.value("α").unwrap();
    assert_eq!(alpha, 0.01 * (1.0 - 0.999f32.powf(3.0)).sqrt() / (1.0 - 0.9f32.powf(3.0)));
    let numbers = &steps[2].rule.equations.iter().find(|e| e.name == "α").unwrap().numbers;
    assert_eq!(numbers, "0.01·√(1 − 0.999^3)/(1 − 0.9^3)");
    traced_run(Optimizer::new(Adam { amsgrad: true, ..Adam::default() }).with_clipping(Clipping::Norm(0.1)), "0:0:0");
}

#[test]
fn lamb_traces_show_the_trust_ratio_of_the_whole_variable() {
    let steps = traced_run(Optimizer::lamb().with_learning_rate(0.01), "0:2:4");
    for s in &steps {
        let (w_norm, u_norm) = (s.rule.value("‖w‖").unwrap(), s.rule.value("‖u‖").unwrap());
        assert!(w_norm > s.w_before.abs(), "the norm is over the whole kernel: {w_norm} vs {}", s.w_before);
        assert_eq!(s.rule.value("r"), Some(w_norm / u_norm));
        let step = s.rule.equations.last().unwrap();
        assert_eq!(step.formula, "w ← w − (r·lr)·u");
    }
}

#[test]
fn every_other_rule_traces_match_the_engine() {
    let rules = [
        Optimizer::sgd(0.1),
        Optimizer::new(Sgd { momentum: 0.5, nesterov: true }),
        Optimizer::rmsprop(),
        Optimizer::new(RmsProp { momentum: 0.5, centered: true, ..RmsProp::default() }),
        Optimizer::new(RmsProp { centered: true, ..RmsProp::default() }),
        Optimizer::new(AdamW::default()).with_learning_rate(0.01),
        Optimizer::new(AdamW { amsgrad: true, ..AdamW::default() }),
        Optimizer::new(Sgd { momentum: 0.9, nesterov: false }).with_weight_decay(Some(0.05)),
        Optimizer::new(Adagrad::default()).with_learning_rate(0.1),
        Optimizer::new(Adadelta::default()).with_learning_rate(1.0),
        Optimizer::new(Adamax::default()),
        Optimizer::new(Nadam::default()),
        Optimizer::new(Ftrl { l1_regularization_strength: 0.001, beta: 0.5, ..Ftrl::default() })
            .with_learning_rate(0.1),
        Optimizer::new(Lion::default()),
        Optimizer::new(Lamb::default()).with_learning_rate(0.01),
        Optimizer::new(Lamb::default()).with_weight_decay(Some(0.05)).with_clipping(Clipping::GlobalNorm(0.5)),
    ];
    for optimizer in rules {
        traced_run(optimizer, "1:3:1");
    }
}
