//! Accountability groups (one per channel or room) and who takes part.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::sql::{Conn, ConnExt, Engine, Row, Value, args, in_list};
use super::{Result, StoreError, from_db_time, to_db_time};
use crate::i18n::Language;
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
    /// What its posts are written in.
    pub language: Language,
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
                       summary_time, nudges, active, next_run_at, next_nudge_at, next_summary_at, \
                       language";

/// A group's columns as read, before what they hold is decoded.
struct RawRow {
    id: i64,
    platform: String,
    channel_id: String,
    routine_id: String,
    cron: String,
    zone: String,
    pace_minutes: i64,
    summary: String,
    nudges: bool,
    active: bool,
    next_run: Option<i64>,
    next_nudge: Option<i64>,
    next_summary: Option<i64>,
    language: Option<String>,
}

fn raw(row: &dyn Row) -> Result<RawRow> {
    Ok(RawRow {
        id: row.int(0)?,
        platform: row.text(1)?,
        channel_id: row.text(2)?,
        routine_id: row.text(3)?,
        cron: row.text(4)?,
        zone: row.text(5)?,
        pace_minutes: row.int(6)?,
        summary: row.text(7)?,
        nudges: row.int(8)? != 0,
        active: row.int(9)? != 0,
        next_run: row.opt_int(10)?,
        next_nudge: row.opt_int(11)?,
        next_summary: row.opt_int(12)?,
        language: row.opt_text(13)?,
    })
}

fn decode(raw: RawRow) -> Result<Group> {
    let id = raw.id;
    let schedule = Schedule::from_stored(&raw.cron, &raw.zone)
        .map_err(|e| StoreError::Corrupt(format!("group {id}: {e}")))?;
    let summary = &raw.summary;
    let summary_time = NaiveTime::parse_from_str(summary, "%H:%M")
        .map_err(|e| StoreError::Corrupt(format!("group {id} summary time `{summary}`: {e}")))?;
    let pace_minutes = u32::try_from(raw.pace_minutes)
        .map_err(|_| StoreError::Corrupt(format!("group {id} pace {}", raw.pace_minutes)))?;
    let time = |at: Option<i64>| at.map(from_db_time).transpose();
    Ok(Group {
        id,
        platform: raw.platform,
        channel_id: raw.channel_id,
        routine_id: raw.routine_id,
        schedule,
        pace_minutes,
        summary_time,
        nudges: raw.nudges,
        active: raw.active,
        next_run_at: time(raw.next_run)?,
        next_nudge_at: time(raw.next_nudge)?,
        next_summary_at: time(raw.next_summary)?,
        language: raw
            .language
            .as_deref()
            .and_then(Language::from_tag)
            .unwrap_or_default(),
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
    pub language: Language,
}

/// Creates the channel's group or sets it up again (history and the nudge
/// choice are kept).
pub fn set_up(c: &dyn Conn, setup: &Setup<'_>, now: DateTime<Utc>) -> Result<Group> {
    let summary_time = setup.summary_time.format("%H:%M").to_string();
    c.execute(
        "INSERT INTO groups (platform, channel_id, routine_id, cron, timezone, pace_minutes,
                             summary_time, active, next_run_at, next_nudge_at, next_summary_at, created_at,
                             language)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (platform, channel_id) DO UPDATE SET
             routine_id = excluded.routine_id, cron = excluded.cron, timezone = excluded.timezone,
             pace_minutes = excluded.pace_minutes, summary_time = excluded.summary_time, active = 1,
             next_run_at = excluded.next_run_at, next_nudge_at = excluded.next_nudge_at,
             next_summary_at = excluded.next_summary_at, language = excluded.language",
        args![
            setup.platform,
            setup.channel_id,
            setup.routine_id,
            setup.schedule.cron_expression(),
            setup.schedule.zone().name(),
            setup.pace_minutes,
            &summary_time,
            setup.next_run_at.map(to_db_time),
            setup.next_nudge_at.map(to_db_time),
            setup.next_summary_at.map(to_db_time),
            to_db_time(now),
            setup.language.code(),
        ],
    )?;
    for_channel(c, setup.platform, setup.channel_id)?
        .ok_or_else(|| StoreError::Corrupt("a group just set up is not there".to_string()))
}

pub fn for_channel(c: &dyn Conn, platform: &str, channel_id: &str) -> Result<Option<Group>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM groups WHERE platform = ?1 AND channel_id = ?2"),
        args![platform, channel_id],
        raw,
    )?
    .map(decode)
    .transpose()
}

pub fn get(c: &dyn Conn, id: i64) -> Result<Group> {
    let raw = c
        .query_opt(
            &format!("SELECT {COLUMNS} FROM groups WHERE id = ?1"),
            args![id],
            raw,
        )?
        .ok_or_else(|| StoreError::Corrupt(format!("there is no group {id}")))?;
    decode(raw)
}

/// Stops a group: nothing more is scheduled; its history stays.
pub fn turn_off(c: &dyn Conn, id: i64) -> Result<()> {
    c.execute(
        "UPDATE groups SET active = 0, next_run_at = NULL, next_nudge_at = NULL,
                           next_summary_at = NULL WHERE id = ?1",
        args![id],
    )?;
    Ok(())
}

pub fn set_nudges(c: &dyn Conn, id: i64, on: bool) -> Result<()> {
    c.execute("UPDATE groups SET nudges = ?2 WHERE id = ?1", args![id, on])?;
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

impl Group {
    /// When `event` is next due, if it is planned.
    pub fn next_at(&self, event: Event) -> Option<DateTime<Utc>> {
        match event {
            Event::Session => self.next_run_at,
            Event::Nudge => self.next_nudge_at,
            Event::Summary => self.next_summary_at,
        }
    }
}

pub fn set_next(c: &dyn Conn, id: i64, event: Event, at: Option<DateTime<Utc>>) -> Result<()> {
    c.execute(
        &format!("UPDATE groups SET {} = ?2 WHERE id = ?1", event.column()),
        args![id, at.map(to_db_time)],
    )?;
    Ok(())
}

/// Claims the group's `event`, due at `at`, for the caller's transaction:
/// false if it is no longer due then (another replica did it meanwhile).
/// The row stays locked until the transaction ends, so no one else works
/// it at the same time.
pub fn claim(c: &dyn Conn, id: i64, event: Event, at: DateTime<Utc>) -> Result<bool> {
    let column = event.column();
    let changed = c.execute(
        &format!("UPDATE groups SET {column} = {column} WHERE id = ?1 AND {column} = ?2"),
        args![id, to_db_time(at)],
    )?;
    Ok(changed == 1)
}

/// Groups on running platforms with `event` due by `now` (each query walks
/// that event's partial index).
///
/// Decoded row by row: a group that no longer reads is set aside (see
/// [`set_aside`]) and its id returned beside the others, so one damaged
/// row cannot stop every group's work.
pub fn due(
    c: &dyn Conn,
    event: Event,
    now: DateTime<Utc>,
    platforms: &[String],
) -> Result<(Vec<Group>, Vec<i64>)> {
    let rows = c.query_all(
        &due_sql(c.engine(), event),
        args![to_db_time(now), platforms],
        raw,
    )?;
    let (mut due, mut set_aside_ids) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        let (id, routine_id) = (row.id, row.routine_id.clone());
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
    c: &dyn Conn,
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
        args![id],
    )?;
    // The row `sessions::insert` writes for a group's missed day, with no
    // loads; a session already recorded for the date stays as it is.
    let date = now.date_naive().to_string();
    c.execute(
        "INSERT INTO sessions (group_id, routine_id, local_date, scheduled_at,
                               started_at, status, loads)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, '[]')
         ON CONFLICT DO NOTHING",
        args![
            id,
            routine_id,
            &date,
            to_db_time(now),
            super::sessions::Status::Missed.as_str(),
        ],
    )?;
    Ok(())
}

pub(super) fn due_sql(engine: Engine, event: Event) -> String {
    let column = event.column();
    format!(
        "SELECT {COLUMNS} FROM groups
         WHERE {column} IS NOT NULL AND {column} <= ?1
           AND {platform}
         ORDER BY {column}, id",
        platform = in_list(engine, "platform", 2),
    )
}

/// The earliest instant any group on a running platform has work.
/// Nudges and summaries of the groups in `waiting` are left out: they wait
/// for something else (a membership check), not for the clock.
pub fn next_due_at(
    c: &dyn Conn,
    platforms: &[String],
    waiting: &[i64],
) -> Result<Option<DateTime<Utc>>> {
    let mut earliest = None;
    for event in [Event::Session, Event::Nudge, Event::Summary] {
        let column = event.column();
        let skip: &[i64] = if event == Event::Session {
            &[]
        } else {
            waiting
        };
        let at = c.query_opt(
            &format!(
                "SELECT {column} FROM groups
                 WHERE {column} IS NOT NULL AND {platform}
                   AND NOT ({skipped})
                 ORDER BY {column} LIMIT 1",
                platform = in_list(c.engine(), "platform", 1),
                skipped = in_list(c.engine(), "id", 2),
            ),
            &[Value::TextList(platforms), Value::IntList(skip)],
            |row| row.int(0),
        )?;
        earliest = earliest.into_iter().chain(at).min();
    }
    earliest.map(from_db_time).transpose()
}

/// Days the group rests: no session, neutral for everyone.
pub fn add_rest_days(c: &dyn Conn, group_id: i64, dates: &[NaiveDate]) -> Result<()> {
    for date in dates {
        c.execute(
            "INSERT INTO group_rest_days (group_id, local_date) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            args![group_id, &date.to_string()],
        )?;
    }
    Ok(())
}

pub fn is_rest_day(c: &dyn Conn, group_id: i64, date: NaiveDate) -> Result<bool> {
    let rests = c.query_opt(
        "SELECT EXISTS (SELECT 1 FROM group_rest_days WHERE group_id = ?1 AND local_date = ?2)",
        args![group_id, &date.to_string()],
        |row| row.int(0),
    )?;
    Ok(rests.is_some_and(|n| n != 0))
}

/// Records that a member takes part (again, if they had left), under the
/// name this group's server or room shows them by, when the platform says.
pub fn join(
    c: &dyn Conn,
    group_id: i64,
    user_id: i64,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let name = name.map(super::users::clean_name).filter(|n| !n.is_empty());
    c.execute(
        "INSERT INTO group_members (group_id, user_id, joined_at, display_name) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, user_id)
         DO UPDATE SET left_at = NULL,
                       display_name = COALESCE(excluded.display_name, group_members.display_name)",
        args![group_id, user_id, to_db_time(now), name.as_ref()],
    )?;
    Ok(())
}

/// The member is no longer in the channel or room.
pub fn leave(c: &dyn Conn, group_id: i64, user_id: i64, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE group_members SET left_at = ?3 WHERE group_id = ?1 AND user_id = ?2 AND left_at IS NULL",
        args![group_id, user_id, to_db_time(now)],
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
pub fn memberships(c: &dyn Conn, user_id: i64) -> Result<Vec<Membership>> {
    c.query_all(
        "SELECT g.channel_id, m.joined_at, m.left_at, m.display_name FROM group_members m
         JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY m.joined_at",
        args![user_id],
        |row| {
            Ok(Membership {
                channel: row.text(0)?,
                joined_at: row.int(1)?,
                left_at: row.opt_int(2)?,
                name: row.opt_text(3)?,
            })
        },
    )
}
