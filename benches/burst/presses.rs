//! `--press` (Discord): every member checks in with the ✅ button on each
//! exercise as it arrives, as a member following along does, until their
//! closing. What that day costs is counted from the fake's log: requests
//! under the global limit and interaction requests (callbacks and
//! follow-ups, which Discord exempts from it), per member.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::discord_fake::{FakeDiscord, user};
use crate::report::duration;

/// A member presses this long after an exercise arrives (the bot records
/// its message as Discord answers the send, 80 ms later).
const READ_FOR: Duration = Duration::from_millis(400);
/// A press answered with "not yours" (the message not yet recorded) is
/// made again this much later, at most this many times.
const PRESS_AGAIN_AFTER: Duration = Duration::from_secs(1);
const PRESSES_PER_MESSAGE: u32 = 5;

/// What the pressing members' day came to.
pub struct Day {
    /// Members whose closing came.
    pub closed: usize,
    /// From the minute to the last closing.
    pub last_closing: Option<Duration>,
}

/// A press waiting for its answer: the member, the message, how many tries.
struct Pending {
    member: usize,
    message: String,
    tries: u32,
}

fn has_done_button(message: &Value) -> bool {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .any(|button| button["custom_id"] == "upright:done")
}

/// Members press ✅ on each of their exercises after `minute` until every
/// closing (a message without buttons) has come, or `deadline`.
pub async fn press_through(
    fake: &FakeDiscord,
    ids: &[String],
    channels: &HashMap<String, usize>,
    minute: Instant,
    deadline: Instant,
) -> Day {
    let members: Vec<Value> = ids.iter().map(|id| user(id, "member", false)).collect();
    let mut closed_at: Vec<Option<Instant>> = vec![None; ids.len()];
    let mut to_press: Vec<(Instant, usize, String, u32)> = Vec::new();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let (mut messages_seen, mut calls_seen) = (0, 0);
    while Instant::now() < deadline && closed_at.iter().any(Option::is_none) {
        let now = Instant::now();
        for (at, message) in fake.messages_since(messages_seen) {
            messages_seen += 1;
            let Some(&member) = message["channel_id"].as_str().and_then(|c| channels.get(c)) else {
                continue;
            };
            if at < minute
                || message["embeds"][0]["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(crate::discord::DISCLAIMER_MARK))
            {
                continue;
            }
            let id = message["id"].as_str().unwrap_or_default().to_string();
            if has_done_button(&message) {
                to_press.push((now + READ_FOR, member, id, 1));
            } else {
                closed_at[member].get_or_insert(at);
            }
        }
        // Presses answered "not yours" (not yet recorded) are made again.
        for call in fake.calls_since(calls_seen) {
            calls_seen += 1;
            let parts: Vec<&str> = call.path.trim_matches('/').split('/').collect();
            let ["interactions", id, _, "callback"] = parts.as_slice() else {
                continue;
            };
            let Some(press) = pending.remove(*id) else {
                continue;
            };
            let updated = matches!(call.body["type"].as_u64(), Some(6 | 7));
            if !updated && press.tries < PRESSES_PER_MESSAGE {
                to_press.push((
                    now + PRESS_AGAIN_AFTER,
                    press.member,
                    press.message,
                    press.tries + 1,
                ));
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = to_press.into_iter().partition(|(at, ..)| *at <= now);
        to_press = later;
        for (_, member, message, tries) in due {
            let id = fake.press(&members[member], &message, "upright:done", false);
            pending.insert(
                id,
                Pending {
                    member,
                    message,
                    tries,
                },
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Day {
        closed: closed_at.iter().flatten().count(),
        last_closing: closed_at
            .iter()
            .flatten()
            .max()
            .map(|last| last.saturating_duration_since(minute)),
    }
}

/// The report's rows for a pressed-through day: what it cost per member
/// under the global limit and outside it.
pub fn rows(
    fake: &FakeDiscord,
    day: &Day,
    members: usize,
    minute: Instant,
) -> Vec<(String, String)> {
    let calls: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.at >= minute)
        .collect();
    let global = calls.iter().filter(|c| c.global && c.status != 429).count();
    let interaction = calls
        .iter()
        .filter(|c| !c.global && c.status != 429)
        .count();
    let per_member = |n: usize| n as f64 / members.max(1) as f64;
    vec![
        (
            "members pressing ✅ through the day: closings".to_string(),
            format!("{} / {members}", day.closed),
        ),
        (
            "last closing after the minute".to_string(),
            day.last_closing.map_or_else(|| "—".to_string(), duration),
        ),
        (
            "global-limited requests per member-day".to_string(),
            format!("{:.2} ({global} in all)", per_member(global)),
        ),
        (
            "interaction requests per member-day (exempt)".to_string(),
            format!("{:.2} ({interaction} in all)", per_member(interaction)),
        ),
    ]
}
