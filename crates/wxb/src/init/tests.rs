use super::*;

#[test]
fn names_round_trip() {
    for i in Initializer::ALL {
        let parsed: Initializer = i.name().parse().unwrap();
        assert_eq!(parsed.name(), i.name());
    }
    assert!("glorot".parse::<Initializer>().unwrap_err().to_string().contains("glorot_uniform"));
    assert_eq!("STFT".parse::<Initializer>().unwrap(), Initializer::STFT);
    assert!("stf".parse::<Initializer>().unwrap_err().to_string().contains("stft"));
    let json = serde_json::to_string(&Initializer::STFT).unwrap();
    assert_eq!(json, "\"stft\"");
    let hamming =
        Initializer::Stft { side: StftSide::Imag, window: Some(StftWindow::Hamming), scaling: None, periodic: true };
    let json = serde_json::to_string(&hamming).unwrap();
    assert_eq!(json, r#"{"stft":{"side":"imag","window":"hamming","scaling":null,"periodic":true}}"#);
    assert_eq!(serde_json::from_str::<Initializer>(&json).unwrap(), hamming);
}

#[test]
fn json_accepts_keras_names_and_parameters() {
    assert_eq!(serde_json::from_str::<Initializer>("\"he_normal\"").unwrap(), Initializer::HeNormal);
    let custom = Initializer::RandomNormal { mean: 1.0, stddev: 0.5 };
    let json = serde_json::to_string(&custom).unwrap();
    assert_eq!(serde_json::from_str::<Initializer>(&json).unwrap(), custom);
    assert_eq!(serde_json::to_string(&Initializer::GlorotUniform).unwrap(), "\"glorot_uniform\"");
}

#[test]
fn glorot_uniform_stays_within_its_limit() {
    let mut rng = WxbRng::new(0);
    let w = Initializer::GlorotUniform.init(&[784, 256], &mut rng);
    let limit = (6.0f32 / (784.0 + 256.0)).sqrt();
    assert!(w.data().iter().all(|x| x.abs() <= limit));
    assert!(w.data().iter().any(|x| x.abs() > 0.95 * limit));
}

#[test]
fn orthogonal_has_orthonormal_columns_or_rows() {
    let mut rng = WxbRng::new(1);
    for shape in [[6usize, 4], [4, 6], [5, 5]] {
        let q = Initializer::Orthogonal { gain: 1.0 }.init(&shape, &mut rng);
        let g = if shape[0] >= shape[1] { q.transpose().matmul(&q) } else { q.matmul(&q.transpose()) };
        for i in 0..g.rows() {
            for j in 0..g.cols() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g.at(&[i, j]) - want).abs() < 1e-5, "{shape:?} gram[{i},{j}] = {}", g.at(&[i, j]));
            }
        }
    }
}

#[test]
fn identity_and_same_seed_same_values() {
    let mut rng = WxbRng::new(0);
    let i = Initializer::Identity { gain: 2.0 }.init(&[2, 3], &mut rng);
    assert_eq!(i.data(), &[2., 0., 0., 0., 2., 0.]);
    let a = Initializer::HeNormal.init(&[10, 10], &mut WxbRng::new(5));
    let b = Initializer::HeNormal.init(&[10, 10], &mut WxbRng::new(5));
    assert_eq!(a, b);
}
