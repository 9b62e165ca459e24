//! Accountability groups (one per channel or room) and who takes part.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{Result, StoreError, from_db_time, platform_list, to_db_time};
use crate::schedule::Schedule;

#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub platform: String,
    pub channel_id: String,
    pub routine_id: String,
    pub schedule: Schedule,
    pub pace_minutes: u32,
    pub summary_time: NaiveTime,
    pub nudges: bool,
    pub active: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    pub next_nudge_at: Option<DateTime<Utc>>,
    pub next_summary_at: Option<DateTime<Utc>>,
}

impl Group {
    /// The summary's own schedule: the group's days and zone, at the summary time.
    pub fn summary_schedule(&self) -> Schedule {
        Schedule::new(
            self.summary_time,
            self.schedule.days(),
            self.schedule.zone(),
        )
    }
}

const COLUMNS: &str = "id, platform, channel_id, routine_id, cron, timezone, pace_minutes, \
                       summary_time, nudges, active, next_run_at, next_nudge_at, next_summary_at";

type RawRow = (
    (i64, String, String, String, String, String, u32),
    (String, bool, bool, Option<i64>, Option<i64>, Option<i64>),
);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        (
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
        ),
        (
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
            row.get(10)?,
            row.get(11)?,
            row.get(12)?,
        ),
    ))
}

fn decode(raw: RawRow) -> Result<Group> {
    let ((id, platform, channel_id, routine_id, cron, zone, pace_minutes), rest) = raw;
    let (summary, nudges, active, next_run, next_nudge, next_summary) = rest;
    let schedule = Schedule::from_stored(&cron, &zone)
        .map_err(|e| StoreError::Corrupt(format!("group {id}: {e}")))?;
    let summary_time = NaiveTime::parse_from_str(&summary, "%H:%M")
        .map_err(|e| StoreError::Corrupt(format!("group {id} summary time `{summary}`: {e}")))?;
    let time = |at: Option<i64>| at.map(from_db_time).transpose();
    Ok(Group {
        id,
        platform,
        channel_id,
        routine_id,
        schedule,
        pace_minutes,
        summary_time,
        nudges,
        active,
        next_run_at: time(next_run)?,
        next_nudge_at: time(next_nudge)?,
        next_summary_at: time(next_summary)?,
    })
}

/// What `group setup` decides.
pub struct Setup<'a> {
    pub platform: &'a str,
    pub channel_id: &'a str,
    pub routine_id: &'a str,
    pub schedule: &'a Schedule,
    pub pace_minutes: u32,
    pub summary_time: NaiveTime,
    pub next_run_at: Option<DateTime<Utc>>,
    pub next_nudge_at: Option<DateTime<Utc>>,
    pub next_summary_at: Option<DateTime<Utc>>,
}

/// Creates the channel's group or sets it up again (history and the nudge
/// choice are kept).
pub fn set_up(c: &Connection, setup: &Setup<'_>, now: DateTime<Utc>) -> Result<Group> {
    c.execute(
        "INSERT INTO groups (platform, channel_id, routine_id, cron, timezone, pace_minutes,
                             summary_time, active, next_run_at, next_nudge_at, next_summary_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11)
         ON CONFLICT (platform, channel_id) DO UPDATE SET
             routine_id = excluded.routine_id, cron = excluded.cron, timezone = excluded.timezone,
             pace_minutes = excluded.pace_minutes, summary_time = excluded.summary_time, active = 1,
             next_run_at = excluded.next_run_at, next_nudge_at = excluded.next_nudge_at,
             next_summary_at = excluded.next_summary_at",
        rusqlite::params![
            setup.platform,
            setup.channel_id,
            setup.routine_id,
            setup.schedule.cron_expression(),
            setup.schedule.zone().name(),
            setup.pace_minutes,
            setup.summary_time.format("%H:%M").to_string(),
            setup.next_run_at.map(to_db_time),
            setup.next_nudge_at.map(to_db_time),
            setup.next_summary_at.map(to_db_time),
            to_db_time(now),
        ],
    )?;
    for_channel(c, setup.platform, setup.channel_id)?
        .ok_or_else(|| StoreError::Corrupt("a group just set up is not there".to_string()))
}

pub fn for_channel(c: &Connection, platform: &str, channel_id: &str) -> Result<Option<Group>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM groups WHERE platform = ?1 AND channel_id = ?2"),
        (platform, channel_id),
        raw,
    )
    .optional()?
    .map(decode)
    .transpose()
}

pub fn get(c: &Connection, id: i64) -> Result<Group> {
    decode(c.query_row(
        &format!("SELECT {COLUMNS} FROM groups WHERE id = ?1"),
        [id],
        raw,
    )?)
}

/// Stops a group: nothing more is scheduled; its history stays.
pub fn turn_off(c: &Connection, id: i64) -> Result<()> {
    c.execute(
        "UPDATE groups SET active = 0, next_run_at = NULL, next_nudge_at = NULL,
                           next_summary_at = NULL WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

pub fn set_nudges(c: &Connection, id: i64, on: bool) -> Result<()> {
    c.execute("UPDATE groups SET nudges = ?2 WHERE id = ?1", (id, on))?;
    Ok(())
}

/// Which of a group's three instants is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Session,
    Nudge,
    Summary,
}

impl Event {
    fn column(self) -> &'static str {
        match self {
            Event::Session => "next_run_at",
            Event::Nudge => "next_nudge_at",
            Event::Summary => "next_summary_at",
        }
    }
}

pub fn set_next(c: &Connection, id: i64, event: Event, at: Option<DateTime<Utc>>) -> Result<()> {
    c.execute(
        &format!("UPDATE groups SET {} = ?2 WHERE id = ?1", event.column()),
        (id, at.map(to_db_time)),
    )?;
    Ok(())
}

/// Groups on running platforms with `event` due by `now` (each query walks
/// that event's partial index).
///
/// Decoded row by row: a group that no longer reads is set aside (see
/// [`set_aside`]) and its id returned beside the others, so one damaged
/// row cannot stop every group's work.
pub fn due(
    c: &Connection,
    event: Event,
    now: DateTime<Utc>,
    platforms: &[String],
) -> Result<(Vec<Group>, Vec<i64>)> {
    let rows = c
        .prepare_cached(&due_sql(event))?
        .query_map((to_db_time(now), platform_list(platforms)), raw)?
        .collect::<rusqlite::Result<Vec<RawRow>>>()?;
    let (mut due, mut set_aside_ids) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        let (id, routine_id) = (row.0.0, row.0.3.clone());
        match decode(row) {
            Ok(group) => due.push(group),
            Err(error) => {
                set_aside(c, id, &routine_id, &error, now)?;
                set_aside_ids.push(id);
            }
        }
    }
    Ok((due, set_aside_ids))
}

/// A group whose stored schedule, zone or summary time no longer reads (a
/// library upgrade, a damaged row): it gets no more sessions, nudges or
/// summaries until a moderator runs `group setup` again, and the day is
/// recorded `missed` — dated in UTC, since its own zone is what is lost.
pub fn set_aside(
    c: &Connection,
    id: i64,
    routine_id: &str,
    error: &StoreError,
    now: DateTime<Utc>,
) -> Result<()> {
    tracing::error!(
        group = id,
        "setting aside a group that cannot be read; `group setup` there sets it anew: {error}"
    );
    c.execute(
        "UPDATE groups SET next_run_at = NULL, next_nudge_at = NULL, next_summary_at = NULL
         WHERE id = ?1",
        [id],
    )?;
    super::sessions::insert(
        c,
        &super::sessions::NewSession {
            owner: super::sessions::Owner::Group(id),
            routine_id,
            local_date: now.date_naive(),
            scheduled_at: now,
            started_at: None,
            status: super::sessions::Status::Missed,
            loads: &[],
        },
    )?;
    Ok(())
}

pub(super) fn due_sql(event: Event) -> String {
    let column = event.column();
    format!(
        "SELECT {COLUMNS} FROM groups
         WHERE {column} IS NOT NULL AND {column} <= ?1
           AND +platform IN (SELECT value FROM json_each(?2))
         ORDER BY {column}, id"
    )
}

/// The earliest instant any group on a running platform has work.
/// Nudges and summaries of the groups in `waiting` are left out: they wait
/// for something else (a membership check), not for the clock.
pub fn next_due_at(
    c: &Connection,
    platforms: &[String],
    waiting: &[i64],
) -> Result<Option<DateTime<Utc>>> {
    let platforms = platform_list(platforms);
    let waiting = serde_json::Value::from(waiting.to_vec()).to_string();
    let mut earliest = None;
    for event in [Event::Session, Event::Nudge, Event::Summary] {
        let column = event.column();
        let skip = if event == Event::Session {
            "[]"
        } else {
            waiting.as_str()
        };
        let at: Option<i64> = c
            .query_row(
                &format!(
                    "SELECT {column} FROM groups
                     WHERE {column} IS NOT NULL AND +platform IN (SELECT value FROM json_each(?1))
                       AND id NOT IN (SELECT value FROM json_each(?2))
                     ORDER BY {column} LIMIT 1"
                ),
                (&platforms, skip),
                |row| row.get(0),
            )
            .optional()?;
        earliest = earliest.into_iter().chain(at).min();
    }
    earliest.map(from_db_time).transpose()
}

/// Days the group rests: no session, neutral for everyone.
pub fn add_rest_days(c: &Connection, group_id: i64, dates: &[NaiveDate]) -> Result<()> {
    let mut statement = c.prepare_cached(
        "INSERT INTO group_rest_days (group_id, local_date) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for date in dates {
        statement.execute((group_id, date.to_string()))?;
    }
    Ok(())
}

pub fn is_rest_day(c: &Connection, group_id: i64, date: NaiveDate) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM group_rest_days WHERE group_id = ?1 AND local_date = ?2)",
        (group_id, date.to_string()),
        |row| row.get(0),
    )?)
}

/// Records that a member takes part (again, if they had left), under the
/// name this group's server or room shows them by, when the platform says.
pub fn join(
    c: &Connection,
    group_id: i64,
    user_id: i64,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let name = name.map(super::users::clean_name).filter(|n| !n.is_empty());
    c.execute(
        "INSERT INTO group_members (group_id, user_id, joined_at, display_name) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, user_id)
         DO UPDATE SET left_at = NULL, display_name = COALESCE(excluded.display_name, display_name)",
        (group_id, user_id, to_db_time(now), name),
    )?;
    Ok(())
}

/// The member is no longer in the channel or room.
pub fn leave(c: &Connection, group_id: i64, user_id: i64, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE group_members SET left_at = ?3 WHERE group_id = ?1 AND user_id = ?2 AND left_at IS NULL",
        (group_id, user_id, to_db_time(now)),
    )?;
    Ok(())
}

/// A member's place in one group, for the privacy export.
pub struct Membership {
    pub channel: String,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub name: Option<String>,
}

/// The groups a member takes part in, for the privacy export.
pub fn memberships(c: &Connection, user_id: i64) -> Result<Vec<Membership>> {
    let mut statement = c.prepare_cached(
        "SELECT g.channel_id, m.joined_at, m.left_at, m.display_name FROM group_members m
         JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY m.joined_at",
    )?;
    let rows = statement.query_map([user_id], |row| {
        Ok(Membership {
            channel: row.get(0)?,
            joined_at: row.get(1)?,
            left_at: row.get(2)?,
            name: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
