//! Sessions: one local day's run of a routine, and where it stands.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::sql::{Conn, ConnExt, Row, args, claim_rows, in_key_list};
use super::{Result, StoreError, from_db_time, subscriptions::parse_date, to_db_time};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exercises are being posted.
    Running,
    /// Every step was posted (check-ins may still arrive late).
    Finished,
    /// Its time passed while the bot was down for longer than the grace window.
    Missed,
    /// The member skipped the day, or it fell in a pause.
    Skipped,
    /// The member could not be messaged.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Missed => "missed",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        [
            Status::Running,
            Status::Finished,
            Status::Missed,
            Status::Skipped,
            Status::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub subscription_id: Option<i64>,
    pub group_id: Option<i64>,
    pub routine_id: String,
    pub local_date: NaiveDate,
    pub scheduled_at: DateTime<Utc>,
    pub status: Status,
    /// The exercise last posted, 1-based; 0 before the first.
    pub current_step: u32,
    pub next_step_at: Option<DateTime<Utc>>,
    /// Repetitions per exercise for this session, fixed when it started.
    pub loads: Vec<u32>,
}

const COLUMNS: &str = "id, subscription_id, group_id, routine_id, local_date, scheduled_at, \
                       status, current_step, next_step_at, loads";

type RawRow = (
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    i64,
    String,
    i64,
    Option<i64>,
    String,
);

fn raw(row: &dyn Row) -> Result<RawRow> {
    Ok((
        row.int(0)?,
        row.opt_int(1)?,
        row.opt_int(2)?,
        row.text(3)?,
        row.text(4)?,
        row.int(5)?,
        row.text(6)?,
        row.int(7)?,
        row.opt_int(8)?,
        row.text(9)?,
    ))
}

fn decode(raw: RawRow) -> Result<Session> {
    let (id, subscription_id, group_id, routine_id, date, scheduled, status, step, next, loads) =
        raw;
    Ok(Session {
        id,
        subscription_id,
        group_id,
        routine_id,
        local_date: parse_date(&date)?,
        scheduled_at: from_db_time(scheduled)?,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status `{status}`")))?,
        current_step: u32::try_from(step)
            .map_err(|_| StoreError::Corrupt(format!("session {id} step {step}")))?,
        next_step_at: next.map(from_db_time).transpose()?,
        loads: serde_json::from_str(&loads)
            .map_err(|e| StoreError::Corrupt(format!("session {id} loads: {e}")))?,
    })
}

/// Whose session it is: a member's subscription or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Subscription(i64),
    Group(i64),
}

impl Owner {
    fn column(self) -> &'static str {
        match self {
            Owner::Subscription(_) => "subscription_id",
            Owner::Group(_) => "group_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::Subscription(id) | Owner::Group(id) => id,
        }
    }
}

/// Whether a session at `loads` offers exercise `step`: a load of 0 marks
/// one left out, resting after pain.
fn offers(loads: &[u32], step: u32) -> bool {
    step >= 1 && loads.get(step as usize - 1) != Some(&0)
}

/// The first exercise after `after`, of `count`, a session at `loads` offers.
pub fn next_offered(loads: &[u32], after: u32, count: usize) -> Option<u32> {
    (after + 1..=count as u32).find(|step| offers(loads, *step))
}

impl Session {
    /// Whether its exercises went out (it ran, or is running).
    pub fn was_delivered(&self) -> bool {
        matches!(self.status, Status::Running | Status::Finished)
    }

    /// Whether exercise `step` is part of this session: a load of 0 marks
    /// one left out, resting after pain.
    pub fn offers(&self, step: u32) -> bool {
        offers(&self.loads, step)
    }

    /// The first exercise after `after` this session offers, of `count`.
    pub fn next_step(&self, after: u32, count: usize) -> Option<u32> {
        next_offered(&self.loads, after, count)
    }

    /// The exercise a session starts with: the first one not resting.
    pub fn first_step(&self) -> u32 {
        self.next_step(0, self.loads.len().max(1)).unwrap_or(1)
    }

    /// The steps this session offers, of `count`.
    pub fn offered_steps(&self, count: usize) -> impl Iterator<Item = u32> + '_ {
        (1..=count as u32).filter(|step| self.offers(*step))
    }

    pub fn owner(&self) -> Result<Owner> {
        match (self.subscription_id, self.group_id) {
            (Some(id), None) => Ok(Owner::Subscription(id)),
            (None, Some(id)) => Ok(Owner::Group(id)),
            _ => Err(StoreError::Corrupt(format!(
                "session {} has no single owner",
                self.id
            ))),
        }
    }
}

/// A session about to be recorded.
pub struct NewSession<'a> {
    pub owner: Owner,
    pub routine_id: &'a str,
    pub local_date: NaiveDate,
    pub scheduled_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub loads: &'a [u32],
    /// Where it stands from the start (see [`Session::current_step`]).
    pub current_step: u32,
    pub next_step_at: Option<DateTime<Utc>>,
    /// Why, for one recorded as missed.
    pub missed_because: Option<MissedBecause>,
}

/// Records a session and gives it back as stored; `None` if its owner
/// already has one that day.
pub fn insert(c: &dyn Conn, new: &NewSession<'_>) -> Result<Option<Session>> {
    let loads =
        serde_json::to_string(new.loads).map_err(|e| StoreError::Corrupt(format!("loads: {e}")))?;
    let local_date = new.local_date.to_string();
    c.query_opt(
        &format!(
            "INSERT INTO sessions ({}, routine_id, local_date, scheduled_at, started_at,
                                   status, loads, current_step, next_step_at, missed_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT DO NOTHING
             RETURNING {COLUMNS}",
            new.owner.column()
        ),
        args![
            new.owner.id(),
            new.routine_id,
            &local_date,
            to_db_time(new.scheduled_at),
            new.started_at.map(to_db_time),
            new.status.as_str(),
            &loads,
            new.current_step,
            new.next_step_at.map(to_db_time),
            new.missed_because.map(MissedBecause::as_str),
        ],
        raw,
    )?
    .map(decode)
    .transpose()
}

pub fn get(c: &dyn Conn, id: i64) -> Result<Session> {
    let raw = c
        .query_opt(
            &format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"),
            args![id],
            raw,
        )?
        .ok_or_else(|| StoreError::Corrupt(format!("session {id} does not exist")))?;
    decode(raw)
}

/// Records which exercise was posted last and when the pace runs out.
pub fn set_progress(
    c: &dyn Conn,
    id: i64,
    current_step: u32,
    next_step_at: Option<DateTime<Utc>>,
    status: Status,
) -> Result<()> {
    c.execute(
        "UPDATE sessions SET current_step = ?2, next_step_at = ?3, status = ?4 WHERE id = ?1",
        args![
            id,
            current_step,
            next_step_at.map(to_db_time),
            status.as_str(),
        ],
    )?;
    Ok(())
}

/// Running sessions whose pace ran out (uses `sessions_next_step`).
pub fn due_steps(c: &dyn Conn, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
    let rows = c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM sessions
             WHERE next_step_at IS NOT NULL AND next_step_at <= ?1
             ORDER BY next_step_at, id LIMIT ?2{}",
            claim_rows(c.engine(), "sessions")
        ),
        args![to_db_time(now), limit],
        raw,
    )?;
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.0;
        match decode(row) {
            Ok(session) => due.push(session),
            Err(error) => set_aside(c, id, &error)?,
        }
    }
    Ok(due)
}

/// Ends a session that cannot be read or moved on, so it stops coming due
/// and holding up everyone else's.
pub fn set_aside(c: &dyn Conn, id: i64, error: &StoreError) -> Result<()> {
    tracing::error!(session = id, "ending a session that cannot go on: {error}");
    c.execute(
        "UPDATE sessions SET status = 'failed', next_step_at = NULL WHERE id = ?1",
        args![id],
    )?;
    Ok(())
}

pub fn next_step_due_at(c: &dyn Conn) -> Result<Option<DateTime<Utc>>> {
    let at = c.query_opt(
        "SELECT MIN(next_step_at) FROM sessions WHERE next_step_at IS NOT NULL",
        args![],
        |row| row.opt_int(0),
    )?;
    at.flatten().map(from_db_time).transpose()
}

/// Every session of a subscription or group, oldest first.
pub fn for_owner(c: &dyn Conn, owner: Owner) -> Result<Vec<Session>> {
    let rows = c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM sessions WHERE {} = ?1 ORDER BY local_date",
            owner.column()
        ),
        args![owner.id()],
        raw,
    )?;
    rows.into_iter().map(decode).collect()
}

/// Every session of each of several subscriptions, oldest first, in one
/// read (subscriptions without sessions are left out).
pub fn for_subscriptions(c: &dyn Conn, ids: &[i64]) -> Result<HashMap<i64, Vec<Session>>> {
    let rows = c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM sessions WHERE {} ORDER BY local_date",
            in_key_list(c.engine(), "subscription_id", 1)
        ),
        args![ids],
        raw,
    )?;
    let mut out: HashMap<i64, Vec<Session>> = HashMap::new();
    for row in rows {
        let session = decode(row)?;
        if let Some(id) = session.subscription_id {
            out.entry(id).or_default().push(session);
        }
    }
    Ok(out)
}

/// The session of a subscription or group on a local date, if any.
pub fn on_date(c: &dyn Conn, owner: Owner, date: NaiveDate) -> Result<Option<Session>> {
    let date = date.to_string();
    c.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM sessions WHERE {} = ?1 AND local_date = ?2",
            owner.column()
        ),
        args![owner.id(), &date],
        raw,
    )?
    .map(decode)
    .transpose()
}

/// The most recent session that actually started for a subscription or group.
pub fn latest_started(c: &dyn Conn, owner: Owner) -> Result<Option<Session>> {
    c.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM sessions
             WHERE {} = ?1 AND status IN ('running', 'finished')
             ORDER BY local_date DESC LIMIT 1",
            owner.column()
        ),
        args![owner.id()],
        raw,
    )?
    .map(decode)
    .transpose()
}

/// Ends every running session of a subscription or group (it was stopped,
/// paused or turned off).
pub fn stop_running(c: &dyn Conn, owner: Owner, status: Status) -> Result<()> {
    c.execute(
        &format!(
            "UPDATE sessions SET status = ?2, next_step_at = NULL
             WHERE {} = ?1 AND status = 'running'",
            owner.column()
        ),
        args![owner.id(), status.as_str()],
    )?;
    Ok(())
}

/// Why a session never reached its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MissedBecause {
    /// The bot was down at the session's time (past the grace window).
    Offline,
    /// Its first message could not be delivered within the grace window.
    Unreachable,
}

impl MissedBecause {
    fn as_str(self) -> &'static str {
        match self {
            MissedBecause::Offline => "offline",
            MissedBecause::Unreachable => "unreachable",
        }
    }

    fn from_db(text: &str) -> MissedBecause {
        match text {
            "unreachable" => MissedBecause::Unreachable,
            _ => MissedBecause::Offline,
        }
    }
}

/// Sessions whose first message is about to be given up on (created before
/// `cutoff`, never sent) and that nobody checked in on become missed: the
/// day was lost to an outage, not to the member.
pub fn miss_undelivered(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<()> {
    let lost = c.query_all(
        "SELECT session_id FROM deliveries
         WHERE state = 'pending' AND kind = 'exercise' AND step = 1
           AND session_id IS NOT NULL AND created_at < ?1",
        args![to_db_time(cutoff)],
        |row| row.int(0),
    )?;
    for session in lost {
        miss_if_unanswered(c, session, MissedBecause::Unreachable)?;
    }
    Ok(())
}

/// A session whose first message was given up on becomes missed, unless
/// someone checked in on it anyway.
pub fn miss_if_unanswered(c: &dyn Conn, id: i64, why: MissedBecause) -> Result<()> {
    let missed = c.execute(
        "UPDATE sessions SET status = 'missed', missed_reason = ?2, next_step_at = NULL
         WHERE id = ?1 AND status IN ('running', 'finished')
           AND NOT EXISTS (SELECT 1 FROM check_ins WHERE check_ins.session_id = sessions.id)",
        args![id, why.as_str()],
    )?;
    if missed == 1 {
        // What its first message told never arrived: tell it next time.
        c.execute(
            "UPDATE sessions SET missed_told_in = NULL WHERE missed_told_in = ?1",
            args![id],
        )?;
    }
    Ok(())
}

/// The missed days a member is told of: each date and why, oldest first.
pub type MissedDays = Vec<(NaiveDate, MissedBecause)>;

/// Session `new` takes over from its owner's earlier ones: the one still
/// running ends (late check-ins stop there) and, for a member, the missed
/// days not told yet are marked told in `new` and returned, to be told in
/// its opening. One statement, as a session start is many at once.
pub fn supersede(c: &dyn Conn, owner: Owner, new: i64) -> Result<MissedDays> {
    let Owner::Subscription(subscription_id) = owner else {
        stop_running_except(c, owner, new)?;
        return Ok(Vec::new());
    };
    // Every SET reads the row as it was; RETURNING, as it is now.
    let rows = c.query_all(
        "UPDATE sessions
            SET status = CASE WHEN status = 'running' THEN 'finished' ELSE status END,
                next_step_at = CASE WHEN status = 'running' THEN NULL ELSE next_step_at END,
                missed_told_in = CASE WHEN status = 'missed' THEN ?2 ELSE missed_told_in END
          WHERE subscription_id = ?1 AND id != ?2
            AND (status = 'running' OR (status = 'missed' AND missed_told_in IS NULL))
          RETURNING status, local_date, COALESCE(missed_reason, 'offline')",
        args![subscription_id, new],
        |row| Ok((row.text(0)?, row.text(1)?, row.text(2)?)),
    )?;
    let mut missed = rows
        .iter()
        .filter(|(status, _, _)| status == Status::Missed.as_str())
        .map(|(_, date, why)| Ok((parse_date(date)?, MissedBecause::from_db(why))))
        .collect::<Result<MissedDays>>()?;
    missed.sort();
    Ok(missed)
}

/// Finishes every running session of `owner` but `keep`, the new one.
fn stop_running_except(c: &dyn Conn, owner: Owner, keep: i64) -> Result<()> {
    c.execute(
        &format!(
            "UPDATE sessions SET status = 'finished', next_step_at = NULL
             WHERE {} = ?1 AND id != ?2 AND status = 'running'",
            owner.column()
        ),
        args![owner.id(), keep],
    )?;
    Ok(())
}
