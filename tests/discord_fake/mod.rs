//! A fake Discord owned by the tests: REST over http and a gateway over ws,
//! both on 127.0.0.1. Every REST request body it receives and every response
//! body it returns is checked against Discord's OpenAPI description; each
//! violation is recorded and fails the test that reads `violations()`.
//!
//! [`FakeDiscord::start`] answers at once and limits nothing;
//! [`FakeDiscord::start_with`] can add a network latency to every REST
//! answer and enforce Discord's rate limits (see [`limits`]).
#![allow(dead_code)]

pub mod interactions;
pub mod limits;
pub mod spec;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use spec::{Body, Spec};

pub const BOT_ID: &str = "1000";
/// The bot token the fake accepts.
pub const TOKEN: &str = "fake-token";
pub const APPLICATION_ID: &str = "2000";
pub const GUILD_ID: &str = "3000";
pub const GUILD_CHANNEL_ID: &str = "4000";

/// Permissions of an ordinary member: view, send, embed, attach, react,
/// read history, use slash commands — no Manage Server.
pub const MEMBER_PERMISSIONS: &str = "2248473465835073";
/// MANAGE_GUILD (1 << 5) on top of the member's.
pub const ADMIN_PERMISSIONS: &str = "2248473465835105";

/// One REST call as the fake saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub status: u16,
    /// When the request arrived (its answer leaves `Options::latency` later).
    pub at: Instant,
    /// Whether it counts against the global limit (not interaction
    /// callbacks or webhook routes).
    pub global: bool,
}

/// How the fake behaves; `Options::default()` is what `start()` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Every REST answer leaves this long after its request arrived;
    /// concurrent requests wait independently.
    pub latency: Duration,
    /// Enforce Discord's global and per-route limits (see [`limits`]).
    pub rate_limits: bool,
}

/// How many REST requests arrived, and how many were answered 429.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: usize,
    pub rate_limited: usize,
    /// 429s for the global limit.
    pub global_rate_limited: usize,
}

/// A scripted answer for the next matching request.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub method: &'static str,
    pub path_contains: String,
    pub status: u16,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    violations: Vec<String>,
    scripted: Vec<Scripted>,
    /// What happens to the answers of requests carried out (one each).
    answer_faults: Vec<(String, String, AnswerFault)>,
    /// Messages by channel, as created, with when their request arrived.
    messages: Vec<(Instant, Value)>,
    /// nonce → message, for `enforce_nonce`.
    by_nonce: HashMap<String, Value>,
    dm_channels: HashMap<String, String>,
    reactions: Vec<(String, String)>,
    /// Members' reactions: (message, emoji) → user ids, as Discord keeps them.
    member_reactions: HashMap<(String, String), Vec<String>>,
    identify: Option<Value>,
    /// Members (user ids) who left the guild.
    left: std::collections::HashSet<String>,
    /// Files uploaded with messages and replies: (filename, bytes).
    files: Vec<(String, Vec<u8>)>,
    limits: limits::Limits,
    counts: Counts,
    /// Every interaction sent to the bot, by token.
    interactions: interactions::Interactions,
    /// Sessions resumed (op 6).
    resumes: usize,
    /// The members' app language and the server's, as interactions report
    /// them (`en-US` unless a test says otherwise).
    locales: Option<(String, String)>,
}

/// What happens to the answer of a request the fake carries out.
#[derive(Debug, Clone, Copy)]
enum AnswerFault {
    /// Lost on the way back: the client gets a 502.
    Lost,
    /// Leaves this much later.
    Held(Duration),
}

impl Inner {
    /// The first fault waiting for `method` on `path` (a lost answer, or
    /// else a held one), taken off the list.
    fn take_answer_fault(&mut self, method: &str, path: &str, lost: bool) -> Option<AnswerFault> {
        let i = self.answer_faults.iter().position(|(m, part, fault)| {
            m == method
                && path.contains(part.as_str())
                && matches!(fault, AnswerFault::Lost) == lost
        })?;
        Some(self.answer_faults.remove(i).2)
    }
}

#[derive(Clone)]
pub struct FakeDiscord {
    pub rest_url: String,
    pub gateway_url: String,
    inner: Arc<Mutex<Inner>>,
    spec: Arc<Spec>,
    ids: Arc<AtomicU64>,
    dispatch: broadcast::Sender<Value>,
    sequence: Arc<AtomicU64>,
    options: Options,
    /// Bumped to close every gateway connection, as Discord does now and
    /// then; the client is expected to resume.
    drops: Arc<tokio::sync::watch::Sender<u64>>,
}

pub fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({
        "id": id, "username": name, "discriminator": "0", "global_name": null, "avatar": null,
        "bot": bot, "public_flags": 0, "flags": 0, "primary_guild": null
    })
}

impl FakeDiscord {
    /// No latency, no rate limits.
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Room for a burst of commands: a lagging gateway session would end.
        let (dispatch, _) = broadcast::channel(16_384);
        let fake = FakeDiscord {
            rest_url: format!("http://{}", rest.local_addr().unwrap()),
            gateway_url: format!("ws://{}", gateway.local_addr().unwrap()),
            inner: Arc::new(Mutex::new(Inner::default())),
            spec: Arc::new(Spec::load()),
            ids: Arc::new(AtomicU64::new(900_000)),
            dispatch,
            sequence: Arc::new(AtomicU64::new(0)),
            options,
            drops: Arc::new(tokio::sync::watch::Sender::new(0)),
        };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(rest, app).await;
        });
        let gateway_fake = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                tokio::spawn(gateway_fake.clone().session(stream));
            }
        });
        fake
    }

    pub fn next_id(&self) -> String {
        self.ids.fetch_add(1, Ordering::Relaxed).to_string()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// The calls from the `start`-th on (cheaper than `calls()` when polling).
    pub fn calls_since(&self, start: usize) -> Vec<Call> {
        let inner = self.inner.lock().unwrap();
        inner.calls.get(start..).unwrap_or_default().to_vec()
    }

    pub fn counts(&self) -> Counts {
        self.inner.lock().unwrap().counts
    }

    pub fn violations(&self) -> Vec<String> {
        self.inner.lock().unwrap().violations.clone()
    }

    pub fn messages(&self) -> Vec<Value> {
        let inner = self.inner.lock().unwrap();
        inner.messages.iter().map(|(_, m)| m.clone()).collect()
    }

    /// Messages with when their request arrived, from the `start`-th on.
    pub fn messages_since(&self, start: usize) -> Vec<(Instant, Value)> {
        let inner = self.inner.lock().unwrap();
        inner.messages.get(start..).unwrap_or_default().to_vec()
    }

    pub fn reactions(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().reactions.clone()
    }

    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.inner.lock().unwrap().files.clone()
    }

    pub fn identify(&self) -> Option<Value> {
        self.inner.lock().unwrap().identify.clone()
    }

    pub fn script(&self, scripted: Scripted) {
        self.inner.lock().unwrap().scripted.push(scripted);
    }

    /// The next matching request is carried out at once, but its answer
    /// leaves `by` later (a slow network on the way back).
    pub fn hold_answer_to(&self, method: &str, path_contains: &str, by: Duration) {
        self.add_answer_fault(method, path_contains, AnswerFault::Held(by));
    }

    /// The next matching request is carried out, but its answer is lost on
    /// the way back (a 502 from a proxy): the client cannot tell.
    pub fn lose_answer_to(&self, method: &str, path_contains: &str) {
        self.add_answer_fault(method, path_contains, AnswerFault::Lost);
    }

    fn add_answer_fault(&self, method: &str, path_contains: &str, fault: AnswerFault) {
        self.inner.lock().unwrap().answer_faults.push((
            method.to_string(),
            path_contains.to_string(),
            fault,
        ));
    }

    /// Sends a gateway dispatch (`t`, `d`) to every connected client.
    pub fn dispatch(&self, event: &str, data: Value) {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = self
            .dispatch
            .send(json!({ "op": 0, "t": event, "s": sequence, "d": data }));
    }

    /// Closes every gateway connection with 4000 (unknown error), after
    /// which a client resumes its session.
    pub fn drop_gateway(&self) {
        self.drops.send_modify(|drops| *drops += 1);
    }

    /// How many times a client resumed a session (op 6).
    pub fn resumes(&self) -> usize {
        self.inner.lock().unwrap().resumes
    }

    /// A member's reaction Discord keeps but sends no event for (the bot was
    /// not connected to hear it).
    pub fn reaction_unheard(&self, user_id: &str, message_id: &str, emoji: &str) {
        self.remember_reaction(true, user_id, message_id, emoji);
    }

    /// The member leaves the guild: the member lookup answers Unknown Member.
    pub fn leave(&self, user_id: &str) {
        self.inner.lock().unwrap().left.insert(user_id.to_string());
    }

    /// A slash command invocation as Discord sends it (in the guild channel
    /// with an ordinary member's permissions, or in a DM).
    pub fn interaction(
        &self,
        name: &str,
        options: Value,
        from: &Value,
        in_guild: bool,
    ) -> (String, String) {
        let permissions = in_guild.then_some(MEMBER_PERMISSIONS);
        self.interaction_with(name, options, from, permissions)
    }

    /// A slash command in the guild channel with these permissions, or in a
    /// DM when `None`.
    pub fn interaction_with(
        &self,
        name: &str,
        options: Value,
        from: &Value,
        permissions: Option<&str>,
    ) -> (String, String) {
        let id = self.next_id();
        let command_id = self.next_id();
        let token = format!("token-{id}");
        let mut data = json!({
            "id": id, "application_id": APPLICATION_ID, "type": 2, "token": token, "version": 1,
            "data": { "id": command_id, "name": name, "type": 1, "options": options },
            "app_permissions": "2248473465835073", "locale": self.locale(),
            "entitlements": [], "authorizing_integration_owners": { "0": GUILD_ID },
            "attachment_size_limit": 10485760,
        });
        if let Some(permissions) = permissions {
            data["guild_id"] = json!(GUILD_ID);
            data["guild_locale"] = json!(self.guild_locale());
            data["channel_id"] = json!(GUILD_CHANNEL_ID);
            data["context"] = json!(0);
            data["member"] = json!({
                "user": from, "roles": [], "joined_at": "2027-01-01T00:00:00.000000+00:00",
                "deaf": false, "mute": false, "flags": 0, "permissions": permissions,
            });
        } else {
            let channel = self.dm_channel_for(from["id"].as_str().unwrap_or_default());
            data["channel_id"] = json!(channel);
            data["context"] = json!(1);
            data["user"] = from.clone();
        }
        let channel = data["channel_id"].as_str().unwrap_or_default().to_string();
        self.inner
            .lock()
            .unwrap()
            .interactions
            .open(&id, &token, &channel, None);
        self.dispatch("INTERACTION_CREATE", data);
        (id, token)
    }

    /// A member pressing a button (`custom_id`) on one of the bot's
    /// messages, in the guild channel or in the member's DM, as Discord
    /// sends a component interaction (type 3). Returns the interaction id.
    pub fn press(&self, from: &Value, message_id: &str, custom_id: &str, in_guild: bool) -> String {
        let message = self
            .messages()
            .into_iter()
            .find(|m| m["id"] == message_id)
            .unwrap_or_else(|| panic!("no message {message_id}"));
        let id = self.next_id();
        let mut data = json!({
            "id": id, "application_id": APPLICATION_ID, "type": 3, "token": format!("token-{id}"),
            "version": 1, "message": message, "channel_id": message["channel_id"],
            "data": { "custom_id": custom_id, "component_type": 2 },
            "app_permissions": "2248473465835073", "locale": self.locale(), "entitlements": [],
            "authorizing_integration_owners": { "0": GUILD_ID },
            "attachment_size_limit": 10485760,
        });
        if in_guild {
            data["guild_id"] = json!(GUILD_ID);
            data["guild_locale"] = json!(self.guild_locale());
            data["context"] = json!(0);
            data["member"] = json!({
                "user": from, "roles": [], "joined_at": "2027-01-01T00:00:00.000000+00:00",
                "deaf": false, "mute": false, "flags": 0, "permissions": MEMBER_PERMISSIONS,
            });
        } else {
            data["context"] = json!(1);
            data["user"] = from.clone();
        }
        let channel = message["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.inner.lock().unwrap().interactions.open(
            &id,
            &format!("token-{id}"),
            &channel,
            Some(message_id),
        );
        self.dispatch("INTERACTION_CREATE", data);
        id
    }

    /// From now on interactions report `locale` as the member's app
    /// language and `guild_locale` as the server's (Discord sends both).
    pub fn set_locales(&self, locale: &str, guild_locale: &str) {
        self.inner.lock().unwrap().locales = Some((locale.to_string(), guild_locale.to_string()));
    }

    fn locale(&self) -> String {
        let inner = self.inner.lock().unwrap();
        inner
            .locales
            .as_ref()
            .map_or("en-US".to_string(), |(locale, _)| locale.clone())
    }

    fn guild_locale(&self) -> String {
        let inner = self.inner.lock().unwrap();
        inner
            .locales
            .as_ref()
            .map_or("en-US".to_string(), |(_, guild)| guild.clone())
    }

    /// A member sending back a form (modal) the bot opened from a button on
    /// `message_id` in their DM, as Discord sends a modal submit
    /// interaction (type 5): each field's custom id and what was typed.
    pub fn submit_form(
        &self,
        from: &Value,
        message_id: &str,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let message = self
            .messages()
            .into_iter()
            .find(|m| m["id"] == message_id)
            .unwrap_or_else(|| panic!("no message {message_id}"));
        let rows: Vec<Value> = fields
            .iter()
            .map(|(id, value)| {
                json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] })
            })
            .collect();
        let id = self.next_id();
        let data = json!({
            "id": id, "application_id": APPLICATION_ID, "type": 5, "token": format!("token-{id}"),
            "version": 1, "message": message, "channel_id": message["channel_id"],
            "data": { "custom_id": custom_id, "components": rows },
            "app_permissions": "2248473465835073", "locale": self.locale(), "entitlements": [],
            "authorizing_integration_owners": { "0": GUILD_ID },
            "attachment_size_limit": 10485760, "context": 1, "user": from,
        });
        self.dispatch("INTERACTION_CREATE", data);
        id
    }

    /// `GET /channels/{id}/messages?after=&limit=`: the channel's messages
    /// after `after`, newest first.
    fn messages_after(&self, channel: &str, query: &str) -> Value {
        let parameter = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .and_then(|(_, value)| value.parse::<u64>().ok())
        };
        let (after, limit) = (
            parameter("after").unwrap_or(0),
            parameter("limit").unwrap_or(50),
        );
        let id = |m: &Value| {
            m["id"]
                .as_str()
                .and_then(|id| id.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let mut found: Vec<Value> = self
            .messages()
            .into_iter()
            .filter(|m| m["channel_id"] == channel && id(m) > after)
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse(id(m)));
        found.truncate(usize::try_from(limit).unwrap_or(50));
        Value::Array(found)
    }

    /// Replaces what a stored message shows (an edit or an UPDATE_MESSAGE).
    fn update_message(&self, message_id: &str, body: &Value) -> Option<Value> {
        let mut inner = self.inner.lock().unwrap();
        let (_, message) = inner
            .messages
            .iter_mut()
            .find(|(_, m)| m["id"] == message_id)?;
        for field in ["content", "embeds"] {
            if let Some(value) = body.get(field) {
                message[field] = value.clone();
            }
        }
        if let Some(components) = body.get("components") {
            message["components"] = components_as_sent(components.clone());
        }
        message["edited_timestamp"] = json!("2027-05-03T07:00:01.000000+00:00");
        Some(message.clone())
    }

    /// A member reacting (or un-reacting) to a message.
    pub fn reaction(
        &self,
        added: bool,
        user_id: &str,
        channel_id: &str,
        message_id: &str,
        emoji: &str,
    ) {
        self.remember_reaction(added, user_id, message_id, emoji);
        let mut data = json!({
            "user_id": user_id, "channel_id": channel_id, "message_id": message_id,
            "emoji": { "id": null, "name": emoji }, "type": 0, "burst": false,
        });
        if added {
            data["burst_colors"] = json!([]);
        }
        self.dispatch(
            if added {
                "MESSAGE_REACTION_ADD"
            } else {
                "MESSAGE_REACTION_REMOVE"
            },
            data,
        );
    }

    /// A member reacting in the guild channel: Discord adds the member.
    /// Keeps a member's reaction on the message, as Discord does whether
    /// or not the bot is connected to hear of it.
    fn remember_reaction(&self, added: bool, user_id: &str, message_id: &str, emoji: &str) {
        let mut inner = self.inner.lock().unwrap();
        let users = inner
            .member_reactions
            .entry((message_id.to_string(), emoji.to_string()))
            .or_default();
        users.retain(|u| u != user_id);
        if added {
            users.push(user_id.to_string());
        }
    }

    pub fn guild_reaction(&self, added: bool, from: &Value, message_id: &str, emoji: &str) {
        self.remember_reaction(
            added,
            from["id"].as_str().unwrap_or_default(),
            message_id,
            emoji,
        );
        let mut data = json!({
            "user_id": from["id"], "channel_id": GUILD_CHANNEL_ID, "message_id": message_id,
            "guild_id": GUILD_ID, "emoji": { "id": null, "name": emoji }, "type": 0, "burst": false,
        });
        if added {
            data["burst_colors"] = json!([]);
            data["member"] = guild_member(from);
        }
        self.dispatch(
            if added {
                "MESSAGE_REACTION_ADD"
            } else {
                "MESSAGE_REACTION_REMOVE"
            },
            data,
        );
    }

    pub fn dm_channel_for(&self, user_id: &str) -> String {
        let mut inner = self.inner.lock().unwrap();
        if let Some(channel) = inner.dm_channels.get(user_id) {
            return channel.clone();
        }
        let channel = self.next_id();
        inner
            .dm_channels
            .insert(user_id.to_string(), channel.clone());
        channel
    }

    fn message(&self, channel_id: &str, body: &Value) -> Value {
        let mut message = json!({
            "id": self.next_id(), "channel_id": channel_id, "type": 0,
            "content": body.get("content").cloned().unwrap_or(json!("")),
            "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
            "timestamp": "2027-05-03T07:00:00.000000+00:00", "edited_timestamp": null,
            "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
            "attachments": [], "pinned": false, "flags": 0,
            "components": body.get("components").cloned().map(components_as_sent).unwrap_or(json!([])),
            "author": user(BOT_ID, "upright", true),
        });
        if let Some(nonce) = body.get("nonce").filter(|n| !n.is_null()) {
            message["nonce"] = nonce.clone();
        }
        message
    }

    /// Answers one REST request: scripted failures first, then the model.
    fn answer(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &Value,
        at: Instant,
    ) -> (u16, Value) {
        {
            let mut inner = self.inner.lock().unwrap();
            if let Some(i) = inner
                .scripted
                .iter()
                .position(|s| s.method == method.as_str() && path.contains(&s.path_contains))
            {
                let scripted = inner.scripted.remove(i);
                return (scripted.status, scripted.body);
            }
            if inner
                .take_answer_fault(method.as_str(), path, true)
                .is_some()
            {
                drop(inner);
                self.model(method, path, query, body, at);
                return (502, Value::Null);
            }
        }
        self.model(method, path, query, body, at)
    }

    /// What Discord does with a request, and its answer.
    fn model(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &Value,
        at: Instant,
    ) -> (u16, Value) {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => (200, json!({ "url": self.gateway_url })),
            ("GET", ["gateway", "bot"]) => (
                200,
                json!({ "url": self.gateway_url, "shards": 1, "session_start_limit": {
                    "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1 } }),
            ),
            ("GET", ["users", "@me"]) => (200, user(BOT_ID, "upright", true)),
            ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => (
                200,
                json!({
                    "id": APPLICATION_ID, "name": "Upright", "icon": null, "description": "",
                    "type": null, "bot_public": true, "bot_require_code_grant": false,
                    "verify_key": "0000", "flags": 0, "flags_new": "0", "team": null,
                    "owner": user("1", "owner", false), "bot": user(BOT_ID, "upright", true),
                    "summary": "", "rpc_origins": [], "redirect_uris": [], "tags": [],
                    "explicit_content_filter": 0, "eligible_oauth2_scopes": ["bot", "applications.commands"],
                    "integration_types_config": {}, "role_connections_verification_url": null,
                    "interactions_endpoint_url": null, "approximate_guild_count": 1,
                    "approximate_user_install_count": 0, "approximate_user_authorization_count": 0,
                }),
            ),
            ("PUT", ["applications", _, "commands"])
            | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
                let guild = segments
                    .get(3)
                    .filter(|_| segments.len() == 5)
                    .map(|g| g.to_string());
                let registered: Vec<Value> = body
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut command| {
                        // Discord answers without the nulls and empty lists a client may send.
                        tidy_command(&mut command);
                        for (field, default) in [
                            ("type", json!(1)),
                            ("default_member_permissions", Value::Null),
                            ("nsfw", json!(false)),
                            ("options", json!([])),
                        ] {
                            if command.get(field).is_none() {
                                command[field] = default;
                            }
                        }
                        command["id"] = json!(self.next_id());
                        command["application_id"] = json!(APPLICATION_ID);
                        command["version"] = json!(self.next_id());
                        if let Some(guild) = &guild {
                            command["guild_id"] = json!(guild);
                        }
                        command
                    })
                    .collect();
                (200, Value::Array(registered))
            }
            ("POST", ["users", "@me", "channels"]) => {
                let recipient = body["recipient_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let channel = self.dm_channel_for(&recipient);
                (
                    200,
                    json!({ "id": channel, "type": 1, "last_message_id": null, "flags": 0,
                            "recipients": [user(&recipient, "member", false)] }),
                )
            }
            ("POST", ["channels", channel, "messages"]) => {
                let mut inner = self.inner.lock().unwrap();
                let nonce = body
                    .get("nonce")
                    .and_then(|n| n.as_str().map(str::to_string).or(Some(n.to_string())));
                let enforced = body
                    .get("enforce_nonce")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if let (Some(nonce), true) = (&nonce, enforced)
                    && let Some(existing) = inner.by_nonce.get(nonce)
                {
                    return (200, existing.clone());
                }
                let message = self.message(channel, body);
                if let (Some(nonce), true) = (nonce, enforced) {
                    inner.by_nonce.insert(nonce, message.clone());
                }
                inner.messages.push((at, message.clone()));
                (200, message)
            }
            (
                "PUT",
                [
                    "channels",
                    _,
                    "messages",
                    message,
                    "reactions",
                    emoji,
                    "@me",
                ],
            ) => {
                let emoji = percent_decode(emoji);
                let mut inner = self.inner.lock().unwrap();
                let reaction = (message.to_string(), emoji);
                if !inner.reactions.contains(&reaction) {
                    inner.reactions.push(reaction);
                }
                (204, Value::Null)
            }
            ("GET", ["channels", _, "messages", message, "reactions", emoji]) => {
                let key = (message.to_string(), percent_decode(emoji));
                let inner = self.inner.lock().unwrap();
                let users: Vec<Value> = inner
                    .member_reactions
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .map(|id| user(id, &format!("member-{id}"), id == BOT_ID))
                    .collect();
                (200, Value::Array(users))
            }
            ("GET", ["channels", channel]) if *channel == GUILD_CHANNEL_ID => (
                200,
                json!({
                    "id": GUILD_CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "back-class",
                    "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": null,
                    "last_message_id": null, "rate_limit_per_user": 0, "topic": null, "flags": 0,
                    "last_pin_timestamp": null,
                }),
            ),
            ("GET", ["guilds", GUILD_ID, "members", member]) => {
                if self.inner.lock().unwrap().left.contains(*member) {
                    (404, json!({ "message": "Unknown Member", "code": 10007 }))
                } else {
                    (200, guild_member(&user(member, "member", false)))
                }
            }
            ("POST", ["interactions", id, token, "callback"]) => {
                let answered = self.inner.lock().unwrap().interactions.answer(id, token);
                match answered {
                    // UPDATE_MESSAGE changes the message the button was on.
                    Ok(Some(pressed)) if body["type"] == 7 => {
                        self.update_message(&pressed, &body["data"]);
                        (204, Value::Null)
                    }
                    Ok(_) => (204, Value::Null),
                    Err(refusal) => refusal,
                }
            }
            ("PATCH", ["channels", _, "messages", message]) => {
                match self.update_message(message, body) {
                    Some(updated) => (200, updated),
                    None => (404, json!({ "message": "Unknown Message", "code": 10008 })),
                }
            }
            ("POST", ["webhooks", APPLICATION_ID, token]) => {
                let to = self.inner.lock().unwrap().interactions.follow_up(token);
                match to {
                    Ok((channel, _)) => {
                        let mut message = self.message(&channel, body);
                        message["webhook_id"] = json!(APPLICATION_ID);
                        message["application_id"] = json!(APPLICATION_ID);
                        let ephemeral = body["flags"].as_u64().is_some_and(|f| f & 64 != 0);
                        if !ephemeral {
                            // Only its reader sees an ephemeral one; it is not in the channel.
                            self.inner
                                .lock()
                                .unwrap()
                                .messages
                                .push((at, message.clone()));
                        }
                        (200, message)
                    }
                    Err(refusal) => refusal,
                }
            }
            ("PATCH", ["webhooks", APPLICATION_ID, token, "messages", "@original"]) => {
                let to = self.inner.lock().unwrap().interactions.follow_up(token);
                match to {
                    // A deferred press: the message the button was on changes.
                    Ok((_, Some(pressed))) => match self.update_message(&pressed, body) {
                        Some(updated) => (200, updated),
                        None => (404, json!({ "message": "Unknown Message", "code": 10008 })),
                    },
                    Ok((channel, None)) => (200, self.message(&channel, body)),
                    Err(refusal) => refusal,
                }
            }
            ("GET", ["channels", channel, "messages"]) => {
                (200, self.messages_after(channel, query))
            }
            _ => (404, json!({ "message": "Unknown route", "code": 0 })),
        }
    }

    async fn session(self, stream: tokio::net::TcpStream) {
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let hello = json!({ "op": 10, "d": { "heartbeat_interval": 41250 }, "s": null, "t": null });
        if socket
            .send(WsMessage::Text(hello.to_string()))
            .await
            .is_err()
        {
            return;
        }
        let mut dispatches = self.dispatch.subscribe();
        let mut drops = self.drops.subscribe();
        drops.mark_unchanged();
        loop {
            tokio::select! {
                _ = drops.changed() => {
                    let close = tokio_tungstenite::tungstenite::protocol::CloseFrame {
                        code: 4000.into(),
                        reason: "Unknown error".into(),
                    };
                    let _ = socket.send(WsMessage::Close(Some(close))).await;
                    return;
                }
                incoming = socket.next() => {
                    let Some(Ok(frame)) = incoming else { return };
                    let WsMessage::Text(text) = frame else { continue };
                    let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                    match payload["op"].as_u64() {
                        Some(1) => {
                            let ack = json!({ "op": 11, "d": null, "s": null, "t": null });
                            if socket.send(WsMessage::Text(ack.to_string())).await.is_err() { return; }
                        }
                        Some(2) => {
                            self.inner.lock().unwrap().identify = Some(payload["d"].clone());
                            self.dispatch("READY", json!({
                                "v": 10, "user": user(BOT_ID, "upright", true),
                                "guilds": [{ "id": GUILD_ID, "unavailable": true }],
                                "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
                                "application": { "id": APPLICATION_ID, "flags": 0 },
                            }));
                        }
                        Some(6) => {
                            self.inner.lock().unwrap().resumes += 1;
                            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
                            let resumed = json!({ "op": 0, "t": "RESUMED", "s": sequence, "d": {} });
                            if socket.send(WsMessage::Text(resumed.to_string())).await.is_err() { return; }
                        }
                        _ => {}
                    }
                }
                event = dispatches.recv() => {
                    let Ok(event) = event else { return };
                    if socket.send(WsMessage::Text(event.to_string())).await.is_err() { return; }
                }
            }
        }
    }
}

/// A registered command as Discord returns it: no null fields, and options
/// without empty `choices`/`channel_types`/`options` or `autocomplete: false`.
/// A guild member object for a user.
pub fn guild_member(from: &Value) -> Value {
    json!({
        "user": from, "nick": null, "avatar": null, "banner": null, "roles": [],
        "joined_at": "2027-01-01T00:00:00.000000+00:00", "premium_since": null,
        "deaf": false, "mute": false, "pending": false, "flags": 0,
        "communication_disabled_until": null,
    })
}

/// Components as Discord shows them on a message: each button with its
/// `id` within the message, as Discord adds.
fn components_as_sent(mut rows: Value) -> Value {
    let mut next = 1;
    for row in rows.as_array_mut().into_iter().flatten() {
        row["id"] = json!(next);
        next += 1;
        for component in row["components"].as_array_mut().into_iter().flatten() {
            component["id"] = json!(next);
            next += 1;
        }
    }
    rows
}

fn tidy_command(command: &mut Value) {
    if let Value::Object(fields) = command {
        fields.retain(|_, value| !value.is_null());
        if let Some(Value::Array(options)) = fields.get_mut("options") {
            for option in options.iter_mut() {
                tidy_command(option);
                if let Value::Object(option) = option {
                    option.retain(|key, value| {
                        let empty = value.as_array().is_some_and(|a| a.is_empty());
                        let empty_list =
                            matches!(key.as_str(), "choices" | "channel_types" | "options")
                                && empty;
                        let no_autocomplete = key == "autocomplete" && value == &Value::Bool(false);
                        !(empty_list || no_autocomplete)
                    });
                }
            }
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(State(fake): State<FakeDiscord>, request: Request) -> Response {
    let at = Instant::now();
    let method = request.method().clone();
    let full_path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    // A bot token other than the fake's is refused, as Discord does.
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if authorization.is_some_and(|a| a != format!("Bot {TOKEN}")) {
        let body = json!({ "message": "401: Unauthorized", "code": 0 });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let Some(path) = full_path.strip_prefix("/api/v10") else {
        fake.inner
            .lock()
            .unwrap()
            .violations
            .push(format!("{method} {full_path}: not under /api/v10"));
        return (StatusCode::NOT_FOUND, "not under /api/v10").into_response();
    };
    let body: Value = if content_type.starts_with("multipart/form-data") {
        let files = uploaded_files(&content_type, &bytes);
        fake.inner.lock().unwrap().files.extend(files);
        payload_json(&bytes).unwrap_or(Value::Null)
    } else if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            fake.inner
                .lock()
                .unwrap()
                .violations
                .push(format!("{method} {path}: body is not JSON: {e}"));
            Value::Null
        })
    };
    let mut problems = if body.is_null() {
        Vec::new()
    } else {
        fake.spec
            .violations(method.as_str(), path, Body::Request, &body)
    };
    let template = fake.spec.operation(method.as_str(), path);
    let route = limits::route(method.as_str(), template.as_deref().unwrap_or(path), path);
    let verdict = fake
        .options
        .rate_limits
        .then(|| fake.inner.lock().unwrap().limits.check(&route, at));
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    let mut limited_globally = false;
    let (status, answer) = match verdict {
        Some(limits::Verdict::Limited {
            global,
            retry_after,
            state,
        }) => {
            headers = state.headers();
            headers.push(("retry-after", format!("{}", retry_after.ceil() as u64)));
            if global {
                headers.push(("x-ratelimit-global", "true".into()));
                headers.push(("x-ratelimit-scope", "global".into()));
            } else {
                headers.push(("x-ratelimit-scope", "user".into()));
            }
            limited_globally = global;
            (429, limits::body(global, retry_after))
        }
        Some(limits::Verdict::Allowed(state)) => {
            headers = state.headers();
            fake.answer(&method, path, &query, &body, at)
        }
        None => fake.answer(&method, path, &query, &body, at),
    };
    if status == 429 && !headers.iter().any(|(name, _)| *name == "retry-after") {
        // A scripted 429.
        let after = answer["retry_after"].as_f64().unwrap_or(1.0);
        headers.push(("retry-after", format!("{}", after.ceil() as u64)));
        headers.push(("x-ratelimit-scope", "user".into()));
    }
    if !answer.is_null() {
        problems.extend(fake.spec.violations(
            method.as_str(),
            path,
            Body::Response(status),
            &answer,
        ));
    }
    problems.extend(
        fake.spec
            .header_violations(method.as_str(), path, status, &headers),
    );
    let mut held = Duration::ZERO;
    {
        let mut inner = fake.inner.lock().unwrap();
        inner.violations.extend(problems);
        inner.counts.requests += 1;
        if status == 429 {
            inner.counts.rate_limited += 1;
            if limited_globally {
                inner.counts.global_rate_limited += 1;
            }
        }
        inner.calls.push(Call {
            method: method.to_string(),
            path: path.to_string(),
            body,
            status,
            at,
            global: route.global,
        });
        if let Some(AnswerFault::Held(by)) = inner.take_answer_fault(method.as_str(), path, false) {
            held = by;
        }
    }
    if !held.is_zero() {
        tokio::time::sleep(held).await;
    }
    if !fake.options.latency.is_zero() {
        tokio::time::sleep_until((at + fake.options.latency).into()).await;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if answer.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(answer)).into_response()
    };
    let map = response.headers_mut();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            map.insert(name, value);
        }
    }
    response
}

/// The file parts of a multipart body, byte for byte.
fn uploaded_files(content_type: &str, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let delimiter = format!("\r\n--{}", boundary.trim_matches('"'));
    let mut files = Vec::new();
    // Prefix a CRLF so the first delimiter looks like the others.
    let body = [b"\r\n".as_slice(), bytes].concat();
    let parts = split_bytes(&body, delimiter.as_bytes());
    for part in parts {
        let Some(header_end) = find_bytes(part, b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..header_end]);
        let Some(name) = headers
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        files.push((name.to_string(), part[header_end + 4..].to_vec()));
    }
    files
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut bytes: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find_bytes(bytes, delimiter) {
        parts.push(&bytes[..at]);
        bytes = &bytes[at + delimiter.len()..];
    }
    parts.push(bytes);
    parts
}

/// The `payload_json` part of a multipart body (attachments).
fn payload_json(bytes: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.find("name=\"payload_json\"")?;
    let rest = &text[start..];
    let body_start = rest.find("\r\n\r\n")? + 4;
    let body_end = rest[body_start..].find("\r\n--")? + body_start;
    serde_json::from_str(&rest[body_start..body_end]).ok()
}
