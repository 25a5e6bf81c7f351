//! Keras' `MaxPooling1D` and `AveragePooling1D` over channels-last sequences: the 2-D kinds with
//! height 1 (see `layers/pool/`).

use serde::{Deserialize, Serialize};

use super::conv::{Padding, int_or_list};
use super::pool::{PoolCore, PoolOp, PoolSpec, Window, opt_int_or_list, twos};
use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode};
use super::{SampleValues, Scratch};
use crate::error::WxbError;
use crate::tensor::Tensor;

pooling_kind! {
    /// The largest value of each window of steps, per channel.
    ///
    /// # Shapes
    /// `x: [batch, steps, c] → y: [batch, out, c]`, `out` as [`Padding`] says for the pool size
    /// and stride. Backward: `dy` goes to the first largest step of each window.
    MaxPooling1D, MaxPooling1DConfig, PoolOp::Max, 1, pool_size default "twos"
}

pooling_kind! {
    /// The mean of each window of steps, per channel (over the real steps with `same` padding).
    ///
    /// # Shapes
    /// `x: [batch, steps, c] → y: [batch, out, c]`. Backward: each step gets `dy / count` from
    /// every window holding it.
    AveragePooling1D, AveragePooling1DConfig, PoolOp::Average, 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_d_windows_along_the_steps() {
        let x = Tensor::from_vec(&[1, 5, 2], vec![1., 0., 3., 1., 2., 5., 0., 4., 6., 2.]);
        let mut m = MaxPooling1D::new([2]).named("m");
        m.build(&[5, 2], 0);
        assert_eq!(m.output_shape(), [2, 2]);
        assert_eq!(m.call(&x, Mode::Infer, &mut Scratch::default()).data(), &[3., 1., 2., 5.]);
        let mut a = AveragePooling1D::new([2]).padding(Padding::Same).named("a");
        a.build(&[5, 2], 0);
        assert_eq!(a.output_shape(), [3, 2]);
        assert_eq!(a.call(&x, Mode::Infer, &mut Scratch::default()).data(), &[2., 0.5, 1., 4.5, 6., 2.]);
    }
}
