//! [`Affine`]: the scale `γ` and offset `β` of a normalization (`y = γ·x̂ + β`), shared by
//! BatchNormalization and LayerNormalization: their settings, checks and weights.

use super::{Check, Param, feature_param};
use crate::constraints::Constraint;
use crate::error::WxbError;
use crate::init::Initializer;
use crate::regularizers::Regularizer;

/// One per-feature weight's settings: initializer, penalty, projection.
pub(crate) type WeightSettings = (Initializer, Option<Regularizer>, Option<Constraint>);

/// A normalization's `γ` (with `scale`) and `β` (with `center`), as configured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine {
    /// Whether the layer multiplies by `γ`.
    pub scale: bool,
    /// Whether the layer adds `β`.
    pub center: bool,
    /// `γ`'s settings.
    pub gamma: WeightSettings,
    /// `β`'s settings.
    pub beta: WeightSettings,
}

impl Affine {
    /// The weights' names, in Keras' order: `gamma`, `beta` (those the layer has).
    pub fn names(&self) -> Vec<&'static str> {
        [("gamma", self.scale), ("beta", self.center)].iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect()
    }

    /// Checks both weights' settings (`gamma_initializer`, `gamma_regularizer`, … as Keras names
    /// the fields).
    pub fn check(&self, check: &Check) -> Result<(), WxbError> {
        let (g, b) = (self.gamma, self.beta);
        check.feature_weight(["gamma_initializer", "gamma_regularizer", "gamma_constraint"], g.0, g.1, g.2)?;
        check.feature_weight(["beta_initializer", "beta_regularizer", "beta_constraint"], b.0, b.1, b.2)
    }

    /// The weights `[features]` of layer `layer`, each drawn from its stream `{layer}/{name}`.
    pub fn params(&self, layer: &str, features: usize, seed: u64) -> Vec<Param> {
        let settings = [(self.scale, "gamma", self.gamma), (self.center, "beta", self.beta)];
        let on = settings.into_iter().filter(|(on, ..)| *on);
        on.map(|(_, name, (init, r, c))| feature_param(layer, name, features, init, r, c, seed)).collect()
    }
}
