//! Keras' `MaxPooling2D` and `AveragePooling2D` over channels-last images (see `layers/pool/`).

use serde::{Deserialize, Serialize};

use super::conv::{Padding, int_or_list};
use super::pool::{PoolCore, PoolOp, PoolSpec, Window, opt_int_or_list, twos};
use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode};
use super::{SampleValues, Scratch};
use crate::error::WxbError;
use crate::tensor::Tensor;

pooling_kind! {
    /// The largest value of each window of each channel.
    ///
    /// # Shapes
    /// `x: [batch, h, w, c] → y: [batch, oh, ow, c]`, `oh`, `ow` as [`Padding`] says for the pool
    /// size and strides; `y[n, oy, ox, ch] = max` of the window's real cells (padded cells take
    /// no part). Backward: `dy` goes to the first largest cell of each window (TensorFlow's rule).
    MaxPooling2D, MaxPooling2DConfig, PoolOp::Max, 2, pool_size default "twos"
}

pooling_kind! {
    /// The mean of each window of each channel.
    ///
    /// # Shapes
    /// `x: [batch, h, w, c] → y: [batch, oh, ow, c]`; `y = Σ cells / count` over the window's real
    /// cells (with `same` padding, edge windows divide by fewer cells, as Keras does). Backward:
    /// each cell gets `dy / count` from every window holding it.
    AveragePooling2D, AveragePooling2DConfig, PoolOp::Average, 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Tensor {
        Tensor::from_vec(&[1, 3, 3, 1], vec![1., 5., 2., 4., 5., 0., 7., 8., 9.])
    }

    #[test]
    fn max_pools_and_routes_the_gradient_to_the_first_largest() {
        let mut p = MaxPooling2D::new([2, 2]).strides([1, 1]).named("p");
        p.build(&[3, 3, 1], 0);
        assert_eq!(p.output_shape(), [2, 2, 1]);
        let s = &mut Scratch::default();
        let y = p.call(&image(), Mode::Train, s);
        assert_eq!(y.data(), &[5., 5., 8., 9.]);
        let mut dx = Tensor::default();
        p.backward(&image(), &y, &Tensor::from_vec(&[1, 2, 2, 1], vec![1., 2., 3., 4.]), Some(&mut dx), s);
        // Window 0 has 5 twice (cells 1 and 4): the first takes the gradient.
        assert_eq!(dx.data(), &[0., 3., 0., 0., 0., 0., 0., 3., 4.]);
    }

    #[test]
    fn same_average_divides_by_the_real_cells() {
        let mut p = AveragePooling2D::new([2, 2]).padding(Padding::Same).named("p");
        p.build(&[3, 3, 1], 0);
        assert_eq!(p.output_shape(), [2, 2, 1]);
        let y = p.call(&image(), Mode::Infer, &mut Scratch::default());
        assert_eq!(y.data(), &[15. / 4., 1., 15. / 2., 9.]);
    }

    #[test]
    fn config_reads_keras_json_with_default_strides() {
        let c: LayerConfig =
            serde_json::from_str(r#"{"class_name": "MaxPooling2D", "config": {"pool_size": 3}}"#).unwrap();
        let LayerConfig::MaxPooling2D(k) = &c else { panic!("{c:?}") };
        assert_eq!((k.pool_size, k.strides, k.padding), ([3, 3], None, Padding::Valid));
        assert_eq!(c.validate(&[7, 8, 2]).unwrap().output_shape, [2, 2, 2]);
        let back: LayerConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let e = c.validate(&[2, 8, 2]).unwrap_err().to_string();
        assert!(e.contains("max_pooling2d") && e.contains("[3, 3]") && e.contains("[2, 8, 2]"), "{e}");
    }
}
