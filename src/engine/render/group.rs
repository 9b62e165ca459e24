//! The words of a group's posts in its channel or room: the day's
//! opening and closing, the nudge, rest days, the summary and the
//! leaderboard, in the group's language.

use super::*;

/// A group's day in its channel; `routine` is in `lang`.
pub fn group_opening(
    lang: Language,
    routine: &Routine,
    date: NaiveDate,
    loads: &[u32],
    pace_minutes: u32,
    summary_time: NaiveTime,
) -> Message {
    let mut body = tr!(
        lang,
        "group-opening",
        count = routine.exercises.len(),
        minutes = pace_minutes
    );
    body.push('\n');
    for (exercise, reps) in routine.exercises.iter().zip(loads) {
        body.push_str(&format!(
            "- {}: {}\n",
            exercise.title,
            load_text(lang, exercise, *reps)
        ));
    }
    body.push('\n');
    body.push_str(&tr!(
        lang,
        "group-opening-how",
        how_to_check_in = how_to_check_in(lang),
        time = summary_time.format("%H:%M").to_string()
    ));
    Message::new(
        format!("{} · {}", routine.title, long_date(lang, date)),
        body,
    )
}

pub fn group_closing(lang: Language, exercises: usize, summary_time: NaiveTime) -> Message {
    Message::new(
        tr!(lang, "group-closing-title"),
        tr!(
            lang,
            "group-closing",
            count = exercises,
            time = summary_time.format("%H:%M").to_string()
        ),
    )
}

/// A channel post with the members it names, exactly as it shows them (for
/// `privacy delete`).
pub struct Rendered {
    pub message: Message,
    pub named: Vec<Named>,
}

/// A nudge mentioning `members`, in the group's language.
pub fn nudge(
    lang: Language,
    members: &[&User],
    summary_time: NaiveTime,
    conventions: &Conventions,
) -> Rendered {
    let named: Vec<Named> = members
        .iter()
        .map(|u| Named {
            user_id: u.id,
            shown: (conventions.mention)(&u.platform_user_id, &u.display_name),
        })
        .collect();
    let shown: Vec<&str> = named.iter().map(|n| n.shown.as_str()).collect();
    let message = Message::text(tr!(
        lang,
        "group-nudge",
        names = shown.join(", "),
        done_emoji = CheckInKind::Done.emoji(),
        time = summary_time.format("%H:%M").to_string()
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

/// The announcement of a day the group rests.
pub fn rest_day_notice(lang: Language, date: NaiveDate) -> String {
    tr!(lang, "group-rest-day", date = long_date(lang, date))
}

/// The group's completion this week against the week before.
fn completion_line(lang: Language, this_week: Completion, last_week: Completion) -> String {
    let (done, possible) = (this_week.done, this_week.possible);
    match (this_week.percent(), last_week.percent()) {
        (Some(now), Some(before)) => {
            let change = i64::from(now) - i64::from(before);
            let points = change.abs();
            match change {
                0 => tr!(
                    lang,
                    "group-summary-completion-same",
                    now = now,
                    done = done,
                    possible = possible,
                    before = before
                ),
                c if c > 0 => tr!(
                    lang,
                    "group-summary-completion-up",
                    now = now,
                    done = done,
                    possible = possible,
                    points = points,
                    before = before
                ),
                _ => tr!(
                    lang,
                    "group-summary-completion-down",
                    now = now,
                    done = done,
                    possible = possible,
                    points = points,
                    before = before
                ),
            }
        }
        (Some(now), None) => tr!(
            lang,
            "group-summary-completion-first",
            now = now,
            done = done,
            possible = possible
        ),
        (None, _) => tr!(lang, "group-summary-no-check-ins"),
    }
}

/// The day's summary, in the group's language.
pub fn group_summary(
    lang: Language,
    date: NaiveDate,
    checked_in: &[SummaryLine],
    not_yet: &[(i64, String)],
    this_week: Completion,
    last_week: Completion,
) -> Rendered {
    let mut named = Vec::new();
    // The group's figure first, so a long list never pushes it out.
    let mut body = completion_line(lang, this_week, last_week);
    body.push_str("\n\n");
    if checked_in.is_empty() {
        body.push_str(&tr!(lang, "group-summary-nobody"));
        body.push('\n');
    }
    for line in checked_in.iter().take(SUMMARY_NAMES) {
        let shown = escape_markdown(&line.name);
        body.push_str(&tr!(
            lang,
            "group-summary-line",
            name = shown.as_str(),
            check_ins = check_in_list(&line.check_ins),
            current = days(lang, line.streak.current),
            best = days(lang, line.streak.best)
        ));
        body.push('\n');
        named.push(Named {
            user_id: line.user_id,
            shown,
        });
    }
    if checked_in.len() > SUMMARY_NAMES {
        body.push_str(&tr!(
            lang,
            "group-summary-more-checked-in",
            count = checked_in.len() - SUMMARY_NAMES
        ));
        body.push('\n');
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
            names.push(tr!(
                lang,
                "group-summary-and-more",
                count = not_yet.len() - SUMMARY_NAMES
            ));
        }
        body.push('\n');
        body.push_str(&tr!(
            lang,
            "group-summary-not-yet",
            names = names.join(", ")
        ));
        body.push('\n');
    }
    let title = tr!(lang, "group-summary-title", date = long_date(lang, date));
    Rendered {
        message: Message::new(title, body),
        named,
    }
}

/// The leaderboard's first `shown` rows, with tied members sharing a rank,
/// in the group's language.
pub fn leaderboard(lang: Language, rows: &[(String, Streak)], shown: usize) -> Message {
    let title = tr!(lang, "group-leaderboard-title");
    if rows.is_empty() {
        return Message::new(title, tr!(lang, "group-leaderboard-empty"));
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
        body.push_str(&tr!(
            lang,
            "group-leaderboard-row",
            rank = rank,
            name = escape_markdown(name),
            current = days(lang, streak.current),
            best = days(lang, streak.best)
        ));
        body.push('\n');
    }
    if rows.len() > shown {
        body.push_str(&tr!(
            lang,
            "group-leaderboard-more",
            count = rows.len() - shown
        ));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&tr!(lang, "group-leaderboard-order"));
    Message::new(title, body)
}
