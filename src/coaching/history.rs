//! A member's history — their sessions with what they checked in and the
//! pain scores they gave — and what the rules make of it: streak, the share
//! done each day, the loads, which exercises rest, the trends, and a group's
//! completion. Read from the database by the engine; everything here is pure.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{DayOutcome, PainScores, Streak};
use crate::content::{Content, PainRules, Routine};
use crate::store::check_ins::SessionCheckIns;
use crate::store::sessions::{Session, Status};

/// A member's sessions (oldest first) with their check-ins.
#[derive(Debug, Clone)]
pub struct History {
    /// Shared: every member of a group has the group's sessions.
    pub sessions: std::sync::Arc<[Session]>,
    pub check_ins: BTreeMap<i64, SessionCheckIns>,
    /// Session id → step → the pain score the member gave.
    pub pain_scores: BTreeMap<i64, PainScores>,
}

impl History {
    /// The exercises of `routine` resting on `date`, by step, each with the
    /// last day it rests.
    pub fn resting_on(
        &self,
        rules: &PainRules,
        routine: &Routine,
        date: NaiveDate,
    ) -> BTreeMap<u32, NaiveDate> {
        super::resting(
            rules,
            self.sessions
                .iter()
                .filter(|s| s.routine_id == routine.id)
                .map(|s| (s, self.check_ins_of(s.id), self.pain_scores.get(&s.id))),
            date,
        )
    }

    pub fn check_ins_of(&self, session_id: i64) -> &SessionCheckIns {
        static EMPTY: SessionCheckIns = SessionCheckIns::new();
        self.check_ins.get(&session_id).unwrap_or(&EMPTY)
    }

    pub fn streak(&self, content: &Content) -> Streak {
        let latest_started = self
            .sessions
            .iter()
            .rev()
            .find(|s| matches!(s.status, Status::Running | Status::Finished))
            .map(|s| s.id);
        let outcomes: Vec<DayOutcome> = self
            .sessions
            .iter()
            .map(|s| {
                let count = content
                    .routine(&s.routine_id)
                    .map_or(0, |r| r.exercises.len());
                super::outcome(
                    s,
                    self.check_ins_of(s.id),
                    count,
                    Some(s.id) == latest_started,
                )
            })
            .collect();
        super::streak(&outcomes)
    }

    /// For each day with a session that counted, the share of the routine
    /// checked in ✅ (0.0–1.0): what the progress picture shows.
    pub fn day_shares(&self, content: &Content) -> BTreeMap<NaiveDate, f32> {
        self.sessions
            .iter()
            .filter(|s| !matches!(s.status, Status::Skipped | Status::Failed))
            .map(|s| {
                let exercises = content
                    .routine(&s.routine_id)
                    .map_or(0, |r| r.exercises.len());
                let (done, offered) = super::done_of_offered(s, self.check_ins_of(s.id), exercises);
                (s.local_date, (done as f32 / offered.max(1) as f32).min(1.0))
            })
            .collect()
    }

    /// The load for a session on `date`, from the sessions before it.
    pub fn loads_before(&self, routine: &Routine, date: NaiveDate) -> Vec<u32> {
        super::loads(
            routine,
            self.sessions
                .iter()
                .filter(|s| s.local_date < date && s.routine_id == routine.id)
                .map(|s| (s, self.check_ins_of(s.id))),
        )
    }
}

/// Member-days done out of member-days possible over a span of group sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Completion {
    pub done: u32,
    pub possible: u32,
}

impl Completion {
    pub fn percent(self) -> Option<u32> {
        (self.possible > 0).then(|| (self.done * 100 + self.possible / 2) / self.possible)
    }
}

/// Completion over the group's sessions dated `from..=to`, counting the
/// members who checked in at least once in that span, each from their first
/// check-in in the group on (days before someone joined are not theirs to do).
pub fn completion<'a>(
    histories: impl IntoIterator<Item = &'a History>,
    exercises: usize,
    from: NaiveDate,
    to: NaiveDate,
) -> Completion {
    let mut total = Completion::default();
    for history in histories {
        let Some(first) = history
            .sessions
            .iter()
            .find(|s| !history.check_ins_of(s.id).is_empty())
            .map(|s| s.local_date)
        else {
            continue;
        };
        let sessions: Vec<&Session> = history
            .sessions
            .iter()
            .filter(|s| s.local_date >= from.max(first) && s.local_date <= to)
            .filter(|s| matches!(s.status, Status::Running | Status::Finished))
            .collect();
        let took_part = sessions
            .iter()
            .any(|s| !history.check_ins_of(s.id).is_empty());
        if !took_part {
            continue;
        }
        total.possible += sessions.len() as u32;
        total.done += sessions
            .iter()
            .filter(|s| {
                super::outcome(s, history.check_ins_of(s.id), exercises, false) == DayOutcome::Done
            })
            .count() as u32;
    }
    total
}
