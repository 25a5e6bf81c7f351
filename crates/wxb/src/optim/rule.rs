//! [`Rule`]: the update rules wxb knows, serialised with Keras' class names, and parsed from
//! Keras' optimizer identifiers (`"adam"`, `"rmsprop"`, …).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Adadelta, Adagrad, Adam, AdamW, Adamax, Nadam, RmsProp, RuleMath, Sgd};

/// The update rules wxb knows, with their hyperparameters. Serialised as Keras writes an
/// optimizer: `{"class_name": "Adam", "config": {"beta_1": 0.9, …}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
#[non_exhaustive]
pub enum Rule {
    /// [`Sgd`].
    #[serde(rename = "SGD")]
    Sgd(Sgd),
    /// [`RmsProp`].
    #[serde(rename = "RMSprop")]
    RmsProp(RmsProp),
    /// [`Adam`].
    Adam(Adam),
    /// [`AdamW`].
    AdamW(AdamW),
    /// [`Adagrad`].
    Adagrad(Adagrad),
    /// [`Adadelta`].
    Adadelta(Adadelta),
    /// [`Adamax`].
    Adamax(Adamax),
    /// [`Nadam`].
    Nadam(Nadam),
}

impl Rule {
    /// Keras' class names of the rules, in the order of the variants.
    pub const CLASS_NAMES: [&'static str; 8] =
        ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"];

    /// Every rule with Keras' default hyperparameters, in the order of [`Rule::CLASS_NAMES`].
    pub fn all_defaults() -> [Rule; 8] {
        [
            Rule::Sgd(Sgd::default()),
            Rule::RmsProp(RmsProp::default()),
            Rule::Adam(Adam::default()),
            Rule::AdamW(AdamW::default()),
            Rule::Adagrad(Adagrad::default()),
            Rule::Adadelta(Adadelta::default()),
            Rule::Adamax(Adamax::default()),
            Rule::Nadam(Nadam::default()),
        ]
    }

    /// The rule's math (slots, update, traced step) as a trait object.
    pub fn math(&self) -> &dyn RuleMath {
        match self {
            Rule::Sgd(r) => r,
            Rule::RmsProp(r) => r,
            Rule::Adam(r) => r,
            Rule::AdamW(r) => r,
            Rule::Adagrad(r) => r,
            Rule::Adadelta(r) => r,
            Rule::Adamax(r) => r,
            Rule::Nadam(r) => r,
        }
    }

    /// Keras' class name (`SGD`, `RMSprop`, `Adam`, …).
    pub fn class_name(&self) -> &'static str {
        match self {
            Rule::Sgd(_) => "SGD",
            Rule::RmsProp(_) => "RMSprop",
            Rule::Adam(_) => "Adam",
            Rule::AdamW(_) => "AdamW",
            Rule::Adagrad(_) => "Adagrad",
            Rule::Adadelta(_) => "Adadelta",
            Rule::Adamax(_) => "Adamax",
            Rule::Nadam(_) => "Nadam",
        }
    }

    /// Keras' default learning rate for this optimizer: 0.01 for SGD, 0.001 for all others
    /// (Adadelta included: Keras 3 changed it from Keras 2's 1.0).
    pub fn default_learning_rate(&self) -> f32 {
        match self {
            Rule::Sgd(_) => 0.01,
            _ => 0.001,
        }
    }

    /// Keras' default decoupled weight decay: 0.004 for AdamW, none for the others.
    pub fn default_weight_decay(&self) -> Option<f32> {
        match self {
            Rule::AdamW(_) => Some(AdamW::DEFAULT_WEIGHT_DECAY),
            _ => None,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}

/// An optimizer name that wxb does not know.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown optimizer {name:?}; expected one of: {}", Rule::CLASS_NAMES.map(str::to_ascii_lowercase).join(", "))]
#[non_exhaustive]
pub struct UnknownOptimizer {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Rule {
    type Err = UnknownOptimizer;

    /// Parses a Keras optimizer identifier, as `keras.optimizers.get` does: the class name in any
    /// case (`"adam"`, `"Adam"`, `"RMSprop"`, `"rmsprop"`), giving Keras' default hyperparameters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        Rule::all_defaults()
            .into_iter()
            .find(|r| r.class_name().to_ascii_lowercase() == key)
            .ok_or_else(|| UnknownOptimizer { name: s.to_string() })
    }
}

macro_rules! from_rule {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Rule {
            fn from(r: $t) -> Self {
                Rule::$v(r)
            }
        }
    )*};
}

from_rule!(Sgd => Sgd, RmsProp => RmsProp, Adam => Adam, AdamW => AdamW, Adagrad => Adagrad, Adadelta => Adadelta, Adamax => Adamax, Nadam => Nadam);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keras_identifiers_in_any_case() {
        assert_eq!("adam".parse::<Rule>().unwrap(), Rule::Adam(Adam::default()));
        assert_eq!(" RMSprop ".parse::<Rule>().unwrap(), Rule::RmsProp(RmsProp::default()));
        assert_eq!("SGD".parse::<Rule>().unwrap(), Rule::Sgd(Sgd::default()));
        for (rule, name) in Rule::all_defaults().iter().zip(Rule::CLASS_NAMES) {
            assert_eq!(rule.class_name(), name);
            assert_eq!(&name.to_ascii_uppercase().parse::<Rule>().unwrap(), rule);
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = "adamm".parse::<Rule>().unwrap_err();
        assert_eq!(err.name, "adamm");
        let msg = err.to_string();
        for name in ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"] {
            assert!(msg.contains(name), "{msg}");
        }
    }

    #[test]
    fn keras_default_learning_rates_and_weight_decays() {
        let lrs: Vec<f32> = Rule::all_defaults().iter().map(Rule::default_learning_rate).collect();
        assert_eq!(lrs, [0.01, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001]);
        let wds: Vec<Option<f32>> = Rule::all_defaults().iter().map(Rule::default_weight_decay).collect();
        assert_eq!(wds, [None, None, None, Some(0.004), None, None, None, None]);
    }
}
