//! The library's training options on the command line, with Keras' names and defaults, flattened
//! into `wxb train`'s flags: the optimizer's hyperparameters, a learning-rate schedule, gradient
//! clipping, class weights, validation data, shuffling, the validation split's rule and
//! ReduceLROnPlateau. Strings become the library's types here (see [`TrainOptions::optimizer`],
//! [`TrainOptions::class_weight`]).
//!
//! **Adding an optimizer's hyperparameter** (Ftrl's `l1_regularization_strength`, Lion's `beta_1`…):
//! a field below named as Keras' argument (clap makes `--l1-regularization-strength` of it) and one
//! line in [`TrainOptions::hyperparameters`]. Which optimizer accepts it is not listed here: it is
//! read from the rule's own configuration (the keys of its Keras `config`), so a flag is accepted
//! exactly by the optimizers that have that hyperparameter.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, ValueEnum};
use serde_json::Value;
use wxb::optim::{Clipping, LearningRate, Optimizer};

mod schedule;
pub use schedule::schedule;

/// `--split`: how `--validation-split` chooses its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Rows drawn at random with --seed, class by class for classification (stratified).
    Shuffled,
    /// The last rows of the file, as Keras' validation_split.
    Last,
}

/// `--class-weight`.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassWeightArg {
    /// scikit-learn's `balanced`: class `c` weighs `n / (k · n_c)` over the training rows.
    Balanced,
    /// `NAME=W,…`: the weight of each named class (others weigh 1).
    Named(Vec<(String, f32)>),
}

/// The flags, as clap parses them.
#[derive(Debug, Args, Clone, Default)]
pub struct TrainOptions {
    /// SGD and RMSprop: momentum (Keras' default 0).
    #[arg(long, value_name = "M", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub momentum: Option<f32>,
    /// SGD: Nesterov momentum.
    #[arg(long, help_heading = "Optimizer hyperparameters")]
    pub nesterov: bool,
    /// Adam, AdamW, Adamax, Nadam, Lion, Lamb: decay of the first moment (default 0.9).
    #[arg(long, value_name = "B", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub beta_1: Option<f32>,
    /// Adam, AdamW, Adamax, Nadam, Lamb (default 0.999), Lion (0.99): decay of the second moment.
    #[arg(long, value_name = "B", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub beta_2: Option<f32>,
    /// The small constant added for numerical stability (default 1e-7).
    #[arg(long, value_name = "E", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub epsilon: Option<f32>,
    /// RMSprop (default 0.9) and Adadelta (0.95): the decay of the squared-gradient average.
    #[arg(long, value_name = "R", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub rho: Option<f32>,
    /// RMSprop: normalize by the gradient's variance estimate.
    #[arg(long, help_heading = "Optimizer hyperparameters")]
    pub centered: bool,
    /// Adam, AdamW: the AMSGrad variant.
    #[arg(long, help_heading = "Optimizer hyperparameters")]
    pub amsgrad: bool,
    /// Adagrad, Ftrl: the accumulators' starting value (default 0.1).
    #[arg(long, value_name = "V", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub initial_accumulator_value: Option<f32>,
    /// Ftrl: the learning rate's decay power, ≤ 0 (default −0.5).
    #[arg(long, value_name = "P", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub learning_rate_power: Option<f32>,
    /// Ftrl: L1 regularization strength (default 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub l1_regularization_strength: Option<f32>,
    /// Ftrl: L2 regularization strength (default 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub l2_regularization_strength: Option<f32>,
    /// Ftrl: L2 shrinkage regularization strength (default 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub l2_shrinkage_regularization_strength: Option<f32>,
    /// Ftrl: the β of its per-coordinate learning rate (default 0).
    #[arg(long, value_name = "B", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub beta: Option<f32>,
    /// Decoupled weight decay w ← w − w·wd·lr (every optimizer; AdamW's default 0.004).
    #[arg(long, value_name = "WD", allow_negative_numbers = true, help_heading = "Optimizer hyperparameters")]
    pub weight_decay: Option<f32>,
    /// A learning-rate schedule NAME:K=V,… with Keras' argument names: exponential (decay_steps,
    /// decay_rate, staircase), inverse-time (decay_steps, decay_rate, staircase), polynomial
    /// (decay_steps, end_learning_rate, power, cycle), piecewise (boundaries=B1/B2…,
    /// values=V0/V1/V2…), cosine (decay_steps, alpha, warmup_target, warmup_steps),
    /// cosine-restarts (first_decay_steps, t_mul, m_mul, alpha). initial_learning_rate defaults to
    /// --lr (else the optimizer's default).
    #[arg(long, value_name = "NAME:K=V,…", help_heading = "Optimizer hyperparameters")]
    pub lr_schedule: Option<String>,
    /// Clip each gradient value into [−V, V].
    #[arg(long, value_name = "V", allow_negative_numbers = true, conflicts_with_all = ["clipnorm", "global_clipnorm"])]
    pub clipvalue: Option<f32>,
    /// Scale all gradients together so that their joint L2 norm is at most NORM.
    #[arg(long, value_name = "NORM", allow_negative_numbers = true, conflicts_with = "clipnorm")]
    pub global_clipnorm: Option<f32>,
    /// Weigh each class's loss: `balanced` (n / (classes · count), as scikit-learn) or NAME=W,…
    #[arg(long, value_name = "balanced|NAME=W,…")]
    pub class_weight: Option<String>,
    /// Validate on this file (read with the training data's columns and preprocessing) instead of
    /// holding rows out.
    #[arg(long, value_name = "FILE", conflicts_with = "validation_split")]
    pub validation_data: Option<PathBuf>,
    /// Train on the rows in file order every epoch (Keras' shuffle=False).
    #[arg(long)]
    pub no_shuffle: bool,
    /// How --validation-split chooses its rows (default: shuffled, stratified for classes).
    #[arg(long, value_enum, value_name = "RULE")]
    pub split: Option<SplitArg>,
    /// Divide the learning rate by 10 when the monitored loss has stopped improving.
    #[arg(long, conflicts_with = "lr_schedule")]
    pub reduce_lr_on_plateau: bool,
    /// ReduceLROnPlateau's factor: new_lr = lr · factor (Keras' default 0.1).
    #[arg(long, value_name = "F", requires = "reduce_lr_on_plateau", allow_negative_numbers = true)]
    pub reduce_lr_factor: Option<f64>,
    /// ReduceLROnPlateau's patience in epochs (Keras' default 10).
    #[arg(long, value_name = "N", requires = "reduce_lr_on_plateau")]
    pub reduce_lr_patience: Option<usize>,
    /// ReduceLROnPlateau's lowest learning rate (Keras' default 0).
    #[arg(long, value_name = "LR", requires = "reduce_lr_on_plateau", allow_negative_numbers = true)]
    pub min_lr: Option<f64>,
}

impl TrainOptions {
    /// The optimizer hyperparameters given, as `(Keras' name, value)`: the one place a new
    /// optimizer's flags are listed.
    fn hyperparameters(&self) -> Vec<(&'static str, Value)> {
        let number = |v: Option<f32>| v.map(|v| Value::from(f64::from(v)));
        let flag = |b: bool| b.then_some(Value::Bool(true));
        [
            ("momentum", number(self.momentum)),
            ("nesterov", flag(self.nesterov)),
            ("beta_1", number(self.beta_1)),
            ("beta_2", number(self.beta_2)),
            ("epsilon", number(self.epsilon)),
            ("rho", number(self.rho)),
            ("centered", flag(self.centered)),
            ("amsgrad", flag(self.amsgrad)),
            ("initial_accumulator_value", number(self.initial_accumulator_value)),
            ("learning_rate_power", number(self.learning_rate_power)),
            ("l1_regularization_strength", number(self.l1_regularization_strength)),
            ("l2_regularization_strength", number(self.l2_regularization_strength)),
            ("l2_shrinkage_regularization_strength", number(self.l2_shrinkage_regularization_strength)),
            ("beta", number(self.beta)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    /// Checks what can be checked before any data is read: the syntax of `--class-weight`, the
    /// ReduceLROnPlateau values.
    ///
    /// # Errors
    /// The first flag found wrong, in one line.
    pub fn check(&self) -> Result<()> {
        if let Some(text) = &self.class_weight {
            parse_class_weight(text)?;
        }
        if let Some(f) = self.reduce_lr_factor
            && !(f.is_finite() && f > 0.0 && f < 1.0)
        {
            bail!("--reduce-lr-factor {f}: the factor must be in (0, 1) (Keras refuses a factor ≥ 1)");
        }
        if let Some(m) = self.min_lr
            && !(m.is_finite() && m >= 0.0)
        {
            bail!("--min-lr {m}: the lowest learning rate must be a number ≥ 0");
        }
        Ok(())
    }

    /// The flags that change the model's optimizer, which `--resume` takes from the saved model.
    pub fn check_resume(&self) -> Result<()> {
        let mut given: Vec<String> = self.hyperparameters().iter().map(|(k, _)| flag(k)).collect();
        for (name, set) in [
            ("--weight-decay", self.weight_decay.is_some()),
            ("--lr-schedule", self.lr_schedule.is_some()),
            ("--clipvalue", self.clipvalue.is_some()),
            ("--global-clipnorm", self.global_clipnorm.is_some()),
        ] {
            if set {
                given.push(name.into());
            }
        }
        if !given.is_empty() {
            bail!(
                "{}: --resume continues with the saved model's optimizer; train a new model to change it",
                given.join(", ")
            );
        }
        Ok(())
    }

    /// `optimizer` (chosen by `--optimizer`, with `--lr` and `--clipnorm` applied) with the
    /// hyperparameters, schedule, weight decay and clipping of these flags.
    ///
    /// # Errors
    /// A flag the optimizer does not have (the message lists those it has), a value out of range,
    /// or an invalid schedule.
    pub fn optimizer(&self, optimizer: Optimizer) -> Result<Optimizer> {
        let mut config = optimizer.config().clone();
        let given = self.hyperparameters();
        if !given.is_empty() {
            let mut rule = serde_json::to_value(&config.rule)?;
            let class = rule["class_name"].as_str().unwrap_or_default().to_string();
            let fields =
                rule.get_mut("config").and_then(Value::as_object_mut).ok_or_else(|| anyhow!("{class}: no config"))?;
            for (key, value) in given {
                if !fields.contains_key(key) {
                    let mut has: Vec<String> = fields.keys().map(|k| flag(k)).collect();
                    has.push("--weight-decay".into());
                    bail!(
                        "{}: the {class} optimizer has no {key}; its hyperparameters are {}",
                        flag(key),
                        has.join(", ")
                    );
                }
                check_value(key, &value)?;
                fields.insert(key.to_string(), value);
            }
            config.rule = serde_json::from_value(rule).map_err(|e| anyhow!("the {class} optimizer: {e}"))?;
        }
        if let Some(wd) = self.weight_decay {
            if !(wd.is_finite() && wd >= 0.0) {
                bail!("--weight-decay {wd}: the decay must be a number ≥ 0");
            }
            config.weight_decay = Some(wd);
        }
        for (name, value, clipping) in [
            ("--clipvalue", self.clipvalue, Clipping::Value as fn(f32) -> Clipping),
            ("--global-clipnorm", self.global_clipnorm, Clipping::GlobalNorm),
        ] {
            if let Some(c) = value {
                if !(c.is_finite() && c > 0.0) {
                    bail!("{name} {c}: the threshold must be a positive number");
                }
                config.clipping = clipping(c);
            }
        }
        if let Some(spec) = &self.lr_schedule {
            let initial = match config.learning_rate {
                LearningRate::Constant(lr) => lr,
                _ => config.rule.default_learning_rate(),
            };
            config.learning_rate = schedule(spec, initial)?;
        }
        Ok(Optimizer::from_config(config))
    }

    /// The class weights of `--class-weight` for classes `names`, whose training rows have the
    /// class ids `training` (for `balanced`).
    ///
    /// # Errors
    /// A class name the data does not have, a weight that is not a number ≥ 0, or no classes.
    pub fn class_weight(&self, names: Option<&[String]>, training: &[usize]) -> Result<Option<BTreeMap<usize, f32>>> {
        let Some(text) = &self.class_weight else { return Ok(None) };
        let Some(names) = names else {
            bail!("--class-weight: the task is regression; class weights need classes");
        };
        let weights = match parse_class_weight(text)? {
            ClassWeightArg::Balanced => {
                let (n, k) = (training.len() as f32, names.len() as f32);
                let mut counts = vec![0usize; names.len()];
                training.iter().for_each(|&c| counts[c] += 1);
                counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| (i, n / (k * c as f32))).collect()
            }
            ClassWeightArg::Named(pairs) => pairs
                .into_iter()
                .map(|(name, w)| match names.iter().position(|c| *c == name) {
                    Some(i) => Ok((i, w)),
                    None => Err(anyhow!("--class-weight: no class {name:?}; the classes are {}", quoted(names))),
                })
                .collect::<Result<_>>()?,
        };
        Ok(Some(weights))
    }
}

/// `--beta-1` for `beta_1`.
fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Keras' own checks of the hyperparameters (momentum in [0, 1]), and finite numbers.
fn check_value(key: &str, value: &Value) -> Result<()> {
    let Some(v) = value.as_f64() else { return Ok(()) };
    let (ok, range) = match key {
        "momentum" | "beta_1" | "beta_2" | "rho" => ((0.0..=1.0).contains(&v), "in [0, 1]"),
        "learning_rate_power" => (v.is_finite() && v <= 0.0, "a number ≤ 0"),
        _ => (v.is_finite() && v >= 0.0, "a number ≥ 0"),
    };
    if !ok {
        bail!("{} {v}: must be {range}", flag(key));
    }
    Ok(())
}

/// `balanced` or `NAME=W,…`.
pub fn parse_class_weight(text: &str) -> Result<ClassWeightArg> {
    if text.trim().eq_ignore_ascii_case("balanced") {
        return Ok(ClassWeightArg::Balanced);
    }
    let pairs = text
        .split(',')
        .map(|pair| {
            let (name, w) = pair
                .rsplit_once('=')
                .ok_or_else(|| anyhow!("--class-weight {text}: expected balanced or NAME=WEIGHT,… (got {pair:?})"))?;
            let w: f32 = w.trim().parse().map_err(|_| anyhow!("--class-weight: {w:?} is not a number"))?;
            if !(w.is_finite() && w >= 0.0) {
                bail!("--class-weight: the weight of {:?} must be a number ≥ 0, got {w}", name.trim());
            }
            Ok((name.trim().to_string(), w))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ClassWeightArg::Named(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_class_weights_are_sklearns() {
        // sklearn.utils.class_weight.compute_class_weight("balanced", classes=[0, 1, 2],
        // y=[0, 0, 0, 0, 1, 1, 2, 2]) = n / (k · count) = [8/12, 8/6, 8/6].
        let options = TrainOptions { class_weight: Some("balanced".into()), ..TrainOptions::default() };
        let names = ["a".to_string(), "b".into(), "c".into()];
        let w = options.class_weight(Some(&names), &[0, 0, 0, 0, 1, 1, 2, 2]).unwrap().unwrap();
        assert_eq!(w, BTreeMap::from([(0, 8.0 / 12.0), (1, 8.0 / 6.0), (2, 8.0 / 6.0)]));
        let named = TrainOptions { class_weight: Some("c=2.5,a=0.5".into()), ..TrainOptions::default() };
        assert_eq!(named.class_weight(Some(&names), &[]).unwrap().unwrap(), BTreeMap::from([(0, 0.5), (2, 2.5)]));
        let wrong = TrainOptions { class_weight: Some("d=1".into()), ..TrainOptions::default() };
        assert!(wrong.class_weight(Some(&names), &[]).unwrap_err().to_string().contains("no class \"d\""));
    }
}
