//! [`Rule`]: the update rules wxb knows, serialised with Keras' class names, and parsed from
//! Keras' optimizer identifiers (`"adam"`, `"rmsprop"`, …).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lamb, Lion, Nadam, RmsProp, RuleMath, Sgd};
use crate::error::UnknownName;

/// The registry of update rules: one line per rule, its type (a file of this module), Keras'
/// class name and the name of its [`Optimizer`](super::Optimizer) shortcut with Keras' defaults.
/// Every dispatch over the rules is generated from this list: the [`Rule`] enum and its serde
/// names, [`Rule::math`], [`Rule::class_name`], the `From` conversions, the shortcuts
/// (`Optimizer::adam()`, …) and the vectorized update (`update.rs`). Adding an optimizer is its
/// file plus one line here. (SGD's shortcut, `Optimizer::sgd(lr)`, takes its learning rate.)
macro_rules! with_rules {
    ($then:ident) => {
        $then! {
            Sgd("SGD"),
            RmsProp("RMSprop", rmsprop),
            Adam("Adam", adam),
            AdamW("AdamW", adamw),
            Adagrad("Adagrad", adagrad),
            Adadelta("Adadelta", adadelta),
            Adamax("Adamax", adamax),
            Nadam("Nadam", nadam),
            Ftrl("Ftrl", ftrl),
            Lion("Lion", lion),
            Lamb("Lamb", lamb),
        }
    };
}
pub(super) use with_rules;

macro_rules! define_rules {
    ($($rule:ident($class:literal $(, $shortcut:ident)?)),* $(,)?) => {
        /// The update rules wxb knows, with their hyperparameters. Serialised as Keras writes an
        /// optimizer: `{"class_name": "Adam", "config": {"beta_1": 0.9, …}}`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "class_name", content = "config")]
        #[non_exhaustive]
        pub enum Rule {
            $(
                #[doc = concat!("[`", stringify!($rule), "`], Keras' `", $class, "`.")]
                #[serde(rename = $class)]
                $rule($rule),
            )*
        }

        impl Rule {
            /// Keras' class names of the rules, in the order of the variants.
            pub const CLASS_NAMES: &'static [&'static str] = &[$($class),*];

            /// Every rule with Keras' default hyperparameters, in the order of [`Rule::CLASS_NAMES`].
            pub fn all_defaults() -> Vec<Rule> {
                vec![$(Rule::$rule($rule::default())),*]
            }

            /// The rule's math (slots, update, traced step, defaults) as a trait object.
            pub fn math(&self) -> &dyn RuleMath {
                match self {
                    $(Rule::$rule(r) => r,)*
                }
            }

            /// Keras' class name (`SGD`, `RMSprop`, `Adam`, …).
            pub fn class_name(&self) -> &'static str {
                match self {
                    $(Rule::$rule(_) => $class,)*
                }
            }
        }

        $(
            impl From<$rule> for Rule {
                fn from(r: $rule) -> Self {
                    Rule::$rule(r)
                }
            }
        )*
    };
}

with_rules!(define_rules);

impl Rule {
    /// Keras' default learning rate for this optimizer ([`RuleMath::default_learning_rate`]).
    pub fn default_learning_rate(&self) -> f32 {
        self.math().default_learning_rate()
    }

    /// Keras' default decoupled weight decay ([`RuleMath::default_weight_decay`]).
    pub fn default_weight_decay(&self) -> Option<f32> {
        self.math().default_weight_decay()
    }
}

crate::error::display_as_name!(Rule, class_name);

impl FromStr for Rule {
    type Err = UnknownName;

    /// Parses a Keras optimizer identifier, as `keras.optimizers.get` does: the class name in any
    /// case (`"adam"`, `"Adam"`, `"RMSprop"`, `"rmsprop"`), giving Keras' default hyperparameters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        Rule::all_defaults().into_iter().find(|r| r.class_name().to_ascii_lowercase() == key).ok_or_else(|| {
            let known: Vec<String> = Rule::CLASS_NAMES.iter().map(|n| n.to_ascii_lowercase()).collect();
            UnknownName::new("optimizer", s, known.iter().map(String::as_str))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keras_identifiers_in_any_case() {
        assert_eq!("adam".parse::<Rule>().unwrap(), Rule::Adam(Adam::default()));
        assert_eq!(" RMSprop ".parse::<Rule>().unwrap(), Rule::RmsProp(RmsProp::default()));
        assert_eq!("SGD".parse::<Rule>().unwrap(), Rule::Sgd(Sgd::default()));
        for (rule, name) in Rule::all_defaults().iter().zip(Rule::CLASS_NAMES) {
            assert_eq!(rule.class_name(), *name);
            assert_eq!(&name.to_ascii_uppercase().parse::<Rule>().unwrap(), rule);
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = "adamm".parse::<Rule>().unwrap_err();
        assert_eq!(err.name, "adamm");
        let msg = err.to_string();
        for name in
            ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion", "lamb"]
        {
            assert!(msg.contains(name), "{msg}");
        }
    }

    #[test]
    fn keras_default_learning_rates_and_weight_decays() {
        let lrs: Vec<f32> = Rule::all_defaults().iter().map(Rule::default_learning_rate).collect();
        assert_eq!(lrs, [0.01, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001]);
        let wds: Vec<Option<f32>> = Rule::all_defaults().iter().map(Rule::default_weight_decay).collect();
        assert_eq!(wds, [None, None, None, Some(0.004), None, None, None, None, None, None, None]);
    }
}
