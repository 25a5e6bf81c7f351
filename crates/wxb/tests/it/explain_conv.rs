//! `explain` on a convnet: each chosen output value of a convolution is its patch's dot product
//! with its filter plus the bias, through the activation, and the whole recomputation agrees with
//! the engine.

use wxb::explain::{ExplainOptions, LayerChoice, LayerStep, NeuronChoice, Reading, explain};
use wxb::prelude::*;

fn model() -> (Sequential, Vec<f32>) {
    let mut m = Sequential::new(&[6, 6, 1]).seed(3);
    m.add(Conv2D::new(3, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
    m.add(Conv2D::new(2, [2, 2]).strides([2, 2]).activation(Activation::Tanh));
    m.add(Flatten::new());
    m.add(Dense::new(3).activation(Activation::Softmax));
    let mut weights = m.get_weights();
    weights[1] = Tensor::from_vec(&[3], vec![0.1, -0.2, 0.3]);
    m.set_weights(&weights).unwrap();
    let x: Vec<f32> = (0..36).map(|i| ((i * 7 % 11) as f32) / 11.0).collect();
    (m, x)
}

fn pixel_names() -> Vec<String> {
    (0..36).map(|i| format!("pixel[{},{}]", i / 6, i % 6)).collect()
}

#[test]
fn each_conv_output_is_its_patch_dot_its_filter_plus_bias() {
    let (m, x) = model();
    let classes = Reading::Classes(vec!["a".into(), "b".into(), "c".into()]);
    let opts = ExplainOptions { input_names: pixel_names(), reading: classes, top: 4, ..ExplainOptions::default() };
    let e = explain(&m, &x, &opts).unwrap();
    assert!(e.output.max_abs_difference < 1e-5, "{}", e.output.max_abs_difference);
    let mut seen = 0;
    for layer in &e.layers {
        let LayerStep::Conv { outputs, activation, filters, .. } = &layer.step else { continue };
        assert!(!outputs.is_empty(), "layer {} shows its chosen outputs", layer.name);
        for o in outputs {
            seen += 1;
            let dot: f64 = o.patch.iter().zip(&o.kernel).map(|(a, b)| a * b).sum();
            assert!((dot - o.dot).abs() < 1e-12, "{}: Σ patch·kernel {dot} vs {}", o.name, o.dot);
            let listed: f64 = o.terms.iter().map(|t| t.product).sum::<f64>() + o.others.as_ref().map_or(0.0, |r| r.sum);
            assert!((listed - o.dot).abs() < 1e-12, "{}: the terms add up", o.name);
            assert_eq!(o.z, o.dot + o.bias.unwrap());
            let want = match activation {
                Activation::Relu => o.z.max(0.0),
                Activation::Tanh => o.z.tanh(),
                other => panic!("{other}"),
            };
            assert!((o.output - want).abs() < 1e-12, "{}", o.name);
            assert_eq!(o.index % filters, o.filter);
            let at: Vec<String> = o.position.iter().chain([&o.filter]).map(usize::to_string).collect();
            assert_eq!(o.name, format!("{}[{}]", layer.name, at.join(",")));
        }
    }
    assert!(seen >= 2, "both convolutions traced");
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains(r#""kind":"conv""#) && json.contains(r#""patch":["#), "{json}");
}

#[test]
fn a_chosen_position_and_filter_shows_its_patch_with_the_padding() {
    let (m, x) = model();
    // Output (0, 0), filter 2 of the first layer: index (0·6 + 0)·3 + 2; same padding puts the
    // patch's first row and column outside the image.
    let opts = ExplainOptions {
        input_names: pixel_names(),
        layers: LayerChoice::Only(0),
        neuron: NeuronChoice::Only(2),
        top: 0,
        ..ExplainOptions::default()
    };
    let e = explain(&m, &x, &opts).unwrap();
    let LayerStep::Conv { outputs, kernel_size, padding, .. } = &e.layers[0].step else { panic!("{:?}", e.layers[0]) };
    assert_eq!((kernel_size.as_slice(), *padding), ([3, 3].as_slice(), Padding::Same));
    let o = &outputs[0];
    assert_eq!((o.position.as_slice(), o.filter, o.origin.as_slice()), ([0, 0].as_slice(), 2, [-1, -1].as_slice()));
    assert_eq!(o.patch.len(), 9);
    assert_eq!(&o.patch[..4], &[0.0, 0.0, 0.0, 0.0]);
    assert_eq!(o.patch[4], f64::from(x[0]));
    // Only the 4 taps inside the image are products; the kernel is the filter's column of Keras' kernel.
    assert_eq!(o.terms.len(), 4);
    assert!(o.terms.iter().any(|t| t.name == "pixel[1,1]"));
    let k = m.layers()[0].weights()[0].value.data();
    assert_eq!(o.kernel[4], f64::from(k[4 * 3 + 2]));
}
