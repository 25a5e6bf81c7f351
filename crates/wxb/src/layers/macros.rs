//! The macros that keep a layer kind in one file plus one registry line:
//! `layer_registry!` generates [`LayerConfig`](super::LayerConfig) and its dispatch from the
//! list in `layers/mod.rs`; `config_setters!` writes a layer's builder setters;
//! `layer_identity!` the [`Layer`](super::Layer) methods every layer answers from its config.

/// Generates, from one `Kind(KindConfig)` line per layer kind, the [`LayerConfig`](super::LayerConfig)
/// enum (serialized as Keras' `{"class_name": "Kind", "config": {...}}`), its `build`, `name`,
/// `class_name` and `plan` dispatch, `From<KindConfig>`, and `KindConfig::CLASS_NAME`.
macro_rules! layer_registry {
    ($($(#[$doc:meta])* $kind:ident($config:ident),)*) => {
        /// A layer's architecture as Keras writes it: `{"class_name": "Dense", "config": {...}}`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "class_name", content = "config")]
        #[non_exhaustive]
        pub enum LayerConfig {
            $($(#[$doc])* $kind($config),)*
        }

        impl LayerConfig {
            /// A new, unbuilt layer from this configuration.
            pub fn build(&self) -> Box<dyn Layer> {
                match self {
                    $(LayerConfig::$kind(c) => Box::new(LayerKind::into_layer(c.clone())),)*
                }
            }

            /// The name the configuration gives the layer, if any.
            pub fn name(&self) -> Option<&str> {
                match self {
                    $(LayerConfig::$kind(c) => c.name.as_deref(),)*
                }
            }

            /// Keras' class name of the configured layer (`Dense`, `Dropout`, …).
            pub fn class_name(&self) -> &'static str {
                match self {
                    $(LayerConfig::$kind(_) => $config::CLASS_NAME,)*
                }
            }

            fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
                match self {
                    $(LayerConfig::$kind(c) => c.plan(input_shape, check),)*
                }
            }
        }

        $(
            impl $config {
                /// Keras' class name of the layer.
                pub const CLASS_NAME: &'static str = stringify!($kind);
            }

            impl From<$config> for LayerConfig {
                fn from(c: $config) -> Self {
                    LayerConfig::$kind(c)
                }
            }
        )*
    };
}

/// The constructor from a configuration and the builder setters of a layer whose configuration
/// (of type `$config`) is its `config` field: `from_config`, `named(&str)`, and for each line
/// `setter(arg: Type) => field = value;` a `pub fn setter(mut self, arg: Type) -> Self` setting
/// `self.config.field = value`.
macro_rules! config_setters {
    ($config:ident; $($(#[$doc:meta])* $setter:ident($($arg:ident: $ty:ty)?) => $field:ident = $value:expr;)*) => {
        /// The layer from its configuration.
        ///
        /// # Panics
        /// Where [`LayerKind::into_layer`](crate::layers::LayerKind::into_layer) does (a value out
        /// of range, e.g. a dropout rate of 1; [`LayerConfig::validate`](crate::layers::LayerConfig::validate)
        /// reports it as an error instead).
        pub fn from_config(config: $config) -> Self {
            LayerKind::into_layer(config)
        }

        $(
            $(#[$doc])*
            pub fn $setter(mut self $(, $arg: $ty)?) -> Self {
                self.config.$field = $value;
                self
            }
        )*

        /// Names the layer.
        pub fn named(mut self, name: &str) -> Self {
            self.config.name = Some(name.to_string());
            self
        }
    };
}

/// The [`Layer`](super::Layer) methods answered from the layer's `config` field of type
/// `$config`: `name`, `set_name`, `class_name`, `config`.
macro_rules! layer_identity {
    ($config:ident) => {
        fn name(&self) -> &str {
            self.config.name.as_deref().unwrap_or("")
        }

        fn set_name(&mut self, name: String) {
            self.config.name = Some(name);
        }

        fn class_name(&self) -> &'static str {
            $config::CLASS_NAME
        }

        fn config(&self) -> LayerConfig {
            self.config.clone().into()
        }
    };
}

/// For a normalization's configuration `$config` (every field with a serde default, and the
/// fields `scale`, `center`, `gamma_*`, `beta_*`): `Default` (Keras' defaults, as the serde
/// attributes give them) and `affine()`, the settings of `γ` and `β`.
macro_rules! normalization_config {
    ($config:ident) => {
        impl Default for $config {
            fn default() -> Self {
                super::keras_defaults()
            }
        }

        impl $config {
            /// `γ` and `β`'s settings.
            fn affine(&self) -> super::affine::Affine {
                let gamma = (self.gamma_initializer, self.gamma_regularizer, self.gamma_constraint);
                let beta = (self.beta_initializer, self.beta_regularizer, self.beta_constraint);
                super::affine::Affine { scale: self.scale, center: self.center, gamma, beta }
            }
        }
    };
}
