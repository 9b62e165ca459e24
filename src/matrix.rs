//! The Matrix adapter: a matrix-sdk client with end-to-end encryption and its
//! SQLite store. It translates room messages (`!upright …`) into commands and
//! reactions into check-ins, and implements [`Platform`] for the engine.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::room::{Room, RoomMember};
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId, UserId,
};
use matrix_sdk::{Client, RoomState};

use crate::commands::{self, Command, Member, Place};
use crate::config::MatrixConfig;
use crate::engine::{
    Destination, Engine, Outgoing, Platform, ReactionEvent, ReactionOutcome, SendError, Sent,
};
use crate::message::{Message, Reply};
use crate::store::{reaction_events, users};

pub const PLATFORM: &str = "matrix";
const PREFIX: &str = "!upright";
const SESSION_FILE: &str = "session.json";

/// Logs in (first start) or restores the saved session (every later start),
/// so a restart keeps the same device and its encryption keys.
pub async fn connect(config: &MatrixConfig) -> anyhow::Result<Client> {
    std::fs::create_dir_all(&config.store_dir).with_context(|| {
        format!(
            "cannot create MATRIX_STORE_DIR {}",
            config.store_dir.display()
        )
    })?;
    let client = Client::builder()
        .homeserver_url(&config.homeserver)
        .sqlite_store(
            &config.store_dir,
            config.store_passphrase.as_ref().map(|p| p.expose()),
        )
        .build()
        .await
        .with_context(|| format!("cannot reach the homeserver {}", config.homeserver))?;
    let session_path = config.store_dir.join(SESSION_FILE);
    if session_path.exists() {
        let saved = std::fs::read(&session_path).context("cannot read the saved Matrix session")?;
        let session: MatrixSession =
            serde_json::from_slice(&saved).context("the saved Matrix session is damaged")?;
        client
            .restore_session(session)
            .await
            .context("cannot restore the Matrix session")?;
        tracing::info!(user = %config.user, "restored the Matrix session");
    } else {
        client
            .matrix_auth()
            .login_username(&config.user, config.password.expose())
            .initial_device_display_name("Upright")
            .await
            .with_context(|| format!("cannot log in as {}", config.user))?;
        let session = client
            .matrix_auth()
            .session()
            .context("logged in without a session")?;
        save_session(&session_path, &session)?;
        tracing::info!(user = %config.user, "logged in to Matrix; session saved");
    }
    Ok(client)
}

fn save_session(path: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let json = serde_json::to_vec(session)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(&json)?;
    Ok(())
}

/// Sends the engine's messages into Matrix rooms.
pub struct MatrixPlatform {
    client: Client,
    dms: Arc<DmRooms>,
}

/// Registers the event handlers and the platform; then call [`sync`].
pub fn attach(client: &Client, engine: &Engine) -> anyhow::Result<()> {
    let own = client.user_id().context("not logged in")?.to_owned();
    let started = MilliSecondsSinceUnixEpoch::now();
    let dms = Arc::new(DmRooms {
        client: client.clone(),
        created: tokio::sync::Mutex::default(),
    });
    let bot = Arc::new(Handler {
        engine: engine.clone(),
        own,
        started,
        dms: Arc::clone(&dms),
    });
    engine.add_platform(
        PLATFORM,
        Arc::new(MatrixPlatform {
            client: client.clone(),
            dms,
        }),
    );

    client.add_event_handler(
        |event: StrippedRoomMemberEvent, room: Room, client: Client| async move {
            if Some(event.state_key.as_ref()) == client.user_id() {
                tokio::spawn(join_with_retry(room));
            }
        },
    );
    let handler = Arc::clone(&bot);
    client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
        let handler = Arc::clone(&handler);
        async move { handler.on_message(event, room).await }
    });
    let handler = Arc::clone(&bot);
    client.add_event_handler(move |event: OriginalSyncReactionEvent, room: Room| {
        let handler = Arc::clone(&handler);
        async move { handler.on_reaction(event, room).await }
    });
    let handler = bot;
    client.add_event_handler(move |event: OriginalSyncRoomRedactionEvent, room: Room| {
        let handler = Arc::clone(&handler);
        async move { handler.on_redaction(event, room).await }
    });
    Ok(())
}

/// Syncs until `shutdown`; sync errors are retried with backoff.
pub async fn sync(client: Client, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut backoff = Duration::from_secs(1);
    loop {
        let settings = SyncSettings::default().timeout(Duration::from_secs(30));
        let started = tokio::time::Instant::now();
        tokio::select! {
            () = &mut shutdown => return,
            result = client.sync(settings) => {
                if let Err(error) = result {
                    tracing::warn!("Matrix sync failed, retrying in {}s: {error}", backoff.as_secs());
                }
            }
        }
        if started.elapsed() > Duration::from_secs(300) {
            backoff = Duration::from_secs(1); // It had been working: start the backoff afresh.
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

async fn join_with_retry(room: Room) {
    let mut delay = Duration::from_secs(1);
    for attempt in 1..=8 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined after an invite");
                return;
            }
            Err(error) => {
                tracing::warn!(room = %room.room_id(), attempt, "cannot join yet: {error}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    }
    tracing::error!(room = %room.room_id(), "gave up joining after an invite");
}

struct Handler {
    engine: Engine,
    own: OwnedUserId,
    started: MilliSecondsSinceUnixEpoch,
    dms: Arc<DmRooms>,
}

impl Handler {
    /// The bot answers only to others, and only to what was sent since it started.
    fn is_for_us(&self, sender: &UserId, sent: MilliSecondsSinceUnixEpoch) -> bool {
        sender != self.own && sent >= self.started
    }

    async fn on_message(&self, event: OriginalSyncRoomMessageEvent, room: Room) {
        if room.state() != RoomState::Joined
            || !self.is_for_us(&event.sender, event.origin_server_ts)
        {
            return;
        }
        let MessageType::Text(text) = &event.content.msgtype else {
            return;
        };
        let body = text.body.trim();
        let Some(rest) = body.strip_prefix(PREFIX) else {
            return;
        };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return; // "!uprightness" is not for us.
        }
        let in_their_dm = is_dm_with(&room, &event.sender).await;
        if in_their_dm {
            self.remember_dm(&room, &event.sender).await;
        }
        let room_member = room_member(&room, &event.sender).await;
        let member = Member {
            platform: PLATFORM.to_string(),
            user_id: event.sender.to_string(),
            display_name: room_member.as_ref().map_or_else(
                || event.sender.localpart().to_string(),
                |m| m.name().to_string(),
            ),
        };
        let place = if in_their_dm {
            Place::Direct
        } else {
            Place::Channel {
                id: room.room_id().to_string(),
                admin: room_member
                    .is_some_and(|m| m.power_level() >= matrix_sdk::ruma::Int::from(MODERATOR)),
            }
        };
        let reply = match Command::parse(rest) {
            Ok(command) => commands::handle(&self.engine, &member, &place, command).await,
            Err(error) => commands::parse_error_reply(&error),
        };
        // A personal answer asked for in a shared room goes to the member's DM.
        let room = if reply.ephemeral && !in_their_dm {
            match self.dms.with(&event.sender).await {
                Ok(dm) => {
                    let pointer = Message::text("I've answered you in our direct messages.");
                    if let Err(error) = room.send(notice(&pointer)).await {
                        tracing::warn!(room = %room.room_id(), "cannot point to the DM: {error}");
                    }
                    dm
                }
                Err(error) => {
                    tracing::warn!("cannot open a DM for a private answer: {error}");
                    return;
                }
            }
        } else {
            room
        };
        if let Err(error) = send_reply(&room, &reply).await {
            tracing::warn!(room = %room.room_id(), "cannot send a reply: {error}");
        }
    }

    /// A room with just this member and the bot is their DM: cache it.
    async fn remember_dm(&self, room: &Room, sender: &UserId) {
        let (user, name) = (sender.to_string(), sender.localpart().to_string());
        let (room_id, now) = (room.room_id().to_string(), self.engine.now());
        let result = self
            .engine
            .db()
            .call(move |c| {
                let member = users::upsert(c, PLATFORM, &user, &name, now)?;
                users::set_dm_target(c, member.id, &room_id)
            })
            .await;
        if let Err(error) = result {
            tracing::warn!("cannot remember a DM room: {error}");
        }
    }

    async fn on_reaction(&self, event: OriginalSyncReactionEvent, room: Room) {
        if !self.is_for_us(&event.sender, event.origin_server_ts) {
            return;
        }
        let name = room_member(&room, &event.sender)
            .await
            .map(|m| m.name().to_string());
        let relation = &event.content.relates_to;
        let (reaction, message, user, emoji) = (
            event.event_id.to_string(),
            relation.event_id.to_string(),
            event.sender.to_string(),
            relation.key.clone(),
        );
        let outcome = self
            .forward(message.clone(), user.clone(), name, emoji.clone(), true)
            .await;
        if outcome == ReactionOutcome::Ignored {
            return; // Not a check-in: nothing to remember for a later redaction.
        }
        let stored = self
            .engine
            .db()
            .call(move |c| {
                reaction_events::remember(c, PLATFORM, &reaction, &message, &user, &emoji)
            })
            .await;
        if let Err(error) = stored {
            tracing::warn!("cannot remember a reaction: {error}");
        }
    }

    /// A redacted reaction withdraws its check-in.
    async fn on_redaction(&self, event: OriginalSyncRoomRedactionEvent, room: Room) {
        if !self.is_for_us(&event.sender, event.origin_server_ts) {
            return;
        }
        let rules = room.clone_info().room_version_rules_or_default().redaction;
        let redacted = event.redacts(&rules).to_string();
        let found = self
            .engine
            .db()
            .call(move |c| reaction_events::take(c, PLATFORM, &redacted))
            .await;
        match found {
            Ok(Some(reaction)) => {
                self.forward(
                    reaction.message_id,
                    reaction.user_id,
                    None,
                    reaction.emoji,
                    false,
                )
                .await;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!("cannot look up a redacted reaction: {error}"),
        }
    }

    async fn forward(
        &self,
        message_id: String,
        user_id: String,
        display_name: Option<String>,
        emoji: String,
        added: bool,
    ) -> ReactionOutcome {
        let event = ReactionEvent {
            platform: PLATFORM.to_string(),
            message_id,
            user_id,
            display_name,
            emoji,
            added,
        };
        match self.engine.on_reaction(event).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!("cannot record a reaction: {error}");
                ReactionOutcome::Ignored
            }
        }
    }
}

/// Group commands need a moderator: power level 50 or more in the room.
const MODERATOR: i32 = 50;

/// The sender as the room knows them (display name, power level), if known.
async fn room_member(room: &Room, user: &UserId) -> Option<RoomMember> {
    match room.get_member(user).await {
        Ok(member) => member,
        Err(error) => {
            tracing::warn!(room = %room.room_id(), "cannot look up a room member: {error}");
            None
        }
    }
}

/// Whether `room` is the direct room of the bot and `user` alone.
async fn is_dm_with(room: &Room, user: &UserId) -> bool {
    let targets = room.direct_targets();
    targets.len() == 1
        && targets.iter().any(|t| t.as_str() == user.as_str())
        && room.is_direct().await.unwrap_or(false)
}

/// Finds or opens members' DMs. The SDK only lists a new DM once the next
/// sync has brought it back, so the rooms this bot created are remembered
/// here: a reply and a delivery for the same member must not each create one.
struct DmRooms {
    client: Client,
    created: tokio::sync::Mutex<std::collections::HashMap<OwnedUserId, OwnedRoomId>>,
}

impl DmRooms {
    /// The member's DM with the bot, created (encrypted, like Element does) if
    /// there is none.
    async fn with(&self, user: &UserId) -> Result<Room, matrix_sdk::Error> {
        let mut created = self.created.lock().await;
        if let Some(room) = created.get(user).and_then(|id| self.client.get_room(id)) {
            return Ok(room);
        }
        if let Some(room) = self.client.get_dm_room(user) {
            return Ok(room);
        }
        let room = self.client.create_dm(user).await?;
        created.insert(user.to_owned(), room.room_id().to_owned());
        Ok(room)
    }
}

/// Markdown → m.notice with both HTML and plain bodies; files as m.file.
fn notice(message: &Message) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_markdown(message.to_markdown())
}

async fn send_reply(room: &Room, reply: &Reply) -> Result<(), matrix_sdk::Error> {
    room.send(notice(&reply.message)).await?;
    if let Some(attachment) = &reply.attachment {
        let mime = attachment
            .mime
            .parse()
            .unwrap_or(mime::APPLICATION_OCTET_STREAM);
        room.send_attachment(
            &attachment.filename,
            &mime,
            attachment.bytes.clone(),
            Default::default(),
        )
        .await?;
    }
    Ok(())
}

/// A transaction id from a delivery key: the same key, the same id, so the
/// homeserver deduplicates a re-send after a crash.
fn transaction_id(key: &str) -> OwnedTransactionId {
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
        Some(_) => match error.as_client_api_error().map(|e| e.status_code.as_u16()) {
            Some(code) if code >= 500 => SendError::Transient(text),
            _ => SendError::Rejected(text),
        },
        None => SendError::Transient(text),
    }
}

impl MatrixPlatform {
    async fn room_for(&self, to: &Destination) -> Result<Room, SendError> {
        match to {
            Destination::Channel(id) => {
                let id = OwnedRoomId::try_from(id.as_str())
                    .map_err(|e| SendError::Rejected(e.to_string()))?;
                self.client
                    .get_room(&id)
                    .ok_or_else(|| SendError::Unreachable(format!("not in room {id}")))
            }
            Destination::Direct { user_id, dm } => {
                if let Some(room) = dm
                    .as_deref()
                    .and_then(|id| OwnedRoomId::try_from(id).ok())
                    .and_then(|id| self.client.get_room(&id))
                    .filter(|room| room.state() == RoomState::Joined)
                {
                    return Ok(room);
                }
                let user = OwnedUserId::try_from(user_id.as_str())
                    .map_err(|e| SendError::Rejected(e.to_string()))?;
                // Like Element: a new DM is encrypted from the start.
                self.dms.with(&user).await.map_err(|e| classify(&e))
            }
        }
    }
}

#[async_trait]
impl Platform for MatrixPlatform {
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
        })
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
            room.send(content)
                .with_transaction_id(transaction_id(&format!("react/{message_id}/{key}")))
                .await
                .map_err(|e| classify(&e))?;
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
