//! Discord mode: the real binary (`upright run`, REST through
//! DISCORD_API_BASE) against the fake Discord of the tests, with 80 ms of
//! latency on every answer and Discord's rate limits enforced.
//!
//! N members each send `/subscribe HH:MM UTC` and then `/agree` in the
//! server, spread over a second, as gateway INTERACTION_CREATE events. The
//! minute is the first whole minute far enough ahead for the commands and
//! the disclaimers they cause to be done before it. A member's first session
//! message is the first message in their DM at or after the minute that is
//! not the disclaimer; a duplicate is another message there with the same
//! title and text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Deployment;
use crate::bot::{Program, Replicas};
use crate::discord_fake::{FakeDiscord, Options, limits::GLOBAL_PER_SECOND, user};
use crate::report::{Report, duration};

/// Every REST answer of the fake leaves this long after its request arrived.
const LATENCY: Duration = Duration::from_millis(80);
/// Members send their commands over about this long.
const SPREAD: Duration = Duration::from_secs(1);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// After the last first message, how long a duplicate may still show up.
const SETTLE: Duration = Duration::from_secs(2);
/// What only the disclaimer says (it asks the member to agree).
pub const DISCLAIMER_MARK: &str = "To agree";

/// When each interaction was answered (callback arrival, status), by id.
type Answers = Arc<Mutex<HashMap<String, (Instant, u16)>>>;

pub async fn run(members: usize, deployment: &Deployment, press: bool) -> anyhow::Result<Report> {
    let fake = FakeDiscord::start_with(Options {
        latency: LATENCY,
        rate_limits: true,
    })
    .await;
    let first_dir = tempfile::tempdir()?;
    let database = deployment.database("discord", first_dir.path());
    let env = [
        ("DISCORD_TOKEN", "fake-token".into()),
        ("DISCORD_API_BASE", fake.rest_url.clone()),
        ("UPRIGHT_DATABASE", crate::database_setting(&database)),
        (
            "UPRIGHT_CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
        ),
        // Warnings, and which replica holds the lease (unless RUST_LOG
        // asks for more).
        (
            "RUST_LOG",
            std::env::var("RUST_LOG")
                .unwrap_or_else(|_| "warn,upright::app=info,upright::replica=info".into()),
        ),
    ];
    let mut bot = Replicas::new();
    bot.spawn(Program::Upright, first_dir, &env)?;
    wait_for_registration(&fake, &mut bot).await?;
    // The others start once the first holds the lease, and stand by.
    for _ in 1..deployment.replicas {
        bot.spawn(Program::Upright, tempfile::tempdir()?, &env)?;
    }
    crate::bot::wait_for_replicas(&mut bot).await?;

    let lead = Duration::from_secs(60).max(Duration::from_secs(20) + per_member_lead(members));
    let (minute_utc, minute) = next_minute_after(lead)?;
    let hhmm = minute_utc.format("%H:%M").to_string();
    eprintln!(
        "burst: {members} members subscribe to {hhmm} UTC, {:.0} s from now",
        minute
            .saturating_duration_since(Instant::now())
            .as_secs_f64()
    );

    let ids: Vec<String> = (0..members).map(|i| (10_000_000 + i).to_string()).collect();
    // The DM channel the fake will give each member, to find their messages.
    let channels: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (fake.dm_channel_for(id), i))
        .collect();

    let answers: Answers = Arc::default();
    let watcher = tokio::spawn(watch_answers(fake.clone(), Arc::clone(&answers)));
    let (commands_sent, command_latency) = send_commands(&fake, &answers, &ids, &hhmm).await;
    watcher.abort();
    let commands_done = Instant::now();
    let commands_answered = command_latency.len();
    bot.check_running()?;

    // Wait for the minute; CPU is counted from just before it.
    let before_minute = minute
        .checked_sub(Duration::from_millis(500))
        .unwrap_or(minute);
    tokio::time::sleep_until(before_minute.into()).await;
    let disclaimers = members_with_messages_before(&fake, &channels, minute);
    let cpu_before = bot.cpu_each()?;

    let deadline = minute + Duration::from_secs(60) + per_member_lead(members);
    let pressing = async {
        if press {
            let deadline = deadline + Duration::from_secs(120) + per_member_lead(members);
            Some(crate::presses::press_through(&fake, &ids, &channels, minute, deadline).await)
        } else {
            None
        }
    };
    let (firsts, day) = tokio::join!(
        watch_first_messages(&fake, &mut bot, &channels, minute, deadline),
        pressing
    );
    let firsts = firsts?;
    let cpu_after = bot.cpu_each()?;
    let peak_rss = bot.peak_rss_kib()?;
    bot.stop();
    bot.save_logs(deployment.log_name("discord"))?;
    save_calls(&fake, minute)?;

    let first_message_after_minute: Vec<Duration> = firsts
        .iter()
        .flatten()
        .map(|first| first.at.saturating_duration_since(minute))
        .collect();
    let missing = firsts.iter().filter(|f| f.is_none()).count();
    let duplicated = firsts.iter().flatten().filter(|f| f.copies > 1).count();
    let last = firsts.iter().flatten().map(|f| f.at).max();

    let mut extra = crate::bot::replica_rows(&bot, &cpu_before, &cpu_after);
    extra.push((
        "commands done before the minute".to_string(),
        match minute.checked_duration_since(commands_done) {
            Some(early) => format!("yes, {} early", duration(early)),
            None => "NO".to_string(),
        },
    ));
    extra.push((
        "disclaimers delivered before the minute".to_string(),
        format!("{disclaimers} / {members}"),
    ));
    let calls = fake.calls();
    if let Some(last) = last {
        let span = last.saturating_duration_since(minute);
        let in_burst: Vec<_> = calls
            .iter()
            .filter(|c| c.global && c.at >= minute && c.at <= last)
            .collect();
        let accepted = in_burst.iter().filter(|c| c.status != 429).count();
        let limited = in_burst.len() - accepted;
        extra.push((
            "requests in the burst (minute → last first message)".to_string(),
            format!("{} ({limited} answered 429)", in_burst.len()),
        ));
        let rate = if span.is_zero() {
            0.0
        } else {
            accepted as f64 / span.as_secs_f64()
        };
        extra.push((
            "achieved request rate in the burst".to_string(),
            format!(
                "{rate:.1}/s ({:.0}% of {GLOBAL_PER_SECOND}/s)",
                100.0 * rate / GLOBAL_PER_SECOND as f64
            ),
        ));
    }
    if let Some(day) = &day {
        extra.extend(crate::presses::rows(&fake, day, members, minute));
    }
    let counts = fake.counts();
    extra.push((
        "429 answers (whole run)".to_string(),
        format!(
            "{} of {} requests ({:.2}%), {} global",
            counts.rate_limited,
            counts.requests,
            100.0 * counts.rate_limited as f64 / counts.requests.max(1) as f64,
            counts.global_rate_limited
        ),
    ));
    let target = Duration::from_secs_f64(members as f64 / GLOBAL_PER_SECOND as f64 + 2.0);
    extra.push((
        "last first message vs N/50 s + 2 s".to_string(),
        format!(
            "{} vs {}",
            last.map_or_else(
                || "—".to_string(),
                |last| duration(last.saturating_duration_since(minute))
            ),
            duration(target)
        ),
    ));
    let violations = fake.violations();
    extra.push((
        "OpenAPI violations".to_string(),
        violations.len().to_string(),
    ));
    for violation in violations.iter().take(5) {
        eprintln!("burst: spec violation: {violation}");
    }

    let cpu_after: Duration = cpu_after.into_iter().sum();
    Ok(Report {
        platform: "discord",
        database: deployment.engine(),
        replicas: bot.len(),
        members,
        commands_sent,
        commands_answered,
        command_latency,
        first_message_after_minute,
        missing,
        duplicated,
        bot_cpu: cpu_after.saturating_sub(cpu_before.iter().sum()),
        bot_peak_rss_kib: peak_rss,
        extra,
    })
}

/// With `UPRIGHT_BURST_CALLS` set, writes every request the fake took
/// there, one a line: seconds from the minute, method, path, status, and
/// whether it counted against the global limit.
fn save_calls(fake: &FakeDiscord, minute: Instant) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let Some(path) = std::env::var_os("UPRIGHT_BURST_CALLS") else {
        return Ok(());
    };
    let mut lines = String::new();
    for call in fake.calls() {
        let at = if call.at >= minute {
            call.at.duration_since(minute).as_secs_f64()
        } else {
            -minute.duration_since(call.at).as_secs_f64()
        };
        let (method, path, status, global) = (call.method, call.path, call.status, call.global);
        writeln!(lines, "{at:.3} {method} {path} {status} {global}")?;
    }
    std::fs::write(path, lines)?;
    Ok(())
}

/// Time for the disclaimers the commands cause: one DM opening and one
/// message each, 80 ms apart, even from a bot that sends one at a time.
fn per_member_lead(members: usize) -> Duration {
    Duration::from_millis(200).saturating_mul(u32::try_from(members).unwrap_or(u32::MAX))
}

/// The first whole minute at least `lead` ahead, in UTC and as an Instant.
fn next_minute_after(lead: Duration) -> anyhow::Result<(DateTime<Utc>, Instant)> {
    let earliest = Utc::now() + chrono::Duration::from_std(lead)?;
    let seconds = earliest.timestamp();
    let whole = if seconds % 60 == 0 && earliest.timestamp_subsec_nanos() == 0 {
        seconds
    } else {
        (seconds / 60 + 1) * 60
    };
    let minute = DateTime::from_timestamp(whole, 0).context("a minute out of range")?;
    let until = (minute - Utc::now()).to_std()?;
    Ok((minute, Instant::now() + until))
}

/// The bot is ready once its commands are registered (poise does that on
/// READY, before it handles any interaction).
async fn wait_for_registration(fake: &FakeDiscord, bot: &mut Replicas) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        bot.check_running()?;
        let registered = fake
            .calls()
            .iter()
            .any(|c| c.method == "PUT" && c.path.ends_with("/commands") && c.status == 200);
        if registered {
            // Its answer arrives LATENCY later; then the framework starts.
            tokio::time::sleep(LATENCY + Duration::from_millis(500)).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the bot did not register its commands within {STARTUP_TIMEOUT:?}; its log ends:\n{}",
                bot.log_tail(30)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records every interaction callback as it reaches the fake.
async fn watch_answers(fake: FakeDiscord, answers: Answers) {
    let mut seen = 0;
    loop {
        let calls = fake.calls_since(seen);
        seen += calls.len();
        {
            let mut answers = answers.lock().unwrap_or_else(PoisonError::into_inner);
            for call in calls {
                let parts: Vec<&str> = call.path.trim_matches('/').split('/').collect();
                if let ["interactions", id, _, "callback"] = parts.as_slice() {
                    answers
                        .entry(id.to_string())
                        .or_insert((call.at, call.status));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every member subscribes to `hhmm` UTC and then agrees; returns the
/// commands sent and the latency of each one answered.
async fn send_commands(
    fake: &FakeDiscord,
    answers: &Answers,
    ids: &[String],
    hhmm: &str,
) -> (usize, Vec<Duration>) {
    let start = Instant::now();
    let members = ids.len();
    let tasks: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (fake, answers) = (fake.clone(), Arc::clone(answers));
            let from = user(id, &format!("member{i}"), false);
            let at = start + SPREAD.mul_f64(i as f64 / members as f64);
            let subscribe = json!([
                { "name": "time", "type": 3, "value": hhmm },
                { "name": "timezone", "type": 3, "value": "UTC" },
            ]);
            tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                let mut sent = 0;
                let mut latencies = Vec::new();
                for (name, options) in [("subscribe", subscribe), ("agree", json!([]))] {
                    let dispatched = Instant::now();
                    let (id, _) = fake.interaction(name, options, &from, true);
                    sent += 1;
                    match answered(&answers, &id, dispatched + COMMAND_TIMEOUT).await {
                        Some(at) => latencies.push(at.saturating_duration_since(dispatched)),
                        // Unanswered: a member would not go on either.
                        None => break,
                    }
                }
                (sent, latencies)
            })
        })
        .collect();
    let mut sent = 0;
    let mut latencies = Vec::new();
    for task in tasks {
        if let Ok((n, mut each)) = task.await {
            sent += n;
            latencies.append(&mut each);
        }
    }
    (sent, latencies)
}

/// When the interaction was answered with a success, if by `deadline`.
async fn answered(answers: &Answers, id: &str, deadline: Instant) -> Option<Instant> {
    loop {
        let answer = answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .copied();
        match answer {
            Some((at, status)) if status < 300 => return Some(at),
            Some(_) => return None,
            None if Instant::now() > deadline => return None,
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn text(message: &Value) -> (String, String) {
    let embed = &message["embeds"][0];
    let title = embed["title"].as_str().unwrap_or_default().to_string();
    let body = format!(
        "{}{}",
        message["content"].as_str().unwrap_or_default(),
        embed["description"].as_str().unwrap_or_default()
    );
    (title, body)
}

/// Members with at least one message in their DM before the minute (the
/// disclaimer).
fn members_with_messages_before(
    fake: &FakeDiscord,
    channels: &HashMap<String, usize>,
    minute: Instant,
) -> usize {
    let mut reached = vec![false; channels.len()];
    for (at, message) in fake.messages_since(0) {
        if at < minute
            && let Some(&member) = message["channel_id"].as_str().and_then(|c| channels.get(c))
        {
            reached[member] = true;
        }
    }
    reached.iter().filter(|r| **r).count()
}

struct First {
    at: Instant,
    text: (String, String),
    copies: usize,
}

/// Each member's first session message after the minute (and its copies),
/// until every member has one and `SETTLE` has passed, or `deadline`.
async fn watch_first_messages(
    fake: &FakeDiscord,
    bot: &mut Replicas,
    channels: &HashMap<String, usize>,
    minute: Instant,
    deadline: Instant,
) -> anyhow::Result<Vec<Option<First>>> {
    let mut firsts: Vec<Option<First>> = (0..channels.len()).map(|_| None).collect();
    let mut seen = 0;
    let mut settled_at: Option<Instant> = None;
    loop {
        let messages = fake.messages_since(seen);
        seen += messages.len();
        for (at, message) in messages {
            if at < minute {
                continue;
            }
            let Some(&member) = message["channel_id"].as_str().and_then(|c| channels.get(c)) else {
                continue;
            };
            let text = text(&message);
            if text.1.contains(DISCLAIMER_MARK) {
                continue;
            }
            match &mut firsts[member] {
                None => {
                    firsts[member] = Some(First {
                        at,
                        text,
                        copies: 1,
                    })
                }
                Some(first) if first.text == text => first.copies += 1,
                Some(_) => {}
            }
        }
        let now = Instant::now();
        if settled_at.is_none() && firsts.iter().all(Option::is_some) {
            settled_at = Some(now + SETTLE);
        }
        if settled_at.is_some_and(|at| now >= at) || now >= deadline {
            return Ok(firsts);
        }
        bot.check_running()?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
