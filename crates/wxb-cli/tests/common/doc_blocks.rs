//! The docs harness (see `it/docs.rs`): runs the commands of ```` ```console ```` blocks and
//! compares their output with the lines shown under them. A block whose info string names a tag
//! (```` ```console mpi ````) runs only where that tag is asked for (`tests/mpi.rs` runs the `mpi`
//! blocks under `mpirun`; the default `cargo test` cannot).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository")
}

/// One command of a console block: the command, the expected lines and where they are.
pub struct Step {
    pub command: String,
    pub expected: Vec<String>,
    /// The lines `[start, end)` of the file holding the expected output.
    span: (usize, usize),
    /// The block's indentation (a block in a list item), removed from its lines.
    indent: usize,
}

/// The commands of every ```` ```console ```` block whose tag (the info string's second word,
/// if any) is `tag`.
pub fn steps(text: &str, tag: Option<&str>) -> Vec<Step> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let info = lines[i].trim_start();
        if info.starts_with("```console") && info["```console".len()..].split_whitespace().next() == tag {
            let indent = lines[i].len() - lines[i].trim_start().len();
            let dedent = |l: &str| -> String {
                l.get(indent..).filter(|_| l[..indent].trim().is_empty()).unwrap_or(l).to_string()
            };
            let fence = |l: &str| l.trim_start().starts_with("```");
            i += 1;
            while i < lines.len() && !fence(lines[i]) {
                if let Some(command) = dedent(lines[i]).strip_prefix("$ ") {
                    let start = i + 1;
                    let mut end = start;
                    while end < lines.len() && !dedent(lines[end]).starts_with("$ ") && !fence(lines[end]) {
                        end += 1;
                    }
                    let expected = lines[start..end].iter().map(|l| dedent(l)).collect();
                    steps.push(Step { command: command.to_string(), expected, span: (start, end), indent });
                    i = end;
                } else {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    steps
}

/// Whether a word is a duration: digits and `us`, `ms` or `s`, optionally `/step`.
fn duration(word: &str) -> bool {
    let w = word.strip_suffix("/step").unwrap_or(word);
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &w[digits.len()..];
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.') && ["us", "ms", "s"].contains(&unit)
}

/// Whether two words agree: equal, both durations, or equal punctuation around numbers within 1 %.
fn same_word(want: &str, got: &str) -> bool {
    if want == got || (duration(want) && duration(got)) {
        return true;
    }
    let punct = |c: char| "()[]{},;:\"'".contains(c);
    let inner = |w: &str| -> (String, String, String) {
        let core = w.trim_start_matches(punct);
        let head = &w[..w.len() - core.len()];
        let body = core.trim_end_matches(punct);
        (head.into(), body.into(), core[body.len()..].into())
    };
    let (wh, wb, wt) = inner(want);
    let (gh, gb, gt) = inner(got);
    match (wb.parse::<f64>(), gb.parse::<f64>()) {
        (Ok(a), Ok(b)) if wh == gh && wt == gt => (a - b).abs() <= 0.01 * 1f64.max(a.abs()).max(b.abs()),
        _ => false,
    }
}

/// Whether `got` matches the pattern `want`, whose `[..]` match any text.
fn glob(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("[..]").collect();
    let Some(rest) = got.strip_prefix(parts[0]) else { return false };
    let mut rest = rest;
    for (k, part) in parts.iter().enumerate().skip(1) {
        if k == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Whether one line matches.
pub fn same_line(want: &str, got: &str) -> bool {
    if want.contains("[..]") {
        return glob(want.trim_end(), got.trim_end());
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split_whitespace().collect(), got.split_whitespace().collect());
    w.len() == g.len() && w.iter().zip(&g).all(|(a, b)| same_word(a, b))
}

/// Whether the lines match, `...` matching any run of lines.
pub fn same_lines(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if ["...", "…"].contains(&w.trim()) => {
            (0..=got.len()).any(|skip| same_lines(rest, &got[skip..]))
        }
        // `  neuron dense[6]: …`: this line's beginning, then any lines.
        Some((w, rest)) if w.trim_end().ends_with(" …") => got.split_first().is_some_and(|(g, more)| {
            glob(&format!("{}[..]", w.trim_end().trim_end_matches('…')), g)
                && (0..=more.len()).any(|skip| same_lines(rest, &more[skip..]))
        }),
        Some((w, rest)) => got.split_first().is_some_and(|(g, more)| same_line(w, g) && same_lines(rest, more)),
    }
}

/// Runs `command` in `dir` and returns what a terminal would show and the exit status.
fn run(dir: &Path, command: &str, envs: &[(&str, &str)]) -> (String, i32) {
    let bin = Path::new(env!("CARGO_BIN_EXE_wxb")).parent().expect("the binary's folder").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("a PATH");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} 2>&1"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("WXB_MEMORY_BUDGET")
        .envs(envs.iter().copied())
        .output()
        .expect("sh runs");
    let shown = String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "[TMP]");
    (shown, out.status.code().unwrap_or(-1))
}

/// Runs the console blocks of one file tagged `tag`, with `envs` added to the environment;
/// returns the mismatches (and rewrites the file with `WXB_DOCS=overwrite`).
pub fn check(file: &Path, tag: Option<&str>, envs: &[(&str, &str)]) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("a readable doc");
    let dir = tempfile::tempdir().expect("a temporary folder");
    #[cfg(unix)]
    for shared in ["examples", "docs"] {
        std::os::unix::fs::symlink(root().join(shared), dir.path().join(shared)).expect("a link");
    }
    let overwrite = std::env::var("WXB_DOCS").is_ok_and(|v| v == "overwrite");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut failures = Vec::new();
    let steps = steps(&text, tag);
    let mut replacements = Vec::new();
    let mut status = 0;
    for step in &steps {
        // Each command runs in a shell of its own: `$?` is the previous command's status.
        let (got, code) = run(dir.path(), &step.command.replace("$?", &status.to_string()), envs);
        status = code;
        let got: Vec<&str> = got.lines().collect();
        // mpirun forwards a process's standard output and error through separate channels: their
        // lines arrive interleaved in any order, so an `mpi` block's lines may come in any order.
        let matches = if tag == Some("mpi") {
            let mut left: Vec<&str> = got.clone();
            step.expected.len() == got.len()
                && step.expected.iter().all(|w| match left.iter().position(|g| same_line(w, g)) {
                    Some(i) => {
                        left.remove(i);
                        true
                    }
                    None => false,
                })
        } else {
            same_lines(&step.expected, &got)
        };
        if !matches {
            failures.push(format!(
                "{}:{}: $ {}\n--- expected\n{}\n--- got\n{}",
                file.display(),
                step.span.0,
                step.command,
                step.expected.join("\n"),
                got.join("\n")
            ));
            let pad = " ".repeat(step.indent);
            let shown: Vec<String> =
                got.iter().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
            replacements.push((step.span, shown));
        }
    }
    if overwrite && !replacements.is_empty() {
        for ((start, end), new) in replacements.into_iter().rev() {
            lines.splice(start..end, new);
        }
        std::fs::write(file, lines.join("\n") + "\n").expect("a writable doc");
    }
    failures
}
