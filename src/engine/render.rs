//! The words of every message the engine sends on its own, in the reader's
//! language: a member's DM in theirs, a group's channel in the group's.
//! Exercise and topic texts come from the content in that language (the
//! caller passes the routine in it); the framing around them is Fluent's.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::check_in::CheckInKind;
use crate::coaching::{Completion, Streak, Tally};
use crate::content::{Content, Exercise, Kind, Routine, TopicId};
use crate::conventions::Conventions;
use crate::duration::describe;
use crate::i18n::dates::{long_date, short_date};
use crate::i18n::{Language, list};
use crate::message::{Message, escape_markdown};
use crate::store::check_ins::SessionCheckIns;
use crate::store::post_names::Named;
use crate::store::sessions::MissedBecause;
use crate::store::users::User;
use crate::tr;

mod group;
pub use group::{
    Rendered, SummaryLine, group_closing, group_opening, group_summary, leaderboard, nudge,
    rest_day_notice,
};

/// "10 reps, hold 3 s" or "10 reps each side, hold 3 s".
pub fn load_text(lang: Language, exercise: &Exercise, reps: u32) -> String {
    if reps == 0 {
        return tr!(lang, "session-load-resting");
    }
    let load = if exercise.reps.per_side {
        tr!(lang, "session-load-reps-each-side", reps = reps)
    } else {
        tr!(lang, "session-load-reps", reps = reps)
    };
    match exercise.hold_seconds {
        Some(hold) => tr!(lang, "session-load-hold", load = load, seconds = hold),
        None => load,
    }
}

pub fn how_to_check_in(lang: Language) -> String {
    tr!(
        lang,
        "session-how-to-check-in",
        done_emoji = CheckInKind::Done.emoji(),
        skip_emoji = CheckInKind::Skip.emoji(),
        pain_emoji = CheckInKind::Pain.emoji(),
    )
}

/// "1 day", "3 days".
fn days(lang: Language, n: u32) -> String {
    tr!(lang, "session-days", count = n)
}

/// An exercise kind as members read it ("strength").
fn kind_name(lang: Language, kind: Kind) -> String {
    match kind {
        Kind::Strength => tr!(lang, "session-kind-strength"),
        Kind::Stretch => tr!(lang, "session-kind-stretch"),
        Kind::Mobility => tr!(lang, "session-kind-mobility"),
    }
}

/// The day's first words: days lost while the bot could not send, a late
/// start, then the exercises with their loads. `routine` is in `lang`.
#[allow(clippy::too_many_arguments)]
pub fn opening(
    lang: Language,
    routine: &Routine,
    date: NaiveDate,
    loads: &[u32],
    resting: &BTreeMap<u32, NaiveDate>,
    pace_minutes: u32,
    late_by: Option<Duration>,
    missed: &[(NaiveDate, MissedBecause)],
) -> Message {
    let mut body = String::new();
    for why in [MissedBecause::Offline, MissedBecause::Unreachable] {
        let days: Vec<String> = missed
            .iter()
            .filter(|(_, because)| *because == why)
            .map(|(date, _)| long_date(lang, *date))
            .collect();
        if days.is_empty() {
            continue;
        }
        let (count, days) = (days.len(), list(lang, &days));
        body.push_str(&match why {
            MissedBecause::Offline => {
                tr!(lang, "session-missed-offline", count = count, days = days)
            }
            MissedBecause::Unreachable => {
                tr!(
                    lang,
                    "session-missed-unreachable",
                    count = count,
                    days = days
                )
            }
        });
        body.push_str("\n\n");
    }
    if let Some(late) = late_by {
        body.push_str(&tr!(lang, "session-late", late = describe(lang, late)));
        body.push_str("\n\n");
    }
    let count = routine.exercises.len() - resting.len();
    body.push_str(&tr!(lang, "session-opening-exercises", count = count));
    body.push('\n');
    for (step, (exercise, reps)) in (1..).zip(routine.exercises.iter().zip(loads)) {
        let load = match resting.get(&step) {
            Some(last_day) => {
                let back_on = long_date(lang, *last_day + chrono::Days::new(1));
                tr!(lang, "session-opening-resting", date = back_on)
            }
            None => load_text(lang, exercise, *reps),
        };
        body.push_str(&format!("- {}: {load}\n", exercise.title));
    }
    body.push_str(&format!(
        "\n{} {}",
        how_to_check_in(lang),
        tr!(lang, "session-opening-pace", minutes = pace_minutes)
    ));
    Message::new(
        format!("{} · {}", routine.title, long_date(lang, date)),
        body,
    )
}

/// The day's first message: the opening as a header, then exercise 1.
pub fn first_exercise(opening: Message, first: Message) -> Message {
    Message {
        title: opening.title,
        body: format!(
            "{}\n\n**{}**\n{}",
            opening.body,
            first.title.unwrap_or_default(),
            first.body
        ),
        footer: first.footer,
    }
}

/// Exercise `number` in full; `routine` and `exercise` are in `lang`.
pub fn exercise(
    lang: Language,
    routine: &Routine,
    number: usize,
    exercise: &Exercise,
    reps: u32,
) -> Message {
    let mut body = format!(
        "_{}_\n\n{}\n",
        exercise.purpose,
        tr!(
            lang,
            "session-exercise-setup",
            setup = exercise.setup.as_str()
        )
    );
    for (i, step) in exercise.steps.iter().enumerate() {
        body.push_str(&format!("{}. {}\n", i + 1, step));
    }
    body.push_str(&format!(
        "\n{}\n{}",
        tr!(
            lang,
            "session-exercise-today",
            load = load_text(lang, exercise, reps)
        ),
        tr!(
            lang,
            "session-exercise-safety",
            safety = exercise.safety.as_str()
        )
    ));
    Message::new(
        format!(
            "{}/{} · {}",
            number,
            routine.exercises.len(),
            exercise.title
        ),
        body,
    )
    .with_footer(how_to_check_in(lang))
}

/// One exercise in full, outside a session (the `exercise` command);
/// `routine` and `exercise` are in `lang`.
pub fn exercise_reference(
    lang: Language,
    routine: &Routine,
    number: usize,
    exercise: &Exercise,
    reps: u32,
) -> Message {
    let mut message = self::exercise(lang, routine, number, exercise, reps);
    message.footer = Some(tr!(
        lang,
        "session-exercise-reference-footer",
        kind = kind_name(lang, exercise.kind)
    ));
    message
}

pub fn closing(lang: Language, tally: Tally, streak: Streak, stopped_for_pain: bool) -> Message {
    let mut body = if stopped_for_pain {
        tr!(lang, "session-closing-stopped-for-pain")
    } else {
        tr!(lang, "session-closing-done")
    };
    body.push_str("\n\n");
    body.push_str(&tr!(
        lang,
        "session-closing-tally",
        done_emoji = CheckInKind::Done.emoji(),
        done = tally.done,
        skip_emoji = CheckInKind::Skip.emoji(),
        skipped = tally.skipped,
        pain_emoji = CheckInKind::Pain.emoji(),
        pain = tally.pain,
    ));
    if tally.unanswered > 0 {
        body.push_str(" · ");
        body.push_str(&tr!(
            lang,
            "session-closing-unanswered",
            count = tally.unanswered
        ));
    }
    body.push_str(&format!("\n{}", streak_line(lang, streak)));
    Message::new(tr!(lang, "session-closing-title"), body)
}

pub fn streak_line(lang: Language, streak: Streak) -> String {
    tr!(
        lang,
        "session-streak-line",
        current = days(lang, streak.current),
        best = days(lang, streak.best),
        done_days = days(lang, streak.done_days),
    )
}

/// After a 🤕: stop and consult, whether the exercise now rests (and until
/// when), and the question how strong and where. `exercise` is in `lang`.
pub fn pain_advice(
    lang: Language,
    content: &Content,
    exercise: &Exercise,
    back_on: Option<NaiveDate>,
) -> Message {
    let rules = content.pain_rules_in(lang);
    let mut body = content.pain_advice(lang).to_string();
    if let Some(back_on) = back_on {
        body.push_str("\n\n");
        body.push_str(&rules.rest_notice(&exercise.title, &long_date(lang, back_on)));
    }
    body.push_str(&format!(
        "\n\n{} {}\n\n{}",
        rules.ask,
        tr!(lang, "session-pain-answer-with"),
        tr!(lang, "session-pain-see-precautions")
    ));
    Message::new(
        tr!(
            lang,
            "session-pain-title",
            exercise = exercise.title.as_str()
        ),
        body,
    )
}

/// The answer to `pain <0-10> [where]`; `exercise` is in `lang`.
pub fn pain_rated(
    lang: Language,
    content: &Content,
    exercise: &Exercise,
    score: u8,
    place: Option<&str>,
    back_on: Option<NaiveDate>,
) -> Message {
    let title = exercise.title.as_str();
    let mut body = match place {
        Some(place) => tr!(
            lang,
            "session-pain-noted-at",
            score = score,
            place = place,
            exercise = title
        ),
        None => tr!(lang, "session-pain-noted", score = score, exercise = title),
    };
    if let Some(back_on) = back_on {
        body.push_str("\n\n");
        body.push_str(
            &content
                .pain_rules_in(lang)
                .rest_notice(title, &long_date(lang, back_on)),
        );
    } else if score >= 4 {
        body.push_str("\n\n");
        body.push_str(&tr!(lang, "session-pain-see-professional"));
    }
    Message::text(body)
}

pub fn disclaimer(lang: Language, content: &Content) -> Message {
    let topic = content.topic_in(lang, TopicId::Disclaimer);
    let mut body = format!("{}\n", topic.intro);
    for point in &topic.points {
        body.push_str(&format!("- {point}\n"));
    }
    body.push('\n');
    body.push_str(&tr!(
        lang,
        "session-disclaimer-agree",
        done_emoji = CheckInKind::Done.emoji()
    ));
    Message::new(topic.title.clone(), body)
}

/// The evening follow-up, when the day's session is not done yet.
pub fn followup(lang: Language, done: usize, exercises: usize) -> Message {
    let done_emoji = CheckInKind::Done.emoji();
    Message::text(match done {
        0 => tr!(lang, "session-followup-none", done_emoji = done_emoji),
        n => tr!(
            lang,
            "session-followup-some",
            done = n,
            count = exercises,
            done_emoji = done_emoji
        ),
    })
}

/// A member's week; `load_changes` are already in `lang` (see
/// [`load_change`]).
pub fn weekly(
    lang: Language,
    from: NaiveDate,
    to: NaiveDate,
    done: usize,
    sessions: usize,
    streak: Streak,
    load_changes: &[String],
) -> Message {
    let mut body = tr!(
        lang,
        "session-weekly-done",
        from = short_date(lang, from),
        to = short_date(lang, to),
        done = done,
        count = sessions
    );
    body.push_str(&format!("\n{}\n\n", streak_line(lang, streak)));
    if load_changes.is_empty() {
        body.push_str(&tr!(lang, "session-weekly-same-load"));
    } else {
        body.push_str(&tr!(lang, "session-weekly-load-changes"));
        body.push('\n');
        for change in load_changes {
            body.push_str(&format!("- {change}\n"));
        }
    }
    body.push_str("\n\n");
    body.push_str(&tr!(lang, "session-weekly-off"));
    Message::new(tr!(lang, "session-weekly-title"), body)
}

/// One line of [`weekly`]'s load changes: "Chin tucks: 10 → 11 reps".
pub fn load_change(lang: Language, exercise: &Exercise, before: u32, after: u32) -> String {
    tr!(
        lang,
        "session-weekly-load-change",
        exercise = exercise.title.as_str(),
        before = before,
        after = after
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streak(current: u32, best: u32) -> Streak {
        Streak {
            current,
            best,
            done_days: best,
        }
    }

    #[test]
    fn the_leaderboard_shares_ranks_on_ties_and_stops_at_its_size() {
        let rows: Vec<(String, Streak)> = [
            ("Ana", streak(3, 3)),
            ("Ben", streak(2, 4)),
            ("Cy", streak(2, 4)),
            ("Dee", streak(1, 1)),
        ]
        .into_iter()
        .map(|(name, s)| (name.to_string(), s))
        .collect();
        let board = leaderboard(Language::En, &rows, 3).body;
        let lines: Vec<&str> = board.lines().collect();
        assert_eq!(lines[0], "1. **Ana**: 3 days (best 3 days)");
        assert_eq!(lines[1], "2. **Ben**: 2 days (best 4 days)");
        assert_eq!(lines[2], "2. **Cy**: 2 days (best 4 days)");
        assert_eq!(lines[3], "…and 1 more.");
    }

    #[test]
    fn a_group_and_a_member_read_their_own_language() {
        let rows = vec![("Ana".to_string(), streak(1, 2))];
        let board = leaderboard(Language::De, &rows, 3);
        assert_eq!(board.title.as_deref(), Some("Bestenliste"));
        assert!(
            board
                .body
                .starts_with("1. **Ana**: 1 Tag (Bestwert 2 Tage)")
        );
        let line = streak_line(Language::Es, streak(1, 3));
        assert_eq!(
            line,
            "Racha: 1 día (mejor: 3 días; en total, 3 días con la rutina hecha)"
        );
        let date = NaiveDate::from_ymd_opt(2027, 3, 7).unwrap_or_default();
        assert!(rest_day_notice(Language::De, date).contains("Sonntag, 7. März"));
    }
}
