//! The one seam between the engine and a chat platform.

use async_trait::async_trait;
use chrono::Duration;

use crate::message::Message;
use crate::store::deliveries::Kind;

/// Where a message goes, as the platform knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A member's DM; `dm` is the cached DM channel or room, if known.
    Direct { user_id: String, dm: Option<String> },
    /// A channel or room.
    Channel(String),
}

/// One message to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The delivery's idempotency key. The same key must never produce two
    /// messages: Matrix derives the transaction id from it, Discord the nonce.
    pub key: &'a str,
    pub kind: Kind,
    pub message: &'a Message,
    /// The check-ins a member may answer this message with (an exercise's
    /// ✅ ⏭️ 🤕, the disclaimer's ✅), for platforms that put them on the
    /// message itself as buttons.
    pub choices: &'a [String],
    /// The day's first message (its first exercise, headed by the
    /// opening), which a member may move with `later`.
    pub opens_day: bool,
    /// The reader's language, for what the platform adds (button labels).
    pub language: crate::i18n::Language,
    /// The member's press this message answers, when it may go out as the
    /// press's answer (see [`crate::engine::press_answers`]).
    pub answers: Option<PressAnswer<'a>>,
}

/// The press a message answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PressAnswer<'a> {
    /// The platform's handle on the press (Discord's interaction token);
    /// `None` once it is too old to use: the message goes the ordinary way.
    pub token: Option<&'a str>,
    /// The message whose button was pressed.
    pub message_id: &'a str,
    /// An earlier attempt may have gone out through the press: the
    /// platform looks for it, and never answers the press a second time.
    pub unsure: bool,
}

/// What the platform says after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: String,
    /// The DM channel or room used, so the engine can cache it.
    pub dm: Option<String>,
    /// Sent as the answer to a member's press, not as a message of the
    /// bot's own (for `/metrics`: it cost no global rate limit).
    pub answered_press: bool,
}

/// Why a send did not work, and so what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Rate limited: try again after this long (Discord 429, M_LIMIT_EXCEEDED).
    #[error("rate limited; retry after {0}")]
    RetryAfter(Duration),
    /// Worth retrying with backoff (5xx, network).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// This member cannot be messaged (Discord 50007, Matrix forbidden): the
    /// subscription is paused with this reason.
    #[error("cannot message this member: {0}")]
    Unreachable(String),
    /// Retrying will not help (a bad request): recorded and logged.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The platform no longer accepts the bot's credentials (a revoked
    /// token) and signing in again has not worked yet: messages wait, within
    /// the grace window, instead of failing.
    #[error("signed out: {0}")]
    SignedOut(String),
}

impl SendError {
    /// The label `/metrics` counts this error under.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::RetryAfter(_) => "rate_limited",
            SendError::Transient(_) => "transient",
            SendError::Unreachable(_) => "unreachable",
            SendError::Rejected(_) => "rejected",
            SendError::SignedOut(_) => "signed_out",
        }
    }
}

/// Deliveries in flight at once on a platform that does not say otherwise.
pub const DEFAULT_SEND_CONCURRENCY: usize = 8;

#[async_trait]
pub trait Platform: Send + Sync {
    /// What an operator can do about this platform's rate limits, said
    /// when it keeps limiting the bot.
    fn rate_limit_advice(&self) -> Option<String> {
        None
    }

    /// How many deliveries this platform takes at once, unless
    /// `UPRIGHT_SEND_CONCURRENCY` says otherwise.
    fn send_concurrency(&self) -> usize {
        DEFAULT_SEND_CONCURRENCY
    }

    /// How this platform shows instants, mentions and commands.
    fn conventions(&self) -> &'static crate::conventions::Conventions {
        &crate::conventions::Conventions::PLAIN
    }

    /// Whether [`Platform::send`] puts a message's check-in choices on it
    /// (as buttons), so the bot adds no reactions for them.
    fn attaches_choices(&self) -> bool {
        false
    }

    /// Sends a message; on success returns the platform's message id.
    async fn send(&self, to: &Destination, message: Outgoing<'_>) -> Result<Sent, SendError>;

    /// The message an earlier send of a delivery may have become, when that
    /// send's outcome was never recorded because its sender died mid-send
    /// (another replica, or this process before a crash): one of the bot's
    /// messages at `to` since `since`, other than `known` (those already
    /// recorded there). Found by reading, never by sending again. Platforms
    /// whose idempotency key holds across processes (Discord's nonce, per
    /// token) need not look.
    async fn already_sent(
        &self,
        _to: &Destination,
        _since: chrono::DateTime<chrono::Utc>,
        _known: &[String],
    ) -> Result<Option<Sent>, SendError> {
        Ok(None)
    }

    /// Adds the bot's reactions to a message it sent, in order. Adding a
    /// reaction that is already there must succeed.
    async fn react(
        &self,
        to: &Destination,
        message_id: &str,
        emoji: &[String],
    ) -> Result<(), SendError>;

    /// Whether the account is still in the channel or room, so members who
    /// left drop out of a group's leaderboard and summary.
    async fn is_member(&self, channel: &str, user_id: &str) -> Result<bool, SendError>;

    /// Who (other than bots) reacted to one of the bot's messages with
    /// `emoji`, to catch up on check-ins made while the bot was away.
    /// `None`: the platform replays those itself (a Matrix sync does).
    async fn reactors(
        &self,
        _to: &Destination,
        _message_id: &str,
        _emoji: &str,
    ) -> Result<Option<Vec<String>>, SendError> {
        Ok(None)
    }
}
