//! What members do in Matrix rooms, turned into commands and check-ins.
//!
//! matrix-sdk runs event handlers inside its sync loop and waits for them.
//! So a handler here only filters and queues: the work (database, replies,
//! opening DMs) runs on [`OrderedWork`] in each room's order, while the sync
//! goes on fetching keys and events. A send into an encrypted room then never
//! waits on a key query the blocked sync would have answered.
//!
//! Each job holds its sync's [`Checkpoints`] batch, so the sync position is
//! saved only once the job is done: a crash replays what was not recorded.
//! Replayed events change nothing twice — a check-in is kept by its event
//! id, and an answer is sent with a transaction id made from the command's,
//! which the homeserver deduplicates.
//!
//! - this file: commands (`!upright …`, replies to the pain question) and
//!   their answers, and replaying what a `limited` sync left out;
//! - [`rooms`]: invites, members arriving and leaving;
//! - [`reactions`]: check-ins by reaction, withdrawn by redaction.

mod reactions;
mod rooms;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use matrix_sdk::room::Room;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{
    OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent,
};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId, UserId,
};
use matrix_sdk::{Client, RoomState};

use self::rooms::{Power, may, room_member};
use super::PLATFORM;
use super::platform::{DmRooms, is_private, notice, send_reply, transaction_id};
use crate::budget::Budget;
use crate::checkpoint::Checkpoints;
use crate::commands::{self, Member, Place};
use crate::config::{AllowedServers, MatrixConfig};
use crate::engine::Engine;
use crate::i18n::Language;
use crate::message::Message;
use crate::ordered::OrderedWork;
// A database write, tried again for as long as it fails for a passing
// reason: meanwhile the sync position waits (so a crash replays the event),
// and once the queue is full the sync itself waits; nothing is dropped.
use crate::store::until_written as stored;
use crate::tr;

const PREFIX: &str = "!upright";

/// Events accepted and not yet handled; past this the sync waits (nothing
/// is dropped).
const QUEUE_CAPACITY: usize = 2048;
/// Rooms handled at once: answers go out this many at a time.
const PARALLEL_ROOMS: usize = 64;

/// How long before the bot started a command may have been sent and still
/// be answered (it was down, or restarting, when the member asked).
const COMMANDS_KEPT_FOR: Duration = Duration::from_secs(120);

/// How long a profile's zone is waited for before `subscribe` goes on
/// without it.
const PROFILE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Inbound {
    engine: Engine,
    own: OwnedUserId,
    allowed_servers: AllowedServers,
    room_limit: usize,
    started: MilliSecondsSinceUnixEpoch,
    dms: Arc<DmRooms>,
    work: OrderedWork,
    checkpoints: Arc<Checkpoints>,
    /// "Answered in your DM", at most once per member and room an hour.
    pointers: Budget,
}

impl Inbound {
    /// Registers the handlers on `client`.
    pub(super) fn attach(
        client: &Client,
        engine: &Engine,
        config: &MatrixConfig,
        dms: Arc<DmRooms>,
        checkpoints: Arc<Checkpoints>,
    ) -> anyhow::Result<Arc<Inbound>> {
        let inbound = Arc::new(Inbound {
            engine: engine.clone(),
            own: client.user_id().context("not logged in")?.to_owned(),
            allowed_servers: config.allowed_servers.clone(),
            room_limit: config.room_limit,
            started: MilliSecondsSinceUnixEpoch::now(),
            dms,
            work: OrderedWork::new(QUEUE_CAPACITY, PARALLEL_ROOMS),
            checkpoints,
            pointers: Budget::new(1, chrono::Duration::hours(1)),
        });
        let this = Arc::clone(&inbound);
        client.add_event_handler(move |event: StrippedRoomMemberEvent, room: Room| {
            let this = Arc::clone(&this);
            async move { this.on_invite(event, room) }
        });
        let this = Arc::clone(&inbound);
        client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
            let this = Arc::clone(&this);
            async move { this.on_message(event, room).await }
        });
        let this = Arc::clone(&inbound);
        client.add_event_handler(move |event: OriginalSyncReactionEvent, room: Room| {
            let this = Arc::clone(&this);
            async move { this.on_reaction(event, room).await }
        });
        let this = Arc::clone(&inbound);
        client.add_event_handler(move |event: OriginalSyncRoomRedactionEvent, room: Room| {
            let this = Arc::clone(&this);
            async move { this.on_redaction(event, room).await }
        });
        let this = Arc::clone(&inbound);
        client.add_event_handler(move |event: OriginalSyncRoomMemberEvent, room: Room| {
            let this = Arc::clone(&this);
            async move { this.on_membership(event, room).await }
        });
        Ok(inbound)
    }

    /// An event a `limited` sync left out (see [`super::gaps`]), handled as
    /// if the sync had brought it. Encrypted ones come decrypted; one that
    /// is not for a handler here, or cannot be read, is passed over.
    pub(super) async fn replay(self: Arc<Self>, event: &Raw<AnySyncTimelineEvent>, room: Room) {
        fn read<'a, T: serde::Deserialize<'a>>(event: &'a Raw<AnySyncTimelineEvent>) -> Option<T> {
            event
                .deserialize_as_unchecked()
                .inspect_err(|error| tracing::debug!("a missed event was not understood: {error}"))
                .ok()
        }
        match event.get_field::<String>("type").ok().flatten().as_deref() {
            Some("m.room.message") => {
                if let Some(event) = read(event) {
                    self.on_message(event, room).await;
                }
            }
            Some("m.reaction") => {
                if let Some(event) = read(event) {
                    self.on_reaction(event, room).await;
                }
            }
            Some("m.room.redaction") => {
                if let Some(event) = read(event) {
                    self.on_redaction(event, room).await;
                }
            }
            Some("m.room.member") => {
                if let Some(event) = read(event) {
                    self.on_membership(event, room).await;
                }
            }
            _ => {}
        }
    }

    /// Queues `job` behind the room's earlier work; the sync position
    /// waits for it.
    async fn queue(&self, room: &str, job: impl Future<Output = ()> + Send + 'static) {
        let hold = self.checkpoints.hold();
        self.work
            .submit(room, async move {
                job.await;
                drop(hold);
            })
            .await;
    }

    /// Commands are answered when sent by others since shortly before the
    /// bot started: one sent just before a crash or restart still gets its
    /// answer, an old one found in a first sync does not.
    fn is_command_for_us(&self, sender: &UserId, sent: MilliSecondsSinceUnixEpoch) -> bool {
        let cutoff =
            u64::from(self.started.get()).saturating_sub(COMMANDS_KEPT_FOR.as_millis() as u64);
        sender != self.own && u64::from(sent.get()) >= cutoff
    }

    /// `!upright …` is a command. A reply to the bot's question after a 🤕
    /// ("How strong was it…?") answers it: "6 neck" is `pain 6 neck`.
    async fn on_message(self: Arc<Self>, event: OriginalSyncRoomMessageEvent, room: Room) {
        let MessageType::Text(text) = &event.content.msgtype else {
            return;
        };
        let body = text.body.trim();
        if room.state() != RoomState::Joined || event.sender == self.own {
            return;
        }
        if !self.is_command_for_us(&event.sender, event.origin_server_ts) {
            if body.starts_with(PREFIX) {
                tracing::info!(room = %room.room_id(), event = %event.event_id, "not answering a command sent over {} s before the bot started", COMMANDS_KEPT_FOR.as_secs());
            }
            return;
        }
        let (sender, id) = (event.sender.clone(), event.event_id.clone());
        let asked = Asked::now(event.origin_server_ts);
        let key = room.room_id().to_string();
        let this = Arc::clone(&self);
        match (body.strip_prefix(PREFIX), &event.content.relates_to) {
            (Some(rest), _) => {
                if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
                    return; // "!uprightness" is not for us.
                }
                let rest = rest.to_string();
                self.queue(&key, async move {
                    this.answer(room, sender, id, rest, asked).await
                })
                .await;
            }
            // Only an answer that starts with its score is looked up: the
            // replies people trade in a group room cost nothing.
            (None, Some(Relation::Reply(reply)))
                if without_reply_fallback(body).starts_with(|c: char| c.is_ascii_digit()) =>
            {
                let question = reply.in_reply_to.event_id.to_string();
                let answer = format!("pain {}", without_reply_fallback(body));
                self.queue(&key, async move {
                    match this.engine.asks_how_strong(PLATFORM, &question).await {
                        Ok(true) => this.answer(room, sender, id, answer, asked).await,
                        Ok(false) => {}
                        Err(error) => {
                            tracing::warn!("cannot look up a replied-to message: {error}")
                        }
                    }
                })
                .await;
            }
            (None, _) => {}
        }
    }

    /// Runs a command and sends the answer: in the room, or in the member's
    /// DM when it is personal and was asked for in a shared room.
    async fn answer(
        &self,
        room: Room,
        sender: OwnedUserId,
        command: OwnedEventId,
        text: String,
        asked: Asked,
    ) {
        let started = std::time::Instant::now();
        if self.answered_already(&command).await {
            return;
        }
        let (member, place) = self.asking(&room, &sender, &text).await;
        let in_their_dm = place == Place::Direct;
        let looked_up = std::time::Instant::now();
        let reply = commands::handle_text(&self.engine, &member, &place, &text).await;
        let handled = std::time::Instant::now();
        if reply.over_budget && !in_their_dm {
            // A member flooding a shared room gets no echo there.
            tracing::debug!(room = %room.room_id(), %sender, "over the command budget; not answering in a shared room");
            return;
        }
        let target = if reply.ephemeral && !in_their_dm {
            match self.dm_pointed_to(&room, &sender, &member, &command).await {
                Some(dm) => dm,
                None => return,
            }
        } else {
            room
        };
        // Only a file may need words of the adapter's own (a refusal), in
        // the member's language: asked for only then.
        let lang = match &reply.attachment {
            Some(_) => commands::language_of(&self.engine, &member).await,
            None => Language::default(),
        };
        let answer = format!("answer/{command}");
        let sent = send_reply(&target, &reply, &answer, lang).await;
        match &sent {
            Ok(_) => {
                stored("record the answer", || {
                    self.engine.answered(PLATFORM, command.as_str())
                })
                .await;
            }
            Err(error) => tracing::warn!(room = %target.room_id(), "cannot send a reply: {error}"),
        }
        if reply.carries_disclaimer {
            let message = sent.ok().map(|event| event.to_string());
            stored("record the disclaimer", || {
                self.engine
                    .disclaimer_answered(PLATFORM, sender.as_str(), message.as_deref())
            })
            .await;
        }
        // Where an answer's time went, for a closer look at a slow homeserver.
        tracing::debug!(
            %command,
            since_sent_ms = asked.since_sent_ms(),
            queued_ms = (started - asked.received).as_millis() as u64,
            lookup_ms = (looked_up - started).as_millis() as u64,
            handle_ms = (handled - looked_up).as_millis() as u64,
            send_ms = handled.elapsed().as_millis() as u64,
            "answered a command"
        );
    }

    /// Who asks, and where: their DM, or a shared room (with whether they
    /// may manage its group).
    async fn asking(&self, room: &Room, sender: &OwnedUserId, text: &str) -> (Member, Place) {
        let in_their_dm = self.is_dm_with(room, sender).await;
        let room_member = room_member(room, sender).await;
        let member = Member {
            platform: PLATFORM.to_string(),
            user_id: sender.to_string(),
            display_name: room_member
                .as_ref()
                .map_or_else(|| sender.localpart().to_string(), |m| m.name().to_string()),
            dm: in_their_dm.then(|| room.room_id().to_string()),
            profile_zone: profile_zone(room, sender, text).await,
            // Matrix says nothing of a member's language: `language` sets it.
            locale: None,
            server_locale: None,
        };
        let place = if in_their_dm {
            Place::Direct
        } else {
            Place::Channel {
                id: room.room_id().to_string(),
                admin: may(room, sender, Power::ManageGroup).await,
            }
        };
        (member, place)
    }

    /// Whether `command` has its answer: a replica taking over, or a
    /// restart, may be handed it again. If that cannot be read, it is
    /// answered (twice at worst, never not at all).
    async fn answered_already(&self, command: &OwnedEventId) -> bool {
        match self.engine.was_answered(PLATFORM, command.as_str()).await {
            Ok(answered) => answered,
            Err(error) => {
                tracing::warn!(%command, "cannot tell whether it was answered: {error}");
                false
            }
        }
    }

    /// The member's DM, for a personal answer to a command given in a
    /// shared `room`; there, a pointer to the DM at most once an hour, in
    /// the member's language.
    async fn dm_pointed_to(
        &self,
        room: &Room,
        sender: &UserId,
        member: &Member,
        command: &OwnedEventId,
    ) -> Option<Room> {
        let dm = match self.private_room(sender).await {
            Ok(dm) => dm,
            Err(error) => {
                tracing::warn!("cannot open a DM for a private answer: {error}");
                return None;
            }
        };
        let pointer_key = format!("{}/{sender}", room.room_id());
        if self.pointers.take(&pointer_key, self.engine.now()) {
            let lang = commands::language_of(&self.engine, member).await;
            let pointer = Message::text(tr!(lang, "matrix-answered-in-dm"));
            let sent = room
                .send(notice(&pointer))
                .with_transaction_id(transaction_id(&format!("pointer/{command}")))
                .await;
            if let Err(error) = sent {
                tracing::warn!(room = %room.room_id(), "cannot point to the DM: {error}");
            }
        }
        Some(dm)
    }

    /// The member's DM: the one the engine knows, while it is still theirs
    /// alone, or a new one.
    async fn private_room(&self, user: &UserId) -> Result<Room, matrix_sdk::Error> {
        let known = match self.engine.dm_of(PLATFORM, user.as_str()).await {
            Ok(known) => known,
            Err(error) => {
                tracing::warn!("cannot read a member's DM: {error}");
                None
            }
        };
        let known = known
            .and_then(|id| OwnedRoomId::try_from(id).ok())
            .and_then(|id| self.dms.client().get_room(&id))
            .filter(|room| room.state() == RoomState::Joined);
        if let Some(room) = known
            && is_private(&room).await
        {
            return Ok(room);
        }
        let room = self.dms.open(user).await?;
        let (id, name) = (room.room_id().to_string(), user.localpart());
        if let Err(error) = self
            .engine
            .remember_dm(PLATFORM, user.as_str(), name, &id)
            .await
        {
            tracing::warn!(room = %id, "cannot remember a new DM: {error}");
        }
        Ok(room)
    }

    /// Whether `room` is the DM of the bot and `user`: the two of them alone
    /// (joined or invited), and opened as a direct chat — recorded when the
    /// invite came, or listed in `m.direct`.
    async fn is_dm_with(&self, room: &Room, user: &UserId) -> bool {
        let recorded = match self.engine.dm_of(PLATFORM, user.as_str()).await {
            Ok(dm) => dm.as_deref() == Some(room.room_id().as_str()),
            Err(error) => {
                tracing::warn!("cannot read a member's DM: {error}");
                false
            }
        };
        let direct = recorded
            || room
                .direct_targets()
                .iter()
                .any(|t| t.as_str() == user.as_str());
        direct && is_private(room).await
    }
}

/// A reply's own text: older clients quote the message replied to first
/// ("> …" lines, then a blank line).
fn without_reply_fallback(body: &str) -> &str {
    let mut rest = body;
    while let Some(quoted) = rest.strip_prefix('>') {
        rest = quoted.split_once('\n').map_or("", |(_, after)| after);
    }
    rest.trim()
}

/// When a command was sent (the homeserver's clock) and received here.
#[derive(Clone, Copy)]
struct Asked {
    sent: MilliSecondsSinceUnixEpoch,
    received: std::time::Instant,
}

impl Asked {
    fn now(sent: MilliSecondsSinceUnixEpoch) -> Asked {
        Asked {
            sent,
            received: std::time::Instant::now(),
        }
    }

    fn since_sent_ms(&self) -> u64 {
        u64::from(MilliSecondsSinceUnixEpoch::now().get())
            .saturating_sub(u64::from(self.sent.get()))
    }
}

/// The `m.tz` field of the member's profile (Matrix 1.16), asked for only
/// when the command is a `subscribe` that names no zone.
async fn profile_zone(room: &Room, sender: &UserId, text: &str) -> Option<String> {
    use matrix_sdk::ruma::api::client::profile::TimeZone;
    let zoneless = matches!(
        commands::Command::parse(text),
        Ok(commands::Command::Subscribe { timezone: None, .. })
    );
    if !zoneless {
        return None;
    }
    // The whole profile, by the path every homeserver serves: the path for
    // one field depends on versions a homeserver may not advertise yet.
    let account = room.client().account();
    let asked = account.fetch_user_profile_of(sender);
    match tokio::time::timeout(PROFILE_TIMEOUT, asked).await {
        Ok(Ok(profile)) => profile.get_static::<TimeZone>().ok().flatten(),
        Ok(Err(error)) => {
            tracing::debug!(%sender, "no time zone in the profile: {error}");
            None
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::without_reply_fallback;

    #[test]
    fn a_reply_is_read_without_the_quote_older_clients_put_first() {
        assert_eq!(without_reply_fallback("6 neck"), "6 neck");
        assert_eq!(
            without_reply_fallback(
                "> <@upright:example.org> How strong was it?\n> Answer with…\n\n6 neck"
            ),
            "6 neck"
        );
        assert_eq!(without_reply_fallback("> only a quote"), "");
    }
}
