//! Keras' cosine similarity loss of one sample, with its gradient.

/// `min(1/‖x‖, 1/ε)` — Keras' `normalize` (`x · min(rsqrt(Σx²), 1/ε)`) scales by it — and
/// whether the bound is not reached (the gradient then flows through the norm).
fn inverse_norm(x: &[f32]) -> (f32, bool) {
    let inv = 1.0 / x.iter().map(|v| v * v).sum::<f32>().sqrt();
    let cap = 1.0 / super::EPSILON;
    if inv < cap { (inv, true) } else { (cap, false) }
}

/// `l = −Σⱼ ŷ'ⱼ·y'ⱼ` for the normalized `y' = y·min(1/‖y‖, 1/ε)` and `ŷ' = ŷ·min(1/‖ŷ‖, 1/ε)`
/// (Keras' sign: −1 when the vectors point the same way). With `c = Σⱼ y'ⱼ·ŷ'ⱼ`,
/// `∂l/∂ŷₖ = −(y'ₖ − ŷ'ₖ·c)/‖ŷ‖`, or `−y'ₖ/ε` when `‖ŷ‖ ≤ ε`.
pub(super) fn cosine_similarity(y: &[f32], p: &[f32], grad: Option<&mut [f32]>) -> f32 {
    let (iy, _) = inverse_norm(y);
    let (ip, through) = inverse_norm(p);
    let c: f32 = y.iter().zip(p).map(|(&t, &v)| t * iy * v * ip).sum();
    if let Some(g) = grad {
        for ((gk, &t), &v) in g.iter_mut().zip(y).zip(p) {
            let (yn, pn) = (t * iy, v * ip);
            *gk = if through { -(yn - pn * c) * ip } else { -yn * ip };
        }
    }
    -c
}
