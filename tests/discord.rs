//! The fake Discord must be honest before any Discord test can mean
//! something: a serenity 0.12 client connects to it, decodes every gateway
//! event it sends, and every REST body on the way is checked against
//! Discord's OpenAPI description.
#![cfg(feature = "discord")]

mod discord_fake;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use discord_fake::{FakeDiscord, Scripted, user};
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
