//! [`Real`]: the float operations the activation formulas use, so that each formula is written once
//! and runs in `f32` (the engine) and in `f64` (`explain`'s recomputation for display).
//!
//! Each method forwards to the inherent method of the same name (`f32::exp`, `f64::tanh`, …) or to
//! `libm` (`erf`), so the `f32` instantiation compiles to exactly the code written for `f32`.

use std::iter::Sum;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A float type the activations can be computed in: `f32` or `f64`.
pub trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Sum
    + std::fmt::Debug
    + 'static
{
    /// `0`.
    const ZERO: Self;
    /// `1`.
    const ONE: Self;
    /// `−∞`.
    const NEG_INFINITY: Self;
    /// A constant written as an `f32` (exact in `f64`).
    fn of(v: f32) -> Self;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `eˣ − 1`.
    fn exp_m1(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `ln(1 + x)`.
    fn ln_1p(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `|x|`.
    fn abs(self) -> Self;
    /// `√x`.
    fn sqrt(self) -> Self;
    /// `max(x, y)` (the other one when either is NaN).
    fn max(self, other: Self) -> Self;
    /// `x` limited to `[lo, hi]`.
    fn clamp(self, lo: Self, hi: Self) -> Self;
    /// The error function.
    fn erf(self) -> Self;
    /// `1/√2`.
    const FRAC_1_SQRT_2: Self;
}

macro_rules! real {
    ($t:ident, $erf:path, [$($unary:ident),*]) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const FRAC_1_SQRT_2: Self = std::$t::consts::FRAC_1_SQRT_2;
            #[inline]
            fn of(v: f32) -> Self {
                Self::from(v)
            }
            $(
                #[inline]
                fn $unary(self) -> Self {
                    $t::$unary(self)
                }
            )*
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn clamp(self, lo: Self, hi: Self) -> Self {
                $t::clamp(self, lo, hi)
            }
            #[inline]
            fn erf(self) -> Self {
                $erf(self)
            }
        }
    };
}

real!(f32, libm::erff, [exp, exp_m1, ln, ln_1p, tanh, abs, sqrt]);
real!(f64, libm::erf, [exp, exp_m1, ln, ln_1p, tanh, abs, sqrt]);
