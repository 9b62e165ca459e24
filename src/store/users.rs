//! Members as the platforms know them, with their cached DM channel.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Engine, Row, args, claim_rows, in_key_list, in_list};
use super::{Result, StoreError, to_db_time};
use crate::i18n::Language;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub platform: String,
    pub platform_user_id: String,
    pub display_name: String,
    pub dm_target: Option<String>,
    pub timezone: Option<String>,
    pub agreed: bool,
    /// Asked not to be mentioned in group nudges.
    pub nudges_off: bool,
    /// When the next weekly summary DM is due; `None` = not wanted.
    pub weekly_summary_at: Option<DateTime<Utc>>,
    /// The language they chose with `language`.
    pub chosen_language: Option<Language>,
    /// The language their platform last reported for them (Discord's
    /// interaction locale), when it is one Upright speaks.
    pub platform_language: Option<Language>,
}

impl User {
    /// The language they read: the one they chose, else their platform's,
    /// else English.
    pub fn language(&self) -> Language {
        self.chosen_language
            .or(self.platform_language)
            .unwrap_or_default()
    }
}

const COLUMNS: &str = "id, platform, platform_user_id, display_name, dm_target, timezone, \
                       agreed_at, nudges_off, weekly_summary_at, language, platform_language";

fn from_row(row: &dyn Row) -> Result<User> {
    Ok(User {
        id: row.int(0)?,
        platform: row.text(1)?,
        platform_user_id: row.text(2)?,
        display_name: row.text(3)?,
        dm_target: row.opt_text(4)?,
        timezone: row.opt_text(5)?,
        agreed: row.opt_int(6)?.is_some(),
        nudges_off: row.int(7)? != 0,
        weekly_summary_at: row
            .opt_int(8)?
            .and_then(|at| DateTime::from_timestamp(at, 0)),
        chosen_language: row.opt_text(9)?.as_deref().and_then(Language::from_tag),
        platform_language: row.opt_text(10)?.as_deref().and_then(Language::from_tag),
    })
}

/// Finds the member, creating them on first contact; keeps the name fresh.
/// The longest display name kept; longer ones are clipped with "…".
pub const NAME_LIMIT: usize = 64;

/// A display name as summaries and leaderboards show it: no control or
/// direction-changing characters (a name must not forge a line or reorder
/// one), runs of whitespace as one space, at most [`NAME_LIMIT`] characters.
pub fn clean_name(name: &str) -> String {
    let forging = |c: char| {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || forging(c))
        .filter(|w| !w.is_empty())
        .collect();
    let joined = words.join(" ");
    if joined.chars().count() <= NAME_LIMIT {
        return joined;
    }
    let mut clipped: String = joined.chars().take(NAME_LIMIT - 1).collect();
    clipped.truncate(clipped.trim_end().len());
    clipped.push('…');
    clipped
}

/// Stores the member if new and returns them, leaving a known member's
/// name as it is (for events in a group, whose names are the group's own).
pub fn ensure(
    c: &dyn Conn,
    platform: &str,
    platform_user_id: &str,
    display_name: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    match find(c, platform, platform_user_id)? {
        Some(user) => Ok(user),
        None => upsert(c, platform, platform_user_id, display_name, now),
    }
}

/// Stores the member (or updates their name) and returns them. The name is
/// cleaned first; a name with nothing left shows the platform's id.
pub fn upsert(
    c: &dyn Conn,
    platform: &str,
    platform_user_id: &str,
    display_name: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    let mut display_name = clean_name(display_name);
    if display_name.is_empty() {
        display_name = clean_name(platform_user_id);
    }
    let user = c.query_opt(
        &format!(
            "INSERT INTO users (platform, platform_user_id, display_name, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (platform, platform_user_id)
             DO UPDATE SET display_name = excluded.display_name
             RETURNING {COLUMNS}"
        ),
        args![platform, platform_user_id, &display_name, to_db_time(now)],
        from_row,
    )?;
    user.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "member {platform} {platform_user_id} was not stored"
        ))
    })
}

pub fn find(c: &dyn Conn, platform: &str, platform_user_id: &str) -> Result<Option<User>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE platform = ?1 AND platform_user_id = ?2"),
        args![platform, platform_user_id],
        from_row,
    )
}

pub fn get(c: &dyn Conn, id: i64) -> Result<User> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        args![id],
        from_row,
    )?
    .ok_or_else(|| StoreError::Corrupt(format!("there is no member {id}")))
}

/// Several members in one read, by id (ids with no member are left out).
pub fn get_many(c: &dyn Conn, ids: &[i64]) -> Result<std::collections::HashMap<i64, User>> {
    let users = c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE {}",
            in_key_list(c.engine(), "id", 1)
        ),
        args![ids],
        from_row,
    )?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

/// The language the member chose (`None`: back to their platform's).
pub fn set_language(c: &dyn Conn, id: i64, language: Option<Language>) -> Result<()> {
    c.execute(
        "UPDATE users SET language = ?2 WHERE id = ?1",
        args![id, language.map(Language::code)],
    )?;
    Ok(())
}

/// The language the member's platform reports for them now.
pub fn set_platform_language(c: &dyn Conn, id: i64, language: Language) -> Result<()> {
    c.execute(
        "UPDATE users SET platform_language = ?2 WHERE id = ?1",
        args![id, language.code()],
    )?;
    Ok(())
}

pub fn set_dm_target(c: &dyn Conn, id: i64, dm_target: &str) -> Result<()> {
    c.execute(
        "UPDATE users SET dm_target = ?2 WHERE id = ?1",
        args![id, dm_target],
    )?;
    Ok(())
}

/// The room is no longer anyone's private DM (a third member came in).
/// Returns how many members lost it.
pub fn forget_dm_target(c: &dyn Conn, platform: &str, dm_target: &str) -> Result<usize> {
    let forgotten = c.execute(
        "UPDATE users SET dm_target = NULL WHERE platform = ?1 AND dm_target = ?2",
        args![platform, dm_target],
    )?;
    Ok(usize::try_from(forgotten).unwrap_or(usize::MAX))
}

pub fn set_timezone(c: &dyn Conn, id: i64, timezone: &str) -> Result<()> {
    c.execute(
        "UPDATE users SET timezone = ?2 WHERE id = ?1",
        args![id, timezone],
    )?;
    Ok(())
}

pub fn agree(c: &dyn Conn, id: i64, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE users SET agreed_at = COALESCE(agreed_at, ?2) WHERE id = ?1",
        args![id, to_db_time(now)],
    )?;
    Ok(())
}

pub fn set_nudges_off(c: &dyn Conn, id: i64, off: bool) -> Result<()> {
    c.execute(
        "UPDATE users SET nudges_off = ?2 WHERE id = ?1",
        args![id, off],
    )?;
    Ok(())
}

pub fn set_weekly_summary_at(c: &dyn Conn, id: i64, at: Option<DateTime<Utc>>) -> Result<()> {
    c.execute(
        "UPDATE users SET weekly_summary_at = ?2 WHERE id = ?1",
        args![id, at.map(to_db_time)],
    )?;
    Ok(())
}

pub(super) fn weekly_due_sql(engine: Engine) -> String {
    format!(
        "SELECT {COLUMNS} FROM users
         WHERE weekly_summary_at IS NOT NULL AND weekly_summary_at <= ?1
           AND {}
         ORDER BY weekly_summary_at, id{}",
        in_list(engine, "platform", 2),
        claim_rows(engine, "users")
    )
}

/// Members on running platforms whose weekly summary is due (walks `users_weekly_due`).
pub fn weekly_due(c: &dyn Conn, now: DateTime<Utc>, platforms: &[String]) -> Result<Vec<User>> {
    c.query_all(
        &weekly_due_sql(c.engine()),
        args![to_db_time(now), platforms],
        from_row,
    )
}

pub fn next_weekly_due_at(c: &dyn Conn, platforms: &[String]) -> Result<Option<DateTime<Utc>>> {
    let at = c.query_opt(
        &format!(
            "SELECT weekly_summary_at FROM users
             WHERE weekly_summary_at IS NOT NULL AND {}
             ORDER BY weekly_summary_at LIMIT 1",
            in_list(c.engine(), "platform", 1)
        ),
        args![platforms],
        |row| row.int(0),
    )?;
    at.map(super::from_db_time).transpose()
}

/// The members still in a group, in the order they joined.
pub fn in_group(c: &dyn Conn, group_id: i64) -> Result<Vec<User>> {
    // Each member under the name this group knows them by, if any.
    let columns = COLUMNS.replace(
        "display_name",
        "COALESCE(group_members.display_name, users.display_name)",
    );
    c.query_all(
        &format!(
            "SELECT {columns} FROM group_members JOIN users ON users.id = group_members.user_id
             WHERE group_id = ?1 AND left_at IS NULL ORDER BY joined_at, user_id"
        ),
        args![group_id],
        from_row,
    )
}

/// Erases the member and, by cascade, everything recorded about them.
pub fn delete(c: &dyn Conn, id: i64) -> Result<()> {
    c.execute("DELETE FROM users WHERE id = ?1", args![id])?;
    Ok(())
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn names_cannot_forge_lines_or_grow_without_end() {
        assert_eq!(clean_name("Ana"), "Ana");
        assert_eq!(clean_name("  Ana \t Lee  "), "Ana Lee");
        assert_eq!(
            clean_name("Ana\n✅ Ben: 5/5 done"),
            "Ana ✅ Ben: 5/5 done",
            "a newline cannot start a summary line of its own"
        );
        assert_eq!(clean_name("\u{202E}evil\u{202C}"), "evil");
        let long = clean_name(&"x".repeat(30_000));
        assert_eq!(long.chars().count(), NAME_LIMIT);
        assert!(long.ends_with('…'));
        assert_eq!(clean_name("\u{0}\u{7}"), "");
    }
}
