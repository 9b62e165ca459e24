//! Sends the engine's messages to Discord: DMs (the channel is opened once
//! and cached by the engine), embeds with `nonce` + `enforce_nonce` from the
//! delivery key, and the bot's reactions.

use std::sync::Arc;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;

use super::commands::embed;
use crate::engine::{Destination, Outgoing, Platform, SendError, Sent};

/// Discord: "Cannot send messages to this user".
const CANNOT_MESSAGE_USER: isize = 50007;
/// Discord: "You are opening direct messages too fast".
const OPENING_DMS_TOO_FAST: isize = 40003;

/// Serenity drops `retry_after` from a 429 when its own rate limiter is off
/// (behind DISCORD_API_BASE, where the proxy owns rate limits); then wait this.
const RATE_LIMIT_FALLBACK: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

pub struct DiscordPlatform {
    http: Arc<serenity::Http>,
}

impl DiscordPlatform {
    pub fn new(http: Arc<serenity::Http>) -> DiscordPlatform {
        DiscordPlatform { http }
    }

    async fn channel(&self, to: &Destination) -> Result<serenity::ChannelId, SendError> {
        let id = |text: &str| {
            text.parse::<u64>()
                .ok()
                .filter(|id| *id != 0)
                .ok_or_else(|| SendError::Rejected(format!("`{text}` is not a Discord id")))
        };
        match to {
            Destination::Channel(channel) => Ok(serenity::ChannelId::new(id(channel)?)),
            Destination::Direct {
                dm: Some(channel), ..
            } => Ok(serenity::ChannelId::new(id(channel)?)),
            Destination::Direct { user_id, dm: None } => {
                let user = serenity::UserId::new(id(user_id)?);
                let channel = user
                    .create_dm_channel(&self.http)
                    .await
                    .map_err(|e| classify(&e))?;
                Ok(channel.id)
            }
        }
    }
}

/// A nonce from a delivery key (Discord allows 25 characters): the same key,
/// the same nonce, so with `enforce_nonce` a re-send returns the first message.
pub fn nonce(key: &str) -> String {
    // FNV-1a, 64 bits: stable across builds and platforms.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("u{hash:016x}")
}

pub fn classify(error: &serenity::Error) -> SendError {
    let text = error.to_string();
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            match (status, response.error.code) {
                (_, CANNOT_MESSAGE_USER) => SendError::Unreachable(format!(
                    "{} ({CANNOT_MESSAGE_USER})",
                    response.error.message
                )),
                (_, OPENING_DMS_TOO_FAST) => SendError::RetryAfter(chrono::TimeDelta::minutes(1)),
                (429, _) => SendError::RetryAfter(RATE_LIMIT_FALLBACK),
                (500.., _) => SendError::Transient(text),
                _ => SendError::Rejected(text),
            }
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) => SendError::Transient(text),
        _ => SendError::Rejected(text),
    }
}

#[async_trait]
impl Platform for DiscordPlatform {
    async fn send(&self, to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let channel = self.channel(to).await?;
        let message = serenity::CreateMessage::new()
            .embed(embed(outgoing.message))
            .nonce(serenity::Nonce::String(nonce(outgoing.key)))
            .enforce_nonce(true);
        let sent = channel
            .send_message(&self.http, message)
            .await
            .map_err(|e| classify(&e))?;
        Ok(Sent {
            message_id: sent.id.to_string(),
            dm: matches!(to, Destination::Direct { .. }).then(|| channel.to_string()),
        })
    }

    async fn react(
        &self,
        to: &Destination,
        message_id: &str,
        emoji: &[String],
    ) -> Result<(), SendError> {
        let channel = self.channel(to).await?;
        let message = message_id
            .parse::<u64>()
            .map(serenity::MessageId::new)
            .map_err(|_| SendError::Rejected(format!("`{message_id}` is not a message id")))?;
        for emoji in emoji {
            let reaction = serenity::ReactionType::Unicode(emoji.clone());
            self.http
                .create_reaction(channel, message, &reaction)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_short_stable_and_distinct() {
        let a = nonce("sub12/upper-back/2027-03-28/ex2");
        assert_eq!(a, nonce("sub12/upper-back/2027-03-28/ex2"));
        assert_ne!(a, nonce("sub12/upper-back/2027-03-28/ex3"));
        assert!(a.len() <= 25, "{a}");
    }
}
