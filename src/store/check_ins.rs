//! Check-ins: one row per (session, step, member, kind).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{Result, StoreError, to_db_time};
use crate::check_in::CheckInKind;

/// The pain scores a member gave in one session, by step.
pub type PainScores = BTreeMap<u32, u8>;

/// Records a check-in; `false` if it was already there.
pub fn record(
    c: &Connection,
    session_id: i64,
    step: u32,
    user_id: i64,
    kind: CheckInKind,
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = c.execute(
        "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        (session_id, step, user_id, kind.as_str(), to_db_time(now)),
    )?;
    Ok(inserted == 1)
}

/// Withdraws a check-in (the reaction was removed); `false` if there was none.
pub fn withdraw(
    c: &Connection,
    session_id: i64,
    step: u32,
    user_id: i64,
    kind: CheckInKind,
) -> Result<bool> {
    let deleted = c.execute(
        "DELETE FROM check_ins WHERE session_id = ?1 AND step = ?2 AND user_id = ?3 AND kind = ?4",
        (session_id, step, user_id, kind.as_str()),
    )?;
    Ok(deleted == 1)
}

/// Whether anyone has checked in on a session.
pub fn any_in_session(c: &Connection, session_id: i64) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM check_ins WHERE session_id = ?1)",
        [session_id],
        |row| row.get(0),
    )?)
}

/// What one member has checked in on one session: step → kinds.
pub fn of_session_for_user(
    c: &Connection,
    session_id: i64,
    user_id: i64,
) -> Result<SessionCheckIns> {
    let mut statement = c.prepare_cached(
        "SELECT step, kind FROM check_ins WHERE session_id = ?1 AND user_id = ?2 ORDER BY step, kind",
    )?;
    let mut rows = statement.query((session_id, user_id))?;
    let mut out = SessionCheckIns::new();
    while let Some(row) = rows.next()? {
        let kind_text: String = row.get(1)?;
        let kind = CheckInKind::from_db(&kind_text)
            .ok_or_else(|| StoreError::Corrupt(format!("check-in kind `{kind_text}`")))?;
        out.entry(row.get(0)?).or_default().push(kind);
    }
    Ok(out)
}

/// How many checked in on one exercise of a session, by kind.
pub fn count_by_kind(
    c: &Connection,
    session_id: i64,
    step: u32,
) -> Result<BTreeMap<CheckInKind, u32>> {
    let mut statement = c.prepare_cached(
        "SELECT kind, COUNT(*) FROM check_ins WHERE session_id = ?1 AND step = ?2 GROUP BY kind",
    )?;
    let mut rows = statement.query((session_id, step))?;
    let mut counts = BTreeMap::new();
    while let Some(row) = rows.next()? {
        if let Some(kind) = CheckInKind::from_db(&row.get::<_, String>(0)?) {
            counts.insert(kind, row.get(1)?);
        }
    }
    Ok(counts)
}

/// Check-ins of one member in one session: step → kinds.
pub type SessionCheckIns = BTreeMap<u32, Vec<CheckInKind>>;

/// A member's check-ins for each of their sessions: session id → step → kinds.
pub fn by_session_for_user(c: &Connection, user_id: i64) -> Result<BTreeMap<i64, SessionCheckIns>> {
    let mut statement = c.prepare_cached(
        "SELECT session_id, step, kind FROM check_ins WHERE user_id = ?1 ORDER BY session_id, step, kind",
    )?;
    let mut rows = statement.query([user_id])?;
    let mut out: BTreeMap<i64, SessionCheckIns> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let kind_text: String = row.get(2)?;
        let kind = CheckInKind::from_db(&kind_text)
            .ok_or_else(|| StoreError::Corrupt(format!("check-in kind `{kind_text}`")))?;
        out.entry(row.get(0)?)
            .or_default()
            .entry(row.get(1)?)
            .or_default()
            .push(kind);
    }
    Ok(out)
}

/// Everyone's check-ins on a group's sessions: user id → session id → step → kinds.
pub fn by_user_for_group(
    c: &Connection,
    group_id: i64,
) -> Result<BTreeMap<i64, BTreeMap<i64, SessionCheckIns>>> {
    let mut statement = c.prepare_cached(
        "SELECT c.user_id, c.session_id, c.step, c.kind
         FROM sessions s JOIN check_ins c ON c.session_id = s.id
         WHERE s.group_id = ?1",
    )?;
    let mut rows = statement.query([group_id])?;
    let mut out: BTreeMap<i64, BTreeMap<i64, SessionCheckIns>> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let kind_text: String = row.get(3)?;
        let kind = CheckInKind::from_db(&kind_text)
            .ok_or_else(|| StoreError::Corrupt(format!("check-in kind `{kind_text}`")))?;
        out.entry(row.get(0)?)
            .or_default()
            .entry(row.get(1)?)
            .or_default()
            .entry(row.get(2)?)
            .or_default()
            .push(kind);
    }
    Ok(out)
}

/// A pain report that may take a score: the member's latest 🤕.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PainReport {
    pub id: i64,
    pub session_id: i64,
    pub step: u32,
    pub score: Option<u8>,
}

/// The member's latest pain report.
pub fn latest_pain(c: &Connection, user_id: i64) -> Result<Option<PainReport>> {
    let mut statement = c.prepare_cached(
        "SELECT id, session_id, step, pain_score FROM check_ins
         WHERE user_id = ?1 AND kind = 'pain' ORDER BY created_at DESC, id DESC LIMIT 1",
    )?;
    let mut rows = statement.query([user_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(PainReport {
        id: row.get(0)?,
        session_id: row.get(1)?,
        step: row.get(2)?,
        score: row.get(3)?,
    }))
}

/// Gives a pain report its score and where it hurt (a later answer replaces
/// an earlier one).
pub fn rate_pain(c: &Connection, check_in_id: i64, score: u8, place: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE check_ins SET pain_score = ?2, pain_where = ?3 WHERE id = ?1 AND kind = 'pain'",
        (check_in_id, score, place),
    )?;
    Ok(())
}

/// A member's pain scores: session id → step → score.
pub fn pain_scores_for_user(c: &Connection, user_id: i64) -> Result<BTreeMap<i64, PainScores>> {
    let mut statement = c.prepare_cached(
        "SELECT session_id, step, pain_score FROM check_ins
         WHERE user_id = ?1 AND kind = 'pain' AND pain_score IS NOT NULL",
    )?;
    let mut rows = statement.query([user_id])?;
    let mut out: BTreeMap<i64, PainScores> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        out.entry(row.get(0)?)
            .or_default()
            .insert(row.get(1)?, row.get(2)?);
    }
    Ok(out)
}

/// One check-in with what its session knew, for the privacy exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub date: String,
    pub routine_id: String,
    pub step: u32,
    pub kind: String,
    /// The session's loads, one per exercise (JSON as stored).
    pub loads: String,
    /// When it was recorded (seconds since the epoch).
    pub at: i64,
    /// For pain: how strong (0–10) and where, if the member said.
    pub pain_score: Option<u8>,
    pub pain_where: Option<String>,
}

/// A member's check-ins, oldest first, with their sessions' routine and loads.
pub fn log_for_user(c: &Connection, user_id: i64) -> Result<Vec<Logged>> {
    let mut statement = c.prepare_cached(
        "SELECT s.local_date, s.routine_id, c.step, c.kind, s.loads, c.created_at,
                c.pain_score, c.pain_where
         FROM check_ins c JOIN sessions s ON s.id = c.session_id
         WHERE c.user_id = ?1 ORDER BY s.local_date, c.step, c.kind",
    )?;
    let rows = statement.query_map([user_id], |row| {
        Ok(Logged {
            date: row.get(0)?,
            routine_id: row.get(1)?,
            step: row.get(2)?,
            kind: row.get(3)?,
            loads: row.get(4)?,
            at: row.get(5)?,
            pain_score: row.get(6)?,
            pain_where: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
