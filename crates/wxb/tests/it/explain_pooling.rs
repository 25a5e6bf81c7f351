//! `explain` through the pooling and image layers: the recomputation agrees with the engine, each
//! chosen pooling output is the max or the mean of the window it lists, and the other layers say
//! what they did.

use wxb::explain::{ExplainOptions, LayerStep, explain};
use wxb::layers::PoolOp;
use wxb::prelude::*;

fn model() -> (Sequential, Vec<f32>) {
    let mut m = Sequential::new(&[6, 6, 1]).seed(3);
    m.add(Rescaling::new(0.5, -0.25));
    m.add(ZeroPadding2D::new([[1, 0], [0, 1]]));
    m.add(Conv2D::new(3, [3, 3]).activation(Activation::Relu));
    m.add(MaxPooling2D::new([2, 2]));
    m.add(AveragePooling2D::new([2, 2]).strides([1, 1]).padding(Padding::Same));
    m.add(SpatialDropout2D::new(0.5));
    m.add(Reshape::new(&[-1, 3]));
    m.add(GlobalAveragePooling1D::new());
    m.add(Dense::new(2).activation(Activation::Softmax));
    let x: Vec<f32> = (0..36).map(|i| ((i * 7 % 11) as f32) / 11.0).collect();
    (m, x)
}

#[test]
fn pooling_outputs_are_the_max_or_mean_of_their_windows() {
    let (m, x) = model();
    let names: Vec<String> = (0..36).map(|i| format!("pixel[{},{}]", i / 6, i % 6)).collect();
    let e = explain(&m, &x, &ExplainOptions { input_names: names, ..ExplainOptions::default() }).unwrap();
    assert!(e.output.max_abs_difference < 1e-5, "{}", e.output.max_abs_difference);
    let mut kinds = Vec::new();
    for layer in &e.layers {
        match &layer.step {
            LayerStep::Pooling { operation, outputs, .. } => {
                assert!(!outputs.is_empty(), "{}", layer.name);
                for o in outputs {
                    let v: Vec<f64> = o.inputs.iter().map(|i| i.x).collect();
                    let want = match operation {
                        PoolOp::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        PoolOp::Average => v.iter().sum::<f64>() / v.len() as f64,
                    };
                    assert!((o.output - want).abs() < 1e-12, "{}: {} vs {want}", o.name, o.output);
                    assert_eq!(o.argmax.is_some(), *operation == PoolOp::Max, "{}", o.name);
                    if let Some(a) = o.argmax {
                        assert_eq!(o.inputs[a].x, o.output);
                    }
                }
                kinds.push("pooling");
            }
            LayerStep::Rescaling { scale, offset, values } => {
                values.iter().for_each(|v| assert_eq!(v.output, v.x * scale + offset));
                kinds.push("rescaling");
            }
            LayerStep::ZeroPadding { padding, output_shape, .. } => {
                assert_eq!((*padding, output_shape.as_slice()), ([[1, 0], [0, 1]], &[7, 7, 1][..]));
                kinds.push("zero_padding");
            }
            LayerStep::Reshape { output_shape, .. } => {
                assert_eq!(output_shape, &[4, 3]);
                kinds.push("reshape");
            }
            _ => {}
        }
    }
    for kind in ["pooling", "rescaling", "zero_padding", "reshape"] {
        assert!(kinds.contains(&kind), "{kind} traced: {kinds:?}");
    }
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains(r#""kind":"pooling""#) && json.contains(r#""operation":"max""#), "{json}");
}
