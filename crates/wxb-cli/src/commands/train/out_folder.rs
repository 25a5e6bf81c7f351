//! The `--out` folder of `wxb train`: what it may hold, checked before any training.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::io;

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
