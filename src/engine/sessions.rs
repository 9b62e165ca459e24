//! Where a session is scheduled, started, paced and closed. Every function
//! here runs inside one database transaction and only *writes* messages to the
//! outbox; sending is the outbox's job.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::render;
use crate::check_in::CheckInKind;
use crate::coaching::{self, DayOutcome, Streak};
use crate::content::{Content, Routine};
use crate::schedule::{Occurrence, Schedule};
use crate::store::check_ins::{self, SessionCheckIns};
use crate::store::deliveries::{self, Kind, NewDelivery, Recipient, priority};
use crate::store::sessions::{self, MissedBecause, NewSession, Owner, Session, Status};
use crate::store::subscriptions::{self, State, Subscription};
use crate::store::users::{self, User};
use crate::store::{Result, StoreError};

/// After this long down, occurrences older than the grace window are not
/// each recorded as missed; the schedule simply moves on.
const CATCH_UP_LIMIT_DAYS: i64 = 8;

/// A session start later than this says it is late.
const LATE_NOTICE_AFTER: i64 = 60;

/// The engine wakes a moment after a due instant; even with UPRIGHT_GRACE=0m
/// a session that late still starts.
pub const MIN_GRACE: Duration = Duration::minutes(1);

pub struct SessionRules<'a> {
    pub content: &'a Content,
    pub grace: Duration,
}

pub(super) fn routine<'a>(content: &'a Content, id: &str) -> Result<&'a Routine> {
    content
        .routine(id)
        .ok_or_else(|| StoreError::Corrupt(format!("routine `{id}` is not in the content folder")))
}

/// The idempotency key prefix of a session: its subscription or group,
/// routine, local date.
fn session_key(session: &Session) -> String {
    match (session.subscription_id, session.group_id) {
        (Some(sub), _) => format!("sub{sub}/{}/{}", session.routine_id, session.local_date),
        (None, group) => format!(
            "group{}/{}/{}",
            group.unwrap_or_default(),
            session.routine_id,
            session.local_date
        ),
    }
}

/// A member's sessions (oldest first) with their check-ins.
#[derive(Debug, Clone)]
pub struct History {
    pub sessions: Vec<Session>,
    pub check_ins: std::collections::BTreeMap<i64, SessionCheckIns>,
    /// Session id → step → the pain score the member gave.
    pub pain_scores: std::collections::BTreeMap<i64, coaching::PainScores>,
}

impl History {
    /// A member's history in their own sessions (a subscription) or in a group's.
    pub fn load(c: &Connection, owner: Owner, user_id: i64) -> Result<History> {
        Ok(History {
            sessions: sessions::for_owner(c, owner)?,
            check_ins: check_ins::by_session_for_user(c, user_id)?,
            pain_scores: check_ins::pain_scores_for_user(c, user_id)?,
        })
    }

    /// The exercises of `routine` resting on `date`, by step, each with the
    /// last day it rests.
    pub fn resting_on(
        &self,
        rules: &crate::content::PainRules,
        routine: &Routine,
        date: chrono::NaiveDate,
    ) -> std::collections::BTreeMap<u32, chrono::NaiveDate> {
        coaching::resting(
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
                coaching::outcome(
                    s,
                    self.check_ins_of(s.id),
                    count,
                    Some(s.id) == latest_started,
                )
            })
            .collect();
        coaching::streak(&outcomes)
    }

    /// For each day with a session that counted, the share of the routine
    /// checked in ✅ (0.0–1.0): what the progress picture shows.
    pub fn day_shares(
        &self,
        content: &Content,
    ) -> std::collections::BTreeMap<chrono::NaiveDate, f32> {
        self.sessions
            .iter()
            .filter(|s| !matches!(s.status, Status::Skipped | Status::Failed))
            .map(|s| {
                let exercises = content
                    .routine(&s.routine_id)
                    .map_or(0, |r| r.exercises.len());
                let check_ins = self.check_ins_of(s.id);
                let offered: Vec<u32> = s.offered_steps(exercises).collect();
                let count = offered.len().max(1);
                let done = offered
                    .iter()
                    .filter(|step| {
                        check_ins
                            .get(step)
                            .is_some_and(|kinds| kinds.contains(&CheckInKind::Done))
                    })
                    .count();
                (s.local_date, (done as f32 / count as f32).min(1.0))
            })
            .collect()
    }

    /// Each exercise of `routine` over the 8 weeks up to `today`: the days
    /// it was asked for, done, and reported painful (with the score).
    pub fn trends(&self, routine: &Routine, today: chrono::NaiveDate) -> crate::trends::Trends {
        use crate::trends::{Day, Exercise, Trends};
        let first = Trends::first_day(today);
        let shown: Vec<&Session> = self
            .sessions
            .iter()
            .filter(|s| s.routine_id == routine.id && s.was_delivered())
            .filter(|s| (first..=today).contains(&s.local_date))
            .collect();
        let exercises = (1..)
            .zip(&routine.exercises)
            .map(|(step, exercise): (u32, _)| {
                let days = shown
                    .iter()
                    .map(|s| {
                        let kinds = self.check_ins_of(s.id).get(&step);
                        let has = |kind| kinds.is_some_and(|k| k.contains(&kind));
                        let score = self.pain_scores.get(&s.id).and_then(|p| p.get(&step));
                        Day {
                            date: s.local_date,
                            load: s
                                .loads
                                .get(step as usize - 1)
                                .copied()
                                .unwrap_or(exercise.reps.min),
                            done: has(CheckInKind::Done),
                            pain: has(CheckInKind::Pain).then(|| score.copied()),
                        }
                    })
                    .collect();
                Exercise {
                    title: exercise.title.clone(),
                    days,
                }
            })
            .collect();
        Trends { today, exercises }
    }

    /// The load for a session on `date`, from the sessions before it.
    pub fn loads_before(&self, routine: &Routine, date: chrono::NaiveDate) -> Vec<u32> {
        coaching::loads(
            routine,
            self.sessions
                .iter()
                .filter(|s| s.local_date < date && s.routine_id == routine.id)
                .map(|s| (s, self.check_ins_of(s.id))),
        )
    }
}

/// The occurrences of `schedule` from `next_at` up to `now`, and the first
/// one after. After a long outage only the last few days are returned.
pub(super) fn due_occurrences(
    schedule: &Schedule,
    mut next_at: DateTime<Utc>,
    grace: Duration,
    now: DateTime<Utc>,
) -> (Vec<Occurrence>, DateTime<Utc>) {
    if now - next_at > Duration::days(CATCH_UP_LIMIT_DAYS) {
        let resume_from = now - grace - Duration::days(1);
        next_at = schedule.next_after(resume_from).map_or(now, |o| o.at);
    }
    let mut due: Vec<Occurrence> = Vec::new();
    while next_at <= now {
        due.push(Occurrence {
            local_date: schedule.local(next_at).date_naive(),
            at: next_at,
        });
        match schedule.next_after(next_at) {
            Some(occurrence) => next_at = occurrence.at,
            None => break,
        }
    }
    (due, next_at)
}

/// Only the latest due occurrence may start, and only within the grace
/// window: no flood after an outage.
pub(super) fn may_start(
    index: usize,
    count: usize,
    occurrence: &Occurrence,
    grace: Duration,
    now: DateTime<Utc>,
) -> bool {
    index + 1 == count && now - occurrence.at <= grace.max(MIN_GRACE)
}

/// Starts, skips or records as missed every occurrence of this subscription
/// up to `now`, then moves it to its next occurrence.
pub fn start_due(
    c: &Connection,
    rules: &SessionRules<'_>,
    subscription: &Subscription,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(next_at) = subscription.next_run_at else {
        return Ok(());
    };
    let user = users::get(c, subscription.user_id)?;
    let (due, next_at) = due_occurrences(&subscription.schedule, next_at, rules.grace, now);
    let mut state = subscription.state;
    for (i, occurrence) in due.iter().enumerate() {
        if !user.agreed {
            continue; // Scheduling waits for the disclaimer; nothing to record.
        }
        if state == State::Paused {
            match subscription.paused_until {
                Some(until) if occurrence.local_date >= until => {
                    state = State::Active;
                    subscriptions::set_state(
                        c,
                        subscription.id,
                        State::Active,
                        None,
                        None,
                        Some(next_at),
                        now,
                    )?;
                }
                _ => continue,
            }
        }
        let status = if subscription.skip_date == Some(occurrence.local_date) {
            Status::Skipped
        } else if may_start(i, due.len(), occurrence, rules.grace, now) {
            Status::Running
        } else {
            Status::Missed
        };
        record_occurrence(c, rules, subscription, &user, occurrence, status, now)?;
    }
    subscriptions::set_next_run(
        c,
        subscription.id,
        Some(next_at).filter(|_| state != State::Stopped),
    )?;
    Ok(())
}

fn record_occurrence(
    c: &Connection,
    rules: &SessionRules<'_>,
    subscription: &Subscription,
    user: &User,
    occurrence: &Occurrence,
    status: Status,
    now: DateTime<Utc>,
) -> Result<()> {
    let routine = routine(rules.content, &subscription.routine_id)?;
    let (mut loads, mut resting) = (Vec::new(), BTreeMap::new());
    if status == Status::Running {
        let history = History::load(c, Owner::Subscription(subscription.id), user.id)?;
        loads = history.loads_before(routine, occurrence.local_date);
        resting = history.resting_on(rules.content.pain_rules(), routine, occurrence.local_date);
        for step in resting.keys() {
            if let Some(load) = loads.get_mut(*step as usize - 1) {
                *load = 0; // Left out today.
            }
        }
    }
    let new = NewSession {
        owner: Owner::Subscription(subscription.id),
        routine_id: &routine.id,
        local_date: occurrence.local_date,
        scheduled_at: occurrence.at,
        started_at: (status == Status::Running).then_some(now),
        status,
        loads: &loads,
    };
    let Some(session_id) = sessions::insert(c, &new)? else {
        return Ok(()); // That local date already has its session.
    };
    if status == Status::Missed {
        sessions::set_missed_because(c, session_id, MissedBecause::Offline)?;
    }
    if status != Status::Running {
        tracing::info!(subscription = subscription.id, date = %occurrence.local_date, status = status.as_str(), "session not started");
        return Ok(());
    }
    let late_by = Some(now - occurrence.at).filter(|late| late.num_seconds() > LATE_NOTICE_AFTER);
    // Told once, in the first message after: which days were lost, and why.
    let missed = sessions::take_untold_missed(c, subscription.id, session_id)?;
    let opening = render::opening(
        routine,
        occurrence.local_date,
        &loads,
        &resting,
        subscription.pace_minutes,
        late_by,
        &missed,
    );
    // A day the member moved with `later` starts when they asked.
    let first_at = match subscription.later {
        Some((date, at)) if date == occurrence.local_date => at.max(now),
        _ => now,
    };
    begin(
        c,
        rules.content,
        session_id,
        &Audience::member(user),
        opening,
        subscription.pace_minutes,
        first_at,
    )?;
    tracing::info!(subscription = subscription.id, date = %occurrence.local_date, "session started");
    Ok(())
}

/// Starts a session just recorded: ends its owner's previous one (late
/// check-ins stop there), then writes the first exercise with the opening
/// as its header: one message, not two, to start the day, due `first_at`.
pub(super) fn begin(
    c: &Connection,
    content: &Content,
    session_id: i64,
    to: &Audience,
    opening: crate::message::Message,
    pace_minutes: u32,
    first_at: DateTime<Utc>,
) -> Result<()> {
    let session = sessions::get(c, session_id)?;
    sessions::stop_running_except(c, session.owner()?, session_id, Status::Finished)?;
    let count = routine(content, &session.routine_id)?.exercises.len();
    let Some(step) = session.next_step(0, count) else {
        // Every exercise rests after pain: the opening says so, and that is the day.
        enqueue(
            c,
            &session,
            to,
            Kind::Opening,
            None,
            priority::OPENING,
            opening,
            Vec::new(),
            first_at,
        )?;
        return sessions::set_progress(c, session.id, 0, None, Status::Finished);
    };
    let first = exercise_message(content, &session, step)?;
    enqueue(
        c,
        &session,
        to,
        Kind::Exercise,
        Some(step),
        priority::OPENING,
        render::first_exercise(opening, first),
        CheckInKind::reaction_set(),
        first_at,
    )?;
    let next_step_at = first_at + Duration::minutes(pace_minutes.into());
    sessions::set_progress(c, session.id, step, Some(next_step_at), Status::Running)
}

/// `later` on a session already started: its first message comes again at
/// `at` (or, not sent yet, simply waits until then), and the pace counts
/// from there. Only while nothing has been checked in and exercise 1 is
/// still the current one.
pub fn move_started(
    c: &Connection,
    session: &Session,
    pace_minutes: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    let step = session.first_step();
    let key = format!("{}/ex{step}", session_key(session));
    let first = deliveries::find_by_key(c, &key)?.ok_or_else(|| {
        StoreError::Corrupt(format!("session {} has no first message", session.id))
    })?;
    if first.platform_message_id.is_none() {
        deliveries::postpone(c, first.id, at)?;
    } else {
        deliveries::enqueue(
            c,
            &NewDelivery {
                key: format!("{key}/later"),
                platform: first.platform.clone(),
                recipient: first.recipient.clone(),
                session_id: Some(session.id),
                kind: Kind::Exercise,
                step: Some(step),
                priority: priority::OPENING,
                message: first.message.clone(),
                reactions: first.reactions.clone(),
                due_at: at,
            },
        )?;
    }
    let next_step_at = at + Duration::minutes(pace_minutes.into());
    sessions::set_progress(c, session.id, step, Some(next_step_at), Status::Running)
}

/// Where a session's messages go: a member's DM or a group's channel.
pub(super) struct Audience {
    pub platform: String,
    pub recipient: Recipient,
}

impl Audience {
    pub fn member(user: &User) -> Audience {
        Audience {
            platform: user.platform.clone(),
            recipient: Recipient::Member(user.id),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn enqueue(
    c: &Connection,
    session: &Session,
    to: &Audience,
    kind: Kind,
    step: Option<u32>,
    priority: i64,
    message: crate::message::Message,
    reactions: Vec<String>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let suffix = match (kind, step, &to.recipient) {
        (Kind::Exercise, Some(step), _) => format!("ex{step}"),
        // In a group, each member who reports pain gets their own advice.
        (Kind::Advice, Some(step), Recipient::Member(user)) if session.group_id.is_some() => {
            format!("advice{step}/user{user}")
        }
        (Kind::Advice, Some(step), _) => format!("advice{step}"),
        (Kind::Nudge, Some(part), _) => format!("nudge{part}"),
        (kind, _, _) => kind.as_str().to_string(),
    };
    deliveries::enqueue(
        c,
        &NewDelivery {
            key: format!("{}/{suffix}", session_key(session)),
            platform: to.platform.clone(),
            recipient: to.recipient.clone(),
            session_id: Some(session.id),
            kind,
            step,
            priority,
            message,
            reactions,
            due_at: now,
        },
    )
}

/// Exercise `step` of `session` at the session's load.
fn exercise_message(
    content: &Content,
    session: &Session,
    step: u32,
) -> Result<crate::message::Message> {
    let routine = routine(content, &session.routine_id)?;
    let index = step as usize - 1;
    let exercise = routine.exercises.get(index).ok_or_else(|| {
        StoreError::Corrupt(format!("session {} has no exercise {step}", session.id))
    })?;
    let reps = session
        .loads
        .get(index)
        .copied()
        .unwrap_or(exercise.reps.min);
    Ok(render::exercise(routine, step as usize, exercise, reps))
}

/// Writes exercise `step` (after the first) and starts its pace.
pub(super) fn post_exercise(
    c: &Connection,
    content: &Content,
    session: &Session,
    to: &Audience,
    step: u32,
    pace_minutes: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = exercise_message(content, session, step)?;
    enqueue(
        c,
        session,
        to,
        Kind::Exercise,
        Some(step),
        priority::LATER,
        message,
        CheckInKind::reaction_set(),
        now,
    )?;
    let next_step_at = now + Duration::minutes(pace_minutes.into());
    sessions::set_progress(c, session.id, step, Some(next_step_at), Status::Running)
}

/// Moves a running session on: the next exercise, or the closing message.
pub fn advance(
    c: &Connection,
    content: &Content,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<()> {
    if session.status != Status::Running {
        return Ok(());
    }
    let subscription_id = match session.owner()? {
        Owner::Subscription(id) => id,
        Owner::Group(group_id) => {
            return super::groups::advance(c, content, session, group_id, now);
        }
    };
    let subscription = subscriptions::get(c, subscription_id)?;
    let user = users::get(c, subscription.user_id)?;
    let routine = routine(content, &session.routine_id)?;
    if let Some(step) = session.next_step(session.current_step, routine.exercises.len()) {
        post_exercise(
            c,
            content,
            session,
            &Audience::member(&user),
            step,
            subscription.pace_minutes,
            now,
        )
    } else {
        close(c, content, session, &user, false, now)
    }
}

/// Ends a member's session with its closing message (tally and streak).
pub fn close(
    c: &Connection,
    content: &Content,
    session: &Session,
    user: &User,
    stopped_for_pain: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sessions::set_progress(c, session.id, session.current_step, None, Status::Finished)?;
    let Some(subscription_id) = session.subscription_id else {
        return Ok(());
    };
    let history = History::load(c, Owner::Subscription(subscription_id), user.id)?;
    let tally = coaching::tally(
        session,
        history.check_ins_of(session.id),
        session.current_step,
    );
    let message = render::closing(tally, history.streak(content), stopped_for_pain);
    enqueue(
        c,
        session,
        &Audience::member(user),
        Kind::Closing,
        None,
        priority::LATER,
        message,
        Vec::new(),
        now,
    )?;
    Ok(())
}

/// Writes the stop-and-consult advice after a 🤕 (once per exercise and day).
pub fn advise_on_pain(
    c: &Connection,
    content: &Content,
    session: &Session,
    user: &User,
    step: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let routine = routine(content, &session.routine_id)?;
    let Some(exercise) = routine.exercises.get(step as usize - 1) else {
        return Ok(());
    };
    let back_on = back_on_after(c, content, session, user, step)?;
    let message = render::pain_advice(content, exercise, back_on);
    enqueue(
        c,
        session,
        &Audience::member(user),
        Kind::Advice,
        Some(step),
        priority::URGENT,
        message,
        Vec::new(),
        now,
    )?;
    Ok(())
}

/// When exercise `step` comes back, if the member's pain reports so far
/// make it rest from the day after `session` (only in their own sessions:
/// a group keeps its routine).
pub fn back_on_after(
    c: &Connection,
    content: &Content,
    session: &Session,
    user: &User,
    step: u32,
) -> Result<Option<chrono::NaiveDate>> {
    let Some(subscription_id) = session.subscription_id else {
        return Ok(None);
    };
    let routine = routine(content, &session.routine_id)?;
    let history = History::load(c, Owner::Subscription(subscription_id), user.id)?;
    let next_day = session.local_date + chrono::Days::new(1);
    Ok(history
        .resting_on(content.pain_rules(), routine, next_day)
        .get(&step)
        .map(|last_day| *last_day + chrono::Days::new(1)))
}

/// Writes the disclaimer to a member's DM, with ✅ to agree.
pub fn send_disclaimer(
    c: &Connection,
    content: &Content,
    user: &User,
    now: DateTime<Utc>,
) -> Result<()> {
    let key = format!("user{}/disclaimer", user.id);
    let written = deliveries::enqueue(
        c,
        &NewDelivery {
            key: key.clone(),
            platform: user.platform.clone(),
            recipient: Recipient::Member(user.id),
            session_id: None,
            kind: Kind::Disclaimer,
            step: None,
            priority: priority::URGENT,
            message: render::disclaimer(content),
            reactions: vec![CheckInKind::Done.emoji().to_string()],
            due_at: now,
        },
    )?;
    if !written {
        // Sent before; if that failed (DMs were closed), try again now.
        deliveries::retry_failed(c, &key, now)?;
    }
    Ok(())
}
