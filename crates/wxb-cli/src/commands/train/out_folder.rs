//! The `--out` folder of `wxb train`: what it may hold, checked before any training
//! ([`check_out`]), and written after it ([`save`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::io::{self, OptimizerState};
use wxb::prelude::*;
use wxb::train::History;

use crate::output;

/// The names `wxb train` writes into a model folder besides `config.json`.
const MODEL_FOLDER_FILES: [&str; 7] =
    ["model.safetensors", "history.csv", "training.png", "trace.csv", "trace.json", "trace.png", "checkpoints"];

/// Finds, before any training, an `--out` that this run could not or must not write: a folder
/// that holds something other than a wxb model (wxb replaces only its own model folders: a
/// `config.json` of the wxb format, or only files that `wxb train` writes, as an interrupted run
/// leaves), or a place where no file can be created (probed with an anonymous temporary file:
/// nothing is left).
pub(super) fn check_out(out: &Path) -> Result<()> {
    if out.is_dir() {
        let ours = match std::fs::read(out.join(io::CONFIG_FILE)) {
            Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
                .is_ok_and(|v| v.get("format").and_then(serde_json::Value::as_str) == Some(io::FORMAT_NAME)),
            Err(_) => std::fs::read_dir(out).with_context(|| format!("--out {}", out.display()))?.flatten().all(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                MODEL_FOLDER_FILES.contains(&name.as_str()) || (name.starts_with('.') && name.contains(".tmp"))
            }),
        };
        if !ours {
            bail!(
                "--out {}: the folder exists and holds files that are not a wxb model; wxb replaces only its \
                 own model folders: choose a new or empty folder",
                out.display()
            );
        }
    }
    let existing = out.ancestors().find(|a| a.as_os_str().is_empty() || a.exists()).unwrap_or(Path::new("."));
    let existing = if existing.as_os_str().is_empty() { Path::new(".") } else { existing };
    if let Err(e) = tempfile::tempfile_in(existing) {
        bail!("--out {}: cannot write in {} ({e}); nothing was trained", out.display(), existing.display());
    }
    Ok(())
}

/// Writes `history.csv`, the model, then `training.png` (headed by `title`).
///
/// The model (its weights file, whose embedded configuration carries the training state with its
/// own exact history) is what `--resume` and the loaders read; `history.csv` is a copy for people
/// and tools. It is written *before* the model so that it is never older than the model: a kill
/// (SIGKILL, power loss) during this save leaves either both complete, or a `history.csv` with the
/// epochs of the run being saved ahead of a model that still holds the previous run — never a
/// model whose epochs `history.csv` lacks. Nothing reads `history.csv` back, so a longer one is
/// harmless, and the next save of the folder rewrites it. The picture comes last and is only a
/// picture: failing to draw it does not undo the saved model, and says so.
pub fn save(
    model: &mut Sequential,
    dir: &Path,
    metadata: &BTreeMap<String, serde_json::Value>,
    history: &History,
    title: &str,
) -> Result<()> {
    io::atomic::create_dir_durable(dir).with_context(|| format!("--out {}", dir.display()))?;
    output::write_history_csv(history, &dir.join("history.csv"))?;
    io::save(model, dir, metadata, OptimizerState::Include)?;
    let png = dir.join("training.png");
    crate::plot::training_curves(history, title, &png).map_err(|e| {
        let cause = e.chain().last().map(ToString::to_string).unwrap_or_default();
        anyhow::anyhow!("the model is saved in {}/, but {} could not be drawn: {cause}", dir.display(), png.display())
    })
}
