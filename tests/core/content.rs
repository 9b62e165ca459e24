//! The content folder: the real one loads with the seed's facts, and every
//! way of breaking a copy is reported with its file, field and line.

use std::fs;
use std::path::{Path, PathBuf};

use upright::content::{Content, ContentError, Kind, Problem, TopicId};
use upright::i18n::Language;

fn real_content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

fn real_content() -> Content {
    Content::load(&real_content_dir()).unwrap_or_else(|e| panic!("the real content: {e}"))
}

/// A copy of `content/` to break.
struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    fn new() -> Copy {
        Copy::of(&["routines", "topics"])
    }

    /// English and its translations (`de/`, `es/`).
    fn with_translations() -> Copy {
        Copy::of(&[
            "routines",
            "topics",
            "de/routines",
            "de/topics",
            "es/routines",
            "es/topics",
        ])
    }

    fn of(folders: &[&str]) -> Copy {
        let dir = tempfile::tempdir().unwrap();
        for sub in folders {
            let from = real_content_dir().join(sub);
            let to = dir.path().join(sub);
            fs::create_dir_all(&to).unwrap();
            for entry in fs::read_dir(&from).unwrap() {
                let entry = entry.unwrap();
                fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
        let copy = Copy { dir };
        // The untouched copy is valid, so every problem below comes from the edit.
        Content::load(copy.path()).unwrap_or_else(|e| panic!("the copied content: {e}"));
        copy
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, relative: &str) -> PathBuf {
        self.path().join(relative)
    }

    fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.file(relative)).unwrap()
    }

    fn write(&self, relative: &str, text: &str) {
        fs::write(self.file(relative), text).unwrap();
    }

    /// Replaces the first `old` in a file with `new`; returns the new text.
    fn replace(&self, relative: &str, old: &str, new: &str) -> String {
        let text = self.read(relative);
        assert!(text.contains(old), "{relative} has no `{old}`");
        let changed = text.replacen(old, new, 1);
        self.write(relative, &changed);
        changed
    }

    fn problems(&self) -> Vec<Problem> {
        match Content::load(self.path()) {
            Ok(_) => panic!("the broken content loaded"),
            Err(ContentError(problems)) => {
                assert!(!problems.is_empty());
                problems
            }
        }
    }
}

/// The 1-based line on which `needle` first appears.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("no `{needle}`"));
    text[..at].matches('\n').count() + 1
}

fn only(problems: Vec<Problem>) -> Problem {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.into_iter().next().unwrap()
}

/// For a file that does not parse: every problem is about that file (a
/// second one may say its routine or topic is therefore missing), and the
/// parse problem itself is the one carrying a line.
fn parse_problem(problems: Vec<Problem>, file: &Path) -> Problem {
    assert!(problems.iter().all(|p| p.file == file), "{problems:#?}");
    let mut with_line: Vec<Problem> = problems.into_iter().filter(|p| p.line.is_some()).collect();
    assert_eq!(with_line.len(), 1, "{with_line:#?}");
    with_line.remove(0)
}

const ROUTINE: &str = "routines/upper-back.toml";

// --- The real content ---------------------------------------------------------

#[test]
fn the_real_content_loads() {
    let content = real_content();
    let routines: Vec<_> = content.routines().collect();
    assert_eq!(routines.len(), 1);
    let exercises: usize = routines.iter().map(|r| r.exercises.len()).sum();
    assert_eq!(exercises, 5);
    assert_eq!(TopicId::ALL.len(), 5);
    for id in TopicId::ALL {
        let topic = content.topic(id);
        assert_eq!(topic.id, id.name());
        assert!(!topic.points.is_empty(), "{}", id.name());
        assert!(!topic.title.trim().is_empty(), "{}", id.name());
    }
    assert!(
        !content
            .pain_advice(upright::i18n::Language::En)
            .trim()
            .is_empty()
    );
}

#[test]
fn the_upper_back_routine_has_its_five_exercises() {
    let content = real_content();
    let routine = content.routine("upper-back").expect("upper-back");
    assert_eq!(routine.id, "upper-back");
    let ids: Vec<&str> = routine.exercises.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "upper-back-extension",
            "cat-camel",
            "shoulder-blade-squeeze",
            "thoracic-rotation",
            "bridge",
        ]
    );
    let reps: Vec<(u32, u32, bool)> = routine
        .exercises
        .iter()
        .map(|e| (e.reps.min, e.reps.max, e.reps.per_side))
        .collect();
    assert_eq!(
        reps,
        [
            (10, 15, false),
            (10, 12, false),
            (10, 12, false),
            (10, 12, true),
            (10, 15, false),
        ]
    );
    let kinds: Vec<Kind> = routine.exercises.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Strength,
            Kind::Mobility,
            Kind::Strength,
            Kind::Mobility,
            Kind::Strength,
        ]
    );
    for exercise in &routine.exercises {
        assert!(!exercise.steps.is_empty(), "{}", exercise.id);
        assert!(!exercise.safety.trim().is_empty(), "{}", exercise.id);
    }
}

fn topic_text(content: &Content, id: TopicId) -> String {
    let topic = content.topic(id);
    let mut text = format!(
        "{}\n{}\n{}",
        topic.title,
        topic.intro,
        topic.points.join("\n")
    );
    if let Some(on_pain) = &topic.on_pain {
        text.push('\n');
        text.push_str(on_pain);
    }
    text.to_lowercase()
}

fn assert_mentions(text: &str, topic: &str, any_of: &[&str]) {
    assert!(
        any_of.iter().any(|word| text.contains(word)),
        "{topic} mentions none of {any_of:?}"
    );
}

#[test]
fn causes_carry_the_seed_facts() {
    let causes = topic_text(&real_content(), TopicId::Causes);
    assert_mentions(&causes, "causes", &["posture"]);
    assert_mentions(&causes, "causes", &["exercise", "sedentary"]);
    assert_mentions(&causes, "causes", &["seated", "sedentary", "not moving"]);
    assert_mentions(&causes, "causes", &["injury", "injuries"]);
    assert_mentions(&causes, "causes", &["stress"]);
    assert_mentions(&causes, "causes", &["arthritis"]);
    assert_mentions(&causes, "causes", &["herniated disc"]);
}

#[test]
fn precautions_carry_the_seed_facts() {
    let content = real_content();
    let precautions = topic_text(&content, TopicId::Precautions);
    assert_mentions(&precautions, "precautions", &["healthcare professional"]);
    assert_mentions(
        &precautions,
        "precautions",
        &["sharp pain", "sharp or intense pain"],
    );
    let advice = content
        .pain_advice(upright::i18n::Language::En)
        .to_lowercase();
    assert_mentions(&advice, "on_pain", &["stop"]);
    assert_mentions(&advice, "on_pain", &["healthcare professional"]);
}

#[test]
fn tips_carry_the_seed_facts() {
    let tips = topic_text(&real_content(), TopicId::Tips);
    assert_mentions(&tips, "tips", &["calendar"]);
    assert_mentions(&tips, "tips", &["buddy", "partner"]);
    assert_mentions(&tips, "tips", &["class"]);
    assert_mentions(&tips, "tips", &["swimming"]);
    assert_mentions(&tips, "tips", &["yoga"]);
    assert_mentions(&tips, "tips", &["pilates"]);
}

// --- Broken copies ---------------------------------------------------------------

#[test]
fn an_unknown_field_names_file_field_and_line() {
    let copy = Copy::new();
    let text = copy.replace(
        ROUTINE,
        "hold_seconds = 3\n",
        "hold_seconds = 3\ncolour = \"red\"\n",
    );
    let problem = parse_problem(copy.problems(), &copy.file(ROUTINE));
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert!(problem.message.contains("colour"), "{problem:?}");
    assert_eq!(problem.line, Some(line_of(&text, "colour")), "{problem:?}");
}

#[test]
fn an_unknown_field_in_an_indented_table_names_its_line() {
    let copy = Copy::new();
    let text = copy.replace(
        ROUTINE,
        "reps = { min = 10, max = 15 }",
        "reps = { min = 10, max = 15, sets = 2 }",
    );
    let problem = parse_problem(copy.problems(), &copy.file(ROUTINE));
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert!(problem.message.contains("sets"), "{problem:?}");
    assert_eq!(
        problem.line,
        Some(line_of(&text, "sets = 2")),
        "{problem:?}"
    );
}

#[test]
fn a_missing_field_names_file_and_field() {
    let copy = Copy::new();
    copy.replace(
        ROUTINE,
        "purpose = \"Builds the muscles across your upper back and supports better posture.\"\n",
        "",
    );
    let problem = parse_problem(copy.problems(), &copy.file(ROUTINE));
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert!(problem.message.contains("purpose"), "{problem:?}");
    // The line of the table that lacks it.
    assert_eq!(problem.line, Some(5), "{problem:?}");
}

#[test]
fn empty_steps_name_the_exercise_field() {
    let copy = Copy::new();
    let text = copy.read(ROUTINE);
    let start = text.find("steps = [").unwrap();
    let end = start + text[start..].find("]\n").unwrap() + 1;
    copy.write(
        ROUTINE,
        &format!("{}steps = []{}", &text[..start], &text[end..]),
    );
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert_eq!(
        problem.field.as_deref(),
        Some("exercises[0].steps"),
        "{problem:?}"
    );
}

#[test]
fn min_above_max_names_the_reps() {
    let copy = Copy::new();
    copy.replace(
        ROUTINE,
        "reps = { min = 10, max = 12 }",
        "reps = { min = 14, max = 12 }",
    );
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file(ROUTINE));
    // The second exercise, cat-camel.
    assert_eq!(
        problem.field.as_deref(),
        Some("exercises[1].reps"),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("14") && problem.message.contains("12"),
        "{problem:?}"
    );
}

#[test]
fn duplicate_exercise_ids_name_the_second() {
    let copy = Copy::new();
    copy.replace(ROUTINE, "id = \"bridge\"", "id = \"cat-camel\"");
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert_eq!(
        problem.field.as_deref(),
        Some("exercises[4].id"),
        "{problem:?}"
    );
    assert!(problem.message.contains("cat-camel"), "{problem:?}");
}

#[test]
fn an_unknown_kind_names_file_value_and_line() {
    let copy = Copy::new();
    let text = copy.replace(ROUTINE, "kind = \"mobility\"", "kind = \"cardio\"");
    let problem = parse_problem(copy.problems(), &copy.file(ROUTINE));
    assert_eq!(problem.file, copy.file(ROUTINE));
    assert!(problem.message.contains("cardio"), "{problem:?}");
    assert_eq!(problem.line, Some(line_of(&text, "cardio")), "{problem:?}");
}

#[test]
fn a_missing_topic_file_is_named() {
    let copy = Copy::new();
    fs::remove_file(copy.file("topics/why.toml")).unwrap();
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file("topics/why.toml"));
    assert!(problem.message.contains("why"), "{problem:?}");
}

#[test]
fn precautions_without_on_pain_are_refused() {
    let copy = Copy::new();
    let text = copy.read("topics/precautions.toml");
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("on_pain")).collect();
    assert_eq!(kept.len() + 1, text.lines().count());
    copy.write("topics/precautions.toml", &(kept.join("\n") + "\n"));
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file("topics/precautions.toml"));
    assert_eq!(problem.field.as_deref(), Some("on_pain"), "{problem:?}");
}

#[test]
fn pain_rules_are_checked_field_by_field() {
    let copy = Copy::new();
    copy.replace(
        "topics/precautions.toml",
        "rest_after_reports = 3",
        "rest_after_reports = 9",
    );
    let problem = only(copy.problems());
    assert_eq!(
        problem.field.as_deref(),
        Some("pain.rest_after_reports"),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("rest_within_sessions"),
        "{problem:?}"
    );

    let copy = Copy::new();
    copy.replace(
        "topics/precautions.toml",
        "out of your routine until {until}",
        "out of your routine for a while",
    );
    let problem = only(copy.problems());
    assert_eq!(
        problem.field.as_deref(),
        Some("pain.rest_notice"),
        "{problem:?}"
    );
    assert!(problem.message.contains("{until}"), "{problem:?}");
}

#[test]
fn broken_toml_syntax_names_file_and_line() {
    let copy = Copy::new();
    let text = copy.replace(
        "topics/tips.toml",
        "title = \"Making the routine stick\"",
        "title = \"Making the routine stick",
    );
    let problem = parse_problem(copy.problems(), &copy.file("topics/tips.toml"));
    assert_eq!(problem.file, copy.file("topics/tips.toml"));
    assert_eq!(
        problem.line,
        Some(line_of(&text, "title = ")),
        "{problem:?}"
    );
    assert!(!problem.message.is_empty());
}

#[test]
fn several_problems_are_reported_together() {
    let copy = Copy::new();
    copy.replace(
        ROUTINE,
        "reps = { min = 10, max = 12 }",
        "reps = { min = 14, max = 12 }",
    );
    copy.replace(ROUTINE, "id = \"bridge\"", "id = \"cat-camel\"");
    fs::remove_file(copy.file("topics/why.toml")).unwrap();
    copy.replace("topics/tips.toml", "points = [", "points = [[");
    let problems = copy.problems();
    assert!(problems.len() >= 4, "{problems:#?}");
    let has = |file: &str, field: Option<&str>| {
        problems
            .iter()
            .any(|p| p.file == copy.file(file) && (field.is_none() || p.field.as_deref() == field))
    };
    assert!(has(ROUTINE, Some("exercises[1].reps")), "{problems:#?}");
    assert!(has(ROUTINE, Some("exercises[4].id")), "{problems:#?}");
    assert!(has("topics/why.toml", None), "{problems:#?}");
    assert!(has("topics/tips.toml", None), "{problems:#?}");

    // The error's text lists every problem with its file.
    let error = Content::load(copy.path()).unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("{} problem(s)", problems.len())),
        "{shown}"
    );
    assert!(
        shown.contains("upper-back.toml")
            && shown.contains("why.toml")
            && shown.contains("tips.toml"),
        "{shown}"
    );
}

#[test]
fn a_duplicated_key_names_its_line() {
    let copy = Copy::new();
    let text = copy.replace("topics/why.toml", "intro = ", "title = \"Again\"\nintro = ");
    let problem = parse_problem(copy.problems(), &copy.file("topics/why.toml"));
    assert!(problem.message.contains("duplicate"), "{problem:?}");
    assert_eq!(
        problem.line,
        Some(line_of(&text, "title = \"Again\"")),
        "{problem:?}"
    );
}

// --- Translations ---------------------------------------------------------------

/// German and Spanish are translated, not copied, and keep every step,
/// point and cue of English: the same counts, the same numbers.
#[test]
fn each_translation_keeps_every_step_point_and_cue() {
    let content = real_content();
    assert_eq!(
        content.languages(),
        [Language::En, Language::De, Language::Es]
    );
    let english = content.routine("upper-back").unwrap();
    for language in [Language::De, Language::Es] {
        let theirs = content.routine_in(language, "upper-back").unwrap();
        assert_ne!(theirs.title, english.title, "{language}");
        for (ours, translated) in english.exercises.iter().zip(&theirs.exercises) {
            assert_eq!(ours.id, translated.id);
            assert_eq!(
                ours.steps.len(),
                translated.steps.len(),
                "{language} {}",
                ours.id
            );
            assert_eq!(
                (ours.reps, ours.hold_seconds),
                (translated.reps, translated.hold_seconds)
            );
            assert_ne!(
                ours.safety, translated.safety,
                "{language} {}: translated",
                ours.id
            );
        }
        for id in TopicId::ALL {
            let (ours, translated) = (content.topic(id), content.topic_in(language, id));
            assert_eq!(
                ours.points.len(),
                translated.points.len(),
                "{language} {}",
                id.name()
            );
            assert_ne!(ours.intro, translated.intro, "{language} {}", id.name());
        }
        let (ours, translated) = (content.pain_rules(), content.pain_rules_in(language));
        assert_eq!(
            (
                ours.rest_from_score,
                ours.rest_after_reports,
                ours.rest_days
            ),
            (
                translated.rest_from_score,
                translated.rest_after_reports,
                translated.rest_days
            )
        );
        assert!(
            translated.rest_notice.contains("{exercise}")
                && translated.rest_notice.contains("{until}")
        );
        assert_ne!(
            content.pain_advice(language),
            content.pain_advice(Language::En)
        );
    }
}

#[test]
fn a_translation_missing_a_step_names_file_and_field() {
    let copy = Copy::with_translations();
    // The first exercise's last step, gone.
    copy.replace(
        "de/routines/upper-back.toml",
        "  \"Senk die Brust sanft wieder auf den Boden ab.\",\n",
        "",
    );
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file("de/routines/upper-back.toml"));
    assert_eq!(problem.field.as_deref(), Some("exercises[0].steps"));
    assert!(problem.message.contains("where English has 4"), "{problem}");
}

#[test]
fn a_translation_with_other_placeholders_or_ids_names_each_field() {
    let copy = Copy::with_translations();
    copy.replace("es/topics/precautions.toml", "el {until}.", "el {hasta}.");
    copy.replace(
        "de/routines/upper-back.toml",
        "id = \"cat-camel\"",
        "id = \"katze-kamel\"",
    );
    let problems = copy.problems();
    let fields: Vec<(String, Option<String>)> = problems
        .iter()
        .map(|p| {
            (
                p.file
                    .strip_prefix(copy.path())
                    .unwrap()
                    .display()
                    .to_string(),
                p.field.clone(),
            )
        })
        .collect();
    assert!(
        fields.contains(&(
            "es/topics/precautions.toml".into(),
            Some("pain.rest_notice".into())
        )),
        "{problems:#?}"
    );
    assert!(
        fields.contains(&(
            "de/routines/upper-back.toml".into(),
            Some("exercises[1].id".into())
        )),
        "{problems:#?}"
    );
}

#[test]
fn a_missing_translated_topic_is_named() {
    let copy = Copy::with_translations();
    fs::remove_file(copy.file("es/topics/tips.toml")).unwrap();
    let problem = only(copy.problems());
    assert_eq!(problem.file, copy.file("es/topics/tips.toml"));
    assert!(problem.message.contains("missing"), "{problem}");
}
