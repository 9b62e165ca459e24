//! Checks of one content file at a time: it reads and parses, its ids
//! are well formed, every text is there and fits one chat message, and its
//! numbers make sense. Each problem names its file and field.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Exercise, MAX_MESSAGE_TEXT, PainRules, Problem, Routine, Topic, TopicId};

pub(super) fn pain_rule_problems(rules: &PainRules) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if rules.ask.trim().is_empty() {
        problems.push(("ask", "must not be empty".to_string()));
    }
    if !(1..=10).contains(&rules.rest_from_score) {
        problems.push(("rest_from_score", "must be a score from 1 to 10".into()));
    }
    if rules.rest_within_sessions == 0 || rules.rest_within_sessions > 30 {
        problems.push(("rest_within_sessions", "must be from 1 to 30".into()));
    }
    if rules.rest_after_reports == 0 || rules.rest_after_reports > rules.rest_within_sessions {
        problems.push((
            "rest_after_reports",
            "must be from 1 to rest_within_sessions".into(),
        ));
    }
    if !(1..=90).contains(&rules.rest_days) {
        problems.push(("rest_days", "must be from 1 to 90 days".into()));
    }
    for placeholder in ["{exercise}", "{until}"] {
        if !rules.rest_notice.contains(placeholder) {
            problems.push(("rest_notice", format!("must contain {placeholder}")));
        }
    }
    problems
}

pub(super) fn problem(file: &Path, field: &str, message: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        field: Some(field.to_string()),
        line: None,
        message,
    }
}

pub(super) fn toml_files(dir: &Path, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem {
                file: dir.to_path_buf(),
                field: None,
                line: None,
                message: format!("cannot read this folder: {e}"),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

pub(super) fn parse_file<T: serde::de::DeserializeOwned>(
    file: &Path,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            problems.push(Problem {
                file: file.to_path_buf(),
                field: None,
                line: None,
                message: format!("cannot read: {e}"),
            });
            return None;
        }
    };
    match toml::from_str(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            problems.push(Problem {
                file: file.to_path_buf(),
                field: None,
                line,
                message: e.message().trim().to_string(),
            });
            None
        }
    }
}

pub(super) fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(super) fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) fn check_routine(file: &Path, routine: &Routine, problems: &mut Vec<Problem>) {
    let mut report = |field: String, message: String| problems.push(problem(file, &field, message));
    if !is_id(&routine.id) {
        report(
            "id".into(),
            "use lowercase letters, digits and dashes".into(),
        );
    } else if routine.id != file_stem(file) {
        report(
            "id".into(),
            format!(
                "`{}` must match the file name `{}.toml`",
                routine.id,
                file_stem(file)
            ),
        );
    }
    for (field, text) in [("title", &routine.title), ("summary", &routine.summary)] {
        if text.trim().is_empty() {
            report(field.into(), "must not be empty".into());
        }
    }
    if routine.exercises.is_empty() {
        report(
            "exercises".into(),
            "a routine needs at least one exercise".into(),
        );
    }
    let mut seen = HashSet::new();
    for (i, exercise) in routine.exercises.iter().enumerate() {
        if is_id(&exercise.id) && !seen.insert(exercise.id.as_str()) {
            let field = format!("exercises[{i}].id");
            let message = format!("duplicate exercise id `{}`", exercise.id);
            problems.push(problem(file, &field, message));
        }
        check_exercise(file, i, exercise, problems);
    }
}

/// One exercise of a routine: its texts, steps, repetitions and hold.
pub(super) fn check_exercise(
    file: &Path,
    i: usize,
    exercise: &Exercise,
    problems: &mut Vec<Problem>,
) {
    let mut report = |field: &str, message: String| {
        problems.push(problem(file, &format!("exercises[{i}].{field}"), message));
    };
    if !is_id(&exercise.id) {
        report("id", "use lowercase letters, digits and dashes".into());
    }
    for (field, text) in [
        ("title", &exercise.title),
        ("setup", &exercise.setup),
        ("purpose", &exercise.purpose),
        ("safety", &exercise.safety),
    ] {
        if text.trim().is_empty() {
            report(field, "must not be empty".into());
        }
    }
    if exercise.steps.is_empty() {
        report("steps", "needs at least one step".into());
    }
    for (s, step) in exercise.steps.iter().enumerate() {
        if step.trim().is_empty() {
            report(&format!("steps[{s}]"), "must not be empty".into());
        }
    }
    let reps = exercise.reps;
    if reps.min == 0 {
        report("reps.min", "must be at least 1".into());
    }
    if reps.min > reps.max {
        report(
            "reps",
            format!("min ({}) is greater than max ({})", reps.min, reps.max),
        );
    }
    if reps.max > 100 {
        report(
            "reps.max",
            format!("{} repetitions is more than anyone should do", reps.max),
        );
    }
    if let Some(hold) = exercise.hold_seconds
        && !(1..=120).contains(&hold)
    {
        report("hold_seconds", format!("{hold} is outside 1–120 seconds"));
    }
    let length = exercise.setup.len() + exercise.steps.iter().map(String::len).sum::<usize>();
    if length > MAX_MESSAGE_TEXT {
        report(
            "steps",
            format!(
                "setup and steps are {length} characters; keep them under {MAX_MESSAGE_TEXT} so one message holds them"
            ),
        );
    }
}

pub(super) fn check_topic(
    file: &Path,
    topic: &Topic,
    problems: &mut Vec<Problem>,
) -> Option<TopicId> {
    let mut report = |field: &str, message: String| problems.push(problem(file, field, message));
    let Some(id) = TopicId::from_name(&topic.id) else {
        let known: Vec<&str> = TopicId::ALL.iter().map(|t| t.name()).collect();
        report(
            "id",
            format!(
                "unknown topic `{}`; topics are {}",
                topic.id,
                known.join(", ")
            ),
        );
        return None;
    };
    if topic.id != file_stem(file) {
        report(
            "id",
            format!(
                "`{}` must match the file name `{}.toml`",
                topic.id,
                file_stem(file)
            ),
        );
    }
    for (field, text) in [("title", &topic.title), ("intro", &topic.intro)] {
        if text.trim().is_empty() {
            report(field, "must not be empty".into());
        }
    }
    if topic.points.is_empty() {
        report("points", "needs at least one point".into());
    }
    for (i, point) in topic.points.iter().enumerate() {
        if point.trim().is_empty() {
            report(&format!("points[{i}]"), "must not be empty".into());
        }
    }
    let length = topic.intro.len() + topic.points.iter().map(String::len).sum::<usize>();
    if length > MAX_MESSAGE_TEXT {
        report(
            "points",
            format!(
                "intro and points are {length} characters; keep them under {MAX_MESSAGE_TEXT} so one message holds them"
            ),
        );
    }
    match (&topic.on_pain, id) {
        (None, TopicId::Precautions) => {
            report("on_pain", "precautions must say what to do on pain".into())
        }
        (Some(text), TopicId::Precautions) if text.trim().is_empty() => {
            report("on_pain", "must not be empty".into())
        }
        (Some(_), other) if other != TopicId::Precautions => report(
            "on_pain",
            "only the precautions topic has this field".into(),
        ),
        _ => {}
    }
    match (&topic.pain, id) {
        (None, TopicId::Precautions) => report(
            "pain",
            "precautions must say how pain is asked about and when an exercise rests".into(),
        ),
        (Some(rules), TopicId::Precautions) => {
            for (field, problem) in pain_rule_problems(rules) {
                report(&format!("pain.{field}"), problem);
            }
        }
        (Some(_), _) => report("pain", "only the precautions topic has this field".into()),
        (None, _) => {}
    }
    Some(id)
}
