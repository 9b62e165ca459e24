//! What the crash and fail-over tests share: members on Synapse and on the
//! fake Discord, what the bot sent each of them, and how they follow a
//! session (checking in on each exercise after a seeded delay, the bot up
//! or not).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::discord_fake::{FakeDiscord, user};
use crate::synapse::{Synapse, encode};

pub(crate) const BOT: &str = "upright";
pub(crate) const PASSWORD: &str = "crash-password-1";
pub(crate) const BOT_USER: &str = "@upright:localhost";

/// A small, seeded generator (SplitMix64): the same seed, the same run.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration in `[0, limit)`.
    pub(crate) fn below(&mut self, limit: Duration) -> Duration {
        let millis = limit.as_millis().max(1) as u64;
        Duration::from_millis(self.next() % millis)
    }
}

pub(crate) fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the bot sent into one member's room, by what it is.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Bot messages by marker: "opening", "1/5" … "5/5", "closing".
    pub(crate) counts: BTreeMap<&'static str, usize>,
    /// The exercise messages, step → event id.
    pub(crate) exercises: BTreeMap<u32, String>,
    /// Answers to `status` ("Schedule: …").
    pub(crate) statuses: usize,
}

pub(crate) const MARKERS: [(&str, &str); 7] = [
    ("opening", "exercises today, one message each"),
    ("1/5", "1/5 · "),
    ("2/5", "2/5 · "),
    ("3/5", "3/5 · "),
    ("4/5", "4/5 · "),
    ("5/5", "5/5 · "),
    ("closing", "Routine complete"),
];

/// What the answer to `status` says, and nothing else the bot sends.
pub(crate) const STATUS_ANSWER: &str = "Schedule: ";

pub(crate) async fn read_room(synapse: &Synapse, token: &str, room: &str) -> Received {
    let path = format!(
        "/_matrix/client/v3/rooms/{}/messages?dir=f&limit=500",
        encode(room)
    );
    let history = synapse
        .call("GET", &path, token, None)
        .await
        .unwrap_or(Value::Null);
    let mut received = Received::default();
    for event in history["chunk"].as_array().into_iter().flatten() {
        if event["type"] != "m.room.message" || event["sender"] != BOT_USER {
            continue;
        }
        let body = event["content"]["body"].as_str().unwrap_or_default();
        received.note(body, event["event_id"].as_str().unwrap_or_default());
    }
    received
}

impl Received {
    /// Counts one bot message by what it is.
    pub(crate) fn note(&mut self, text: &str, id: &str) {
        for (marker, needle) in MARKERS {
            if text.contains(needle) {
                *self.counts.entry(marker).or_default() += 1;
                if let Some(step) = marker.strip_suffix("/5").and_then(|s| s.parse().ok()) {
                    self.exercises.entry(step).or_insert(id.to_string());
                }
            }
        }
        if text.contains(STATUS_ANSWER) {
            self.statuses += 1;
        }
    }

    /// What is wrong with a member's messages: each exactly once.
    pub(crate) fn problems(&self, member: &str) -> Vec<String> {
        MARKERS
            .iter()
            .filter_map(|(marker, _)| {
                let count = self.counts.get(marker).copied().unwrap_or(0);
                (count != 1).then(|| format!("{member}: `{marker}` arrived {count} times"))
            })
            .collect()
    }

    pub(crate) fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// What a platform lets a test member do.
pub(crate) trait Member: Send + Sync + 'static {
    /// How the bot's database knows them.
    fn name(&self) -> String;
    /// What the bot has sent them so far.
    fn received(&self) -> impl std::future::Future<Output = Received> + Send;
    /// Reacts ✅ to one of the bot's messages.
    fn check_in(&self, message: String, step: u32) -> impl std::future::Future<Output = ()> + Send;
}

/// Each member checks in ✅ on each exercise `delay(member, step)` after
/// they have seen it, the bot up or not, until their closing has come (or
/// `deadline`). Returns every check-in made: (member, exercise).
pub(crate) async fn follow_session<M: Member>(
    members: &[M],
    delay: &(dyn Fn(usize, u32) -> Duration + Sync),
    deadline: Instant,
    poll: Duration,
) -> BTreeSet<(String, u32)> {
    let sent: Mutex<BTreeSet<(String, u32)>> = Mutex::default();
    let checking_in = members.iter().enumerate().map(|(i, member)| {
        let sent = &sent;
        async move {
            let mut reacted = BTreeSet::new();
            // Check-ins under way while the member keeps reading.
            let mut reactions = FuturesUnordered::new();
            while Instant::now() < deadline {
                let received = member.received().await;
                for (step, message) in &received.exercises {
                    if reacted.insert(*step) {
                        let (step, message) = (*step, message.clone());
                        reactions.push(async move {
                            tokio::time::sleep(delay(i, step)).await;
                            member.check_in(message, step).await;
                            sent.lock().unwrap().insert((member.name(), step));
                        });
                    }
                }
                if received.counts.contains_key("closing") && reacted.len() == 5 {
                    break;
                }
                let pause = tokio::time::sleep(poll);
                tokio::pin!(pause);
                loop {
                    tokio::select! {
                        () = &mut pause => break,
                        Some(()) = reactions.next() => {}
                    }
                }
            }
            while reactions.next().await.is_some() {}
        }
    });
    futures_util::future::join_all(checking_in).await;
    sent.into_inner().unwrap()
}

/// The first whole minute at least `lead` from now, in UTC.
pub(crate) fn next_minute_after(lead: Duration) -> DateTime<Utc> {
    let earliest = Utc::now() + chrono::Duration::from_std(lead).unwrap_or_default();
    let whole = (earliest.timestamp() / 60 + 1) * 60;
    DateTime::from_timestamp(whole, 0).expect("a minute in range")
}

pub(crate) async fn send(
    synapse: &Synapse,
    token: &str,
    room: &str,
    kind: &str,
    txn: &str,
    content: Value,
) {
    let path = format!(
        "/_matrix/client/v3/rooms/{}/send/{kind}/{txn}",
        encode(room)
    );
    // A member's client retries until the homeserver has it.
    for _ in 0..20 {
        if synapse
            .call("PUT", &path, token, Some(&content))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("cannot send {kind} into {room}");
}

/// Each member (by token) opens a direct chat with the bot; their room ids.
pub(crate) async fn open_dms(synapse: &Synapse, tokens: &[String]) -> Vec<String> {
    let mut rooms = Vec::new();
    let create = json!({"preset": "trusted_private_chat", "is_direct": true, "invite": [BOT_USER]});
    for token in tokens {
        let mut created = None;
        for _ in 0..60 {
            match synapse
                .call(
                    "POST",
                    "/_matrix/client/v3/createRoom",
                    token,
                    Some(&create),
                )
                .await
            {
                Ok(answer) => {
                    created = answer["room_id"].as_str().map(str::to_string);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        rooms.push(created.expect("a member's DM"));
    }
    rooms
}

/// Each member subscribes to `minute` (UTC) in their DM and agrees.
pub(crate) async fn subscribe_on_matrix(
    synapse: &Synapse,
    tokens: &[String],
    rooms: &[String],
    minute: DateTime<Utc>,
) {
    let hhmm = minute.format("%H:%M").to_string();
    for (token, room) in tokens.iter().zip(rooms) {
        for (n, body) in [
            format!("!upright subscribe {hhmm} UTC"),
            "!upright agree".into(),
        ]
        .iter()
        .enumerate()
        {
            let content = json!({"msgtype": "m.text", "body": body});
            let txn = format!("cmd{n}");
            send(synapse, token, room, "m.room.message", &txn, content).await;
        }
    }
}

/// Each member (by user id) subscribes to `minute` (UTC) and agrees, with
/// slash commands in their DM.
pub(crate) async fn subscribe_on_discord(
    fake: &FakeDiscord,
    ids: &[String],
    minute: DateTime<Utc>,
) {
    let hhmm = minute.format("%H:%M").to_string();
    for id in ids {
        let member = user(id, &format!("member{id}"), false);
        let time = json!([{ "name": "time", "type": 3, "value": hhmm }, { "name": "timezone", "type": 3, "value": "UTC" }]);
        fake.interaction("subscribe", time, &member, false);
        tokio::time::sleep(Duration::from_millis(50)).await;
        fake.interaction("agree", json!([]), &member, false);
    }
}

/// A member as a plain Matrix client in their DM with the bot.
pub(crate) struct MatrixMember {
    pub(crate) synapse: Arc<Synapse>,
    pub(crate) token: String,
    pub(crate) room: String,
    pub(crate) user: String,
}

impl Member for MatrixMember {
    fn name(&self) -> String {
        self.user.clone()
    }

    async fn received(&self) -> Received {
        read_room(&self.synapse, &self.token, &self.room).await
    }

    async fn check_in(&self, message: String, step: u32) {
        let content = json!({"m.relates_to": {
            "rel_type": "m.annotation", "event_id": message, "key": "✅"}});
        let txn = format!("done{step}");
        send(
            &self.synapse,
            &self.token,
            &self.room,
            "m.reaction",
            &txn,
            content,
        )
        .await;
    }
}

/// A member of the fake Discord in their DM with the bot. Discord keeps a
/// reaction made while the bot is away, without telling it.
pub(crate) struct DiscordMember {
    pub(crate) fake: FakeDiscord,
    pub(crate) id: String,
    pub(crate) channel: String,
}

impl Member for DiscordMember {
    fn name(&self) -> String {
        self.id.clone()
    }

    async fn received(&self) -> Received {
        discord_messages(&self.fake, &self.channel)
    }

    async fn check_in(&self, message: String, _step: u32) {
        self.fake
            .reaction(true, &self.id, &self.channel, &message, "✅");
    }
}

/// What the bot posted in one DM channel of the fake Discord.
pub(crate) fn discord_messages(fake: &FakeDiscord, channel: &str) -> Received {
    let mut received = Received::default();
    for message in fake
        .messages()
        .iter()
        .filter(|m| m["channel_id"] == channel)
    {
        let embed = &message["embeds"][0];
        let text = format!(
            "{} {}",
            embed["title"].as_str().unwrap_or_default(),
            embed["description"].as_str().unwrap_or_default()
        );
        received.note(&text, message["id"].as_str().unwrap_or_default());
    }
    received
}
