//! Writing a session's messages to the outbox: for whom, and under which
//! idempotency key, so a message written twice is still one delivery.

use crate::store::sql::Conn;
use chrono::{DateTime, Utc};

use crate::i18n::Language;
use crate::message::Message;
use crate::store::Result;
use crate::store::deliveries::{self, Kind, NewDelivery, Recipient};
use crate::store::groups::Group;
use crate::store::sessions::Session;
use crate::store::users::User;

/// Where a session's messages go: a member's DM or a group's channel, and
/// the language they are written in there.
pub(super) struct Audience {
    pub platform: String,
    pub recipient: Recipient,
    pub language: Language,
}

impl Audience {
    pub fn member(user: &User) -> Audience {
        Audience {
            platform: user.platform.clone(),
            recipient: Recipient::Member(user.id),
            language: user.language(),
        }
    }

    pub fn channel(group: &Group) -> Audience {
        Audience {
            platform: group.platform.clone(),
            recipient: Recipient::Channel(group.channel_id.clone()),
            language: group.language,
        }
    }
}

/// One of a session's messages, before it is written to the outbox.
pub(super) struct SessionMessage {
    pub kind: Kind,
    /// The exercise it is about, or a nudge's part.
    pub step: Option<u32>,
    pub priority: i64,
    pub message: Message,
    /// The reactions to add under it (the check-in choices).
    pub reactions: Vec<String>,
}

/// Writes `message` of `session` for `to` to the outbox, due `now`; `false`
/// if it was written before (its key is taken).
pub(super) fn enqueue(
    c: &dyn Conn,
    session: &Session,
    to: &Audience,
    message: SessionMessage,
    now: DateTime<Utc>,
) -> Result<bool> {
    let SessionMessage {
        kind,
        step,
        priority,
        message,
        reactions,
    } = message;
    deliveries::enqueue(
        c,
        &NewDelivery {
            key: delivery_key(session, to, kind, step),
            platform: to.platform.clone(),
            recipient: to.recipient.clone(),
            session_id: Some(session.id),
            kind,
            step,
            priority,
            message,
            reactions,
            due_at: now,
        },
    )
}

/// The idempotency key of a session's message: the same message written
/// twice (a pass repeated after a crash) is one delivery.
pub(super) fn delivery_key(
    session: &Session,
    to: &Audience,
    kind: Kind,
    step: Option<u32>,
) -> String {
    let suffix = match (kind, step, &to.recipient) {
        (Kind::Exercise, Some(step), _) => format!("ex{step}"),
        // In a group, each member who reports pain gets their own advice.
        (Kind::Advice, Some(step), Recipient::Member(user)) if session.group_id.is_some() => {
            format!("advice{step}/user{user}")
        }
        (Kind::Advice, Some(step), _) => format!("advice{step}"),
        (Kind::Nudge, Some(part), _) => format!("nudge{part}"),
        (kind, _, _) => kind.as_str().to_string(),
    };
    format!("{}/{suffix}", session_key(session))
}

/// The idempotency key prefix of a session: its subscription or group,
/// routine, local date.
pub(super) fn session_key(session: &Session) -> String {
    match (session.subscription_id, session.group_id) {
        (Some(sub), _) => format!("sub{sub}/{}/{}", session.routine_id, session.local_date),
        (None, group) => format!(
            "group{}/{}/{}",
            group.unwrap_or_default(),
            session.routine_id,
            session.local_date
        ),
    }
}
