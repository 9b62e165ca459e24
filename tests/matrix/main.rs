//! The Matrix adapter against a real Synapse: the bot runs the real engine
//! and adapter; the member is a matrix-sdk client with encryption.
#![cfg(feature = "matrix")]
// matrix-sdk's sync future is deeper than the default limit for `Send` checks.
#![recursion_limit = "256"]
// tests/postgres comes in twice, through tests/common (bots on PostgreSQL)
// and tests/synapse (Synapse on PostgreSQL); each use is self-contained.
#![allow(clippy::duplicate_mod)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../synapse/mod.rs"]
mod synapse;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::room::Room;
use matrix_sdk::ruma::api::client::room::create_room;
use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::{Annotation, InReplyTo, Reply};
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId};
use matrix_sdk::{Client, RoomMemberships};
use tokio::sync::watch;

use common::{Get, utc};
use synapse::{Synapse, encode};
use upright::clock::{Clock, ManualClock};
use upright::config::{AllowedServers, MatrixConfig, Secret};
use upright::engine::{Engine, Settings};
use upright::store::Db;
use upright::store::sql::ConnExt;

const BOT: &str = "upright";
const BOT_PASSWORD: &str = "bot-password-1";

#[derive(Debug, Clone)]
struct Seen {
    room_id: matrix_sdk::ruma::OwnedRoomId,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    body: String,
    notice: bool,
    html: bool,
    image: bool,
    /// Where an image's bytes are (encrypted in encrypted rooms).
    source: Option<MediaSource>,
}

/// A member's client as Element configures one since April 2026
/// ("invisible crypto"): room keys go only to devices their owner has
/// cross-signed, and events are decrypted only from such devices.
fn element_rules(builder: matrix_sdk::ClientBuilder) -> matrix_sdk::ClientBuilder {
    use matrix_sdk_crypto::{CollectStrategy, DecryptionSettings, TrustRequirement};
    builder
        .with_room_key_recipient_strategy(CollectStrategy::IdentityBasedStrategy)
        .with_decryption_settings(DecryptionSettings {
            sender_device_trust_requirement: TrustRequirement::CrossSigned,
        })
}

impl Seen {
    fn new(event: OriginalSyncRoomMessageEvent, room: &Room) -> Seen {
        let image = matches!(event.content.msgtype, MessageType::Image(_));
        let source = match &event.content.msgtype {
            MessageType::Image(image) => Some(image.source.clone()),
            _ => None,
        };
        let (body, notice, html) = match &event.content.msgtype {
            MessageType::Notice(n) => (n.body.clone(), true, n.formatted.is_some()),
            MessageType::Text(t) => (t.body.clone(), false, t.formatted.is_some()),
            other => (other.body().to_string(), false, false),
        };
        Seen {
            room_id: room.room_id().to_owned(),
            event_id: event.event_id,
            sender: event.sender,
            body,
            notice,
            html,
            image,
            source,
        }
    }
}

/// A member's matrix-sdk client, following Element's trust rules and
/// cross-signed as Element does on first login, that records what it sees.
struct MemberClient {
    client: Client,
    messages: Arc<Mutex<Vec<Seen>>>,
    reactions: Arc<Mutex<Vec<(OwnedEventId, String, OwnedUserId)>>>,
    _dir: tempfile::TempDir,
}

impl MemberClient {
    async fn login(synapse: &Synapse, user: &str, password: &str) -> MemberClient {
        let dir = tempfile::tempdir().unwrap();
        let client = element_rules(Client::builder())
            .homeserver_url(&synapse.url)
            .sqlite_store(dir.path(), None)
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(user, password)
            .await
            .unwrap();
        cross_sign(&client, user, password).await;
        let messages = Arc::new(Mutex::new(Vec::new()));
        let reactions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&messages);
        client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
            let seen = Arc::clone(&seen);
            async move { seen.lock().unwrap().push(Seen::new(event, &room)) }
        });
        // A message from a sender whose keys the client has not fetched yet
        // cannot be trusted, so it is not decrypted at first; Element fetches
        // the sender's identity and tries again, and so does this member.
        let seen = Arc::clone(&messages);
        client.add_event_handler(move |event: OriginalSyncRoomEncryptedEvent, room: Room| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::spawn(async move {
                    let encryption = room.client().encryption();
                    for _ in 0..20 {
                        let _ = encryption.request_user_identity(&event.sender).await;
                        let decrypted =
                            room.event(&event.event_id, None).await.ok().and_then(|e| {
                                e.raw()
                                    .deserialize_as_unchecked::<OriginalSyncRoomMessageEvent>()
                                    .ok()
                            });
                        if let Some(message) = decrypted {
                            seen.lock().unwrap().push(Seen::new(message, &room));
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                });
            }
        });
        let seen = Arc::clone(&reactions);
        client.add_event_handler(move |event: OriginalSyncReactionEvent| {
            let seen = Arc::clone(&seen);
            async move {
                let relation = event.content.relates_to;
                seen.lock()
                    .unwrap()
                    .push((relation.event_id, relation.key, event.sender));
            }
        });
        // Members accept every invite, as a person would accept the bot's DM.
        client.add_event_handler(
            |event: StrippedRoomMemberEvent, room: Room, client: Client| async move {
                if Some(event.state_key.as_ref()) == client.user_id() {
                    let _ = room.join().await;
                }
            },
        );
        client.sync_once(SyncSettings::default()).await.unwrap();
        let syncing = client.clone();
        tokio::spawn(async move {
            let _ = syncing
                .sync(SyncSettings::default().timeout(Duration::from_secs(5)))
                .await;
        });
        MemberClient {
            client,
            messages,
            reactions,
            _dir: dir,
        }
    }

    fn sent_by(&self, bot: &OwnedUserId) -> Vec<Seen> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| &m.sender == bot)
            .cloned()
            .collect()
    }

    async fn wait_for_bot(
        &self,
        bot: &OwnedUserId,
        what: &str,
        pred: impl Fn(&Seen) -> bool,
    ) -> Seen {
        wait(what, || self.sent_by(bot).into_iter().find(|m| pred(m))).await
    }
}

/// Creates the member's identity and signs their device, as Element does.
async fn cross_sign(client: &Client, user: &str, password: &str) {
    use matrix_sdk::ruma::api::client::uiaa;
    let encryption = client.encryption();
    if let Err(error) = encryption.bootstrap_cross_signing(None).await {
        let info = error
            .as_uiaa_response()
            .unwrap_or_else(|| panic!("{user} cannot cross-sign: {error}"));
        let identifier =
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string()));
        let mut auth = uiaa::Password::new(identifier, password.to_string());
        auth.session = info.session.clone();
        encryption
            .bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
            .await
            .unwrap();
    }
}

async fn wait_until_joined(room: &Room, members: usize) {
    let what = format!("the bot to join {}", room.room_id());
    wait_async(&what, || async {
        let joined = room
            .members(RoomMemberships::JOIN)
            .await
            .map_or(0, |m| m.len());
        (joined >= members).then_some(())
    })
    .await;
}

async fn wait<T>(what: &str, probe: impl Fn() -> Option<T>) -> T {
    wait_async(what, || std::future::ready(probe())).await
}

/// Asks `probe` until it has an answer, for up to a minute.
async fn wait_async<T, F>(what: &str, probe: impl Fn() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bot: real engine, real adapter, a manual clock the test moves.
struct RunningBot {
    engine: Engine,
    client: Client,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn start_bot(
    synapse: &Synapse,
    store_dir: &Path,
    database: &Path,
    clock: &ManualClock,
) -> RunningBot {
    start_bot_with(synapse, store_dir, database, clock, AllowedServers::Own).await
}

async fn start_bot_with(
    synapse: &Synapse,
    store_dir: &Path,
    database: &Path,
    clock: &ManualClock,
    allowed_servers: AllowedServers,
) -> RunningBot {
    let config = MatrixConfig {
        allowed_servers,
        ..bot_config(synapse, store_dir)
    };
    start_bot_as(&config, database, clock).await
}

/// The bot's Matrix settings as an operator writes them.
fn bot_config(synapse: &Synapse, store_dir: &Path) -> MatrixConfig {
    MatrixConfig {
        homeserver: synapse.url.clone(),
        user: BOT.to_string(),
        password: Secret::new(BOT_PASSWORD),
        store_dir: store_dir.to_path_buf(),
        store_passphrase: Some(Secret::new("store-passphrase")),
        allowed_servers: AllowedServers::Own,
        room_limit: upright::config::DEFAULT_ROOM_LIMIT,
        recovery_key: None,
        cross_signing: true,
    }
}

async fn start_bot_as(config: &MatrixConfig, database: &Path, clock: &ManualClock) -> RunningBot {
    let engine = Engine::new(
        Db::open(database).unwrap(),
        common::content(),
        Arc::new(clock.clone()),
        Settings::default(),
    );
    let client = upright::matrix::connect(config, &engine).await.unwrap();
    let listener = upright::matrix::attach(&client, &engine, config).unwrap();
    let (stop, stopped) = watch::channel(false);
    let shutdown = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.changed().await;
    };
    let tasks = vec![
        {
            let (client, engine, rx) = (client.clone(), engine.clone(), stopped.clone());
            tokio::spawn(async move {
                let until = shutdown(rx);
                tokio::pin!(until);
                upright::matrix::sync(client, engine, &listener, &mut until).await;
            })
        },
        {
            let engine = engine.clone();
            let rx = stopped.clone();
            tokio::spawn(async move { engine.run(shutdown(rx)).await })
        },
    ];
    RunningBot {
        engine,
        client,
        stop,
        tasks,
    }
}

impl RunningBot {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("the bot stops")
                .unwrap();
        }
    }
}

/// Every event the bot sent into a room, as the homeserver stores it.
fn raw_events(synapse: &Synapse, token: &str, room: &str) -> Vec<serde_json::Value> {
    let port = synapse.url.rsplit(':').next().unwrap();
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    let path = format!(
        "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=200",
        room.replace('!', "%21").replace(':', "%3A")
    );
    // HTTP/1.0: a plain body, no chunked encoding to undo.
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"));
    json["chunk"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_coaches_a_member_in_an_encrypted_dm() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "upright=info".into()))
        .with_test_writer()
        .try_init();
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("ana", "ana-password-1");
    let work = tempfile::tempdir().unwrap();
    let store_dir: PathBuf = work.path().join("matrix-store");
    let database = work.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));

    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let device = bot.client.device_id().unwrap().to_owned();

    // The member opens an encrypted DM, as Element does; the bot joins.
    let ana = MemberClient::login(&synapse, "ana", "ana-password-1").await;
    let room = ana.client.create_dm(&bot_user).await.unwrap();
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
    assert!(
        !room.room_id().as_str().contains(':'),
        "room version 12 ids have no server part: {}",
        room.room_id()
    );
    wait_until_joined(&room, 2).await;

    let say = |room: &Room, text: &str| {
        let room = room.clone();
        let text = text.to_string();
        async move {
            room.send(RoomMessageEventContent::text_plain(text))
                .await
                .unwrap()
        }
    };

    // Topics and help, as m.notice with HTML and plain bodies.
    let asked = tokio::time::Instant::now();
    say(&room, "!upright causes").await;
    let causes = ana
        .wait_for_bot(&bot_user, "causes", |m| {
            m.body.to_lowercase().contains("posture")
        })
        .await;
    assert!(causes.notice && causes.html, "{causes:?}");
    // The first reply in a new encrypted room needs the member's keys. The
    // sync that fetches them runs beside the reply, so the reply does not
    // sit out matrix-sdk's 5 s wait for a key query (a bound, not a benchmark).
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "the first encrypted reply took {:?}",
        asked.elapsed()
    );
    say(&room, "!upright precautions").await;
    ana.wait_for_bot(&bot_user, "precautions", |m| m.body.contains("sharp"))
        .await;
    say(&room, "!upright").await;
    ana.wait_for_bot(&bot_user, "help", |m| {
        m.body.contains("subscribe <time>") && m.body.contains("!upright subscribe")
    })
    .await;

    // Bad input gets a specific notice and changes nothing.
    say(&room, "!upright subscribe 25:61").await;
    ana.wait_for_bot(&bot_user, "a refusal", |m| m.body.contains("no minute 61"))
        .await;
    say(&room, "!upright subscribe 07:00 Mars/Olympus").await;
    ana.wait_for_bot(&bot_user, "a zone refusal", |m| {
        m.body.contains("Mars/Olympus")
    })
    .await;

    // Subscribe and agree; at 07:00 the session arrives in this DM. In her
    // DM the answer is the disclaimer itself, one message with the bot's ✅,
    // and her ✅ on it agrees.
    say(&room, "!upright subscribe 07:00 UTC").await;
    let answer = ana
        .wait_for_bot(&bot_user, "the answer", |m| m.body.contains("Subscribed"))
        .await;
    assert!(answer.body.contains("To agree"), "{}", answer.body);
    let reactions_on = |event: &OwnedEventId| {
        ana.reactions
            .lock()
            .unwrap()
            .iter()
            .filter(|(e, _, s)| e == event && s == &bot_user)
            .map(|(_, k, _)| k.clone())
            .collect::<Vec<_>>()
    };
    wait("the bot's ✅ on the answer", || {
        Some(reactions_on(&answer.event_id)).filter(|r| r == &["✅".to_string()])
    })
    .await;
    room.send(ReactionEventContent::new(Annotation::new(
        answer.event_id.clone(),
        "✅".into(),
    )))
    .await
    .unwrap();
    let agreed = || {
        bot.engine
            .db()
            .call_blocking(|c| {
                c.query_one(
                    "SELECT agreed_at IS NOT NULL FROM users WHERE platform_user_id LIKE '@ana:%'",
                    &[],
                    |r| r.int(0).map(|n| n != 0),
                )
            })
            .unwrap()
    };
    wait("Ana's ✅ agrees", || agreed().then_some(())).await;
    assert_eq!(
        ana.sent_by(&bot_user)
            .iter()
            .filter(|m| m.body.contains("To agree"))
            .count(),
        1,
        "no second disclaimer"
    );
    say(&room, "!upright agree").await;
    ana.wait_for_bot(&bot_user, "the agreement", |m| {
        m.body.contains("Thank you. Your first session")
    })
    .await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    ana.wait_for_bot(&bot_user, "the opening", |m| {
        m.body.contains("5 exercises today")
    })
    .await;
    let first = ana
        .wait_for_bot(&bot_user, "exercise 1", |m| m.body.contains("1/5"))
        .await;
    wait("three reactions on exercise 1", || {
        Some(reactions_on(&first.event_id)).filter(|r| r.len() == 3)
    })
    .await;

    // ✅ → stored, exercise 2 at once.
    let check = room
        .send(ReactionEventContent::new(Annotation::new(
            first.event_id.clone(),
            "✅".into(),
        )))
        .await
        .unwrap();
    let second = ana
        .wait_for_bot(&bot_user, "exercise 2", |m| m.body.contains("2/5"))
        .await;
    let done: i64 = bot
        .engine
        .db()
        .call_blocking(|c| {
            c.query_one(
                "SELECT COUNT(*) FROM check_ins WHERE kind = 'done'",
                &[],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(done, 1);

    // A redacted ✅ withdraws it.
    room.redact(&check.response.event_id, None, None)
        .await
        .unwrap();
    wait("the withdrawal", || {
        let left: i64 = bot
            .engine
            .db()
            .call_blocking(|c| c.query_one("SELECT COUNT(*) FROM check_ins", &[], |r| r.get(0)))
            .unwrap();
        (left == 0).then_some(())
    })
    .await;

    // Stop the bot mid-session and start it again: same device, nothing
    // twice, and what the member did while it was away (seconds ago) counts:
    // the command is answered, the check-in recorded.
    bot.stop().await;
    say(&room, "!upright tips").await;
    room.send(ReactionEventContent::new(Annotation::new(
        second.event_id.clone(),
        "✅".into(),
    )))
    .await
    .unwrap();
    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    assert_eq!(
        bot.client.device_id().unwrap(),
        device,
        "a restart keeps the device"
    );
    bot.engine.wake();
    ana.wait_for_bot(&bot_user, "the tips asked while the bot was down", |m| {
        m.body.contains("calendar")
    })
    .await;
    let third = ana
        .wait_for_bot(&bot_user, "exercise 3", |m| m.body.contains("3/5"))
        .await;

    // 🤕 → the stop-and-consult advice.
    room.send(ReactionEventContent::new(Annotation::new(
        third.event_id.clone(),
        "🤕".into(),
    )))
    .await
    .unwrap();
    let advice = ana
        .wait_for_bot(&bot_user, "the pain advice", |m| {
            m.body.contains("healthcare professional") && m.body.contains("How strong was it")
        })
        .await;
    ana.wait_for_bot(&bot_user, "the closing", |m| {
        m.body.contains("stopped early")
    })
    .await;

    // The question is answered by a reply ("6 neck"), or by the command.
    let mut answer = RoomMessageEventContent::text_plain("6 neck");
    answer.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(
        advice.event_id.clone(),
    ))));
    room.send(answer).await.unwrap();
    ana.wait_for_bot(&bot_user, "the score noted", |m| {
        m.body
            .contains("Noted: 6/10, neck, on Shoulder blade squeeze")
    })
    .await;
    let pain_score = || -> (i64, String) {
        bot.engine
            .db()
            .call_blocking(|c| {
                c.query_one(
                    "SELECT pain_score, pain_where FROM check_ins WHERE kind = 'pain'",
                    &[],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .unwrap()
    };
    assert_eq!(pain_score(), (6, "neck".to_string()));
    say(&room, "!upright pain 7 neck").await;
    ana.wait_for_bot(&bot_user, "a stronger score", |m| {
        m.body.contains("out of your routine until")
    })
    .await;
    assert_eq!(pain_score(), (7, "neck".to_string()));

    // The progress picture arrives as an image the member's client decrypts.
    say(&room, "!upright progress").await;
    let picture = ana
        .wait_for_bot(&bot_user, "the progress picture", |m| m.image)
        .await;
    assert_eq!(picture.body, "progress.png");
    let request = MediaRequestParameters {
        source: picture.source.clone().expect("an image source"),
        format: MediaFormat::File,
    };
    assert!(
        matches!(request.source, MediaSource::Encrypted(_)),
        "uploaded encrypted in the encrypted DM"
    );
    let png = ana
        .client
        .media()
        .get_media_content(&request, false)
        .await
        .unwrap();
    common::decode_png(&png).assert_shows("2027-05-03", "2027-05-03", "2027-05-02");
    tokio::time::sleep(Duration::from_secs(2)).await;

    let tips = ana
        .sent_by(&bot_user)
        .iter()
        .filter(|m| m.body.contains("calendar"))
        .count();
    assert_eq!(
        tips, 1,
        "the command sent while the bot was down, answered once"
    );
    let titles: Vec<String> = ana
        .sent_by(&bot_user)
        .iter()
        .filter_map(|m| {
            ["1/5", "2/5", "3/5", "5 exercises today"]
                .iter()
                .find(|t| m.body.contains(*t))
                .map(|t| t.to_string())
        })
        .collect();
    let mut unique = titles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        titles.len(),
        unique.len(),
        "a message arrived twice: {titles:?}"
    );

    // Everything the bot says in the encrypted DM is encrypted on the wire.
    // Reactions are the one exception, as in Element and matrix-sdk: they
    // stay in the clear so the homeserver can aggregate them, and carry only
    // an emoji and the id of the message they annotate.
    let token = ana.client.access_token().unwrap();
    let events = raw_events(&synapse, &token, room.room_id().as_str());
    let from_bot: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["sender"] == bot_user.as_str() && e.get("state_key").is_none())
        .collect();
    let encrypted = from_bot
        .iter()
        .filter(|e| e["type"] == "m.room.encrypted")
        .count();
    assert!(encrypted >= 10, "the bot's encrypted messages: {encrypted}");
    for event in &from_bot {
        match event["type"].as_str() {
            Some("m.room.encrypted") => {}
            Some("m.reaction") => {
                let content = event["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["m.relates_to"],
                    "{event}"
                );
            }
            _ => panic!("sent in the clear: {event}"),
        }
    }

    // A reaction the homeserver already has under another transaction id
    // (a retry after the homeserver forgot the first one) counts as added.
    let (delivery, message): (i64, String) = bot
        .engine
        .db()
        .call_blocking(|c| {
            c.query_one(
                "SELECT id, platform_message_id FROM deliveries
                 WHERE kind = 'exercise' AND platform_message_id IS NOT NULL ORDER BY id LIMIT 1",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    let annotated = OwnedEventId::try_from(message).unwrap();
    bot.client
        .get_room(room.room_id())
        .unwrap()
        .send(ReactionEventContent::new(Annotation::new(
            annotated,
            "👍".to_string(),
        )))
        .await
        .unwrap();
    let now = clock.now().timestamp();
    bot.engine
        .db()
        .call_blocking(move |c| {
            c.execute(
                "UPDATE deliveries SET state = 'sent', reactions = '👍', due_at = ?2 WHERE id = ?1",
                upright::store::sql::args![delivery, now],
            )?;
            Ok(())
        })
        .unwrap();
    bot.engine.wake();
    let state = wait("the reaction retried", || {
        let state: String = bot
            .engine
            .db()
            .call_blocking(move |c| {
                c.query_one(
                    "SELECT state || ' ' || COALESCE(last_error, '') FROM deliveries WHERE id = ?1",
                    upright::store::sql::args![delivery],
                    |r| r.get(0),
                )
            })
            .unwrap();
        (!state.starts_with("sent")).then_some(state)
    })
    .await;
    assert_eq!(
        state.trim(),
        "done",
        "a duplicate annotation is not a failure"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_opens_an_encrypted_dm_when_the_member_has_none() {
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("ben", "ben-password-1");
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(
        &synapse,
        &work.path().join("matrix-store"),
        &work.path().join("bot.sqlite3"),
        &clock,
    )
    .await;
    let bot_user = bot.client.user_id().unwrap().to_owned();

    // Ben meets the bot in an ordinary (not direct) room.
    let ben = MemberClient::login(&synapse, "ben", "ben-password-1").await;
    let mut request = create_room::v3::Request::new();
    request.invite = vec![bot_user.clone()];
    request.name = Some("Back club".into());
    let club = ben.client.create_room(request).await.unwrap();
    wait_until_joined(&club, 2).await;
    club.send(RoomMessageEventContent::text_plain(
        "!upright subscribe 07:00 UTC",
    ))
    .await
    .unwrap();
    // A personal answer asked for in a shared room goes to a DM the bot
    // creates, encrypted and direct; the room gets a pointer to it.
    let pointer = ben
        .wait_for_bot(&bot_user, "the pointer", |m| {
            m.body.contains("direct messages")
        })
        .await;
    assert_eq!(pointer.room_id, club.room_id());
    let reply = ben
        .wait_for_bot(&bot_user, "the reply", |m| m.body.contains("Subscribed"))
        .await;
    assert_ne!(
        reply.room_id,
        club.room_id(),
        "the answer is not posted in the shared room"
    );
    let disclaimer = ben
        .wait_for_bot(&bot_user, "the disclaimer", |m| m.body.contains("To agree"))
        .await;
    assert_eq!(disclaimer.room_id, reply.room_id, "one DM for both");
    // Background topics are not personal: they are answered in the room.
    club.send(RoomMessageEventContent::text_plain("!upright why"))
        .await
        .unwrap();
    let why = ben
        .wait_for_bot(&bot_user, "why", |m| {
            m.body.to_lowercase().contains("posture")
        })
        .await;
    assert_eq!(why.room_id, club.room_id());
    // More personal commands there, past the budget: answered in the DM
    // while within it, and the room hears nothing more — no second pointer
    // within the hour, no "slow down".
    let in_club = |ben: &MemberClient| {
        ben.sent_by(&bot_user)
            .iter()
            .filter(|m| m.room_id == club.room_id())
            .count()
    };
    let said_in_club = in_club(&ben);
    let said_in_dm = ben.sent_by(&bot_user).len() - said_in_club;
    for _ in 0..25 {
        club.send(RoomMessageEventContent::text_plain("!upright status"))
            .await
            .unwrap();
    }
    wait("status answers in the DM", || {
        let in_dm = ben.sent_by(&bot_user).len() - in_club(&ben);
        (in_dm >= said_in_dm + 15).then_some(())
    })
    .await;
    club.send(RoomMessageEventContent::text_plain("!upright why"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(in_club(&ben), said_in_club, "{:?}", ben.sent_by(&bot_user));
    let dm = ben
        .client
        .get_room(&disclaimer.room_id)
        .expect("Ben joined the DM");
    assert!(
        dm.latest_encryption_state().await.unwrap().is_encrypted(),
        "the DM is encrypted"
    );
    assert!(dm.is_direct().await.unwrap(), "the DM is marked direct");
    let cached: String = bot
        .engine
        .db()
        .call_blocking(|c| {
            c.query_one(
                "SELECT dm_target FROM users WHERE platform_user_id LIKE '@ben:%'",
                &[],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(
        cached,
        disclaimer.room_id.as_str(),
        "the DM is cached for next time"
    );
    // Syncing works, so the platform reports itself connected.
    let health = bot.engine.telemetry().health.verdict(clock.now());
    assert_eq!(
        health.platforms.get(upright::matrix::PLATFORM),
        Some(&upright::telemetry::Link::Connected),
        "{health:?}"
    );
    bot.stop().await;

    // The store holds the keys to members' DMs: private to the bot's user.
    assert_private(&work.path().join("matrix-store"));
    // The doctor signs in with the saved session, as the bot runs.
    let doctor = std::process::Command::new(env!("CARGO_BIN_EXE_upright"))
        .arg("doctor")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN")
        .env("MATRIX_HOMESERVER", &synapse.url)
        .env("MATRIX_USER", BOT)
        .env("MATRIX_PASSWORD", BOT_PASSWORD)
        .env("MATRIX_STORE_DIR", work.path().join("matrix-store"))
        .env("MATRIX_STORE_PASSPHRASE", "store-passphrase")
        .env("UPRIGHT_DATABASE", work.path().join("bot.sqlite3"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.status.success(), "{report}");
    for check in [
        "configuration",
        "database",
        "content",
        "matrix store",
        "matrix ",
        "matrix identity",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("ok    {check}"))),
            "{check}: {report}"
        );
    }
    assert!(
        report.contains(&format!("signed in as @{BOT}:")),
        "{report}"
    );
    assert!(
        report.contains("is cross-signed; recovery is set up"),
        "{report}"
    );
}

/// The folder and everything in it readable by its owner only.
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_private(&path);
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

fn count(engine: &Engine, sql: &'static str) -> i64 {
    engine
        .db()
        .call_blocking(move |c| c.query_one(sql, &[], |r| r.get(0)))
        .unwrap()
}

/// The numbered lines of the latest leaderboard the member saw in `room`.
fn board_lines(
    member: &MemberClient,
    bot: &OwnedUserId,
    boards_before: usize,
) -> Option<Vec<String>> {
    let boards: Vec<Seen> = member
        .sent_by(bot)
        .into_iter()
        .filter(|m| m.body.contains("**Leaderboard**"))
        .collect();
    boards.get(boards_before).map(|board| {
        board
            .body
            .lines()
            .filter(|l| l.starts_with(char::is_numeric))
            .map(str::to_string)
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_does_the_routine_together() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "upright=info".into()))
        .with_test_writer()
        .try_init();
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    for name in ["coach", "ana", "ben", "cleo"] {
        synapse.register(name, &format!("{name}-password-1"));
    }
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(
        &synapse,
        &work.path().join("matrix-store"),
        &work.path().join("bot.sqlite3"),
        &clock,
    )
    .await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let coach = MemberClient::login(&synapse, "coach", "coach-password-1").await;
    let ana = MemberClient::login(&synapse, "ana", "ana-password-1").await;
    let ben = MemberClient::login(&synapse, "ben", "ben-password-1").await;
    let cleo = MemberClient::login(&synapse, "cleo", "cleo-password-1").await;

    // The coach creates an encrypted room (and so has the top power level);
    // everyone else joins with the default power level 0.
    let mut request = create_room::v3::Request::new();
    request.invite = vec![bot_user.clone()];
    for member in [&ana, &ben, &cleo] {
        request
            .invite
            .push(member.client.user_id().unwrap().to_owned());
    }
    request.name = Some("Back class".into());
    let class = coach.client.create_room(request).await.unwrap();
    class.enable_encryption().await.unwrap();
    wait_until_joined(&class, 5).await;
    let say = |client: &MemberClient, text: &str| {
        let room = client.client.get_room(class.room_id());
        let text = text.to_string();
        async move {
            let room = room.expect("the member is in the class room");
            room.send(RoomMessageEventContent::text_plain(text))
                .await
                .unwrap();
        }
    };

    // A member without moderator rights is refused; nothing changes.
    say(&ana, "!upright group setup 07:00 UTC summary 20:00").await;
    ana.wait_for_bot(&bot_user, "the refusal", |m| {
        m.body.contains("power level 50")
    })
    .await;
    assert_eq!(count(&bot.engine, "SELECT COUNT(*) FROM groups"), 0);

    // The room's creator sets it up; the room sees it.
    say(&coach, "!upright group setup 07:00 UTC summary 20:00").await;
    let set_up = ana
        .wait_for_bot(&bot_user, "the group set up", |m| {
            m.body.contains("Group set up")
        })
        .await;
    assert_eq!(set_up.room_id, class.room_id());

    // The session is posted in the room at a fixed pace, with reactions.
    for step in 1..=3 {
        clock.set(utc("2027-05-03T07:00:00Z") + chrono::Duration::minutes(3 * (step - 1)));
        bot.engine.wake();
        ana.wait_for_bot(&bot_user, &format!("exercise {step}"), |m| {
            m.room_id == class.room_id() && m.body.contains(&format!("{step}/5"))
        })
        .await;
    }
    let exercises: Vec<OwnedEventId> = (1..=3)
        .map(|step| {
            ana.sent_by(&bot_user)
                .into_iter()
                .find(|m| m.room_id == class.room_id() && m.body.contains(&format!("{step}/5")))
                .unwrap()
                .event_id
        })
        .collect();
    wait("the bot's reactions on exercise 1", || {
        let own = ana
            .reactions
            .lock()
            .unwrap()
            .iter()
            .filter(|(e, _, s)| e == &exercises[0] && s == &bot_user)
            .count();
        (own == 3).then_some(())
    })
    .await;

    // Three members check in by reacting in the room.
    for member in [&cleo, &ana, &ben] {
        let room = member.client.get_room(class.room_id()).unwrap();
        for exercise in &exercises {
            room.send(ReactionEventContent::new(Annotation::new(
                exercise.clone(),
                "✅".into(),
            )))
            .await
            .unwrap();
        }
    }
    wait("nine check-ins", || {
        (count(
            &bot.engine,
            "SELECT COUNT(*) FROM check_ins WHERE kind = 'done'",
        ) == 9)
            .then_some(())
    })
    .await;

    // The summary names them, with streaks.
    clock.set(utc("2027-05-03T20:00:00Z"));
    bot.engine.wake();
    let summary = ana
        .wait_for_bot(&bot_user, "the summary", |m| {
            m.body.contains("Group summary")
        })
        .await;
    assert_eq!(summary.room_id, class.room_id());
    for name in ["ana", "ben", "cleo"] {
        assert!(
            summary
                .body
                .contains(&format!("**{name}**: ✅ 1, 2, 3 · streak 1 day")),
            "{name}: {}",
            summary.body
        );
    }
    assert!(
        !summary.body.contains("coach"),
        "the coach did not take part"
    );

    // Leaderboard: a three-way tie, in name order.
    say(&cleo, "!upright leaderboard").await;
    let lines = wait("the leaderboard", || board_lines(&ana, &bot_user, 0)).await;
    assert_eq!(
        lines,
        [
            "1. **ana**: 1 day (best 1 day)",
            "1. **ben**: 1 day (best 1 day)",
            "1. **cleo**: 1 day (best 1 day)",
        ]
    );

    // Cleo leaves the room and drops out of the leaderboard.
    cleo.client
        .get_room(class.room_id())
        .unwrap()
        .leave()
        .await
        .unwrap();
    let cleo_id = cleo.client.user_id().unwrap().to_owned();
    let bot_room = bot.client.get_room(class.room_id()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let member = bot_room.get_member_no_sync(&cleo_id).await.unwrap();
        if member.is_some_and(|m| *m.membership() == MembershipState::Leave) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot never saw cleo leave"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    say(&ana, "!upright leaderboard").await;
    let lines = wait("the second leaderboard", || board_lines(&ana, &bot_user, 1)).await;
    assert_eq!(
        lines,
        [
            "1. **ana**: 1 day (best 1 day)",
            "1. **ben**: 1 day (best 1 day)",
        ]
    );

    // With nudges on, the next day's quiet member is mentioned by a link to
    // their Matrix ID (a pill in clients), an hour before the summary.
    say(&coach, "!upright group nudges on").await;
    ana.wait_for_bot(&bot_user, "nudges on", |m| m.body.contains("Nudges on"))
        .await;
    clock.set(utc("2027-05-04T07:00:00Z"));
    bot.engine.wake();
    let today = ana
        .wait_for_bot(&bot_user, "day two's exercise 1", |m| {
            m.room_id == class.room_id() && m.body.contains("1/5") && m.event_id != exercises[0]
        })
        .await;
    ana.client
        .get_room(class.room_id())
        .unwrap()
        .send(ReactionEventContent::new(Annotation::new(
            today.event_id.clone(),
            "✅".into(),
        )))
        .await
        .unwrap();
    wait("ana's check-in", || {
        (count(
            &bot.engine,
            "SELECT COUNT(*) FROM check_ins WHERE kind = 'done'",
        ) == 10)
            .then_some(())
    })
    .await;
    clock.set(utc("2027-05-04T19:00:00Z"));
    bot.engine.wake();
    let ben_id = ben.client.user_id().unwrap().to_string();
    let nudge = ana
        .wait_for_bot(&bot_user, "the nudge", |m| m.body.contains("still time"))
        .await;
    assert_eq!(nudge.room_id, class.room_id());
    assert!(nudge.html, "sent with an HTML body");
    assert!(
        nudge
            .body
            .contains(&format!("[ben](https://matrix.to/#/{ben_id})")),
        "{}",
        nudge.body
    );
    assert!(
        !nudge.body.contains("ana]"),
        "ana checked in: {}",
        nudge.body
    );
    assert!(!nudge.body.contains("cleo"), "cleo left: {}", nudge.body);
    bot.stop().await;
}

/// The bot's notices in a room, oldest first, as a member's plain client reads them.
async fn notices_in(synapse: &Synapse, token: &str, room: &str, bot: &str) -> Vec<String> {
    let path = format!(
        "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=100",
        synapse::encode(room)
    );
    let answer = synapse
        .call("GET", &path, token, None)
        .await
        .unwrap_or_default();
    let mut bodies: Vec<String> = answer["chunk"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["sender"] == bot && e["type"] == "m.room.message")
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_string))
        .collect();
    bodies.reverse();
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_members_opening_dms_at_once_are_each_answered_in_their_own_room() {
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    let names: Vec<String> = (0..20).map(|i| format!("member{i:02}")).collect();
    let tokens = synapse.register_many(&names, "member-password-1");
    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&synapse, &work.path().join("store"), &database, &clock).await;
    let bot_user = bot.client.user_id().unwrap().to_string();

    // All twenty open a direct chat with the bot at once, as Element does.
    let create = serde_json::json!({
        "preset": "trusted_private_chat",
        "is_direct": true,
        "invite": [bot_user],
    });
    let created = futures_util::future::join_all(tokens.iter().map(|token| {
        synapse.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            token,
            Some(&create),
        )
    }))
    .await;
    let rooms: Vec<String> = created
        .into_iter()
        .map(|answer| answer.unwrap()["room_id"].as_str().unwrap().to_string())
        .collect();
    wait("the bot in all twenty rooms", || {
        let joined = bot
            .client
            .joined_rooms()
            .iter()
            .filter(|r| rooms.iter().any(|id| id == r.room_id().as_str()))
            .count();
        (joined == 20).then_some(())
    })
    .await;

    // Each subscribes in their room; every answer comes back in that room.
    let subscribe =
        serde_json::json!({"msgtype": "m.text", "body": "!upright subscribe 07:00 UTC"});
    let paths: Vec<String> = rooms
        .iter()
        .map(|room| {
            format!(
                "/_matrix/client/v3/rooms/{}/send/m.room.message/subscribe-1",
                synapse::encode(room)
            )
        })
        .collect();
    let sent = futures_util::future::join_all(
        tokens
            .iter()
            .zip(&paths)
            .map(|(token, path)| synapse.call("PUT", path, token, Some(&subscribe))),
    )
    .await;
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    for (token, room) in tokens.iter().zip(&rooms) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let notices = notices_in(&synapse, token, room, &bot_user).await;
            assert!(
                !notices.iter().any(|n| n.contains("direct messages")),
                "{room}: the answer went elsewhere: {notices:?}"
            );
            if notices.iter().any(|n| n.contains("Subscribed"))
                && notices.iter().any(|n| n.contains("To agree"))
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{room}: no answer: {notices:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // No DM of the bot's own making: it is in exactly the members' twenty rooms.
    assert_eq!(bot.client.joined_rooms().len(), 20);
    let recorded = count(
        &bot.engine,
        "SELECT COUNT(*) FROM users WHERE platform = 'matrix' AND dm_target IS NOT NULL",
    );
    assert_eq!(recorded, 20, "every member's DM is recorded");
    // Twenty members wrote to the bot, and the homeserver kept no
    // notification for it: the bot turned its own notifications off.
    let bot_token = bot.client.access_token().unwrap();
    let notified = synapse
        .call("GET", "/_matrix/client/v3/notifications", &bot_token, None)
        .await
        .unwrap();
    assert_eq!(
        notified["notifications"].as_array().map(Vec::len),
        Some(0),
        "the homeserver kept notifications for the bot"
    );

    // member00 brings member01 into their DM: it is no longer private, so a
    // personal answer there goes to a new DM, with a pointer in the room.
    let (owner, guest, shared) = (&tokens[0], &tokens[1], &rooms[0]);
    let invite = serde_json::json!({"user_id": "@member01:localhost"});
    synapse
        .call(
            "POST",
            &format!(
                "/_matrix/client/v3/rooms/{}/invite",
                synapse::encode(shared)
            ),
            owner,
            Some(&invite),
        )
        .await
        .unwrap();
    synapse
        .call(
            "POST",
            &format!("/_matrix/client/v3/rooms/{}/join", synapse::encode(shared)),
            guest,
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap();
    let engine = bot.engine.clone();
    let forgotten = || {
        let dm: Option<String> = engine
            .db()
            .call_blocking(|c| {
                c.query_one(
                    "SELECT dm_target FROM users WHERE platform_user_id = '@member00:localhost'",
                    &[],
                    |row| row.get(0),
                )
            })
            .unwrap();
        dm
    };
    wait("the shared room forgotten as a DM", || {
        (forgotten().as_deref() != Some(shared.as_str())).then_some(())
    })
    .await;
    let status = serde_json::json!({"msgtype": "m.text", "body": "!upright status"});
    let path = format!(
        "/_matrix/client/v3/rooms/{}/send/m.room.message/status-1",
        synapse::encode(shared)
    );
    synapse
        .call("PUT", &path, owner, Some(&status))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let notices = notices_in(&synapse, owner, shared, &bot_user).await;
        if notices.iter().any(|n| n.contains("direct messages")) {
            assert!(
                !notices.iter().any(|n| n.contains("Next session")),
                "a personal answer in a shared room: {notices:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no pointer: {notices:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let new_dm = wait("a new DM for member00", forgotten).await;
    assert_ne!(&new_dm, shared);
    bot.stop().await;
}

/// Waits until the homeserver has the bot joined to a room (`inside`), or
/// out of it after an invite or a join (among its left rooms), asking with
/// the bot's own token.
async fn wait_for_bot_in(
    synapse: &Synapse,
    bot: &RunningBot,
    room: &matrix_sdk::ruma::RoomId,
    inside: bool,
    what: &str,
) {
    let token = bot.client.access_token().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = if inside {
            let joined = synapse
                .call("GET", "/_matrix/client/v3/joined_rooms", &token, None)
                .await
                .unwrap_or_default();
            joined["joined_rooms"]
                .as_array()
                .is_some_and(|rooms| rooms.iter().any(|r| r == room.as_str()))
        } else {
            membership_left(synapse, &token, room).await
        };
        if done {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Whether the homeserver lists the room among the bot's left ones.
async fn membership_left(synapse: &Synapse, token: &str, room: &matrix_sdk::ruma::RoomId) -> bool {
    let filter = encode(r#"{"room":{"include_leave":true,"timeline":{"limit":1}}}"#);
    let sync = synapse
        .call(
            "GET",
            &format!("/_matrix/client/v3/sync?filter={filter}"),
            token,
            None,
        )
        .await
        .unwrap_or_default();
    sync["rooms"]["leave"].get(room.as_str()).is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_takes_invites_only_as_allowed_and_leaves_rooms_left_empty() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "upright=info".into()))
        .with_test_writer()
        .try_init();
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("ana", "ana-password-1");
    synapse.register("bob", "bob-password-1");
    let work = tempfile::tempdir().unwrap();
    let (store, database) = (work.path().join("store"), work.path().join("bot.sqlite3"));
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let ana = MemberClient::login(&synapse, "ana", "ana-password-1").await;
    let bob = MemberClient::login(&synapse, "bob", "bob-password-1").await;

    // Invites only from another server: Ana's direct chat is declined.
    let strict = AllowedServers::Only(vec!["elsewhere.example".into()]);
    let bot = start_bot_with(&synapse, &store, &database, &clock, strict).await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let declined = ana.client.create_dm(&bot_user).await.unwrap();
    wait_for_bot_in(
        &synapse,
        &bot,
        declined.room_id(),
        false,
        "the invite declined",
    )
    .await;
    assert_eq!(
        count(&bot.engine, "SELECT COUNT(*) FROM users"),
        0,
        "nothing remembered"
    );
    bot.stop().await;

    // The bot's own server: a moderator's room is joined…
    let bot = start_bot(&synapse, &store, &database, &clock).await;
    let mut request = create_room::v3::Request::new();
    request.invite = vec![bot_user.clone(), bob.client.user_id().unwrap().to_owned()];
    let club = ana.client.create_room(request).await.unwrap();
    wait_for_bot_in(
        &synapse,
        &bot,
        club.room_id(),
        true,
        "the moderator's room joined",
    )
    .await;
    // …but a room whose inviter does not moderate it is left at once.
    let mut request = create_room::v3::Request::new();
    request.invite = vec![bob.client.user_id().unwrap().to_owned()];
    let ana_room = ana.client.create_room(request).await.unwrap();
    wait_until_joined(&ana_room, 2).await; // Bob accepts, as members do.
    let bob_side = bob.client.get_room(ana_room.room_id()).unwrap();
    bob_side.invite_user_by_id(&bot_user).await.unwrap();
    wait_for_bot_in(
        &synapse,
        &bot,
        ana_room.room_id(),
        false,
        "the unmoderated room left",
    )
    .await;

    // When everyone else has left the club, the bot leaves too.
    wait_until_joined(&club, 3).await;
    bob.client
        .get_room(club.room_id())
        .unwrap()
        .leave()
        .await
        .unwrap();
    club.leave().await.unwrap();
    wait_for_bot_in(&synapse, &bot, club.room_id(), false, "the empty room left").await;
    bot.stop().await;
}

/// The bot's master key as a member's client sees it, fetched afresh.
async fn master_key_seen_by(member: &MemberClient, bot: &OwnedUserId) -> Option<String> {
    member
        .client
        .encryption()
        .request_user_identity(bot)
        .await
        .unwrap()
        .and_then(|identity| identity.master_key().get_first_key())
        .map(|key| key.to_base64())
}

/// Whether a member's client sees the bot's device as cross-signed by the
/// bot's identity (what Element requires to share keys with it).
async fn device_trusted_by(
    member: &MemberClient,
    bot: &OwnedUserId,
    device: &matrix_sdk::ruma::DeviceId,
) -> bool {
    member
        .client
        .encryption()
        .request_user_identity(bot)
        .await
        .unwrap();
    member
        .client
        .encryption()
        .get_device(bot, device)
        .await
        .unwrap()
        .is_some_and(|device| device.is_cross_signed_by_owner())
}

/// Asks for a topic in the room and waits for the bot's answer to it, the
/// `n`th such answer the member has read.
async fn ask_causes(member: &MemberClient, room: &Room, bot: &OwnedUserId, n: usize) {
    room.send(RoomMessageEventContent::text_plain("!upright causes"))
        .await
        .unwrap();
    wait(&format!("answer {n} to `causes`"), || {
        let answers = member
            .sent_by(bot)
            .into_iter()
            .filter(|m| m.room_id == room.room_id() && m.body.to_lowercase().contains("posture"))
            .count();
        (answers >= n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn element_members_cannot_read_a_bot_that_is_not_cross_signed() {
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("cai", "cai-password-1");
    let work = tempfile::tempdir().unwrap();
    let store_dir = work.path().join("matrix-store");
    let database = work.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));

    // The bot as it was before it cross-signed its device.
    let unsigned = MatrixConfig {
        cross_signing: false,
        ..bot_config(&synapse, &store_dir)
    };
    let bot = start_bot_as(&unsigned, &database, &clock).await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let device = bot.client.device_id().unwrap().to_owned();
    let cai = MemberClient::login(&synapse, "cai", "cai-password-1").await;
    let room = cai.client.create_dm(&bot_user).await.unwrap();
    wait_until_joined(&room, 2).await;
    assert_eq!(master_key_seen_by(&cai, &bot_user).await, None);
    room.send(RoomMessageEventContent::text_plain("!upright causes"))
        .await
        .unwrap();
    // Cai's client shares no room key with an unsigned device: the bot
    // cannot read the command, and Cai reads nothing from it.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let token = cai.client.access_token().unwrap();
    let bot_messages = raw_events(&synapse, &token, room.room_id().as_str())
        .into_iter()
        .filter(|e| e["sender"] == bot_user.as_str() && e["type"] == "m.room.encrypted")
        .count();
    assert_eq!(
        bot_messages, 0,
        "the bot answered a command it had no key for"
    );
    assert!(
        cai.sent_by(&bot_user).is_empty(),
        "{:?}",
        cai.sent_by(&bot_user)
    );
    bot.stop().await;

    // The same device, now cross-signed at start: Cai's client sees the
    // signature, shares its key, and reads the answer.
    let bot = start_bot_as(&bot_config(&synapse, &store_dir), &database, &clock).await;
    assert_eq!(bot.client.device_id(), Some(device.as_ref()));
    assert!(device_trusted_by(&cai, &bot_user, &device).await);
    ask_causes(&cai, &room, &bot_user, 1).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_keeps_its_identity_through_a_restart_and_a_lost_store() {
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("dee", "dee-password-1");
    let work = tempfile::tempdir().unwrap();
    let store_dir = work.path().join("matrix-store");
    let database = work.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));

    // First start: an identity, the device signed, the recovery key saved.
    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let first_device = bot.client.device_id().unwrap().to_owned();
    let key_file = store_dir.join(upright::matrix::RECOVERY_KEY_FILE);
    let recovery_key = std::fs::read_to_string(&key_file).expect("the recovery key is saved");
    assert!(!recovery_key.trim().is_empty());
    assert_private(&store_dir);
    let dee = MemberClient::login(&synapse, "dee", "dee-password-1").await;
    let master = master_key_seen_by(&dee, &bot_user)
        .await
        .expect("the bot has a cross-signing identity");
    assert!(device_trusted_by(&dee, &bot_user, &first_device).await);
    let room = dee.client.create_dm(&bot_user).await.unwrap();
    wait_until_joined(&room, 2).await;
    ask_causes(&dee, &room, &bot_user, 1).await;
    bot.stop().await;

    // A restart: the same device, the same identity.
    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    assert_eq!(bot.client.device_id(), Some(first_device.as_ref()));
    assert_eq!(
        master_key_seen_by(&dee, &bot_user).await,
        Some(master.clone())
    );
    ask_causes(&dee, &room, &bot_user, 2).await;
    bot.stop().await;

    // The store is lost; the recovery key brings the identity back: a new
    // device, signed by the same identity, so Dee sees no change.
    std::fs::remove_dir_all(&store_dir).unwrap();
    let recovering = MatrixConfig {
        recovery_key: Some(Secret::new(recovery_key.trim())),
        ..bot_config(&synapse, &store_dir)
    };
    let bot = start_bot_as(&recovering, &database, &clock).await;
    let second_device = bot.client.device_id().unwrap().to_owned();
    assert_ne!(second_device, first_device, "a new store is a new device");
    assert_eq!(
        master_key_seen_by(&dee, &bot_user).await,
        Some(master.clone())
    );
    assert!(device_trusted_by(&dee, &bot_user, &second_device).await);
    let dee_identity = dee
        .client
        .encryption()
        .get_user_identity(&bot_user)
        .await
        .unwrap()
        .unwrap();
    assert!(!dee_identity.has_verification_violation());
    ask_causes(&dee, &room, &bot_user, 3).await;
    bot.stop().await;

    // Lost again, and no key: a new identity, with a warning, and the bot
    // still answers.
    std::fs::remove_dir_all(&store_dir).unwrap();
    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    let third_device = bot.client.device_id().unwrap().to_owned();
    let new_master = master_key_seen_by(&dee, &bot_user)
        .await
        .expect("a new identity");
    assert_ne!(new_master, master, "the identity was reset");
    assert!(device_trusted_by(&dee, &bot_user, &third_device).await);
    assert!(
        store_dir.join(upright::matrix::RECOVERY_KEY_FILE).exists(),
        "the new identity has recovery too"
    );
    ask_causes(&dee, &room, &bot_user, 4).await;
    bot.stop().await;
}

/// A plain HTTP member's call, retried while the homeserver is busy.
async fn call(
    synapse: &Synapse,
    method: &str,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut last = String::new();
    for _ in 0..20 {
        match synapse.call(method, path, token, Some(&body)).await {
            Ok(answer) => return answer,
            Err(error) => last = error,
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{last}");
}

/// Waits until the bot has joined `room` (seen by a member with `token`).
async fn wait_for_bot_to_join(synapse: &Synapse, token: &str, room: &str, bot: &str) {
    let path = format!("/_matrix/client/v3/rooms/{}/joined_members", encode(room));
    wait_async(&format!("the bot to join {room}"), || async {
        let members = synapse.call("GET", &path, token, None).await.ok()?;
        members["joined"].get(bot).is_some().then_some(())
    })
    .await;
}

/// A Synapse, accounts registered at once (the bot's first), and the bot
/// running: for tests whose members are plain HTTP clients.
struct PlainWorld {
    synapse: Synapse,
    /// Each account's access token, in the order of the names given.
    tokens: Vec<String>,
    bot: RunningBot,
    bot_user: String,
    _work: tempfile::TempDir,
}

async fn plain_world(members: &[&str]) -> PlainWorld {
    let synapse = Synapse::start();
    let names: Vec<String> = std::iter::once(BOT)
        .chain(members.iter().copied())
        .map(str::to_string)
        .collect();
    let tokens = synapse.register_many(&names, BOT_PASSWORD);
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(
        &synapse,
        &work.path().join("matrix-store"),
        &work.path().join("bot.sqlite3"),
        &clock,
    )
    .await;
    let bot_user = bot.client.user_id().unwrap().to_string();
    PlainWorld {
        synapse,
        tokens,
        bot,
        bot_user,
        _work: work,
    }
}

/// A room `token` creates with the bot invited (`settings` as for
/// `createRoom`), once the bot has joined it.
async fn room_with_bot(
    synapse: &Synapse,
    token: &str,
    bot_user: &str,
    mut settings: serde_json::Value,
) -> String {
    settings["invite"] = serde_json::json!([bot_user]);
    let created = call(
        synapse,
        "POST",
        "/_matrix/client/v3/createRoom",
        token,
        settings,
    )
    .await;
    let room = created["room_id"].as_str().unwrap().to_string();
    wait_for_bot_to_join(synapse, token, &room, bot_user).await;
    room
}

/// A plain text message from `token` into `room`.
async fn say(synapse: &Synapse, token: &str, room: &str, txn: &str, body: &str) {
    call(
        synapse,
        "PUT",
        &format!(
            "/_matrix/client/v3/rooms/{}/send/m.room.message/{txn}",
            encode(room)
        ),
        token,
        serde_json::json!({"msgtype": "m.text", "body": body}),
    )
    .await;
}

/// The bodies of the notices the bot sent into a room, oldest first.
fn bot_notices(synapse: &Synapse, token: &str, room: &str, bot: &str) -> Vec<(String, String)> {
    let mut notices: Vec<(String, String)> = raw_events(synapse, token, room)
        .into_iter()
        .filter(|e| e["sender"] == bot && e["type"] == "m.room.message")
        .map(|e| {
            (
                e["event_id"].as_str().unwrap_or_default().to_string(),
                e["content"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    notices.reverse();
    notices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_members_did_while_the_bot_was_stopped_is_all_handled() {
    const MEMBERS: usize = 15;
    const ASKING: usize = 3;
    let synapse = Synapse::start();
    let mut names = vec![BOT.to_string(), "coach".to_string()];
    names.extend((0..MEMBERS).map(|i| format!("member{i:02}")));
    let tokens = synapse.register_many(&names, BOT_PASSWORD);
    let (coach, members) = (&tokens[1], &tokens[2..]);
    let work = tempfile::tempdir().unwrap();
    let store_dir = work.path().join("matrix-store");
    let database = work.path().join("bot.sqlite3");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    let bot_user = bot.client.user_id().unwrap().to_string();

    // A group room everyone is in, and a DM each for three of them.
    let class = serde_json::json!({"preset": "public_chat", "name": "Back class"});
    let room = room_with_bot(&synapse, coach, &bot_user, class).await;
    let join = format!("/_matrix/client/v3/join/{}", encode(&room));
    for token in members {
        call(&synapse, "POST", &join, token, serde_json::json!({})).await;
    }
    let direct = serde_json::json!({"preset": "trusted_private_chat", "is_direct": true});
    let mut dms = Vec::new();
    for token in &members[..ASKING] {
        dms.push(room_with_bot(&synapse, token, &bot_user, direct.clone()).await);
    }
    say(
        &synapse,
        coach,
        &room,
        "setup",
        "!upright group setup 07:00 UTC",
    )
    .await;
    wait("the group set up", || {
        bot_notices(&synapse, coach, &room, &bot_user)
            .iter()
            .any(|(_, b)| b.contains("Group set up"))
            .then_some(())
    })
    .await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let exercise = wait("exercise 1 in the room", || {
        bot_notices(&synapse, coach, &room, &bot_user)
            .into_iter()
            .find(|(_, b)| b.contains("1/5"))
            .map(|(id, _)| id)
    })
    .await;
    bot.stop().await;

    // While it is stopped: everyone checks in and says a word in the room
    // (far more events than a sync brings per room), and three ask in
    // their DMs.
    for (i, token) in members.iter().enumerate() {
        let check_in = format!(
            "/_matrix/client/v3/rooms/{}/send/m.reaction/done{i}",
            encode(&room)
        );
        let done = serde_json::json!({
            "m.relates_to": {"rel_type": "m.annotation", "event_id": exercise, "key": "✅"}
        });
        call(&synapse, "PUT", &check_in, token, done).await;
        say(
            &synapse,
            token,
            &room,
            &format!("hello{i}"),
            &format!("done, {i}"),
        )
        .await;
    }
    for (token, dm) in members.iter().zip(&dms) {
        say(&synapse, token, dm, "causes", "!upright causes").await;
    }

    let bot = start_bot(&synapse, &store_dir, &database, &clock).await;
    wait("every check-in recorded", || {
        let done = count(
            &bot.engine,
            "SELECT COUNT(*) FROM check_ins WHERE kind = 'done'",
        );
        (done == MEMBERS as i64).then_some(())
    })
    .await;
    for (token, dm) in members.iter().zip(&dms) {
        wait("the answer in a DM", || {
            bot_notices(&synapse, token, dm, &bot_user)
                .iter()
                .any(|(_, b)| b.to_lowercase().contains("posture"))
                .then_some(())
        })
        .await;
    }
    bot.stop().await;
}

/// The bot's saved session: (device id, access token).
fn saved_session(store_dir: &Path) -> Option<(String, String)> {
    let saved = std::fs::read(store_dir.join("session.json")).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&saved).ok()?;
    Some((
        json["device_id"].as_str()?.to_string(),
        json["access_token"].as_str()?.to_string(),
    ))
}

/// Ends the session of `token`, as "sign out" in a client (or an admin) does.
async fn log_out(synapse: &Synapse, token: &str) {
    synapse
        .call(
            "POST",
            "/_matrix/client/v3/logout",
            token,
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap();
}

/// A user-interactive call with the account's password, as a client makes it.
async fn with_password(
    synapse: &Synapse,
    path: &str,
    token: &str,
    user: &str,
    password: &str,
    mut body: serde_json::Value,
) {
    let first = synapse.call("POST", path, token, Some(&body)).await;
    let session = match first {
        Ok(_) => return,
        Err(error) => {
            let json = error
                .split_once('{')
                .map(|(_, rest)| format!("{{{rest}"))
                .unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(&json).unwrap_or_default()["session"].clone()
        }
    };
    body["auth"] = serde_json::json!({
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
        "session": session,
    });
    synapse
        .call("POST", path, token, Some(&body))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_brings_the_bot_back_as_a_new_signed_device_or_marks_matrix_down() {
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("eve", "eve-password-1");
    let work = tempfile::tempdir().unwrap();
    let store_dir = work.path().join("matrix-store");
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let engine = Engine::new(
        Db::open(&work.path().join("bot.sqlite3")).unwrap(),
        common::content(),
        Arc::new(clock.clone()),
        Settings::default(),
    );
    let config = bot_config(&synapse, &store_dir);
    let (stop, stopped) = watch::channel(false);
    let running = {
        let (engine, config, mut stopped) = (engine.clone(), config.clone(), stopped.clone());
        tokio::spawn(async move {
            upright::matrix::run(&config, &engine, async move {
                let _ = stopped.changed().await;
            })
            .await
        })
    };
    let engine_task = {
        let (engine, mut stopped) = (engine.clone(), stopped.clone());
        tokio::spawn(async move {
            engine
                .run(async move {
                    let _ = stopped.changed().await;
                })
                .await
        })
    };
    let (first_device, token) = wait("the bot signed in", || {
        saved_session(&store_dir)
            .filter(|_| store_dir.join(upright::matrix::RECOVERY_KEY_FILE).exists())
    })
    .await;
    let bot_user: OwnedUserId = format!("@{BOT}:localhost").try_into().unwrap();
    let eve = MemberClient::login(&synapse, "eve", "eve-password-1").await;
    let master = master_key_seen_by(&eve, &bot_user)
        .await
        .expect("an identity");
    let room = eve.client.create_dm(&bot_user).await.unwrap();
    wait_until_joined(&room, 2).await;
    ask_causes(&eve, &room, &bot_user, 1).await;
    for command in ["!upright subscribe 07:00 UTC", "!upright agree"] {
        room.send(RoomMessageEventContent::text_plain(command))
            .await
            .unwrap();
    }
    wait("Eve agreed", || {
        (count(
            &engine,
            "SELECT COUNT(*) FROM users WHERE agreed_at IS NOT NULL",
        ) == 1)
            .then_some(())
    })
    .await;

    // The device is logged out behind the bot's back: it signs in again as
    // a new device, signed into the same identity, and answers.
    log_out(&synapse, &token).await;
    let (second_device, token) = wait("a new device", || {
        saved_session(&store_dir).filter(|(device, _)| *device != first_device)
    })
    .await;
    // Saved at login, signed a moment later.
    let second: matrix_sdk::ruma::OwnedDeviceId = second_device.into();
    wait_async("the new device cross-signed", || async {
        device_trusted_by(&eve, &bot_user, &second)
            .await
            .then_some(())
    })
    .await;
    assert_eq!(master_key_seen_by(&eve, &bot_user).await, Some(master));
    ask_causes(&eve, &room, &bot_user, 2).await;

    // Now the password changes too: signing in again fails, Matrix is
    // marked down, and the session due meanwhile waits instead of failing.
    with_password(
        &synapse,
        "/_matrix/client/v3/account/password",
        &token,
        BOT,
        BOT_PASSWORD,
        serde_json::json!({"new_password": "a-new-password-2", "logout_devices": true}),
    )
    .await;
    log_out(&synapse, &token).await;
    wait("Matrix marked down", || {
        match engine
            .telemetry()
            .health
            .verdict(clock.now())
            .platforms
            .get(upright::matrix::PLATFORM)
        {
            Some(upright::telemetry::Link::Lost(why)) if why.contains("signed out") => Some(()),
            _ => None,
        }
    })
    .await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    engine.wake();
    let (state, error): (String, String) = wait("the exercise tried", || {
        engine
            .db()
            .call_blocking(|c| {
                c.query_one(
                    "SELECT state, COALESCE(last_error, '') FROM deliveries WHERE kind = 'exercise'",
                    &[],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .ok()
            .filter(|(_, error): &(String, String)| !error.is_empty())
    })
    .await;
    assert_eq!(state, "pending", "{error}");
    assert!(error.contains("signed out"), "{error}");
    let metrics = engine.telemetry().metrics.encode();
    assert!(
        metrics.contains(r#"upright_platform_errors_total{platform="matrix",kind="signed_out"}"#),
        "{metrics}"
    );
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    engine_task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_names_no_zone_gets_the_one_in_their_profile_and_no_records_in_the_clear() {
    let world = plain_world(&["fay", "gus"]).await;
    let (synapse, tokens, bot_user) = (&world.synapse, &world.tokens, world.bot_user.as_str());
    // Fay's profile has a zone (Matrix 1.16's `m.tz`); Gus's has none.
    call(
        synapse,
        "PUT",
        &format!(
            "/_matrix/client/v3/profile/{}/m.tz",
            encode("@fay:localhost")
        ),
        &tokens[1],
        serde_json::json!({"m.tz": "Europe/Berlin"}),
    )
    .await;
    let direct = serde_json::json!({"preset": "trusted_private_chat", "is_direct": true});
    for (token, said) in [
        (
            &tokens[1],
            "I used the time zone in your profile, Europe/Berlin",
        ),
        (&tokens[2], "I used UTC"),
    ] {
        let dm = room_with_bot(synapse, token, bot_user, direct.clone()).await;
        say(synapse, token, &dm, "sub", "!upright subscribe 07:30").await;
        let answer = wait("the subscribe answer", || {
            bot_notices(synapse, token, &dm, bot_user)
                .into_iter()
                .find(|(_, body)| body.contains("Subscribed"))
        })
        .await
        .1;
        assert!(answer.contains(said), "{answer}");
        // This DM is not encrypted: records are not uploaded into it.
        say(synapse, token, &dm, "export", "!upright privacy export").await;
        wait("the export refused", || {
            bot_notices(synapse, token, &dm, bot_user)
                .into_iter()
                .find(|(_, body)| {
                    body.contains("only send files with your records into an encrypted room")
                })
        })
        .await;
        let files = raw_events(synapse, token, &dm)
            .into_iter()
            .filter(|e| e["sender"] == bot_user && e["content"]["msgtype"] == "m.file")
            .count();
        assert_eq!(files, 0, "no file in the clear");
    }
    world.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_run_a_group_follows_the_rooms_own_power_levels() {
    let world = plain_world(&["hal", "ivy"]).await;
    let (synapse, tokens, bot_user) = (&world.synapse, &world.tokens, world.bot_user.as_str());
    // Hal's room lets everyone change its settings (state_default 0).
    let settings = serde_json::json!({
        "preset": "public_chat",
        "power_level_content_override": {"state_default": 0},
    });
    let room = room_with_bot(synapse, &tokens[1], bot_user, settings).await;
    let join = format!("/_matrix/client/v3/join/{}", encode(&room));
    call(synapse, "POST", &join, &tokens[2], serde_json::json!({})).await;
    // Ivy, at level 0, may run the group here.
    say(
        synapse,
        &tokens[2],
        &room,
        "setup",
        "!upright group setup 07:00 UTC",
    )
    .await;
    wait("the group set up by a member the room allows", || {
        bot_notices(synapse, &tokens[2], &room, bot_user)
            .into_iter()
            .find(|(_, body)| body.contains("does the routine together"))
    })
    .await;
    world.bot.stop().await;
}

/// A member who chooses German with `!upright language de` reads German:
/// the answer at once, the disclaimer in their `subscribe` answer, and the
/// session the engine sends later, its texts from `content/de/`. She uses
/// a client with Element's trust rules in an encrypted DM, so every German
/// message is one she could actually read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_chooses_german_gets_german_sessions() {
    use upright::content::TopicId;
    use upright::i18n::Language;
    let synapse = Synapse::start();
    synapse.register(BOT, BOT_PASSWORD);
    synapse.register("hanna", "hanna-password-1");
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(
        &synapse,
        &work.path().join("matrix-store"),
        &work.path().join("bot.sqlite3"),
        &clock,
    )
    .await;
    let bot_user = bot.client.user_id().unwrap().to_owned();
    let hanna = MemberClient::login(&synapse, "hanna", "hanna-password-1").await;
    let room = hanna.client.create_dm(&bot_user).await.unwrap();
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
    wait_until_joined(&room, 2).await;
    let say = |text: &str| {
        let (room, text) = (room.clone(), text.to_string());
        async move {
            room.send(RoomMessageEventContent::text_plain(text))
                .await
                .unwrap()
        }
    };
    let content = common::content();

    say("!upright language de").await;
    let set = upright::tr!(Language::De, "language-set");
    hanna
        .wait_for_bot(&bot_user, "the German answer", |m| m.body.contains(&set))
        .await;
    say("!upright subscribe 07:00 UTC").await;
    let disclaimer = content.topic_in(Language::De, TopicId::Disclaimer);
    let answer = hanna
        .wait_for_bot(&bot_user, "the German disclaimer", |m| {
            m.body.contains(&disclaimer.points[0])
        })
        .await;
    assert!(!answer.body.contains("Subscribed"), "{}", answer.body);
    say("!upright agree").await;
    wait("the agreement recorded", || {
        (count(
            &bot.engine,
            "SELECT COUNT(*) FROM users WHERE agreed_at IS NOT NULL",
        ) == 1)
            .then_some(())
    })
    .await;

    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let routine = content.routine_in(Language::De, "upper-back").unwrap();
    let first = hanna
        .wait_for_bot(&bot_user, "exercise 1 in German", |m| {
            m.body.contains(&routine.exercises[0].title)
        })
        .await;
    assert!(
        first.body.contains(&routine.exercises[0].steps[0]),
        "{}",
        first.body
    );
    let opening = hanna
        .wait_for_bot(&bot_user, "the German opening", |m| {
            m.body.contains(&routine.title)
        })
        .await;
    assert!(opening.body.contains("Montag, 3. Mai"), "{}", opening.body);
    bot.stop().await;
}
