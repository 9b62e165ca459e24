//! The Matrix burst: a real Synapse (started as the tests start it), the
//! real binary logged in as the bot, and N members as plain clients.
//!
//! Each member opens a direct chat with the bot (`is_direct` invite, as
//! Element does), then sends `!upright subscribe HH:MM UTC` and
//! `!upright agree`, all members within about a second, for the same minute.
//! Everything is timed by the homeserver's own clock (`origin_server_ts`):
//! a command's latency is from the command's event to the bot's answer, a
//! first session message counts from when the homeserver stored it, which
//! is when the member's client can see it. The member rooms are not
//! encrypted (plain clients), so the bot's encryption work is not counted.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use upright::store::Database;
use upright::store::sql::ConnExt;

use crate::Deployment;
use crate::bot::{Program, Replicas};
use crate::report::Report;
use crate::synapse::{Storage, Synapse, encode};

const BOT: &str = "upright";
const PASSWORD: &str = "burst-password-1";
/// Member requests in flight at once (a community's clients, not a flood).
const CLIENTS_AT_ONCE: usize = 32;

pub async fn run(
    members: usize,
    storage: Storage,
    program: Program,
    deployment: &Deployment,
) -> anyhow::Result<Report> {
    let synapse = tokio::task::spawn_blocking(move || Synapse::start_with(storage)).await?;
    let mut names = vec![BOT.to_string()];
    names.extend((0..members).map(|i| format!("member{i:04}")));
    let tokens = synapse.register_many(&names, PASSWORD);
    let (bot_token, member_tokens) = tokens.split_first().context("no bot account")?;
    let synapse = Arc::new(synapse);
    let bot_user = format!("@{BOT}:localhost");

    let first_dir = tempfile::tempdir()?;
    let database = deployment.database("matrix", first_dir.path());
    // Each replica its own folder and Matrix store; the same database.
    let env = |dir: &std::path::Path, recovery_key: Option<&str>| {
        let mut env = vec![
            ("MATRIX_HOMESERVER", synapse.url.clone()),
            ("MATRIX_USER", BOT.into()),
            ("MATRIX_PASSWORD", PASSWORD.into()),
            ("MATRIX_STORE_DIR", dir.join("store").display().to_string()),
            ("MATRIX_STORE_PASSPHRASE", "burst-store".into()),
            ("UPRIGHT_DATABASE", crate::database_setting(&database)),
            (
                "UPRIGHT_CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
            ),
            (
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| {
                    "warn,upright::app=info,upright::matrix=info,upright::replica=info".into()
                }),
            ),
        ];
        if let Some(key) = recovery_key {
            env.push(("MATRIX_RECOVERY_KEY", key.to_string()));
        }
        env
    };
    let mut bot = Replicas::new();
    let first_env = env(first_dir.path(), None);
    bot.spawn(program, first_dir, &first_env)?;
    wait_for_log(&mut bot, "Matrix is running", Duration::from_secs(60)).await?;
    if deployment.replicas > 1 {
        // The others restore the identity the first one made.
        let key = recovery_key(&bot.dir(0).join("store")).await?;
        for _ in 1..deployment.replicas {
            let dir = tempfile::tempdir()?;
            let replica_env = env(dir.path(), Some(&key));
            bot.spawn(program, dir, &replica_env)?;
        }
        crate::bot::wait_for_replicas(&mut bot).await?;
    }

    // Every member opens a DM with the bot; the bot joins them all.
    let opened = Instant::now();
    let create = json!({"preset": "trusted_private_chat", "is_direct": true, "invite": [bot_user]});
    let rooms = for_each_member(&synapse, member_tokens, move |synapse, token, _| {
        let create = create.clone();
        async move {
            let answer = synapse
                .call(
                    "POST",
                    "/_matrix/client/v3/createRoom",
                    &token,
                    Some(&create),
                )
                .await
                .map_err(anyhow::Error::msg)?;
            answer["room_id"]
                .as_str()
                .map(str::to_string)
                .context("createRoom without a room id")
        }
    })
    .await?;
    wait_until_joined(&synapse, bot_token, &rooms, &mut bot).await?;
    let joined_after = opened.elapsed();

    // The minute: far enough ahead for every command to be answered, so the
    // burst is measured alone (the homeserver takes about 0.1 s per member).
    let lead = Duration::from_secs(30) + Duration::from_millis(150) * members as u32;
    let minute = next_minute_after(lead)?;
    let hhmm = minute.format("%H:%M").to_string();
    eprintln!("burst: {members} members subscribe to {hhmm} UTC");
    let commands = [
        format!("!upright subscribe {hhmm} UTC"),
        "!upright agree".into(),
    ];
    let room_list = Arc::new(rooms.clone());
    for_each_member(&synapse, member_tokens, move |synapse, token, i| {
        let (commands, rooms) = (commands.clone(), Arc::clone(&room_list));
        async move {
            for (n, body) in commands.iter().enumerate() {
                let path = format!(
                    "/_matrix/client/v3/rooms/{}/send/m.room.message/cmd{n}",
                    encode(&rooms[i])
                );
                let content = json!({"msgtype": "m.text", "body": body});
                synapse
                    .call("PUT", &path, &token, Some(&content))
                    .await
                    .map_err(anyhow::Error::msg)?;
            }
            Ok(())
        }
    })
    .await?;
    bot.check_running()?;

    // From just before the minute: CPU, then every member's first message.
    let until_minute = (minute - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_minute.saturating_sub(Duration::from_millis(500))).await;
    let cpu_before = bot.cpu_each()?;
    let deadline = Instant::now() + Duration::from_secs(120) + until_minute;
    wait_for_openings(&database, members, deadline, &mut bot).await?;
    let cpu_after = bot.cpu_each()?;
    let cpu = cpu_after
        .iter()
        .sum::<Duration>()
        .saturating_sub(cpu_before.iter().sum());
    let peak_rss = bot.peak_rss_kib()?;
    bot.stop();
    // The bot's own log (RUST_LOG chooses how much it says).
    bot.save_logs(deployment.log_name("matrix"))?;
    // For a closer look: the homeserver's request log of the whole run.
    if let Some(path) = std::env::var_os("UPRIGHT_BURST_SYNAPSE_LOG") {
        std::fs::write(&path, synapse.log())?;
    }

    // What each member's room holds, as their client would read it.
    let histories = for_each_member(&synapse, member_tokens, {
        let rooms = Arc::new(rooms);
        move |synapse, token, i| {
            let rooms = Arc::clone(&rooms);
            async move {
                let path = format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=f&limit=200",
                    encode(&rooms[i])
                );
                synapse
                    .call("GET", &path, &token, None)
                    .await
                    .map_err(anyhow::Error::msg)
            }
        }
    })
    .await?;
    let minute_ms = minute.timestamp_millis();
    let mut extra = vec![
        ("bot".into(), program.name().into()),
        (
            "homeserver database".into(),
            match storage {
                Storage::Sqlite => "SQLite",
                Storage::Postgres => "PostgreSQL",
            }
            .into(),
        ),
    ];
    extra.extend(crate::bot::replica_rows(&bot, &cpu_before, &cpu_after));
    let mut report = Report {
        platform: "matrix",
        database: deployment.engine(),
        replicas: bot.len(),
        members,
        commands_sent: members * 2,
        commands_answered: 0,
        command_latency: Vec::new(),
        first_message_after_minute: Vec::new(),
        missing: 0,
        duplicated: 0,
        bot_cpu: cpu,
        bot_peak_rss_kib: peak_rss,
        extra,
    };
    let mut last_answer = i64::MIN;
    for history in &histories {
        let events = messages(history, &bot_user);
        last_answer = last_answer.max(last_command_answer(&events).unwrap_or(i64::MIN));
        for latency in command_latencies(&events) {
            report.commands_answered += 1;
            report.command_latency.push(latency);
        }
        let after: Vec<&Event> = events
            .iter()
            .filter(|e| e.from_bot && e.ts >= minute_ms)
            .collect();
        match after.first() {
            None => report.missing += 1,
            Some(first) => {
                let wait = u64::try_from(first.ts - minute_ms).unwrap_or_default();
                report
                    .first_message_after_minute
                    .push(Duration::from_millis(wait));
                if after.iter().filter(|e| e.body == first.body).count() > 1 {
                    report.duplicated += 1;
                }
            }
        }
    }
    report.extra.push((
        "DM rooms opened and joined by the bot in".into(),
        crate::report::duration(joined_after),
    ));
    let early = minute_ms
        .checked_sub(last_answer)
        .and_then(|ms| u64::try_from(ms).ok());
    let done = match early {
        _ if last_answer == i64::MIN => "no answers".to_string(),
        Some(early) => format!(
            "yes, {} early",
            crate::report::duration(Duration::from_millis(early))
        ),
        None => "no: the burst overlapped the last answers".to_string(),
    };
    report
        .extra
        .push(("commands done before the minute".into(), done));
    Ok(report)
}

/// One message in a member's room.
struct Event {
    from_bot: bool,
    ts: i64,
    body: String,
}

fn messages(history: &Value, bot: &str) -> Vec<Event> {
    history["chunk"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "m.room.message")
        .map(|e| Event {
            from_bot: e["sender"] == bot,
            ts: e["origin_server_ts"].as_i64().unwrap_or_default(),
            body: e["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
        .collect()
}

/// For each member command, the time to the bot's next message after it.
fn command_latencies(events: &[Event]) -> Vec<Duration> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.from_bot && e.body.starts_with("!upright"))
        .filter_map(|(i, command)| {
            let answer = events[i + 1..].iter().find(|e| e.from_bot)?;
            let waited = u64::try_from(answer.ts - command.ts).ok()?;
            Some(Duration::from_millis(waited))
        })
        .collect()
}

/// When the bot answered the member's last command.
fn last_command_answer(events: &[Event]) -> Option<i64> {
    let last_command = events
        .iter()
        .rposition(|e| !e.from_bot && e.body.starts_with("!upright"))?;
    events[last_command + 1..]
        .iter()
        .find(|e| e.from_bot)
        .map(|e| e.ts)
}

/// Runs `job` for every member, `CLIENTS_AT_ONCE` at a time; results in
/// member order.
async fn for_each_member<T, F, Fut>(
    synapse: &Arc<Synapse>,
    tokens: &[String],
    job: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(Arc<Synapse>, String, usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(CLIENTS_AT_ONCE));
    let mut tasks = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let work = job(Arc::clone(synapse), token.clone(), i);
        tasks.push(tokio::spawn(async move {
            let result = work.await;
            drop(permit);
            result
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await??);
    }
    Ok(results)
}

/// Waits until the first replica's log holds `line`.
async fn wait_for_log(bot: &mut Replicas, line: &str, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !bot.log_contains(0, line) {
        bot.check_running()?;
        if Instant::now() > deadline {
            bail!("the bot did not say `{line}`:\n{}", bot.log_tail(30));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn wait_until_joined(
    synapse: &Synapse,
    bot_token: &str,
    rooms: &[String],
    bot: &mut Replicas,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let joined = synapse
            .call("GET", "/_matrix/client/v3/joined_rooms", bot_token, None)
            .await
            .map_err(anyhow::Error::msg)?;
        let count = joined["joined_rooms"].as_array().map_or(0, Vec::len);
        if count >= rooms.len() {
            return Ok(());
        }
        bot.check_running()?;
        if Instant::now() > deadline {
            bail!("the bot joined {count} of {} rooms", rooms.len());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the bot has sent every member's opening (read from its own
/// database, so the homeserver is not polled during the burst).
async fn wait_for_openings(
    database: &Database,
    members: usize,
    deadline: Instant,
    bot: &mut Replicas,
) -> anyhow::Result<()> {
    let db = upright::store::Db::open_existing(database)?;
    loop {
        let sent = db
            .call(|c| {
                c.query_one(
                    "SELECT COUNT(*) FROM deliveries WHERE kind = 'exercise' AND step = 1 AND state IN ('sent', 'done')",
                    &[],
                    |row| row.int(0),
                )
            })
            .await?;
        if usize::try_from(sent).unwrap_or_default() >= members || Instant::now() > deadline {
            // A moment for the last sends to settle before reading the rooms.
            tokio::time::sleep(Duration::from_secs(2)).await;
            return Ok(());
        }
        bot.check_running()?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The recovery key the first replica wrote into its Matrix store.
async fn recovery_key(store: &std::path::Path) -> anyhow::Result<String> {
    let path = store.join(upright::matrix::RECOVERY_KEY_FILE);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(key) = std::fs::read_to_string(&path)
            && !key.trim().is_empty()
        {
            return Ok(key.trim().to_string());
        }
        if Instant::now() > deadline {
            bail!(
                "the first replica wrote no recovery key to {}",
                path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The first whole minute at least `lead` from now, in UTC.
fn next_minute_after(lead: Duration) -> anyhow::Result<DateTime<Utc>> {
    let earliest = Utc::now() + chrono::Duration::from_std(lead)?;
    let whole = (earliest.timestamp() / 60 + 1) * 60;
    DateTime::from_timestamp(whole, 0).context("a minute out of range")
}
