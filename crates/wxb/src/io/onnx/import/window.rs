//! A Conv's or pooling's window read from its node's attributes (`kernel_shape`, `strides`,
//! `dilations`, `pads`, `auto_pad`), over an image (2 spatial axes) or a sequence (1: read as an
//! image of height 1, so both share the geometry).

use super::Fail;
use super::node::Node;
use crate::layers::Padding;

/// A window's geometry along the two image axes (a sequence: height 1).
pub struct Window {
    /// The kernel's `[h, w]`.
    pub kernel: [usize; 2],
    /// The strides.
    pub strides: [usize; 2],
    /// The dilations.
    pub dilations: [usize; 2],
    /// `[[top, bottom], [left, right]]`.
    pub pads: [[usize; 2]; 2],
}

/// The attribute `name` of `spatial` (1 or 2) lengths ≥ 1, as two (a sequence's with a leading 1).
fn lengths(node: &Node<'_>, name: &str, spatial: usize, default: [usize; 2]) -> Result<[usize; 2], Fail> {
    let ok = |v: i64| (1..=1 << 20).contains(&v);
    match node.ints(name)? {
        None => Ok(default),
        Some(v) => match (v.as_slice(), spatial) {
            (&[a, b], 2) if ok(a) && ok(b) => Ok([a as usize, b as usize]),
            (&[a], 1) if ok(a) => Ok([1, a as usize]),
            _ => Err(node.fail(format!("{name} {v:?}: expected {spatial} lengths ≥ 1 (a {spatial}-D window)"))),
        },
    }
}

/// The padding TensorFlow's `same` (ONNX's `SAME_UPPER`) adds along an axis of `n`:
/// `(before, after)`.
pub fn same_pads(n: usize, k: usize, s: usize, d: usize) -> [usize; 2] {
    let extent = (k - 1) * d + 1;
    let out = n.div_ceil(s);
    let total = ((out.max(1) - 1) * s + extent).saturating_sub(n);
    [total / 2, total - total / 2]
}

impl Window {
    /// The window of `node` over `image` (`[1, steps]` for a sequence, `spatial` = 1); `kernel`
    /// from the weights (a Conv) or `None` (a pooling: `kernel_shape`).
    pub fn read(node: &Node<'_>, image: [usize; 2], spatial: usize, kernel: Option<[usize; 2]>) -> Result<Self, Fail> {
        let kernel = match kernel {
            Some(k) => lengths(node, "kernel_shape", spatial, k)?,
            None => lengths(node, "kernel_shape", spatial, [0, 0])
                .and_then(|k| if k[1] == 0 { Err(node.fail("has no kernel_shape")) } else { Ok(k) })?,
        };
        let strides = lengths(node, "strides", spatial, [1, 1])?;
        let dilations = lengths(node, "dilations", spatial, [1, 1])?;
        let same = |lower: bool| -> [[usize; 2]; 2] {
            let mut p = [0, 1].map(|a| same_pads(image[a], kernel[a], strides[a], dilations[a]));
            if lower {
                p = p.map(|[b, a]| [a, b]);
            }
            p
        };
        let ok = |v: &i64| (0..=1 << 20).contains(v);
        let pads = match node.string("auto_pad", "NOTSET")?.as_str() {
            "NOTSET" => match (node.ints("pads")?, spatial) {
                (None, _) => [[0, 0], [0, 0]],
                (Some(p), 2) if p.len() == 4 && p.iter().all(ok) => {
                    [[p[0] as usize, p[2] as usize], [p[1] as usize, p[3] as usize]]
                }
                (Some(p), 1) if p.len() == 2 && p.iter().all(ok) => [[0, 0], [p[0] as usize, p[1] as usize]],
                (Some(p), _) => {
                    return Err(
                        node.fail(format!("pads {p:?}: expected {} lengths ≥ 0 (a {spatial}-D window)", 2 * spatial))
                    );
                }
            },
            "VALID" => [[0, 0], [0, 0]],
            "SAME_UPPER" => same(false),
            "SAME_LOWER" => same(true),
            other => return Err(node.fail(format!("auto_pad {other:?} is not an ONNX value"))),
        };
        Ok(Self { kernel, strides, dilations, pads })
    }

    /// `valid` or `same` (or, for a sequence, `causal`), when the pads are exactly one of them.
    pub fn padding(&self, image: [usize; 2]) -> Option<Padding> {
        if self.pads == [[0, 0], [0, 0]] {
            return Some(Padding::Valid);
        }
        let same = [0, 1].map(|a| same_pads(image[a], self.kernel[a], self.strides[a], self.dilations[a]));
        if self.pads == same {
            return Some(Padding::Same);
        }
        let causal = [[0, 0], [(self.kernel[1] - 1) * self.dilations[1], 0]];
        (image[0] == 1 && self.kernel[0] == 1 && self.pads == causal).then_some(Padding::Causal)
    }
}
