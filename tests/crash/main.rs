//! A crash loses nothing and sends nothing twice: `upright run` as a child
//! process against a real Synapse, members in one session at a one-minute
//! pace, killed with SIGKILL at random moments across the session and
//! started again each time. Afterwards every member's room is read: each
//! session message exactly once, none missing, and every check-in a member
//! made (the bot up, down or starting) recorded.
//!
//! Size and randomness from the environment: `UPRIGHT_CRASH_MEMBERS`
//! (default 10), `UPRIGHT_CRASH_KILLS` (default 4), `UPRIGHT_CRASH_SEED`
//! (default: from the clock). The seed and the counts are printed; the
//! README gives the larger run (50 members, 10 kills).
#![cfg(all(feature = "matrix", feature = "discord"))]

#[path = "../discord_fake/mod.rs"]
mod discord_fake;
#[path = "../synapse/mod.rs"]
mod synapse;

#[allow(dead_code)] // The bench's process helper; the CPU and memory readings are not used here.
#[path = "../../benches/burst/bot.rs"]
mod bot;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use discord_fake::{FakeDiscord, user};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use synapse::{Synapse, encode};
use tokio::time::Instant;

const BOT: &str = "upright";
const PASSWORD: &str = "crash-password-1";
const BOT_USER: &str = "@upright:localhost";

/// A small, seeded generator (SplitMix64): the same seed, the same run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration in `[0, limit)`.
    fn below(&mut self, limit: Duration) -> Duration {
        let millis = limit.as_millis().max(1) as u64;
        Duration::from_millis(self.next() % millis)
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The bot as a child process, started again after each kill.
struct Process {
    dir: PathBuf,
    env: Vec<(&'static str, String)>,
    running: Option<bot::Bot>,
}

impl Process {
    fn start(&mut self) {
        let bot =
            bot::Bot::spawn(bot::Program::Upright, &self.dir, &self.env).expect("the bot starts");
        self.running = Some(bot);
    }

    /// SIGKILL, then reap: nothing is flushed, nothing said goodbye.
    fn kill(&mut self) {
        drop(self.running.take());
    }

    fn log(&self) -> String {
        self.running
            .as_ref()
            .map(|bot| bot.log_tail(40))
            .unwrap_or_default()
    }
}

/// What the bot sent into one member's room, by what it is.
#[derive(Debug, Default)]
struct Received {
    /// Bot messages by marker: "opening", "1/5" … "5/5", "closing".
    counts: BTreeMap<&'static str, usize>,
    /// The exercise messages, step → event id.
    exercises: BTreeMap<u32, String>,
}

const MARKERS: [(&str, &str); 7] = [
    ("opening", "exercises today, one message each"),
    ("1/5", "1/5 · "),
    ("2/5", "2/5 · "),
    ("3/5", "3/5 · "),
    ("4/5", "4/5 · "),
    ("5/5", "5/5 · "),
    ("closing", "Routine complete"),
];

async fn read_room(synapse: &Synapse, token: &str, room: &str) -> Received {
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
    fn note(&mut self, text: &str, id: &str) {
        for (marker, needle) in MARKERS {
            if text.contains(needle) {
                *self.counts.entry(marker).or_default() += 1;
                if let Some(step) = marker.strip_suffix("/5").and_then(|s| s.parse().ok()) {
                    self.exercises.entry(step).or_insert(id.to_string());
                }
            }
        }
    }

    /// What is wrong with a member's messages: each exactly once.
    fn problems(&self, member: &str) -> Vec<String> {
        MARKERS
            .iter()
            .filter_map(|(marker, _)| {
                let count = self.counts.get(marker).copied().unwrap_or(0);
                (count != 1).then(|| format!("{member}: `{marker}` arrived {count} times"))
            })
            .collect()
    }

    fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// Where and when to kill, and how members take their time: all from the seed.
struct Plan {
    /// From the start of the killing, when each kill comes.
    kill_at: Vec<Duration>,
    /// How long the bot stays down after each.
    downtimes: Vec<Duration>,
    /// Per member and exercise, how long they take to check in.
    delays: Vec<Duration>,
}

impl Plan {
    /// `kills` moments from 10 s before `minute` to two minutes into the session.
    fn new(random: &mut Random, members: usize, kills: usize, minute: DateTime<Utc>) -> Plan {
        let start = (minute - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(Duration::from_secs(10));
        let mut kill_at: Vec<Duration> = (0..kills)
            .map(|_| start + random.below(Duration::from_secs(130)))
            .collect();
        kill_at.sort();
        let downtimes = (0..kills)
            .map(|_| random.below(Duration::from_secs(4)))
            .collect();
        let delays = (0..members * 5)
            .map(|_| random.below(Duration::from_secs(20)))
            .collect();
        let plan = Plan {
            kill_at,
            downtimes,
            delays,
        };
        println!(
            "kills at {:?} s from now, down for {:?} s",
            plan.kill_at
                .iter()
                .map(|d| d.as_secs_f32())
                .collect::<Vec<_>>(),
            plan.downtimes
                .iter()
                .map(|d| d.as_secs_f32())
                .collect::<Vec<_>>()
        );
        plan
    }

    /// How long member `i` takes to check in on exercise `step`.
    fn delay(&self, member: usize, step: u32) -> Duration {
        self.delays[member * 5 + (step as usize - 1) % 5]
    }

    /// Kills the bot at each planned moment and starts it again after its downtime.
    async fn kill(&self, bot: &mut Process) {
        let started = Instant::now();
        for (at, down) in self.kill_at.iter().zip(&self.downtimes) {
            tokio::time::sleep_until(started + *at).await;
            bot.kill();
            tokio::time::sleep(*down).await;
            bot.start();
        }
    }
}

/// Waits until the reactions still in flight have landed and the bot has
/// sent everything it owes.
async fn settle(database: &Path) {
    tokio::time::sleep(Duration::from_secs(25)).await;
    let limit = Instant::now() + Duration::from_secs(120);
    while !outbox_empty(database) && Instant::now() < limit {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until every member has agreed to the disclaimer (their commands are done).
async fn wait_for_agreement(database: &Path, members: usize, bot: &Process) {
    let limit = Instant::now() + Duration::from_secs(120);
    loop {
        let agreed: i64 = rusqlite::Connection::open_with_flags(
            database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM users WHERE agreed_at IS NOT NULL",
                [],
                |r| r.get(0),
            )
        })
        .unwrap_or(0);
        if agreed as usize >= members {
            return;
        }
        assert!(
            Instant::now() < limit,
            "members did not all subscribe:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What a platform lets a test member do.
trait Member: Send + Sync + 'static {
    /// How the bot's database knows them.
    fn name(&self) -> String;
    /// What the bot has sent them so far.
    fn received(&self) -> impl std::future::Future<Output = Received> + Send;
    /// Reacts ✅ to one of the bot's messages.
    fn check_in(&self, message: String, step: u32) -> impl std::future::Future<Output = ()> + Send;
}

/// What a session under kills left behind.
struct Outcome {
    names: Vec<String>,
    received: Vec<Received>,
    /// Every check-in a member made: (member, exercise).
    sent: BTreeSet<(String, u32)>,
    log: String,
}

/// The session with kills: each member checks in ✅ on each exercise after
/// their planned delay, the bot up or not, until their closing has come,
/// while the bot is killed and started again as planned. Then the bot
/// settles, and every member's messages are read.
async fn run_session<M: Member>(
    members: &[M],
    plan: &Plan,
    minute: DateTime<Utc>,
    poll: Duration,
    bot: &mut Process,
    database: &Path,
) -> Outcome {
    let sent: Mutex<BTreeSet<(String, u32)>> = Mutex::default();
    let deadline = Instant::now()
        + (minute - Utc::now()).to_std().unwrap_or_default()
        + Duration::from_secs(480);
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
                            tokio::time::sleep(plan.delay(i, step)).await;
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
    tokio::join!(futures_util::future::join_all(checking_in), plan.kill(bot));
    settle(database).await;
    let log = bot.log();
    bot.kill();
    let mut received = Vec::new();
    for member in members {
        received.push(member.received().await);
    }
    Outcome {
        names: members.iter().map(Member::name).collect(),
        received,
        sent: sent.into_inner().unwrap(),
        log,
    }
}

/// The verdict: every session message once, every check-in recorded.
fn verdict(run: &Run, outcome: &Outcome, database: &Path) {
    let Outcome {
        names,
        received,
        sent,
        log,
    } = outcome;
    let Run {
        members,
        kills,
        seed,
    } = *run;
    let problems: Vec<String> = received
        .iter()
        .zip(names)
        .flat_map(|(r, name)| r.problems(name))
        .collect();
    let messages: usize = received.iter().map(Received::total).sum();
    let recorded = check_ins_recorded(database);
    let lost: Vec<_> = sent.difference(&recorded).collect();
    println!(
        "crash test: {members} members, {kills} kills (seed {seed}): {messages} session messages read, \
         {} expected; {} check-ins sent, {} recorded, {} lost",
        members * MARKERS.len(),
        sent.len(),
        recorded.len(),
        lost.len()
    );
    assert!(
        problems.is_empty(),
        "seed {seed}: {problems:#?}\nthe bot's log ends:\n{log}"
    );
    assert!(
        lost.is_empty(),
        "seed {seed}: check-ins lost: {lost:?}\nthe bot's log ends:\n{log}"
    );
    assert_eq!(
        sent.len(),
        members * 5,
        "seed {seed}: every member checked in on every exercise"
    );
}

/// The run's size and seed.
#[derive(Clone, Copy)]
struct Run {
    members: usize,
    kills: usize,
    seed: u64,
}

impl Run {
    /// From the environment, printed so a failure can be repeated.
    fn from_env() -> Run {
        let run = Run {
            members: setting("UPRIGHT_CRASH_MEMBERS", 10) as usize,
            kills: setting("UPRIGHT_CRASH_KILLS", 4) as usize,
            seed: setting("UPRIGHT_CRASH_SEED", Utc::now().timestamp_millis() as u64),
        };
        println!(
            "crash test: {} members, {} kills, seed {} (UPRIGHT_CRASH_SEED={} repeats it)",
            run.members, run.kills, run.seed, run.seed
        );
        run
    }
}

/// The first whole minute at least `lead` from now, in UTC.
fn next_minute_after(lead: Duration) -> DateTime<Utc> {
    let earliest = Utc::now() + chrono::Duration::from_std(lead).unwrap_or_default();
    let whole = (earliest.timestamp() / 60 + 1) * 60;
    DateTime::from_timestamp(whole, 0).expect("a minute in range")
}

async fn send(synapse: &Synapse, token: &str, room: &str, kind: &str, txn: &str, content: Value) {
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

fn check_ins_recorded(database: &Path) -> BTreeSet<(String, u32)> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let connection = rusqlite::Connection::open_with_flags(database, flags).unwrap();
    connection.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut statement = connection
        .prepare(
            "SELECT u.platform_user_id, c.step FROM check_ins c JOIN users u ON u.id = c.user_id
             WHERE c.kind = 'done'",
        )
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn message_recorded(database: &Path, event_id: &str) -> bool {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let Ok(connection) = rusqlite::Connection::open_with_flags(database, flags) else {
        return false;
    };
    connection
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE platform_message_id = ?1 AND state = 'done'",
            [event_id],
            |row| row.get::<_, i64>(0),
        )
        .is_ok_and(|found| found == 1)
}

fn outbox_empty(database: &Path) -> bool {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let Ok(connection) = rusqlite::Connection::open_with_flags(database, flags) else {
        return false;
    };
    connection
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sent')",
            [],
            |row| row.get::<_, i64>(0),
        )
        .is_ok_and(|left| left == 0)
}

/// A Synapse, the bot as a child process, and members who have each opened
/// a direct chat with it, subscribed to `minute` and agreed.
struct MatrixWorld {
    members: Vec<MatrixMember>,
    bot: Process,
    database: PathBuf,
    minute: DateTime<Utc>,
    _work: tempfile::TempDir,
}

async fn matrix_world(members: usize) -> MatrixWorld {
    let synapse = Arc::new(tokio::task::spawn_blocking(Synapse::start).await.unwrap());
    let mut names = vec![BOT.to_string()];
    names.extend((0..members).map(|i| format!("member{i:03}")));
    let tokens = synapse.register_many(&names, PASSWORD);
    let member_tokens: Vec<String> = tokens[1..].to_vec();

    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("crash.sqlite3");
    let mut bot = Process {
        dir: work.path().to_path_buf(),
        env: vec![
            ("MATRIX_HOMESERVER", synapse.url.clone()),
            ("MATRIX_USER", BOT.into()),
            ("MATRIX_PASSWORD", PASSWORD.into()),
            (
                "MATRIX_STORE_DIR",
                work.path().join("store").display().to_string(),
            ),
            ("MATRIX_STORE_PASSPHRASE", "crash-store".into()),
            ("UPRIGHT_DATABASE", database.display().to_string()),
            (
                "UPRIGHT_CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
            ),
            ("UPRIGHT_PACE", "1".into()),
            ("RUST_LOG", "warn,upright::app=info".into()),
        ],
        running: None,
    };
    bot.start();

    // Each member opens a direct chat with the bot and subscribes to one minute.
    let mut rooms = Vec::new();
    let create = json!({"preset": "trusted_private_chat", "is_direct": true, "invite": [BOT_USER]});
    for token in &member_tokens {
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
    let minute =
        next_minute_after(Duration::from_secs(40) + Duration::from_millis(300) * members as u32);
    let hhmm = minute.format("%H:%M").to_string();
    for (i, token) in member_tokens.iter().enumerate() {
        for (n, body) in [
            format!("!upright subscribe {hhmm} UTC"),
            "!upright agree".into(),
        ]
        .iter()
        .enumerate()
        {
            let content = json!({"msgtype": "m.text", "body": body});
            send(
                &synapse,
                token,
                &rooms[i],
                "m.room.message",
                &format!("cmd{n}"),
                content,
            )
            .await;
        }
    }
    wait_for_agreement(&database, members, &bot).await;
    let members = (0..members)
        .map(|i| MatrixMember {
            synapse: Arc::clone(&synapse),
            token: member_tokens[i].clone(),
            room: rooms[i].clone(),
            user: format!("@{}:localhost", names[i + 1]),
        })
        .collect();
    MatrixWorld {
        members,
        bot,
        database,
        minute,
        _work: work,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_the_bot_loses_nothing_and_sends_nothing_twice() {
    let run = Run::from_env();
    let mut random = Random(run.seed);
    let mut world = matrix_world(run.members).await;
    let plan = Arc::new(Plan::new(&mut random, run.members, run.kills, world.minute));
    let outcome = run_session(
        &world.members,
        &plan,
        world.minute,
        Duration::from_secs(2),
        &mut world.bot,
        &world.database,
    )
    .await;
    verdict(&run, &outcome, &world.database);
}

/// The moment the random kills found only now and then, made to happen:
/// the reaction has come with a sync (so matrix-sdk has already saved a
/// sync token past it) but the database has not recorded it yet — here
/// because another process holds the database's write lock — when the bot
/// is killed. Started again, the bot resumes from its own saved position,
/// receives the reaction again and records it; nothing is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_received_but_not_recorded_when_the_bot_is_killed_is_recorded_after_the_restart()
{
    let mut world = matrix_world(1).await;
    let member = &world.members[0];
    let limit = Instant::now() + Duration::from_secs(180);
    let first = loop {
        if let Some(first) = member.received().await.exercises.get(&1) {
            break first.clone();
        }
        assert!(
            Instant::now() < limit,
            "no first exercise:\n{}",
            world.bot.log()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // The bot has recorded which message it sent, so the reaction finds it.
    let limit = Instant::now() + Duration::from_secs(120);
    while !message_recorded(&world.database, &first) {
        assert!(
            Instant::now() < limit,
            "the first exercise was never recorded:\n{}",
            world.bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let lock = rusqlite::Connection::open(&world.database).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    member.check_in(first, 1).await;
    // The bot's log says when it has the reaction and cannot write it.
    let limit = Instant::now() + Duration::from_secs(120);
    while !world.bot.log().contains("cannot record a reaction yet") {
        assert!(
            Instant::now() < limit,
            "the bot never tried to record the reaction:\n{}",
            world.bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    world.bot.kill();
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    assert!(check_ins_recorded(&world.database).is_empty());
    world.bot.start();
    let expected = BTreeSet::from([(member.name(), 1)]);
    let limit = Instant::now() + Duration::from_secs(120);
    while check_ins_recorded(&world.database) != expected {
        assert!(
            Instant::now() < limit,
            "the check-in made before the kill was never recorded:\n{}",
            world.bot.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Exercise 2 follows a minute later; each message still comes once.
    let limit = Instant::now() + Duration::from_secs(120);
    let received = loop {
        let received = member.received().await;
        if received.exercises.contains_key(&2) || Instant::now() > limit {
            break received;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    world.bot.kill();
    assert_eq!(received.counts.get("1/5"), Some(&1), "{received:?}");
    assert_eq!(received.counts.get("2/5"), Some(&1), "{received:?}");
}

/// A member as a plain Matrix client in their DM with the bot.
struct MatrixMember {
    synapse: Arc<Synapse>,
    token: String,
    room: String,
    user: String,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_on_discord_the_bot_loses_nothing_and_sends_nothing_twice() {
    let run = Run::from_env();
    let (members, kills) = (run.members, run.kills);
    let mut random = Random(run.seed.rotate_left(17));
    let fake = FakeDiscord::start().await;
    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("crash.sqlite3");
    let mut bot = Process {
        dir: work.path().to_path_buf(),
        env: vec![
            ("DISCORD_TOKEN", discord_fake::TOKEN.into()),
            ("DISCORD_API_BASE", fake.rest_url.clone()),
            ("UPRIGHT_DATABASE", database.display().to_string()),
            (
                "UPRIGHT_CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
            ),
            ("UPRIGHT_PACE", "1".into()),
            ("RUST_LOG", "warn,upright::discord=info".into()),
        ],
        running: None,
    };
    bot.start();
    let registered = Instant::now() + Duration::from_secs(60);
    while !fake
        .calls()
        .iter()
        .any(|c| c.method == "PUT" && c.path.ends_with("/commands"))
    {
        assert!(
            Instant::now() < registered,
            "no commands registered:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let ids: Vec<String> = (0..members).map(|i| (20_000_000 + i).to_string()).collect();
    let channels: Vec<String> = ids.iter().map(|id| fake.dm_channel_for(id)).collect();
    let minute =
        next_minute_after(Duration::from_secs(30) + Duration::from_millis(100) * members as u32);
    let hhmm = minute.format("%H:%M").to_string();
    for id in &ids {
        let member = user(id, &format!("member{id}"), false);
        let time = json!([{ "name": "time", "type": 3, "value": hhmm }, { "name": "timezone", "type": 3, "value": "UTC" }]);
        fake.interaction("subscribe", time, &member, false);
        tokio::time::sleep(Duration::from_millis(50)).await;
        fake.interaction("agree", json!([]), &member, false);
    }
    wait_for_agreement(&database, members, &bot).await;
    let plan = Arc::new(Plan::new(&mut random, members, kills, minute));

    let members: Vec<DiscordMember> = ids
        .iter()
        .zip(&channels)
        .map(|(id, channel)| DiscordMember {
            fake: fake.clone(),
            id: id.clone(),
            channel: channel.clone(),
        })
        .collect();
    let outcome = run_session(
        &members,
        &plan,
        minute,
        Duration::from_millis(500),
        &mut bot,
        &database,
    )
    .await;
    verdict(&run, &outcome, &database);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

/// A member of the fake Discord in their DM with the bot. Discord keeps a
/// reaction made while the bot is away, without telling it.
struct DiscordMember {
    fake: FakeDiscord,
    id: String,
    channel: String,
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
fn discord_messages(fake: &FakeDiscord, channel: &str) -> Received {
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
