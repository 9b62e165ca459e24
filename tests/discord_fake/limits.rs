//! Discord's rate limits as the fake enforces them (`Options::rate_limits`),
//! after Discord's documentation of them (docs/topics/rate-limits in
//! discord/discord-api-docs).
//!
//! **Global**: 50 requests per second per bot token, read as strictly as it
//! can be: never more than 50 in any one-second span (a sliding window), so
//! a client that passes here passes a fixed-window reading as well.
//! Interaction callbacks (`POST /interactions/{id}/{token}/callback`) and
//! webhook routes (follow-ups) do not count, as Discord documents. A request
//! answered 429 uses up no quota.
//!
//! **Per route**: a bucket per route and top-level resource (`channel_id`,
//! `guild_id`, webhook id + token; an interaction for its callback), a
//! fixed window that starts with the window's first request and lasts the
//! bucket's period (so `X-RateLimit-Reset-After` counts down from it). Every
//! response carries the bucket's headers. Discord does not publish its
//! numbers (and asks clients to read the headers instead); these are the
//! ones commonly observed, or plausible where nothing is known:
//!
//! | route                                           | limit          | bucket per          |
//! |-------------------------------------------------|----------------|---------------------|
//! | `POST /channels/{channel_id}/messages`          | 5 per 5 s      | channel             |
//! | `…/messages/{message_id}/reactions/…` (any)      | 1 per 0.25 s   | channel (shared)    |
//! | `POST /users/@me/channels` (open a DM)           | 10 per 1 s     | bot (no resource)   |
//! | `GET /guilds/{guild_id}/members/{user_id}`      | 5 per 1 s      | guild               |
//! | `POST /interactions/{id}/{token}/callback`      | 5 per 1 s      | interaction         |
//! | `/webhooks/{id}/{token}…` (follow-ups)           | 5 per 2 s      | webhook id + token  |
//! | anything else                                   | 10 per 1 s     | route + resource    |

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Requests per second per bot token.
pub const GLOBAL_PER_SECOND: usize = 50;
const GLOBAL_WINDOW: Duration = Duration::from_secs(1);

/// Which bucket a request falls in, and whether it counts globally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `X-RateLimit-Bucket`: the same for every top-level resource.
    pub bucket: String,
    /// The top-level resource (`channel:123`); empty when there is none.
    pub major: String,
    pub limit: u32,
    pub period: Duration,
    /// Counts against the global limit.
    pub global: bool,
}

/// The headers of a bucket as one response reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    pub bucket: String,
}

impl BucketState {
    /// `X-RateLimit-*` headers; `Reset` in epoch seconds with milliseconds.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + self.reset_after;
        vec![
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", format!("{:.3}", reset.as_secs_f64())),
            (
                "x-ratelimit-reset-after",
                format!("{:.3}", self.reset_after.as_secs_f64()),
            ),
            ("x-ratelimit-bucket", self.bucket.clone()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Allowed(BucketState),
    Limited {
        global: bool,
        /// Seconds to wait.
        retry_after: f64,
        state: BucketState,
    },
}

struct Window {
    remaining: u32,
    reset_at: Instant,
}

#[derive(Default)]
pub struct Limits {
    /// Arrival instants of the globally counted requests of the last second.
    recent: VecDeque<Instant>,
    windows: HashMap<(String, String), Window>,
}

/// A bucket id as Discord shows it: hex, stable, not the route itself.
fn bucket_id(name: &str) -> String {
    let hash = |seed: u64| {
        name.bytes().fold(seed, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x84222325cbf29ce4)
    )
}

/// The bucket of a request. `template` is the spec's path template
/// (`/channels/{channel_id}/messages`), or the path itself when unknown.
pub fn route(method: &str, template: &str, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let major = match segments.as_slice() {
        ["channels", id, ..] => format!("channel:{id}"),
        ["guilds", id, ..] => format!("guild:{id}"),
        ["webhooks", id, token, ..] => format!("webhook:{id}/{token}"),
        ["webhooks", id] => format!("webhook:{id}"),
        ["interactions", id, ..] => format!("interaction:{id}"),
        _ => String::new(),
    };
    let interaction = method == "POST" && template.starts_with("/interactions/");
    let webhook = template.starts_with("/webhooks/");
    let (name, limit, period_ms) =
        if method == "POST" && template == "/channels/{channel_id}/messages" {
            ("POST /channels/{channel_id}/messages".to_string(), 5, 5000)
        } else if template.starts_with("/channels/{channel_id}/messages/{message_id}/reactions") {
            ("reactions".to_string(), 1, 250)
        } else if method == "POST" && template == "/users/@me/channels" {
            ("POST /users/@me/channels".to_string(), 10, 1000)
        } else if method == "GET" && template == "/guilds/{guild_id}/members/{user_id}" {
            (
                "GET /guilds/{guild_id}/members/{user_id}".to_string(),
                5,
                1000,
            )
        } else if interaction {
            ("interaction callback".to_string(), 5, 1000)
        } else if webhook {
            ("webhook".to_string(), 5, 2000)
        } else {
            (format!("{method} {template}"), 10, 1000)
        };
    Route {
        bucket: bucket_id(&name),
        major,
        limit,
        period: Duration::from_millis(period_ms),
        global: !(interaction || webhook),
    }
}

impl Limits {
    /// Admits or refuses a request arriving `now`; an admitted one uses up
    /// its quota.
    pub fn check(&mut self, route: &Route, now: Instant) -> Verdict {
        let key = (route.bucket.clone(), route.major.clone());
        let (remaining, reset_at) = match self.windows.get(&key) {
            Some(window) if window.reset_at > now => (window.remaining, window.reset_at),
            _ => (route.limit, now + route.period),
        };
        let state = |remaining: u32| BucketState {
            limit: route.limit,
            remaining,
            reset_after: reset_at.saturating_duration_since(now),
            bucket: route.bucket.clone(),
        };
        if route.global {
            while self
                .recent
                .front()
                .is_some_and(|at| now.saturating_duration_since(*at) >= GLOBAL_WINDOW)
            {
                self.recent.pop_front();
            }
            if self.recent.len() >= GLOBAL_PER_SECOND
                && let Some(oldest) = self.recent.front()
            {
                let free_at = *oldest + GLOBAL_WINDOW;
                return Verdict::Limited {
                    global: true,
                    retry_after: seconds(free_at.saturating_duration_since(now)),
                    state: state(remaining),
                };
            }
        }
        if remaining == 0 {
            return Verdict::Limited {
                global: false,
                retry_after: seconds(reset_at.saturating_duration_since(now)),
                state: state(0),
            };
        }
        self.windows.insert(
            key,
            Window {
                remaining: remaining - 1,
                reset_at,
            },
        );
        if route.global {
            self.recent.push_back(now);
        }
        Verdict::Allowed(state(remaining - 1))
    }
}

/// Seconds with millisecond precision, never zero (a 429 always means wait).
fn seconds(wait: Duration) -> f64 {
    (wait.as_secs_f64() * 1000.0).ceil().max(1.0) / 1000.0
}

/// The body of a 429, as the spec's `RatelimitedResponse` has it (`code` and
/// `message` from its `Error` part are required there).
pub fn body(global: bool, retry_after: f64) -> serde_json::Value {
    serde_json::json!({
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": global,
        "code": 0,
    })
}
