//! Where each platform's event stream resumes after a restart.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Value};
use super::{Result, to_db_time};

/// The saved position of `platform`'s stream, if one was ever saved.
pub fn get(c: &dyn Conn, platform: &str) -> Result<Option<String>> {
    let position = c.query_opt(
        "SELECT position FROM stream_positions WHERE platform = ?1",
        &[Value::Text(platform)],
        |row| row.text(0),
    )?;
    Ok(position)
}

pub fn save(c: &dyn Conn, platform: &str, position: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO stream_positions (platform, position, saved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (platform) DO UPDATE SET position = excluded.position, saved_at = excluded.saved_at",
        &[
            Value::Text(platform),
            Value::Text(position),
            Value::Int(to_db_time(now)),
        ],
    )?;
    Ok(())
}
