//! Commands already answered, so a command handed over again (a replica's
//! first sync after a take-over, a restart's replay) is neither run nor
//! answered twice.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, args};
use super::{Result, to_db_time};

/// Whether the command with this event id was answered.
pub fn contains(c: &dyn Conn, platform: &str, command_id: &str) -> Result<bool> {
    let found = c.query_opt(
        "SELECT 1 FROM answered_commands WHERE platform = ?1 AND command_id = ?2",
        args![platform, command_id],
        |row| row.int(0),
    )?;
    Ok(found.is_some())
}

/// Records that the command `command_id` was answered.
pub fn record(c: &dyn Conn, platform: &str, command_id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO answered_commands (platform, command_id, answered_at)
         VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        args![platform, command_id, to_db_time(now)],
    )?;
    Ok(())
}

/// Forgets commands answered before `cutoff`.
pub fn purge_before(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<usize> {
    let purged = c.execute(
        "DELETE FROM answered_commands WHERE answered_at < ?1",
        args![to_db_time(cutoff)],
    )?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}
