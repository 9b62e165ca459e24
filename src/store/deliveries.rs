//! The outbox: every message is written here, with its idempotency key,
//! before a platform sees it.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, Engine, Row, args, in_key_list, in_list};
use super::{Result, StoreError, from_db_time, to_db_time};
use crate::i18n::Language;
use crate::message::Message;

/// Who a delivery goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A DM to this member (users.id).
    Member(i64),
    /// A post in a channel or room.
    Channel(String),
}

impl Recipient {
    /// As stored: (`user_id`, `channel_id`), exactly one of them set.
    pub(super) fn columns(&self) -> (Option<i64>, Option<&str>) {
        match self {
            Recipient::Member(user) => (Some(*user), None),
            Recipient::Channel(channel) => (None, Some(channel.as_str())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Disclaimer,
    /// The day's opening as a message of its own, as sessions started by
    /// earlier versions sent it; the opening now heads exercise 1.
    Opening,
    Exercise,
    Advice,
    Closing,
    /// A group's mention of members who have not checked in yet.
    Nudge,
    /// A group's end-of-day summary.
    Summary,
    /// A member's weekly summary DM.
    Weekly,
    /// A member's evening reminder, when the day's session is not done.
    Followup,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Disclaimer => "disclaimer",
            Kind::Opening => "opening",
            Kind::Exercise => "exercise",
            Kind::Advice => "advice",
            Kind::Closing => "closing",
            Kind::Nudge => "nudge",
            Kind::Summary => "summary",
            Kind::Weekly => "weekly",
            Kind::Followup => "followup",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        [
            Kind::Disclaimer,
            Kind::Opening,
            Kind::Exercise,
            Kind::Advice,
            Kind::Closing,
            Kind::Nudge,
            Kind::Summary,
            Kind::Weekly,
            Kind::Followup,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Sent,
    Done,
    Failed,
}

impl State {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sent => "sent",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<State> {
        [State::Pending, State::Sent, State::Done, State::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Burst order: when many sessions start at once, every member's opening goes
/// out first, then every first exercise, then reactions, then the rest.
pub mod priority {
    pub const URGENT: i64 = 0;
    pub const OPENING: i64 = 1;
    /// Reactions of sent messages rank here (see `next_ready`).
    pub const REACTIONS: i64 = 3;
    pub const LATER: i64 = 4;
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub key: String,
    pub platform: String,
    pub recipient: Recipient,
    pub session_id: Option<i64>,
    pub kind: Kind,
    pub step: Option<u32>,
    pub priority: i64,
    pub message: Message,
    pub reactions: Vec<String>,
    pub due_at: DateTime<Utc>,
}

/// Where a member's DM goes, read with the delivery so a send needs no
/// second query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAddress {
    pub platform_user_id: String,
    /// The DM channel or room, once known.
    pub dm: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub key: String,
    pub platform: String,
    pub recipient: Recipient,
    pub session_id: Option<i64>,
    pub kind: Kind,
    pub step: Option<u32>,
    pub message: Message,
    pub reactions: Vec<String>,
    pub state: State,
    pub attempts: u32,
    pub platform_message_id: Option<String>,
    /// Set when the recipient is a member.
    pub member: Option<MemberAddress>,
    /// The day's first message: its first exercise, headed by the opening.
    pub opens_day: bool,
    /// Where it ranks in a burst (see [`priority`]).
    pub priority: i64,
    /// The member's press this message answers, when it was written because
    /// of one (see [`super::press_answers`]).
    pub press: Option<Press>,
    /// The language its reader reads (the member's, or the group's for a
    /// channel post), for what a platform adds to it, such as buttons.
    pub language: Language,
}

/// A member's press on a button, recorded with the messages it moved on:
/// platforms that can answer through the press (Discord's interaction
/// token) send them that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Press {
    pub token: String,
    pub at: DateTime<Utc>,
    /// The message whose button was pressed.
    pub message_id: String,
}

impl Delivery {
    /// Whether it goes out ahead of reactions and later steps in a burst:
    /// a member's first message of the day, or anything more urgent.
    pub fn leads_a_burst(&self) -> bool {
        self.state == State::Pending && self.priority <= priority::OPENING
    }
}

/// A delivery's columns with its recipient's details, read from `d` (a
/// delivery) joined by [`RECIPIENT`].
const COLUMNS: &str = "d.id, d.idempotency_key, d.platform, d.user_id, d.channel_id, d.session_id,
       d.kind, d.step, d.body, d.reactions, d.state, d.attempts, d.platform_message_id,
       u.platform_user_id, u.dm_target, d.priority,
       COALESCE(u.language, u.platform_language, g.language),
       d.press_token, d.press_at, d.press_message";

/// Who a delivery `d` goes to: a member (`u`) or a group's channel (`g`).
const RECIPIENT: &str = "LEFT JOIN users u ON u.id = d.user_id
       LEFT JOIN groups g ON g.platform = d.platform AND g.channel_id = d.channel_id";

/// A delivery's row: the outer error when a column cannot be read at all,
/// the inner one when what it holds does not decode (the row is set aside).
fn decode(row: &dyn Row) -> Result<Result<Delivery>> {
    let id = row.int(0)?;
    let user_id = row.opt_int(3)?;
    let channel_id = row.opt_text(4)?;
    let kind = row.text(6)?;
    let body = row.text(8)?;
    let reactions = row.text(9)?;
    let state = row.text(10)?;
    let key = row.text(1)?;
    let platform = row.text(2)?;
    let session_id = row.opt_int(5)?;
    let step = row.opt_int(7)?;
    let attempts = row.int(11)?;
    let platform_message_id = row.opt_text(12)?;
    let priority = row.int(15)?;
    let language = row
        .opt_text(16)?
        .as_deref()
        .and_then(Language::from_tag)
        .unwrap_or_default();
    let press = match (row.opt_text(17)?, row.opt_int(18)?, row.opt_text(19)?) {
        (Some(token), Some(at), Some(message_id)) => Some(Press {
            token,
            at: from_db_time(at)?,
            message_id,
        }),
        _ => None,
    };
    let member = row
        .opt_text(13)?
        .map(|platform_user_id| -> Result<MemberAddress> {
            Ok(MemberAddress {
                platform_user_id,
                dm: row.opt_text(14)?,
            })
        })
        .transpose()?;
    let decoded = (|| {
        let recipient = match (user_id, channel_id) {
            (Some(user), None) => Recipient::Member(user),
            (None, Some(channel)) => Recipient::Channel(channel),
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "delivery {id} has no single recipient"
                )));
            }
        };
        let kind = Kind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery kind `{kind}`")))?;
        Ok(Delivery {
            id,
            key,
            platform,
            recipient,
            session_id,
            kind,
            step: step
                .map(|step| {
                    u32::try_from(step)
                        .map_err(|_| StoreError::Corrupt(format!("delivery {id} step {step}")))
                })
                .transpose()?,
            message: serde_json::from_str::<Message>(&body)
                .map_err(|e| StoreError::Corrupt(format!("delivery {id} body: {e}")))?,
            reactions: reactions.split_whitespace().map(str::to_string).collect(),
            state: State::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("delivery state `{state}`")))?,
            attempts: u32::try_from(attempts)
                .map_err(|_| StoreError::Corrupt(format!("delivery {id} attempts {attempts}")))?,
            platform_message_id,
            member,
            opens_day: kind == Kind::Exercise && priority == priority::OPENING,
            priority,
            press,
            language,
        })
    })();
    Ok(decoded)
}

/// Rows changed, as the count the callers keep.
fn changed(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// Writes a delivery; a second one with the same key is ignored (`false`).
pub fn enqueue(c: &dyn Conn, new: &NewDelivery) -> Result<bool> {
    let body = serde_json::to_string(&new.message)
        .map_err(|e| StoreError::Corrupt(format!("message: {e}")))?;
    let (user_id, channel_id) = new.recipient.columns();
    let reactions = new.reactions.join(" ");
    let inserted = c.execute(
        "INSERT INTO deliveries (idempotency_key, platform, user_id, channel_id, session_id, kind,
                                 step, priority, body, reactions, state, due_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11)
         ON CONFLICT (idempotency_key) DO NOTHING",
        args![
            &new.key,
            &new.platform,
            user_id,
            channel_id,
            new.session_id,
            new.kind.as_str(),
            new.step,
            new.priority,
            &body,
            &reactions,
            to_db_time(new.due_at),
        ],
    )?;
    Ok(inserted == 1)
}

/// Outbox work that is due, in burst order: pending messages by priority,
/// with reactions of sent messages ranked between first exercises and later
/// steps. Only deliveries of the given (running) platforms are considered;
/// on SQLite the unary `+` keeps the planner on the `deliveries_due` index.
pub fn ready(
    c: &dyn Conn,
    now: DateTime<Utc>,
    platforms: &[String],
    limit: u32,
) -> Result<Vec<Delivery>> {
    let rows = c.query_all(
        &ready_sql(c.engine()),
        args![to_db_time(now), priority::REACTIONS, platforms, limit],
        |row| Ok((row.int(0)?, decode(row)?)),
    )?;
    let mut ready = Vec::with_capacity(rows.len());
    for (id, delivery) in rows {
        match delivery {
            Ok(delivery) => ready.push(delivery),
            // One row that no longer reads (a library upgrade, a hand edit)
            // must not stop everyone else's messages: it is set aside.
            Err(error) => {
                tracing::error!(
                    delivery = id,
                    "setting aside a delivery that cannot be read: {error}"
                );
                fail(c, id, &format!("cannot be read: {error}"))?;
            }
        }
    }
    Ok(ready)
}

/// The due rows are ranked and cut to `?4` first, and only those are read
/// whole and joined to their recipients: a burst has thousands due, and
/// each read of a batch joined and sorted every one of them.
pub(super) fn ready_sql(engine: Engine) -> String {
    format!(
        "SELECT {COLUMNS}
           FROM (SELECT id, CASE state WHEN 'sent' THEN ?2 ELSE priority END AS burst_rank, due_at
                   FROM deliveries
                  WHERE state IN ('pending', 'sent') AND due_at <= ?1 AND {platform}
                  ORDER BY burst_rank, due_at, id
                  LIMIT ?4) AS next
           JOIN deliveries d ON d.id = next.id
           {RECIPIENT}
          ORDER BY next.burst_rank, next.due_at, next.id",
        platform = in_list(engine, "platform", 3),
    )
}

pub(super) fn next_due_sql(engine: Engine) -> String {
    format!(
        "SELECT MIN(due_at) FROM deliveries WHERE state IN ('pending', 'sent')
           AND {platform}",
        platform = in_list(engine, "platform", 1),
    )
}

pub fn next_due_at(c: &dyn Conn, platforms: &[String]) -> Result<Option<DateTime<Utc>>> {
    let at = c.query_opt(&next_due_sql(c.engine()), args![platforms], |row| {
        row.opt_int(0)
    })?;
    at.flatten().map(from_db_time).transpose()
}

/// The platform accepted the message. With reactions still to add it stays
/// in the outbox as `sent`; otherwise it is `done`.
pub fn mark_sent(
    c: &dyn Conn,
    id: i64,
    platform_message_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    mark_sent_with(c, id, platform_message_id, now, true).map(|_| ())
}

/// [`mark_sent`], where `reactions_follow` is false when the platform put
/// the choices on the message itself (buttons): then it is `done` at once.
/// Gives back when the delivery's session was due to start, if it is a
/// session's (how late a first message went out, for the metrics), in the
/// same statement.
pub fn mark_sent_with(
    c: &dyn Conn,
    id: i64,
    platform_message_id: &str,
    now: DateTime<Utc>,
    reactions_follow: bool,
) -> Result<Option<DateTime<Utc>>> {
    let scheduled = c.query_opt(
        "UPDATE deliveries
         SET state = CASE WHEN reactions = '' OR ?4 = 0 THEN 'done' ELSE 'sent' END,
             platform_message_id = ?2, sent_at = ?3, attempts = 0, last_error = NULL,
             claimed_by = NULL, claimed_until = NULL, press_token = NULL
         WHERE id = ?1
         RETURNING (SELECT scheduled_at FROM sessions WHERE sessions.id = deliveries.session_id)",
        args![
            id,
            platform_message_id,
            to_db_time(now),
            i64::from(reactions_follow)
        ],
        |row| row.opt_int(0),
    )?;
    scheduled.flatten().map(from_db_time).transpose()
}

/// Deliveries `ids` (a sender's batch) need nothing more.
pub fn mark_done(c: &dyn Conn, ids: &[i64]) -> Result<()> {
    c.execute(
        &format!(
            "UPDATE deliveries SET state = 'done', last_error = NULL,
                    claimed_by = NULL, claimed_until = NULL WHERE {}",
            in_key_list(c.engine(), "id", 1)
        ),
        args![ids],
    )?;
    Ok(())
}

/// Tries again at `due_at`, counting the attempt.
pub fn retry_at(c: &dyn Conn, id: i64, due_at: DateTime<Utc>, error: &str) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET due_at = ?2, attempts = attempts + 1, last_error = ?3,
                claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
        args![id, to_db_time(due_at), error],
    )?;
    Ok(())
}

/// Holds back everything still waiting for the same recipient until `until`,
/// so a rate limit does not reorder a member's messages.
pub fn postpone_recipient(c: &dyn Conn, recipient: &Recipient, until: DateTime<Utc>) -> Result<()> {
    let (user_id, channel_id) = recipient.columns();
    c.execute(
        "UPDATE deliveries SET due_at = CASE WHEN due_at > ?3 THEN due_at ELSE ?3 END
         WHERE state IN ('pending', 'sent') AND (user_id = ?1 OR channel_id = ?2)",
        args![user_id, channel_id, to_db_time(until)],
    )?;
    Ok(())
}

/// Drops a session's messages not sent yet (the member skipped the day).
pub fn cancel_pending_for_session(c: &dyn Conn, session_id: i64) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET state = 'failed', last_error = 'cancelled: the session was skipped'
         WHERE session_id = ?1 AND state = 'pending'",
        args![session_id],
    )?;
    Ok(())
}

/// A message not sent yet waits until `at` (the member moved their session);
/// the grace window counts from then.
pub fn postpone(c: &dyn Conn, id: i64, at: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET due_at = ?2, created_at = ?2 WHERE id = ?1 AND state = 'pending'",
        args![id, to_db_time(at)],
    )?;
    Ok(())
}

/// Gives up on session messages still unsent after `cutoff` (written before
/// it): after a long outage or with a platform switched off for a while, an
/// old exercise must not arrive out of the blue. Returns how many.
pub fn expire_stale(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<usize> {
    Ok(changed(c.execute(
        "UPDATE deliveries SET state = 'failed', last_error = 'expired: not sent within the grace window'
         WHERE state IN ('pending', 'sent') AND session_id IS NOT NULL AND created_at < ?1",
        args![to_db_time(cutoff)],
    )?))
}

/// Puts a delivery that was given up on back in the queue, due `now`.
pub fn retry_failed(c: &dyn Conn, key: &str, now: DateTime<Utc>) -> Result<bool> {
    let changed = c.execute(
        "UPDATE deliveries SET state = 'pending', attempts = 0, last_error = NULL, due_at = ?2
         WHERE idempotency_key = ?1 AND state = 'failed'",
        args![key, to_db_time(now)],
    )?;
    Ok(changed == 1)
}

/// Gives up on one delivery.
pub fn fail(c: &dyn Conn, id: i64, error: &str) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET state = 'failed', last_error = ?2,
                claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
        args![id, error],
    )?;
    Ok(())
}

/// Everything sent (or to be sent) to one member, oldest first, for their export.
pub fn all_for_member(c: &dyn Conn, user_id: i64) -> Result<Vec<serde_json::Value>> {
    c.query_all(
        "SELECT kind, state, created_at, sent_at, body FROM deliveries
         WHERE user_id = ?1 ORDER BY id",
        args![user_id],
        |row| {
            let body = row.text(4)?;
            Ok(serde_json::json!({
                "kind": row.text(0)?,
                "state": row.text(1)?,
                "created_at": row.int(2)?,
                "sent_at": row.opt_int(3)?,
                "message": serde_json::from_str::<serde_json::Value>(&body).unwrap_or(serde_json::Value::String(body)),
            }))
        },
    )
}

/// Deletes finished deliveries (sent or given up on) created before
/// `cutoff`, a batch at a time so no transaction grows large.
pub fn purge_finished_before(c: &dyn Conn, cutoff: DateTime<Utc>) -> Result<usize> {
    const BATCH: usize = 5_000;
    let mut purged = 0;
    loop {
        let deleted = changed(c.execute(
            "DELETE FROM deliveries WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE state IN ('done', 'failed') AND created_at < ?1 LIMIT ?2)",
            args![to_db_time(cutoff), BATCH],
        )?);
        purged += deleted;
        if deleted < BATCH {
            return Ok(purged);
        }
    }
}

/// Gives up on everything still waiting for a member (they cannot be messaged).
pub fn fail_pending_for_member(c: &dyn Conn, user_id: i64, error: &str) -> Result<()> {
    c.execute(
        "UPDATE deliveries SET state = 'failed', last_error = ?2
         WHERE user_id = ?1 AND state IN ('pending', 'sent')",
        args![user_id, error],
    )?;
    Ok(())
}

/// The delivery a platform message belongs to (a reaction's target).
pub fn find_by_message(
    c: &dyn Conn,
    platform: &str,
    platform_message_id: &str,
) -> Result<Option<Delivery>> {
    c.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM deliveries d {RECIPIENT}
             WHERE d.platform = ?1 AND d.platform_message_id = ?2"
        ),
        args![platform, platform_message_id],
        decode,
    )?
    .transpose()
}

/// The exercise messages of sessions started since `since` on `platform`
/// (check-ins on them still count), for catching up on reactions.
pub fn recent_exercises(
    c: &dyn Conn,
    platform: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Delivery>> {
    c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM deliveries d {RECIPIENT} JOIN sessions s ON s.id = d.session_id
             WHERE d.platform = ?1 AND d.kind = 'exercise' AND d.platform_message_id IS NOT NULL
               AND s.started_at >= ?2
             ORDER BY d.id"
        ),
        args![platform, to_db_time(since)],
        decode,
    )?
    .into_iter()
    .collect()
}

pub fn find_by_key(c: &dyn Conn, key: &str) -> Result<Option<Delivery>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM deliveries d {RECIPIENT} WHERE d.idempotency_key = ?1"),
        args![key],
        decode,
    )?
    .transpose()
}
