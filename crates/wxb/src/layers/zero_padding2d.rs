//! Keras' `ZeroPadding2D`: rows and columns of zeros around each channels-last image.

use serde::{Deserialize, Deserializer, Serialize};

use super::{Check, DataFormat, Forward64, Layer, LayerConfig, LayerKind, LayerPlan, LayerStep, Mode};
use super::{SampleValues, Scratch, check_samples, resize_batch};
use crate::error::WxbError;
use crate::tensor::Tensor;

/// Keras' `ZeroPadding2D` configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZeroPadding2DConfig {
    /// The layer's name; `None` lets the model choose `zero_padding2d`, …
    #[serde(default)]
    pub name: Option<String>,
    /// `[[top, bottom], [left, right]]`; Keras' forms: one number for all four, `[rows, columns]`
    /// (each on both sides), or the pairs (default 1).
    #[serde(default = "ones", deserialize_with = "padding_pairs")]
    pub padding: [[usize; 2]; 2],
    /// Only `channels_last` (Keras' default) is supported.
    #[serde(default)]
    pub data_format: DataFormat,
}

fn ones() -> [[usize; 2]; 2] {
    [[1, 1], [1, 1]]
}

/// Keras' `padding`: `p`, `[rows, columns]`, or `[[top, bottom], [left, right]]`.
fn padding_pairs<'de, D: Deserializer<'de>>(d: D) -> Result<[[usize; 2]; 2], D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Pad {
        One(usize),
        Symmetric([usize; 2]),
        Pairs([[usize; 2]; 2]),
    }
    Ok(match Pad::deserialize(d)? {
        Pad::One(p) => [[p, p], [p, p]],
        Pad::Symmetric([r, c]) => [[r, r], [c, c]],
        Pad::Pairs(p) => p,
    })
}

impl ZeroPadding2DConfig {
    fn output_shape(&self, input_shape: &[usize], check: &Check) -> Result<Vec<usize>, WxbError> {
        if self.data_format != DataFormat::ChannelsLast {
            return Err(check.bad("data_format", "channels_first".into(), "only channels_last is supported"));
        }
        let &[h, w, c] = input_shape else {
            return Err(check.bad(
                "input_shape",
                format!("{input_shape:?}"),
                "ZeroPadding2D takes samples of shape [height, width, channels] (channels last)",
            ));
        };
        let [[t, b], [l, r]] = self.padding;
        let too_large = || check.bad("padding", format!("{:?}", self.padding), "values above 2^20 are not supported");
        if self.padding.iter().flatten().any(|&p| p > 1 << 20) {
            return Err(too_large());
        }
        let out = [h + t + b, w + l + r, c];
        out.iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= u32::MAX as usize)
            .ok_or_else(too_large)?;
        Ok(out.to_vec())
    }
}

impl LayerKind for ZeroPadding2DConfig {
    type Layer = ZeroPadding2D;

    fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
        let output_shape = self.output_shape(input_shape, check)?;
        Ok(LayerPlan { output_shape, params: 0, weights: Vec::new() })
    }

    fn into_layer(self) -> ZeroPadding2D {
        ZeroPadding2D { config: self, input: [0; 3], output: Vec::new() }
    }
}

/// Surrounds each image with zeros.
///
/// # Shapes
/// `x: [batch, h, w, c] → y: [batch, t + h + b, l + w + r, c]` with `y[n, t + i, l + j, ch] =
/// x[n, i, j, ch]` and zeros elsewhere. Backward: `dx` is `dy` without its border.
#[derive(Debug, Clone)]
pub struct ZeroPadding2D {
    config: ZeroPadding2DConfig,
    input: [usize; 3],
    output: Vec<usize>,
}

impl ZeroPadding2D {
    /// `[[top, bottom], [left, right]]` rows and columns of zeros.
    pub fn new(padding: [[usize; 2]; 2]) -> Self {
        Self::from_config(ZeroPadding2DConfig { name: None, padding, data_format: DataFormat::ChannelsLast })
    }

    config_setters! { ZeroPadding2DConfig; }

    /// For each output value of one sample, the input value it copies (`None`: a zero).
    fn source(&self, o: usize) -> Option<usize> {
        let ([h, w, c], [[t, _], [l, _]]) = (self.input, self.config.padding);
        let ow = self.output[1];
        let (i, j) = ((o / c / ow).checked_sub(t)?, (o / c % ow).checked_sub(l)?);
        (i < h && j < w).then_some((i * w + j) * c + o % c)
    }

    /// Calls `f(input row start, output row start, len)` for each image row of one sample.
    fn rows(&self, mut f: impl FnMut(usize, usize, usize)) {
        let ([h, w, c], [[t, _], [l, _]]) = (self.input, self.config.padding);
        let ow = self.output[1];
        for i in 0..h {
            f(i * w * c, ((t + i) * ow + l) * c, w * c);
        }
    }
}

impl Layer for ZeroPadding2D {
    layer_identity!(ZeroPadding2DConfig);

    /// # Panics
    /// If the samples are not `[h, w, c]` (the message of the validation error).
    fn build(&mut self, input_shape: &[usize], _seed: u64) {
        let check = Check::for_layer(self.name());
        self.output = self.config.output_shape(input_shape, &check).unwrap_or_else(|e| panic!("{e}"));
        self.input = [input_shape[0], input_shape[1], input_shape[2]];
    }

    fn output_shape(&self) -> Vec<usize> {
        self.output.clone()
    }

    /// # Panics
    /// If `x`'s samples do not have the built shape.
    fn forward(&self, x: &Tensor, y: &mut Tensor, _mode: Mode, _scratch: &mut Scratch) {
        check_samples(self.name(), "input", x, &self.input);
        let (in_len, out_len) = (self.input.iter().product::<usize>(), self.output.iter().product::<usize>());
        resize_batch(y, x.rows(), &self.output);
        y.fill(0.0);
        for (xs, ys) in x.data().chunks_exact(in_len).zip(y.data_mut().chunks_exact_mut(out_len)) {
            self.rows(|from, to, len| ys[to..to + len].copy_from_slice(&xs[from..from + len]));
        }
    }

    /// # Panics
    /// If `dy` does not have the output's shape for `x`.
    fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, _scratch: &mut Scratch) {
        let (in_len, out_len) = (self.input.iter().product::<usize>(), self.output.iter().product::<usize>());
        assert_eq!(
            dy.len(),
            x.rows() * out_len,
            "{}: gradient {:?} for input {:?}",
            self.name(),
            dy.shape(),
            x.shape()
        );
        let Some(dx) = dx else { return };
        dx.resize(x.shape());
        for (dxs, dys) in dx.data_mut().chunks_exact_mut(in_len).zip(dy.data().chunks_exact(out_len)) {
            self.rows(|from, to, len| dxs[from..from + len].copy_from_slice(&dys[to..to + len]));
        }
    }

    /// The input's values among zeros.
    fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
        let n: usize = self.output.iter().product();
        let output = (0..n).map(|o| self.source(o).map_or(0.0, |i| x[i])).collect();
        Forward64 { z: None, output, source: None }
    }

    fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
        LayerStep::ZeroPadding {
            padding: self.config.padding,
            input_shape: v.input_shape.to_vec(),
            output_shape: self.output.clone(),
        }
    }

    /// The input values the chosen outputs copy (none for the zeros).
    fn strongest_inputs(&self, _x: &[f64], _forward: &Forward64, chosen: &[usize], _k: usize) -> Vec<usize> {
        let mut up: Vec<usize> = chosen.iter().filter_map(|&o| self.source(o)).collect();
        up.sort_unstable();
        up.dedup();
        up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_padding_forms_and_a_round_trip() {
        let read =
            |p: &str| -> ZeroPadding2DConfig { serde_json::from_str(&format!(r#"{{"padding": {p}}}"#)).unwrap() };
        assert_eq!(read("2").padding, [[2, 2], [2, 2]]);
        assert_eq!(read("[1, 3]").padding, [[1, 1], [3, 3]]);
        assert_eq!(read("[[0, 1], [2, 0]]").padding, [[0, 1], [2, 0]]);
        let mut z = ZeroPadding2D::new([[0, 1], [2, 0]]).named("z");
        z.build(&[1, 2, 1], 0);
        assert_eq!(z.output_shape(), [2, 4, 1]);
        let x = Tensor::from_vec(&[1, 1, 2, 1], vec![3., 4.]);
        let y = z.call(&x, Mode::Infer, &mut Scratch::default());
        assert_eq!(y.data(), &[0., 0., 3., 4., 0., 0., 0., 0.]);
        assert_eq!(z.forward_f64(&[1, 2, 1], &[3., 4.]).output, [0., 0., 3., 4., 0., 0., 0., 0.]);
        let mut dx = Tensor::default();
        z.backward(&x, &y, &y, Some(&mut dx), &mut Scratch::default());
        assert_eq!(dx, x);
        let e = LayerConfig::from(read("1")).validate(&[4, 4]).unwrap_err().to_string();
        assert!(e.contains("zero_padding2d") && e.contains("[4, 4]"), "{e}");
    }
}
