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
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

mod cluster;

use cluster::{Cluster, Takeover, kill_holders, print_takeovers, sql, start_cluster};

use crate::discord_fake::{FakeDiscord, user};
use crate::members::{
    BOT, DiscordMember, MARKERS, MatrixMember, Member, PASSWORD, Random, Received, STATUS_ANSWER,
    follow_session, next_minute_after, open_dms, send, setting, subscribe_on_discord,
    subscribe_on_matrix,
};
use crate::synapse::{Postgres, Synapse, encode};
use crate::{Plan, session_deadline};

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
    explain(&world, &outcome).await;
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
    println!("the session starts at {} UTC", minute.format("%H:%M:%S"));
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

/// Prints what the database holds for each member whose messages or
/// check-ins are wrong, and when each Matrix `status` answered twice was
/// asked and answered, to read beside the replicas' logs.
async fn explain(world: &World, outcome: &Outcome) {
    let postgres = &world.cluster.postgres;
    let lost: BTreeSet<&String> = outcome
        .sent
        .difference(&outcome.recorded)
        .map(|(name, _)| name)
        .collect();
    for (name, received) in &outcome.received {
        if !received.problems(name).is_empty() || lost.contains(name) {
            println!("{}", member_rows(postgres, name).await);
        }
    }
    for member in &world.matrix {
        if outcome
            .received
            .iter()
            .any(|(name, r)| *name == member.user && !r.problems(name).is_empty())
        {
            println!(
                "{}: in {}, invited to {:?}",
                member.user,
                member.room,
                invites(member).await
            );
        }
        let (asked, answered) = status_times(member).await;
        if answered.len() > 1 {
            println!(
                "{}: `status` asked at {asked:?}, answered at {answered:?}",
                member.user
            );
        }
    }
}

/// A member's session, deliveries and check-ins, as the database holds them.
async fn member_rows(postgres: &Arc<Postgres>, member: &str) -> String {
    let who = format!("(SELECT id FROM users WHERE platform_user_id = '{member}')");
    let at = |column: &str| format!("(to_timestamp({column}) AT TIME ZONE 'UTC')::time");
    let session = format!(
        "SELECT s.status, s.current_step, {} FROM sessions s \
         JOIN subscriptions b ON b.id = s.subscription_id WHERE b.user_id = {who}",
        at("s.next_step_at")
    );
    let deliveries = format!(
        "SELECT id, kind, step, state, attempts, {}, {}, platform_message_id, last_error, \
         claimed_by, {} FROM deliveries WHERE user_id = {who} ORDER BY id",
        at("due_at"),
        at("sent_at"),
        at("claimed_until")
    );
    let check_ins = format!(
        "SELECT step, kind, {} FROM check_ins WHERE user_id = {who} ORDER BY id",
        at("created_at")
    );
    format!(
        "{member}: DM {}; session (status|step|next step at) {}\n  deliveries (id|kind|step|state|\
         attempts|due|sent|message|error|claimed by|until):\n  {}\n  check-ins: {}",
        sql(
            postgres,
            &format!("SELECT dm_target FROM users WHERE id = {who}")
        )
        .await,
        sql(postgres, &session).await,
        sql(postgres, &deliveries).await.replace('\n', "\n  "),
        sql(postgres, &check_ins).await.replace('\n', "; ")
    )
}

/// The rooms a Matrix member is invited to (a DM the bot opened anew).
async fn invites(member: &MatrixMember) -> Vec<String> {
    let sync = member
        .synapse
        .call(
            "GET",
            "/_matrix/client/v3/sync?timeout=0",
            &member.token,
            None,
        )
        .await
        .unwrap_or(Value::Null);
    sync["rooms"]["invite"]
        .as_object()
        .into_iter()
        .flat_map(|rooms| rooms.keys().cloned())
        .collect()
}

/// When a Matrix member asked `status`, and when each answer came (UTC).
async fn status_times(member: &MatrixMember) -> (Vec<String>, Vec<String>) {
    let path = format!(
        "/_matrix/client/v3/rooms/{}/messages?dir=f&limit=500",
        encode(&member.room)
    );
    let history = member
        .synapse
        .call("GET", &path, &member.token, None)
        .await
        .unwrap_or(Value::Null);
    let (mut asked, mut answered) = (Vec::new(), Vec::new());
    for event in history["chunk"].as_array().into_iter().flatten() {
        let body = event["content"]["body"].as_str().unwrap_or_default();
        let at = event["origin_server_ts"]
            .as_i64()
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.format("%H:%M:%S%.3f").to_string())
            .unwrap_or_default();
        if body == "!upright status" {
            asked.push(at);
        } else if body.contains(STATUS_ANSWER) {
            answered.push(at);
        }
    }
    (asked, answered)
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
    let matrix_twice: Vec<&String> = matrix
        .iter()
        .filter(|(_, r)| r.statuses > 1)
        .map(|(name, _)| name)
        .collect();
    let asked_again = outcome
        .discord_asks
        .iter()
        .filter(|asks| **asks > 1)
        .count();
    let twice = answered_twice(&world.fake);
    println!(
        "fail-over test: {members} members on each platform, {kills} kills (seed {seed}): \
         {messages} session messages read, {} expected; {} check-ins sent, {} recorded, {} lost; \
         {} of {} commands answered (Matrix answers that came twice: {}; Discord \
         members who asked again after an unanswered interaction: {asked_again})",
        2 * members * MARKERS.len(),
        outcome.sent.len(),
        outcome.recorded.len(),
        lost.len(),
        2 * members - unanswered.len(),
        2 * members,
        matrix_twice.len(),
    );
    print_takeovers(&outcome.takeovers);
    let failed = !(problems.is_empty()
        && lost.is_empty()
        && unanswered.is_empty()
        && twice.is_empty()
        && matrix_twice.is_empty());
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
    assert!(
        matrix_twice.is_empty(),
        "seed {seed}: Matrix members whose `status` was answered twice: {matrix_twice:?}\n{logs}"
    );
    assert_eq!(
        outcome.sent.len(),
        2 * members * 5,
        "seed {seed}: every member checked in on every exercise"
    );
    assert_eq!(world.fake.violations(), Vec::<String>::new());
}
