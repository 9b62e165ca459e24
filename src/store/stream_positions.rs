//! Where each platform's event stream resumes after a restart.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{Result, to_db_time};

/// The saved position of `platform`'s stream, if one was ever saved.
pub fn get(c: &Connection, platform: &str) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT position FROM stream_positions WHERE platform = ?1",
        [platform],
        |row| row.get(0),
    )
    .optional()?)
}

pub fn save(c: &Connection, platform: &str, position: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO stream_positions (platform, position, saved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (platform) DO UPDATE SET position = excluded.position, saved_at = excluded.saved_at",
        (platform, position, to_db_time(now)),
    )?;
    Ok(())
}
