//! The engine's scheduled calls — open a DM, post a message, add a reaction —
//! made directly when REST goes through DISCORD_API_BASE, under the bot's
//! own rate limiter.
//!
//! Why direct: behind a proxy serenity's rate limiter is off, and serenity
//! then reports a 429 without its body or headers, so `retry_after` would be
//! lost. Here the 429 is read in full and the engine waits exactly that long
//! (rounded up to the second).
//!
//! Why a limiter: Discord allows a bot 50 requests per second in all, plus
//! per-route buckets it reports in `X-RateLimit-*` headers; a bot that runs
//! into either gets 429s (and, repeated, a temporary ban). [`Limiter`] spaces
//! every request through here to stay under the global limit, learns each
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
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::platform::classify_status;
use crate::config::Secret;
use crate::engine::SendError;

/// Discord's REST version, as serenity uses it.
const API_PATH: &str = "api/v10";

/// A hung proxy connection must not stall the outbox.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Requests per second the bot allows itself. Discord's global limit is 50;
/// two fewer leave room for jitter between here and Discord, so no one-second
/// span there ever sees 51.
const GLOBAL_PER_SECOND: u32 = 48;

/// The longest a request waits in the limiter; beyond it the engine
/// reschedules the delivery (`RetryAfter`) instead of holding a send slot.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// A bucket whose window has passed but whose new reset no answer has told
/// yet: how soon to look again.
const UNKNOWN_RESET_POLL: Duration = Duration::from_millis(50);

/// An answer's reset this much later than the one known means Discord has
/// opened a new window (answers of one window differ by their latency only).
const NEW_WINDOW: Duration = Duration::from_millis(250);

pub struct ProxyRest {
    client: reqwest::Client,
    base: reqwest::Url,
    authorization: String,
    limiter: Limiter,
}

/// The parts of a Discord error body the engine acts on.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: isize,
    #[serde(default)]
    message: String,
    /// Seconds, on a 429.
    retry_after: Option<f64>,
    /// On a 429: the global limit, not a route's.
    #[serde(default)]
    global: bool,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Serialize)]
struct OpenDm {
    recipient_id: String,
}

/// A route and its top-level resource (channel, guild, webhook): Discord
/// counts each such pair in its own bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteKey {
    route: &'static str,
    major: String,
}

impl RouteKey {
    fn messages(channel: serenity::ChannelId) -> RouteKey {
        RouteKey {
            route: "POST /channels/{channel_id}/messages",
            major: channel.to_string(),
        }
    }

    fn reactions(channel: serenity::ChannelId) -> RouteKey {
        RouteKey {
            route: "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            major: channel.to_string(),
        }
    }

    fn reaction_users(channel: serenity::ChannelId) -> RouteKey {
        RouteKey {
            route: "GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            major: channel.to_string(),
        }
    }

    fn open_dm() -> RouteKey {
        RouteKey {
            route: "POST /users/@me/channels",
            major: String::new(),
        }
    }
}

impl ProxyRest {
    pub fn new(base: &str, token: &Secret) -> Result<ProxyRest, String> {
        let mut base = reqwest::Url::parse(base)
            .map_err(|e| format!("DISCORD_API_BASE `{base}` is not a URL: {e}"))?;
        if base.cannot_be_a_base() {
            return Err(format!("DISCORD_API_BASE `{base}` cannot hold a path"));
        }
        if let Ok(mut path) = base.path_segments_mut() {
            path.pop_if_empty().extend(API_PATH.split('/'));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // Discord asks bots to say who they are.
            .user_agent(concat!(
                "DiscordBot (upright, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(ProxyRest {
            client,
            base,
            authorization: format!("Bot {}", token.expose()),
            limiter: Limiter::new(GLOBAL_PER_SECOND),
        })
    }

    /// The URL of `segments` under the API base; each segment is
    /// percent-encoded (an emoji is a path segment).
    fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }

    /// Opens (or finds) the DM channel with `user`.
    pub async fn open_dm(&self, user: serenity::UserId) -> Result<serenity::ChannelId, SendError> {
        let url = self.url(&["users", "@me", "channels"]);
        let body = OpenDm {
            recipient_id: user.to_string(),
        };
        let response = self
            .call(RouteKey::open_dm(), self.client.post(url).json(&body))
            .await?;
        let channel: Created = response
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("unreadable answer to opening a DM: {e}")))?;
        channel
            .id
            .parse::<u64>()
            .ok()
            .filter(|id| *id != 0)
            .map(serenity::ChannelId::new)
            .ok_or_else(|| SendError::Transient(format!("`{}` is not a DM channel id", channel.id)))
    }

    pub async fn post_message(
        &self,
        channel: serenity::ChannelId,
        message: &serenity::CreateMessage,
    ) -> Result<String, SendError> {
        let url = self.url(&["channels", &channel.to_string(), "messages"]);
        let response = self
            .call(
                RouteKey::messages(channel),
                self.client.post(url).json(message),
            )
            .await?;
        let created: Created = response
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("unreadable answer to a send: {e}")))?;
        Ok(created.id)
    }

    pub async fn add_reaction(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        emoji: &str,
    ) -> Result<(), SendError> {
        let url = self.url(&[
            "channels",
            &channel.to_string(),
            "messages",
            &message.to_string(),
            "reactions",
            emoji,
            "@me",
        ]);
        self.call(RouteKey::reactions(channel), self.client.put(url))
            .await
            .map(|_| ())
    }

    /// Who reacted to a message with `emoji` (the first 100).
    pub async fn reaction_users(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        emoji: &str,
    ) -> Result<Vec<serenity::User>, SendError> {
        let url = self.url(&[
            "channels",
            &channel.to_string(),
            "messages",
            &message.to_string(),
            "reactions",
            emoji,
        ]);
        let request = self.client.get(url).query(&[("limit", "100")]);
        let response = self
            .call(RouteKey::reaction_users(channel), request)
            .await?;
        response
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("unreadable list of reactions: {e}")))
    }

    async fn call(
        &self,
        route: RouteKey,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SendError> {
        // Held until the answer is read: a first request on a bucket that
        // fails without an answer lets the next one try.
        let _permit = self.limiter.acquire(&route).await?;
        let response = request
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .send()
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let now = Instant::now();
        let headers = RateHeaders::parse(response.headers());
        self.limiter.learn(&route, &headers, now);
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        let body: ErrorBody = response.json().await.unwrap_or_default();
        if status == 429 {
            let seconds = body.retry_after.or(headers.retry_after).unwrap_or(1.0);
            let wait = Duration::from_secs_f64(seconds.clamp(0.0, 86_400.0));
            if body.global || headers.global {
                tracing::warn!(
                    "Discord's global rate limit was hit; pausing all requests for {seconds}s"
                );
                self.limiter.pause_all(now + wait);
            } else {
                tracing::warn!(
                    route = route.route,
                    "a rate limit bucket was hit; retrying in {seconds}s"
                );
                self.limiter.block(&route, now + wait);
            }
            return Err(SendError::RetryAfter(wait_for(seconds)));
        }
        Err(classify_status(status, body.code, &body.message))
    }
}

/// At least `seconds`, in whole seconds (the outbox schedules by the second).
fn wait_for(seconds: f64) -> TimeDelta {
    let whole = seconds.max(0.0).ceil().min(86_400.0) as i64;
    TimeDelta::seconds(whole.max(1))
}

/// What an answer says about rate limits.
#[derive(Debug, Default, Clone, PartialEq)]
struct RateHeaders {
    limit: Option<u32>,
    remaining: Option<u32>,
    reset_after: Option<Duration>,
    bucket: Option<String>,
    /// `X-RateLimit-Global: true` (only on a 429).
    global: bool,
    /// `Retry-After`, in seconds (only on a 429).
    retry_after: Option<f64>,
}

impl RateHeaders {
    fn parse(headers: &HeaderMap) -> RateHeaders {
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

/// Client-side rate limits, shared by every request through [`ProxyRest`]:
/// requests are spaced `1 / per_second` apart (so no one-second span holds
/// more than `per_second`), and a route whose bucket is empty waits for its
/// reset. Safe to share between concurrent sends: the state sits behind a
/// lock that is never held across an await.
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
        let slot = state.next_slot.map_or(now, |next| next.max(now));
        if slot > deadline {
            return Admit::TooLong(slot - now);
        }
        state.next_slot = Some(slot + self.spacing);
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
    fn learn(&self, route: &RouteKey, headers: &RateHeaders, now: Instant) {
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
    fn block(&self, route: &RouteKey, until: Instant) {
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
    fn pause_all(&self, until: Instant) {
        let mut state = self.state();
        state.next_slot = Some(state.next_slot.map_or(until, |next| next.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(wait_for(2.5), TimeDelta::seconds(3));
        assert_eq!(wait_for(1.0), TimeDelta::seconds(1));
        assert_eq!(wait_for(0.01), TimeDelta::seconds(1));
        assert_eq!(wait_for(-3.0), TimeDelta::seconds(1));
    }

    #[test]
    fn urls_keep_the_proxy_path_and_encode_emoji() -> Result<(), String> {
        let rest = ProxyRest::new("http://127.0.0.1:9000/", &Secret::new("t"))?;
        let url = rest.url(&["channels", "1", "messages", "2", "reactions", "✅", "@me"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/api/v10/channels/1/messages/2/reactions/%E2%9C%85/@me"
        );
        Ok(())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = value.parse() {
                map.insert(*name, value);
            }
        }
        map
    }

    fn bucket(limit: u32, remaining: u32, reset_after: &str, id: Option<&str>) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            reset_after: reset_after.parse().ok().map(Duration::from_secs_f64),
            bucket: id.map(str::to_string),
            ..RateHeaders::default()
        }
    }

    fn channel(id: u64) -> RouteKey {
        RouteKey::messages(serenity::ChannelId::new(id))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn admitted(admit: Admit) -> bool {
        matches!(admit, Admit::At(_) | Admit::Probe(_))
    }

    #[test]
    fn rate_limit_headers_are_read_as_discord_documents_them() {
        let parsed = RateHeaders::parse(&headers(&[
            ("X-RateLimit-Limit", "5"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1470173023.123"),
            ("X-RateLimit-Reset-After", "64.57"),
            ("X-RateLimit-Bucket", "abcd1234"),
            ("X-RateLimit-Global", "true"),
            ("Retry-After", "65"),
        ]));
        assert_eq!(
            parsed,
            RateHeaders {
                limit: Some(5),
                remaining: Some(0),
                reset_after: Some(ms(64_570)),
                bucket: Some("abcd1234".into()),
                global: true,
                retry_after: Some(65.0),
            }
        );
        // Absent or garbled headers are simply unknown.
        let garbled = RateHeaders::parse(&headers(&[
            ("x-ratelimit-limit", "many"),
            ("x-ratelimit-reset-after", "-1"),
            ("retry-after", "NaN"),
        ]));
        assert_eq!(garbled, RateHeaders::default());
    }

    #[test]
    fn requests_are_spaced_to_stay_under_the_global_limit() {
        let limiter = Limiter::new(50);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        let slots: Vec<Admit> = (0..51)
            .map(|n| limiter.admit(&channel(n + 1), now, deadline))
            .collect();
        assert_eq!(slots[0], Admit::Probe(now));
        assert_eq!(slots[1], Admit::Probe(now + ms(20)));
        // The 51st leaves a full second after the first: never 51 in a second.
        assert_eq!(slots[50], Admit::Probe(now + ms(1000)));
        // Time passing frees the slots again.
        let later = now + Duration::from_secs(5);
        assert_eq!(
            limiter.admit(&channel(100), later, later + MAX_WAIT),
            Admit::Probe(later)
        );
    }

    #[test]
    fn waiting_is_bounded() {
        let limiter = Limiter::new(1);
        let now = Instant::now();
        let deadline = now + Duration::from_secs(2);
        assert_eq!(limiter.admit(&channel(1), now, deadline), Admit::Probe(now));
        assert_eq!(
            limiter.admit(&channel(2), now, deadline),
            Admit::Probe(now + Duration::from_secs(1))
        );
        assert_eq!(
            limiter.admit(&channel(3), now, deadline),
            Admit::Probe(now + Duration::from_secs(2))
        );
        // The next slot would be 3 s away, past the deadline: no slot is taken.
        assert_eq!(
            limiter.admit(&channel(4), now, deadline),
            Admit::TooLong(Duration::from_secs(3))
        );
        assert_eq!(
            limiter.admit(&channel(4), now, now + Duration::from_secs(3)),
            Admit::Probe(now + Duration::from_secs(3))
        );
    }

    #[test]
    fn the_first_request_on_a_bucket_goes_alone() {
        let limiter = Limiter::new(1000);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        let dm = RouteKey::open_dm();
        assert_eq!(limiter.admit(&dm, now, deadline), Admit::Probe(now));
        // Until its answer, the others on that bucket wait; other buckets do not.
        assert_eq!(
            limiter.admit(&dm, now, deadline),
            Admit::Recheck(now + UNKNOWN_RESET_POLL)
        );
        assert!(admitted(limiter.admit(&channel(1), now, deadline)));
        limiter.learn(&dm, &bucket(10, 9, "1", Some("dms")), now + ms(80));
        for n in 0..9 {
            assert!(
                matches!(limiter.admit(&dm, now + ms(80), deadline), Admit::At(_)),
                "request {n}"
            );
        }
        assert_eq!(
            limiter.admit(&dm, now + ms(80), deadline),
            Admit::Recheck(now + ms(1080))
        );
        // An answer without a bucket: only the global limit applies there.
        let plain = channel(2);
        assert!(admitted(limiter.admit(&plain, now, deadline)));
        limiter.learn(&plain, &RateHeaders::default(), now);
        for _ in 0..20 {
            assert!(matches!(limiter.admit(&plain, now, deadline), Admit::At(_)));
        }
    }

    #[test]
    fn a_probe_without_an_answer_lets_the_next_one_try() {
        let limiter = Limiter::new(1000);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        let dm = RouteKey::open_dm();
        assert!(matches!(limiter.admit(&dm, now, deadline), Admit::Probe(_)));
        let permit = Permit {
            limiter: &limiter,
            probe: Some(limiter.state().bucket_key(&dm)),
        };
        assert!(matches!(
            limiter.admit(&dm, now, deadline),
            Admit::Recheck(_)
        ));
        drop(permit);
        assert!(matches!(limiter.admit(&dm, now, deadline), Admit::Probe(_)));
    }

    #[test]
    fn an_empty_bucket_holds_its_route_until_the_reset() {
        let limiter = Limiter::new(1000);
        let route = channel(7);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        assert_eq!(limiter.admit(&route, now, deadline), Admit::Probe(now));
        // The answer, 80 ms later: that was the last of 5 for 5 s.
        let answered = now + ms(80);
        limiter.learn(&route, &bucket(5, 0, "4.9", Some("messages")), answered);
        let reset = answered + ms(4900);
        assert_eq!(
            limiter.admit(&route, answered, deadline),
            Admit::Recheck(reset)
        );
        // Another channel is another bucket; the global slot is free.
        assert!(admitted(limiter.admit(&channel(8), answered, deadline)));
        // At the reset the bucket is full again (5), its end unknown.
        for n in 0..5 {
            assert!(
                matches!(limiter.admit(&route, reset, deadline), Admit::At(_)),
                "request {n} after the reset"
            );
        }
        assert_eq!(
            limiter.admit(&route, reset, deadline),
            Admit::Recheck(reset + UNKNOWN_RESET_POLL)
        );
        // An answer names the new window's end.
        let answered = reset + ms(80);
        limiter.learn(&route, &bucket(5, 4, "5", Some("messages")), answered);
        // Five are already out: the stricter local count stays.
        assert_eq!(
            limiter.admit(&route, answered, deadline),
            Admit::Recheck(answered + Duration::from_secs(5))
        );
        // A reset beyond the deadline is not waited for.
        assert_eq!(
            limiter.admit(&route, answered, answered + Duration::from_secs(1)),
            Admit::TooLong(Duration::from_secs(5))
        );
    }

    #[test]
    fn routes_sharing_a_bucket_id_share_its_count() {
        let limiter = Limiter::new(1000);
        let put = RouteKey::reactions(serenity::ChannelId::new(9));
        let other = RouteKey {
            route: "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            major: "9".into(),
        };
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        let empty = bucket(1, 0, "0.25", Some("reactions"));
        assert!(admitted(limiter.admit(&put, now, deadline)));
        limiter.learn(&put, &empty, now);
        // The other route has not been answered yet, so it cannot know.
        assert!(admitted(limiter.admit(&other, now, deadline)));
        limiter.learn(&other, &empty, now);
        assert_eq!(
            limiter.admit(&other, now, deadline),
            Admit::Recheck(now + ms(250))
        );
        assert_eq!(
            limiter.admit(&put, now, deadline),
            Admit::Recheck(now + ms(250))
        );
    }

    #[test]
    fn answers_out_of_order_keep_the_lowest_count_of_a_window() {
        let limiter = Limiter::new(1000);
        let route = channel(3);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        limiter.learn(&route, &bucket(5, 1, "5", None), now);
        limiter.learn(&route, &bucket(5, 3, "4.95", None), now + ms(10));
        assert!(matches!(
            limiter.admit(&route, now + ms(20), deadline),
            Admit::At(_)
        ));
        assert_eq!(
            limiter.admit(&route, now + ms(20), deadline),
            Admit::Recheck(now + Duration::from_secs(5))
        );
        // After the window, a new one replaces it.
        let later = now + Duration::from_secs(6);
        limiter.learn(&route, &bucket(5, 4, "5", None), later);
        for _ in 0..4 {
            assert!(matches!(
                limiter.admit(&route, later, deadline),
                Admit::At(_)
            ));
        }
        assert!(matches!(
            limiter.admit(&route, later, deadline),
            Admit::Recheck(_)
        ));
    }

    #[test]
    fn a_429_blocks_its_bucket_or_everything() {
        let limiter = Limiter::new(1000);
        let now = Instant::now();
        let deadline = now + MAX_WAIT;
        limiter.block(&channel(1), now + ms(700));
        assert_eq!(
            limiter.admit(&channel(1), now, deadline),
            Admit::Recheck(now + ms(700))
        );
        assert_eq!(limiter.admit(&channel(2), now, deadline), Admit::Probe(now));
        limiter.pause_all(now + ms(900));
        assert_eq!(
            limiter.admit(&channel(3), now, deadline),
            Admit::Probe(now + ms(900))
        );
        // After the block the bucket is usable again.
        assert!(matches!(
            limiter.admit(&channel(1), now + ms(700), deadline),
            Admit::At(_)
        ));
    }
}
