//! The words of every message the engine sends on its own.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::check_in::CheckInKind;
use crate::coaching::{Completion, Streak, Tally};
use crate::content::{Content, Exercise, Routine, TopicId};
use crate::conventions::Conventions;
use crate::duration::describe;
use crate::message::{Message, escape_markdown};
use crate::store::check_ins::SessionCheckIns;
use crate::store::post_names::Named;
use crate::store::sessions::MissedBecause;
use crate::store::users::User;

/// "10 reps, hold 3 s" or "10 reps each side, hold 3 s".
pub fn load_text(exercise: &Exercise, reps: u32) -> String {
    if reps == 0 {
        return "resting after pain".to_string();
    }
    let side = if exercise.reps.per_side {
        " each side"
    } else {
        ""
    };
    match exercise.hold_seconds {
        Some(hold) => format!("{reps} reps{side}, hold {hold} s"),
        None => format!("{reps} reps{side}"),
    }
}

pub fn how_to_check_in() -> String {
    format!(
        "React {} when done, {} to skip, {} if it hurts.",
        CheckInKind::Done.emoji(),
        CheckInKind::Skip.emoji(),
        CheckInKind::Pain.emoji()
    )
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B").to_string()
}

pub fn opening(
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
            .map(|(date, _)| date.format("%A %-d %B").to_string())
            .collect();
        if days.is_empty() {
            continue;
        }
        let cause = match why {
            MissedBecause::Offline => "Upright was offline",
            MissedBecause::Unreachable => "the chat service could not be reached",
        };
        let (sessions, it) = if days.len() == 1 {
            ("session", "It doesn't")
        } else {
            ("sessions", "They don't")
        };
        body.push_str(&format!(
            "Your {sessions} on {} {} not sent: {cause}. {it} count against your streak.\n\n",
            join_and(&days),
            if days.len() == 1 { "was" } else { "were" }
        ));
    }
    if let Some(late) = late_by {
        body.push_str(&format!(
            "Sorry, this comes {} late: I was offline at your session time.\n\n",
            describe(crate::i18n::Language::En, late)
        ));
    }
    body.push_str(&format!(
        "{} exercises today, one message each:\n",
        routine.exercises.len() - resting.len()
    ));
    for (step, (exercise, reps)) in (1..).zip(routine.exercises.iter().zip(loads)) {
        let load = match resting.get(&step) {
            Some(last_day) => format!(
                "resting after pain, back on {}",
                long_date(*last_day + chrono::Days::new(1))
            ),
            None => load_text(exercise, *reps),
        };
        body.push_str(&format!("- {}: {load}\n", exercise.title));
    }
    body.push_str(&format!(
        "\n{} The next exercise follows when you check in, or after {pace_minutes} min.",
        how_to_check_in()
    ));
    Message::new(format!("{} · {}", routine.title, long_date(date)), body)
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

pub fn exercise(routine: &Routine, number: usize, exercise: &Exercise, reps: u32) -> Message {
    let mut body = format!("_{}_\n\n**Setup:** {}\n", exercise.purpose, exercise.setup);
    for (i, step) in exercise.steps.iter().enumerate() {
        body.push_str(&format!("{}. {}\n", i + 1, step));
    }
    body.push_str(&format!(
        "\n**Today:** {}\n**Safety:** {}",
        load_text(exercise, reps),
        exercise.safety
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
    .with_footer(how_to_check_in())
}

/// One exercise in full, outside a session (the `exercise` command).
pub fn exercise_reference(
    routine: &Routine,
    number: usize,
    exercise: &Exercise,
    reps: u32,
) -> Message {
    let mut message = self::exercise(routine, number, exercise, reps);
    message.footer = Some(format!(
        "{} · {}",
        exercise.kind, "part of your daily routine"
    ));
    message
}

pub fn closing(tally: Tally, streak: Streak, stopped_for_pain: bool) -> Message {
    let mut body = String::new();
    if stopped_for_pain {
        body.push_str("We stopped early today because something hurt. Rest, and see how you feel tomorrow.\n\n");
    } else {
        body.push_str("That's the whole routine for today. Well done for showing up.\n\n");
    }
    body.push_str(&format!(
        "{} {} done · {} {} skipped · {} {} pain",
        CheckInKind::Done.emoji(),
        tally.done,
        CheckInKind::Skip.emoji(),
        tally.skipped,
        CheckInKind::Pain.emoji(),
        tally.pain
    ));
    if tally.unanswered > 0 {
        body.push_str(&format!(
            " · {} without a check-in (you can still react)",
            tally.unanswered
        ));
    }
    body.push_str(&format!("\n{}", streak_line(streak)));
    Message::new("Routine complete", body)
}

pub fn streak_line(streak: Streak) -> String {
    let days = |n: u32| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    format!(
        "Streak: {} (best {}, {} done in all)",
        days(streak.current),
        days(streak.best),
        days(streak.done_days)
    )
}

/// After a 🤕: stop and consult, whether the exercise now rests (and until
/// when), and the question how strong and where.
pub fn pain_advice(content: &Content, exercise: &Exercise, back_on: Option<NaiveDate>) -> Message {
    let rules = content.pain_rules();
    let mut body = content.pain_advice(crate::i18n::Language::En).to_string();
    if let Some(back_on) = back_on {
        body.push_str("\n\n");
        body.push_str(&rules.rest_notice(&exercise.title, &long_date(back_on)));
    }
    body.push_str(&format!(
        "\n\n{} Answer with `pain <0-10> [where]`, for example `pain 6 between the shoulder blades`.\n\nSee `precautions` for more.",
        rules.ask
    ));
    Message::new(format!("Stop: {}", exercise.title), body)
}

/// The answer to `pain <0-10> [where]`.
pub fn pain_rated(
    content: &Content,
    exercise: &Exercise,
    score: u8,
    place: Option<&str>,
    back_on: Option<NaiveDate>,
) -> Message {
    let place = place.map(|p| format!(", {p}")).unwrap_or_default();
    let mut body = format!(
        "Noted: {score}/10{place}, on {}. It's stored with that check-in; `trends` and `privacy export csv` show your reports, to share with a physiotherapist.",
        exercise.title
    );
    if let Some(back_on) = back_on {
        body.push_str("\n\n");
        body.push_str(
            &content
                .pain_rules()
                .rest_notice(&exercise.title, &long_date(back_on)),
        );
    } else if score >= 4 {
        body.push_str(
            "\n\nIf it stays this strong or gets worse, please see a healthcare professional.",
        );
    }
    Message::text(body)
}

pub fn disclaimer(content: &Content) -> Message {
    let topic = content.topic(TopicId::Disclaimer);
    let mut body = format!("{}\n", topic.intro);
    for point in &topic.points {
        body.push_str(&format!("- {point}\n"));
    }
    body.push_str(&format!(
        "\nTo agree, use `agree` or react {} to this message.",
        CheckInKind::Done.emoji()
    ));
    Message::new(topic.title.clone(), body)
}

pub fn group_opening(
    routine: &Routine,
    date: NaiveDate,
    loads: &[u32],
    pace_minutes: u32,
    summary_time: NaiveTime,
) -> Message {
    let mut body = format!(
        "Group session: {} exercises, one every {pace_minutes} min. Start here and do more if it feels easy:\n",
        routine.exercises.len()
    );
    for (exercise, reps) in routine.exercises.iter().zip(loads) {
        body.push_str(&format!(
            "- {}: {}\n",
            exercise.title,
            load_text(exercise, *reps)
        ));
    }
    body.push_str(&format!(
        "\nEveryone's reaction is their own check-in. {} The summary follows at {}. New here? Read `disclaimer` first: this is not medical advice.",
        how_to_check_in(),
        summary_time.format("%H:%M")
    ));
    Message::new(format!("{} · {}", routine.title, long_date(date)), body)
}

pub fn group_closing(exercises: usize, summary_time: NaiveTime) -> Message {
    Message::new(
        "That's the routine for today",
        format!(
            "All {exercises} exercises are above. React on the ones you did, even later today; the summary comes at {}.",
            summary_time.format("%H:%M")
        ),
    )
}

/// A channel post with the members it names, exactly as it shows them (for
/// `privacy delete`).
pub struct Rendered {
    pub message: Message,
    pub named: Vec<Named>,
}

/// A nudge mentioning `members`.
pub fn nudge(members: &[&User], summary_time: NaiveTime, conventions: &Conventions) -> Rendered {
    let named: Vec<Named> = members
        .iter()
        .map(|u| Named {
            user_id: u.id,
            shown: (conventions.mention)(&u.platform_user_id, &u.display_name),
        })
        .collect();
    let shown: Vec<&str> = named.iter().map(|n| n.shown.as_str()).collect();
    let message = Message::text(format!(
        "{}: there's still time for today's routine (it's above). React {} on each exercise you do before the summary at {}. (Send `nudges off` if you'd rather not be mentioned.)",
        shown.join(", "),
        CheckInKind::Done.emoji(),
        summary_time.format("%H:%M")
    ));
    Rendered { message, named }
}

/// One member's line in a group summary.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub user_id: i64,
    pub name: String,
    pub check_ins: SessionCheckIns,
    pub streak: Streak,
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// "✅ 1, 2, 3 · ⏭️ 4"
fn check_in_list(check_ins: &SessionCheckIns) -> String {
    [CheckInKind::Done, CheckInKind::Skip, CheckInKind::Pain]
        .into_iter()
        .filter_map(|kind| {
            let steps: Vec<String> = check_ins
                .iter()
                .filter(|(_, kinds)| kinds.contains(&kind))
                .map(|(step, _)| step.to_string())
                .collect();
            (!steps.is_empty()).then(|| format!("{} {}", kind.emoji(), steps.join(", ")))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Members listed by name in a summary; the rest are counted (a chat
/// message has a length limit).
const SUMMARY_NAMES: usize = 30;

/// The evening follow-up, when the day's session is not done yet.
pub fn followup(done: usize, exercises: usize) -> Message {
    let so_far = match done {
        0 => "Nothing checked in yet today".to_string(),
        n => format!("{n} of {exercises} exercises checked in so far"),
    };
    Message::text(format!(
        "{so_far}: there's still time for today's routine, even a part of it. React {} on each one you do; check-ins count until tomorrow's session. (`followup off` stops these.)",
        CheckInKind::Done.emoji()
    ))
}

/// The announcement of a day the group rests.
pub fn rest_day_notice(date: NaiveDate) -> String {
    format!(
        "No group session on {}: the group rests, and the day doesn't count against anyone's streak.",
        long_date(date)
    )
}

/// The day's summary.
pub fn group_summary(
    date: NaiveDate,
    checked_in: &[SummaryLine],
    not_yet: &[(i64, String)],
    this_week: Completion,
    last_week: Completion,
) -> Rendered {
    let mut named = Vec::new();
    // The group's figure first, so a long list never pushes it out.
    let mut body = match (this_week.percent(), last_week.percent()) {
        (Some(now), Some(before)) => {
            let change = i64::from(now) - i64::from(before);
            let trend = match change {
                0 => "the same as".to_string(),
                c if c > 0 => format!("up {c} points from"),
                c => format!("down {} points from", -c),
            };
            format!(
                "Group completion over 7 days: {now}% of member-days done ({} of {}), {trend} the week before ({before}%).",
                this_week.done, this_week.possible
            )
        }
        (Some(now), None) => format!(
            "Group completion over 7 days: {now}% of member-days done ({} of {}); nothing to compare with the week before.",
            this_week.done, this_week.possible
        ),
        (None, _) => "No check-ins this week yet.".to_string(),
    };
    body.push_str("\n\n");
    if checked_in.is_empty() {
        body.push_str("Nobody checked in today. Tomorrow is another chance.\n");
    }
    for line in checked_in.iter().take(SUMMARY_NAMES) {
        let shown = escape_markdown(&line.name);
        body.push_str(&format!(
            "- **{shown}**: {} · streak {} (best {})\n",
            check_in_list(&line.check_ins),
            days(line.streak.current),
            days(line.streak.best)
        ));
        named.push(Named {
            user_id: line.user_id,
            shown,
        });
    }
    if checked_in.len() > SUMMARY_NAMES {
        body.push_str(&format!(
            "…and {} more checked in.\n",
            checked_in.len() - SUMMARY_NAMES
        ));
    }
    if !not_yet.is_empty() {
        let listed: Vec<Named> = not_yet
            .iter()
            .take(SUMMARY_NAMES)
            .map(|(user_id, name)| Named {
                user_id: *user_id,
                shown: escape_markdown(name),
            })
            .collect();
        let mut names: Vec<String> = listed.iter().map(|n| n.shown.clone()).collect();
        named.extend(listed);
        if not_yet.len() > SUMMARY_NAMES {
            names.push(format!("and {} more", not_yet.len() - SUMMARY_NAMES));
        }
        body.push_str(&format!("\nNo check-in today: {}\n", names.join(", ")));
    }
    let message = Message::new(format!("Group summary · {}", long_date(date)), body);
    Rendered { message, named }
}

/// The leaderboard's first `shown` rows, with tied members sharing a rank.
pub fn leaderboard(rows: &[(String, Streak)], shown: usize) -> Message {
    if rows.is_empty() {
        return Message::new(
            "Leaderboard",
            "Nobody has checked in here yet. React to today's exercises to get on the board.",
        );
    }
    let mut body = String::new();
    let mut rank = 0;
    let mut previous: Option<(u32, u32)> = None;
    for (i, (name, streak)) in rows.iter().enumerate().take(shown) {
        let key = (streak.current, streak.best);
        if previous != Some(key) {
            rank = i + 1;
            previous = Some(key);
        }
        body.push_str(&format!(
            "{rank}. **{}**: {} (best {})\n",
            escape_markdown(name),
            days(streak.current),
            days(streak.best)
        ));
    }
    if rows.len() > shown {
        body.push_str(&format!("…and {} more.\n", rows.len() - shown));
    }
    body.push_str("\nOrdered by current streak, then best streak, then name.");
    Message::new("Leaderboard", body)
}

pub fn weekly(
    from: NaiveDate,
    to: NaiveDate,
    done: usize,
    sessions: usize,
    streak: Streak,
    load_changes: &[String],
) -> Message {
    let mut body = format!(
        "{} to {}: {done} of {sessions} sessions done.\n{}\n",
        from.format("%a %-d %b"),
        to.format("%a %-d %b"),
        streak_line(streak)
    );
    if load_changes.is_empty() {
        body.push_str("\nYour load stayed the same this week.");
    } else {
        body.push_str("\nLoad changes:\n");
        for change in load_changes {
            body.push_str(&format!("- {change}\n"));
        }
    }
    body.push_str("\n\nSend `weekly off` to stop these.");
    Message::new("Your week", body)
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
        let board = leaderboard(&rows, 3).body;
        let lines: Vec<&str> = board.lines().collect();
        assert_eq!(lines[0], "1. **Ana**: 3 days (best 3 days)");
        assert_eq!(lines[1], "2. **Ben**: 2 days (best 4 days)");
        assert_eq!(lines[2], "2. **Cy**: 2 days (best 4 days)");
        assert_eq!(lines[3], "…and 1 more.");
    }
}
