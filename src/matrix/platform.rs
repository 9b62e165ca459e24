//! Sends the engine's messages into Matrix rooms: members' DMs (the one the
//! engine knows, else one found or opened here) and group rooms, each with a
//! transaction id derived from the delivery key.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::room::Room;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId, UserId};
use matrix_sdk::{Client, RoomMemberships, RoomState};

use crate::conventions::Conventions;
use crate::engine::{Destination, Outgoing, Platform, SendError, Sent};
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::tr;

/// Sends the engine's messages into Matrix rooms.
pub struct MatrixPlatform {
    dms: Arc<DmRooms>,
}

/// Finds or opens members' DMs. The SDK only lists a new DM once the next
/// sync has brought it back, so the rooms this bot created are remembered
/// here: a reply and a delivery for the same member must not each create one.
///
/// It also holds the client every send goes through, which changes when the
/// homeserver signs the bot out and it comes back as a new device.
pub(super) struct DmRooms {
    client: std::sync::RwLock<Client>,
    created: tokio::sync::Mutex<std::collections::HashMap<OwnedUserId, OwnedRoomId>>,
    /// Whether a sync has filled the store. Before the first one a new
    /// device's store (a replica's first take-over) knows no rooms: a
    /// member's DM would look gone and be created again, a group room
    /// would look left.
    synced: tokio::sync::watch::Sender<bool>,
}

impl DmRooms {
    pub(super) fn new(client: Client) -> DmRooms {
        DmRooms {
            client: std::sync::RwLock::new(client),
            created: tokio::sync::Mutex::default(),
            synced: tokio::sync::watch::Sender::new(false),
        }
    }

    pub(super) fn client(&self) -> Client {
        self.client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A sync has filled the store: the engine's sends may go.
    pub(super) fn mark_synced(&self) {
        self.synced
            .send_if_modified(|synced| !std::mem::replace(synced, true));
    }

    /// The client, once a sync has filled its store. Only the engine's
    /// sends wait here: the handlers run inside the sync they would wait for.
    pub(super) async fn synced_client(&self) -> Client {
        // `self` holds the sender, so this ends only once synced.
        let _ = self.synced.subscribe().wait_for(|synced| *synced).await;
        self.client()
    }

    /// Sends go through `client` from now on.
    pub(super) async fn move_to(&self, client: Client) {
        let mut created = self.created.lock().await;
        created.clear();
        *self
            .client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = client;
    }

    /// The member's DM with the bot, created (encrypted, like Element does) if
    /// there is none.
    pub(super) async fn open(&self, user: &UserId) -> Result<Room, matrix_sdk::Error> {
        let mut created = self.created.lock().await;
        let client = self.client();
        if let Some(room) = created.get(user).and_then(|id| client.get_room(id))
            && is_private(&room).await
        {
            return Ok(room);
        }
        // A direct chat that has since gained a member is no longer the
        // member's DM, though `m.direct` still lists it.
        for room in client.joined_rooms() {
            let direct = room
                .direct_targets()
                .iter()
                .any(|target| target.as_str() == user.as_str());
            if direct && is_private(&room).await {
                return Ok(room);
            }
        }
        let room = client.create_dm(user).await?;
        created.insert(user.to_owned(), room.room_id().to_owned());
        Ok(room)
    }
}

/// Two accounts at most, joined or invited: the bot and one member. From
/// the room summary when the homeserver sent one, else from the members the
/// store knows.
pub(super) async fn is_private(room: &Room) -> bool {
    let counted = room.active_members_count();
    if counted > 0 {
        return counted <= 2;
    }
    match room.members_no_sync(RoomMemberships::ACTIVE).await {
        Ok(members) => members.len() <= 2,
        Err(error) => {
            tracing::warn!(room = %room.room_id(), "cannot count the room's members: {error}");
            false
        }
    }
}

/// Markdown → m.notice with both HTML and plain bodies; files as m.file.
pub(super) fn notice(message: &Message) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_markdown(message.to_markdown())
}

/// Sends an answer and returns its event; `key` names it, so the same
/// answer sent again (a command received again after a crash) is
/// deduplicated by the homeserver. A refusal to send a file is written in
/// `lang`, the member's language.
pub(super) async fn send_reply(
    room: &Room,
    reply: &Reply,
    key: &str,
    lang: Language,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    // Files carry a member's records (exports, progress pictures): the
    // homeserver must not hold them in the clear.
    if reply.attachment.is_some() && !room.latest_encryption_state().await?.is_encrypted() {
        let refusal = Message::text(tr!(lang, "matrix-files-need-encryption"));
        let sent = room
            .send(notice(&refusal))
            .with_transaction_id(transaction_id(key))
            .await?;
        return Ok(sent.response.event_id);
    }
    let sent = room
        .send(notice(&reply.message))
        .with_transaction_id(transaction_id(key))
        .await?;
    if let Some(attachment) = &reply.attachment {
        let mime = attachment
            .mime
            .parse()
            .unwrap_or(mime::APPLICATION_OCTET_STREAM);
        room.send_attachment(
            &attachment.filename,
            &mime,
            attachment.bytes.clone(),
            AttachmentConfig::new().txn_id(transaction_id(&format!("{key}/file"))),
        )
        .await?;
    }
    Ok(sent.response.event_id)
}

/// A transaction id from a delivery key: the same key, the same id, so the
/// homeserver deduplicates a re-send after a crash.
pub(super) fn transaction_id(key: &str) -> OwnedTransactionId {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_string()
            } else {
                format!("_{:x}", c as u32)
            }
        })
        .collect();
    OwnedTransactionId::from(format!("upright.{safe}"))
}

fn classify(error: &matrix_sdk::Error) -> SendError {
    let text = error.to_string();
    match error.client_api_error_kind() {
        Some(ErrorKind::LimitExceeded(limit)) => {
            let wait = match &limit.retry_after {
                Some(RetryAfter::Delay(delay)) => *delay,
                _ => Duration::from_secs(5),
            };
            SendError::RetryAfter(
                chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(5)),
            )
        }
        Some(ErrorKind::Forbidden) => SendError::Unreachable(text),
        Some(ErrorKind::UnknownToken(_)) => SendError::SignedOut(text),
        Some(_) => match error.as_client_api_error().map(|e| e.status_code.as_u16()) {
            Some(code) if code >= 500 => SendError::Transient(text),
            _ => SendError::Rejected(text),
        },
        None => SendError::Transient(text),
    }
}

impl MatrixPlatform {
    pub(super) fn new(dms: Arc<DmRooms>) -> MatrixPlatform {
        MatrixPlatform { dms }
    }

    async fn room_for(&self, to: &Destination) -> Result<Room, SendError> {
        let client = self.dms.synced_client().await;
        match to {
            Destination::Channel(id) => {
                let id = OwnedRoomId::try_from(id.as_str())
                    .map_err(|e| SendError::Rejected(e.to_string()))?;
                client
                    .get_room(&id)
                    .ok_or_else(|| SendError::Unreachable(format!("not in room {id}")))
            }
            Destination::Direct { user_id, dm } => {
                if let Some(room) = dm
                    .as_deref()
                    .and_then(|id| OwnedRoomId::try_from(id).ok())
                    .and_then(|id| client.get_room(&id))
                    .filter(|room| room.state() == RoomState::Joined)
                {
                    return Ok(room);
                }
                let user = OwnedUserId::try_from(user_id.as_str())
                    .map_err(|e| SendError::Rejected(e.to_string()))?;
                // Like Element: a new DM is encrypted from the start.
                self.dms.open(&user).await.map_err(|e| classify(&e))
            }
        }
    }
}

/// A homeserver persists events that arrive together in one batch, so it
/// delivers far more with many sends in flight (measured with the burst
/// bench: 500 members' last first message 17–20 s after the minute with 8,
/// 11 s with 32).
const MATRIX_SEND_CONCURRENCY: usize = 32;

/// Matrix's ways: `!upright` commands, room moderators, pills (matrix.to
/// links clients show as the member's name), times written out in the
/// member's zone (clients have no timestamp markup).
pub static CONVENTIONS: Conventions = Conventions {
    how_to_type_commands: crate::i18n::text_id!("conventions-matrix-commands"),
    who_manages_groups: crate::i18n::text_id!("conventions-matrix-group-admins"),
    mention: pill,
    instant: crate::conventions::in_local_time,
    answer_carries_disclaimer: true,
};

fn pill(user_id: &str, display_name: &str) -> String {
    format!(
        "[{}](https://matrix.to/#/{user_id})",
        crate::message::escape_markdown(display_name)
    )
}

#[async_trait]
impl Platform for MatrixPlatform {
    fn send_concurrency(&self) -> usize {
        MATRIX_SEND_CONCURRENCY
    }

    fn conventions(&self) -> &'static Conventions {
        &CONVENTIONS
    }

    fn rate_limit_advice(&self) -> Option<String> {
        let client = self.dms.client();
        let user = client.user_id()?;
        Some(format!(
            "Ask the homeserver's admin to lift the limit for the bot's account; on Synapse: \
             POST /_synapse/admin/v1/users/{}/override_ratelimit with \
             {{\"messages_per_second\": 0, \"burst_count\": 0}}",
            user
        ))
    }

    async fn send(&self, to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let room = self.room_for(to).await?;
        let response = room
            .send(notice(outgoing.message))
            .with_transaction_id(transaction_id(outgoing.key))
            .await
            .map_err(|e| classify(&e))?;
        Ok(Sent {
            message_id: response.response.event_id.to_string(),
            dm: matches!(to, Destination::Direct { .. }).then(|| room.room_id().to_string()),
            answered_press: false,
        })
    }

    /// A transaction id deduplicates only per device, and each replica has
    /// its own: so the room's latest events are read. Only what the server
    /// shows in the clear is used (sender, type, instant, id), since this
    /// device may hold no key to what another device sent.
    async fn already_sent(
        &self,
        to: &Destination,
        since: chrono::DateTime<chrono::Utc>,
        known: &[String],
    ) -> Result<Option<Sent>, SendError> {
        if matches!(to, Destination::Direct { dm: None, .. }) {
            return Ok(None); // no DM yet: nothing can have been sent there
        }
        let room = self.room_for(to).await?;
        let Some(me) = self.dms.client().user_id().map(ToOwned::to_owned) else {
            return Ok(None);
        };
        let mut options = matrix_sdk::room::MessagesOptions::backward();
        options.limit = matrix_sdk::ruma::uint!(30);
        let page = room.messages(options).await.map_err(|e| classify(&e))?;
        // A second of leeway for the homeserver's clock against ours.
        let since_ms = (since - chrono::Duration::seconds(1)).timestamp_millis();
        let mine = page.chunk.iter().rev().find_map(|event| {
            let raw = event.raw();
            let sender = raw.get_field::<String>("sender").ok().flatten()?;
            let kind = raw.get_field::<String>("type").ok().flatten()?;
            let at = raw.get_field::<i64>("origin_server_ts").ok().flatten()?;
            let id = raw.get_field::<String>("event_id").ok().flatten()?;
            (sender == me.as_str()
                && matches!(kind.as_str(), "m.room.message" | "m.room.encrypted")
                && at >= since_ms
                && !known.contains(&id))
            .then_some(id)
        });
        Ok(mine.map(|message_id| Sent {
            message_id,
            dm: matches!(to, Destination::Direct { .. }).then(|| room.room_id().to_string()),
            answered_press: false,
        }))
    }

    async fn react(
        &self,
        to: &Destination,
        message_id: &str,
        emoji: &[String],
    ) -> Result<(), SendError> {
        let room = self.room_for(to).await?;
        let event_id =
            OwnedEventId::try_from(message_id).map_err(|e| SendError::Rejected(e.to_string()))?;
        for key in emoji {
            let content = ReactionEventContent::new(Annotation::new(event_id.clone(), key.clone()));
            let sent = room
                .send(content)
                .with_transaction_id(transaction_id(&format!("react/{message_id}/{key}")))
                .await;
            match sent {
                Ok(_) => {}
                // Already there (a retry after the homeserver forgot the
                // transaction id): the reaction exists, which is the point.
                Err(error)
                    if error.client_api_error_kind() == Some(&ErrorKind::DuplicateAnnotation) => {}
                Err(error) => return Err(classify(&error)),
            }
        }
        Ok(())
    }

    /// From the room's member list, synced from the homeserver when needed.
    async fn is_member(&self, channel: &str, user_id: &str) -> Result<bool, SendError> {
        let room = self
            .room_for(&Destination::Channel(channel.to_string()))
            .await?;
        let user =
            OwnedUserId::try_from(user_id).map_err(|e| SendError::Rejected(e.to_string()))?;
        let member = room.get_member(&user).await.map_err(|e| classify(&e))?;
        Ok(member.is_some_and(|m| *m.membership() == MembershipState::Join))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::HttpError;
    use matrix_sdk::ruma::api::client::uiaa::UiaaResponse;
    use matrix_sdk::ruma::api::error::{
        Error as ApiError, ErrorBody, FromHttpResponseError, LimitExceededErrorData,
        StandardErrorBody,
    };
    use matrix_sdk::ruma::exports::http::StatusCode;

    fn server_error(status: u16, kind: ErrorKind) -> matrix_sdk::Error {
        let body = ErrorBody::Standard(StandardErrorBody::new(kind, "from the homeserver".into()));
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let error = ApiError::new(status, body);
        let response = FromHttpResponseError::Server(UiaaResponse::MatrixError(error));
        matrix_sdk::Error::Http(Box::new(HttpError::Api(Box::new(response))))
    }

    #[test]
    fn homeserver_errors_map_to_what_the_engine_should_do() {
        let mut limit = LimitExceededErrorData::new();
        limit.retry_after = Some(RetryAfter::Delay(Duration::from_millis(1500)));
        assert_eq!(
            classify(&server_error(429, ErrorKind::LimitExceeded(limit))),
            SendError::RetryAfter(chrono::Duration::milliseconds(1500))
        );
        assert_eq!(
            classify(&server_error(
                429,
                ErrorKind::LimitExceeded(LimitExceededErrorData::new())
            )),
            SendError::RetryAfter(chrono::Duration::seconds(5))
        );
        assert!(matches!(
            classify(&server_error(403, ErrorKind::Forbidden)),
            SendError::Unreachable(_)
        ));
        assert!(matches!(
            classify(&server_error(502, ErrorKind::Unknown)),
            SendError::Transient(_)
        ));
        assert!(matches!(
            classify(&server_error(400, ErrorKind::BadJson)),
            SendError::Rejected(_)
        ));
    }

    #[test]
    fn transaction_ids_are_stable_and_path_safe() {
        let id = transaction_id("sub12/upper-back/2027-03-28/ex2");
        assert_eq!(id, transaction_id("sub12/upper-back/2027-03-28/ex2"));
        assert_ne!(id, transaction_id("sub12/upper-back/2027-03-28/ex3"));
        assert!(
            id.as_str()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{id}"
        );
        let reaction = transaction_id("react/$event:example.org/✅");
        assert!(reaction.as_str().is_ascii(), "{reaction}");
    }
}
