//! The macros that write a pooling kind from one line: `pool_layer!` (its [`Layer`](crate::layers::Layer)
//! methods over a [`PoolCore`](super::PoolCore)), `pooling_kind!` (a windowed kind: configuration,
//! [`LayerKind`](crate::layers::LayerKind), layer, builders) and `global_pooling_kind!`.

/// The [`Layer`](crate::layers::Layer) methods of a pooling kind whose layer has fields `config` (with a
/// method `spec() -> PoolSpec`) and `core: PoolCore`.
macro_rules! pool_layer {
    ($config:ident) => {
        layer_identity!($config);

        /// # Panics
        /// If the settings do not fit samples of `input_shape` (the message of
        /// [`LayerConfig::validate`]'s error).
        fn build(&mut self, input_shape: &[usize], _seed: u64) {
            let name = self.name().to_string();
            self.core = PoolCore::build(&self.config.spec(), &name, input_shape);
        }

        fn output_shape(&self) -> Vec<usize> {
            self.config.spec().output_shape(&self.core.geometry)
        }

        /// # Panics
        /// If `x`'s samples do not have the built shape.
        fn forward(&self, x: &Tensor, y: &mut Tensor, mode: Mode, scratch: &mut Scratch) {
            self.core.forward(&self.config.spec(), self.name(), x, y, mode, scratch);
        }

        /// # Panics
        /// If `dy` does not have the output's shape for `x`, or (max pooling) without a training
        /// forward pass in `scratch`.
        fn backward(&mut self, x: &Tensor, _y: &Tensor, dy: &Tensor, dx: Option<&mut Tensor>, scratch: &mut Scratch) {
            self.core.backward(&self.config.spec(), self.name(), x, dy, dx, scratch);
        }

        /// Every window's max or mean in `f64` (a max's source: its first largest input).
        fn forward_f64(&self, _input_shape: &[usize], x: &[f64]) -> Forward64 {
            self.core.forward_f64(self.config.spec().op, x)
        }

        /// A [`PoolTrace`](crate::layers::PoolTrace) per chosen output value.
        fn trace(&self, v: &SampleValues<'_>) -> LayerStep {
            self.core.trace(&self.config.spec(), v)
        }

        /// A max's largest input; an average's `k` inputs of largest magnitude.
        fn strongest_inputs(&self, x: &[f64], forward: &Forward64, chosen: &[usize], k: usize) -> Vec<usize> {
            self.core.strongest_inputs(x, forward, chosen, k)
        }
    };
}

/// A windowed pooling kind: `pooling_kind!(doc; Layer, Config, PoolOp::…, rank[, pool_size default
/// "twos"])` writes its Keras configuration (`pool_size`, `strides` default `pool_size`, `padding`,
/// `data_format`), its [`LayerKind`](crate::layers::LayerKind), the layer, its builders and its
/// [`Layer`](crate::layers::Layer).
macro_rules! pooling_kind {
    ($(#[$doc:meta])* $layer:ident, $config:ident, $op:expr, $n:literal $(, pool_size default $twos:literal)?) => {
        #[doc = concat!("Keras' `", stringify!($layer), "` configuration; Keras' defaults (`strides` the pool size, `valid`).")]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $config {
            /// The layer's name; `None` lets the model choose Keras' snake-cased class name.
            #[serde(default)]
            pub name: Option<String>,
            /// The window's size per spatial axis (required by Keras' average poolings, default 2 for
            /// its max poolings); one number for every axis or one per axis.
            #[serde($(default = $twos,)? deserialize_with = "int_or_list")]
            pub pool_size: [usize; $n],
            /// The steps between windows; `None` (Keras' default): the pool size.
            #[serde(default, deserialize_with = "opt_int_or_list")]
            pub strides: Option<[usize; $n]>,
            /// `valid` (default) or `same`.
            #[serde(default)]
            pub padding: Padding,
            /// Only `channels_last` (Keras' default) is supported.
            #[serde(default)]
            pub data_format: DataFormat,
        }

        impl $config {
            /// Windows of `pool_size`, Keras' defaults otherwise.
            pub fn new(pool_size: [usize; $n]) -> Self {
                Self { name: None, pool_size, strides: None, padding: Padding::Valid, data_format: DataFormat::ChannelsLast }
            }

            pub(crate) fn spec(&self) -> PoolSpec {
                let strides = self.strides.unwrap_or(self.pool_size);
                let window = Window::Local {
                    pool: PoolSpec::axes(&self.pool_size),
                    strides: PoolSpec::axes(&strides),
                    padding: self.padding,
                };
                PoolSpec { class: $config::CLASS_NAME, rank: $n, op: $op, window, data_format: self.data_format }
            }
        }

        impl LayerKind for $config {
            type Layer = $layer;

            fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
                self.spec().plan(input_shape, check).map(|(_, plan)| plan)
            }

            fn into_layer(self) -> $layer {
                $layer { config: self, core: PoolCore::default() }
            }
        }

        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $layer {
            config: $config,
            core: PoolCore,
        }

        impl $layer {
            /// Windows of `pool_size`, strides the pool size, `valid` padding (Keras' defaults).
            pub fn new(pool_size: [usize; $n]) -> Self {
                Self::from_config($config::new(pool_size))
            }

            config_setters! {
                $config;
                /// Sets the strides (default: the pool size).
                strides(s: [usize; $n]) => strides = Some(s);
                /// Sets the padding.
                padding(p: Padding) => padding = p;
            }
        }

        impl Layer for $layer {
            pool_layer!($config);
        }
    };
}

/// A global pooling kind: `global_pooling_kind!(doc; Layer, Config, PoolOp::…, rank)` writes its
/// Keras configuration (`data_format`, `keepdims` default false), its
/// [`LayerKind`](crate::layers::LayerKind), the layer and its [`Layer`](crate::layers::Layer).
macro_rules! global_pooling_kind {
    ($(#[$doc:meta])* $layer:ident, $config:ident, $op:expr, $n:literal) => {
        #[doc = concat!("Keras' `", stringify!($layer), "` configuration (`keepdims` default false).")]
        #[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $config {
            /// The layer's name; `None` lets the model choose Keras' snake-cased class name.
            #[serde(default)]
            pub name: Option<String>,
            /// Only `channels_last` (Keras' default) is supported.
            #[serde(default)]
            pub data_format: DataFormat,
            /// Whether the spatial axes stay, as 1s (default: false, `[channels]`).
            #[serde(default)]
            pub keepdims: bool,
        }

        impl $config {
            pub(crate) fn spec(&self) -> PoolSpec {
                let window = Window::Global { keepdims: self.keepdims };
                PoolSpec { class: $config::CLASS_NAME, rank: $n, op: $op, window, data_format: self.data_format }
            }
        }

        impl LayerKind for $config {
            type Layer = $layer;

            fn plan(&self, input_shape: &[usize], check: &Check) -> Result<LayerPlan, WxbError> {
                self.spec().plan(input_shape, check).map(|(_, plan)| plan)
            }

            fn into_layer(self) -> $layer {
                $layer { config: self, core: PoolCore::default() }
            }
        }

        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $layer {
            config: $config,
            core: PoolCore,
        }

        impl $layer {
            /// Pools every position of each channel into one value (`keepdims` false).
            pub fn new() -> Self {
                Self::from_config($config::default())
            }

            config_setters! {
                $config;
                /// Keeps the spatial axes as 1s.
                keepdims(keep: bool) => keepdims = keep;
            }
        }

        impl Layer for $layer {
            pool_layer!($config);
        }
    };
}
