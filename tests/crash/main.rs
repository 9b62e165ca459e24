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

#[cfg(feature = "postgres")]
mod failover;
mod members;
mod press;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use discord_fake::FakeDiscord;
use members::{
    BOT, DiscordMember, MARKERS, MatrixMember, Member, PASSWORD, Random, Received, follow_session,
    next_minute_after, open_dms, setting, subscribe_on_discord, subscribe_on_matrix,
};
use synapse::Synapse;
use tokio::time::Instant;

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

    /// The bot on the fake Discord and a SQLite file, at `pace` minutes
    /// (not started yet).
    fn on_discord(fake: &FakeDiscord, dir: &Path, database: &Path, pace: u32) -> Process {
        Process {
            dir: dir.to_path_buf(),
            env: vec![
                ("DISCORD_TOKEN", discord_fake::TOKEN.into()),
                ("DISCORD_API_BASE", fake.rest_url.clone()),
                ("UPRIGHT_DATABASE", database.display().to_string()),
                (
                    "UPRIGHT_CONTENT_DIR",
                    concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
                ),
                ("UPRIGHT_PACE", pace.to_string()),
                ("RUST_LOG", "warn,upright::discord=info".into()),
            ],
            running: None,
        }
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
        Plan::within(random, members, kills, minute, Duration::from_secs(130))
    }

    /// `kills` moments in `window` from 10 s before `minute`.
    fn within(
        random: &mut Random,
        members: usize,
        kills: usize,
        minute: DateTime<Utc>,
        window: Duration,
    ) -> Plan {
        let start = (minute - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(Duration::from_secs(10));
        let mut kill_at: Vec<Duration> = (0..kills).map(|_| start + random.below(window)).collect();
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

/// Waits until the bot has registered its commands on the fake Discord
/// (it is connected, and interactions reach it).
async fn wait_for_commands(fake: &FakeDiscord, bot: &Process) {
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
    let deadline = session_deadline(minute);
    let delay = |member: usize, step: u32| plan.delay(member, step);
    let (sent, ()) = tokio::join!(
        follow_session(members, &delay, deadline, poll),
        plan.kill(bot)
    );
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
        sent,
        log,
    }
}

/// When members stop waiting for their session of `minute` to close.
fn session_deadline(minute: DateTime<Utc>) -> Instant {
    Instant::now() + (minute - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(480)
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
    let rooms = open_dms(&synapse, &member_tokens).await;
    let minute =
        next_minute_after(Duration::from_secs(40) + Duration::from_millis(300) * members as u32);
    subscribe_on_matrix(&synapse, &member_tokens, &rooms, minute).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_on_discord_the_bot_loses_nothing_and_sends_nothing_twice() {
    let run = Run::from_env();
    let (members, kills) = (run.members, run.kills);
    let mut random = Random(run.seed.rotate_left(17));
    let fake = FakeDiscord::start().await;
    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("crash.sqlite3");
    let mut bot = Process::on_discord(&fake, work.path(), &database, 1);
    bot.start();
    wait_for_commands(&fake, &bot).await;

    let ids: Vec<String> = (0..members).map(|i| (20_000_000 + i).to_string()).collect();
    let channels: Vec<String> = ids.iter().map(|id| fake.dm_channel_for(id)).collect();
    let minute =
        next_minute_after(Duration::from_secs(30) + Duration::from_millis(100) * members as u32);
    subscribe_on_discord(&fake, &ids, minute).await;
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
