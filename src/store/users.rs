//! Members as the platforms know them, with their cached DM channel.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{Result, to_db_time};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub platform: String,
    pub platform_user_id: String,
    pub display_name: String,
    pub dm_target: Option<String>,
    pub timezone: Option<String>,
    pub agreed: bool,
}

const COLUMNS: &str =
    "id, platform, platform_user_id, display_name, dm_target, timezone, agreed_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        platform: row.get(1)?,
        platform_user_id: row.get(2)?,
        display_name: row.get(3)?,
        dm_target: row.get(4)?,
        timezone: row.get(5)?,
        agreed: row.get::<_, Option<i64>>(6)?.is_some(),
    })
}

/// Finds the member, creating them on first contact; keeps the name fresh.
pub fn upsert(
    c: &Connection,
    platform: &str,
    platform_user_id: &str,
    display_name: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    let user = c.query_row(
        &format!(
            "INSERT INTO users (platform, platform_user_id, display_name, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (platform, platform_user_id)
             DO UPDATE SET display_name = excluded.display_name
             RETURNING {COLUMNS}"
        ),
        (platform, platform_user_id, display_name, to_db_time(now)),
        from_row,
    )?;
    Ok(user)
}

pub fn find(c: &Connection, platform: &str, platform_user_id: &str) -> Result<Option<User>> {
    let user = c
        .query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE platform = ?1 AND platform_user_id = ?2"),
            (platform, platform_user_id),
            from_row,
        )
        .optional()?;
    Ok(user)
}

pub fn get(c: &Connection, id: i64) -> Result<User> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        from_row,
    )?)
}

pub fn set_dm_target(c: &Connection, id: i64, dm_target: &str) -> Result<()> {
    c.execute(
        "UPDATE users SET dm_target = ?2 WHERE id = ?1",
        (id, dm_target),
    )?;
    Ok(())
}

pub fn set_timezone(c: &Connection, id: i64, timezone: &str) -> Result<()> {
    c.execute(
        "UPDATE users SET timezone = ?2 WHERE id = ?1",
        (id, timezone),
    )?;
    Ok(())
}

pub fn agree(c: &Connection, id: i64, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE users SET agreed_at = COALESCE(agreed_at, ?2) WHERE id = ?1",
        (id, to_db_time(now)),
    )?;
    Ok(())
}

/// Erases the member and, by cascade, everything recorded about them.
pub fn delete(c: &Connection, id: i64) -> Result<()> {
    c.execute("DELETE FROM users WHERE id = ?1", [id])?;
    Ok(())
}
