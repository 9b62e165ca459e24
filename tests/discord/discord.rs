//! The fake Discord must be honest before any Discord test can mean
//! something: a serenity 0.12 client connects to it, decodes every gateway
//! event it sends, and every REST body on the way is checked against
//! Discord's OpenAPI description.

use crate::discord_fake;

// A press answered with the next step.
#[path = "press_answers.rs"]
mod press_answers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use discord_fake::{APPLICATION_ID, FakeDiscord, Scripted, user};
use serde_json::json;
use serenity::all::{
    ChannelId, Context, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    EventHandler, GatewayIntents, HttpBuilder, Interaction, Nonce, Reaction, ReactionType, Ready,
    UserId,
};
use serenity::async_trait;

#[derive(Default)]
struct Seen {
    ready: bool,
    commands: Vec<String>,
    reactions: Vec<(bool, String, String)>,
}

struct Recorder(Arc<Mutex<Seen>>);

#[async_trait]
impl EventHandler for Recorder {
    async fn ready(&self, _ctx: Context, _ready: Ready) {
        self.0.lock().unwrap().ready = true;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(command) = interaction {
            self.0
                .lock()
                .unwrap()
                .commands
                .push(command.data.name.clone());
            let reply = CreateInteractionResponseMessage::new()
                .content("ok")
                .ephemeral(true);
            command
                .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
                .await
                .unwrap();
        }
    }

    async fn reaction_add(&self, _ctx: Context, reaction: Reaction) {
        self.0.lock().unwrap().reactions.push((
            true,
            reaction.message_id.to_string(),
            reaction.emoji.to_string(),
        ));
    }

    async fn reaction_remove(&self, _ctx: Context, reaction: Reaction) {
        self.0.lock().unwrap().reactions.push((
            false,
            reaction.message_id.to_string(),
            reaction.emoji.to_string(),
        ));
    }
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_understands_the_fake_and_the_fake_checks_serenity() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
    let fake = FakeDiscord::start().await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let http = HttpBuilder::new("fake-token")
        .proxy(fake.rest_url.clone())
        .ratelimiter_disabled(true)
        .build();
    let intents = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGE_REACTIONS
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::DIRECT_MESSAGE_REACTIONS;
    let mut client = serenity::client::ClientBuilder::new_with_http(http, intents)
        .event_handler(Recorder(Arc::clone(&seen)))
        .await
        .unwrap();
    let http = Arc::clone(&client.http);
    tokio::spawn(async move {
        let _ = client.start().await;
    });
    eventually("READY", || seen.lock().unwrap().ready).await;
    let identify = fake.identify().unwrap();
    assert_eq!(
        identify["intents"],
        json!(intents.bits()),
        "no privileged intent"
    );

    // An interaction decodes and its response is checked.
    let member = user("5000", "ana", false);
    fake.interaction("causes", json!([]), &member, true);
    eventually("the interaction", || {
        seen.lock().unwrap().commands == ["causes"]
    })
    .await;
    eventually("the callback", || {
        fake.calls().iter().any(|c| c.path.ends_with("/callback"))
    })
    .await;

    // A DM with a nonce, enforced; a reaction; both checked.
    let dm = UserId::new(5000).create_dm_channel(&http).await.unwrap();
    let message = CreateMessage::new()
        .content("1/5 · Upper back extension")
        .nonce(Nonce::String("sub1-ex1".into()))
        .enforce_nonce(true);
    let sent = dm.id.send_message(&http, message.clone()).await.unwrap();
    let again = dm.id.send_message(&http, message).await.unwrap();
    assert_eq!(sent.id, again.id, "the same nonce gives the same message");
    http.create_reaction(dm.id, sent.id, &ReactionType::Unicode("✅".into()))
        .await
        .unwrap();
    assert_eq!(
        fake.reactions(),
        vec![(sent.id.to_string(), "✅".to_string())]
    );

    // Reaction events decode, added and removed.
    fake.reaction(true, "5000", &dm.id.to_string(), &sent.id.to_string(), "✅");
    fake.reaction(
        false,
        "5000",
        &dm.id.to_string(),
        &sent.id.to_string(),
        "✅",
    );
    eventually("both reaction events", || {
        seen.lock().unwrap().reactions.len() == 2
    })
    .await;

    // Scripted failures come back as Discord's errors.
    fake.script(Scripted {
        method: "POST",
        path_contains: "/messages".into(),
        status: 403,
        body: json!({ "message": "Cannot send messages to this user", "code": 50007 }),
    });
    let refused = ChannelId::new(dm.id.get())
        .say(&http, "hello")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("Cannot send messages"),
        "{refused}"
    );

    assert_eq!(fake.violations(), Vec::<String>::new(), "spec violations");
}

// --- The fake's rate limits ---------------------------------------------------------

/// One request to the fake as any client would make it.
async fn hit(
    client: &reqwest::Client,
    fake: &FakeDiscord,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut request = client
        .request(method, format!("{}/api/v10{path}", fake.rest_url))
        .header("authorization", "Bot fake-token");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

fn seconds(headers: &reqwest::header::HeaderMap, name: &str) -> f64 {
    header(headers, name).parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_enforces_discords_rate_limits_and_they_reset() {
    use reqwest::Method;
    let fake = FakeDiscord::start_with(discord_fake::Options {
        latency: Duration::ZERO,
        rate_limits: true,
    })
    .await;
    let client = reqwest::Client::new();
    let message = || Some(json!({ "content": "hello" }));
    let react = |channel: u64| format!("/channels/{channel}/messages/1/reactions/%E2%9C%85/@me");
    // An interaction to answer once the global limit is used up.
    let (interaction, token) =
        fake.interaction("status", json!([]), &user("7", "eve", false), false);

    // Reactions: 1 per 0.25 s per channel.
    let (status, first, _) = hit(&client, &fake, Method::PUT, &react(10), None).await;
    assert_eq!(status, 204);
    assert_eq!(header(&first, "x-ratelimit-limit"), "1");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "0");
    let (status, limited, body) = hit(&client, &fake, Method::PUT, &react(10), None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(header(&limited, "x-ratelimit-scope"), "user");
    assert!(limited.get("x-ratelimit-global").is_none());
    assert_eq!(
        header(&limited, "x-ratelimit-bucket"),
        header(&first, "x-ratelimit-bucket")
    );
    assert_eq!(body["global"], json!(false));
    assert_eq!(body["message"], json!("You are being rate limited."));
    let wait = body["retry_after"].as_f64().unwrap();
    assert!(wait > 0.0 && wait <= 0.25, "{body}");
    assert_eq!(
        header(&limited, "retry-after"),
        "1",
        "whole seconds, rounded up"
    );
    assert!(seconds(&limited, "x-ratelimit-reset-after") <= 0.25);
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((seconds(&limited, "x-ratelimit-reset") - epoch).abs() < 2.0);
    // Another channel is another bucket; after the reset the route works again.
    let (status, _, _) = hit(&client, &fake, Method::PUT, &react(11), None).await;
    assert_eq!(status, 204, "a channel has its own bucket");
    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    let (status, _, _) = hit(&client, &fake, Method::PUT, &react(10), None).await;
    assert_eq!(status, 204, "the route's limit resets");

    // Messages: 5 per 5 s per channel, counted down in the headers.
    for remaining in (0..5).rev() {
        let (status, headers, _) = hit(
            &client,
            &fake,
            Method::POST,
            "/channels/20/messages",
            message(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "x-ratelimit-limit"), "5");
        assert_eq!(
            header(&headers, "x-ratelimit-remaining"),
            remaining.to_string()
        );
    }
    let (status, _, body) = hit(
        &client,
        &fake,
        Method::POST,
        "/channels/20/messages",
        message(),
    )
    .await;
    assert_eq!(status, 429);
    assert!(body["retry_after"].as_f64().unwrap() > 4.0, "{body}");

    // Global: 50 per second. Wait for the last second's requests to age out,
    // then send 60 at once on 60 channels (no route bucket in the way).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = fake.counts();
    let burst = (0..60).map(|n| {
        let (client, fake) = (client.clone(), fake.clone());
        async move {
            let path = format!("/channels/{}/messages", 100 + n);
            hit(&client, &fake, Method::POST, &path, message()).await
        }
    });
    let answers = futures_util::future::join_all(burst).await;
    // Interaction callbacks do not count against the global limit.
    let (status, _, _) = hit(
        &client,
        &fake,
        Method::POST,
        &format!("/interactions/{interaction}/{token}/callback"),
        Some(json!({ "type": 5 })),
    )
    .await;
    assert_eq!(
        status, 204,
        "interaction callbacks are not globally limited"
    );
    let accepted = answers.iter().filter(|(status, ..)| *status == 200).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == 429)
        .collect();
    assert_eq!((accepted, refused.len()), (50, 10));
    let mut longest = 0.0_f64;
    for (_, headers, body) in &refused {
        assert_eq!(header(headers, "x-ratelimit-global"), "true");
        assert_eq!(header(headers, "x-ratelimit-scope"), "global");
        assert_eq!(header(headers, "retry-after"), "1");
        assert_eq!(body["global"], json!(true), "{body}");
        let wait = body["retry_after"].as_f64().unwrap();
        assert!(wait > 0.0 && wait <= 1.0, "{body}");
        longest = longest.max(wait);
    }
    let after = fake.counts();
    assert_eq!(after.requests - before.requests, 61);
    assert_eq!(after.rate_limited - before.rate_limited, 10);
    assert_eq!(after.global_rate_limited - before.global_rate_limited, 10);
    // The global limit resets too.
    tokio::time::sleep(Duration::from_secs_f64(longest)).await;
    let (status, _, _) = hit(
        &client,
        &fake,
        Method::POST,
        "/channels/99/messages",
        message(),
    )
    .await;
    assert_eq!(status, 200, "the global limit resets");

    let calls = fake.calls();
    let callback = calls
        .iter()
        .find(|c| c.path.ends_with("/callback"))
        .unwrap();
    assert!(!callback.global);
    assert_eq!(
        fake.counts().rate_limited,
        calls.iter().filter(|c| c.status == 429).count()
    );
    assert_eq!(fake.violations(), Vec::<String>::new(), "spec violations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_holds_interactions_to_discords_rules() {
    use reqwest::Method;
    let fake = FakeDiscord::start().await;
    let client = reqwest::Client::new();
    let dm = fake.dm_channel_for("7");
    let (id, token) = fake.interaction("status", json!([]), &user("7", "eve", false), false);
    let follow_up = format!("/webhooks/{APPLICATION_ID}/{token}");
    let callback = format!("/interactions/{id}/{token}/callback");
    let message = json!({ "embeds": [{ "type": "rich", "title": "2/5", "description": "next" }] });

    // No follow-up before the interaction is answered.
    let (status, _, body) = hit(
        &client,
        &fake,
        Method::POST,
        &follow_up,
        Some(message.clone()),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (404, json!(10015)),
        "{body}"
    );
    // One answer, not two.
    let answer = Some(json!({ "type": 5 }));
    let (status, _, _) = hit(&client, &fake, Method::POST, &callback, answer.clone()).await;
    assert_eq!(status, 204);
    let (status, _, body) = hit(&client, &fake, Method::POST, &callback, answer).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!(40060)),
        "{body}"
    );
    // Then follow-ups go to the interaction's channel, where reading finds them.
    let (status, _, sent) = hit(&client, &fake, Method::POST, &follow_up, Some(message)).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["channel_id"], json!(dm));
    let (status, _, found) = hit(
        &client,
        &fake,
        Method::GET,
        &format!("/channels/{dm}/messages?after=0&limit=50"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found[0]["id"], sent["id"], "{found}");
    // Interaction routes are outside the global limit; reading is inside it.
    let global: Vec<(String, bool)> = fake
        .calls()
        .into_iter()
        .map(|c| (c.method, c.global))
        .collect();
    assert_eq!(
        global,
        [
            ("POST".to_string(), false),
            ("POST".to_string(), false),
            ("POST".to_string(), false),
            ("POST".to_string(), false),
            ("GET".to_string(), true)
        ]
    );
    // An interaction nobody sent cannot be answered.
    let (status, _, body) = hit(
        &client,
        &fake,
        Method::POST,
        "/interactions/1/token-1/callback",
        Some(json!({ "type": 5 })),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (404, json!(10062)),
        "{body}"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_delays_each_answer_on_its_own() {
    let latency = Duration::from_millis(300);
    let fake = FakeDiscord::start_with(discord_fake::Options {
        latency,
        rate_limits: false,
    })
    .await;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let requests = (0..8).map(|n| {
        let (client, fake) = (client.clone(), fake.clone());
        async move {
            let path = format!("/channels/{}/messages", 200 + n);
            let sent = std::time::Instant::now();
            let (status, ..) = hit(
                &client,
                &fake,
                reqwest::Method::POST,
                &path,
                Some(json!({ "content": "hi" })),
            )
            .await;
            (status, sent.elapsed())
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    for (status, took) in &answers {
        assert_eq!(*status, 200);
        assert!(*took >= latency, "{took:?}");
    }
    // Eight answers one after another would take 2.4 s; side by side about
    // 0.3 s. The bound sits far from both, so a busy machine cannot fail it.
    assert!(
        started.elapsed() < latency * 6,
        "answers are delayed side by side, not one after another: {:?}",
        started.elapsed()
    );
    assert!(fake.calls().iter().all(|c| c.status == 200));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_limiter_keeps_a_concurrent_burst_under_discords_limits() {
    use futures_util::StreamExt as _;
    use upright::discord::proxy::ProxyRest;
    let fake = FakeDiscord::start_with(discord_fake::Options {
        latency: Duration::from_millis(80),
        rate_limits: true,
    })
    .await;
    let proxy = Arc::new(
        ProxyRest::new(&fake.rest_url, &upright::config::Secret::new("fake-token")).unwrap(),
    );

    // DM openings: one bucket for the bot (10 per second), 8 at a time.
    let opened: Vec<_> = futures_util::stream::iter(1..=15_u64)
        .map(|n| {
            let proxy = Arc::clone(&proxy);
            async move { proxy.open_dm(UserId::new(70_000 + n)).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let opened: std::collections::BTreeSet<String> = opened
        .into_iter()
        .map(|channel| channel.unwrap().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> = (1..=15_u64)
        .map(|n| fake.dm_channel_for(&(70_000 + n).to_string()))
        .collect();
    assert_eq!(opened, expected, "each member's own DM channel");

    // 150 first messages, 8 in flight, as the engine sends a burst.
    let before = fake.calls().len();
    let sent: Vec<_> = futures_util::stream::iter(0..150_u64)
        .map(|n| {
            let proxy = Arc::clone(&proxy);
            async move {
                let message = CreateMessage::new()
                    .content(format!("session {n}"))
                    .nonce(Nonce::String(format!("burst-{n}")))
                    .enforce_nonce(true);
                proxy
                    .post_message(ChannelId::new(80_000 + n), &message)
                    .await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    // A loaded machine can bunch requests on the way, so a rare 429 may
    // still come; it must say how long to wait (the outbox then waits and
    // sends again), and stay rare. How close the limiter comes to 50/s is
    // the burst benchmark's to measure, not a test's.
    let limited = sent
        .iter()
        .filter(|r| matches!(r, Err(upright::engine::SendError::RetryAfter(_))))
        .count();
    assert_eq!(
        sent.iter().filter(|r| r.is_ok()).count() + limited,
        150,
        "{sent:?}"
    );
    assert!(limited <= 3, "{limited} of 150 answered 429");
    let admitted: Vec<_> = fake.calls()[before..]
        .iter()
        .filter(|c| c.path.ends_with("/messages") && c.status == 200)
        .map(|c| c.at)
        .collect();
    assert_eq!(admitted.len() + limited, 150);

    // Three reactions on one message: 1 per 0.25 s on the channel.
    let channel = ChannelId::new(80_000);
    let message = serenity::all::MessageId::new(1);
    for emoji in ["✅", "⏭️", "🤕"] {
        proxy.add_reaction(channel, message, emoji).await.unwrap();
    }

    let counts = fake.counts();
    assert_eq!(counts.rate_limited, limited, "{counts:?}");
    assert_eq!(fake.violations(), Vec::<String>::new());
}

// --- The adapter against the fake ------------------------------------------------

use crate::common;

use common::{Get, utc};
use upright::clock::{Clock, ManualClock};
use upright::config::{DiscordConfig, Secret};
use upright::engine::{Engine, Settings};
use upright::store::Db;
use upright::store::sql::ConnExt;

struct Bot {
    engine: Engine,
    clock: ManualClock,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn start_bot(
    fake: &FakeDiscord,
    database: &std::path::Path,
    clock: &ManualClock,
    guild: Option<u64>,
) -> Bot {
    let config = DiscordConfig {
        token: Secret::new("fake-token"),
        guild_id: guild,
        api_base: Some(fake.rest_url.clone()),
    };
    let engine = Engine::new(
        Db::open(database).unwrap(),
        common::content(),
        Arc::new(clock.clone()),
        Settings::default(),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.changed().await;
    };
    let adapter = {
        let (engine, rx) = (engine.clone(), stopped.clone());
        tokio::spawn(async move {
            upright::discord::run(&config, &engine, until(rx))
                .await
                .unwrap()
        })
    };
    let runner = {
        let (engine, rx) = (engine.clone(), stopped.clone());
        tokio::spawn(async move { engine.run(until(rx)).await })
    };
    eventually("command registration", || {
        fake.calls()
            .iter()
            .any(|c| c.method == "PUT" && c.path.ends_with("/commands"))
    })
    .await;
    // READY reached the adapter: the platform reports itself connected.
    eventually("the gateway connected", || {
        let health = engine.telemetry().health.verdict(clock.now());
        health.platforms.get(upright::discord::PLATFORM)
            == Some(&upright::telemetry::Link::Connected)
    })
    .await;
    Bot {
        engine,
        clock: clock.clone(),
        stop,
        tasks: vec![adapter, runner],
    }
}

impl Bot {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("the bot stops")
                .unwrap();
        }
    }

    /// Waits until the bot has recorded sending `message_id`: it writes the
    /// record as Discord answers the send, long before any member could
    /// press one of the message's buttons.
    async fn has_sent(&self, message_id: &str) {
        let sql =
            format!("SELECT COUNT(*) FROM deliveries WHERE platform_message_id = '{message_id}'");
        eventually("the bot to record its message", || self.count(&sql) == 1).await;
    }

    fn count(&self, sql: &str) -> i64 {
        let sql = sql.to_string();
        self.engine
            .db()
            .call_blocking(move |c| c.query_one(&sql, &[], |r| r.get(0)))
            .unwrap()
    }
}

/// The embeds of the interaction responses (and follow-ups) sent so far.
fn replies(fake: &FakeDiscord) -> Vec<serde_json::Value> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path.ends_with("/callback") || c.path.starts_with("/webhooks/"))
        .map(|c| c.body)
        .collect()
}

fn reply_text(body: &serde_json::Value) -> String {
    let data = body.get("data").unwrap_or(body);
    let embed = &data["embeds"][0];
    format!(
        "{} {} {}",
        data["content"].as_str().unwrap_or(""),
        embed["title"].as_str().unwrap_or(""),
        embed["description"].as_str().unwrap_or("")
    )
}

async fn reply_to(
    fake: &FakeDiscord,
    name: &str,
    options: serde_json::Value,
    from: &serde_json::Value,
    in_guild: bool,
) -> serde_json::Value {
    let before = replies(fake).len();
    fake.interaction(name, options, from, in_guild);
    eventually(&format!("the reply to /{name}"), || {
        replies(fake).len() > before
    })
    .await;
    replies(fake)[before].clone()
}

/// Messages the bot posted in a channel, in order.
fn posted_in(fake: &FakeDiscord, channel: &str) -> Vec<serde_json::Value> {
    fake.messages()
        .into_iter()
        .filter(|m| m["channel_id"] == channel)
        .collect()
}

/// The custom ids of a message's buttons, in order.
fn buttons_of(message: &serde_json::Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|button| button["custom_id"].as_str().map(str::to_string))
        .collect()
}

fn text_of(message: &serde_json::Value) -> String {
    let embed = &message["embeds"][0];
    format!(
        "{} {}",
        embed["title"].as_str().unwrap_or(""),
        embed["description"].as_str().unwrap_or("")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_registered_with_its_options() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, Some(3000)).await;
    let registration = fake
        .calls()
        .into_iter()
        .find(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .unwrap();
    assert_eq!(
        registration.path, "/applications/2000/guilds/3000/commands",
        "DISCORD_GUILD_ID registers in that guild"
    );
    let commands = registration.body.as_array().unwrap();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "subscribe",
        "agree",
        "unsubscribe",
        "pause",
        "resume",
        "skip",
        "later",
        "followup",
        "pain",
        "status",
        "timezone",
        "routine",
        "exercise",
        "causes",
        "why",
        "tips",
        "precautions",
        "disclaimer",
        "streak",
        "progress",
        "trends",
        "privacy",
        "weekly",
        "leaderboard",
        "nudges",
        "group",
        "help",
    ] {
        assert!(
            names.contains(&expected),
            "/{expected} is not registered: {names:?}"
        );
    }
    // A member's commands install to a server or to the member's account
    // and work in DMs too; a group's stay in its server.
    for command in commands {
        let (install, contexts) = match command["name"].as_str().unwrap() {
            "group" | "leaderboard" => (json!([0]), json!([0])),
            _ => (json!([0, 1]), json!([0, 1, 2])),
        };
        assert_eq!(command["integration_types"], install, "{command}");
        assert_eq!(command["contexts"], contexts, "{command}");
    }
    // Every command the core lists as taking nothing is offered as it says.
    for (name, description) in upright::commands::WITHOUT_ARGUMENTS {
        let command = commands.iter().find(|c| c["name"] == *name);
        assert_eq!(
            command.map(|c| c["description"].clone()),
            Some(json!(description.in_language(upright::i18n::Language::En))),
            "/{name}"
        );
    }
    let subscribe = commands.iter().find(|c| c["name"] == "subscribe").unwrap();
    assert!(!subscribe["description"].as_str().unwrap().is_empty());
    let option = |name: &str| {
        subscribe["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(option("time")["required"], json!(true));
    assert_eq!(option("timezone")["autocomplete"], json!(true));
    assert_eq!(option("days")["choices"].as_array().unwrap().len(), 5);
    assert_eq!(
        (
            option("pace")["min_value"].as_f64(),
            option("pace")["max_value"].as_f64()
        ),
        (Some(1.0), Some(30.0))
    );
    let identify = fake.identify().unwrap();
    assert_eq!(
        identify["intents"],
        json!(upright::discord::intents().bits())
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_coached_by_dm_on_discord() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &database, &clock, None).await;
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.path == "/applications/2000/commands"),
        "registered globally"
    );
    let ana = user("5000", "ana", false);

    // Topics, from content/.
    let causes = reply_to(&fake, "causes", json!([]), &ana, true).await;
    assert!(reply_text(&causes).contains("posture"), "{causes}");
    for (topic, needle) in [
        ("precautions", "sharp"),
        ("why", "posture"),
        ("tips", "calendar"),
    ] {
        let reply = reply_to(&fake, topic, json!([]), &ana, true).await;
        assert!(
            reply_text(&reply).to_lowercase().contains(needle),
            "/{topic}: {reply}"
        );
    }

    // Bad options: ephemeral, specific, nothing stored.
    let bad = reply_to(
        &fake,
        "subscribe",
        json!([{ "name": "time", "type": 3, "value": "25:61" }]),
        &ana,
        true,
    )
    .await;
    assert!(reply_text(&bad).contains("no minute 61"), "{bad}");
    assert_eq!(bad["data"]["flags"], json!(64), "ephemeral in a server");
    let bad = reply_to(&fake, "subscribe", json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "Mars/Olympus" }]), &ana, true).await;
    assert!(reply_text(&bad).contains("Mars/Olympus"), "{bad}");
    assert_eq!(bot.count("SELECT COUNT(*) FROM subscriptions"), 0);

    // Subscribe and agree; the disclaimer arrives by DM.
    let subscribed = reply_to(&fake, "subscribe", json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]), &ana, true).await;
    assert!(
        reply_text(&subscribed).contains("Subscribed"),
        "{subscribed}"
    );
    let dm = fake.dm_channel_for("5000");
    eventually("the disclaimer", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("To agree"))
    })
    .await;
    let agreed = reply_to(&fake, "agree", json!([]), &ana, true).await;
    assert!(reply_text(&agreed).contains("first session"), "{agreed}");

    // At 07:00: the opening and exercise 1 with three reactions.
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    eventually("exercise 1", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("1/5"))
    })
    .await;
    let first = posted_in(&fake, &dm)
        .into_iter()
        .find(|m| text_of(m).contains("1/5"))
        .unwrap();
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        buttons_of(&first),
        [
            "upright:done",
            "upright:skip",
            "upright:pain",
            "upright:later"
        ],
        "check-ins are buttons on the message, and the first can be moved"
    );
    assert!(fake.reactions().is_empty(), "the bot adds no reactions");
    assert!(
        first["nonce"].as_str().is_some_and(|n| n.len() <= 25),
        "a nonce from the delivery key"
    );
    let dm_opens = fake
        .calls()
        .iter()
        .filter(|c| c.path == "/users/@me/channels")
        .count();
    assert_eq!(dm_opens, 1, "the DM channel is opened once and cached");

    // The bot's own reaction is not a check-in; the member's ✅ is.
    fake.reaction(true, "1000", &dm, &first_id, "✅");
    fake.reaction(true, "5000", &dm, &first_id, "✅");
    eventually("exercise 2", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("2/5"))
    })
    .await;
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'"),
        1
    );

    // 🤕 → the stop-and-consult advice.
    let second = posted_in(&fake, &dm)
        .into_iter()
        .find(|m| text_of(m).contains("2/5"))
        .unwrap();
    fake.reaction(true, "5000", &dm, second["id"].as_str().unwrap(), "🤕");
    eventually("the advice", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("healthcare professional"))
    })
    .await;

    eventually("the closing", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("stopped early"))
    })
    .await;

    // /progress: the picture is attached, decodes, and shows today's check-in.
    let progress = reply_to(&fake, "progress", json!([]), &ana, true).await;
    assert_eq!(
        progress["data"]["attachments"][0]["filename"],
        json!("progress.png"),
        "{progress}"
    );
    let (name, png) = fake.files().pop().expect("an uploaded file");
    assert_eq!(name, "progress.png");
    common::decode_png(&png).assert_shows("2027-05-03", "2027-05-03", "2027-05-02");

    // A restart sends nothing twice.
    let before = fake.messages().len();
    bot.stop().await;
    let bot = start_bot(&fake, &database, &clock, None).await;
    bot.engine.wake();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fake.messages().len(),
        before,
        "nothing re-sent after a restart"
    );
    let nonces: Vec<String> = fake
        .messages()
        .iter()
        .filter_map(|m| m["nonce"].as_str().map(str::to_string))
        .collect();
    let unique: std::collections::BTreeSet<&String> = nonces.iter().collect();
    assert_eq!(
        unique.len(),
        nonces.len(),
        "every message has its own nonce"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

/// The message with `id` as Discord shows it now (after any update).
fn message_by_id(fake: &FakeDiscord, id: &str) -> serde_json::Value {
    fake.messages()
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no message {id}"))
}

fn footer_of(message: &serde_json::Value) -> String {
    message["embeds"][0]["footer"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_buttons_update_in_place_and_cost_no_requests() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let ben = user("5001", "ben", false);
    let dm = fake.dm_channel_for("5001");
    let find = |needle: &str| {
        posted_in(&fake, &dm)
            .into_iter()
            .find(|m| text_of(m).contains(needle))
    };
    let time = json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]);
    reply_to(&fake, "subscribe", time, &ben, false).await;

    // The disclaimer's "I agree" button agrees, and the message says so.
    eventually("the disclaimer", || find("To agree").is_some()).await;
    let disclaimer = find("To agree").unwrap();
    assert_eq!(buttons_of(&disclaimer), ["upright:agree"]);
    let disclaimer_id = disclaimer["id"].as_str().unwrap().to_string();
    bot.has_sent(&disclaimer_id).await;
    fake.press(&ben, &disclaimer_id, "upright:agree", false);
    eventually("agreed", || {
        bot.count("SELECT COUNT(*) FROM users WHERE agreed_at IS NOT NULL") == 1
    })
    .await;
    eventually("the disclaimer shows the agreement", || {
        footer_of(&message_by_id(&fake, &disclaimer_id)).contains("Agreed")
    })
    .await;
    assert_eq!(
        message_by_id(&fake, &disclaimer_id)["components"][0]["components"][0]["disabled"],
        json!(true)
    );

    // Instants are Discord timestamps, shown in each reader's own zone.
    let status = reply_to(&fake, "status", json!([]), &ben, false).await;
    let start = utc("2027-05-03T07:00:00Z").timestamp();
    assert!(
        reply_text(&status).contains(&format!("<t:{start}:f> (<t:{start}:R>)")),
        "{status}"
    );

    // A whole session checked in with buttons (and one reaction).
    let session_start = fake.calls().len();
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    eventually("exercise 1", || find("1/5").is_some()).await;
    let first = find("1/5").unwrap();
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        footer_of(&first),
        "Check in with a button below (your own ✅ ⏭️ 🤕 reactions count too)."
    );
    let callbacks = || {
        fake.calls()
            .into_iter()
            .filter(|c| c.path.ends_with("/callback"))
            .map(|c| c.body)
            .collect::<Vec<_>>()
    };

    bot.has_sent(&first_id).await;
    fake.press(&ben, &first_id, "upright:done", false);
    eventually("exercise 2", || find("2/5").is_some()).await;
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'"),
        1
    );
    // The press is answered just after it is stored, maybe after the next
    // exercise went out.
    eventually("the press answered", || {
        footer_of(&message_by_id(&fake, &first_id)).contains("Recorded")
    })
    .await;
    let update = callbacks().pop().unwrap();
    assert_eq!(
        update["type"],
        json!(7),
        "the message is updated in place: {update}"
    );
    let shown = message_by_id(&fake, &first_id);
    assert!(footer_of(&shown).contains("Recorded: ✅ Done"), "{shown}");
    assert_eq!(
        shown["components"][0]["components"][0]["style"],
        json!(3),
        "Done is highlighted"
    );
    assert!(text_of(&shown).contains("1/5"), "the exercise itself stays");

    // The same button again changes nothing; another one changes the check-in.
    let pressed = callbacks().len();
    fake.press(&ben, &first_id, "upright:done", false);
    eventually("the second press answered", || {
        callbacks().len() == pressed + 1
    })
    .await;
    assert_eq!(bot.count("SELECT COUNT(*) FROM check_ins"), 1);
    fake.press(&ben, &first_id, "upright:skip", false);
    eventually("the check-in changed", || {
        bot.count("SELECT GROUP_CONCAT(kind) = 'skip' FROM check_ins") == 1
    })
    .await;
    // The press is answered (the message updated) just after it is stored.
    eventually("the message shows the skip", || {
        footer_of(&message_by_id(&fake, &first_id)).contains("Recorded: ⏭️ Skip")
    })
    .await;
    assert!(
        find("3/5").is_none(),
        "presses on an answered exercise send nothing more"
    );

    // A reaction still checks in.
    let second = find("2/5").unwrap();
    fake.reaction(true, "5001", &dm, second["id"].as_str().unwrap(), "✅");
    for step in 3..=5 {
        eventually(&format!("exercise {step}"), || {
            find(&format!("{step}/5")).is_some()
        })
        .await;
        let id = find(&format!("{step}/5")).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        if step < 5 {
            bot.has_sent(&id).await;
            fake.press(&ben, &id, "upright:done", false);
            continue;
        }
        // A press that takes longer than Discord allows is acknowledged in
        // time (DEFERRED_UPDATE_MESSAGE), then the message is edited.
        bot.has_sent(&id).await;
        let db = bot.engine.db().clone();
        let busy = std::thread::spawn(move || {
            db.call_blocking(|_| {
                std::thread::sleep(Duration::from_millis(2500));
                Ok(())
            })
            .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = fake.calls().len();
        fake.press(&ben, &id, "upright:done", false);
        eventually("the edit after the deferral", || {
            fake.calls()[before..]
                .iter()
                .any(|c| c.method == "PATCH" && c.path.ends_with("/messages/@original"))
        })
        .await;
        busy.join().unwrap();
        let calls = fake.calls()[before..].to_vec();
        let deferred = calls
            .iter()
            .find(|c| c.path.ends_with("/callback"))
            .unwrap();
        assert_eq!(deferred.body["type"], json!(6), "{:?}", deferred.body);
        let edit = calls.iter().find(|c| c.method == "PATCH").unwrap();
        assert!(
            edit.body["embeds"][0]["footer"]["text"]
                .as_str()
                .is_some_and(|f| f.contains("Recorded: ✅ Done")),
            "{:?}",
            edit.body
        );
    }
    eventually("the closing", || find("whole routine").is_some()).await;

    // What the day cost in REST requests that count against the limits.
    let requests: Vec<String> = fake.calls()[session_start..]
        .iter()
        .filter(|c| c.global)
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    // Exercise 1, and exercise 3 (exercise 2 was checked in with a
    // reaction); each press's next step answered the press instead.
    assert_eq!(
        requests.len(),
        2,
        "only what no press moved on is a channel message; no reactions: {requests:#?}"
    );

    // Once the next session has started, an old button says so, privately.
    bot.clock.set(utc("2027-05-04T07:00:00Z"));
    bot.engine.wake();
    eventually("the next day's exercise 1", || {
        posted_in(&fake, &dm)
            .iter()
            .filter(|m| text_of(m).contains("1/5"))
            .count()
            == 2
    })
    .await;
    let pressed = callbacks().len();
    fake.press(&ben, &first_id, "upright:pain", false);
    eventually("the answer", || callbacks().len() == pressed + 1).await;
    let over = callbacks().pop().unwrap();
    assert!(is_ephemeral(&over), "{over}");
    assert!(reply_text(&over).contains("session is over"), "{over}");
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'pain'"),
        0
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_button_moves_todays_session_by_an_hour() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let cy = user("5002", "cy", false);
    let dm = fake.dm_channel_for("5002");
    let time = json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]);
    reply_to(&fake, "subscribe", time, &cy, false).await;
    reply_to(&fake, "agree", json!([]), &cy, false).await;
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let firsts = || {
        posted_in(&fake, &dm)
            .into_iter()
            .filter(|m| text_of(m).contains("1/5"))
            .collect::<Vec<_>>()
    };
    eventually("exercise 1", || firsts().len() == 1).await;
    let first_id = firsts()[0]["id"].as_str().unwrap().to_string();
    let before = replies(&fake).len();
    bot.has_sent(&first_id).await;
    fake.press(&cy, &first_id, "upright:later", false);
    eventually("the answer", || replies(&fake).len() > before).await;
    let answer = replies(&fake)[before].clone();
    assert!(is_ephemeral(&answer), "{answer}");
    let moved = utc("2027-05-03T08:00:00Z").timestamp();
    assert!(
        reply_text(&answer).contains(&format!("Moved: today's session now starts <t:{moved}:f>")),
        "{answer}"
    );
    bot.clock.set(utc("2027-05-03T08:00:00Z"));
    bot.engine.wake();
    eventually("exercise 1 again at 08:00", || firsts().len() == 2).await;
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_pain_press_a_form_asks_how_strong_and_where() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let di = user("5003", "di", false);
    let dm = fake.dm_channel_for("5003");
    let time = json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]);
    reply_to(&fake, "subscribe", time, &di, false).await;
    reply_to(&fake, "agree", json!([]), &di, false).await;
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let find = |needle: &'static str| {
        let dm = dm.clone();
        let fake = &fake;
        move || {
            posted_in(fake, &dm)
                .into_iter()
                .find(|m| text_of(m).contains(needle))
        }
    };
    eventually("exercise 1", || find("1/5")().is_some()).await;
    let first = find("1/5")().unwrap()["id"].as_str().unwrap().to_string();
    bot.has_sent(&first).await;
    fake.press(&di, &first, "upright:pain", false);
    eventually("the advice", || find("How strong was it")().is_some()).await;
    let advice = find("How strong was it")().unwrap();
    let button = &advice["components"][0]["components"][0];
    assert_eq!(button["custom_id"], "upright:rate", "{advice}");

    // The button opens a form: a score and a place, both short text fields.
    let advice_id = advice["id"].as_str().unwrap().to_string();
    let before = replies(&fake).len();
    bot.has_sent(&advice_id).await;
    fake.press(&di, &advice_id, "upright:rate", false);
    let form = || {
        replies(&fake)[before..]
            .iter()
            .find(|reply| reply["type"] == 9)
            .cloned()
    };
    eventually("the form", || form().is_some()).await;
    let form = form().unwrap();
    assert_eq!(form["type"], 9, "{form}");
    let fields: Vec<&str> = form["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["components"][0]["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["score", "where"], "{form}");

    // A bad score is refused and changes nothing; a good one is stored.
    let before = replies(&fake).len();
    fake.submit_form(
        &di,
        &advice_id,
        "upright:rate",
        &[("score", "12"), ("where", "")],
    );
    eventually("the refusal", || replies(&fake).len() > before).await;
    let refused = replies(&fake)[before].clone();
    assert!(
        reply_text(&refused).contains("`12` is not a score"),
        "{refused}"
    );
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE pain_score IS NOT NULL"),
        0
    );
    let before = replies(&fake).len();
    fake.submit_form(
        &di,
        &advice_id,
        "upright:rate",
        &[("score", "8"), ("where", "left shoulder blade")],
    );
    eventually("the answer", || replies(&fake).len() > before).await;
    let answer = replies(&fake)[before].clone();
    assert_eq!(answer["type"], 4, "{answer}");
    assert!(
        reply_text(&answer).contains("8/10, left shoulder blade, on Upper back extension"),
        "{answer}"
    );
    assert!(
        reply_text(&answer).contains("out of your routine until"),
        "{answer}"
    );
    assert_eq!(
        bot.count(
            "SELECT COUNT(*) FROM check_ins WHERE pain_score = 8 AND pain_where = 'left shoulder blade'"
        ),
        1
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_pause_and_rate_limits_wait() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let ben = user("6000", "ben", false);

    // Ben's DMs are closed: Discord answers 50007 to the disclaimer.
    fake.script(Scripted {
        method: "POST",
        path_contains: "/messages".into(),
        status: 403,
        body: json!({ "message": "Cannot send messages to this user", "code": 50007 }),
    });
    reply_to(&fake, "subscribe", json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]), &ben, true).await;
    let paused = || bot.count("SELECT COUNT(*) FROM subscriptions WHERE state = 'paused'") == 1;
    eventually("the pause", paused).await;
    let status = reply_to(&fake, "status", json!([]), &ben, true).await;
    assert!(
        reply_text(&status).contains("Your sessions are paused"),
        "{status}"
    );
    assert!(reply_text(&status).contains("50007"), "{status}");

    // A 429's retry_after (2.5 s) is waited out exactly (to the second), then the message goes.
    let cy = user("7000", "cy", false);
    fake.script(Scripted {
        method: "POST",
        path_contains: "/messages".into(),
        status: 429,
        body: json!({ "message": "You are being rate limited.", "retry_after": 2.5, "global": false, "code": 0 }),
    });
    reply_to(
        &fake,
        "subscribe",
        json!([{ "name": "time", "type": 3, "value": "07:00" }]),
        &cy,
        true,
    )
    .await;
    let dm = fake.dm_channel_for("7000");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(posted_in(&fake, &dm).is_empty(), "nothing before the wait");
    bot.clock.set(utc("2027-05-03T06:00:02Z"));
    bot.engine.wake();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(posted_in(&fake, &dm).is_empty(), "still waiting at 2 s");
    bot.clock.set(utc("2027-05-03T06:00:03Z"));
    bot.engine.wake();
    eventually("the disclaimer after the wait", || {
        !posted_in(&fake, &dm).is_empty()
    })
    .await;
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_deferred_and_followed_up() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let dee = user("8000", "dee", false);

    // In a DM the answer is not ephemeral (there is nobody else to hide it from).
    let help = reply_to(&fake, "help", json!([]), &dee, false).await;
    assert!(reply_text(&help).contains("/subscribe"), "{help}");
    assert_eq!(
        help["data"]["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "not ephemeral in a DM: {help}"
    );

    // Keep the database busy for longer than the interaction deadline allows.
    let db = bot.engine.db().clone();
    let busy = std::thread::spawn(move || {
        db.call_blocking(|_| {
            std::thread::sleep(Duration::from_millis(2500));
            Ok(())
        })
        .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = fake.calls().len();
    fake.interaction("status", json!([]), &dee, true);
    eventually("the follow-up", || {
        fake.calls()[before..]
            .iter()
            .any(|c| c.path.starts_with("/webhooks/"))
    })
    .await;
    busy.join().unwrap();
    let calls: Vec<_> = fake.calls()[before..].to_vec();
    let deferred = calls
        .iter()
        .find(|c| c.path.ends_with("/callback"))
        .expect("a deferral");
    assert_eq!(
        deferred.body["type"],
        json!(5),
        "deferred within the deadline: {:?}",
        deferred.body
    );
    let follow_up = calls
        .iter()
        .find(|c| c.path.starts_with("/webhooks/"))
        .unwrap();
    assert!(
        reply_text(&follow_up.body).contains("no daily routine"),
        "{:?}",
        follow_up.body
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upright_run_starts_discord_and_stops_on_shutdown() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir
        .path()
        .join("run.sqlite3")
        .to_string_lossy()
        .into_owned();
    let content = format!("{}/content", env!("CARGO_MANIFEST_DIR"));
    let settings = [
        ("DISCORD_TOKEN", "fake-token"),
        ("DISCORD_API_BASE", fake.rest_url.as_str()),
        ("UPRIGHT_DATABASE", database.as_str()),
        ("UPRIGHT_CONTENT_DIR", content.as_str()),
    ];
    let config = upright::config::Config::from_lookup(|key| {
        settings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(upright::app::run(config, async {
        let _ = stopped.await;
    }));
    eventually("command registration", || {
        fake.calls()
            .iter()
            .any(|c| c.method == "PUT" && c.path.ends_with("/commands"))
    })
    .await;
    let causes = reply_to(
        &fake,
        "causes",
        json!([]),
        &user("9000", "eve", false),
        true,
    )
    .await;
    assert!(reply_text(&causes).contains("posture"));
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("run returns after shutdown")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_checks_the_token_with_discord() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("bot.sqlite3");
    let doctor = |token: &str| {
        let settings = [
            ("DISCORD_TOKEN", token.to_string()),
            ("DISCORD_API_BASE", fake.rest_url.clone()),
            ("UPRIGHT_DATABASE", database.to_string_lossy().into_owned()),
            (
                "UPRIGHT_CONTENT_DIR",
                format!("{}/content", env!("CARGO_MANIFEST_DIR")),
            ),
        ];
        let config = upright::config::Config::from_lookup(|key| {
            settings
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        async move { upright::doctor::examine(&config).await }
    };
    let findings = doctor(discord_fake::TOKEN).await;
    let discord = findings.iter().find(|f| f.check == "discord").unwrap();
    assert_eq!(
        discord.verdict,
        Ok("the token belongs to the application Upright (2000)".to_string())
    );
    assert!(findings.iter().all(|f| f.verdict.is_ok()), "{findings:?}");
    assert!(!database.exists(), "the doctor only looks");

    let findings = doctor("a-revoked-token").await;
    let discord = findings.iter().find(|f| f.check == "discord").unwrap();
    let problem = discord.verdict.clone().unwrap_err();
    assert!(problem.contains("refused DISCORD_TOKEN"), "{problem}");
    assert!(problem.contains("Reset Token"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_made_while_the_bot_was_away_is_caught_up_on_return() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &database, &clock, None).await;
    let ana = user("5000", "ana", false);
    let time = json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]);
    reply_to(&fake, "subscribe", time, &ana, true).await;
    reply_to(&fake, "agree", json!([]), &ana, true).await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let dm = fake.dm_channel_for("5000");
    eventually("exercise 1", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("1/5"))
    })
    .await;
    let first = posted_in(&fake, &dm)
        .into_iter()
        .find(|m| text_of(m).contains("1/5"))
        .unwrap();
    let first_id = first["id"].as_str().unwrap().to_string();

    // Ana checks in while the bot is away; Discord will not replay it.
    bot.stop().await;
    fake.reaction(true, "5000", &dm, &first_id, "✅");
    let bot = start_bot(&fake, &database, &clock, None).await;
    eventually("exercise 2, after catching up", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains("2/5"))
    })
    .await;
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'"),
        1
    );
    bot.stop().await;
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_missed_while_the_gateway_was_down_is_caught_up_on_resume() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &database, &clock, None).await;
    let ana = user("5000", "ana", false);
    let time = json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]);
    reply_to(&fake, "subscribe", time, &ana, true).await;
    reply_to(&fake, "agree", json!([]), &ana, true).await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let dm = fake.dm_channel_for("5000");
    let exercise = |n: u32| {
        posted_in(&fake, &dm)
            .into_iter()
            .find(|m| text_of(m).contains(&format!("{n}/5")))
    };
    eventually("exercise 1", || exercise(1).is_some()).await;
    let first_id = exercise(1).unwrap()["id"].as_str().unwrap().to_string();

    // Ana checks in while the connection is gone; Discord sends no event
    // for it, on resuming or ever. The bot stays up and resumes.
    fake.reaction_unheard("5000", &first_id, "✅");
    fake.drop_gateway();
    eventually("the session resumed", || fake.resumes() == 1).await;
    eventually("exercise 2, after catching up", || exercise(2).is_some()).await;
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'"),
        1
    );
    bot.stop().await;
    assert_eq!(fake.violations(), Vec::<String>::new());
}

// --- Groups ----------------------------------------------------------------------

use discord_fake::{ADMIN_PERMISSIONS, BOT_ID, GUILD_CHANNEL_ID, MEMBER_PERMISSIONS};

async fn reply_with(
    fake: &FakeDiscord,
    name: &str,
    options: serde_json::Value,
    from: &serde_json::Value,
    permissions: &str,
) -> serde_json::Value {
    let before = replies(fake).len();
    fake.interaction_with(name, options, from, Some(permissions));
    eventually(&format!("the reply to /{name}"), || {
        replies(fake).len() > before
    })
    .await;
    replies(fake)[before].clone()
}

fn is_ephemeral(reply: &serde_json::Value) -> bool {
    reply["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
}

/// The numbered lines of a leaderboard reply.
fn board_lines(reply: &serde_json::Value) -> Vec<String> {
    reply["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or("")
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_does_the_routine_together_on_discord() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, Some(3000)).await;

    // /group needs Manage Server, only in servers; the others are for everyone.
    let registration = fake
        .calls()
        .into_iter()
        .find(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .unwrap();
    let commands = registration.body.as_array().unwrap().clone();
    let command = |name: &str| {
        commands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("/{name} is not registered"))
            .clone()
    };
    let group = command("group");
    assert_eq!(group["default_member_permissions"], json!("32"), "{group}");
    assert_eq!(group["contexts"], json!([0]), "guild only: {group}");
    let subcommands: Vec<&str> = group["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        subcommands,
        ["setup", "status", "off", "nudges", "skip", "pause"]
    );
    let setup = &group["options"][0];
    let setup_options: Vec<&str> = setup["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        setup_options,
        ["time", "timezone", "days", "summary", "language"]
    );
    assert_eq!(setup["options"][1]["autocomplete"], json!(true));
    for everyone in ["leaderboard", "nudges", "weekly", "subscribe"] {
        assert!(
            command(everyone)
                .get("default_member_permissions")
                .is_none()
                || command(everyone)["default_member_permissions"].is_null(),
            "/{everyone} is for every member"
        );
    }

    let admin = user("5100", "admin", false);
    let (ana, ben, cleo) = (
        user("5101", "ana", false),
        user("5102", "ben", false),
        user("5103", "cleo", false),
    );
    let setup_command = json!([{ "type": 1, "name": "setup", "options": [
        { "name": "time", "type": 3, "value": "07:00" },
        { "name": "timezone", "type": 3, "value": "UTC" },
        { "name": "summary", "type": 3, "value": "20:00" },
    ] }]);

    // A member without Manage Server is refused at run time too.
    let refused = reply_with(
        &fake,
        "group",
        setup_command.clone(),
        &ana,
        MEMBER_PERMISSIONS,
    )
    .await;
    assert!(reply_text(&refused).contains("Manage Server"), "{refused}");
    assert!(is_ephemeral(&refused));
    assert_eq!(bot.count("SELECT COUNT(*) FROM groups"), 0);

    let accepted = reply_with(&fake, "group", setup_command, &admin, ADMIN_PERMISSIONS).await;
    assert!(reply_text(&accepted).contains("Group set up"), "{accepted}");
    assert!(!is_ephemeral(&accepted), "the channel sees it: {accepted}");

    // The session is posted in the channel at a fixed pace.
    for step in 1..=5 {
        bot.clock
            .set(utc("2027-05-03T07:00:00Z") + chrono::Duration::minutes(3 * (step - 1)));
        bot.engine.wake();
        eventually(&format!("exercise {step} in the channel"), || {
            posted_in(&fake, GUILD_CHANNEL_ID)
                .iter()
                .any(|m| text_of(m).contains(&format!("{step}/5")))
        })
        .await;
    }
    let exercises: Vec<String> = posted_in(&fake, GUILD_CHANNEL_ID)
        .iter()
        .filter(|m| text_of(m).contains("/5 ·"))
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(exercises.len(), 5);
    for message in posted_in(&fake, GUILD_CHANNEL_ID)
        .iter()
        .filter(|m| text_of(m).contains("/5 ·"))
    {
        assert_eq!(
            buttons_of(message),
            ["upright:done", "upright:skip", "upright:pain"]
        );
    }
    assert!(fake.reactions().is_empty(), "the bot adds no reactions");

    // The bot's own reaction never counts; three members' reactions do, and
    // so do their button presses, each answered to the presser alone.
    for exercise in &exercises[..3] {
        bot.has_sent(exercise).await;
    }
    fake.guild_reaction(true, &user(BOT_ID, "upright", true), &exercises[0], "✅");
    for member in [&cleo, &ana, &ben] {
        for exercise in &exercises[..2] {
            fake.guild_reaction(true, member, exercise, "✅");
        }
    }
    let before = replies(&fake).len();
    for member in [&cleo, &ana, &ben] {
        fake.press(member, &exercises[2], "upright:done", true);
    }
    eventually("nine check-ins", || {
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'") == 9
    })
    .await;
    eventually("three private answers", || {
        replies(&fake).len() == before + 3
    })
    .await;
    for answer in &replies(&fake)[before..] {
        assert_eq!(answer["type"], json!(4), "{answer}");
        assert!(is_ephemeral(answer), "{answer}");
        assert!(reply_text(answer).contains("Recorded: ✅ Done"), "{answer}");
    }
    // The tally is edited into the message, at most once per 10 s: the
    // first press at once, the others together in one later edit.
    let edits = || {
        fake.calls()
            .into_iter()
            .filter(|c| c.method == "PATCH" && c.path.ends_with(&exercises[2]))
            .collect::<Vec<_>>()
    };
    eventually("the tally counting all three", || {
        edits().last().is_some_and(|e| {
            e.body["embeds"][0]["footer"]["text"]
                .as_str()
                .unwrap_or("")
                .contains("✅ 3")
        })
    })
    .await;
    for pair in edits().windows(2) {
        assert!(
            pair[1].at - pair[0].at >= std::time::Duration::from_secs(9),
            "two tally edits {:?} apart",
            pair[1].at - pair[0].at
        );
    }
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM users WHERE platform_user_id = '1000'"),
        0,
        "the bot is never a member"
    );

    // The summary names them, with streaks.
    bot.clock.set(utc("2027-05-03T20:00:00Z"));
    bot.engine.wake();
    eventually("the summary", || {
        posted_in(&fake, GUILD_CHANNEL_ID)
            .iter()
            .any(|m| text_of(m).contains("Group summary"))
    })
    .await;
    let summary = posted_in(&fake, GUILD_CHANNEL_ID)
        .into_iter()
        .find(|m| text_of(m).contains("Group summary"))
        .unwrap();
    for name in ["ana", "ben", "cleo"] {
        assert!(
            text_of(&summary).contains(&format!("**{name}**: ✅ 1, 2, 3 · streak 1 day")),
            "{name}: {}",
            text_of(&summary)
        );
    }
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.path == "/guilds/3000/members/5103"),
        "membership is asked of the server before the summary"
    );

    // Leaderboard: a three-way tie, in name order, for everyone to see.
    let board = reply_to(&fake, "leaderboard", json!([]), &cleo, true).await;
    assert!(!is_ephemeral(&board));
    assert_eq!(
        board_lines(&board),
        [
            "1. **ana**: 1 day (best 1 day)",
            "1. **ben**: 1 day (best 1 day)",
            "1. **cleo**: 1 day (best 1 day)",
        ]
    );

    // Cleo leaves the server and drops out.
    fake.leave("5103");
    let board = reply_to(&fake, "leaderboard", json!([]), &ana, true).await;
    assert_eq!(board_lines(&board).len(), 2, "{board}");
    assert!(!reply_text(&board).contains("cleo"), "{board}");

    // Nudges, once turned on, mention in the message content (where Discord notifies).
    let nudges_on = json!([{ "type": 1, "name": "nudges", "options": [
        // Choices are sent as the index of the choice: 0 = on.
        { "name": "setting", "type": 4, "value": 0 },
    ] }]);
    let on = reply_with(&fake, "group", nudges_on, &admin, ADMIN_PERMISSIONS).await;
    assert!(reply_text(&on).contains("Nudges on"), "{on}");
    bot.clock.set(utc("2027-05-04T07:00:00Z"));
    bot.engine.wake();
    eventually("day two's first exercise", || {
        posted_in(&fake, GUILD_CHANNEL_ID)
            .iter()
            .any(|m| text_of(m).contains("1/5") && m["id"].as_str() != Some(exercises[0].as_str()))
    })
    .await;
    let today = posted_in(&fake, GUILD_CHANNEL_ID)
        .into_iter()
        .rfind(|m| text_of(m).contains("1/5"))
        .unwrap();
    fake.guild_reaction(true, &ana, today["id"].as_str().unwrap(), "✅");
    eventually("ana's check-in", || {
        bot.count("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'") == 10
    })
    .await;
    bot.clock.set(utc("2027-05-04T19:00:00Z"));
    bot.engine.wake();
    eventually("the nudge", || {
        posted_in(&fake, GUILD_CHANNEL_ID)
            .iter()
            .any(|m| m["content"].as_str().is_some_and(|c| c.contains("<@5102>")))
    })
    .await;
    let nudge = posted_in(&fake, GUILD_CHANNEL_ID)
        .into_iter()
        .find(|m| m["content"].as_str().is_some_and(|c| c.contains("<@5102>")))
        .unwrap();
    let content = nudge["content"].as_str().unwrap();
    assert!(!content.contains("<@5101>"), "ana checked in: {content}");
    assert!(!content.contains("<@5103>"), "cleo left: {content}");

    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

// --- Languages ---------------------------------------------------------------------

/// The labels of a message's buttons, in order.
fn button_labels(message: &serde_json::Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|button| button["label"].as_str().map(str::to_string))
        .collect()
}

/// A member whose Discord app is in Spanish (`locale: es-ES` on every
/// interaction) is answered in Spanish, and the DMs the engine sends later
/// are Spanish too, buttons included. A group set up in a server whose
/// language is German (`guild_locale: de`) posts in German.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_interaction_gets_spanish_and_so_does_the_next_session() {
    use upright::i18n::Language;
    let fake = FakeDiscord::start().await;
    fake.set_locales("es-ES", "de");
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let content = common::content();
    let ana = user("5000", "ana", false);

    let subscribed = reply_to(&fake, "subscribe", json!([{ "name": "time", "type": 3, "value": "07:00" }, { "name": "timezone", "type": 3, "value": "UTC" }]), &ana, false).await;
    let words = common::opening_words(Language::Es, "cmd-subscribed");
    assert!(reply_text(&subscribed).contains(&words), "{subscribed}");
    let dm = fake.dm_channel_for("5000");
    let disclaimer = content.topic_in(Language::Es, upright::content::TopicId::Disclaimer);
    eventually("the Spanish disclaimer", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains(&disclaimer.points[0]))
    })
    .await;
    let agreed = reply_to(&fake, "agree", json!([]), &ana, false).await;
    let words = common::opening_words(Language::Es, "cmd-agreed-first-session");
    assert!(reply_text(&agreed).contains(&words), "{agreed}");

    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let routine = content.routine_in(Language::Es, "upper-back").unwrap();
    let title = &routine.exercises[0].title;
    eventually("exercise 1 in Spanish", || {
        posted_in(&fake, &dm)
            .iter()
            .any(|m| text_of(m).contains(title.as_str()))
    })
    .await;
    let first = posted_in(&fake, &dm)
        .into_iter()
        .find(|m| text_of(m).contains(title.as_str()))
        .unwrap();
    let labels = button_labels(&first);
    for id in [
        "discord-button-done",
        "discord-button-skip",
        "discord-button-pain",
    ] {
        let label = upright::i18n::text(Language::Es, id, None);
        assert!(
            labels.iter().any(|l| l.contains(&label)),
            "{id}: {labels:?}"
        );
    }

    // The server's language is the group's, unless the admin names one.
    let boss = user("5001", "boss", false);
    reply_with(&fake, "group", json!([{ "name": "setup", "type": 1, "options": [{ "name": "time", "type": 3, "value": "08:00" }, { "name": "timezone", "type": 3, "value": "UTC" }] }]), &boss, ADMIN_PERMISSIONS).await;
    assert_eq!(
        bot.count("SELECT COUNT(*) FROM groups WHERE language = 'de'"),
        1,
        "the group took the server's language"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}
