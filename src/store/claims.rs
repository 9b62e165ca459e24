//! Which sender has a delivery in hand. Before a delivery is handed to its
//! platform it is claimed for a while, by a name that stays with a replica
//! across restarts; its outcome, once recorded, lets the claim go (see
//! `deliveries::mark_sent` and the others). So two senders never hand over
//! one delivery at once, and a claim found left by another replica means
//! that replica died mid-send: the delivery may have gone out already.

use chrono::{DateTime, Utc};

use super::deliveries::Recipient;
use super::sql::{Conn, ConnExt, Engine, args};
use super::{Result, from_db_time, to_db_time};

/// What claiming a delivery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours now; `unfinished`: another sender's claim was left without an
    /// outcome, so its send may have gone out; `resumed`: this sender's own
    /// was (it stopped mid-send and restarted), which only a send without
    /// an idempotency key (a press's answer) needs to know.
    Ours {
        unfinished: Option<Unfinished>,
        resumed: bool,
    },
    /// Another sender has it in hand until then.
    Held { until: DateTime<Utc> },
}

/// A claim its sender left without recording an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub by: String,
    pub until: DateTime<Utc>,
    /// When it was made: its send, if any, is no older.
    pub since: DateTime<Utc>,
}

/// Claims delivery `id` for `sender` until `until` (inside a transaction,
/// so the look and the claim are one step). `claimed_for` is how long every
/// claim lasts, to tell when an unfinished one was made.
pub fn claim(
    c: &dyn Conn,
    id: i64,
    sender: &str,
    now: DateTime<Utc>,
    claimed_for: chrono::Duration,
) -> Result<Claim> {
    // PostgreSQL: the row locked until the transaction ends, so two
    // senders cannot both find it free.
    let lock = match c.engine() {
        Engine::Sqlite => "",
        Engine::Postgres => " FOR UPDATE",
    };
    let earlier = c
        .query_opt(
            &format!("SELECT claimed_by, claimed_until FROM deliveries WHERE id = ?1{lock}"),
            args![id],
            |row| Ok((row.opt_text(0)?, row.opt_int(1)?)),
        )?
        .unwrap_or((None, None));
    let resumed = matches!(&earlier, (Some(by), Some(_)) if by == sender);
    let unfinished = match earlier {
        (Some(by), Some(until)) if by != sender => {
            let until = from_db_time(until)?;
            if until >= now {
                return Ok(Claim::Held { until });
            }
            Some(Unfinished {
                by,
                until,
                since: until - claimed_for,
            })
        }
        _ => None,
    };
    c.execute(
        "UPDATE deliveries SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
        args![id, sender, to_db_time(now + claimed_for)],
    )?;
    Ok(Claim::Ours {
        unfinished,
        resumed,
    })
}

/// Puts an unfinished claim back as it was, when whether its send went out
/// could not be told yet: the next attempt looks again.
pub fn restore(c: &dyn Conn, id: i64, unfinished: &Unfinished) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
        args![id, &unfinished.by, to_db_time(unfinished.until)],
    )?;
    Ok(())
}

/// The bot's messages already recorded for `recipient` since `since`: the
/// ones a search for an unrecorded send must not take for it.
pub fn recorded_since(
    c: &dyn Conn,
    recipient: &Recipient,
    since: DateTime<Utc>,
) -> Result<Vec<String>> {
    let (user_id, channel_id) = recipient.columns();
    c.query_all(
        "SELECT platform_message_id FROM deliveries
         WHERE (user_id = ?1 OR channel_id = ?2) AND platform_message_id IS NOT NULL
           AND sent_at >= ?3",
        args![user_id, channel_id, to_db_time(since)],
        |row| row.text(0),
    )
}
