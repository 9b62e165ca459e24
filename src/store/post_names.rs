//! Which members each channel post names, and exactly how it shows them.
//! A member who erases their data is taken out of those posts alone: a post
//! already sent loses its text (it was kept only for sending), one still
//! waiting names "a former member" in their place. Nothing is matched by
//! searching text for a name, so a short name ("Mo") leaves "Monday" be, and
//! a former nickname is found because the post recorded it.

use super::sql::{Conn, ConnExt, Value};
use super::{Result, StoreError};
use crate::message::Message;

/// Said in a waiting post instead of a member who erased their data.
pub const FORMER_MEMBER: &str = "a former member";

/// A member as one post shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub user_id: i64,
    /// The text in the post: their name there (escaped) or a mention.
    pub shown: String,
}

/// Records whom the delivery with `key` names.
pub fn record(c: &dyn Conn, key: &str, named: &[Named]) -> Result<()> {
    for name in named {
        c.execute(
            "INSERT INTO post_names (delivery_id, user_id, shown)
             SELECT id, ?2, ?3 FROM deliveries WHERE idempotency_key = ?1
             ON CONFLICT DO NOTHING",
            &[
                Value::Text(key),
                Value::Int(name.user_id),
                Value::Text(&name.shown),
            ],
        )?;
    }
    Ok(())
}

/// Marks the posts naming a member who erased their data, to be cleaned by
/// [`clean_departed`] outside the command's transaction.
pub fn mark_departed(c: &dyn Conn, user_id: i64) -> Result<()> {
    c.execute(
        "UPDATE post_names SET departed = 1 WHERE user_id = ?1",
        &[Value::Int(user_id)],
    )?;
    Ok(())
}

/// Cleans up to `batch` posts that name departed members; returns how many.
pub fn clean_departed(c: &dyn Conn, batch: usize) -> Result<usize> {
    let posts = c.query_all(
        "SELECT d.id, d.state, d.body FROM deliveries d
         WHERE d.id IN (SELECT DISTINCT delivery_id FROM post_names WHERE departed = 1 LIMIT ?1)",
        &[Value::Int(i64::try_from(batch).unwrap_or(i64::MAX))],
        |row| Ok((row.int(0)?, row.text(1)?, row.text(2)?)),
    )?;
    for (id, state, body) in &posts {
        let body = if matches!(state.as_str(), "done" | "failed") {
            to_json(&Message::text(""))?
        } else {
            let shown = c.query_all(
                "SELECT shown FROM post_names WHERE delivery_id = ?1 AND departed = 1",
                &[Value::Int(*id)],
                |row| row.text(0),
            )?;
            let mut message: Message = serde_json::from_str(body)
                .map_err(|e| StoreError::Corrupt(format!("delivery {id} body: {e}")))?;
            for name in &shown {
                message.body = replace_whole(&message.body, name, FORMER_MEMBER);
                message.title = message
                    .title
                    .map(|t| replace_whole(&t, name, FORMER_MEMBER));
                message.footer = message
                    .footer
                    .map(|f| replace_whole(&f, name, FORMER_MEMBER));
            }
            to_json(&message)?
        };
        c.execute(
            "UPDATE deliveries SET body = ?2 WHERE id = ?1",
            &[Value::Int(*id), Value::Text(&body)],
        )?;
        c.execute(
            "DELETE FROM post_names WHERE delivery_id = ?1 AND departed = 1",
            &[Value::Int(*id)],
        )?;
    }
    Ok(posts.len())
}

fn to_json(message: &Message) -> Result<String> {
    serde_json::to_string(message).map_err(|e| StoreError::Corrupt(format!("message: {e}")))
}

/// `text` with each whole occurrence of `name` replaced: one not run into a
/// letter or digit where the name itself begins or ends with one, so "Mo"
/// is not found in "Monday".
pub fn replace_whole(text: &str, name: &str, with: &str) -> String {
    if name.is_empty() {
        return text.to_string();
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let starts_word = name.chars().next().is_some_and(word);
    let ends_word = name.chars().next_back().is_some_and(word);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(name) {
        let (before, after) = (&rest[..at], &rest[at + name.len()..]);
        let joined_before = starts_word && before.chars().next_back().is_some_and(word);
        let joined_after = ends_word && after.chars().next().is_some_and(word);
        out.push_str(before);
        if joined_before || joined_after {
            out.push_str(name);
        } else {
            out.push_str(with);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::replace_whole;

    #[test]
    fn only_whole_names_are_replaced() {
        let x = "someone";
        assert_eq!(
            replace_whole("Monday: Mo, Ben, Momo", "Mo", x),
            "Monday: someone, Ben, Momo"
        );
        assert_eq!(
            replace_whole("- **ana\\_b**: ✅ 1", "ana\\_b", x),
            "- **someone**: ✅ 1"
        );
        assert_eq!(
            replace_whole("<@42>, <@421>", "<@42>", x),
            "someone, <@421>"
        );
        assert_eq!(replace_whole("Mo", "", x), "Mo");
    }
}
