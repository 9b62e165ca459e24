//! Fail-over: three `upright run` replicas share one PostgreSQL database,
//! against a real Synapse and the fake Discord, with members on both in one
//! session at a one-minute pace. The replica holding a platform's lease
//! (its listener and its sender) is killed with SIGKILL at seeded random
//! moments through the session, Matrix and Discord in turn, and started
//! again each time; another replica takes the platform over. Members check
//! in on every exercise and ask `status` once, whichever replica is up.
//! Afterwards: each session message arrived exactly once, every check-in
//! made is recorded, every command was answered. Each take-over time —
//! from the kill until another replica holds the lease and its /healthz
//! shows the platform connected — is printed, never asserted: the machines
//! the tests run on are shared.
//!
//! `UPRIGHT_FAILOVER_MEMBERS` (per platform, default 6),
//! `UPRIGHT_FAILOVER_KILLS` (default 2), `UPRIGHT_FAILOVER_SEED` (default:
//! from the clock) are printed; the README gives the full-size run (50
//! members each side, 5 kills).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::discord_fake::{self, FakeDiscord, user};
use crate::members::{
    BOT, DiscordMember, MARKERS, MatrixMember, Member, PASSWORD, Random, Received, STATUS_ANSWER,
    follow_session, next_minute_after, open_dms, send, setting, subscribe_on_discord,
    subscribe_on_matrix,
};
use crate::synapse::{Postgres, Synapse};
use crate::{Plan, Process, session_deadline};

const REPLICAS: usize = 3;
/// The leases, killed in turn.
const PLATFORMS: [&str; 2] = ["matrix", "discord"];
/// How long a take-over may take before the test calls it lost.
const TAKE_OVER_LIMIT: Duration = Duration::from_secs(180);
/// How long a Discord member waits for an answer before asking again.
const ANSWER_WAIT: Duration = Duration::from_secs(15);
/// How often a Discord member asks before giving up.
const ASKS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_holder_killed_at_random_moments_another_replica_takes_over_and_nothing_is_lost()
 {
    let size = Size::from_env();
    let mut random = Random(size.seed);
    let mut world = world(size.members).await;
    // Kills from 10 s before the session until its last exercise is due.
    let window = Duration::from_secs(270);
    let plan = Plan::within(
        &mut random,
        2 * size.members,
        size.kills,
        world.minute,
        window,
    );
    let asks = moments(&mut random, 2 * size.members, world.minute, window);
    let outcome = run_session(&mut world, &plan, &asks).await;
    verdict(&size, &outcome, &mut world);
}

/// `count` moments in `window` from 10 s before `minute`, from now.
fn moments(
    random: &mut Random,
    count: usize,
    minute: DateTime<Utc>,
    window: Duration,
) -> Vec<Duration> {
    let start = (minute - Utc::now())
        .to_std()
        .unwrap_or_default()
        .saturating_sub(Duration::from_secs(10));
    (0..count).map(|_| start + random.below(window)).collect()
}

/// The run's size and seed.
struct Size {
    members: usize,
    kills: usize,
    seed: u64,
}

impl Size {
    /// From the environment, printed so a failure can be repeated.
    fn from_env() -> Size {
        let size = Size {
            members: setting("UPRIGHT_FAILOVER_MEMBERS", 6) as usize,
            kills: setting("UPRIGHT_FAILOVER_KILLS", 2) as usize,
            seed: setting(
                "UPRIGHT_FAILOVER_SEED",
                Utc::now().timestamp_millis() as u64,
            ),
        };
        println!(
            "fail-over test: {} members on each platform, {} kills, seed {} \
             (UPRIGHT_FAILOVER_SEED={} repeats it)",
            size.members, size.kills, size.seed, size.seed
        );
        size
    }
}

/// One `upright run` among the replicas, started again after each kill.
struct Replica {
    process: Process,
    /// Where it serves /metrics and /healthz.
    addr: String,
    starts: usize,
}

impl Replica {
    /// Starts it; the log of each earlier start is kept beside (bot.1.log …).
    fn start(&mut self) {
        if self.starts > 0 {
            let earlier = format!("bot.{}.log", self.starts);
            let _ = std::fs::rename(
                self.process.dir.join("bot.log"),
                self.process.dir.join(earlier),
            );
        }
        self.starts += 1;
        self.process.start();
    }

    fn pid(&self) -> Option<u32> {
        self.process.running.as_ref().map(crate::bot::Bot::pid)
    }

    /// What its /healthz says of each platform ("connected", "standing by" …).
    async fn platforms(&self) -> BTreeMap<String, String> {
        let body = tokio::time::timeout(Duration::from_secs(5), get_healthz(&self.addr))
            .await
            .ok()
            .flatten()
            .unwrap_or(Value::Null);
        body["platforms"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, state)| (name.clone(), state.as_str().unwrap_or_default().into()))
            .collect()
    }

    /// Whether its /healthz shows every platform in `state`.
    async fn shows_all(&self, state: &str) -> bool {
        let platforms = self.platforms().await;
        PLATFORMS
            .iter()
            .all(|p| platforms.get(*p).is_some_and(|s| s == state))
    }
}

/// GET /healthz over HTTP/1.0: the JSON body, whatever the status.
async fn get_healthz(addr: &str) -> Option<Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let response = String::from_utf8_lossy(&response);
    let (_, body) = response.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

/// A free 127.0.0.1 address for a replica's /healthz.
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// One SQL statement through `psql`, off the async threads.
async fn sql(postgres: &Arc<Postgres>, query: &str) -> String {
    let (postgres, query) = (Arc::clone(postgres), query.to_string());
    tokio::task::spawn_blocking(move || postgres.psql(&query))
        .await
        .expect("psql ran")
}

/// The replicas and the database they share.
struct Cluster {
    replicas: Vec<Replica>,
    postgres: Arc<Postgres>,
}

/// One take-over: of which platform, from which replica to which, how long.
struct Takeover {
    platform: String,
    seconds: f64,
}

impl Cluster {
    /// Who holds each lease: platform → "<host>/<pid>/<start millis>".
    async fn leases(&self) -> BTreeMap<String, String> {
        sql(&self.postgres, "SELECT name, holder FROM leases")
            .await
            .lines()
            .filter_map(|line| line.split_once('|'))
            .map(|(name, holder)| (name.to_string(), holder.to_string()))
            .collect()
    }

    /// The running replica a holder is, by its process id.
    fn replica_of(&self, holder: &str) -> Option<usize> {
        let pid: u32 = holder.split('/').nth(1)?.parse().ok()?;
        self.replicas.iter().position(|r| r.pid() == Some(pid))
    }

    /// The end of each replica's log.
    fn logs(&self) -> String {
        let mut logs = String::new();
        for (n, replica) in self.replicas.iter().enumerate() {
            let tail = replica.process.log();
            logs.push_str(&format!(
                "== replica {n} (pid {:?}):\n{tail}\n",
                replica.pid()
            ));
        }
        logs
    }

    /// The replica holding `platform` now, and every lease it holds.
    async fn holder_of(&self, platform: &str) -> (usize, BTreeMap<String, String>) {
        let limit = Instant::now() + Duration::from_secs(60);
        loop {
            let leases = self.leases().await;
            if let Some(victim) = leases.get(platform).and_then(|h| self.replica_of(h)) {
                let held = leases
                    .into_iter()
                    .filter(|(_, holder)| self.replica_of(holder) == Some(victim))
                    .collect();
                return (victim, held);
            }
            assert!(
                Instant::now() < limit,
                "no running replica holds {platform}: {leases:?}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Kills the replica holding `platform` (SIGKILL), starts it again after
    /// `down`, and waits until each platform it held is taken over.
    async fn kill_holder(&mut self, kill: usize, platform: &str, down: Duration) -> Vec<Takeover> {
        let (victim, held) = self.holder_of(platform).await;
        let pid = self.replicas[victim].pid();
        self.replicas[victim].process.kill();
        let killed = Instant::now();
        let names: Vec<&String> = held.keys().collect();
        println!("kill {kill}: replica {victim} (pid {pid:?}) holding {names:?}");
        tokio::time::sleep(down).await;
        self.replicas[victim].start();
        self.await_takeovers(kill, held, killed).await
    }

    /// Waits until another holder has each of `held` (platform → the killed
    /// holder) and its replica's /healthz shows the platform connected.
    async fn await_takeovers(
        &self,
        kill: usize,
        mut held: BTreeMap<String, String>,
        killed: Instant,
    ) -> Vec<Takeover> {
        let mut takeovers = Vec::new();
        while !held.is_empty() {
            let leases = self.leases().await;
            assert!(
                killed.elapsed() < TAKE_OVER_LIMIT,
                "kill {kill}: {:?} not taken over in {} s; leases: {leases:?}\n{}",
                held.keys(),
                TAKE_OVER_LIMIT.as_secs(),
                self.logs()
            );
            for (platform, old) in held.clone() {
                let Some(to) = leases
                    .get(&platform)
                    .filter(|holder| **holder != old)
                    .and_then(|holder| self.replica_of(holder))
                else {
                    continue;
                };
                let state = self.replicas[to].platforms().await.remove(&platform);
                if state.as_deref() == Some("connected") {
                    let seconds = killed.elapsed().as_secs_f64();
                    println!(
                        "kill {kill}: {platform} taken over by replica {to} in {seconds:.1} s"
                    );
                    takeovers.push(Takeover {
                        platform: platform.clone(),
                        seconds,
                    });
                    held.remove(&platform);
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        takeovers
    }
}

/// A replica's settings: both platforms, the shared database, a store
/// folder and a /healthz address of its own.
fn replica(
    n: usize,
    postgres: &Postgres,
    synapse: &Synapse,
    fake: &FakeDiscord,
    work: &Path,
) -> Replica {
    let dir = work.join(format!("replica{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    let addr = free_addr();
    let env = vec![
        ("MATRIX_HOMESERVER", synapse.url.clone()),
        ("MATRIX_USER", BOT.into()),
        ("MATRIX_PASSWORD", PASSWORD.into()),
        ("MATRIX_STORE_DIR", dir.join("store").display().to_string()),
        ("MATRIX_STORE_PASSPHRASE", "failover-store".into()),
        ("DISCORD_TOKEN", discord_fake::TOKEN.into()),
        ("DISCORD_API_BASE", fake.rest_url.clone()),
        ("UPRIGHT_DATABASE", postgres.url()),
        (
            "UPRIGHT_CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
        ),
        ("UPRIGHT_PACE", "1".into()),
        ("UPRIGHT_METRICS_ADDR", addr.clone()),
        ("RUST_LOG", "warn,upright=info".into()),
    ];
    let process = Process {
        dir,
        env,
        running: None,
    };
    Replica {
        process,
        addr,
        starts: 0,
    }
}

/// Starts the first replica, waits until it holds both platforms and has
/// written the recovery key, then starts the others with that key.
async fn start_cluster(
    postgres: &Arc<Postgres>,
    synapse: &Synapse,
    fake: &FakeDiscord,
    work: &Path,
) -> Cluster {
    let replicas = (0..REPLICAS)
        .map(|n| replica(n, postgres, synapse, fake, work))
        .collect();
    let mut cluster = Cluster {
        replicas,
        postgres: Arc::clone(postgres),
    };
    cluster.replicas[0].start();
    let key_file = work.join("replica0/store/recovery-key");
    let limit = Instant::now() + Duration::from_secs(240);
    loop {
        // /healthz is served once the database is migrated.
        if cluster.replicas[0].shows_all("connected").await && key_file.exists() {
            let leases = cluster.leases().await;
            let holders: BTreeSet<_> = leases.values().map(|h| cluster.replica_of(h)).collect();
            if leases.len() == PLATFORMS.len() && holders == BTreeSet::from([Some(0)]) {
                break;
            }
        }
        assert!(
            Instant::now() < limit,
            "the first replica did not take both platforms:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_string();
    for replica in &mut cluster.replicas {
        replica
            .process
            .env
            .push(("MATRIX_RECOVERY_KEY", key.clone()));
    }
    for replica in &mut cluster.replicas[1..] {
        replica.start();
    }
    let limit = Instant::now() + Duration::from_secs(120);
    for replica in &cluster.replicas[1..] {
        while !replica.shows_all("standing by").await {
            assert!(
                Instant::now() < limit,
                "a replica is not standing by:\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    cluster
}

/// PostgreSQL, Synapse, the fake Discord, the replicas, and members on
/// both platforms subscribed to one minute and agreed.
struct World {
    cluster: Cluster,
    fake: FakeDiscord,
    matrix: Vec<MatrixMember>,
    discord: Vec<DiscordMember>,
    minute: DateTime<Utc>,
    work: Option<tempfile::TempDir>,
}

async fn world(members: usize) -> World {
    let (postgres, synapse) = tokio::join!(
        tokio::task::spawn_blocking(Postgres::start),
        tokio::task::spawn_blocking(Synapse::start)
    );
    let (postgres, synapse) = (Arc::new(postgres.unwrap()), Arc::new(synapse.unwrap()));
    let fake = FakeDiscord::start().await;
    let mut names = vec![BOT.to_string()];
    names.extend((0..members).map(|i| format!("member{i:03}")));
    let tokens = synapse.register_many(&names, PASSWORD)[1..].to_vec();
    let work = tempfile::Builder::new()
        .prefix("upright-failover")
        .tempdir()
        .unwrap();
    let cluster = start_cluster(&postgres, &synapse, &fake, work.path()).await;

    let rooms = open_dms(&synapse, &tokens).await;
    let ids: Vec<String> = (0..members).map(|i| (20_000_000 + i).to_string()).collect();
    let minute =
        next_minute_after(Duration::from_secs(40) + Duration::from_millis(400) * members as u32);
    subscribe_on_matrix(&synapse, &tokens, &rooms, minute).await;
    subscribe_on_discord(&fake, &ids, minute).await;
    wait_for_agreement(&cluster, 2 * members).await;
    let matrix = tokens
        .iter()
        .zip(&rooms)
        .zip(&names[1..])
        .map(|((token, room), name)| MatrixMember {
            synapse: Arc::clone(&synapse),
            token: token.clone(),
            room: room.clone(),
            user: format!("@{name}:localhost"),
        })
        .collect();
    let discord = ids
        .iter()
        .map(|id| DiscordMember {
            fake: fake.clone(),
            id: id.clone(),
            channel: fake.dm_channel_for(id),
        })
        .collect();
    World {
        cluster,
        fake,
        matrix,
        discord,
        minute,
        work: Some(work),
    }
}

/// Waits until `members` have agreed to the disclaimer.
async fn wait_for_agreement(cluster: &Cluster, members: usize) {
    let limit = Instant::now() + Duration::from_secs(120);
    loop {
        let query = "SELECT COUNT(*) FROM users WHERE agreed_at IS NOT NULL";
        let agreed: usize = sql(&cluster.postgres, query).await.parse().unwrap_or(0);
        if agreed >= members {
            return;
        }
        assert!(
            Instant::now() < limit,
            "{agreed} of {members} members subscribed:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What a session under kills left behind.
struct Outcome {
    /// Each member's name and what the bot sent them.
    received: Vec<(String, Received)>,
    /// Every check-in a member made, and every one recorded: (member, exercise).
    sent: BTreeSet<(String, u32)>,
    recorded: BTreeSet<(String, u32)>,
    /// How many times each Discord member asked `status` (0: never answered).
    discord_asks: Vec<usize>,
    takeovers: Vec<Takeover>,
    logs: String,
}

/// The session: members follow it on both platforms and each asks
/// `status` once (at `asks[member]`, Matrix members first), while the
/// holders are killed as planned. Then the replicas settle what they owe.
async fn run_session(world: &mut World, plan: &Plan, asks: &[Duration]) -> Outcome {
    let n = world.matrix.len();
    let deadline = session_deadline(world.minute);
    let started = Instant::now();
    let matrix_delay = |member: usize, step: u32| plan.delay(member, step);
    let discord_delay = |member: usize, step: u32| plan.delay(n + member, step);
    let (matrix_sent, discord_sent, takeovers, (), discord_asks) = tokio::join!(
        follow_session(
            &world.matrix,
            &matrix_delay,
            deadline,
            Duration::from_secs(2)
        ),
        follow_session(
            &world.discord,
            &discord_delay,
            deadline,
            Duration::from_millis(500)
        ),
        kill_holders(&mut world.cluster, plan, started),
        ask_on_matrix(&world.matrix, &asks[..n], started),
        ask_on_discord(&world.discord, &asks[n..], started),
    );
    settle(&world.cluster).await;
    let logs = world.cluster.logs();
    for replica in &mut world.cluster.replicas {
        replica.process.kill();
    }
    let mut received = Vec::new();
    for member in &world.matrix {
        received.push((member.name(), member.received().await));
    }
    for member in &world.discord {
        received.push((member.name(), member.received().await));
    }
    Outcome {
        received,
        sent: matrix_sent.union(&discord_sent).cloned().collect(),
        recorded: check_ins_recorded(&world.cluster.postgres).await,
        discord_asks,
        takeovers,
        logs,
    }
}

/// At each planned moment, kills the holder of Matrix and of Discord in
/// turn, and waits for its platforms to be taken over before the next.
async fn kill_holders(cluster: &mut Cluster, plan: &Plan, started: Instant) -> Vec<Takeover> {
    let mut takeovers = Vec::new();
    for (n, (at, down)) in plan.kill_at.iter().zip(&plan.downtimes).enumerate() {
        tokio::time::sleep_until(started + *at).await;
        let platform = PLATFORMS[n % PLATFORMS.len()];
        takeovers.extend(cluster.kill_holder(n + 1, platform, *down).await);
    }
    takeovers
}

/// Each Matrix member sends `!upright status` at their moment; the room
/// keeps it for whichever replica reads it.
async fn ask_on_matrix(members: &[MatrixMember], at: &[Duration], started: Instant) {
    let asking = members.iter().zip(at).map(|(member, at)| async move {
        tokio::time::sleep_until(started + *at).await;
        let content = json!({"msgtype": "m.text", "body": "!upright status"});
        let (synapse, token, room) = (&member.synapse, &member.token, &member.room);
        send(synapse, token, room, "m.room.message", "status", content).await;
    });
    futures_util::future::join_all(asking).await;
}

/// Each Discord member uses `/status` at their moment. Discord hands an
/// interaction to the gateway session connected then, and to no other: one
/// sent to a replica just killed, or while none was connected, is never
/// answered, so a member without an answer after a while asks again, as a
/// person would. How many times each asked; 0 if never answered.
async fn ask_on_discord(
    members: &[DiscordMember],
    at: &[Duration],
    started: Instant,
) -> Vec<usize> {
    let asking = members.iter().zip(at).map(|(member, at)| async move {
        tokio::time::sleep_until(started + *at).await;
        let from = user(&member.id, &format!("member{}", member.id), false);
        let mut seen = 0;
        for asked in 1..=ASKS {
            let (_, token) = member.fake.interaction("status", json!([]), &from, false);
            let limit = Instant::now() + ANSWER_WAIT;
            while Instant::now() < limit {
                let calls = member.fake.calls_since(seen);
                seen += calls.len();
                let answer = calls.iter().any(|call| {
                    call.path.contains(&token) && call.body.to_string().contains(STATUS_ANSWER)
                });
                if answer {
                    return asked;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        0
    });
    futures_util::future::join_all(asking).await
}

/// Waits until the reactions still in flight have landed and the replicas
/// have sent everything owed.
async fn settle(cluster: &Cluster) {
    tokio::time::sleep(Duration::from_secs(25)).await;
    let limit = Instant::now() + Duration::from_secs(120);
    let owed = "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sent')";
    while sql(&cluster.postgres, owed).await != "0" && Instant::now() < limit {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn check_ins_recorded(postgres: &Arc<Postgres>) -> BTreeSet<(String, u32)> {
    let query = "SELECT u.platform_user_id, c.step FROM check_ins c \
                 JOIN users u ON u.id = c.user_id WHERE c.kind = 'done'";
    sql(postgres, query)
        .await
        .lines()
        .filter_map(|line| line.split_once('|'))
        .map(|(member, step)| (member.to_string(), step.parse().expect("a step")))
        .collect()
}

/// Interactions answered more than once (two replicas answering one).
fn answered_twice(fake: &FakeDiscord) -> Vec<String> {
    let mut callbacks: BTreeMap<String, usize> = BTreeMap::new();
    for call in fake.calls() {
        if call.path.contains("/interactions/") && call.path.ends_with("/callback") {
            *callbacks.entry(call.path).or_default() += 1;
        }
    }
    callbacks
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(path, count)| format!("{path} answered {count} times"))
        .collect()
}

/// The 95th percentile (nearest rank) and the largest of `times`.
fn p95_and_max(times: &[f64]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((sorted.len() as f64) * 0.95).ceil() as usize;
    let p95 = sorted.get(rank.saturating_sub(1)).copied().unwrap_or(0.0);
    (p95, sorted.last().copied().unwrap_or(0.0))
}

/// Prints each take-over time, per platform, with p95 and max.
fn print_takeovers(takeovers: &[Takeover]) {
    for platform in PLATFORMS {
        let times: Vec<f64> = takeovers
            .iter()
            .filter(|t| t.platform == platform)
            .map(|t| t.seconds)
            .collect();
        let shown: Vec<String> = times.iter().map(|s| format!("{s:.1}")).collect();
        let (p95, max) = p95_and_max(&times);
        println!(
            "take-overs of {platform}: {} s (p95 {p95:.1} s, max {max:.1} s)",
            shown.join(", ")
        );
    }
    let all: Vec<f64> = takeovers.iter().map(|t| t.seconds).collect();
    let (p95, max) = p95_and_max(&all);
    println!(
        "take-overs: {} in all, p95 {p95:.1} s, max {max:.1} s",
        all.len()
    );
}

/// The verdict: every session message once, every check-in recorded,
/// every command answered; the take-over times printed.
fn verdict(size: &Size, outcome: &Outcome, world: &mut World) {
    let Size {
        members,
        kills,
        seed,
    } = *size;
    let problems: Vec<String> = outcome
        .received
        .iter()
        .flat_map(|(name, received)| received.problems(name))
        .collect();
    let messages: usize = outcome.received.iter().map(|(_, r)| r.total()).sum();
    let lost: Vec<_> = outcome.sent.difference(&outcome.recorded).collect();
    let (matrix, discord) = outcome.received.split_at(members);
    let mut unanswered: Vec<&String> = matrix
        .iter()
        .filter(|(_, r)| r.statuses == 0)
        .map(|(name, _)| name)
        .collect();
    for ((name, _), asks) in discord.iter().zip(&outcome.discord_asks) {
        if *asks == 0 {
            unanswered.push(name);
        }
    }
    let matrix_twice = matrix.iter().filter(|(_, r)| r.statuses > 1).count();
    let asked_again = outcome
        .discord_asks
        .iter()
        .filter(|asks| **asks > 1)
        .count();
    let twice = answered_twice(&world.fake);
    println!(
        "fail-over test: {members} members on each platform, {kills} kills (seed {seed}): \
         {messages} session messages read, {} expected; {} check-ins sent, {} recorded, {} lost; \
         {} of {} commands answered (Matrix answers that came twice: {matrix_twice}; Discord \
         members who asked again after an unanswered interaction: {asked_again})",
        2 * members * MARKERS.len(),
        outcome.sent.len(),
        outcome.recorded.len(),
        lost.len(),
        2 * members - unanswered.len(),
        2 * members,
    );
    print_takeovers(&outcome.takeovers);
    let failed =
        !(problems.is_empty() && lost.is_empty() && unanswered.is_empty() && twice.is_empty());
    if failed && let Some(work) = world.work.take() {
        println!("the replicas' logs stay in {}", work.keep().display());
    }
    let logs = &outcome.logs;
    assert!(problems.is_empty(), "seed {seed}: {problems:#?}\n{logs}");
    assert!(
        lost.is_empty(),
        "seed {seed}: check-ins lost: {lost:?}\n{logs}"
    );
    assert!(
        unanswered.is_empty(),
        "seed {seed}: commands not answered: {unanswered:?}\n{logs}"
    );
    assert!(twice.is_empty(), "seed {seed}: {twice:#?}\n{logs}");
    assert_eq!(
        outcome.sent.len(),
        2 * members * 5,
        "seed {seed}: every member checked in on every exercise"
    );
    assert_eq!(world.fake.violations(), Vec::<String>::new());
}
