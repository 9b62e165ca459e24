//! Where a session is scheduled, started, paced and closed. Every function
//! here runs inside one database transaction and only *writes* messages to the
//! outbox; sending is the outbox's job.

use std::collections::BTreeMap;

use crate::store::sql::Conn;
use chrono::{DateTime, Duration, Utc};

use super::history::DueMembers;
use super::outgoing::{Audience, SessionMessage, enqueue, session_key};
use super::render;
use crate::check_in::CheckInKind;
use crate::coaching::{self, History};
use crate::content::{Content, Routine};
use crate::i18n::Language;
use crate::schedule::{Occurrence, Schedule};
use crate::store::deliveries::{self, Kind, NewDelivery, priority};
use crate::store::groups as store_groups;
use crate::store::sessions::{self, MissedBecause, MissedDays, NewSession, Owner, Session, Status};
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

/// `routine` with its words in `lang`, to show; its ids and numbers are
/// the same in every language.
pub(super) fn in_language<'a>(
    content: &'a Content,
    lang: Language,
    routine: &'a Routine,
) -> &'a Routine {
    content.routine_in(lang, &routine.id).unwrap_or(routine)
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

/// How the `index`-th of `count` due occurrences is recorded: skipped when
/// its owner rests that day; else only the latest may start, and only
/// within the grace window (no flood after an outage); the rest are missed.
pub(super) fn status_of(
    rests: bool,
    index: usize,
    count: usize,
    occurrence: &Occurrence,
    grace: Duration,
    now: DateTime<Utc>,
) -> Status {
    if rests {
        Status::Skipped
    } else if index + 1 == count && now - occurrence.at <= grace.max(MIN_GRACE) {
        Status::Running
    } else {
        Status::Missed
    }
}

/// Starts, skips or records as missed every occurrence of this subscription
/// up to `now`, then moves it to its next occurrence.
/// `batch` is what was read for it with the rest of its batch; it stays
/// true until something is recorded for it here.
pub fn start_due(
    c: &dyn Conn,
    rules: &SessionRules<'_>,
    subscription: &Subscription,
    batch: &DueMembers,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(next_at) = subscription.next_run_at else {
        return Ok(());
    };
    let user = batch.user(subscription)?;
    let (due, next_at) = due_occurrences(&subscription.schedule, next_at, rules.grace, now);
    let mut state = subscription.state;
    let mut as_read = Some(batch);
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
        let skipped = subscription.skip_date == Some(occurrence.local_date);
        let status = status_of(skipped, i, due.len(), occurrence, rules.grace, now);
        record_occurrence(
            c,
            rules,
            subscription,
            user,
            as_read,
            occurrence,
            status,
            now,
        )?;
        as_read = None;
    }
    subscriptions::set_next_run(
        c,
        subscription.id,
        Some(next_at).filter(|_| state != State::Stopped),
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one occurrence's every fact, named
fn record_occurrence(
    c: &dyn Conn,
    rules: &SessionRules<'_>,
    subscription: &Subscription,
    user: &User,
    as_read: Option<&DueMembers>,
    occurrence: &Occurrence,
    status: Status,
    now: DateTime<Utc>,
) -> Result<()> {
    let routine = routine(rules.content, &subscription.routine_id)?;
    let (mut loads, mut resting) = (Vec::new(), BTreeMap::new());
    if status == Status::Running {
        let history = match as_read {
            Some(batch) => batch.history(subscription),
            None => History::load(c, Owner::Subscription(subscription.id), user.id)?,
        };
        loads = history.loads_before(routine, occurrence.local_date);
        resting = history.resting_on(rules.content.pain_rules(), routine, occurrence.local_date);
        for step in resting.keys() {
            if let Some(load) = loads.get_mut(*step as usize - 1) {
                *load = 0; // Left out today.
            }
        }
    }
    // A day the member moved with `later` starts when they asked.
    let first_at = match subscription.later {
        Some((date, at)) if date == occurrence.local_date => at.max(now),
        _ => now,
    };
    let occasion = Occasion {
        owner: Owner::Subscription(subscription.id),
        routine,
        occurrence,
        status,
        loads: &loads,
        to: Audience::member(user),
        pace_minutes: subscription.pace_minutes,
        first_at,
    };
    // Missed days are told once, in the first message after: which, and why.
    record(c, rules.content, occasion, now, |missed| {
        let late_by =
            Some(now - occurrence.at).filter(|late| late.num_seconds() > LATE_NOTICE_AFTER);
        let lang = user.language();
        Ok(render::opening(
            lang,
            in_language(rules.content, lang, routine),
            occurrence.local_date,
            &loads,
            &resting,
            subscription.pace_minutes,
            late_by,
            missed,
        ))
    })
}

/// One occurrence of a member's or a group's schedule, to be recorded.
pub(super) struct Occasion<'a> {
    pub owner: Owner,
    pub routine: &'a Routine,
    pub occurrence: &'a Occurrence,
    pub status: Status,
    /// Repetitions per exercise (0: resting), for a session that starts.
    pub loads: &'a [u32],
    pub to: Audience,
    pub pace_minutes: u32,
    /// When its first message is due, if it starts.
    pub first_at: DateTime<Utc>,
}

/// Records an occurrence — started, skipped or missed — once per owner and
/// local date. One that starts takes over from its owner's earlier
/// sessions and gets its first message: the opening made by `opening`
/// (given the missed days its member is now told of) over the first
/// exercise. The one implementation for members and groups.
pub(super) fn record(
    c: &dyn Conn,
    content: &Content,
    occasion: Occasion<'_>,
    now: DateTime<Utc>,
    opening: impl FnOnce(&MissedDays) -> Result<crate::message::Message>,
) -> Result<()> {
    let Occasion {
        owner,
        routine,
        occurrence,
        status,
        ..
    } = occasion;
    let starts = status == Status::Running;
    let (stored_status, current_step, next_step_at) = if starts {
        first_progress(&occasion, routine.exercises.len())
    } else {
        (status, 0, None)
    };
    let new = NewSession {
        owner,
        routine_id: &routine.id,
        local_date: occurrence.local_date,
        scheduled_at: occurrence.at,
        started_at: starts.then_some(now),
        status: stored_status,
        loads: occasion.loads,
        current_step,
        next_step_at,
        missed_because: (status == Status::Missed).then_some(MissedBecause::Offline),
    };
    let Some(session) = sessions::insert(c, &new)? else {
        return Ok(()); // That local date already has its session.
    };
    if !starts {
        tracing::info!(?owner, date = %occurrence.local_date, status = status.as_str(), "session not started");
        return Ok(());
    }
    let missed = sessions::supersede(c, owner, session.id)?;
    let opening = opening(&missed)?;
    write_first_message(
        c,
        content,
        &session,
        &occasion.to,
        opening,
        occasion.first_at,
    )?;
    tracing::info!(?owner, date = %occurrence.local_date, "session started");
    Ok(())
}

/// Where a session that starts stands once its first message is written:
/// at its first exercise not resting, the pace running from the first
/// message; or, every exercise resting after pain, finished with the
/// opening alone. Stored with the session, not written after it.
fn first_progress(occasion: &Occasion<'_>, count: usize) -> (Status, u32, Option<DateTime<Utc>>) {
    match sessions::next_offered(occasion.loads, 0, count) {
        Some(step) => {
            let pace = Duration::minutes(occasion.pace_minutes.into());
            (Status::Running, step, Some(occasion.first_at + pace))
        }
        None => (Status::Finished, 0, None),
    }
}

/// Writes a new session's first message, due `first_at`: its first
/// exercise with the opening as its header (one message, not two, to
/// start the day), or the opening alone when every exercise rests.
fn write_first_message(
    c: &dyn Conn,
    content: &Content,
    session: &Session,
    to: &Audience,
    opening: crate::message::Message,
    first_at: DateTime<Utc>,
) -> Result<()> {
    let (kind, step, message, reactions) = match session.current_step {
        0 => (Kind::Opening, None, opening, Vec::new()),
        step => {
            let first = exercise_message(content, session, step, to.language)?;
            let message = render::first_exercise(opening, first);
            (
                Kind::Exercise,
                Some(step),
                message,
                CheckInKind::reaction_set(),
            )
        }
    };
    let first = SessionMessage {
        kind,
        step,
        priority: priority::OPENING,
        message,
        reactions,
    };
    enqueue(c, session, to, first, first_at)?;
    Ok(())
}

/// `later` on a session already started: its first message comes again at
/// `at` (or, not sent yet, simply waits until then), and the pace counts
/// from there. Only while nothing has been checked in and exercise 1 is
/// still the current one.
pub fn move_started(
    c: &dyn Conn,
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

/// Exercise `step` of `session` at the session's load, in `lang`.
fn exercise_message(
    content: &Content,
    session: &Session,
    step: u32,
    lang: Language,
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
    let words = in_language(content, lang, routine);
    let shown = words.exercises.get(index).unwrap_or(exercise);
    Ok(render::exercise(lang, words, step as usize, shown, reps))
}

/// Writes exercise `step` (after the first) and starts its pace.
fn post_exercise(
    c: &dyn Conn,
    content: &Content,
    session: &Session,
    to: &Audience,
    step: u32,
    pace_minutes: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = exercise_message(content, session, step, to.language)?;
    enqueue(
        c,
        session,
        to,
        SessionMessage {
            kind: Kind::Exercise,
            step: Some(step),
            priority: priority::LATER,
            message,
            reactions: CheckInKind::reaction_set(),
        },
        now,
    )?;
    let next_step_at = now + Duration::minutes(pace_minutes.into());
    sessions::set_progress(c, session.id, step, Some(next_step_at), Status::Running)
}

/// Moves a running session on: the next exercise, or the closing message.
pub fn advance(
    c: &dyn Conn,
    content: &Content,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<()> {
    if session.status != Status::Running {
        return Ok(());
    }
    let routine = routine(content, &session.routine_id)?;
    let next = session.next_step(session.current_step, routine.exercises.len());
    match session.owner()? {
        Owner::Subscription(id) => {
            let subscription = subscriptions::get(c, id)?;
            let user = users::get(c, subscription.user_id)?;
            let Some(step) = next else {
                return close(c, content, session, &user, false, now);
            };
            let to = Audience::member(&user);
            post_exercise(
                c,
                content,
                session,
                &to,
                step,
                subscription.pace_minutes,
                now,
            )
        }
        // A group's session goes at its pace; its closing points to the summary.
        Owner::Group(id) => {
            let group = store_groups::get(c, id)?;
            let to = Audience::channel(&group);
            let Some(step) = next else {
                sessions::set_progress(
                    c,
                    session.id,
                    session.current_step,
                    None,
                    Status::Finished,
                )?;
                let closing = render::group_closing(
                    group.language,
                    routine.exercises.len(),
                    group.summary_time,
                );
                enqueue(
                    c,
                    session,
                    &to,
                    SessionMessage {
                        kind: Kind::Closing,
                        step: None,
                        priority: priority::LATER,
                        message: closing,
                        reactions: Vec::new(),
                    },
                    now,
                )?;
                return Ok(());
            };
            post_exercise(c, content, session, &to, step, group.pace_minutes, now)
        }
    }
}

/// Ends a member's session with its closing message (tally and streak).
pub fn close(
    c: &dyn Conn,
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
    let message = render::closing(
        user.language(),
        tally,
        history.streak(content),
        stopped_for_pain,
    );
    enqueue(
        c,
        session,
        &Audience::member(user),
        SessionMessage {
            kind: Kind::Closing,
            step: None,
            priority: priority::LATER,
            message,
            reactions: Vec::new(),
        },
        now,
    )?;
    Ok(())
}

/// Writes the stop-and-consult advice after a 🤕 (once per exercise and day).
pub fn advise_on_pain(
    c: &dyn Conn,
    content: &Content,
    session: &Session,
    user: &User,
    step: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let routine = routine(content, &session.routine_id)?;
    let lang = user.language();
    let words = in_language(content, lang, routine);
    let Some(exercise) = words.exercises.get(step as usize - 1) else {
        return Ok(());
    };
    let back_on = back_on_after(c, content, session, user, step)?;
    let message = render::pain_advice(lang, content, exercise, back_on);
    enqueue(
        c,
        session,
        &Audience::member(user),
        SessionMessage {
            kind: Kind::Advice,
            step: Some(step),
            priority: priority::URGENT,
            message,
            reactions: Vec::new(),
        },
        now,
    )?;
    Ok(())
}

/// When exercise `step` comes back, if the member's pain reports so far
/// make it rest from the day after `session` (only in their own sessions:
/// a group keeps its routine).
pub fn back_on_after(
    c: &dyn Conn,
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
