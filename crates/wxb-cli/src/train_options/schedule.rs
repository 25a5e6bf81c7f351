//! `--lr-schedule NAME:K=V,…`: Keras' `keras.optimizers.schedules` by a short name and Keras'
//! argument names, read into the library's [`LearningRate`].

use anyhow::{Result, anyhow, bail};
use serde_json::{Map, Value};
use wxb::optim::LearningRate;

/// The schedules by their command-line names and Keras' class names.
const SCHEDULES: [(&str, &str); 6] = [
    ("exponential", "ExponentialDecay"),
    ("inverse-time", "InverseTimeDecay"),
    ("polynomial", "PolynomialDecay"),
    ("piecewise", "PiecewiseConstantDecay"),
    ("cosine", "CosineDecay"),
    ("cosine-restarts", "CosineDecayRestarts"),
];

/// `NAME:K=V,…` as Keras' `{"class_name", "config"}`, read by the library's [`LearningRate`]:
/// values are numbers, `true`/`false`, or lists `A/B/C`; `initial_learning_rate` defaults to
/// `initial`. A key the schedule does not take is refused with the keys it takes.
pub fn schedule(spec: &str, initial: f32) -> Result<LearningRate> {
    let (name, args) = spec.split_once(':').unwrap_or((spec, ""));
    let names: Vec<&str> = SCHEDULES.iter().map(|(n, _)| *n).collect();
    let key = name.trim().to_ascii_lowercase().replace('_', "-");
    let class = SCHEDULES
        .iter()
        .find(|(n, c)| *n == key || c.eq_ignore_ascii_case(name.trim()))
        .map(|(_, c)| *c)
        .ok_or_else(|| anyhow!("--lr-schedule {spec}: unknown schedule {name:?}; known: {}", names.join(", ")))?;
    let mut config = Map::new();
    if class != "PiecewiseConstantDecay" {
        config.insert("initial_learning_rate".into(), Value::from(f64::from(initial)));
    }
    for pair in args.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| anyhow!("--lr-schedule {spec}: expected K=V, got {pair:?}"))?;
        let key = k.trim().replace('-', "_");
        let mut v = value(v.trim()).map_err(|e| anyhow!("--lr-schedule {spec}: {k}: {e}"))?;
        if matches!(key.as_str(), "boundaries" | "values") && !v.is_array() {
            v = Value::Array(vec![v]); // one boundary, written without a slash
        }
        config.insert(key, v);
    }
    let json = serde_json::json!({ "class_name": class, "config": config.clone() });
    let lr: LearningRate = serde_json::from_value(json).map_err(|e| anyhow!("--lr-schedule {spec}: {e}"))?;
    let known = serde_json::to_value(&lr)?;
    let known = known.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(k) = config.keys().find(|k| !known.contains_key(*k)) {
        let keys: Vec<&String> = known.keys().collect();
        bail!(
            "--lr-schedule {spec}: {class} has no {k}; it takes {}",
            keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    lr.validate().map_err(|e| anyhow!("--lr-schedule {spec}: {e}"))?;
    Ok(lr)
}

/// A schedule argument's value.
fn value(text: &str) -> Result<Value, String> {
    let one = |t: &str| -> Result<Value, String> {
        match t {
            "true" | "True" => Ok(Value::Bool(true)),
            "false" | "False" => Ok(Value::Bool(false)),
            _ => match (t.parse::<u64>(), t.parse::<f64>()) {
                (Ok(i), _) => Ok(Value::from(i)),
                (_, Ok(f)) if f.is_finite() => Ok(Value::from(f)),
                _ => Err(format!("{t:?} is not a number")),
            },
        }
    };
    if text.contains('/') {
        text.split('/').map(one).collect::<Result<Vec<_>, _>>().map(Value::Array)
    } else {
        one(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wxb::optim::{ExponentialDecay, PiecewiseConstantDecay};

    #[test]
    fn schedules_read_keras_arguments() {
        let lr = schedule("exponential:decay_steps=10,decay_rate=0.5", 0.1).unwrap();
        assert_eq!(lr, LearningRate::ExponentialDecay(ExponentialDecay::new(0.1, 10, 0.5)));
        let lr = schedule("piecewise:boundaries=10/20,values=0.1/0.01/0.001", 0.1).unwrap();
        assert_eq!(
            lr,
            LearningRate::PiecewiseConstantDecay(PiecewiseConstantDecay::new(vec![10, 20], vec![0.1, 0.01, 0.001]))
        );
        let e = schedule("exponential:decay_steps=10,decay_rate=0.5,power=2", 0.1).unwrap_err().to_string();
        assert!(e.contains("ExponentialDecay has no power; it takes decay_rate, decay_steps"), "{e}");
        assert!(schedule("cosine:decay_steps=0", 0.1).unwrap_err().to_string().contains("decay_steps"));
        assert!(schedule("linear:decay_steps=3", 0.1).unwrap_err().to_string().contains("known: exponential"));
    }
}
