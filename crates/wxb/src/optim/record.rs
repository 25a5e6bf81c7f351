//! [`Record`]: how a rule's arithmetic reports its equations, so that the update and its
//! explanation are one piece of code.
//!
//! Each rule writes its per-step constants and its per-element math once, generic over a
//! recorder: every value it computes passes through [`Record::record`] with the equation's
//! [`Formula`] and operands. The engine's vectorized loop passes [`NoRecord`], whose `record`
//! returns the value and is inlined away (the loop compiles to the bare arithmetic, bit for bit);
//! `wxb::explain` passes a recorder that keeps each equation with its numbers.

/// One equation of a rule, as text.
///
/// `symbols` is the equation in the symbols of the rule's documentation, its left side first:
/// `m ← m + (g − m)·(1 − β₁)` (an update of a slot or the weight) or `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`
/// (a value). `numbers` is its right side with a placeholder per operand, in the order the
/// operands are given to [`Record::record`]: `{}` for a number, `{p}` for a number written in
/// parentheses when negative (read after an operator): `{} + ({p} − {p})·{}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formula {
    /// The equation in symbols, left side first.
    pub symbols: &'static str,
    /// Its right side with `{}` or `{p}` for each operand.
    pub numbers: &'static str,
}

impl Formula {
    /// The equation `symbols`, whose right side reads `numbers` with the operands filled in.
    pub const fn new(symbols: &'static str, numbers: &'static str) -> Self {
        Self { symbols, numbers }
    }

    /// What the equation defines: its left side (`m` for `m ← …`, `α` for `α = …`).
    pub fn name(&self) -> &'static str {
        let end = [" ← ", " = "].iter().filter_map(|sep| self.symbols.find(sep)).min();
        end.map_or(self.symbols, |end| &self.symbols[..end])
    }

    /// The number of operands `numbers` expects.
    pub fn operand_count(&self) -> usize {
        self.numbers.matches("{}").count() + self.numbers.matches("{p}").count()
    }
}

/// A receiver of a rule's equations as the rule evaluates them.
pub trait Record {
    /// Takes note that `formula` evaluated to `value` with `operands` (in the order of its
    /// placeholders), and returns `value`.
    fn record(&mut self, formula: &'static Formula, operands: &[f32], value: f32) -> f32;
}

/// The recorder of the engine's loop: keeps nothing, compiles to nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRecord;

impl Record for NoRecord {
    #[inline(always)]
    fn record(&mut self, _formula: &'static Formula, _operands: &[f32], value: f32) -> f32 {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_left_sides() {
        assert_eq!(Formula::new("m ← m + (g − m)·(1 − β₁)", "{} + ({p} − {p})·{}").name(), "m");
        assert_eq!(Formula::new("α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)", "{}").name(), "α");
        assert_eq!(Formula::new("1 − β₁ᵗ = 1 − β₁^t", "1 − {}^{}").name(), "1 − β₁ᵗ");
        assert_eq!(Formula::new("x", "{}").name(), "x");
        assert_eq!(Formula::new("m ← m + (g − m)·(1 − β₁)", "{} + ({p} − {p})·{}").operand_count(), 4);
        const X: Formula = Formula::new("x = y", "{}");
        assert_eq!(NoRecord.record(&X, &[2.0], 3.0), 3.0);
    }
}
