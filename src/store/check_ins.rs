//! Check-ins: one row per (session, step, member, kind).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Row, args, in_key_list};
use super::{Result, StoreError, to_db_time};
use crate::check_in::CheckInKind;

/// The pain scores a member gave in one session, by step.
pub type PainScores = BTreeMap<u32, u8>;

/// A step number as stored.
fn step_of(row: &dyn Row, column: usize) -> Result<u32> {
    let step = row.int(column)?;
    u32::try_from(step).map_err(|_| StoreError::Corrupt(format!("check-in step {step}")))
}

/// A pain score (0–10) as stored.
fn score(score: i64) -> Result<u8> {
    u8::try_from(score).map_err(|_| StoreError::Corrupt(format!("pain score {score}")))
}

/// A pain score, if the member gave one.
fn score_of(row: &dyn Row, column: usize) -> Result<Option<u8>> {
    row.opt_int(column)?.map(score).transpose()
}

/// A check-in kind as stored.
fn kind_of(row: &dyn Row, column: usize) -> Result<CheckInKind> {
    let kind_text = row.text(column)?;
    CheckInKind::from_db(&kind_text)
        .ok_or_else(|| StoreError::Corrupt(format!("check-in kind `{kind_text}`")))
}

/// Records a check-in; `false` if it was already there.
pub fn record(
    c: &dyn Conn,
    session_id: i64,
    step: u32,
    user_id: i64,
    kind: CheckInKind,
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = c.execute(
        "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        args![session_id, step, user_id, kind.as_str(), to_db_time(now)],
    )?;
    Ok(inserted == 1)
}

/// Withdraws a check-in (the reaction was removed); `false` if there was none.
pub fn withdraw(
    c: &dyn Conn,
    session_id: i64,
    step: u32,
    user_id: i64,
    kind: CheckInKind,
) -> Result<bool> {
    let deleted = c.execute(
        "DELETE FROM check_ins WHERE session_id = ?1 AND step = ?2 AND user_id = ?3 AND kind = ?4",
        args![session_id, step, user_id, kind.as_str()],
    )?;
    Ok(deleted == 1)
}

/// Whether anyone has checked in on a session.
pub fn any_in_session(c: &dyn Conn, session_id: i64) -> Result<bool> {
    let any = c.query_opt(
        "SELECT EXISTS (SELECT 1 FROM check_ins WHERE session_id = ?1)",
        args![session_id],
        |row| row.int(0),
    )?;
    Ok(any.is_some_and(|any| any != 0))
}

/// What one member has checked in on one session: step → kinds.
pub fn of_session_for_user(c: &dyn Conn, session_id: i64, user_id: i64) -> Result<SessionCheckIns> {
    let rows = c.query_all(
        "SELECT step, kind FROM check_ins WHERE session_id = ?1 AND user_id = ?2 ORDER BY step, kind",
        args![session_id, user_id],
        |row| Ok((step_of(row, 0)?, kind_of(row, 1)?)),
    )?;
    let mut out = SessionCheckIns::new();
    for (step, kind) in rows {
        out.entry(step).or_default().push(kind);
    }
    Ok(out)
}

/// How many checked in on one exercise of a session, by kind.
pub fn count_by_kind(
    c: &dyn Conn,
    session_id: i64,
    step: u32,
) -> Result<BTreeMap<CheckInKind, u32>> {
    let rows = c.query_all(
        "SELECT kind, COUNT(*) FROM check_ins WHERE session_id = ?1 AND step = ?2 GROUP BY kind",
        args![session_id, step],
        |row| {
            let count = row.int(1)?;
            let count = u32::try_from(count)
                .map_err(|_| StoreError::Corrupt(format!("{count} check-ins on one exercise")))?;
            Ok((CheckInKind::from_db(&row.text(0)?), count))
        },
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, count)| Some((kind?, count)))
        .collect())
}

/// Check-ins of one member in one session: step → kinds.
pub type SessionCheckIns = BTreeMap<u32, Vec<CheckInKind>>;

/// What a member checked in, by session: the kinds at each step, and the
/// pain scores they gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberCheckIns {
    pub by_session: BTreeMap<i64, SessionCheckIns>,
    pub pain_scores: BTreeMap<i64, PainScores>,
}

/// One member's check-ins.
pub fn of_member(c: &dyn Conn, user_id: i64) -> Result<MemberCheckIns> {
    Ok(of_members(c, &[user_id])?
        .remove(&user_id)
        .unwrap_or_default())
}

/// The check-ins of each of `user_ids` (those with none are left out), in
/// one read: a session start reads a whole batch of members at once.
pub fn of_members(c: &dyn Conn, user_ids: &[i64]) -> Result<HashMap<i64, MemberCheckIns>> {
    let rows = c.query_all(
        &format!(
            "SELECT user_id, session_id, step, kind, pain_score FROM check_ins
             WHERE {} ORDER BY user_id, session_id, step, kind",
            in_key_list(c.engine(), "user_id", 1)
        ),
        args![user_ids],
        |row| {
            Ok((
                row.int(0)?,
                row.int(1)?,
                step_of(row, 2)?,
                kind_of(row, 3)?,
                score_of(row, 4)?,
            ))
        },
    )?;
    let mut out: HashMap<i64, MemberCheckIns> = HashMap::new();
    for (user_id, session_id, step, kind, score) in rows {
        let member = out.entry(user_id).or_default();
        if let (CheckInKind::Pain, Some(score)) = (kind, score) {
            member
                .pain_scores
                .entry(session_id)
                .or_default()
                .insert(step, score);
        }
        member
            .by_session
            .entry(session_id)
            .or_default()
            .entry(step)
            .or_default()
            .push(kind);
    }
    Ok(out)
}

/// Everyone's check-ins on a group's sessions: user id → session id → step → kinds.
pub fn by_user_for_group(
    c: &dyn Conn,
    group_id: i64,
) -> Result<BTreeMap<i64, BTreeMap<i64, SessionCheckIns>>> {
    // Ordered so each step's kinds come in the same order on every engine.
    let rows = c.query_all(
        "SELECT c.user_id, c.session_id, c.step, c.kind
         FROM sessions s JOIN check_ins c ON c.session_id = s.id
         WHERE s.group_id = ?1 ORDER BY c.session_id, c.step, c.user_id, c.kind",
        args![group_id],
        |row| Ok((row.int(0)?, row.int(1)?, step_of(row, 2)?, kind_of(row, 3)?)),
    )?;
    let mut out: BTreeMap<i64, BTreeMap<i64, SessionCheckIns>> = BTreeMap::new();
    for (user_id, session_id, step, kind) in rows {
        out.entry(user_id)
            .or_default()
            .entry(session_id)
            .or_default()
            .entry(step)
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
pub fn latest_pain(c: &dyn Conn, user_id: i64) -> Result<Option<PainReport>> {
    c.query_opt(
        "SELECT id, session_id, step, pain_score FROM check_ins
         WHERE user_id = ?1 AND kind = 'pain' ORDER BY created_at DESC, id DESC LIMIT 1",
        args![user_id],
        |row| {
            Ok(PainReport {
                id: row.int(0)?,
                session_id: row.int(1)?,
                step: step_of(row, 2)?,
                score: score_of(row, 3)?,
            })
        },
    )
}

/// Gives a pain report its score and where it hurt (a later answer replaces
/// an earlier one).
pub fn rate_pain(c: &dyn Conn, check_in_id: i64, score: u8, place: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE check_ins SET pain_score = ?2, pain_where = ?3 WHERE id = ?1 AND kind = 'pain'",
        args![check_in_id, score, place],
    )?;
    Ok(())
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
pub fn log_for_user(c: &dyn Conn, user_id: i64) -> Result<Vec<Logged>> {
    c.query_all(
        "SELECT s.local_date, s.routine_id, c.step, c.kind, s.loads, c.created_at,
                c.pain_score, c.pain_where
         FROM check_ins c JOIN sessions s ON s.id = c.session_id
         WHERE c.user_id = ?1 ORDER BY s.local_date, c.step, c.kind",
        args![user_id],
        |row| {
            Ok(Logged {
                date: row.text(0)?,
                routine_id: row.text(1)?,
                step: step_of(row, 2)?,
                kind: row.text(3)?,
                loads: row.text(4)?,
                at: row.int(5)?,
                pain_score: score_of(row, 6)?,
                pain_where: row.opt_text(7)?,
            })
        },
    )
}
