//! `summary()` against Keras' text (`tests/fixtures/summary_*.txt`, from `tests/fixtures/keras/summary.py`).

use wxb::prelude::*;

#[test]
fn mixed_layers_summary_matches_keras() {
    // Keras numbers its Dense layers globally: the script built `dense`…`dense_2` before.
    let mut model = Sequential::new(&[28, 28]).named("sequential_1");
    model.add(Flatten::new());
    model.add(Dense::new(64).named("dense_3"));
    model.add(BatchNormalization::new());
    model.add(Dropout::new(0.2));
    model.add(ActivationLayer::new(Activation::Relu));
    model.add(LayerNormalization::new());
    model.add(Dense::new(1).named("dense_4"));
    assert_eq!(model.summary(), include_str!("../fixtures/summary_mixed.txt"));
}

#[test]
fn convnet_summary_matches_keras() {
    let mut model = Sequential::new(&[28, 28, 1]).named("sequential_2");
    model.add(Conv2D::new(32, [3, 3]).activation(Activation::Relu));
    model.add(Conv2D::new(64, [3, 3]).strides([2, 2]).padding(Padding::Same).activation(Activation::Relu));
    model.add(Flatten::new().named("flatten_1"));
    model.add(Dense::new(10).activation(Activation::Softmax).named("dense_5"));
    assert_eq!(model.summary(), include_str!("../fixtures/summary_conv.txt"));
}

#[test]
fn pooling_summary_matches_keras() {
    let mut model = Sequential::new(&[28, 28, 1]).named("sequential_3");
    model.add(Rescaling::new(1.0 / 255.0, 0.0));
    model.add(ZeroPadding2D::new([[0, 1], [2, 1]]));
    model.add(Conv2D::new(8, [3, 3]).activation(Activation::Relu).named("conv2d_2"));
    model.add(MaxPooling2D::new([2, 2]));
    model.add(SpatialDropout2D::new(0.2));
    model.add(AveragePooling2D::new([3, 3]).strides([2, 2]).padding(Padding::Same));
    model.add(GlobalMaxPooling2D::new().keepdims(true));
    model.add(Reshape::new(&[-1, 4]));
    model.add(MaxPooling1D::new([2]).padding(Padding::Same));
    model.add(AveragePooling1D::new([1]));
    model.add(GlobalAveragePooling1D::new());
    model.add(Dense::new(3).named("dense_6"));
    assert_eq!(model.summary(), include_str!("../fixtures/summary_pooling.txt"));
}
