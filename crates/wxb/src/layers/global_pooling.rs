//! Keras' `GlobalAveragePooling2D/1D` and `GlobalMaxPooling2D/1D`: one value per channel, the
//! mean or max over every position (a pooling window as large as the input, see `layers/pool/`).

use serde::{Deserialize, Serialize};

use super::pool::{PoolCore, PoolOp, PoolSpec, Window};
use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode};
use super::{SampleValues, Scratch};
use crate::error::WxbError;
use crate::tensor::Tensor;

global_pooling_kind! {
    /// The mean of each channel over the image.
    ///
    /// # Shapes
    /// `x: [batch, h, w, c] → y: [batch, c]` (`[batch, 1, 1, c]` with `keepdims`),
    /// `y[n, ch] = Σ_{i,j} x[n, i, j, ch] / (h·w)`. Backward: `dx = dy / (h·w)` everywhere.
    GlobalAveragePooling2D, GlobalAveragePooling2DConfig, PoolOp::Average, 2
}

global_pooling_kind! {
    /// The mean of each channel over the steps.
    ///
    /// # Shapes
    /// `x: [batch, steps, c] → y: [batch, c]` (`[batch, 1, c]` with `keepdims`).
    GlobalAveragePooling1D, GlobalAveragePooling1DConfig, PoolOp::Average, 1
}

global_pooling_kind! {
    /// The largest value of each channel over the image.
    ///
    /// # Shapes
    /// `x: [batch, h, w, c] → y: [batch, c]` (`[batch, 1, 1, c]` with `keepdims`). Backward: the
    /// positions equal to the max share `dy` equally (TensorFlow's `reduce_max` gradient).
    GlobalMaxPooling2D, GlobalMaxPooling2DConfig, PoolOp::Max, 2
}

global_pooling_kind! {
    /// The largest value of each channel over the steps.
    ///
    /// # Shapes
    /// `x: [batch, steps, c] → y: [batch, c]` (`[batch, 1, c]` with `keepdims`). Backward: the
    /// steps equal to the max share `dy` equally.
    GlobalMaxPooling1D, GlobalMaxPooling1DConfig, PoolOp::Max, 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_channel() {
        let x = Tensor::from_vec(&[1, 2, 2, 2], vec![1., 8., 3., 2., 5., 4., 7., 6.]);
        let mut a = GlobalAveragePooling2D::new().named("a");
        a.build(&[2, 2, 2], 0);
        assert_eq!(a.output_shape(), [2]);
        assert_eq!(a.call(&x, Mode::Infer, &mut Scratch::default()).data(), &[4., 5.]);
        let mut m = GlobalMaxPooling2D::new().keepdims(true).named("m");
        m.build(&[2, 2, 2], 0);
        assert_eq!(m.output_shape(), [1, 1, 2]);
        let y = m.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!((y.shape(), y.data()), (&[1, 1, 1, 2][..], &[7., 8.][..]));
        let e = GlobalAveragePooling1DConfig::default().into();
        let e: LayerConfig = e;
        let e = e.validate(&[4, 4, 2]).unwrap_err().to_string();
        assert!(e.contains("global_average_pooling1d") && e.contains("[4, 4, 2]"), "{e}");
    }
}
