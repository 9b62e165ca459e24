//! The engine's two scheduled calls — post a message, add a reaction — made
//! directly when REST goes through DISCORD_API_BASE.
//!
//! Why: behind a proxy serenity's rate limiter is off (the proxy owns rate
//! limits), and serenity then reports a 429 without its body or headers, so
//! `retry_after` would be lost. Here the 429 is read in full and the engine
//! waits exactly that long (rounded up to the second).

use chrono::TimeDelta;
use poise::serenity_prelude as serenity;
use serde::Deserialize;

use super::platform::classify_status;
use crate::config::Secret;
use crate::engine::SendError;

/// Discord's REST version, as serenity uses it.
const API_PATH: &str = "api/v10";

/// A hung proxy connection must not stall the outbox.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct ProxyRest {
    client: reqwest::Client,
    base: reqwest::Url,
    authorization: String,
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
}

#[derive(Deserialize)]
struct Created {
    id: String,
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

    pub async fn post_message(
        &self,
        channel: serenity::ChannelId,
        message: &serenity::CreateMessage,
    ) -> Result<String, SendError> {
        let url = self.url(&["channels", &channel.to_string(), "messages"]);
        let response = self.call(self.client.post(url).json(message)).await?;
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
        self.call(self.client.put(url)).await.map(|_| ())
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, SendError> {
        let response = request
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .send()
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        let header_wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<f64>().ok());
        let body: ErrorBody = response.json().await.unwrap_or_default();
        if status == 429 {
            let seconds = body.retry_after.or(header_wait).unwrap_or(1.0);
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
}
