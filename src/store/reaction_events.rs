//! Reactions by their own id, for platforms that withdraw a reaction by
//! deleting it (a Matrix redaction carries only the reaction's id).

use rusqlite::{Connection, OptionalExtension};

use super::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedReaction {
    pub message_id: String,
    pub user_id: String,
    pub emoji: String,
}

pub fn remember(
    c: &Connection,
    platform: &str,
    reaction_id: &str,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO reaction_events (platform, reaction_id, message_id, user_id, emoji)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        (platform, reaction_id, message_id, user_id, emoji),
    )?;
    Ok(())
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
             RETURNING message_id, user_id, emoji",
            (platform, reaction_id),
            |row| {
                Ok(RememberedReaction {
                    message_id: row.get(0)?,
                    user_id: row.get(1)?,
                    emoji: row.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

/// Forgets every reaction of a member (privacy delete).
pub fn forget_user(c: &Connection, platform: &str, user_id: &str) -> Result<()> {
    c.execute(
        "DELETE FROM reaction_events WHERE platform = ?1 AND user_id = ?2",
        (platform, user_id),
    )?;
    Ok(())
}
