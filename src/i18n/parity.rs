//! The Fluent files against each other and against the code: every id the
//! code uses is in English, and every language has exactly English's ids,
//! each with the same variables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{FILES, Language};

/// Each message id of a `.ftl` text with the variables its value uses.
fn messages(ftl: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for line in ftl.lines() {
        let starts_message = line.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if starts_message && let Some((id, _)) = line.split_once('=') {
            let id = id.trim().to_string();
            found.entry(id.clone()).or_default();
            current = Some(id);
        }
        if let Some(id) = &current {
            let mut rest = line;
            while let Some(at) = rest.find('$') {
                let name: String = rest[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                if let Some(variables) = found.get_mut(id) {
                    variables.insert(name.clone());
                }
                rest = &rest[at + 1 + name.len()..];
            }
        }
    }
    found
}

fn all_messages(language: Language) -> BTreeMap<String, BTreeSet<String>> {
    let mut all = BTreeMap::new();
    for source in language.files() {
        all.extend(messages(source));
    }
    all
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The ids in `tr!(lang, "id" …)` and `text_id!("id")` across `src/`.
fn ids_in_code() -> BTreeMap<String, PathBuf> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut ids = BTreeMap::new();
    // This folder's own examples and tests are not the bot's texts.
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/i18n");
    for file in files.into_iter().filter(|file| !file.starts_with(&own)) {
        let code = std::fs::read_to_string(&file).unwrap_or_default();
        for (marker, after_comma) in [("tr!(", true), ("text_id!(", false)] {
            for (at, _) in code.match_indices(marker) {
                let rest = &code[at + marker.len()..];
                let rest = if after_comma {
                    match rest.find(',') {
                        Some(comma) => &rest[comma + 1..],
                        None => continue,
                    }
                } else {
                    rest
                };
                let rest = rest.trim_start();
                let Some(literal) = rest.strip_prefix('"') else {
                    continue;
                };
                if let Some(end) = literal.find('"') {
                    ids.insert(literal[..end].to_string(), file.clone());
                }
            }
        }
    }
    ids
}

#[test]
fn every_id_the_code_uses_is_in_english() {
    let english = all_messages(Language::En);
    let ids = ids_in_code();
    assert!(ids.len() > 10, "the scan found the code's ids: {ids:?}");
    let missing: Vec<String> = ids
        .iter()
        .filter(|(id, _)| !english.contains_key(*id))
        .map(|(id, file)| format!("{id} ({})", file.display()))
        .collect();
    assert!(missing.is_empty(), "not in locales/en: {missing:#?}");
}

#[test]
fn every_language_has_englishs_ids_with_the_same_variables() {
    let english = all_messages(Language::En);
    for language in Language::ALL {
        let theirs = all_messages(language);
        let mut problems = Vec::new();
        for (id, variables) in &english {
            match theirs.get(id) {
                None => problems.push(format!("{id}: missing")),
                Some(translated) if translated != variables => problems.push(format!(
                    "{id}: variables {translated:?} where English has {variables:?}"
                )),
                Some(_) => {}
            }
        }
        for id in theirs.keys().filter(|id| !english.contains_key(*id)) {
            problems.push(format!("{id}: not in English"));
        }
        assert!(
            problems.is_empty(),
            "locales/{language}/ ({}): {problems:#?}",
            FILES.join(", ")
        );
    }
}

#[test]
fn every_file_parses_without_a_repeated_id() {
    for language in Language::ALL {
        let mut seen = BTreeSet::new();
        for (file, source) in FILES.iter().zip(language.files()) {
            if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(source.to_string()) {
                panic!("locales/{language}/{file}: {errors:?}");
            }
            for id in messages(source).into_keys() {
                assert!(
                    seen.insert(id.clone()),
                    "locales/{language}/{file}: `{id}` again"
                );
            }
        }
    }
}

#[test]
fn the_scan_reads_ids_and_variables() {
    let found =
        messages("# c\nhello = Hi { $name }\n    and { $count ->\n   *[other] x\n}\nbye = Bye\n");
    assert_eq!(
        found["hello"],
        BTreeSet::from(["name".to_string(), "count".to_string()])
    );
    assert!(found["bye"].is_empty());
}
