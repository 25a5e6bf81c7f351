//! Atomic file replacement: the new contents go to a file of their own in the target's folder,
//! are fsynced, renamed over the target, and the folder is fsynced. A crash at any moment leaves
//! either the old file or the new one.
//!
//! What else it promises:
//! - **Nothing predictable, nothing followed.** On Linux the new contents live in an anonymous
//!   file (`O_TMPFILE`), which the kernel removes whatever ends the process (a signal, `SIGKILL`,
//!   a panic); it gets a name only between `linkat` and `rename` at commit, and `linkat` never
//!   follows a symlink planted at that name (it fails with `EEXIST`, and another name is tried).
//!   Elsewhere, or on a file system without `O_TMPFILE`, the `tempfile` crate creates it
//!   (`O_CREAT | O_EXCL`, a random name), and it is removed when dropped.
//! - **The target keeps its permission bits**; a new target gets `0666` less the umask, as
//!   `File::create` gives.
//! - **What is not a regular file is not replaced**: a FIFO, `/dev/null` or a terminal is written
//!   into; a symlink is followed, and the file it points to is replaced (the link stays); a folder
//!   is refused.
//! - **Leftovers of a killed writer** (named `.{target}.{pid}.{n}.tmp`, with the target's extension
//!   after it for [`replace_with`]) are removed by the next
//!   writer of the same target only when process `pid` is gone; a live writer's file is left alone.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` atomically (see the module's documentation).
///
/// # Errors
/// The I/O error of the first step that failed; `path` is then unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Replaces `path` atomically with the file that `write` creates at the path it is given: a new
/// file of its own in `path`'s folder (`O_EXCL`, a random name) that ends in `path`'s extension,
/// for writers that choose a format by it (image encoders). The file is then fsynced, renamed over
/// `path` and the folder fsynced; on an error it is removed and `path` is untouched. A FIFO or a
/// device receives the written bytes instead (see the module's documentation).
///
/// # Errors
/// `write`'s error, or the I/O error of the step that failed.
pub fn replace_with<E: From<std::io::Error>>(path: &Path, write: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E> {
    let destination = destination(path)?;
    let (real, permissions) = match &destination {
        Destination::Replace { path, permissions } => (path.as_path(), permissions.clone()),
        Destination::Direct(path) => (path.as_path(), None),
    };
    // The extension of the name the caller gave (a link `x.png` to `/dev/null` is still drawn as PNG).
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    if let Destination::Direct(device) = &destination {
        // Drawn in the temporary folder (not beside a device in /dev), then fed to the device.
        let tmp = tempfile::Builder::new().prefix(".wxb.").suffix(&ext).tempfile()?.into_temp_path();
        write(&tmp)?;
        let bytes = fs::read(&tmp)?;
        OpenOptions::new().write(true).open(device)?.write_all(&bytes)?;
        return Ok(());
    }
    let tmp = named_temp(real, &ext)?.into_temp_path();
    write(&tmp)?;
    if let Some(permissions) = permissions {
        fs::set_permissions(&tmp, permissions)?;
    }
    File::open(&tmp)?.sync_all()?;
    tmp.persist(real).map_err(|e| e.error)?;
    let dir = parent(real);
    sync_dir(dir)?;
    remove_stale_temps(dir, real);
    Ok(())
}

/// What writing to a path means.
enum Destination {
    /// A regular file, or none yet: replaced, keeping its permission bits when it exists.
    Replace { path: PathBuf, permissions: Option<fs::Permissions> },
    /// A FIFO, a device or a terminal: written into.
    Direct(PathBuf),
}

/// Classifies `path`, following a symlink; a folder is refused.
fn destination(path: &Path) -> std::io::Result<Destination> {
    let path = follow_symlink(path)?;
    match fs::metadata(&path) {
        Ok(m) if m.is_dir() => {
            Err(std::io::Error::new(ErrorKind::IsADirectory, format!("{} is a folder", path.display())))
        }
        Ok(m) if !m.is_file() => Ok(Destination::Direct(path)),
        Ok(m) => Ok(Destination::Replace { path, permissions: Some(m.permissions()) }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Destination::Replace { path, permissions: None }),
        Err(e) => Err(e),
    }
}

/// A new file `.{target}.{pid}.{random}.tmp{suffix}` in `target`'s folder, created with
/// `O_CREAT | O_EXCL` by the `tempfile` crate (mode `0666` less the umask) and removed when dropped.
fn named_temp(target: &Path, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!(".{}.{}.", file_name(target), std::process::id()))
        .suffix(&format!(".tmp{suffix}"))
        .permissions(new_file_permissions())
        .tempfile_in(parent(target))
}

/// A file written in pieces and replaced atomically: the data goes to a file of its own in the
/// target's folder, and [`AtomicFile::commit`] fsyncs it, renames it over the target and fsyncs the
/// folder. Dropped without a commit (an error on the way), it leaves the target untouched and
/// nothing behind.
#[derive(Debug)]
pub struct AtomicFile {
    out: Option<BufWriter<File>>,
    target: Target,
}

/// Where the bytes end up.
#[derive(Debug)]
enum Target {
    /// A regular file (or a new one), replaced at commit.
    Replace { path: PathBuf, staged: Staged },
    /// A FIFO, a device or a terminal: written into.
    Direct,
}

/// The file holding the new contents until the commit.
#[derive(Debug)]
enum Staged {
    /// An `O_TMPFILE` file, without a name.
    Anonymous,
    /// A named temporary file, removed when dropped.
    Named(tempfile::TempPath),
}

impl AtomicFile {
    /// Starts replacing `path` (following a symlink to the file it names).
    ///
    /// # Errors
    /// When `path` is a folder or a dangling symlink, or its folder is not writable.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let (path, existing) = match destination(path)? {
            Destination::Direct(path) => {
                let file = OpenOptions::new().write(true).open(path)?;
                return Ok(Self { out: Some(BufWriter::with_capacity(1 << 16, file)), target: Target::Direct });
            }
            Destination::Replace { path, permissions } => (path, permissions),
        };
        let dir = parent(&path);
        let (file, staged) = match anonymous_in(dir) {
            Some(file) => (file, Staged::Anonymous),
            None => {
                let (file, tmp) = named_temp(&path, "")?.into_parts();
                (file, Staged::Named(tmp))
            }
        };
        if let Some(permissions) = existing {
            file.set_permissions(permissions)?;
        }
        Ok(Self { out: Some(BufWriter::with_capacity(1 << 16, file)), target: Target::Replace { path, staged } })
    }

    /// Makes the written bytes the target's contents, durably.
    ///
    /// # Errors
    /// The I/O error of the step that failed; the target is then unchanged.
    pub fn commit(mut self) -> std::io::Result<()> {
        let out = self.out.take().expect("not yet committed");
        let file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        let Target::Replace { path, staged } = std::mem::replace(&mut self.target, Target::Direct) else {
            return Ok(()); // written into a FIFO or a device: nothing to rename
        };
        file.sync_all()?;
        let dir = parent(&path);
        match staged {
            Staged::Named(tmp) => tmp.persist(&path).map_err(|e| e.error)?,
            Staged::Anonymous => {
                let name = link_anonymous(&file, dir, &path)?;
                if let Err(e) = fs::rename(&name, &path) {
                    let _ = fs::remove_file(&name);
                    return Err(e);
                }
            }
        }
        drop(file);
        sync_dir(dir)?;
        remove_stale_temps(dir, &path);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("not yet committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("not yet committed").flush()
    }
}

/// The folder of `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into())
}

/// `path`, or the file a symlink at `path` points to (through every link).
fn follow_symlink(path: &Path) -> std::io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("{} is a symlink to a missing file ({e})", path.display()))
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// `0666` (the umask applies), as `File::create`.
fn new_file_permissions() -> fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(0o666)
    }
    #[cfg(not(unix))]
    {
        File::open(".").and_then(|f| f.metadata()).map(|m| m.permissions()).expect("the current folder exists")
    }
}

/// An anonymous file in `dir` (Linux' `O_TMPFILE`, mode `0666` less the umask), when the file
/// system supports it and `/proc/self/fd` can give it a name later.
#[cfg(target_os = "linux")]
fn anonymous_in(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).mode(0o666).open(dir).ok()
}

#[cfg(not(target_os = "linux"))]
fn anonymous_in(_dir: &Path) -> Option<File> {
    None
}

/// Gives the anonymous `file` a fresh name `.{target}.{pid}.{n}.tmp` in `dir` and returns it.
#[cfg(target_os = "linux")]
fn link_anonymous(file: &File, dir: &Path, target: &Path) -> std::io::Result<PathBuf> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).expect("no NUL in a number");
    loop {
        let name = dir.join(temp_name(target));
        let to = CString::new(name.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "a path with a NUL byte"))?;
        // SAFETY: both paths are NUL-terminated C strings that outlive the call; `linkat` reads
        // them and touches no memory of ours.
        let rc = unsafe {
            libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW)
        };
        if rc == 0 {
            return Ok(name);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != ErrorKind::AlreadyExists {
            return Err(err);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn link_anonymous(_file: &File, _dir: &Path, _target: &Path) -> std::io::Result<PathBuf> {
    unreachable!("anonymous files are made on Linux only")
}

fn temp_name(target: &Path) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!(".{}.{}.{n}{nanos:08x}.tmp", file_name(target), std::process::id())
}

/// Creates `dir` and its missing parents, fsyncing the folder above each one created, so that the
/// new folders themselves survive a crash (not only the files later renamed into them).
///
/// # Errors
/// The I/O error of the step that failed.
pub fn create_dir_durable(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
    fs::create_dir_all(dir)?;
    for created in missing.iter().rev() {
        sync_dir(parent(created))?;
    }
    Ok(())
}

/// Best effort: removes the temporary files of `target` that a killed writer left behind, only
/// when the process that made them is gone (`/proc/{pid}` is absent). Without `/proc`, nothing is
/// removed. Also recognises the names older wxb versions used (`.{target}.tmp-{pid}-{n}`).
fn remove_stale_temps(dir: &Path, target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{}.", file_name(target));
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let pid = match rest.strip_prefix("tmp-") {
            Some(old) => old.split('-').next(),
            None if rest.ends_with(".tmp") || rest.contains(".tmp.") => rest.split('.').next(),
            None => None,
        };
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// fsyncs a directory, so that a rename inside it survives a crash.
///
/// # Errors
/// When the folder cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
