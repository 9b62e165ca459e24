//! The engine's scheduled calls — open a DM, post a message, add a reaction —
//! made directly when REST goes through DISCORD_API_BASE, under the bot's
//! own rate limiter.
//!
//! Why direct: behind a proxy serenity's rate limiter is off, and serenity
//! then reports a 429 without its body or headers, so `retry_after` would be
//! lost. Here the 429 is read in full and the engine waits exactly that long
//! (rounded up to the second).
//!
//! Every call waits its turn in [`super::limiter`] first, which keeps the
//! bot under Discord's global and per-route limits.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::errors::{classify_status, press_gone};
use super::limiter::{GLOBAL_PER_SECOND, Limiter, RateHeaders, RouteKey, wait_for};
use crate::config::Secret;
use crate::engine::SendError;

/// Discord's REST version, as serenity uses it.
const API_PATH: &str = "api/v10";

/// A hung proxy connection must not stall the outbox.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// Posts a follow-up to the interaction behind `token` (outside the
    /// global limit); `None` when the token no longer answers.
    pub async fn follow_up(
        &self,
        application: serenity::ApplicationId,
        token: &str,
        message: &serenity::CreateInteractionResponseFollowup,
    ) -> Result<Option<String>, SendError> {
        let url = self.url(&["webhooks", &application.to_string(), token]);
        let request = self.client.post(url).json(message);
        match self
            .call_for_code(RouteKey::follow_up(token), request)
            .await
        {
            Ok(response) => {
                let created: Created = response.json().await.map_err(|e| {
                    SendError::Transient(format!("unreadable answer to a follow-up: {e}"))
                })?;
                Ok(Some(created.id))
            }
            Err((_, Some(code))) if press_gone(code) => Ok(None),
            Err((error, _)) => Err(error),
        }
    }

    /// The channel's messages after `after`, newest first (up to 50).
    pub async fn messages_after(
        &self,
        channel: serenity::ChannelId,
        after: serenity::MessageId,
    ) -> Result<Vec<serenity::Message>, SendError> {
        let url = self.url(&["channels", &channel.to_string(), "messages"]);
        let request = self
            .client
            .get(url)
            .query(&[("after", after.to_string()), ("limit", "50".to_string())]);
        let response = self
            .call(RouteKey::recent_messages(channel), request)
            .await?;
        response
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("unreadable list of messages: {e}")))
    }

    async fn call(
        &self,
        route: RouteKey,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SendError> {
        self.call_for_code(route, request)
            .await
            .map_err(|(error, _)| error)
    }

    /// [`Self::call`], keeping Discord's error code of a refusal.
    async fn call_for_code(
        &self,
        route: RouteKey,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, (SendError, Option<isize>)> {
        let (response, headers, now) = self
            .call_once(&route, request)
            .await
            .map_err(|error| (error, None))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        let body: ErrorBody = response.json().await.unwrap_or_default();
        if status == 429 {
            return Err((self.rate_limited(&route, &body, &headers, now), None));
        }
        Err((
            classify_status(status, body.code, &body.message),
            Some(body.code),
        ))
    }

    /// Sends `request` in its turn and learns the route's limits from the answer.
    async fn call_once(
        &self,
        route: &RouteKey,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::Response, RateHeaders, Instant), SendError> {
        // Held until the answer is read: a first request on a bucket that
        // fails without an answer lets the next one try.
        let _permit = self.limiter.acquire(route).await?;
        let response = request
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .send()
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let now = Instant::now();
        let headers = RateHeaders::parse(response.headers());
        self.limiter.learn(route, &headers, now);
        Ok((response, headers, now))
    }

    /// A 429: the route (or, globally, every request) waits as long as
    /// Discord says.
    fn rate_limited(
        &self,
        route: &RouteKey,
        body: &ErrorBody,
        headers: &RateHeaders,
        now: Instant,
    ) -> SendError {
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
            self.limiter.block(route, now + wait);
        }
        SendError::RetryAfter(wait_for(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
