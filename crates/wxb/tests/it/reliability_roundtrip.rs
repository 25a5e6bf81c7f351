//! Round trips: for random architectures (Dense with random units, activations and initializers,
//! Dropout, BatchNormalization, LayerNormalization, Activation, Flatten, on random input shapes),
//! trained a little with a random optimizer, save → load → predict is bit-identical, and training
//! on from the loaded model (optimizer state, dropout masks and batch statistics included) is
//! bit-identical to training on without saving.

use std::collections::BTreeMap;

use proptest::prelude::*;
use wxb::init::Initializer;
use wxb::io::{self, OptimizerState};
use wxb::layers::LayerConfig;
use wxb::optim::Rule;
use wxb::prelude::*;
use wxb::rng::WxbRng;
use wxb::train::Shuffle;

/// One hidden layer, before it is fitted to the shape it receives.
#[derive(Clone, Debug)]
enum Pick {
    Dense { units: usize, activation: usize, kernel: usize, bias: usize, use_bias: bool },
    Dropout(f32),
    BatchNorm,
    LayerNorm,
    Activation(usize),
    Flatten,
}

const ACTIVATIONS: [Activation; 8] = [
    Activation::Linear,
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Softmax,
    Activation::Elu { alpha: 1.0 },
    Activation::Gelu,
    Activation::LeakyRelu { negative_slope: 0.2 },
];

const VECTOR_INITS: [Initializer; 4] = [
    Initializer::Zeros,
    Initializer::Ones,
    Initializer::RandomNormal { mean: 0.1, stddev: 0.05 },
    Initializer::HeUniform,
];

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        (1usize..6, 0..ACTIVATIONS.len(), 0..Initializer::ALL.len(), 0..VECTOR_INITS.len(), any::<bool>()).prop_map(
            |(units, activation, kernel, bias, use_bias)| Pick::Dense { units, activation, kernel, bias, use_bias }
        ),
        (0.0f32..0.8).prop_map(Pick::Dropout),
        Just(Pick::BatchNorm),
        Just(Pick::LayerNorm),
        (0..ACTIVATIONS.len()).prop_map(Pick::Activation),
        Just(Pick::Flatten),
    ]
}

fn input_shape() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![(1usize..6).prop_map(|n| vec![n]), (1usize..4, 1usize..4).prop_map(|(a, b)| vec![a, b])]
}

/// The model: the picks (a Flatten added where a Dense needs one), then `Dense(2)`.
fn build(shape: &[usize], picks: &[Pick], seed: u64, rule: usize) -> Sequential {
    let mut m = Sequential::new(shape).seed(seed);
    let mut rank = shape.len();
    for p in picks {
        match *p {
            Pick::Dense { units, activation, kernel, bias, use_bias } => {
                if rank > 1 {
                    m.add(Flatten::new());
                }
                let mut d = Dense::new(units)
                    .activation(ACTIVATIONS[activation])
                    .kernel_initializer(Initializer::ALL[kernel])
                    .bias_initializer(VECTOR_INITS[bias]);
                if !use_bias {
                    d = d.without_bias();
                }
                m.add(d);
                rank = 1;
            }
            Pick::Dropout(rate) => m.add(Dropout::new(rate)),
            Pick::BatchNorm => m.add(BatchNormalization::new()),
            Pick::LayerNorm => m.add(LayerNormalization::new()),
            Pick::Activation(a) => m.add(ActivationLayer::new(ACTIVATIONS[a])),
            Pick::Flatten => {
                m.add(Flatten::new());
                rank = 1;
            }
        }
    }
    if rank > 1 {
        m.add(Flatten::new());
    }
    m.add(Dense::new(2));
    let rule = Rule::all_defaults()[rule].clone();
    m.compile(Optimizer::new(rule).with_learning_rate(0.01), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError]);
    m
}

fn data(shape: &[usize], seed: u64) -> (Tensor, Tensor) {
    let mut rng = WxbRng::new(seed);
    let mut xs = vec![12];
    xs.extend_from_slice(shape);
    let n: usize = xs.iter().product();
    let x = Tensor::from_vec(&xs, (0..n).map(|_| rng.normal()).collect());
    let y = Tensor::from_vec(&[12, 2], (0..24).map(|_| rng.normal()).collect());
    (x, y)
}

fn bits(weights: &[Tensor]) -> Vec<Vec<u32>> {
    weights.iter().map(|w| w.data().iter().map(|v| v.to_bits()).collect()).collect()
}

fn epochs(from: usize, to: usize) -> FitOptions {
    FitOptions { epochs: to, initial_epoch: from, batch_size: 5, shuffle: Shuffle::EveryEpoch, ..FitOptions::default() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn save_load_predict_and_resume_are_bit_identical(
        shape in input_shape(),
        picks in proptest::collection::vec(pick(), 0..5),
        seed in 0u64..1000,
        rule in 0..Rule::CLASS_NAMES.len(),
        trained in 0usize..3,
    ) {
        let (x, y) = data(&shape, seed);
        let mut m = build(&shape, &picks, seed, rule);
        if trained > 0 {
            m.fit(&x, &y, &epochs(0, trained), &mut []).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let meta = BTreeMap::from([("note".to_string(), serde_json::json!(picks.len()))]);
        io::save(&mut m, dir.path(), &meta, OptimizerState::Include).unwrap();
        let loaded = io::load(dir.path()).unwrap();
        prop_assert_eq!(&loaded.metadata, &meta);
        let mut back = loaded.model;
        let configs = |s: &Sequential| s.layers().iter().map(|l| l.config()).collect::<Vec<LayerConfig>>();
        prop_assert_eq!(configs(&back), configs(&m));
        prop_assert_eq!(bits(&back.get_weights()), bits(&m.get_weights()));
        prop_assert_eq!(bits(&[back.predict(&x, 4).unwrap()]), bits(&[m.predict(&x, 4).unwrap()]));
        // Training on: the same steps, masks and updates with or without the round trip.
        let h1 = m.fit(&x, &y, &epochs(trained, trained + 2), &mut []).unwrap();
        let h2 = back.fit(&x, &y, &epochs(trained, trained + 2), &mut []).unwrap();
        prop_assert_eq!(bits(&back.get_weights()), bits(&m.get_weights()));
        prop_assert_eq!(format!("{h1:?}"), format!("{h2:?}"));
        // Without the optimizer state: the same model, for inference.
        io::save(&mut m, dir.path(), &meta, OptimizerState::Exclude).unwrap();
        let slim = io::load(dir.path()).unwrap().model;
        prop_assert_eq!(bits(&[slim.predict(&x, 3).unwrap()]), bits(&[m.predict(&x, 3).unwrap()]));
    }
}
