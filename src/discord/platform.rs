//! Sends the engine's messages to Discord: DMs (the channel is opened once
//! and cached by the engine), embeds with `nonce` + `enforce_nonce` from the
//! delivery key, and the bot's reactions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use poise::serenity_prelude as serenity;

use super::errors::{UNKNOWN_MEMBER, UNKNOWN_USER, classify};
use super::proxy::ProxyRest;
use super::render::{self, embed};
use crate::conventions::Conventions;
use crate::engine::{Destination, Outgoing, Platform, SendError, Sent};
use crate::i18n::Language;
use crate::store::deliveries::Kind;

pub struct DiscordPlatform {
    http: Arc<serenity::Http>,
    /// Set behind DISCORD_API_BASE: DM openings, sends and reactions go this
    /// way, through one rate limiter.
    proxy: Option<ProxyRest>,
    /// The server of each group channel, looked up once.
    guilds: Mutex<HashMap<serenity::ChannelId, serenity::GuildId>>,
}

fn discord_id(text: &str) -> Result<u64, SendError> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id != 0)
        .ok_or_else(|| SendError::Rejected(format!("`{text}` is not a Discord id")))
}

impl DiscordPlatform {
    pub fn new(http: Arc<serenity::Http>, proxy: Option<ProxyRest>) -> DiscordPlatform {
        DiscordPlatform {
            http,
            proxy,
            guilds: Mutex::new(HashMap::new()),
        }
    }

    async fn guild_of(&self, channel: serenity::ChannelId) -> Result<serenity::GuildId, SendError> {
        let known = self
            .guilds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&channel)
            .copied();
        if let Some(guild) = known {
            return Ok(guild);
        }
        let found = self
            .http
            .get_channel(channel)
            .await
            .map_err(|e| classify(&e))?;
        let serenity::Channel::Guild(found) = found else {
            return Err(SendError::Rejected(format!(
                "channel {channel} is not in a server"
            )));
        };
        self.guilds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(channel, found.guild_id);
        Ok(found.guild_id)
    }

    async fn channel(&self, to: &Destination) -> Result<serenity::ChannelId, SendError> {
        let id = discord_id;
        match to {
            Destination::Channel(channel) => Ok(serenity::ChannelId::new(id(channel)?)),
            Destination::Direct {
                dm: Some(channel), ..
            } => Ok(serenity::ChannelId::new(id(channel)?)),
            Destination::Direct { user_id, dm: None } => {
                let user = serenity::UserId::new(id(user_id)?);
                // Behind DISCORD_API_BASE, under the same rate limiter as the sends.
                if let Some(proxy) = &self.proxy {
                    return proxy.open_dm(user).await;
                }
                let channel = user
                    .create_dm_channel(&self.http)
                    .await
                    .map_err(|e| classify(&e))?;
                Ok(channel.id)
            }
        }
    }
}

/// Discord's ways: slash commands, Manage Server, `<@id>` mentions, and
/// timestamps each reader's app shows in their own zone and language.
pub static CONVENTIONS: Conventions = Conventions {
    how_to_type_commands: crate::i18n::text_id!("conventions-discord-commands"),
    who_manages_groups: crate::i18n::text_id!("conventions-discord-group-admins"),
    mention: user_mention,
    instant: timestamp,
    answer_carries_disclaimer: false,
};

fn user_mention(user_id: &str, _display_name: &str) -> String {
    format!("<@{user_id}>")
}

/// `<t:…:f> (<t:…:R>)`: the full date and time, then "in 2 hours", both
/// rendered by Discord for whoever reads them.
fn timestamp(
    at: chrono::DateTime<chrono::Utc>,
    _zone: chrono_tz::Tz,
    _now: chrono::DateTime<chrono::Utc>,
    _lang: Language,
) -> String {
    let seconds = at.timestamp();
    format!("<t:{seconds}:f> (<t:{seconds}:R>)")
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

#[async_trait]
impl Platform for DiscordPlatform {
    fn conventions(&self) -> &'static Conventions {
        &CONVENTIONS
    }

    /// Check-ins are buttons on the message: no reaction requests.
    fn attaches_choices(&self) -> bool {
        true
    }

    async fn send(&self, to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let channel = self.channel(to).await?;
        let lang = outgoing.language;
        let message = match outgoing.kind {
            // Mentions only notify in a message's content, not in an embed.
            Kind::Nudge => serenity::CreateMessage::new()
                .content(outgoing.message.to_markdown())
                .allowed_mentions(serenity::CreateAllowedMentions::new().all_users(true)),
            _ if !outgoing.choices.is_empty() => {
                let mut message = outgoing.message.clone();
                if outgoing.kind == Kind::Exercise {
                    message.footer = Some(render::how_to_check_in(lang));
                }
                // A member's first message of the day can also be moved.
                let movable = outgoing.opens_day && matches!(to, Destination::Direct { .. });
                let mut rows = render::rows(outgoing.kind, outgoing.choices, None, lang);
                if movable {
                    rows.push(render::later_row(lang));
                }
                serenity::CreateMessage::new()
                    .embed(embed(&message))
                    .components(rows)
            }
            // The advice after a 🤕 asks how strong: a button opens the form.
            Kind::Advice => serenity::CreateMessage::new()
                .embed(embed(outgoing.message))
                .components(vec![render::rate_row(lang)]),
            _ => serenity::CreateMessage::new().embed(embed(outgoing.message)),
        }
        .nonce(serenity::Nonce::String(nonce(outgoing.key)))
        .enforce_nonce(true);
        let message_id = match &self.proxy {
            Some(proxy) => proxy.post_message(channel, &message).await?,
            None => channel
                .send_message(&self.http, message)
                .await
                .map_err(|e| classify(&e))?
                .id
                .to_string(),
        };
        Ok(Sent {
            message_id,
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
            match &self.proxy {
                Some(proxy) => proxy.add_reaction(channel, message, emoji).await?,
                None => {
                    let reaction = serenity::ReactionType::Unicode(emoji.clone());
                    self.http
                        .create_reaction(channel, message, &reaction)
                        .await
                        .map_err(|e| classify(&e))?;
                }
            }
        }
        Ok(())
    }

    /// Discord does not replay reactions made while the bot was offline:
    /// ask for them.
    async fn reactors(
        &self,
        to: &Destination,
        message_id: &str,
        emoji: &str,
    ) -> Result<Option<Vec<String>>, SendError> {
        let channel = self.channel(to).await?;
        let message = serenity::MessageId::new(discord_id(message_id)?);
        // Behind DISCORD_API_BASE, under the same rate limiter as the sends.
        let users = match &self.proxy {
            Some(proxy) => proxy.reaction_users(channel, message, emoji).await?,
            None => {
                let reaction = serenity::ReactionType::Unicode(emoji.to_string());
                self.http
                    .get_reaction_users(channel, message, &reaction, 100, None)
                    .await
                    .map_err(|e| classify(&e))?
            }
        };
        Ok(Some(
            users
                .into_iter()
                .filter(|user| !user.bot)
                .map(|user| user.id.to_string())
                .collect(),
        ))
    }

    /// Asks the server whether the account is still a member (no privileged
    /// intent needed, unlike watching GUILD_MEMBER_REMOVE).
    async fn is_member(&self, channel: &str, user_id: &str) -> Result<bool, SendError> {
        let channel = serenity::ChannelId::new(discord_id(channel)?);
        let user = serenity::UserId::new(discord_id(user_id)?);
        let guild = self.guild_of(channel).await?;
        match self.http.get_member(guild, user).await {
            Ok(_) => Ok(true),
            Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
                if matches!(response.error.code, UNKNOWN_MEMBER | UNKNOWN_USER) =>
            {
                Ok(false)
            }
            Err(error) => Err(classify(&error)),
        }
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
