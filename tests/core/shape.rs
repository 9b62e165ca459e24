//! The code stays easy to read: no source file over 600 lines, no function
//! over 80, and no two top-level modules that import each other (directly
//! or round a longer loop). Read from the sources as rustfmt lays them out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MOST_LINES_PER_FILE: usize = 600;
const MOST_LINES_PER_FUNCTION: usize = 80;

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src reads").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a source file reads");
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, text)
        })
        .collect()
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > MOST_LINES_PER_FILE)
        .map(|(name, text)| format!("{name}: {} lines", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

/// `fn` lines and where each function's body ends: the first line after
/// it that closes a brace at the indentation the `fn` started at.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let signature = ["fn ", "pub fn ", "async fn ", "pub async fn "]
            .iter()
            .chain(&["pub(crate) fn ", "pub(super) fn ", "pub(crate) async fn "])
            .chain(&["pub(super) async fn ", "const fn ", "pub const fn "])
            .find_map(|prefix| trimmed.strip_prefix(prefix));
        let Some(signature) = signature else { continue };
        if line.trim_end().ends_with(';') {
            continue; // A declaration in a trait, without a body.
        }
        let indent = &line[..line.len() - trimmed.len()];
        let closing = format!("{indent}}}");
        if let Some(end) = lines[start + 1..].iter().position(|l| *l == closing) {
            let name: String = signature
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((name, end + 2));
        }
    }
    found
}

#[test]
fn no_function_is_over_80_lines() {
    let mut long = Vec::new();
    for (file, text) in sources() {
        for (name, length) in functions(&text) {
            if length > MOST_LINES_PER_FUNCTION {
                long.push(format!("{file}: {name} ({length} lines)"));
            }
        }
    }
    assert!(long.is_empty(), "break these up: {long:?}");
}

/// The top-level module a file belongs to (`src/engine/groups.rs`: `engine`).
fn module_of(file: &str) -> Option<String> {
    let rest = file.strip_prefix("src/")?;
    let first = rest.split('/').next()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(module, "lib" | "main")).then(|| module.to_string())
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.iter().filter_map(|(f, _)| module_of(f)).collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &sources {
        let Some(from) = module_of(file) else {
            continue;
        };
        // Unit tests may reach anywhere; doc comments are not imports.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let to: String = line[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if to != from && modules.contains(&to) {
                    uses.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    // A loop exists if some module reaches itself again.
    let mut loops = Vec::new();
    for start in &modules {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&String> = uses.get(start).into_iter().flatten().collect();
        while let Some(module) = next.pop() {
            if module == start {
                loops.push(start.clone());
                break;
            }
            if seen.insert(module) {
                next.extend(uses.get(module).into_iter().flatten());
            }
        }
    }
    assert!(
        loops.is_empty(),
        "modules that import themselves round a loop: {loops:?} ({uses:?})"
    );
}
