use super::*;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn replaces_the_file_and_leaves_no_temporary_behind() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.txt");
    write_atomic(&p, b"one").unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two");
    assert_eq!(names(dir.path()), ["a.txt"]);
}

#[test]
fn an_atomic_file_appears_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.csv");
    fs::write(&p, b"old").unwrap();
    let mut f = AtomicFile::create(&p).unwrap();
    f.write_all(b"new, ").unwrap();
    drop(f);
    assert_eq!(fs::read(&p).unwrap(), b"old", "an uncommitted file changes nothing");
    assert_eq!(names(dir.path()), ["out.csv"], "and leaves nothing behind");
    let mut f = AtomicFile::create(&p).unwrap();
    f.write_all(b"new, ").unwrap();
    if anonymous_in(dir.path()).is_some() {
        assert_eq!(names(dir.path()), ["out.csv"], "an O_TMPFILE file has no name before the commit");
    }
    f.write_all(b"whole").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"old");
    f.commit().unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"new, whole");
    assert_eq!(names(dir.path()), ["out.csv"], "no temporary left");
}

#[test]
fn stale_temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    create_dir_durable(&nested).unwrap();
    // Process 4294967295 cannot exist; process 1 (init) always does.
    let dead = [".x.bin.4294967295.12.tmp", ".x.bin.tmp-4294967295-0"];
    let kept = [".x.bin.1.5.tmp", ".y.bin.4294967295.0.tmp", ".x.bin.notes"];
    for name in dead.iter().chain(&kept) {
        fs::write(nested.join(name), b"half").unwrap();
    }
    write_atomic(&nested.join("x.bin"), b"whole").unwrap();
    let left = names(&nested);
    for name in dead {
        assert!(!left.contains(&name.to_string()), "{name} should be removed: {left:?}");
    }
    if Path::new("/proc/1").exists() {
        for name in kept {
            assert!(left.contains(&name.to_string()), "{name} should be kept: {left:?}");
        }
    }
}

/// Writes `name` in a fresh folder with mode `mode`, replaces it with `write`, and returns the
/// replaced file's permission bits.
#[cfg(unix)]
fn mode_after(name: &str, mode: u32, write: impl Fn(&Path)) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    fs::write(&p, b"old").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    write(&p);
    fs::metadata(&p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_target_keeps_its_permission_bits() {
    for mode in [0o600, 0o640] {
        assert_eq!(mode_after("secret.json", mode, |p| write_atomic(p, b"{}").unwrap()), mode);
        assert_eq!(mode_after("plot.png", mode, |p| replace_with(p, |tmp| fs::write(tmp, b"new")).unwrap()), mode);
    }
}

#[cfg(unix)]
#[test]
fn a_new_file_gets_what_file_create_gives() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (ours, std) = (dir.path().join("ours"), dir.path().join("std"));
    write_atomic(&ours, b"x").unwrap();
    File::create(&std).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&ours), mode(&std));
}

#[cfg(unix)]
#[test]
fn a_symlink_is_followed_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.csv");
    let link = dir.path().join("link.csv");
    fs::write(&real, b"old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write_atomic(&link, b"new").unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(&real).unwrap(), b"new");
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
    let err = write_atomic(&dangling, b"x").unwrap_err();
    assert!(err.to_string().contains("dangling"), "{err}");
}

#[test]
fn a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = write_atomic(dir.path(), b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IsADirectory, "{err}");
}

#[cfg(unix)]
#[test]
fn devices_are_written_into_not_replaced() {
    let null = Path::new("/dev/null");
    if !null.exists() {
        return;
    }
    write_atomic(null, b"nothing").unwrap();
    let m = fs::symlink_metadata(null).unwrap();
    assert!(!m.is_file(), "/dev/null must stay a device");
}

#[cfg(unix)]
#[test]
fn a_fifo_receives_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this system
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(&fifo).unwrap())
    };
    write_atomic(&fifo, b"through the pipe").unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(!fs::symlink_metadata(&fifo).unwrap().is_file(), "the FIFO stays a FIFO");
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_at_a_temporary_name_redirects_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    // Plant links at the names an older wxb would have used, and at this process' next names.
    let pid = std::process::id();
    for n in 0..64 {
        for name in [format!(".m.json.tmp-{pid}-{n}"), format!(".m.json.{pid}.{n}.tmp")] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
    }
    write_atomic(&dir.path().join("m.json"), b"{}").unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_eq!(fs::read(dir.path().join("m.json")).unwrap(), b"{}");
}

#[test]
fn a_writer_given_a_path_keeps_the_extension_and_an_error_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plot.png");
    fs::write(&p, b"old").unwrap();
    let failed: std::io::Result<()> = replace_with(&p, |tmp| {
        assert_eq!(tmp.extension().unwrap(), "png");
        assert_eq!(tmp.parent(), Some(dir.path()));
        fs::write(tmp, b"half")?;
        Err(std::io::Error::other("the drawing failed"))
    });
    assert!(failed.is_err());
    assert_eq!(fs::read(&p).unwrap(), b"old");
    assert_eq!(names(dir.path()), ["plot.png"], "no temporary left");
    replace_with(&p, |tmp| fs::write(tmp, b"new")).unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"new");
    assert_eq!(names(dir.path()), ["plot.png"]);
    // A dead writer's picture is swept like any other temporary.
    fs::write(dir.path().join(".plot.png.4294967295.ab12.tmp.png"), b"half").unwrap();
    replace_with(&p, |tmp| fs::write(tmp, b"newer")).unwrap();
    assert_eq!(names(dir.path()), ["plot.png"]);
}

#[cfg(unix)]
#[test]
fn a_writer_given_a_path_feeds_devices() {
    if !Path::new("/dev/null").exists() {
        return;
    }
    replace_with(Path::new("/dev/null"), |tmp| fs::write(tmp, b"x")).unwrap();
    assert!(!fs::symlink_metadata("/dev/null").unwrap().is_file());
    // A link named `.png` to a device: the writer still gets a `.png` path (the format is chosen by
    // the name the caller gave, not by the device's).
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("curves.png");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    replace_with(&link, |tmp| {
        assert_eq!(tmp.extension().and_then(|e| e.to_str()), Some("png"), "{}", tmp.display());
        fs::write(tmp, b"x")
    })
    .unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}
