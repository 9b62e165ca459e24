//! Check-ins made on a message before the bot recorded it as its own.
//!
//! A platform shows a message the moment it takes it; the outbox records
//! its id just after. A member quick enough, or one who reacted while the
//! replica that sent it died before recording it (the next one records it
//! on taking over), reaches the bot with a reaction on a message it does not
//! know yet. Such reactions wait here, one row per member, message and kind,
//! until the message is recorded (see `engine::early_reactions`), and go
//! after an hour if it never is.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Row, args, in_key_list};
use super::{Result, to_db_time};
use crate::check_in::CheckInKind;

/// A check-in reaction held for a message not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyReaction {
    pub platform: String,
    pub message_id: String,
    pub user_id: String,
    pub kind: CheckInKind,
    pub display_name: Option<String>,
    /// The platform's id of the reaction itself (a Matrix event id).
    pub reaction_id: Option<String>,
    pub room: Option<String>,
}

const COLUMNS: &str = "platform, message_id, user_id, kind, display_name, reaction_id, room";

fn from_row(row: &dyn Row) -> Result<EarlyReaction> {
    let kind = row.text(3)?;
    Ok(EarlyReaction {
        platform: row.text(0)?,
        message_id: row.text(1)?,
        user_id: row.text(2)?,
        kind: CheckInKind::from_db(&kind)
            .ok_or_else(|| super::StoreError::Corrupt(format!("unknown check-in kind {kind:?}")))?,
        display_name: row.opt_text(4)?,
        reaction_id: row.opt_text(5)?,
        room: row.opt_text(6)?,
    })
}

/// Holds `reaction` until its message is recorded; holding it again
/// changes nothing.
pub fn hold(c: &dyn Conn, reaction: &EarlyReaction, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        &format!(
            "INSERT INTO early_reactions ({COLUMNS}, held_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"
        ),
        args![
            reaction.platform.as_str(),
            reaction.message_id.as_str(),
            reaction.user_id.as_str(),
            reaction.kind.as_str(),
            reaction.display_name.as_deref(),
            reaction.reaction_id.as_deref(),
            reaction.room.as_deref(),
            to_db_time(now),
        ],
    )?;
    Ok(())
}

/// Whether any reaction waits for `message_id`.
pub fn any_for(c: &dyn Conn, platform: &str, message_id: &str) -> Result<bool> {
    Ok(c.query_opt(
        "SELECT 1 FROM early_reactions WHERE platform = ?1 AND message_id = ?2 LIMIT 1",
        args![platform, message_id],
        |row| row.int(0),
    )?
    .is_some())
}

/// Which of `message_ids` have reactions waiting for them.
pub fn waiting_among(c: &dyn Conn, platform: &str, message_ids: &[String]) -> Result<Vec<String>> {
    c.query_all(
        &format!(
            "SELECT DISTINCT message_id FROM early_reactions WHERE platform = ?1 AND {}",
            in_key_list(c.engine(), "message_id", 2)
        ),
        args![platform, message_ids],
        |row| row.text(0),
    )
}

/// Returns and forgets the reactions that wait for `message_id`, oldest
/// first.
pub fn take(c: &dyn Conn, platform: &str, message_id: &str) -> Result<Vec<EarlyReaction>> {
    let mut taken = c.query_all(
        &format!(
            "DELETE FROM early_reactions WHERE platform = ?1 AND message_id = ?2
             RETURNING {COLUMNS}, held_at"
        ),
        args![platform, message_id],
        |row| Ok((row.int(7)?, from_row(row)?)),
    )?;
    taken.sort_by_key(|(held_at, _)| *held_at);
    Ok(taken.into_iter().map(|(_, reaction)| reaction).collect())
}

/// Forgets a held reaction the member took back before its message was
/// recorded. Returns whether one was held.
pub fn withdraw(
    c: &dyn Conn,
    platform: &str,
    message_id: &str,
    user_id: &str,
    kind: CheckInKind,
) -> Result<bool> {
    let withdrawn = c.execute(
        "DELETE FROM early_reactions
         WHERE platform = ?1 AND message_id = ?2 AND user_id = ?3 AND kind = ?4",
        args![platform, message_id, user_id, kind.as_str()],
    )?;
    Ok(withdrawn > 0)
}

/// The held reaction with this id of its own, if any (a redaction names
/// only that).
pub fn find_by_id(
    c: &dyn Conn,
    platform: &str,
    reaction_id: &str,
) -> Result<Option<EarlyReaction>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM early_reactions WHERE platform = ?1 AND reaction_id = ?2"),
        args![platform, reaction_id],
        from_row,
    )
}

/// The messages recorded since reactions were held for them (platform,
/// message id): what a failed or missed hand-over left waiting.
pub fn recorded(c: &dyn Conn) -> Result<Vec<(String, String)>> {
    c.query_all(
        "SELECT DISTINCT e.platform, e.message_id FROM early_reactions e
         JOIN deliveries d ON d.platform = e.platform AND d.platform_message_id = e.message_id",
        &[],
        |row| Ok((row.text(0)?, row.text(1)?)),
    )
}

/// Forgets the reactions held since before `cutoff`: their messages were
/// never recorded (not the bot's, or never sent).
pub fn purge_before(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<usize> {
    let purged = c.execute(
        "DELETE FROM early_reactions WHERE held_at < ?1",
        args![to_db_time(cutoff)],
    )?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}

/// Forgets every reaction a member has held (privacy delete).
pub fn forget_user(c: &dyn Conn, platform: &str, user_id: &str) -> Result<()> {
    c.execute(
        "DELETE FROM early_reactions WHERE platform = ?1 AND user_id = ?2",
        args![platform, user_id],
    )?;
    Ok(())
}
