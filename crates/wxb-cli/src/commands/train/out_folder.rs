//! The `--out` of `wxb train`: a model folder, or a Keras `.keras` file with a folder
//! `<name>-training/` beside it for what is not the model (`history.csv`, `training.png`, the
//! trace's files, `checkpoints/`: wxb folders); what they may hold, checked before any training
//! ([`check_target`]), and written after it ([`save`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wxb::io::{self, ModelFormat, OptimizerState};
use wxb::prelude::*;
use wxb::train::History;

use crate::output;

/// The names `wxb train` writes into a model folder besides `config.json`.
const MODEL_FOLDER_FILES: [&str; 7] =
    ["model.safetensors", "history.csv", "training.png", "trace.csv", "trace.json", "trace.png", "checkpoints"];

/// Whether `--out` names a `.keras` file (any other model file extension is refused by
/// [`check_target`]).
fn is_keras(out: &Path) -> bool {
    ModelFormat::for_output(out) == ModelFormat::Keras
}

/// The folder of what `wxb train` writes besides the model: `--out` itself for a model folder,
/// `<stem>-training/` beside a `.keras` file (`model.keras` → `model-training/`).
pub fn side_dir(out: &Path) -> PathBuf {
    if !is_keras(out) {
        return out.to_path_buf();
    }
    let stem = out.file_stem().map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}-training"))
}

/// The model's place as said in messages: `m/` for a folder, `m.keras` for a file.
pub fn shown(out: &Path) -> String {
    if is_keras(out) { out.display().to_string() } else { format!("{}/", out.display()) }
}

/// The status line said once the model is saved.
pub fn saved_line(out: &Path) -> String {
    if is_keras(out) {
        format!(
            "Saved the model to {} (Keras 3, with the optimizer's state); history.csv and training.png in {}/",
            out.display(),
            side_dir(out).display()
        )
    } else {
        format!("Saved the model to {}/ (config.json, model.safetensors, history.csv, training.png)", out.display())
    }
}

/// Finds, before any training, an `--out` this run could not or must not write: another model
/// file format (`wxb export` makes them), a folder named `*.keras`, a `.keras` that is some other
/// file, or a folder (the `.keras` file's side folder) as [`check_out`] says.
pub(super) fn check_target(out: &Path, leads: bool) -> Result<()> {
    match ModelFormat::for_output(out) {
        ModelFormat::Folder if out.exists() && !out.is_dir() => {
            bail!("--out {}: a file of that name exists; the model is a folder (or name a .keras file)", out.display())
        }
        ModelFormat::Folder => {}
        ModelFormat::Keras => {
            if out.is_dir() {
                bail!("--out {}: a folder of that name exists; a .keras model is a file", out.display());
            }
            if out.exists() && io::detect_format(out).ok() != Some(ModelFormat::Keras) {
                bail!("--out {}: the file exists and is not a Keras archive; wxb replaces only models", out.display());
            }
        }
        other => bail!(
            "--out {}: `wxb train` saves a wxb folder or a .keras file; make a {other} file of the saved model \
             with `wxb export`",
            out.display()
        ),
    }
    if leads {
        check_out(&side_dir(out))?;
    }
    Ok(())
}

/// Finds, before any training, an `--out` that this run could not or must not write: a folder
/// that holds something other than a wxb model (wxb replaces only its own model folders: a
/// `config.json` of the wxb format, or only files that `wxb train` writes, as an interrupted run
/// leaves), or a place where no file can be created (probed with an anonymous temporary file:
/// nothing is left).
fn check_out(out: &Path) -> Result<()> {
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

/// Writes `history.csv`, the model (at `out`: a folder, or a `.keras` file whose `metadata.json`
/// keeps the schema and the training state), then `training.png` (headed by `title`), these two
/// in [`side_dir`].
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
    out: &Path,
    metadata: &BTreeMap<String, serde_json::Value>,
    history: &History,
    title: &str,
) -> Result<()> {
    let dir = &side_dir(out);
    io::atomic::create_dir_durable(dir).with_context(|| format!("--out {}", dir.display()))?;
    output::write_history_csv(history, &dir.join("history.csv"))?;
    if is_keras(out) {
        io::keras::save_keras(model, metadata, out)?;
    } else {
        io::save(model, dir, metadata, OptimizerState::Include)?;
    }
    let png = dir.join("training.png");
    crate::plot::training_curves(history, title, &png).map_err(|e| {
        let cause = e.chain().last().map(ToString::to_string).unwrap_or_default();
        anyhow::anyhow!("the model is saved in {}, but {} could not be drawn: {cause}", out.display(), png.display())
    })
}
