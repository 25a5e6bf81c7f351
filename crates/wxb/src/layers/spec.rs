//! Model specs: the layers of a model as a JSON list of Keras-style layer configurations
//! (`[{"class_name": "Dense", "config": {"units": 64, "activation": "relu"}}, …]`), or an object
//! whose `layers` key holds that list — what `wxb train --spec` reads. Build the model with
//! [`Sequential::from_configs`](crate::Sequential::from_configs), which checks every value.

use super::LayerConfig;

/// Why a spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The text is not JSON.
    #[error("{line}:{column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON is not a list of layer configurations.
    #[error("invalid layer list: {message}")]
    Layers {
        /// What is wrong.
        message: String,
    },
}

/// Parses a model spec: a JSON list of Keras-style layer configurations
/// (`[{"class_name": "Dense", "config": {"units": 64, "activation": "relu"}}, …]`), or an object
/// whose `layers` key holds that list — what `wxb train --spec` reads. Build the model with
/// [`Sequential::from_configs`](crate::Sequential::from_configs), which checks every value.
pub fn parse_spec(json: &[u8]) -> Result<Vec<LayerConfig>, SpecError> {
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| SpecError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let layers = match value {
        serde_json::Value::Object(mut o) => match o.remove("layers") {
            Some(layers) => layers,
            None => {
                let keys: Vec<&str> = o.keys().map(String::as_str).collect();
                return Err(SpecError::Layers {
                    message: format!(
                        "an object needs a \"layers\" key holding the list of layers (found keys: {})",
                        if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                    ),
                });
            }
        },
        v => v,
    };
    serde_json::from_value(layers).map_err(|e| SpecError::Layers { message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_objects_parse_and_errors_say_where() {
        let list = br#"[{"class_name": "Dense", "config": {"units": 3}}]"#;
        assert_eq!(parse_spec(list).unwrap().len(), 1);
        let object = br#"{"layers": [{"class_name": "Dropout", "config": {"rate": 0.5}}]}"#;
        assert_eq!(parse_spec(object).unwrap()[0].class_name(), "Dropout");
        assert!(matches!(parse_spec(b"[\n{"), Err(SpecError::Syntax { line: 2, .. })));
        let e = parse_spec(br#"{"model": []}"#).unwrap_err();
        assert!(matches!(e, SpecError::Layers { .. }), "{e}");
        assert!(e.to_string().contains("needs a \"layers\" key") && e.to_string().contains("model"), "{e}");
        let e = parse_spec(br#"[{"class_name": "LSTM", "config": {}}]"#).unwrap_err();
        assert!(e.to_string().contains("LSTM"), "{e}");
    }
}
