//! A translation against English: the same routines, exercises and
//! topics, in the same order, with the same numbers, the same number of
//! steps, points and cues, and the same `{placeholders}` in every text.
//! Health text must keep every instruction; counting them is what a
//! machine can check.

use std::collections::BTreeSet;
use std::path::Path;

use super::checks::problem;
use super::{Exercise, Library, Problem, Routine, Topic};

/// Reports to `problems` every way `translated` (loaded from `folder`)
/// differs in shape from `english`.
pub(super) fn compare(
    english: &Library,
    translated: &Library,
    folder: &Path,
    problems: &mut Vec<Problem>,
) {
    for (id, routine) in &english.routines {
        let file = folder.join("routines").join(format!("{id}.toml"));
        match translated.routines.get(id) {
            Some(theirs) => compare_routine(routine, theirs, &file, problems),
            None if file.exists() => {} // it failed to load: reported already
            None => problems.push(problem(
                &file,
                "id",
                format!("the routine `{id}` is not translated"),
            )),
        }
    }
    for id in translated.routines.keys() {
        if !english.routines.contains_key(id) {
            let file = folder.join("routines").join(format!("{id}.toml"));
            problems.push(problem(
                &file,
                "id",
                format!("there is no English routine `{id}`"),
            ));
        }
    }
    for (id, topic) in &english.topics {
        let file = folder.join("topics").join(format!("{}.toml", id.name()));
        if let Some(theirs) = translated.topics.get(id) {
            compare_topic(topic, theirs, &file, problems);
        }
    }
}

fn compare_routine(english: &Routine, theirs: &Routine, file: &Path, problems: &mut Vec<Problem>) {
    same_placeholders(file, "title", &english.title, &theirs.title, problems);
    same_placeholders(file, "summary", &english.summary, &theirs.summary, problems);
    if english.exercises.len() != theirs.exercises.len() {
        problems.push(problem(
            file,
            "exercises",
            format!(
                "{} exercises where English has {}",
                theirs.exercises.len(),
                english.exercises.len()
            ),
        ));
        return;
    }
    for (i, (ours, translated)) in english.exercises.iter().zip(&theirs.exercises).enumerate() {
        compare_exercise(i, ours, translated, file, problems);
    }
}

fn compare_exercise(
    i: usize,
    english: &Exercise,
    theirs: &Exercise,
    file: &Path,
    problems: &mut Vec<Problem>,
) {
    let field = |name: &str| format!("exercises[{i}].{name}");
    let mut differs = |name: &str, what: String| problems.push(problem(file, &field(name), what));
    if english.id != theirs.id {
        differs(
            "id",
            format!(
                "`{}` where English has `{}` (ids are not translated)",
                theirs.id, english.id
            ),
        );
    }
    if english.kind != theirs.kind {
        differs(
            "kind",
            format!("`{}` where English has `{}`", theirs.kind, english.kind),
        );
    }
    if english.reps != theirs.reps {
        differs("reps", "differs from English".to_string());
    }
    if english.hold_seconds != theirs.hold_seconds {
        differs(
            "hold_seconds",
            format!(
                "{:?} where English has {:?}",
                theirs.hold_seconds, english.hold_seconds
            ),
        );
    }
    if english.steps.len() != theirs.steps.len() {
        differs(
            "steps",
            format!(
                "{} steps where English has {}: translate each step as one",
                theirs.steps.len(),
                english.steps.len()
            ),
        );
    }
    for (name, ours, translated) in [
        ("title", &english.title, &theirs.title),
        ("setup", &english.setup, &theirs.setup),
        ("purpose", &english.purpose, &theirs.purpose),
        ("safety", &english.safety, &theirs.safety),
    ] {
        same_placeholders(file, &field(name), ours, translated, problems);
    }
    for (s, (ours, translated)) in english.steps.iter().zip(&theirs.steps).enumerate() {
        same_placeholders(
            file,
            &field(&format!("steps[{s}]")),
            ours,
            translated,
            problems,
        );
    }
}

fn compare_topic(english: &Topic, theirs: &Topic, file: &Path, problems: &mut Vec<Problem>) {
    if english.points.len() != theirs.points.len() {
        problems.push(problem(
            file,
            "points",
            format!(
                "{} points where English has {}: translate each point as one",
                theirs.points.len(),
                english.points.len()
            ),
        ));
    }
    same_placeholders(file, "title", &english.title, &theirs.title, problems);
    same_placeholders(file, "intro", &english.intro, &theirs.intro, problems);
    for (i, (ours, translated)) in english.points.iter().zip(&theirs.points).enumerate() {
        same_placeholders(file, &format!("points[{i}]"), ours, translated, problems);
    }
    match (&english.on_pain, &theirs.on_pain) {
        (Some(ours), Some(translated)) => {
            same_placeholders(file, "on_pain", ours, translated, problems)
        }
        (None, None) => {}
        (Some(_), None) => {
            problems.push(problem(file, "on_pain", "missing: English has it".into()))
        }
        (None, Some(_)) => problems.push(problem(file, "on_pain", "English has none".into())),
    }
    match (&english.pain, &theirs.pain) {
        (Some(ours), Some(translated)) => {
            let numbers = |rules: &super::PainRules| {
                (
                    rules.rest_from_score,
                    rules.rest_after_reports,
                    rules.rest_within_sessions,
                    rules.rest_days,
                )
            };
            if numbers(ours) != numbers(translated) {
                problems.push(problem(
                    file,
                    "pain",
                    "its numbers differ from English".into(),
                ));
            }
            same_placeholders(file, "pain.ask", &ours.ask, &translated.ask, problems);
            same_placeholders(
                file,
                "pain.rest_notice",
                &ours.rest_notice,
                &translated.rest_notice,
                problems,
            );
        }
        (None, None) => {}
        (Some(_), None) => problems.push(problem(file, "pain", "missing: English has it".into())),
        (None, Some(_)) => problems.push(problem(file, "pain", "English has none".into())),
    }
}

/// `{exercise}`, `{until}`: filled in by the bot, so kept as they are.
fn placeholders(text: &str) -> BTreeSet<&str> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                found.insert(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    found
}

fn same_placeholders(
    file: &Path,
    field: &str,
    english: &str,
    translated: &str,
    problems: &mut Vec<Problem>,
) {
    let (ours, theirs) = (placeholders(english), placeholders(translated));
    if ours != theirs {
        let show = |set: &BTreeSet<&str>| {
            let names: Vec<String> = set.iter().map(|name| format!("{{{name}}}")).collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        problems.push(problem(
            file,
            field,
            format!(
                "placeholders {} where English has {}",
                show(&theirs),
                show(&ours)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_the_words_in_braces() {
        let found = placeholders("Leave **{exercise}** out until {until}.");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["exercise", "until"]);
        assert!(placeholders("no braces").is_empty());
    }
}
