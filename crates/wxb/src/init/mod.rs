//! Weight initializers with Keras 3's formulas and defaults, all seeded.
//!
//! Fans of a kernel follow Keras' `compute_fans`: for a 2-D kernel `(in, units)`, `fan_in = in` and
//! `fan_out = units`; for rank > 2 (convolutions) the leading dimensions form the receptive field.
//!
//! | name | distribution |
//! |---|---|
//! | `glorot_uniform` (Dense default) | U(−l, l), `l = √(6 / (fan_in + fan_out))` |
//! | `glorot_normal` | truncated N(0, σ), `σ = √(2 / (fan_in + fan_out)) / 0.8796…` |
//! | `he_uniform` / `he_normal` | as above with `scale 2, n = fan_in` |
//! | `lecun_uniform` / `lecun_normal` | `scale 1, n = fan_in` |
//! | `random_normal` | N(0, 0.05) |
//! | `random_uniform` | U(−0.05, 0.05) |
//! | `truncated_normal` | N(0, 0.05) redrawn beyond 2σ |
//! | `orthogonal` | Q of the QR of a Gaussian matrix, signs fixed by R's diagonal, times `gain` |
//! | `identity` | `gain · I` |
//! | `stft` | a windowed DFT basis `[frame_length, 1, fft_length]` (`stft.rs`), not random |

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownName;
use crate::rng::WxbRng;
use crate::tensor::{Tensor, numel};

mod stft;

pub use stft::{StftScaling, StftSide, StftWindow};

/// The standard deviation of a unit normal truncated to ±2, which truncated draws divide by so that
/// the *truncated* distribution has the wanted variance (Keras' constant).
pub const TRUNCATED_NORMAL_STDDEV_CORRECTION: f64 = 0.879_625_661_034_239_8;

/// Which fan `VarianceScaling` divides the scale by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanMode {
    /// `n = fan_in`.
    FanIn,
    /// `n = fan_out`.
    FanOut,
    /// `n = (fan_in + fan_out) / 2`.
    FanAvg,
}

/// The distribution `VarianceScaling` draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// N(0, σ) redrawn beyond 2σ, `σ = √(scale/n) / 0.8796…`.
    TruncatedNormal,
    /// N(0, σ), `σ = √(scale/n)`.
    UntruncatedNormal,
    /// U(−l, l), `l = √(3·scale/n)`.
    Uniform,
}

/// How a weight tensor gets its first values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Initializer {
    /// All zeros (Keras' bias default).
    Zeros,
    /// All ones.
    Ones,
    /// Every value `value`.
    Constant {
        /// The value.
        value: f32,
    },
    /// N(mean, stddev); Keras' defaults 0 and 0.05.
    RandomNormal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        stddev: f32,
    },
    /// U(minval, maxval); Keras' defaults −0.05 and 0.05.
    RandomUniform {
        /// Lower bound.
        minval: f32,
        /// Upper bound (exclusive).
        maxval: f32,
    },
    /// N(mean, stddev) with values beyond two standard deviations redrawn; defaults 0 and 0.05.
    TruncatedNormal {
        /// Mean.
        mean: f32,
        /// Standard deviation before truncation.
        stddev: f32,
    },
    /// Keras' `VarianceScaling(scale, mode, distribution)`.
    VarianceScaling {
        /// The variance scale.
        scale: f32,
        /// Which fan to use.
        mode: FanMode,
        /// The distribution.
        distribution: Distribution,
    },
    /// `VarianceScaling(1, fan_avg, uniform)`: U(±√(6/(fan_in+fan_out))). Dense's kernel default.
    GlorotUniform,
    /// `VarianceScaling(1, fan_avg, truncated_normal)`.
    GlorotNormal,
    /// `VarianceScaling(2, fan_in, uniform)`.
    HeUniform,
    /// `VarianceScaling(2, fan_in, truncated_normal)`.
    HeNormal,
    /// `VarianceScaling(1, fan_in, uniform)`.
    LecunUniform,
    /// `VarianceScaling(1, fan_in, truncated_normal)`.
    LecunNormal,
    /// A (semi-)orthogonal matrix times `gain` (default 1).
    Orthogonal {
        /// Multiplier.
        gain: f32,
    },
    /// `gain · I` for a 2-D shape (default gain 1).
    Identity {
        /// Multiplier.
        gain: f32,
    },
    /// Keras 3's `STFT(side, window, scaling, periodic)`: for a shape
    /// `[frame_length, 1, fft_length]`, `w[t, 0, k] = trig(−2π·t·k / (2·(fft_length − 1)))·win[t] / s`
    /// with `trig` cos (`side = real`) or sin (`imag`), `win` the window (none: 1) and `s` the
    /// scaling (`density`: `√Σ win²`, `spectrum`: `Σ |win|`, none or no window: 1). Keras'
    /// defaults: real, hann, density, not periodic.
    Stft {
        /// The real (cosine) or imaginary (sine) part of the DFT.
        side: StftSide,
        /// The window (`None`: no window, no scaling).
        window: Option<StftWindow>,
        /// How the window is normalized (`None`: not at all).
        scaling: Option<StftScaling>,
        /// A periodic window (scipy's `fftbins=True`) rather than a symmetric one.
        periodic: bool,
    },
}

impl Initializer {
    /// Every initializer that can fill a Dense weight, with Keras' default arguments, for listings
    /// and tests ([`Initializer::STFT`], for 3-D kernels, is apart).
    pub const ALL: [Initializer; 15] = [
        Initializer::Zeros,
        Initializer::Ones,
        Initializer::Constant { value: 0.0 },
        Initializer::RandomNormal { mean: 0.0, stddev: 0.05 },
        Initializer::RandomUniform { minval: -0.05, maxval: 0.05 },
        Initializer::TruncatedNormal { mean: 0.0, stddev: 0.05 },
        Initializer::VarianceScaling { scale: 1.0, mode: FanMode::FanIn, distribution: Distribution::TruncatedNormal },
        Initializer::GlorotUniform,
        Initializer::GlorotNormal,
        Initializer::HeUniform,
        Initializer::HeNormal,
        Initializer::LecunUniform,
        Initializer::LecunNormal,
        Initializer::Orthogonal { gain: 1.0 },
        Initializer::Identity { gain: 1.0 },
    ];

    /// Keras' default `STFT()`: the real part, a symmetric Hann window, density scaling.
    pub const STFT: Initializer = Initializer::Stft {
        side: StftSide::Real,
        window: Some(StftWindow::Hann),
        scaling: Some(StftScaling::Density),
        periodic: false,
    };

    /// A new tensor of `shape` drawn from this initializer.
    ///
    /// # Panics
    /// `Identity` needs a 2-D shape, `Orthogonal` at least a 2-D one, as in Keras; `Stft` a shape
    /// `[frame_length, 1, fft_length]` with `fft_length ≥ 2` (Keras makes a kernel of one input
    /// channel whatever the shape asks, which then fails to load: wxb refuses it up front).
    pub fn init(self, shape: &[usize], rng: &mut WxbRng) -> Tensor {
        let n = numel(shape);
        let data = match self {
            Initializer::Zeros => vec![0.0; n],
            Initializer::Ones => vec![1.0; n],
            Initializer::Constant { value } => vec![value; n],
            Initializer::RandomNormal { mean, stddev } => (0..n).map(|_| mean + stddev * rng.normal()).collect(),
            Initializer::RandomUniform { minval, maxval } => {
                (0..n).map(|_| rng.uniform_range(minval, maxval)).collect()
            }
            Initializer::TruncatedNormal { mean, stddev } => {
                (0..n).map(|_| mean + stddev * truncated_unit_normal(rng)).collect()
            }
            Initializer::Orthogonal { gain } => orthogonal(shape, gain, rng),
            Initializer::Stft { side, window, scaling, periodic } => {
                stft::kernel(shape, side, window, scaling, periodic)
            }
            Initializer::Identity { gain } => {
                assert_eq!(shape.len(), 2, "the identity initializer needs a 2-D shape, got {shape:?}");
                let mut d = vec![0.0; n];
                for i in 0..shape[0].min(shape[1]) {
                    d[i * shape[1] + i] = gain;
                }
                d
            }
            vs => {
                let (scale, mode, distribution) = vs.variance_scaling().expect("all other variants scale variance");
                let (fan_in, fan_out) = compute_fans(shape);
                let denom = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                    FanMode::FanAvg => (fan_in + fan_out) / 2.0,
                }
                .max(1.0);
                let var = f64::from(scale) / denom;
                match distribution {
                    Distribution::Uniform => {
                        let limit = (3.0 * var).sqrt() as f32;
                        (0..n).map(|_| rng.uniform_range(-limit, limit)).collect()
                    }
                    Distribution::TruncatedNormal => {
                        let sd = (var.sqrt() / TRUNCATED_NORMAL_STDDEV_CORRECTION) as f32;
                        (0..n).map(|_| sd * truncated_unit_normal(rng)).collect()
                    }
                    Distribution::UntruncatedNormal => {
                        let sd = var.sqrt() as f32;
                        (0..n).map(|_| sd * rng.normal()).collect()
                    }
                }
            }
        };
        Tensor::from_vec(shape, data)
    }

    /// The `(scale, mode, distribution)` of the variance-scaling family, `None` for the others.
    pub fn variance_scaling(self) -> Option<(f32, FanMode, Distribution)> {
        use Distribution::{TruncatedNormal, Uniform};
        use FanMode::{FanAvg, FanIn};
        Some(match self {
            Initializer::VarianceScaling { scale, mode, distribution } => (scale, mode, distribution),
            Initializer::GlorotUniform => (1.0, FanAvg, Uniform),
            Initializer::GlorotNormal => (1.0, FanAvg, TruncatedNormal),
            Initializer::HeUniform => (2.0, FanIn, Uniform),
            Initializer::HeNormal => (2.0, FanIn, TruncatedNormal),
            Initializer::LecunUniform => (1.0, FanIn, Uniform),
            Initializer::LecunNormal => (1.0, FanIn, TruncatedNormal),
            _ => return None,
        })
    }

    /// Keras' name (`"glorot_uniform"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Initializer::Zeros => "zeros",
            Initializer::Ones => "ones",
            Initializer::Constant { .. } => "constant",
            Initializer::RandomNormal { .. } => "random_normal",
            Initializer::RandomUniform { .. } => "random_uniform",
            Initializer::TruncatedNormal { .. } => "truncated_normal",
            Initializer::VarianceScaling { .. } => "variance_scaling",
            Initializer::GlorotUniform => "glorot_uniform",
            Initializer::GlorotNormal => "glorot_normal",
            Initializer::HeUniform => "he_uniform",
            Initializer::HeNormal => "he_normal",
            Initializer::LecunUniform => "lecun_uniform",
            Initializer::LecunNormal => "lecun_normal",
            Initializer::Orthogonal { .. } => "orthogonal",
            Initializer::Identity { .. } => "identity",
            Initializer::Stft { .. } => "stft",
        }
    }
}

crate::error::display_as_name!(Initializer, name);

impl FromStr for Initializer {
    type Err = UnknownName;

    /// Keras' names with Keras' default arguments.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let known = || Initializer::ALL.into_iter().chain([Initializer::STFT]);
        known().find(|i| i.name() == key).ok_or_else(|| UnknownName::new("initializer", s, known().map(|i| i.name())))
    }
}

/// Keras' `compute_fans`: `(fan_in, fan_out)` of a weight shape.
pub fn compute_fans(shape: &[usize]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        r => {
            let receptive: usize = shape[..r - 2].iter().product();
            ((shape[r - 2] * receptive) as f64, (shape[r - 1] * receptive) as f64)
        }
    }
}

/// A unit normal redrawn until it lies within two standard deviations.
fn truncated_unit_normal(rng: &mut WxbRng) -> f32 {
    loop {
        let z = rng.normal();
        if z.abs() <= 2.0 {
            return z;
        }
    }
}

/// Keras' orthogonal initializer: QR of a Gaussian `(max(r, c), min(r, c))` matrix, Q's columns signed
/// by R's diagonal, transposed when there are fewer rows than columns. Gram–Schmidt in f64.
fn orthogonal(shape: &[usize], gain: f32, rng: &mut WxbRng) -> Vec<f32> {
    assert!(shape.len() >= 2, "the orthogonal initializer needs at least a 2-D shape, got {shape:?}");
    let cols = shape[shape.len() - 1];
    let rows: usize = shape[..shape.len() - 1].iter().product();
    let (tall, short) = (rows.max(cols), rows.min(cols));
    // Column-major columns of the tall matrix.
    let mut q: Vec<Vec<f64>> = (0..short).map(|_| (0..tall).map(|_| f64::from(rng.normal())).collect()).collect();
    for j in 0..short {
        for p in 0..j {
            // Modified Gram–Schmidt, applied twice for accuracy.
            for _ in 0..2 {
                let dot: f64 = q[j].iter().zip(&q[p]).map(|(a, b)| a * b).sum();
                let (head, tail) = q.split_at_mut(j);
                tail[0].iter_mut().zip(&head[p]).for_each(|(a, b)| *a -= dot * b);
            }
        }
        let norm = q[j].iter().map(|a| a * a).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        // R's diagonal is the (positive) norm, so sign(diag(R)) is +1: no flip is needed.
        q[j].iter_mut().for_each(|a| *a /= norm);
    }
    let mut out = vec![0.0f32; rows * cols];
    for i in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols { q[c][i] } else { q[i][c] };
            out[i * cols + c] = gain * v as f32;
        }
    }
    out
}

crate::error::serde_by_keras_name!(Initializer);

#[cfg(test)]
mod tests;
