//! One optimizer step of one scalar weight with every intermediate value: the rule's equations,
//! each with its numbers.
//!
//! [`replay`] runs the rule's own code ([`RuleMath::trace_step`](crate::optim::RuleMath::trace_step),
//! the arithmetic of the engine's update written once in the rule's file) on a single weight, with a
//! recorder that keeps each equation: its new value and new slots are the engine's bit for bit
//! (`tests/it/explain.rs` checks that against real training for every rule). `w` is the weight
//! before the step (the replay applies the decoupled weight decay first, when the optimizer has
//! one) and `g` the gradient the rule receives (after the regularizer's term and clipping).

use serde::Serialize;

use crate::optim::{Formula, NoRecord, Record, Rule, StepContext, Traced, Variable, decay_weight};

/// A value before and after the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Moved {
    /// Before.
    pub old: f32,
    /// After.
    pub new: f32,
}

/// One equation of a step, evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Equation {
    /// What it defines (`m`, `α`, `w`).
    pub name: &'static str,
    /// The equation in symbols: `m ← m + (g − m)·(1 − β₁)`.
    pub formula: &'static str,
    /// Its right side with the numbers filled in: `0.1 + (0.5 − 0.1)·0.1`.
    pub numbers: String,
    /// Its value.
    pub value: f32,
}

/// One rule's step for one weight: its equations in the order they are evaluated, then the new
/// weight, slots and scalars.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleTrace {
    /// Keras' class name of the rule (`Adam`).
    pub rule: &'static str,
    /// The equations: the weight decay first when there is one, then the rule's.
    pub equations: Vec<Equation>,
    /// The new value of the weight (before any constraint).
    pub new_value: f32,
    /// The weight's slots, by the engine's slot names.
    pub slots: Vec<(&'static str, Moved)>,
    /// The rule's optimizer-wide scalars (Nadam's `u_product`).
    pub scalars: Vec<(&'static str, Moved)>,
}

impl RuleTrace {
    /// The value of the last equation named `name` (`"α"`, `"m"`), if the step has one.
    pub fn value(&self, name: &str) -> Option<f32> {
        self.equations.iter().rev().find(|e| e.name == name).map(|e| e.value)
    }
}

/// Replays `rule`'s step on one weight `w` with gradient `g`, after the decoupled weight decay `wd`
/// when there is one. `slots` are the weight's slot values before the step (in the rule's
/// [`slot_names`](crate::optim::RuleMath::slot_names) order) and `scalars` the rule's scalars
/// before the step. `variable` is the weight's whole variable before the step (its weights before
/// the weight decay), which a [`whole_variable`](crate::optim::RuleMath::whole_variable) rule
/// (Lamb) needs; the others ignore it.
///
/// # Panics
/// If `slots` or `scalars` do not hold one value per slot or scalar of the rule, or a
/// whole-variable rule is given no `variable`.
#[allow(clippy::too_many_arguments)] // the step, the element and its variable, as the engine has them
pub fn replay(
    rule: &Rule,
    weight_decay: Option<f32>,
    step: StepContext,
    scalars: &[f32],
    w: f32,
    g: f32,
    slots: &[f32],
    variable: Option<Variable<'_>>,
) -> RuleTrace {
    let math = rule.math();
    let mut equations = Equations(Vec::new());
    let w = weight_decay.map_or(w, |wd| decay_weight(w, wd, step.lr, &mut equations));
    let decayed: Option<Vec<f32>> = variable
        .zip(weight_decay)
        .map(|(v, wd)| v.w.iter().map(|&w| decay_weight(w, wd, step.lr, &mut NoRecord)).collect());
    let variable = variable.map(|v| Variable { w: decayed.as_deref().unwrap_or(v.w), ..v });
    let (mut new_slots, mut new_scalars) = (slots.to_vec(), scalars.to_vec());
    let traced =
        Traced { step, scalars: &mut new_scalars, w, g, slots: &mut new_slots, record: &mut equations, variable };
    let new_value = math.trace_step(traced);
    let moved = |names: Vec<&'static str>, old: &[f32], new: &[f32]| {
        names.into_iter().zip(old.iter().zip(new)).map(|(n, (&old, &new))| (n, Moved { old, new })).collect()
    };
    let scalar_names = math.scalars().into_iter().map(|(n, _)| n).collect();
    RuleTrace {
        rule: rule.class_name(),
        equations: equations.0,
        new_value,
        slots: moved(math.slot_names(), slots, &new_slots),
        scalars: moved(scalar_names, scalars, &new_scalars),
    }
}

/// The recorder of [`replay`]: each equation with its numbers written out.
struct Equations(Vec<Equation>);

impl Record for Equations {
    fn record(&mut self, formula: &'static Formula, operands: &[f32], value: f32) -> f32 {
        self.0.push(Equation {
            name: formula.name(),
            formula: formula.symbols,
            numbers: fill(formula.numbers, operands),
            value,
        });
        value
    }
}

/// `numbers` with its `{}` and `{p}` placeholders replaced by `operands` in order ([`num`] and
/// [`p`]).
///
/// # Panics
/// If the placeholders and operands differ in number (a mistake in a rule's [`Formula`]).
fn fill(numbers: &str, operands: &[f32]) -> String {
    let mut out = String::with_capacity(numbers.len() + 12 * operands.len());
    let (mut rest, mut values) = (numbers, operands.iter());
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let (text, len) = if rest[at..].starts_with("{p}") { (p as fn(f32) -> String, 3) } else { (num as _, 2) };
        let v =
            values.next().unwrap_or_else(|| panic!("{numbers:?}: more placeholders than {} operands", operands.len()));
        out.push_str(&text(*v));
        rest = &rest[at + len..];
    }
    out.push_str(rest);
    assert!(values.next().is_none(), "{numbers:?}: fewer placeholders than {} operands", operands.len());
    out
}

/// `v` with at most 6 significant digits and no trailing zeros, in scientific notation outside
/// [1e-3, 1e5): `0.01`, `-0.0241695`, `3.82719e-5`.
pub fn num(v: impl Into<f64>) -> String {
    let v: f64 = v.into();
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.5e}");
        let (mantissa, exponent) = s.split_once('e').expect("scientific notation");
        return format!("{}e{exponent}", trim(mantissa));
    }
    let decimals = (5 - a.log10().floor() as i32).clamp(0, 8) as usize;
    trim(&format!("{v:.decimals$}")).to_string()
}

/// `1.500` → `1.5`, `2.000` → `2`.
fn trim(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// [`num`] in parentheses when negative, to be read after an operator.
pub fn p(v: impl Into<f64>) -> String {
    let v: f64 = v.into();
    if v < 0.0 { format!("({})", num(v)) } else { num(v) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Param;
    use crate::optim::{
        Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lamb, Lion, Nadam, Optimizer, RmsProp, Sgd, Variable,
    };
    use crate::tensor::Tensor;

    #[test]
    fn numbers_keep_six_significant_digits() {
        let cases = [(0.0, "0"), (0.123456789, "0.123457"), (-12.5, "-12.5"), (1.5e-7, "1.5e-7"), (120.0, "120")];
        for (v, want) in cases {
            assert_eq!(num(v), want, "{v}");
        }
        assert_eq!((num(0.01f32), num(1e-7f32)), ("0.01".to_string(), "1e-7".to_string()));
        assert_eq!(p(-2.0), "(-2)");
        assert_eq!(fill("{} + ({p} − {p})·{}", &[1.0, -2.0, 0.5, 0.1]), "1 + ((-2) − 0.5)·0.1");
    }

    /// Every rule and variant, with a weight decay for some.
    fn optimizers() -> Vec<Optimizer> {
        vec![
            Optimizer::sgd(0.1),
            Optimizer::new(Sgd { momentum: 0.9, nesterov: false }),
            Optimizer::new(Sgd { momentum: 0.5, nesterov: true }).with_weight_decay(Some(0.01)),
            Optimizer::rmsprop(),
            Optimizer::new(RmsProp { momentum: 0.5, ..RmsProp::default() }),
            Optimizer::new(RmsProp { centered: true, ..RmsProp::default() }),
            Optimizer::new(RmsProp { momentum: 0.5, centered: true, ..RmsProp::default() }),
            Optimizer::adam(),
            Optimizer::new(Adam { amsgrad: true, ..Adam::default() }),
            Optimizer::new(AdamW::default()).with_learning_rate(0.01),
            Optimizer::new(AdamW { amsgrad: true, ..AdamW::default() }),
            Optimizer::new(Adagrad::default()).with_learning_rate(0.1),
            Optimizer::new(Adadelta::default()).with_learning_rate(1.0),
            Optimizer::new(Adamax::default()),
            Optimizer::new(Nadam::default()),
            Optimizer::new(Ftrl::default()).with_learning_rate(0.1),
            Optimizer::new(Ftrl {
                l1_regularization_strength: 0.01,
                l2_regularization_strength: 0.02,
                l2_shrinkage_regularization_strength: 0.03,
                beta: 0.5,
                ..Ftrl::default()
            }),
            Optimizer::new(Lion::default()).with_weight_decay(Some(0.01)),
            Optimizer::new(Lamb::default()).with_learning_rate(0.01),
            Optimizer::new(Lamb::default()).with_weight_decay(Some(0.1)),
        ]
    }

    #[test]
    fn replays_are_the_vectorized_update_bit_for_bit() {
        let n = 67; // whole vectors and a remainder
        let value = |i: usize, seed: usize| ((i * seed) % 97) as f32 / 48.0 - 1.0;
        for mut opt in optimizers() {
            let name = opt.config().rule.class_name();
            let mut p = Param::trainable("kernel", Tensor::from_vec(&[n], (0..n).map(|i| value(i, 7)).collect()));
            for step in 0..4 {
                let w_before = p.value.data().to_vec();
                p.grad = Tensor::from_vec(&[n], (0..n).map(|i| value(i, 13 + step) * (step as f32 + 0.5)).collect());
                let slots_before = opt.slots().first().cloned().unwrap_or_default();
                let scalars: Vec<f32> = opt.scalars().into_iter().map(|(_, v)| v).collect();
                let context = StepContext { lr: opt.current_learning_rate(), iterations: opt.iterations() };
                opt.apply(&mut [&mut p]);
                let math = opt.config().rule.math();
                let whole: Vec<Vec<f32>> = match slots_before.is_empty() {
                    true => (0..math.slot_names().len()).map(|s| vec![math.initial_slot_value(s); n]).collect(),
                    false => slots_before.iter().map(|t| t.data().to_vec()).collect(),
                };
                let variable = Variable { w: &w_before, g: p.grad.data(), slots: &whole };
                for (i, &w) in w_before.iter().enumerate() {
                    let slots: Vec<f32> = whole.iter().map(|s| s[i]).collect();
                    let wd = opt.config().weight_decay;
                    let g = p.grad.data()[i];
                    let t = replay(&opt.config().rule, wd, context, &scalars, w, g, &slots, Some(variable));
                    let at = format!("{name} step {step} element {i}");
                    assert_eq!(t.new_value.to_bits(), p.value.data()[i].to_bits(), "{at}: {t:?}");
                    for (s, (slot, moved)) in t.slots.iter().enumerate() {
                        assert_eq!(moved.new.to_bits(), opt.slots()[0][s].data()[i].to_bits(), "{at} slot {slot}");
                    }
                    for ((scalar, moved), (_, engine)) in t.scalars.iter().zip(opt.scalars()) {
                        assert_eq!(moved.new.to_bits(), engine.to_bits(), "{at} scalar {scalar}");
                    }
                    assert_eq!(t.equations.last().map(|e| e.value.to_bits()), Some(t.new_value.to_bits()), "{at}");
                    assert_eq!(wd.is_some(), t.equations[0].formula == "w ← w − (w·wd)·lr", "{at}");
                }
            }
        }
    }
}
