//! The house is one-way: each module of the library imports only from the tiers below it (or its
//! own tier, without a circle), as `ARCHITECTURE.md` draws it. This test reads the sources, so a
//! `use` that runs back up fails CI, not a review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The tiers, bottom to top (ARCHITECTURE.md).
const TIERS: &[&[&str]] = &[
    &["tensor", "parallel", "rng", "error", "logs"],
    &["activations", "init", "regularizers", "constraints"],
    &["layers"],
    &["losses", "metrics"],
    &["optim"],
    &["model"],
    &["train"],
    &["data", "io"],
    &["explain"],
];

fn tier(module: &str) -> Option<usize> {
    TIERS.iter().position(|t| t.contains(&module))
}

/// The code of a source file without comments, string literals and `#[cfg(test)]` modules (unit
/// tests may use anything).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l.split(" //").next().unwrap_or(""),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::<module>` paths in `code`, including `use crate::{a, b}` groups.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                found.insert(name);
            }
        } else {
            found.insert(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    found
}

/// `module → modules it imports`, for every file under `src/` (the crate root excepted).
fn edges() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            if rel == "lib.rs" || !rel.ends_with(".rs") {
                continue;
            }
            let module = rel.split(['/', '.']).next().expect("a first component").to_string();
            let text = std::fs::read_to_string(&path).expect("a source file");
            for target in imported_modules(&code(&text)) {
                if target != module && tier(&target).is_some() {
                    edges.entry(module.clone()).or_default().entry(target).or_default().push(rel.clone());
                }
            }
        }
    }
    edges
}

#[test]
fn every_module_has_a_tier() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        if name != "lib" {
            assert!(tier(&name).is_some(), "src/{name}: add the module to ARCHITECTURE.md and to TIERS here");
        }
    }
}

#[test]
fn no_module_imports_from_a_higher_tier() {
    let mut upward = Vec::new();
    for (from, targets) in edges() {
        for (to, files) in targets {
            if tier(&to) > tier(&from) {
                upward.push(format!("{from} → {to} (in {})", files.join(", ")));
            }
        }
    }
    assert!(upward.is_empty(), "imports that run back up:\n{}", upward.join("\n"));
}

#[test]
fn modules_of_one_tier_form_no_circle() {
    let edges = edges();
    // Depth-first search for a cycle in the module graph.
    fn visit<'a>(
        node: &'a str,
        edges: &'a BTreeMap<String, BTreeMap<String, Vec<String>>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            return Some(path[i..].iter().map(|s| s.to_string()).chain([node.to_string()]).collect());
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in edges.get(node).into_iter().flat_map(|t| t.keys()) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("import circle: {}", cycle.join(" → "));
        }
    }
}

/// `file → sibling files it imports` inside each module (`data/csv.rs` → `data/labels.rs` through
/// `super::labels` or `crate::data::labels`); a module's `mod.rs` is left out (it declares its
/// files and re-exports them, so every file may use what it gathers).
fn sibling_edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for module in std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        let name = module.file_name().unwrap().to_string_lossy().to_string();
        let files: Vec<String> = std::fs::read_dir(&module)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| p.file_name().unwrap().to_string_lossy().trim_end_matches(".rs").to_string())
            .filter(|f| f != "mod" && f != "tests")
            .collect();
        for file in &files {
            let path = module.join(format!("{file}.rs"));
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let code = code(&text);
            for other in files.iter().filter(|o| *o != file) {
                let uses = [format!("super::{other}::"), format!("crate::{name}::{other}::")]
                    .iter()
                    .any(|p| code.contains(p.as_str()))
                    || code.contains(&format!("super::{{{other}"))
                    || code.contains(&format!("super::{other};"));
                if uses {
                    edges.entry(format!("{name}/{file}")).or_default().insert(format!("{name}/{other}"));
                }
            }
        }
    }
    edges
}

#[test]
fn files_of_one_module_form_no_circle() {
    let edges = sibling_edges();
    for (from, targets) in &edges {
        for to in targets {
            assert!(
                !edges.get(to).is_some_and(|back| back.contains(from)),
                "import circle between sibling files: {from}.rs ↔ {to}.rs"
            );
        }
    }
}

#[test]
fn the_reader_sees_grouped_and_nested_imports() {
    let found = imported_modules("use crate::{tensor::Tensor, layers::Param};\nfn f() { crate::optim::x(); }");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["layers", "optim", "tensor"]);
    assert_eq!(code("let a = 1; // crate::model\n// crate::train\n"), "let a = 1;\n");
}
