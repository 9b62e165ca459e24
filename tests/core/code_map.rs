//! The README's map of the code names every source file, so a newcomer who
//! reads it finds each one.

use std::path::Path;

/// The block under "## Map of the code".
fn map() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md reads");
    let after = readme
        .split_once("## Map of the code")
        .map(|(_, rest)| rest)
        .expect("README.md has a map of the code");
    after
        .split("```")
        .nth(1)
        .expect("the map is a code block")
        .to_string()
}

fn source_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src reads").flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_readme_map_names_every_source_file() {
    let map = map();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    let mut missing = Vec::new();
    for file in files {
        let relative = file.strip_prefix(root).expect("under the crate");
        let relative = relative.to_string_lossy().replace('\\', "/");
        // A file at the top of src/ by its path; one in a folder by its
        // name, in the folder's entry (`src/engine/ … sessions.rs …`).
        let named = match relative.matches('/').count() {
            1 => map.contains(&relative),
            _ => {
                let name = file.file_name().map(|n| n.to_string_lossy().to_string());
                let folder = relative.split('/').nth(1).map(|f| format!("src/{f}/"));
                let whole_word = |name: &str| {
                    map.match_indices(name).any(|(at, _)| {
                        !map[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                };
                folder.is_some_and(|folder| map.contains(&folder))
                    && (name.as_deref() == Some("mod.rs")
                        || name.as_deref().is_some_and(whole_word))
            }
        };
        if !named {
            missing.push(relative);
        }
    }
    assert!(
        missing.is_empty(),
        "the README's map of the code leaves out {missing:?}"
    );
}
