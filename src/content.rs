//! What the bot says: routines (`content/routines/<id>.toml`) and topics
//! (`content/topics/<id>.toml`), in English and translated under
//! `content/<language>/`, loaded once and validated as a whole so that
//! every problem is reported at once, each with its file, field and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::i18n::Language;

mod checks;
mod translation;

use checks::{check_routine, check_topic, parse_file, problem, toml_files};

/// The routine new subscriptions follow.
pub const DEFAULT_ROUTINE: &str = "upper-back";

/// Discord's message limit is 2,000 characters; leave room for our framing.
const MAX_MESSAGE_TEXT: usize = 1_700;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Strength,
    Stretch,
    Mobility,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Strength => "strength",
            Kind::Stretch => "stretch",
            Kind::Mobility => "mobility",
        })
    }
}

/// Repetitions as a range, optionally counted on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reps {
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub per_side: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub setup: String,
    pub steps: Vec<String>,
    pub reps: Reps,
    pub hold_seconds: Option<u32>,
    pub purpose: String,
    pub safety: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routine {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub exercises: Vec<Exercise>,
}

impl Routine {
    /// Finds an exercise by its 1-based position, id, or (part of) its title.
    pub fn find_exercise(&self, wanted: &str) -> Option<(usize, &Exercise)> {
        let wanted = wanted.trim().to_lowercase();
        if let Ok(n) = wanted.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| self.exercises.get(i).map(|e| (i, e)));
        }
        let normalized = wanted.replace([' ', '_'], "-");
        let position = |pred: &dyn Fn(&Exercise) -> bool| self.exercises.iter().position(pred);
        position(&|e| e.id == normalized || e.title.to_lowercase() == wanted)
            .or_else(|| {
                position(&|e| {
                    e.id.contains(&normalized) || e.title.to_lowercase().contains(&wanted)
                })
            })
            .map(|i| (i, &self.exercises[i]))
    }
}

/// The background texts members can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TopicId {
    Causes,
    Why,
    Tips,
    Precautions,
    Disclaimer,
}

impl TopicId {
    pub const ALL: [TopicId; 5] = [
        TopicId::Causes,
        TopicId::Why,
        TopicId::Tips,
        TopicId::Precautions,
        TopicId::Disclaimer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TopicId::Causes => "causes",
            TopicId::Why => "why",
            TopicId::Tips => "tips",
            TopicId::Precautions => "precautions",
            TopicId::Disclaimer => "disclaimer",
        }
    }

    pub fn from_name(name: &str) -> Option<TopicId> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub intro: String,
    pub points: Vec<String>,
    /// Only in `precautions`: what to tell a member who reports pain.
    pub on_pain: Option<String>,
    /// Only in `precautions`: how pain is asked about and when an exercise rests.
    pub pain: Option<PainRules>,
}

/// After a 🤕: the question asked, and when an exercise is left out of a
/// member's routine for a while (see [`crate::coaching::resting`]).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PainRules {
    pub ask: String,
    pub rest_from_score: u8,
    pub rest_after_reports: usize,
    pub rest_within_sessions: usize,
    pub rest_days: u32,
    /// With `{exercise}` and `{until}`.
    pub rest_notice: String,
}

impl PainRules {
    /// "I'll leave … out until …", filled in.
    pub fn rest_notice(&self, exercise: &str, until: &str) -> String {
        self.rest_notice
            .replace("{exercise}", exercise)
            .replace("{until}", until)
    }
}

/// Everything the bot says, validated: English, and the languages
/// translated in `content/<code>/`.
#[derive(Debug, Clone)]
pub struct Content {
    english: Library,
    translated: BTreeMap<Language, Library>,
}

/// One language's routines and topics.
#[derive(Debug, Clone, Default)]
struct Library {
    routines: BTreeMap<String, Routine>,
    topics: BTreeMap<TopicId, Topic>,
}

/// One thing wrong with the content folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub field: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a content folder.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ContentError(pub Vec<Problem>);

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the content:", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

impl Content {
    /// Loads and validates `dir/routines/*.toml` and `dir/topics/*.toml`
    /// (English), and each translation in `dir/<code>/` (`de`, `es`)
    /// against them.
    pub fn load(dir: &Path) -> Result<Content, ContentError> {
        let mut problems = Vec::new();
        let english = Library::load(dir, &mut problems);
        let mut translated = BTreeMap::new();
        for language in Language::ALL {
            let folder = dir.join(language.code());
            if language == Language::En || !folder.is_dir() {
                continue;
            }
            let library = Library::load(&folder, &mut problems);
            translation::compare(&english, &library, &folder, &mut problems);
            translated.insert(language, library);
        }
        if problems.is_empty() {
            Ok(Content {
                english,
                translated,
            })
        } else {
            Err(ContentError(problems))
        }
    }

    /// The languages with routines and topics of their own (English first).
    pub fn languages(&self) -> Vec<Language> {
        std::iter::once(Language::En)
            .chain(self.translated.keys().copied())
            .collect()
    }

    fn library(&self, language: Language) -> &Library {
        self.translated.get(&language).unwrap_or(&self.english)
    }

    /// A routine in English: its ids, counts and numbers are every
    /// language's.
    pub fn routine(&self, id: &str) -> Option<&Routine> {
        self.english.routines.get(id)
    }

    /// A routine's words in `language` (English if not translated).
    pub fn routine_in(&self, language: Language, id: &str) -> Option<&Routine> {
        self.library(language)
            .routines
            .get(id)
            .or_else(|| self.routine(id))
    }

    pub fn routines(&self) -> impl Iterator<Item = &Routine> {
        self.english.routines.values()
    }

    pub fn topic(&self, id: TopicId) -> &Topic {
        self.topic_in(Language::En, id)
    }

    /// A topic in `language` (English if not translated).
    pub fn topic_in(&self, language: Language, id: TopicId) -> &Topic {
        // `load` refuses a folder without every topic, so this always finds one.
        self.library(language)
            .topics
            .get(&id)
            .unwrap_or_else(|| &self.english.topics[&id])
    }

    /// How pain is asked about and when an exercise rests.
    pub fn pain_rules(&self) -> &PainRules {
        self.pain_rules_in(Language::En)
    }

    /// The pain rules with their texts in `language` (the numbers are the
    /// same in every language: `load` checks).
    pub fn pain_rules_in(&self, language: Language) -> &PainRules {
        // `load` refuses precautions without them, so the fallback is never used.
        static NONE: std::sync::OnceLock<PainRules> = std::sync::OnceLock::new();
        self.topic_in(language, TopicId::Precautions)
            .pain
            .as_ref()
            .unwrap_or_else(|| {
                NONE.get_or_init(|| PainRules {
                    ask: String::new(),
                    rest_from_score: 11,
                    rest_after_reports: usize::MAX,
                    rest_within_sessions: 0,
                    rest_days: 0,
                    rest_notice: String::new(),
                })
            })
    }

    /// The advice sent right after a 🤕 check-in, in `language`.
    pub fn pain_advice(&self, language: Language) -> &str {
        self.topic_in(language, TopicId::Precautions)
            .on_pain
            .as_deref()
            .unwrap_or_default()
    }
}

impl Library {
    /// One language's folder, every problem reported to `problems`.
    fn load(dir: &Path, problems: &mut Vec<Problem>) -> Library {
        let routines_dir = dir.join("routines");
        let topics_dir = dir.join("topics");

        let mut routines = BTreeMap::new();
        for file in toml_files(&routines_dir, problems) {
            if let Some(routine) = parse_file::<Routine>(&file, problems) {
                check_routine(&file, &routine, problems);
                if routines.contains_key(&routine.id) {
                    problems.push(problem(
                        &file,
                        "id",
                        format!("routine `{}` is defined twice", routine.id),
                    ));
                } else {
                    routines.insert(routine.id.clone(), routine);
                }
            }
        }
        let default_file = routines_dir.join(format!("{DEFAULT_ROUTINE}.toml"));
        // A file that exists but failed to parse was already reported.
        if !routines.contains_key(DEFAULT_ROUTINE)
            && routines_dir.is_dir()
            && !default_file.exists()
        {
            problems.push(Problem {
                file: default_file,
                field: None,
                line: None,
                message: format!("the default routine `{DEFAULT_ROUTINE}` is missing"),
            });
        }

        let mut topics = BTreeMap::new();
        for file in toml_files(&topics_dir, problems) {
            if let Some(topic) = parse_file::<Topic>(&file, problems)
                && let Some(id) = check_topic(&file, &topic, problems)
            {
                topics.insert(id, topic);
            }
        }
        for id in TopicId::ALL {
            let file = topics_dir.join(format!("{}.toml", id.name()));
            if !topics.contains_key(&id) && topics_dir.is_dir() && !file.exists() {
                problems.push(Problem {
                    file,
                    field: None,
                    line: None,
                    message: format!("the topic `{}` is missing", id.name()),
                });
            }
        }
        Library { routines, topics }
    }
}
