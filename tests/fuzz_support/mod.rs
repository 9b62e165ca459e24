//! Properties checked on random input, shared by the fuzz test (a few
//! thousand cases, in every test run) and the fuzz bench (100,000 and more:
//! `cargo bench --bench fuzz -- --cases 100000`).
//!
//! - Command parsing never panics, and every error names what was wrong.
//! - The content loader never panics on a damaged file, and every problem
//!   names its file and says something.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use upright::commands::{Command, ParseError};
use upright::content::Content;

/// Words the parser knows, so random input reaches past the first word.
const WORDS: &[&str] = &[
    "help",
    "subscribe",
    "agree",
    "unsubscribe",
    "pause",
    "resume",
    "skip",
    "status",
    "timezone",
    "routine",
    "exercise",
    "causes",
    "why",
    "tips",
    "precautions",
    "disclaimer",
    "streak",
    "progress",
    "privacy",
    "export",
    "delete",
    "confirm",
    "group",
    "setup",
    "off",
    "on",
    "nudges",
    "leaderboard",
    "weekly",
    "summary",
    "07:30",
    "7pm",
    "25:61",
    "UTC",
    "Europe/Berlin",
    "weekdays",
    "mon-fri",
    "daily",
    "3m",
    "99",
    "-1",
    "3d",
    "",
];

fn command_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        3 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => "[ \\t\\n\\u{a0}\\u{200b}]{0,3}",
    ];
    prop_oneof![
        1 => "\\PC{0,300}",
        1 => any::<String>(),
        3 => proptest::collection::vec(word, 0..8).prop_map(|words| words.join(" ")),
    ]
}

fn check_parse(text: &str) -> Result<(), TestCaseError> {
    let Err(error) = Command::parse(text) else {
        return Ok(());
    };
    let message = error.to_string();
    let names = match &error {
        ParseError::Unknown(word) => message.contains(word.as_str()),
        ParseError::Missing {
            command, example, ..
        } => message.contains(command) && message.contains(example),
        ParseError::TooLong(length) => message.contains(&length.to_string()),
        ParseError::Unexpected { command, extra, .. } => {
            message.contains(command) && message.contains(extra.as_str())
        }
    };
    prop_assert!(names, "{text:?} gave the vague {message:?}");
    Ok(())
}

/// How a content file is damaged.
#[derive(Debug, Clone)]
enum Damage {
    DropLine(usize),
    DuplicateLine(usize),
    ReplaceValue(usize, String),
    Truncate(usize),
    Insert(usize, String),
}

fn damage() -> impl Strategy<Value = Damage> {
    let text = "\\PC{0,40}|\"[^\"]{0,20}\"|-?[0-9]{1,12}|\\[\\]|\\{\\}|true|\"\"";
    prop_oneof![
        any::<usize>().prop_map(Damage::DropLine),
        any::<usize>().prop_map(Damage::DuplicateLine),
        (any::<usize>(), text).prop_map(|(l, v)| Damage::ReplaceValue(l, v)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), "\\PC{0,60}").prop_map(|(l, t)| Damage::Insert(l, t)),
    ]
}

fn apply(original: &str, damages: &[Damage]) -> String {
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    for damage in damages {
        let n = lines.len().max(1);
        match damage {
            Damage::DropLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Damage::DuplicateLine(i) if !lines.is_empty() => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Damage::ReplaceValue(i, value) if !lines.is_empty() => {
                let line = &mut lines[i % n];
                if let Some((key, _)) = line.split_once('=') {
                    *line = format!("{key}= {value}");
                }
            }
            Damage::Truncate(i) if !lines.is_empty() => lines.truncate(i % n),
            Damage::Insert(i, text) => lines.insert(i % n, text.clone()),
            _ => {}
        }
    }
    lines.join("\n")
}

/// A copy of the project's content to damage one file at a time.
pub struct ContentCopy {
    dir: tempfile::TempDir,
    files: Vec<(PathBuf, String)>,
}

impl ContentCopy {
    pub fn new() -> ContentCopy {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut files = Vec::new();
        for sub in ["routines", "topics"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("a content folder");
            let mut entries: Vec<_> = std::fs::read_dir(source.join(sub))
                .expect("the project's content")
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                let text = std::fs::read_to_string(&path).expect("a content file");
                let copy = dir
                    .path()
                    .join(sub)
                    .join(path.file_name().expect("a file name"));
                std::fs::write(&copy, &text).expect("a copy");
                files.push((copy, text));
            }
        }
        ContentCopy { dir, files }
    }

    fn check(&self, file: usize, damages: &[Damage]) -> Result<(), TestCaseError> {
        let (path, original) = &self.files[file % self.files.len()];
        let damaged = apply(original, damages);
        std::fs::write(path, &damaged).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let loaded = std::panic::catch_unwind(|| Content::load(self.dir.path()));
        std::fs::write(path, original).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match loaded {
            Err(_) => Err(TestCaseError::fail(format!(
                "the loader panicked on {}:\n{damaged}",
                path.display()
            ))),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => {
                prop_assert!(!error.0.is_empty());
                for problem in &error.0 {
                    prop_assert!(
                        problem.file.starts_with(self.dir.path())
                            && !problem.message.trim().is_empty(),
                        "a problem without its file or words: {problem:?}"
                    );
                }
                Ok(())
            }
        }
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs both properties `cases` times each; the first failure, shrunk.
pub fn run(cases: u32) -> Result<(), String> {
    runner(cases)
        .run(&command_text(), |text| check_parse(&text))
        .map_err(|e| format!("command parsing: {e}"))?;
    let content = ContentCopy::new();
    runner(cases)
        .run(
            &(any::<usize>(), proptest::collection::vec(damage(), 1..4)),
            |(file, damages)| content.check(file, &damages),
        )
        .map_err(|e| format!("content loading: {e}"))
}
