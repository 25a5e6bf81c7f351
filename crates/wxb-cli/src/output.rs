//! Small text outputs: `history.csv`, prediction CSVs.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wxb::train::History;

/// `history.csv` in Keras' CSVLogger layout: `epoch` then the log keys in name order.
pub fn history_csv(history: &History) -> String {
    let keys: Vec<&str> = history.keys().collect();
    let mut s = String::from("epoch");
    for k in &keys {
        s.push(',');
        s.push_str(k);
    }
    s.push('\n');
    for (i, epoch) in history.epochs.iter().enumerate() {
        s.push_str(&epoch.to_string());
        for k in &keys {
            s.push(',');
            if let Some(v) = history.get(k).and_then(|v| v.get(i)) {
                s.push_str(&v.to_string());
            }
        }
        s.push('\n');
    }
    s
}

/// Writes `history.csv` atomically.
pub fn write_history_csv(history: &History, path: &Path) -> Result<()> {
    wxb::io::atomic::write_atomic(path, history_csv(history).as_bytes()).with_context(|| format!("{}", path.display()))
}

/// Whether `a` and `b` name one existing file: the same canonical path (`./x`, `dir/../x`,
/// symlinks) or the same device and inode (hard links, bind mounts).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    if let (Ok(ca), Ok(cb)) = (std::fs::canonicalize(a), std::fs::canonicalize(b))
        && ca == cb
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        false
    }
}

/// Refuses an output file that is one of `inputs` (each with what it is, for the message), so
/// that `--out` never replaces what the command reads.
pub fn refuse_overwriting(out: &Path, inputs: &[(&Path, &str)]) -> Result<()> {
    for (input, what) in inputs {
        if same_file(out, input) {
            bail!("--out {} is {what} ({}): choose another file; nothing was written", out.display(), input.display());
        }
    }
    Ok(())
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_csv_has_kerass_columns() {
        let mut h = History { epochs: vec![0, 1], ..History::default() };
        h.history.insert("loss".into(), vec![0.5, 0.25]);
        h.history.insert("accuracy".into(), vec![0.8, 0.9]);
        assert_eq!(history_csv(&h), "epoch,accuracy,loss\n0,0.8,0.5\n1,0.9,0.25\n");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
