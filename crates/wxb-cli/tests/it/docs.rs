//! The documentation, executed: every command in a ```` ```console ```` block of `README.md` and
//! `docs/*.md` is run and its output compared with the lines shown under it, so the docs fail
//! the tests when they drift.
//!
//! Each file runs in a fresh temporary folder holding `examples/` and `docs/` (the repository's,
//! linked), its
//! commands in order (a later command sees what an earlier one wrote), through `sh -c` with the
//! `wxb` under test first on the `PATH`, `NO_COLOR=1` and `TERM=dumb`, standard error merged into
//! standard output as a terminal shows them. Expected output:
//! - a line `...` (or `…`) matches any number of lines, a line ending in ` …` its beginning and
//!   then any lines; `[..]` within a line matches any text;
//! - words are compared with runs of spaces ignored; durations (`31us/step`, `2s`) match any
//!   duration; numbers match within 1 % (or 0.01), since the last digits of a trained model
//!   depend on the CPU's vector kernels.
//!
//! `WXB_DOCS=overwrite cargo test -p wxb-cli --test it docs::` writes the actual output into the files
//! (lines that matched are kept as written, so their `[..]` and `...` stay). Documenting another
//! command is one more `$ wxb …` line and its output in a console block. The engine is in
//! `common/doc_blocks.rs`; blocks tagged ```` ```console mpi ```` run in `tests/mpi.rs`.

use std::path::PathBuf;

use crate::common::doc_blocks::{check, root, same_line, same_lines, steps};

/// `README.md` and every `docs/*.md`.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[test]
fn every_documented_command_prints_what_the_docs_show() {
    let failures: Vec<String> = documents().iter().flat_map(|f| check(f, None, &[])).collect();
    assert!(failures.is_empty(), "{} documented command(s) drifted:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn the_readme_runs_commands_and_keeps_its_opening() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(steps(&readme, None).len() >= 8, "the tour runs its commands");
    let first = readme.find("```").expect("a code block");
    assert!(readme[first..].starts_with("```sh\ncargo run --release -- train"), "the opening commands stay first");
}

#[test]
fn the_matcher_is_strict_where_it_should_be() {
    assert!(same_line("5/5 - 0s - 31us/step - loss: 1.1435", "5/5 - 1s - 2ms/step - loss: 1.1436"));
    assert!(!same_line("loss: 1.1435", "loss: 1.5"));
    assert!(!same_line("classification: 3 classes", "regression: 3 classes"));
    assert!(same_line("{\"loss\": 0.229, \"accuracy\": 0.96}", "{\"loss\": 0.2291, \"accuracy\": 0.96}"));
    assert!(!same_line("{\"loss\": 0.229}", "[\"loss\": 0.229]"));
    assert!(same_line("Saved [..] to m/", "Saved the model to m/"));
    assert!(!same_line("Saved [..] to m/", "Saved the model to n/"));
    let want: Vec<String> = ["a", "...", "z"].map(String::from).to_vec();
    assert!(same_lines(&want, &["a", "b", "c", "z"]));
    assert!(!same_lines(&want, &["a", "b"]));
    assert!(!same_lines(&["a".to_string()], &["a", "b"]));
}
