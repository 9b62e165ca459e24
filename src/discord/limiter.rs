//! The bot's own rate limiter for the calls [`super::proxy`] makes: Discord's
//! rate-limit headers read, a bucket per route and top-level resource, and
//! the spacing that keeps every request under the global limit.
//!
//! Why a limiter: Discord allows a bot 50 requests per second in all, plus
//! per-route buckets it reports in `X-RateLimit-*` headers; a bot that runs
//! into either gets 429s (and, repeated, a temporary ban). [`Limiter`] spaces
//! every request through the proxy to stay under the global limit, learns each
//! bucket from the answers, and holds a request back while its bucket is
//! empty, so a burst of sessions goes out at full speed without 429s. Waits
//! are bounded: past [`MAX_WAIT`] the call returns `RetryAfter` and the
//! engine reschedules the delivery instead.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::TimeDelta;
use poise::serenity_prelude as serenity;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::engine::SendError;

/// Requests per second the bot allows itself. Discord's global limit is 50;
/// two fewer leave room for jitter between here and Discord, so no one-second
/// span there ever sees 51.
pub const GLOBAL_PER_SECOND: u32 = 48;

/// The longest a request waits in the limiter; beyond it the engine
/// reschedules the delivery (`RetryAfter`) instead of holding a send slot.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// A bucket whose window has passed but whose new reset no answer has told
/// yet: how soon to look again.
const UNKNOWN_RESET_POLL: Duration = Duration::from_millis(50);

/// An answer's reset this much later than the one known means Discord has
/// opened a new window (answers of one window differ by their latency only).
const NEW_WINDOW: Duration = Duration::from_millis(250);

/// A route and its top-level resource (channel, guild, webhook): Discord
/// counts each such pair in its own bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteKey {
    pub(super) route: &'static str,
    major: String,
    /// Counts against the global limit: everything but the interaction
    /// routes (callbacks and follow-ups), which Discord exempts.
    global: bool,
}

impl RouteKey {
    fn new(route: &'static str, major: String) -> RouteKey {
        RouteKey {
            route,
            major,
            global: true,
        }
    }

    pub(super) fn messages(channel: serenity::ChannelId) -> RouteKey {
        RouteKey::new("POST /channels/{channel_id}/messages", channel.to_string())
    }

    pub(super) fn recent_messages(channel: serenity::ChannelId) -> RouteKey {
        RouteKey::new("GET /channels/{channel_id}/messages", channel.to_string())
    }

    /// A follow-up to an interaction: its own bucket per token, outside
    /// the global limit.
    pub(super) fn follow_up(token: &str) -> RouteKey {
        RouteKey {
            global: false,
            ..RouteKey::new("POST /webhooks/{application_id}/{token}", token.to_string())
        }
    }

    pub(super) fn reactions(channel: serenity::ChannelId) -> RouteKey {
        RouteKey::new(
            "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            channel.to_string(),
        )
    }

    pub(super) fn reaction_users(channel: serenity::ChannelId) -> RouteKey {
        RouteKey::new(
            "GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            channel.to_string(),
        )
    }

    pub(super) fn open_dm() -> RouteKey {
        RouteKey::new("POST /users/@me/channels", String::new())
    }
}

/// At least `seconds`, in whole seconds (the outbox schedules by the second).
pub(super) fn wait_for(seconds: f64) -> TimeDelta {
    let whole = seconds.max(0.0).ceil().min(86_400.0) as i64;
    TimeDelta::seconds(whole.max(1))
}

/// What an answer says about rate limits.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct RateHeaders {
    limit: Option<u32>,
    remaining: Option<u32>,
    reset_after: Option<Duration>,
    bucket: Option<String>,
    /// `X-RateLimit-Global: true` (only on a 429).
    pub(super) global: bool,
    /// `Retry-After`, in seconds (only on a 429).
    pub(super) retry_after: Option<f64>,
}

impl RateHeaders {
    pub(super) fn parse(headers: &HeaderMap) -> RateHeaders {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let seconds = |name: &str| {
            text(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
        };
        RateHeaders {
            limit: text("x-ratelimit-limit").and_then(|v| v.trim().parse().ok()),
            remaining: text("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok()),
            reset_after: seconds("x-ratelimit-reset-after")
                .map(|s| Duration::from_secs_f64(s.min(86_400.0))),
            bucket: text("x-ratelimit-bucket").map(str::to_string),
            global: text("x-ratelimit-global").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            retry_after: seconds("retry-after"),
        }
    }
}

/// One bucket as the bot knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    limit: u32,
    /// Requests left in the window, counting those already on their way.
    remaining: u32,
    /// When the window ends; `None` when a new window has begun here and no
    /// answer has said when it ends.
    reset_at: Option<Instant>,
    /// Nothing is known yet and one request is out to find out; the others
    /// wait for its answer rather than all going at once.
    probing: bool,
}

impl Bucket {
    const PROBE: Bucket = Bucket {
        limit: 1,
        remaining: 0,
        reset_at: None,
        probing: true,
    };

    /// A route whose answers name no bucket: only the global limit applies.
    const UNLIMITED: Bucket = Bucket {
        limit: u32::MAX,
        remaining: u32::MAX,
        reset_at: None,
        probing: false,
    };
}

#[derive(Debug, Default)]
struct LimiterState {
    /// The earliest instant the next request may leave.
    next_slot: Option<Instant>,
    /// Discord's bucket id of each route, once an answer has named it.
    bucket_ids: HashMap<&'static str, String>,
    /// By (bucket id — the route until one is known —, top-level resource).
    buckets: HashMap<(String, String), Bucket>,
}

impl LimiterState {
    fn bucket_key(&self, route: &RouteKey) -> (String, String) {
        let id = self
            .bucket_ids
            .get(route.route)
            .cloned()
            .unwrap_or_else(|| route.route.to_string());
        (id, route.major.clone())
    }
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admit {
    /// Admitted: leave at this instant (now, or a later global slot).
    At(Instant),
    /// Admitted as the first request of an unknown bucket: the others on it
    /// wait for this one's answer.
    Probe(Instant),
    /// The route's bucket is empty (or being probed): ask again then.
    Recheck(Instant),
    /// Admission lies beyond the deadline: give up, this far from now.
    TooLong(Duration),
}

/// Client-side rate limits, shared by every request through
/// [`ProxyRest`](super::proxy::ProxyRest): requests are spaced
/// `1 / per_second` apart (so no one-second span holds more than
/// `per_second`), and a route whose bucket is empty waits for its reset.
/// Safe to share between concurrent sends: the state sits behind a lock
/// that is never held across an await.
pub struct Limiter {
    spacing: Duration,
    state: Mutex<LimiterState>,
}

/// A request's admission. Dropped without an answer having been learned
/// (a network error, a cancelled send), a probe gives way to the next
/// request on its bucket.
pub struct Permit<'a> {
    limiter: &'a Limiter,
    probe: Option<(String, String)>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.probe.take() {
            let mut state = self.limiter.state();
            if state.buckets.get(&key).is_some_and(|bucket| bucket.probing) {
                state.buckets.remove(&key);
            }
        }
    }
}

impl Limiter {
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            spacing: Duration::from_secs(1) / per_second.max(1),
            state: Mutex::new(LimiterState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `route` may send (at most [`MAX_WAIT`]); `RetryAfter`
    /// when that would take longer.
    pub async fn acquire(&self, route: &RouteKey) -> Result<Permit<'_>, SendError> {
        let deadline = Instant::now() + MAX_WAIT;
        loop {
            match self.admit(route, Instant::now(), deadline) {
                Admit::At(at) => {
                    tokio::time::sleep_until(at).await;
                    return Ok(Permit {
                        limiter: self,
                        probe: None,
                    });
                }
                Admit::Probe(at) => {
                    let permit = Permit {
                        limiter: self,
                        probe: Some(self.state().bucket_key(route)),
                    };
                    tokio::time::sleep_until(at).await;
                    return Ok(permit);
                }
                Admit::Recheck(at) => tokio::time::sleep_until(at).await,
                Admit::TooLong(wait) => {
                    return Err(SendError::RetryAfter(wait_for(wait.as_secs_f64())));
                }
            }
        }
    }

    /// Takes a permit from the route's bucket and a global slot, if both
    /// are to be had by `deadline`.
    fn admit(&self, route: &RouteKey, now: Instant, deadline: Instant) -> Admit {
        let mut state = self.state();
        let key = state.bucket_key(route);
        if let Some(bucket) = state.buckets.get_mut(&key) {
            if bucket.reset_at.is_some_and(|reset| reset <= now) {
                // A new window: full again, its end not yet known.
                bucket.remaining = bucket.limit;
                bucket.reset_at = None;
            }
            if bucket.remaining == 0 {
                let again = bucket.reset_at.unwrap_or(now + UNKNOWN_RESET_POLL);
                return if again > deadline {
                    Admit::TooLong(again - now)
                } else {
                    Admit::Recheck(again)
                };
            }
        }
        // Interaction routes take no global slot, nor wait out a global 429.
        let slot = match state.next_slot {
            Some(next) if route.global => next.max(now),
            _ => now,
        };
        if slot > deadline {
            return Admit::TooLong(slot - now);
        }
        if route.global {
            state.next_slot = Some(slot + self.spacing);
        }
        match state.buckets.get_mut(&key) {
            Some(bucket) => {
                bucket.remaining -= 1;
                Admit::At(slot)
            }
            None => {
                state.buckets.insert(key, Bucket::PROBE);
                Admit::Probe(slot)
            }
        }
    }

    /// Updates the route's bucket from an answer's headers, received `now`.
    pub(super) fn learn(&self, route: &RouteKey, headers: &RateHeaders, now: Instant) {
        let mut state = self.state();
        if let Some(id) = &headers.bucket
            && state.bucket_ids.get(route.route) != Some(id)
        {
            // Carry what is known over to the bucket's real name (a probe
            // placeholder yields to a bucket already known there).
            let old = state.bucket_key(route);
            state.bucket_ids.insert(route.route, id.clone());
            if let Some(bucket) = state.buckets.remove(&old) {
                let new = state.bucket_key(route);
                state.buckets.entry(new).or_insert(bucket);
            }
        }
        let key = state.bucket_key(route);
        let (Some(limit), Some(remaining), Some(after)) =
            (headers.limit, headers.remaining, headers.reset_after)
        else {
            if state.buckets.get(&key).is_some_and(|bucket| bucket.probing) {
                state.buckets.insert(key, Bucket::UNLIMITED);
            }
            return;
        };
        let reset = now + after;
        let bucket = state.buckets.entry(key).or_insert(Bucket {
            limit,
            remaining,
            reset_at: Some(reset),
            probing: false,
        });
        bucket.limit = limit;
        match bucket.reset_at {
            // The probe's answer: the bucket as Discord has it.
            _ if bucket.probing => {
                bucket.remaining = remaining;
                bucket.reset_at = Some(reset);
                bucket.probing = false;
            }
            // Our own new window: take the stricter count, and its end.
            None => {
                bucket.remaining = bucket.remaining.min(remaining);
                bucket.reset_at = Some(reset);
            }
            // The same window: answers come back out of order, so the lowest
            // count is the truest; keep the later end.
            Some(known) if known > now && reset <= known + NEW_WINDOW => {
                bucket.remaining = bucket.remaining.min(remaining);
                bucket.reset_at = Some(known.max(reset));
            }
            // A window we had not seen yet.
            Some(_) => {
                bucket.remaining = remaining;
                bucket.reset_at = Some(reset);
            }
        }
    }

    /// A route 429: nothing more on that bucket until `until`.
    pub(super) fn block(&self, route: &RouteKey, until: Instant) {
        let mut state = self.state();
        let key = state.bucket_key(route);
        let bucket = state.buckets.entry(key).or_insert(Bucket {
            limit: 1,
            remaining: 0,
            reset_at: Some(until),
            probing: false,
        });
        bucket.remaining = 0;
        bucket.probing = false;
        bucket.reset_at = Some(bucket.reset_at.map_or(until, |known| known.max(until)));
    }

    /// A global 429: no request at all until `until`.
    pub(super) fn pause_all(&self, until: Instant) {
        let mut state = self.state();
        state.next_slot = Some(state.next_slot.map_or(until, |next| next.max(until)));
    }
}

// In limiter/tests.rs, so this file holds the limiter alone; as a child
// module the tests still reach its private state.
#[cfg(test)]
mod tests;
