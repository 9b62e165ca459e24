//! Daily subscriptions and the indexed "who is due" query.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::sql::{Conn, ConnExt, Engine, Row, args, claim_rows, in_list};
use super::{Result, StoreError, from_db_time, to_db_time};
use crate::schedule::Schedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    Paused,
    Stopped,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Paused => "paused",
            State::Stopped => "stopped",
        }
    }

    fn parse(text: &str) -> Option<State> {
        [State::Active, State::Paused, State::Stopped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub routine_id: String,
    pub schedule: Schedule,
    pub pace_minutes: u32,
    pub state: State,
    pub paused_until: Option<NaiveDate>,
    pub pause_reason: Option<String>,
    pub skip_date: Option<NaiveDate>,
    pub next_run_at: Option<DateTime<Utc>>,
    /// `later`: the day moved, and when its first message is now due.
    pub later: Option<(NaiveDate, DateTime<Utc>)>,
    /// `followup`: its local time, and when the next one is due.
    pub followup: Option<(NaiveTime, DateTime<Utc>)>,
}

const COLUMNS: &str = "id, user_id, routine_id, cron, timezone, pace_minutes, state, \
                       paused_until, pause_reason, skip_date, next_run_at, later_date, later_at, \
                       followup_time, followup_at";

struct Raw {
    id: i64,
    user_id: i64,
    routine_id: String,
    cron: String,
    timezone: String,
    pace_minutes: u32,
    state: String,
    paused_until: Option<String>,
    pause_reason: Option<String>,
    skip_date: Option<String>,
    next_run_at: Option<i64>,
    later_date: Option<String>,
    later_at: Option<i64>,
    followup_time: Option<String>,
    followup_at: Option<i64>,
}

fn raw(row: &dyn Row) -> Result<Raw> {
    let id = row.int(0)?;
    let pace_minutes = row.int(5)?;
    Ok(Raw {
        id,
        user_id: row.int(1)?,
        routine_id: row.text(2)?,
        cron: row.text(3)?,
        timezone: row.text(4)?,
        pace_minutes: u32::try_from(pace_minutes).map_err(|_| {
            StoreError::Corrupt(format!("subscription {id}: pace of {pace_minutes} minutes"))
        })?,
        state: row.text(6)?,
        paused_until: row.opt_text(7)?,
        pause_reason: row.opt_text(8)?,
        skip_date: row.opt_text(9)?,
        next_run_at: row.opt_int(10)?,
        later_date: row.opt_text(11)?,
        later_at: row.opt_int(12)?,
        followup_time: row.opt_text(13)?,
        followup_at: row.opt_int(14)?,
    })
}

pub(crate) fn parse_date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date `{text}`: {e}")))
}

impl TryFrom<Raw> for Subscription {
    type Error = StoreError;

    fn try_from(raw: Raw) -> Result<Subscription> {
        let schedule = Schedule::from_stored(&raw.cron, &raw.timezone)
            .map_err(|e| StoreError::Corrupt(format!("subscription {}: {e}", raw.id)))?;
        Ok(Subscription {
            id: raw.id,
            user_id: raw.user_id,
            routine_id: raw.routine_id,
            schedule,
            pace_minutes: raw.pace_minutes,
            state: State::parse(&raw.state).ok_or_else(|| {
                StoreError::Corrupt(format!("subscription state `{}`", raw.state))
            })?,
            paused_until: raw.paused_until.as_deref().map(parse_date).transpose()?,
            pause_reason: raw.pause_reason,
            skip_date: raw.skip_date.as_deref().map(parse_date).transpose()?,
            next_run_at: raw.next_run_at.map(from_db_time).transpose()?,
            later: match (raw.later_date, raw.later_at) {
                (Some(date), Some(at)) => Some((parse_date(&date)?, from_db_time(at)?)),
                _ => None,
            },
            followup: match (raw.followup_time, raw.followup_at) {
                (Some(time), Some(at)) => Some((
                    NaiveTime::parse_from_str(&time, "%H:%M").map_err(|e| {
                        StoreError::Corrupt(format!("follow-up time `{time}`: {e}"))
                    })?,
                    from_db_time(at)?,
                )),
                _ => None,
            },
        })
    }
}

pub fn for_user(c: &dyn Conn, user_id: i64) -> Result<Option<Subscription>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM subscriptions WHERE user_id = ?1"),
        args![user_id],
        raw,
    )?
    .map(Subscription::try_from)
    .transpose()
}

pub fn get(c: &dyn Conn, id: i64) -> Result<Subscription> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM subscriptions WHERE id = ?1"),
        args![id],
        raw,
    )?
    .ok_or_else(|| StoreError::Corrupt(format!("there is no subscription {id}")))?
    .try_into()
}

/// Creates or replaces the member's subscription; it starts active, with any
/// pause or skip cleared. `next_run_at` is set by the caller.
pub fn upsert(
    c: &dyn Conn,
    user_id: i64,
    routine_id: &str,
    schedule: &Schedule,
    pace_minutes: u32,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Subscription> {
    let row = c.query_opt(
        &format!(
            "INSERT INTO subscriptions (user_id, routine_id, cron, timezone, pace_minutes, state,
                                        next_run_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?7)
             ON CONFLICT (user_id) DO UPDATE SET
                 routine_id = excluded.routine_id, cron = excluded.cron,
                 timezone = excluded.timezone, pace_minutes = excluded.pace_minutes,
                 state = 'active', paused_until = NULL, pause_reason = NULL, skip_date = NULL,
                 next_run_at = excluded.next_run_at, updated_at = excluded.updated_at
             RETURNING {COLUMNS}"
        ),
        args![
            user_id,
            routine_id,
            schedule.cron_expression(),
            schedule.zone().name(),
            pace_minutes,
            next_run_at.map(to_db_time),
            to_db_time(now),
        ],
        raw,
    )?;
    row.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "the subscription of member {user_id} was not stored"
        ))
    })?
    .try_into()
}

/// Sets state, pause details and the next run in one statement.
pub fn set_state(
    c: &dyn Conn,
    id: i64,
    state: State,
    paused_until: Option<NaiveDate>,
    pause_reason: Option<&str>,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let paused_until = paused_until.map(|d| d.to_string());
    c.execute(
        "UPDATE subscriptions
         SET state = ?2, paused_until = ?3, pause_reason = ?4, next_run_at = ?5, updated_at = ?6
         WHERE id = ?1",
        args![
            id,
            state.as_str(),
            paused_until.as_ref(),
            pause_reason,
            next_run_at.map(to_db_time),
            to_db_time(now),
        ],
    )?;
    Ok(())
}

pub fn set_next_run(c: &dyn Conn, id: i64, next_run_at: Option<DateTime<Utc>>) -> Result<()> {
    c.execute(
        "UPDATE subscriptions SET next_run_at = ?2 WHERE id = ?1",
        args![id, next_run_at.map(to_db_time)],
    )?;
    Ok(())
}

/// Turns the follow-up on (at local `time`, next due `at`) or off.
pub fn set_followup(
    c: &dyn Conn,
    id: i64,
    followup: Option<(NaiveTime, DateTime<Utc>)>,
) -> Result<()> {
    let time = followup.map(|(time, _)| time.format("%H:%M").to_string());
    c.execute(
        "UPDATE subscriptions SET followup_time = ?2, followup_at = ?3 WHERE id = ?1",
        args![id, time.as_ref(), followup.map(|(_, at)| to_db_time(at))],
    )?;
    Ok(())
}

pub(super) fn followups_due_sql(engine: Engine) -> String {
    format!(
        "SELECT {COLUMNS} FROM subscriptions
         WHERE followup_at IS NOT NULL AND followup_at <= ?1 AND {}
         ORDER BY followup_at, id LIMIT ?2{}",
        on_running_platform(engine, 3),
        claim_rows(engine, "subscriptions")
    )
}

/// Subscriptions whose follow-up is due, on running platforms.
pub fn followups_due(
    c: &dyn Conn,
    now: DateTime<Utc>,
    platforms: &[String],
    limit: u32,
) -> Result<Vec<Subscription>> {
    let rows = due_rows(c, &followups_due_sql(c.engine()), now, platforms, limit)?;
    readable(rows, |id, error| {
        // Unreadable: no follow-ups rather than a stuck queue.
        tracing::error!(
            subscription = id,
            "turning off a follow-up that cannot be read: {error}"
        );
        c.execute(
            "UPDATE subscriptions SET followup_time = NULL, followup_at = NULL WHERE id = ?1",
            args![id],
        )?;
        Ok(())
    })
}

/// The raw rows of a due query (`?1` now, `?2` limit, `?3` platforms).
fn due_rows(
    c: &dyn Conn,
    sql: &str,
    now: DateTime<Utc>,
    platforms: &[String],
    limit: u32,
) -> Result<Vec<Raw>> {
    c.query_all(sql, args![to_db_time(now), limit, platforms], raw)
}

/// Decodes due rows; one that no longer reads goes to `unreadable`, so it
/// cannot hold up everyone else's.
fn readable(
    rows: Vec<Raw>,
    mut unreadable: impl FnMut(i64, &StoreError) -> Result<()>,
) -> Result<Vec<Subscription>> {
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id;
        match Subscription::try_from(row) {
            Ok(subscription) => due.push(subscription),
            Err(error) => unreadable(id, &error)?,
        }
    }
    Ok(due)
}

pub(super) fn next_followup_sql(engine: Engine) -> String {
    format!(
        "SELECT followup_at FROM subscriptions
         WHERE followup_at IS NOT NULL AND {}
         ORDER BY followup_at LIMIT 1",
        on_running_platform(engine, 1)
    )
}

/// The earliest follow-up of members on running platforms.
pub fn next_followup_at(c: &dyn Conn, platforms: &[String]) -> Result<Option<DateTime<Utc>>> {
    let at = c.query_opt(&next_followup_sql(c.engine()), args![platforms], |row| {
        row.int(0)
    })?;
    at.map(from_db_time).transpose()
}

/// Records that the session of local `date` was moved to `at`.
pub fn set_later(c: &dyn Conn, id: i64, date: NaiveDate, at: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE subscriptions SET later_date = ?2, later_at = ?3 WHERE id = ?1",
        args![id, &date.to_string(), to_db_time(at)],
    )?;
    Ok(())
}

pub fn set_skip_date(c: &dyn Conn, id: i64, date: Option<NaiveDate>) -> Result<()> {
    let date = date.map(|d| d.to_string());
    c.execute(
        "UPDATE subscriptions SET skip_date = ?2 WHERE id = ?1",
        args![id, date.as_ref()],
    )?;
    Ok(())
}

/// Subscriptions of members on running platforms whose next session instant
/// has come. SQLite walks the `subscriptions_due` index in time order and
/// looks each row's member up by primary key (a correlated EXISTS), so the
/// cost follows the due rows, not the number of members.
pub fn due(
    c: &dyn Conn,
    now: DateTime<Utc>,
    platforms: &[String],
    limit: u32,
) -> Result<Vec<Subscription>> {
    let rows = due_rows(c, &due_sql(c.engine()), now, platforms, limit)?;
    readable(rows, |id, error| {
        set_aside(c, id, error, now)?;
        make_readable(c, id)
    })
}

/// Pauses a subscription that cannot be read or started (a stored zone a
/// library upgrade no longer knows, a routine gone from the content), so it
/// stops coming due and stopping everyone else's sessions. The member sees
/// the reason at their next command.
pub fn set_aside(c: &dyn Conn, id: i64, error: &StoreError, now: DateTime<Utc>) -> Result<()> {
    tracing::error!(
        subscription = id,
        "pausing a subscription that cannot be started: {error}"
    );
    c.execute(
        "UPDATE subscriptions
         SET state = 'paused', next_run_at = NULL, pause_reason = ?2, updated_at = ?3
         WHERE id = ?1",
        args![id, UNREADABLE, to_db_time(now)],
    )?;
    Ok(())
}

/// Replaces a stored schedule that no longer reads with a placeholder, so
/// the member's commands work again while the subscription waits, paused,
/// for them to subscribe anew.
fn make_readable(c: &dyn Conn, id: i64) -> Result<()> {
    let placeholder = Schedule::new(
        chrono::NaiveTime::MIN,
        crate::schedule::Weekdays::DAILY,
        chrono_tz::UTC,
    );
    c.execute(
        "UPDATE subscriptions
         SET cron = ?2, timezone = ?3, paused_until = NULL, skip_date = NULL
         WHERE id = ?1",
        args![id, placeholder.cron_expression(), placeholder.zone().name()],
    )?;
    Ok(())
}

/// What a member whose subscription was set aside is told.
const UNREADABLE: &str = "your saved schedule could not be read after an update. \
                          Send `subscribe` with your time again to set it anew";

pub(super) fn due_sql(engine: Engine) -> String {
    format!(
        "SELECT {COLUMNS} FROM subscriptions
         WHERE next_run_at IS NOT NULL AND next_run_at <= ?1 AND {}
         ORDER BY next_run_at, id LIMIT ?2{}",
        on_running_platform(engine, 3),
        claim_rows(engine, "subscriptions")
    )
}

/// The subscription's member is on a running platform, the list parameter
/// `?param` (`?3` in `due`, `?1` in `next_due`): one primary-key lookup per
/// row visited.
fn on_running_platform(engine: Engine, param: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM users
      WHERE users.id = subscriptions.user_id AND {})",
        in_list(engine, "users.platform", param)
    )
}

pub(super) fn next_due_sql(engine: Engine) -> String {
    format!(
        "SELECT next_run_at FROM subscriptions
         WHERE next_run_at IS NOT NULL AND {}
         ORDER BY next_run_at LIMIT 1",
        on_running_platform(engine, 1)
    )
}

/// The earliest scheduled session instant of members on running platforms.
pub fn next_due_at(c: &dyn Conn, platforms: &[String]) -> Result<Option<DateTime<Utc>>> {
    // ORDER BY + LIMIT walks the `subscriptions_due` index and stops at the first match.
    let at = c.query_opt(&next_due_sql(c.engine()), args![platforms], |row| {
        row.int(0)
    })?;
    at.map(from_db_time).transpose()
}

/// Moves a subscription to a new schedule (a new time zone).
pub fn set_schedule(
    c: &dyn Conn,
    id: i64,
    schedule: &Schedule,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<()> {
    c.execute(
        "UPDATE subscriptions SET cron = ?2, timezone = ?3, next_run_at = ?4 WHERE id = ?1",
        args![
            id,
            schedule.cron_expression(),
            schedule.zone().name(),
            next_run_at.map(to_db_time),
        ],
    )?;
    Ok(())
}
