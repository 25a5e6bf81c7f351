//! Shared by the model targets: run a model that was accepted on a tiny batch, in every mode, so
//! that whatever a configuration lets through is also safe to use.

use wxb::prelude::*;

/// The most scalars in one input sample (or output) worth exercising.
const SMALL: usize = 4096;

pub fn exercise(model: &mut Sequential) {
    let _ = model.summary();
    let input: usize = model.input_shape().iter().product();
    let outputs: usize = model.output_shape().iter().product();
    if input > SMALL || outputs > SMALL || model.count_params() > 1 << 16 {
        return;
    }
    let mut shape = vec![2];
    shape.extend_from_slice(model.input_shape());
    let x = Tensor::from_vec(&shape, (0..2 * input).map(|i| (i % 7) as f32 - 3.0).collect());
    let y = model.predict(&x, 1).expect("a valid input shape");
    assert_eq!(y.rows(), 2);
    let Some(loss) = model.compiled().map(|c| c.loss) else { return };
    let targets = if loss.is_sparse() { Tensor::zeros(&[2, 1]) } else { Tensor::zeros(&[2, outputs]) };
    // Errors are fine (e.g. a sparse loss on an output that is not a class score); panics are not.
    let _ = model.train_on_batch(&x, &targets, None);
    let _ = model.evaluate(&x, &targets, 2);
    let options = FitOptions { epochs: 1, batch_size: 1, ..FitOptions::default() };
    let _ = model.fit(&x, &targets, &options, &mut []);
}
