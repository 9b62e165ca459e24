//! Reactions by their own id, for platforms that withdraw a reaction by
//! deleting it (a Matrix redaction carries only the reaction's id).

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Row, args};
use super::{Result, to_db_time};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedReaction {
    pub message_id: String,
    pub user_id: String,
    pub emoji: String,
    /// Where it was made; `None` for reactions remembered before rooms were.
    pub room: Option<String>,
}

/// Reads `message_id, user_id, emoji, room`.
fn from_row(row: &dyn Row) -> Result<RememberedReaction> {
    Ok(RememberedReaction {
        message_id: row.text(0)?,
        user_id: row.text(1)?,
        emoji: row.text(2)?,
        room: row.opt_text(3)?,
    })
}

/// A reaction as a platform reported it, to remember by its own id.
pub struct Reaction<'a> {
    pub platform: &'a str,
    pub reaction_id: &'a str,
    pub message_id: &'a str,
    pub user_id: &'a str,
    pub emoji: &'a str,
    /// The room or channel it was made in, when the platform says.
    pub room: Option<&'a str>,
}

pub fn remember(c: &dyn Conn, reaction: &Reaction<'_>, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO reaction_events (platform, reaction_id, message_id, user_id, emoji, room, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        args![
            reaction.platform,
            reaction.reaction_id,
            reaction.message_id,
            reaction.user_id,
            reaction.emoji,
            reaction.room,
            to_db_time(now),
        ],
    )?;
    Ok(())
}

/// Forgets reactions remembered before `cutoff` (the retention period).
pub fn purge_before(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<usize> {
    let purged = c.execute(
        "DELETE FROM reaction_events WHERE created_at < ?1",
        args![to_db_time(cutoff)],
    )?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}

/// The reaction with this id, if it was remembered.
pub fn find(c: &dyn Conn, platform: &str, reaction_id: &str) -> Result<Option<RememberedReaction>> {
    c.query_opt(
        "SELECT message_id, user_id, emoji, room FROM reaction_events
         WHERE platform = ?1 AND reaction_id = ?2",
        args![platform, reaction_id],
        from_row,
    )
}

/// Returns and forgets the reaction with this id, if it was remembered.
pub fn take(c: &dyn Conn, platform: &str, reaction_id: &str) -> Result<Option<RememberedReaction>> {
    c.query_opt(
        "DELETE FROM reaction_events WHERE platform = ?1 AND reaction_id = ?2
         RETURNING message_id, user_id, emoji, room",
        args![platform, reaction_id],
        from_row,
    )
}

/// A member's remembered reactions, for their export.
pub fn all_for_user(c: &dyn Conn, platform: &str, user_id: &str) -> Result<Vec<serde_json::Value>> {
    c.query_all(
        "SELECT message_id, emoji, created_at FROM reaction_events
         WHERE platform = ?1 AND user_id = ?2 ORDER BY created_at",
        args![platform, user_id],
        |row| {
            Ok(serde_json::json!({
                "message": row.text(0)?,
                "emoji": row.text(1)?,
                "at": row.int(2)?,
            }))
        },
    )
}

/// Forgets every reaction of a member (privacy delete).
pub fn forget_user(c: &dyn Conn, platform: &str, user_id: &str) -> Result<()> {
    c.execute(
        "DELETE FROM reaction_events WHERE platform = ?1 AND user_id = ?2",
        args![platform, user_id],
    )?;
    Ok(())
}
