//! Which sender has a delivery in hand. Before a message is handed to its
//! platform it is claimed for a while, by a name that stays with a replica
//! across restarts; its outcome, once recorded, lets the claim go (see
//! `deliveries::mark_sent` and the others). So two senders never hand over
//! one message at once, and a claim found left by another replica means
//! that replica died mid-send: the message may have gone out already. The
//! bot's reactions on a message already sent need no claim: adding one
//! twice changes nothing.

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

/// Claims delivery `id` for `sender` for `claimed_for` from `now` (the
/// look and the claim are one step). `claimed_for` is how long every claim
/// lasts, to tell when an unfinished one was made.
pub fn claim(
    c: &dyn Conn,
    id: i64,
    sender: &str,
    now: DateTime<Utc>,
    claimed_for: chrono::Duration,
) -> Result<Claim> {
    match c.engine() {
        Engine::Sqlite => claim_on_sqlite(c, id, sender, now, claimed_for),
        Engine::Postgres => claim_on_postgres(c, id, sender, now, claimed_for),
    }
}

/// A delivery's claim as it stood: by whom, until when.
type Earlier = (Option<String>, Option<i64>);

/// What a claim that stood as `earlier` means for `sender` at `now`.
fn decide(
    earlier: Earlier,
    sender: &str,
    now: DateTime<Utc>,
    claimed_for: chrono::Duration,
) -> Result<Claim> {
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
    Ok(Claim::Ours {
        unfinished,
        resumed,
    })
}

/// Delivery `id`'s claim as it stands; `None` if the delivery is gone.
fn claim_of(c: &dyn Conn, id: i64) -> Result<Option<Earlier>> {
    c.query_opt(
        "SELECT claimed_by, claimed_until FROM deliveries WHERE id = ?1",
        args![id],
        |row| Ok((row.opt_text(0)?, row.opt_int(1)?)),
    )
}

/// SQLite: one connection, held for the whole call, so the look and the
/// claim cannot be interleaved with another sender's.
fn claim_on_sqlite(
    c: &dyn Conn,
    id: i64,
    sender: &str,
    now: DateTime<Utc>,
    claimed_for: chrono::Duration,
) -> Result<Claim> {
    let earlier = claim_of(c, id)?.unwrap_or((None, None));
    let claim = decide(earlier, sender, now, claimed_for)?;
    if matches!(claim, Claim::Ours { .. }) {
        c.execute(
            "UPDATE deliveries SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1",
            args![id, sender, to_db_time(now + claimed_for)],
        )?;
    }
    Ok(claim)
}

/// The claim in one statement, which locks the row while it looks (one
/// round trip where a transaction takes four): it answers with the claim
/// that stood if it took the delivery, nothing if another sender holds it.
const CLAIM_ON_POSTGRES: &str = "UPDATE deliveries AS d SET claimed_by = ?2, claimed_until = ?3
  FROM (SELECT id, claimed_by, claimed_until FROM deliveries WHERE id = ?1 FOR UPDATE) AS earlier
 WHERE d.id = earlier.id
   AND (earlier.claimed_by IS NULL OR earlier.claimed_until IS NULL
        OR earlier.claimed_by = ?2 OR earlier.claimed_until < ?4)
 RETURNING earlier.claimed_by, earlier.claimed_until";

/// How often a claim is tried again when the claim in its way ended
/// between the try and the look that followed it.
const CLAIM_TRIES: u32 = 3;

fn claim_on_postgres(
    c: &dyn Conn,
    id: i64,
    sender: &str,
    now: DateTime<Utc>,
    claimed_for: chrono::Duration,
) -> Result<Claim> {
    let until = to_db_time(now + claimed_for);
    let mut tries = 0;
    loop {
        tries += 1;
        let taken = c.query_opt(
            CLAIM_ON_POSTGRES,
            args![id, sender, until, to_db_time(now)],
            |row| Ok((row.opt_text(0)?, row.opt_int(1)?)),
        )?;
        if let Some(earlier) = taken {
            return decide(earlier, sender, now, claimed_for);
        }
        // Not taken: who holds it (or the delivery is gone: nothing to hold).
        let Some(holding) = claim_of(c, id)? else {
            return decide((None, None), sender, now, claimed_for);
        };
        match decide(holding, sender, now, claimed_for)? {
            held @ Claim::Held { .. } => return Ok(held),
            // The holder let go meanwhile: try again.
            Claim::Ours { .. } if tries < CLAIM_TRIES => continue,
            Claim::Ours { .. } => {
                return Err(super::StoreError::Conflict(format!(
                    "delivery {id}: its claim changed hands {CLAIM_TRIES} times"
                )));
            }
        }
    }
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
