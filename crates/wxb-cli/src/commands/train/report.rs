//! What `wxb train` says about the model it built and the model it saves: the binary head and its
//! positive class, early stopping (when it stopped, which epoch's weights it kept) and the saved
//! model's figures.

use wxb::Sequential;
use wxb::data::Schema;
use wxb::train::{EarlyStopping, History};

/// For a one-unit head on two classes: which class is 1.
pub fn binary_head(pre: &Schema, model: &Sequential) -> Option<String> {
    let names = pre.class_names()?;
    let outputs: usize = model.output_shape().iter().product();
    (names.len() == 2 && outputs == 1).then(|| {
        format!(
            "Binary classification: Dense(1, sigmoid) + binary_crossentropy; the output is the probability of \
             class {:?} (1, the second class in sorted order) against {:?} (0)",
            names[1], names[0]
        )
    })
}

/// When early stopping stopped training and which epoch's weights the model kept (epochs counted
/// from 1, as printed); `None` when it did neither.
pub fn early_stopping(early: &EarlyStopping, monitor: &str, patience: usize) -> Option<String> {
    let stopped = early.stopped_epoch().map(|e| {
        format!("Early stopping: stopped after epoch {}, {monitor} not having improved for {patience} epochs", e + 1)
    });
    let kept = early.restored_epoch().map(|e| {
        let best = early.best().map_or(String::new(), |b| format!(", {monitor} {}", crate::progress::format_value(b)));
        format!("kept the weights of epoch {} (the best{best})", e + 1)
    });
    match (stopped, kept) {
        (Some(s), Some(k)) => Some(format!("{s}; {k}")),
        (Some(s), None) => Some(s),
        (None, Some(k)) => Some(format!("Early stopping: {k}")),
        (None, None) => None,
    }
}

/// `Saved model: epoch N - loss: … - val_loss: …`: the logs of the epoch whose weights the model
/// holds (`epoch`, 0-based, as in the history; the last epoch when `None`).
pub fn saved_model(history: &History, epoch: Option<usize>) -> Option<String> {
    let at = match epoch {
        Some(e) => history.epochs.iter().position(|&x| x == e)?,
        None => history.epochs.len().checked_sub(1)?,
    };
    let logs: String = history
        .history
        .iter()
        .filter_map(|(k, v)| v.get(at).map(|&v| format!(" - {k}: {}", crate::progress::format_value(v))))
        .collect();
    Some(format!("Saved model: epoch {}{logs}", history.epochs[at] + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_models_line_shows_the_kept_epoch() {
        let mut h = History { epochs: vec![0, 1, 2], ..History::default() };
        h.history.insert("loss".into(), vec![0.9, 0.5, 0.7]);
        h.history.insert("val_loss".into(), vec![1.0, 0.25, 0.75]);
        assert_eq!(saved_model(&h, Some(1)).unwrap(), "Saved model: epoch 2 - loss: 0.5000 - val_loss: 0.2500");
        assert_eq!(saved_model(&h, None).unwrap(), "Saved model: epoch 3 - loss: 0.7000 - val_loss: 0.7500");
        assert_eq!(saved_model(&History::default(), None), None);
    }
}
