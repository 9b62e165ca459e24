//! Messages that answer a member's press: written with the press (its
//! token, time and message) in the same transaction as the check-in, and
//! held back until the press itself has been answered, since a platform
//! takes no follow-up to a press it has not yet seen answered.

use chrono::{DateTime, Utc};

use super::Result;
use super::deliveries::Press;
use super::sql::{Conn, ConnExt, args};
use super::to_db_time;

/// The newest delivery's id, before a press is applied: what the press
/// writes comes after it.
pub fn last_delivery_id(c: &dyn Conn) -> Result<i64> {
    Ok(
        c.query_opt("SELECT COALESCE(MAX(id), 0) FROM deliveries", &[], |row| {
            row.int(0)
        })?
        .unwrap_or(0),
    )
}

/// Ties the member's DM messages written after `after` to `press`, due at
/// `held_until` unless [`release`]d sooner. Returns how many there were.
pub fn tie(
    c: &dyn Conn,
    platform: &str,
    platform_user_id: &str,
    after: i64,
    press: &Press,
    held_until: DateTime<Utc>,
) -> Result<usize> {
    let tied = c.execute(
        "UPDATE deliveries
         SET press_token = ?4, press_at = ?5, press_message = ?6,
             due_at = CASE WHEN due_at < ?7 THEN ?7 ELSE due_at END
         WHERE id > ?3 AND state = 'pending' AND channel_id IS NULL
           AND user_id = (SELECT id FROM users WHERE platform = ?1 AND platform_user_id = ?2)",
        args![
            platform,
            platform_user_id,
            after,
            &press.token,
            to_db_time(press.at),
            &press.message_id,
            to_db_time(held_until)
        ],
    )?;
    Ok(usize::try_from(tied).unwrap_or(usize::MAX))
}

/// The press was answered (or could not be): what it moved on is due now.
/// With `usable` false its token is dropped, so those messages go out the
/// ordinary way.
pub fn release(c: &dyn Conn, token: &str, usable: bool, now: DateTime<Utc>) -> Result<usize> {
    let released = c.execute(
        "UPDATE deliveries
         SET due_at = CASE WHEN due_at > ?2 THEN ?2 ELSE due_at END,
             press_token = CASE WHEN ?3 = 1 THEN press_token ELSE NULL END
         WHERE press_token = ?1 AND state = 'pending'",
        args![token, to_db_time(now), i64::from(usable)],
    )?;
    Ok(usize::try_from(released).unwrap_or(usize::MAX))
}
