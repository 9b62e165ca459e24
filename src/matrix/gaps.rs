//! The events a `limited` sync left out.
//!
//! After any gap (a restart, failed syncs, a sync that waited behind a full
//! queue) the homeserver sends only the last few timeline events of each
//! room and marks the timeline `limited`; matrix-sdk calls no handler for
//! the rest. Here they are fetched with `/messages`, from the timeline's
//! start back to the position the sync started from, and handed to the
//! same handlers, oldest first, before the sync's position moves on.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::Client;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, UInt};
use matrix_sdk::sync::SyncResponse;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::retry::Backoff;

/// At most this many missed events are fetched per room …
const MOST_EVENTS: usize = 1_000;
/// … and none older than this.
const OLDEST: Duration = Duration::from_secs(24 * 60 * 60);
/// Events per `/messages` request.
const PAGE: u32 = 100;
/// A room whose gap cannot be fetched is tried this many times.
const ATTEMPTS: u32 = 4;
/// Rooms whose gaps are fetched at once.
const ROOMS_AT_ONCE: usize = 8;

/// One missed event and the room it belongs to.
pub(super) struct Missed {
    pub room: matrix_sdk::room::Room,
    pub event: Raw<AnySyncTimelineEvent>,
}

/// Every event that `response`, a sync from `since`, left out, room by
/// room, each room's oldest first. Rooms are fetched several at a time:
/// after a long gap many rooms are `limited` at once, and the sync waits
/// for all of them.
pub(super) async fn missed_by(
    client: &Client,
    response: &SyncResponse,
    since: &str,
) -> Vec<Missed> {
    let rooms_at_once = Arc::new(Semaphore::new(ROOMS_AT_ONCE));
    let mut fetching = JoinSet::new();
    for (order, (room_id, joined)) in response.rooms.joined.iter().enumerate() {
        let timeline = &joined.timeline;
        let (true, Some(start)) = (timeline.limited, timeline.prev_batch.clone()) else {
            continue;
        };
        let Some(room) = client.get_room(room_id) else {
            continue;
        };
        let (since, rooms_at_once) = (since.to_string(), Arc::clone(&rooms_at_once));
        fetching.spawn(async move {
            let _turn = rooms_at_once.acquire_owned().await;
            let events = fetch_with_retry(&room, &start, &since).await;
            (order, room, events)
        });
    }
    let mut fetched = Vec::with_capacity(fetching.len());
    while let Some(done) = fetching.join_next().await {
        match done {
            Ok(room) => fetched.push(room),
            Err(error) => tracing::error!("fetching missed events failed: {error}"),
        }
    }
    fetched.sort_by_key(|(order, _, _)| *order);
    let mut missed = Vec::new();
    for (_, room, events) in fetched {
        if !events.is_empty() {
            tracing::info!(room = %room.room_id(), events = events.len(), "fetched the events a limited sync left out");
        }
        missed.extend(events.into_iter().map(|event| Missed {
            room: room.clone(),
            event,
        }));
    }
    missed
}

async fn fetch_with_retry(
    room: &matrix_sdk::room::Room,
    start: &str,
    since: &str,
) -> Vec<Raw<AnySyncTimelineEvent>> {
    let mut pauses = Backoff::new(Duration::from_secs(1), Duration::from_secs(60)).start();
    for attempt in 1..=ATTEMPTS {
        match fetch(room, start, since).await {
            Ok(events) => return events,
            Err(error) if attempt < ATTEMPTS => {
                let wait = pauses.failed();
                tracing::warn!(room = %room.room_id(), "cannot fetch missed events, retrying in {}s: {error}", wait.as_secs());
                tokio::time::sleep(wait).await;
            }
            Err(error) => {
                tracing::error!(room = %room.room_id(), "missed events left out after {ATTEMPTS} tries: {error}");
            }
        }
    }
    Vec::new()
}

/// Pages back from `start` to `since` (or the bounds), oldest first.
async fn fetch(
    room: &matrix_sdk::room::Room,
    start: &str,
    since: &str,
) -> matrix_sdk::Result<Vec<Raw<AnySyncTimelineEvent>>> {
    let oldest = u64::from(MilliSecondsSinceUnixEpoch::now().get())
        .saturating_sub(OLDEST.as_millis() as u64);
    let mut events = Vec::new();
    let mut from = start.to_string();
    'pages: loop {
        let mut options = MessagesOptions::backward().from(from.as_str());
        options.to = Some(since.to_string());
        options.limit = UInt::from(PAGE);
        let page = room.messages(options).await?;
        if page.chunk.is_empty() {
            break;
        }
        for event in page.chunk {
            let raw = event.into_raw();
            let sent = raw
                .get_field::<MilliSecondsSinceUnixEpoch>("origin_server_ts")
                .ok()
                .flatten()
                .map_or(0, |ts| u64::from(ts.get()));
            if sent < oldest || events.len() >= MOST_EVENTS {
                break 'pages;
            }
            events.push(raw);
        }
        match page.end {
            Some(end) if end != from => from = end,
            _ => break,
        }
    }
    events.reverse();
    Ok(events)
}
