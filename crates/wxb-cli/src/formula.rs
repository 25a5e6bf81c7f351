//! An optimizer step of one weight written out as its rule's equations with the numbers filled in,
//! from a [`WeightStep`]: the equations, their symbols and numbers come from the rule's own code
//! (`wxb::explain::replay`); this only lays them out.

use wxb::explain::WeightStep;
pub use wxb::explain::{num, p};

/// The lines of `s`'s formula: the gradient, then each equation as `formula = numbers = value`.
pub fn lines(s: &WeightStep) -> Vec<String> {
    let mut out = vec![format!("g = ∂L/∂w = {}", num(s.g))];
    for e in &s.rule.equations {
        out.push(format!("{} = {} = {}", e.formula, e.numbers, num(e.value)));
    }
    if s.rule.new_value != s.w_after {
        out.push(format!("constraint: w projected to {}", num(s.w_after)));
    }
    out
}
