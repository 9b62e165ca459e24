//! Coaching rules, as pure functions over a member's history: how a day
//! counts, streaks, the day's tally, and progressive load.
//!
//! **When a day counts as done:** at least half of the routine's exercises,
//! rounded up (3 of 5), were checked in ✅. A day with a 🤕 that is not done
//! is a rest day: it neither breaks nor grows the streak, because stopping on
//! pain is the right call. Days without a session (not a scheduled weekday,
//! paused, skipped with `skip`, or the bot could not reach the member) are
//! neutral too. A scheduled day that is neither done nor a rest day — missed,
//! or too few ✅ — ends the streak, except the latest session, which can still
//! be checked in until the next one starts.
//!
//! **Pain:** after a 🤕 the member is asked how strong (0–10) and where. An
//! exercise rests — left out of the member's sessions for `rest_days` from
//! the report — after a report scored `rest_from_score` or more, or after
//! pain on it in `rest_after_reports` of the member's last
//! `rest_within_sessions` sessions (numbers in `content/`, see
//! [`PainRules`]). A resting exercise is not counted in the day's share.
//!
//! **Load:** each exercise starts at the low end of its range. Three
//! consecutive sessions with that exercise ✅ add one repetition, never above
//! the range. A 🤕 lowers it by a fifth (at least 2), down to half the low end,
//! and restarts the count. A ⏭️ or no check-in also restarts the count.

mod history;

pub use history::{Completion, History, completion};

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::NaiveDate;

use crate::check_in::CheckInKind;
use crate::content::{Exercise, PainRules, Routine};
use crate::store::check_ins::SessionCheckIns;
use crate::store::sessions::{Session, Status};

/// Consecutive ✅ sessions before an exercise gets one more repetition.
pub const DONE_SESSIONS_TO_STEP_UP: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOutcome {
    Done,
    /// A 🤕 day: neither breaks nor grows the streak.
    Rest,
    /// Not a day to count (skipped, paused, unreachable, missed while the
    /// bot was down, or still open).
    Neutral,
    NotDone,
}

/// Exercises checked in ✅ needed for the day to count.
pub fn done_threshold(exercise_count: usize) -> usize {
    exercise_count.div_ceil(2)
}

fn has(check_ins: &SessionCheckIns, step: u32, kind: CheckInKind) -> bool {
    check_ins
        .get(&step)
        .is_some_and(|kinds| kinds.contains(&kind))
}

/// Of the exercises a session asked for, how many were checked in ✅, and
/// how many it asked for (one resting after pain is not asked for, so not
/// counted).
pub fn done_of_offered(
    session: &Session,
    check_ins: &SessionCheckIns,
    exercise_count: usize,
) -> (usize, usize) {
    session
        .offered_steps(exercise_count)
        .fold((0, 0), |(done, offered), step| {
            let this = usize::from(has(check_ins, step, CheckInKind::Done));
            (done + this, offered + 1)
        })
}

/// How one session counts. `is_latest` marks the session that can still take
/// late check-ins.
pub fn outcome(
    session: &Session,
    check_ins: &SessionCheckIns,
    exercise_count: usize,
    is_latest: bool,
) -> DayOutcome {
    match session.status {
        // A session the bot never delivered is not the member's doing.
        Status::Skipped | Status::Failed | Status::Missed => return DayOutcome::Neutral,
        Status::Running | Status::Finished => {}
    }
    let (done, offered) = done_of_offered(session, check_ins, exercise_count);
    if offered == 0 {
        return DayOutcome::Neutral;
    }
    if done >= done_threshold(offered) {
        DayOutcome::Done
    } else if check_ins
        .values()
        .any(|kinds| kinds.contains(&CheckInKind::Pain))
    {
        DayOutcome::Rest
    } else if is_latest {
        DayOutcome::Neutral
    } else {
        DayOutcome::NotDone
    }
}

pub use crate::store::check_ins::PainScores;

/// The exercises (by step) that rest on `date`, each with the last day it
/// rests, from the member's sessions before that day (oldest first, each
/// with its check-ins and pain scores).
pub fn resting<'a>(
    rules: &PainRules,
    history: impl IntoIterator<Item = (&'a Session, &'a SessionCheckIns, Option<&'a PainScores>)>,
    date: NaiveDate,
) -> BTreeMap<u32, NaiveDate> {
    let mut recent: VecDeque<BTreeSet<u32>> = VecDeque::new();
    let mut until: BTreeMap<u32, NaiveDate> = BTreeMap::new();
    for (session, check_ins, scores) in history {
        if session.local_date >= date || !session.was_delivered() {
            continue;
        }
        let hurt: BTreeSet<u32> = check_ins
            .iter()
            .filter(|(_, kinds)| kinds.contains(&CheckInKind::Pain))
            .map(|(step, _)| *step)
            .collect();
        recent.push_back(hurt.clone());
        if recent.len() > rules.rest_within_sessions {
            recent.pop_front();
        }
        for step in hurt {
            let severe = scores
                .and_then(|s| s.get(&step))
                .is_some_and(|score| *score >= rules.rest_from_score);
            let reports = recent.iter().filter(|steps| steps.contains(&step)).count();
            if severe || reports >= rules.rest_after_reports {
                let last_day = session.local_date + chrono::Days::new(rules.rest_days.into());
                let entry = until.entry(step).or_insert(last_day);
                *entry = (*entry).max(last_day);
            }
        }
    }
    until.retain(|_, last_day| date <= *last_day);
    until
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    pub current: u32,
    pub best: u32,
    pub done_days: u32,
}

/// Streaks over outcomes in date order.
pub fn streak(outcomes: &[DayOutcome]) -> Streak {
    let mut streak = Streak::default();
    let mut run = 0;
    for outcome in outcomes {
        match outcome {
            DayOutcome::Done => {
                run += 1;
                streak.done_days += 1;
                streak.best = streak.best.max(run);
            }
            DayOutcome::NotDone => run = 0,
            DayOutcome::Rest | DayOutcome::Neutral => {}
        }
    }
    streak.current = run;
    streak
}

/// Counts of a session's check-ins over the exercises posted so far, one per
/// exercise (pain wins over done, done over skip, when a member reacted more
/// than once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub done: u32,
    pub skipped: u32,
    pub pain: u32,
    pub unanswered: u32,
}

pub fn tally(session: &Session, check_ins: &SessionCheckIns, posted: u32) -> Tally {
    let mut tally = Tally::default();
    for step in (1..=posted).filter(|step| session.offers(*step)) {
        if has(check_ins, step, CheckInKind::Pain) {
            tally.pain += 1;
        } else if has(check_ins, step, CheckInKind::Done) {
            tally.done += 1;
        } else if has(check_ins, step, CheckInKind::Skip) {
            tally.skipped += 1;
        } else {
            tally.unanswered += 1;
        }
    }
    tally
}

/// The lowest a 🤕 can take an exercise: half its low end, at least 1.
fn floor(exercise: &Exercise) -> u32 {
    (exercise.reps.min / 2).max(1)
}

fn lowered(exercise: &Exercise, reps: u32) -> u32 {
    reps.saturating_sub((reps / 5).max(2)).max(floor(exercise))
}

/// Repetitions per exercise for the next session, from the sessions before it
/// (oldest first, each with the member's check-ins).
pub fn loads<'a>(
    routine: &Routine,
    history: impl IntoIterator<Item = (&'a Session, &'a SessionCheckIns)>,
) -> Vec<u32> {
    let mut reps: Vec<u32> = routine.exercises.iter().map(|e| e.reps.min).collect();
    let mut consecutive = vec![0u32; routine.exercises.len()];
    for (session, check_ins) in history {
        match session.status {
            Status::Skipped | Status::Failed | Status::Missed => continue,
            Status::Running | Status::Finished => {}
        }
        for (i, exercise) in routine.exercises.iter().enumerate() {
            let step = i as u32 + 1;
            if has(check_ins, step, CheckInKind::Pain) {
                reps[i] = lowered(exercise, reps[i]);
                consecutive[i] = 0;
            } else if has(check_ins, step, CheckInKind::Done) {
                consecutive[i] += 1;
                if consecutive[i] >= DONE_SESSIONS_TO_STEP_UP {
                    reps[i] = (reps[i] + 1).min(exercise.reps.max);
                    consecutive[i] = 0;
                }
            } else {
                consecutive[i] = 0;
            }
        }
    }
    reps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Kind, Reps};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn routine() -> Routine {
        let exercise = |id: &str, min, max| Exercise {
            id: id.into(),
            title: id.into(),
            kind: Kind::Strength,
            setup: "s".into(),
            steps: vec!["x".into()],
            reps: Reps {
                min,
                max,
                per_side: false,
            },
            hold_seconds: None,
            purpose: "p".into(),
            safety: "s".into(),
        };
        Routine {
            id: "r".into(),
            title: "R".into(),
            summary: "S".into(),
            exercises: vec![exercise("a", 10, 12), exercise("b", 10, 15)],
        }
    }

    fn session(day: u32, status: Status) -> Session {
        Session {
            id: day as i64,
            subscription_id: Some(1),
            group_id: None,
            routine_id: "r".into(),
            local_date: NaiveDate::from_ymd_opt(2027, 1, day).unwrap(),
            scheduled_at: Utc.with_ymd_and_hms(2027, 1, day, 7, 0, 0).unwrap(),
            status,
            current_step: 2,
            next_step_at: None,
            loads: vec![],
        }
    }

    fn check_ins(pairs: &[(u32, CheckInKind)]) -> SessionCheckIns {
        let mut map = SessionCheckIns::new();
        for (step, kind) in pairs {
            map.entry(*step).or_default().push(*kind);
        }
        map
    }

    #[test]
    fn load_steps_up_after_three_done_days_and_stops_at_the_top() {
        let routine = routine();
        let done_a = check_ins(&[(1, CheckInKind::Done)]);
        let sessions: Vec<Session> = (1..=12).map(|d| session(d, Status::Finished)).collect();
        let history = |n: usize| {
            sessions[..n]
                .iter()
                .map(|s| (s, &done_a))
                .collect::<Vec<_>>()
        };
        assert_eq!(loads(&routine, history(0)), vec![10, 10]);
        assert_eq!(loads(&routine, history(2)), vec![10, 10]);
        assert_eq!(loads(&routine, history(3)), vec![11, 10]);
        assert_eq!(loads(&routine, history(6)), vec![12, 10]);
        assert_eq!(
            loads(&routine, history(12)),
            vec![12, 10],
            "never above the range"
        );
    }

    #[test]
    fn pain_lowers_and_skip_restarts_the_count() {
        let routine = routine();
        let sessions: Vec<Session> = (1..=4).map(|d| session(d, Status::Finished)).collect();
        let pain = check_ins(&[(2, CheckInKind::Pain)]);
        assert_eq!(loads(&routine, [(&sessions[0], &pain)]), vec![10, 8]);
        let done = check_ins(&[(1, CheckInKind::Done)]);
        let skip = check_ins(&[(1, CheckInKind::Skip)]);
        let history = [
            (&sessions[0], &done),
            (&sessions[1], &skip),
            (&sessions[2], &done),
            (&sessions[3], &done),
        ];
        assert_eq!(loads(&routine, history), vec![10, 10]);
        let again = check_ins(&[(2, CheckInKind::Pain)]);
        let history = [
            (&sessions[0], &again),
            (&sessions[1], &again),
            (&sessions[2], &again),
            (&sessions[3], &again),
        ];
        assert_eq!(
            loads(&routine, history),
            vec![10, 5],
            "never below half the low end"
        );
    }

    #[test]
    fn streak_rules() {
        use DayOutcome::*;
        assert_eq!(
            streak(&[Done, Done, NotDone, Done]),
            Streak {
                current: 1,
                best: 2,
                done_days: 3
            }
        );
        assert_eq!(
            streak(&[Done, Rest, Neutral, Done]),
            Streak {
                current: 2,
                best: 2,
                done_days: 2
            }
        );
        assert_eq!(streak(&[]), Streak::default());
    }

    #[test]
    fn a_day_is_done_with_half_the_exercises_rounded_up() {
        let five = |pairs: &[(u32, CheckInKind)]| {
            outcome(&session(1, Status::Finished), &check_ins(pairs), 5, false)
        };
        use CheckInKind::*;
        assert_eq!(five(&[(1, Done), (2, Done), (3, Done)]), DayOutcome::Done);
        assert_eq!(
            five(&[(1, Done), (2, Done), (3, Skip)]),
            DayOutcome::NotDone
        );
        assert_eq!(five(&[(1, Done), (2, Pain)]), DayOutcome::Rest);
        assert_eq!(
            outcome(&session(1, Status::Missed), &check_ins(&[]), 5, false),
            DayOutcome::Neutral,
            "missed while the bot was down: not the member's doing"
        );
        assert_eq!(
            outcome(&session(1, Status::Running), &check_ins(&[]), 5, true),
            DayOutcome::Neutral
        );
        assert_eq!(
            outcome(&session(1, Status::Skipped), &check_ins(&[]), 5, false),
            DayOutcome::Neutral
        );
    }

    #[test]
    fn tally_counts_each_exercise_once() {
        use CheckInKind::*;
        let t = tally(
            &session(1, Status::Finished),
            &check_ins(&[(1, Done), (1, Skip), (2, Pain), (2, Done), (3, Skip)]),
            5,
        );
        assert_eq!(
            t,
            Tally {
                done: 1,
                skipped: 1,
                pain: 1,
                unanswered: 2
            }
        );
    }
}
