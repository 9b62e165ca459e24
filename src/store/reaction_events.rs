//! Reactions by their own id, for platforms that withdraw a reaction by
//! deleting it (a Matrix redaction carries only the reaction's id).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{Result, to_db_time};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedReaction {
    pub message_id: String,
    pub user_id: String,
    pub emoji: String,
    /// Where it was made; `None` for reactions remembered before rooms were.
    pub room: Option<String>,
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

pub fn remember(c: &Connection, reaction: &Reaction<'_>, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO reaction_events (platform, reaction_id, message_id, user_id, emoji, room, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        (
            reaction.platform,
            reaction.reaction_id,
            reaction.message_id,
            reaction.user_id,
            reaction.emoji,
            reaction.room,
            to_db_time(now),
        ),
    )?;
    Ok(())
}

/// Forgets reactions remembered before `cutoff` (the retention period).
pub fn purge_before(c: &Connection, cutoff: DateTime<Utc>) -> Result<usize> {
    Ok(c.execute(
        "DELETE FROM reaction_events WHERE created_at < ?1",
        [to_db_time(cutoff)],
    )?)
}

/// The reaction with this id, if it was remembered.
pub fn find(
    c: &Connection,
    platform: &str,
    reaction_id: &str,
) -> Result<Option<RememberedReaction>> {
    Ok(c.query_row(
        "SELECT message_id, user_id, emoji, room FROM reaction_events
         WHERE platform = ?1 AND reaction_id = ?2",
        (platform, reaction_id),
        |row| {
            Ok(RememberedReaction {
                message_id: row.get(0)?,
                user_id: row.get(1)?,
                emoji: row.get(2)?,
                room: row.get(3)?,
            })
        },
    )
    .optional()?)
}

/// Returns and forgets the reaction with this id, if it was remembered.
pub fn take(
    c: &Connection,
    platform: &str,
    reaction_id: &str,
) -> Result<Option<RememberedReaction>> {
    let found = c
        .query_row(
            "DELETE FROM reaction_events WHERE platform = ?1 AND reaction_id = ?2
             RETURNING message_id, user_id, emoji, room",
            (platform, reaction_id),
            |row| {
                Ok(RememberedReaction {
                    message_id: row.get(0)?,
                    user_id: row.get(1)?,
                    emoji: row.get(2)?,
                    room: row.get(3)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

/// Forgets every reaction of a member (privacy delete).
/// A member's remembered reactions, for their export.
pub fn all_for_user(
    c: &Connection,
    platform: &str,
    user_id: &str,
) -> Result<Vec<serde_json::Value>> {
    let mut statement = c.prepare(
        "SELECT message_id, emoji, created_at FROM reaction_events
         WHERE platform = ?1 AND user_id = ?2 ORDER BY created_at",
    )?;
    let rows = statement.query_map((platform, user_id), |row| {
        Ok(serde_json::json!({
            "message": row.get::<_, String>(0)?,
            "emoji": row.get::<_, String>(1)?,
            "at": row.get::<_, i64>(2)?,
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn forget_user(c: &Connection, platform: &str, user_id: &str) -> Result<()> {
    c.execute(
        "DELETE FROM reaction_events WHERE platform = ?1 AND user_id = ?2",
        (platform, user_id),
    )?;
    Ok(())
}
