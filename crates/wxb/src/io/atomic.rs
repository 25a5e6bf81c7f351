//! Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over the
//! target, fsync the folder. A crash at any moment leaves either the old file or the new one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_with(path, |tmp| File::create(tmp)?.write_all(bytes))
}

/// Replaces `path` atomically with the file that `write` creates at the temporary path it is given:
/// a path in the same folder that ends in `path`'s extension (for writers that choose a format by
/// it, such as image encoders). The file is then fsynced, renamed over `path`, and the folder
/// fsynced; on an error the temporary file is removed and `path` is untouched.
///
/// # Errors
/// `write`'s error, or the I/O error of syncing or renaming.
pub fn replace_with<E: From<std::io::Error>>(path: &Path, write: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = temp_path(dir, path);
    let result = write(&tmp).and_then(|()| {
        File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(dir).map_err(E::from)
    });
    match result {
        Ok(()) => remove_stale_temps(dir, path),
        Err(_) => {
            let _ = fs::remove_file(&tmp);
        }
    }
    result
}

/// A file written in pieces and replaced atomically: the data goes to a temporary file in the
/// target's folder, and [`AtomicFile::commit`] fsyncs it, renames it over the target and fsyncs the
/// folder. Dropped without a commit (an error on the way), it removes the temporary file and the
/// target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<std::io::BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts replacing `path`.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = temp_path(dir, path);
        let file = File::create(&tmp)?;
        Ok(Self { file: Some(std::io::BufWriter::with_capacity(1 << 16, file)), tmp, path: path.to_path_buf() })
    }

    /// Makes the written bytes the target's contents, durably.
    pub fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("not yet committed");
        let file = file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.path)?;
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        sync_dir(dir)?;
        remove_stale_temps(dir, &self.path);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("not yet committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("not yet committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() || self.tmp.exists() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Creates `dir` and its missing parents, fsyncing the folder above each one created, so that the
/// new folders themselves survive a crash (not only the files later renamed into them).
pub fn create_dir_durable(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
    fs::create_dir_all(dir)?;
    for created in missing.iter().rev() {
        sync_dir(created.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))?;
    }
    Ok(())
}

/// Best effort: removes the temporary files of `target` that a process killed in the middle of
/// [`write_atomic`] left behind (those of other processes; this one's are always cleaned up).
fn remove_stale_temps(dir: &Path, target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let prefix = format!(".{name}.tmp-");
    let ours = format!("{prefix}{}-", std::process::id());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) && !file.starts_with(&ours) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// fsyncs a directory, so that a rename inside it survives a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn temp_path(dir: &Path, target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let ext = target.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    dir.join(format!(".{name}.tmp-{}-{n}{ext}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("wxb-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_atomic_file_appears_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("wxb-atomic-file-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("out.csv");
        fs::write(&p, b"old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new, ").unwrap();
        drop(f);
        assert_eq!(fs::read(&p).unwrap(), b"old", "an uncommitted file changes nothing");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new, ").unwrap();
        f.write_all(b"whole").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"old");
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new, whole");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary left");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_temporaries_of_killed_writers_are_removed() {
        let dir = std::env::temp_dir().join(format!("wxb-atomic-stale-{}", std::process::id()));
        let nested = dir.join("a/b");
        create_dir_durable(&nested).unwrap();
        let stale = nested.join(".x.bin.tmp-4294967295-0");
        let other = nested.join(".y.bin.tmp-4294967295-0");
        fs::write(&stale, b"half").unwrap();
        fs::write(&other, b"half").unwrap();
        write_atomic(&nested.join("x.bin"), b"whole").unwrap();
        assert!(!stale.exists());
        assert!(other.exists(), "another file's temporaries are left alone");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_writer_given_a_path_keeps_the_extension_and_an_error_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("wxb-atomic-with-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("plot.png");
        fs::write(&p, b"old").unwrap();
        let failed: std::io::Result<()> = replace_with(&p, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png");
            fs::write(tmp, b"half")?;
            Err(std::io::Error::other("the drawing failed"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary left");
        replace_with(&p, |tmp| fs::write(tmp, b"new")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }
}
