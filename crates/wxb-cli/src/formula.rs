//! An optimizer step of one weight written out as its rule's formula with the numbers filled in,
//! from a [`WeightStep`] (symbols as in `wxb::optim`'s documentation of each rule).

use wxb::explain::{Moved, RuleStep, WeightStep};

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

/// `num` in parentheses when negative, to be read after an operator.
pub fn p(v: impl Into<f64>) -> String {
    let v: f64 = v.into();
    if v < 0.0 { format!("({})", num(v)) } else { num(v) }
}

/// The lines of `s`'s formula, each `name ← formula = numbers = result`.
pub fn lines(s: &WeightStep) -> Vec<String> {
    let mut out = vec![format!("g = ∂L/∂w = {}", num(s.g))];
    if let Some(d) = s.decay {
        out.push(format!(
            "weight decay: w ← w − (w·wd)·lr = {} − ({}·{})·{} = {}",
            num(s.w_before),
            p(s.w_before),
            num(d.weight_decay),
            num(s.lr),
            num(d.w_decayed)
        ));
    }
    let ema = |name: &str, m: Moved, beta: &str, rate: f32, x: &str, xv: f32| {
        format!(
            "{name} ← {name} + ({x} − {name})·(1 − {beta}) = {} + ({} − {})·{} = {}",
            num(m.old),
            p(xv),
            p(m.old),
            num(rate),
            num(m.new)
        )
    };
    match &s.rule {
        RuleStep::Sgd { lr, g, w_old, w, .. } => {
            out.push(format!("w ← w − lr·g = {} − {}·{} = {}", num(*w_old), num(*lr), p(*g), num(*w)));
        }
        RuleStep::SgdMomentum { lr, mu, g, v, w_old, w } => {
            out.push(format!("v ← μ·v − lr·g = {}·{} − {}·{} = {}", num(*mu), p(v.old), num(*lr), p(*g), num(v.new)));
            out.push(format!("w ← w + v = {} + {} = {}", num(*w_old), p(v.new), num(*w)));
        }
        RuleStep::SgdNesterov { lr, mu, g, v, update, w_old, w } => {
            out.push(format!("v ← μ·v − lr·g = {}·{} − {}·{} = {}", num(*mu), p(v.old), num(*lr), p(*g), num(v.new)));
            out.push(format!("w ← w + (μ·v − lr·g) = {} + {} = {}", num(*w_old), p(*update), num(*w)));
        }
        RuleStep::RmsProp {
            lr,
            rho,
            one_minus_rho,
            epsilon,
            g,
            v,
            average_gradient,
            denominator,
            increment,
            momentum,
            w_old,
            w,
        } => {
            out.push(format!(
                "v ← ρ·v + (1 − ρ)·g² = {}·{} + {}·{}² = {}",
                num(*rho),
                p(v.old),
                num(*one_minus_rho),
                p(*g),
                num(v.new)
            ));
            let denom = match average_gradient {
                Some(a) => {
                    out.push(format!(
                        "ḡ ← ρ·ḡ + (1 − ρ)·g = {}·{} + {}·{} = {}",
                        num(*rho),
                        p(a.old),
                        num(*one_minus_rho),
                        p(*g),
                        num(a.new)
                    ));
                    format!("√(v − ḡ² + ε) = √({} − {}² + {})", num(v.new), p(a.new), num(*epsilon))
                }
                None => format!("√(v + ε) = √({} + {})", num(v.new), num(*epsilon)),
            };
            out.push(format!(
                "Δ = lr·g/{denom} = {}·{}/{} = {}",
                num(*lr),
                p(*g),
                num(denominator.sqrt()),
                num(*increment)
            ));
            match momentum {
                Some((mu, m)) => {
                    out.push(format!("m ← μ·m + Δ = {}·{} + {} = {}", num(*mu), p(m.old), p(*increment), num(m.new)));
                    out.push(format!("w ← w − m = {} − {} = {}", num(*w_old), p(m.new), num(*w)));
                }
                None => out.push(format!("w ← w − Δ = {} − {} = {}", num(*w_old), p(*increment), num(*w))),
            }
        }
        RuleStep::Adam {
            lr,
            beta_1,
            beta_2,
            one_minus_beta_1,
            one_minus_beta_2,
            epsilon,
            t,
            beta_1_power,
            beta_2_power,
            alpha,
            g,
            m,
            v,
            v_hat,
            update,
            w_old,
            w,
        } => {
            out.push(ema("m", *m, "β₁", *one_minus_beta_1, "g", *g));
            out.push(format!(
                "v ← v + (g² − v)·(1 − β₂) = {} + ({}² − {})·{} = {}",
                num(v.old),
                p(*g),
                p(v.old),
                num(*one_minus_beta_2),
                num(v.new)
            ));
            let mut vv = ("v", v.new);
            if let Some(h) = v_hat {
                out.push(format!("v̂ ← max(v̂, v) = max({}, {}) = {}", num(h.old), num(v.new), num(h.new)));
                vv = ("v̂", h.new);
            }
            out.push(format!(
                "α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) = {}·√(1 − {}^{t})/(1 − {}^{t}) = {}·√{}/{} = {}",
                num(*lr),
                num(*beta_2),
                num(*beta_1),
                num(*lr),
                num(1.0 - beta_2_power),
                num(1.0 - beta_1_power),
                num(*alpha)
            ));
            out.push(format!(
                "w ← w − m·α/(√{0} + ε) = {1} − {2}·{3}/(√{4} + {5}) = {1} − {6} = {7}",
                vv.0,
                num(*w_old),
                p(m.new),
                num(*alpha),
                num(vv.1),
                num(*epsilon),
                p(*update),
                num(*w)
            ));
        }
        RuleStep::Adagrad { lr, epsilon, g, a, update, w_old, w } => {
            out.push(format!("a ← a + g² = {} + {}² = {}", num(a.old), p(*g), num(a.new)));
            out.push(format!(
                "w ← w − lr·g/√(a + ε) = {} − {}·{}/√({} + {}) = {} − {} = {}",
                num(*w_old),
                num(*lr),
                p(*g),
                num(a.new),
                num(*epsilon),
                num(*w_old),
                p(*update),
                num(*w)
            ));
        }
        RuleStep::Adadelta { lr, rho, one_minus_rho, epsilon, g, eg2, delta, ed2, w_old, w } => {
            out.push(format!(
                "E[g²] ← ρ·E[g²] + (1 − ρ)·g² = {}·{} + {}·{}² = {}",
                num(*rho),
                num(eg2.old),
                num(*one_minus_rho),
                p(*g),
                num(eg2.new)
            ));
            out.push(format!(
                "Δ = −√(E[Δ²] + ε)·g/√(E[g²] + ε) = −√({} + {})·{}/√({} + {}) = {}",
                num(ed2.old),
                num(*epsilon),
                p(*g),
                num(eg2.new),
                num(*epsilon),
                num(*delta)
            ));
            out.push(format!(
                "E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ² = {}·{} + {}·{}² = {}",
                num(*rho),
                num(ed2.old),
                num(*one_minus_rho),
                p(*delta),
                num(ed2.new)
            ));
            out.push(format!("w ← w + lr·Δ = {} + {}·{} = {}", num(*w_old), num(*lr), p(*delta), num(*w)));
        }
        RuleStep::Adamax { lr, beta_1, beta_2, one_minus_beta_1, epsilon, t, g, m, u, update, w_old, w, .. } => {
            out.push(ema("m", *m, "β₁", *one_minus_beta_1, "g", *g));
            out.push(format!(
                "u ← max(β₂·u, |g|) = max({}·{}, {}) = {}",
                num(*beta_2),
                num(u.old),
                num(g.abs()),
                num(u.new)
            ));
            out.push(format!(
                "w ← w − lr·m/((1 − β₁ᵗ)·(u + ε)) = {} − {}·{}/((1 − {}^{t})·({} + {})) = {} − {} = {}",
                num(*w_old),
                num(*lr),
                p(m.new),
                num(*beta_1),
                num(u.new),
                num(*epsilon),
                num(*w_old),
                p(*update),
                num(*w)
            ));
        }
        RuleStep::Nadam {
            lr,
            beta_1,
            beta_2,
            one_minus_beta_1,
            one_minus_beta_2,
            epsilon,
            t,
            mu_t,
            mu_next,
            u_product,
            u_product_next,
            beta_2_power,
            g,
            m,
            v,
            m_hat,
            v_hat,
            update,
            w_old,
            w,
        } => {
            out.push(format!(
                "μₜ = β₁·(1 − ½·0.96ᵗ) = {}·(1 − ½·0.96^{t}) = {}; μₜ₊₁ = {}",
                num(*beta_1),
                num(*mu_t),
                num(*mu_next)
            ));
            out.push(format!(
                "Π ← Π·μₜ = {}·{} = {}; Π·μₜ₊₁ = {}",
                num(u_product.old),
                num(*mu_t),
                num(u_product.new),
                num(*u_product_next)
            ));
            out.push(ema("m", *m, "β₁", *one_minus_beta_1, "g", *g));
            out.push(format!(
                "v ← v + (g² − v)·(1 − β₂) = {} + ({}² − {})·{} = {}",
                num(v.old),
                p(*g),
                p(v.old),
                num(*one_minus_beta_2),
                num(v.new)
            ));
            out.push(format!(
                "m̂ = μₜ₊₁·m/(1 − Π·μₜ₊₁) + (1 − μₜ)·g/(1 − Π) = {}·{}/(1 − {}) + {}·{}/(1 − {}) = {}",
                num(*mu_next),
                p(m.new),
                num(*u_product_next),
                num(1.0 - mu_t),
                p(*g),
                num(u_product.new),
                num(*m_hat)
            ));
            out.push(format!(
                "v̂ = v/(1 − β₂ᵗ) = {}/(1 − {}^{t}) = {}/{} = {}",
                num(v.new),
                num(*beta_2),
                num(v.new),
                num(1.0 - beta_2_power),
                num(*v_hat)
            ));
            out.push(format!(
                "w ← w − m̂·lr/(√v̂ + ε) = {} − {}·{}/(√{} + {}) = {} − {} = {}",
                num(*w_old),
                p(*m_hat),
                num(*lr),
                num(*v_hat),
                num(*epsilon),
                num(*w_old),
                p(*update),
                num(*w)
            ));
        }
    }
    if s.rule.new_value() != s.w_after {
        out.push(format!("constraint: w projected to {}", num(s.w_after)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.123456789), "0.123457");
        assert_eq!(num(-12.5), "-12.5");
        assert_eq!(num(0.01f32), "0.01");
        assert_eq!(num(1.5e-7), "1.5e-7");
        assert_eq!(num(1e-7f32), "1e-7");
        assert_eq!(num(120.0), "120");
        assert_eq!(p(-2.0), "(-2)");
    }
}
