//! Sends the engine's messages to Discord: DMs (the channel is opened once
//! and cached by the engine), embeds with `nonce` + `enforce_nonce` from the
//! delivery key, and the bot's reactions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::builder::Builder;

use super::errors::{UNKNOWN_MEMBER, UNKNOWN_USER, classify, code_of, press_gone};
use super::proxy::ProxyRest;
use super::render::{self, embed};
use crate::conventions::Conventions;
use crate::engine::platform::PressAnswer;
use crate::engine::{Destination, Outgoing, Platform, SendError, Sent};
use crate::i18n::Language;
use crate::message::clip;
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

    /// Sends `rendered` as a follow-up to the member's press: the message's
    /// id, or `None` when it has to go the ordinary way (the press no
    /// longer answers, or no earlier attempt is found). An attempt that may
    /// have gone out is looked for, never made twice: a follow-up carries
    /// no nonce.
    async fn answer_press(
        &self,
        dm: serenity::ChannelId,
        press: PressAnswer<'_>,
        rendered: &Rendered,
    ) -> Result<Option<String>, SendError> {
        let pressed = serenity::MessageId::new(discord_id(press.message_id)?);
        if press.unsure {
            return self.find_sent(dm, pressed, rendered).await;
        }
        let (Some(token), Some(application)) = (press.token, self.http.application_id()) else {
            return Ok(None);
        };
        let follow_up = rendered.follow_up();
        match &self.proxy {
            Some(proxy) => proxy.follow_up(application, token, &follow_up).await,
            None => match follow_up.execute(&self.http, (None, token)).await {
                Ok(message) => Ok(Some(message.id.to_string())),
                Err(error) if code_of(&error).is_some_and(press_gone) => Ok(None),
                Err(error) => Err(classify(&error)),
            },
        }
    }

    /// The bot's message in `dm` after `pressed` that shows `rendered`, if
    /// an earlier attempt sent it.
    async fn find_sent(
        &self,
        dm: serenity::ChannelId,
        pressed: serenity::MessageId,
        rendered: &Rendered,
    ) -> Result<Option<String>, SendError> {
        let messages = match &self.proxy {
            Some(proxy) => proxy.messages_after(dm, pressed).await?,
            None => dm
                .messages(
                    &self.http,
                    serenity::GetMessages::new().after(pressed).limit(50),
                )
                .await
                .map_err(|e| classify(&e))?,
        };
        Ok(messages
            .into_iter()
            .find(|message| message.author.bot && rendered.shown_by(message))
            .map(|message| message.id.to_string()))
    }
}

/// `builder` (a channel message or a follow-up: the same fields on two
/// types) with what `rendered` shows.
macro_rules! filled {
    ($builder:expr, $rendered:expr) => {{
        let rendered: &Rendered = $rendered;
        let mut builder = $builder.components(rendered.rows.clone());
        if let Some(content) = &rendered.content {
            // Mentions only notify in a message's content, not in an embed.
            builder = builder
                .content(content)
                .allowed_mentions(serenity::CreateAllowedMentions::new().all_users(true));
        }
        if let Some(embed) = &rendered.embed {
            builder = builder.embed(embed.clone());
        }
        builder
    }};
}

/// A message as Discord shows it, before it is sent one way or the other.
struct Rendered {
    /// Text outside the embed (a nudge's mentions notify only there).
    content: Option<String>,
    embed: Option<serenity::CreateEmbed>,
    rows: Vec<serenity::CreateActionRow>,
    /// The title and text the embed shows, to recognise it once sent.
    title: Option<String>,
    text: String,
}

impl Rendered {
    fn of(outgoing: &Outgoing<'_>, direct: bool) -> Rendered {
        let lang = outgoing.language;
        let mut message = outgoing.message.clone();
        let mut rows = Vec::new();
        if outgoing.kind == Kind::Nudge {
            return Rendered {
                content: Some(message.to_markdown()),
                embed: None,
                rows,
                title: None,
                text: message.to_markdown(),
            };
        }
        if !outgoing.choices.is_empty() {
            if outgoing.kind == Kind::Exercise {
                message.footer = Some(render::how_to_check_in(lang));
            }
            rows = render::rows(outgoing.kind, outgoing.choices, None, lang);
            // A member's first message of the day can also be moved.
            if outgoing.opens_day && direct {
                rows.push(render::later_row(lang));
            }
        } else if outgoing.kind == Kind::Advice {
            // The advice after a 🤕 asks how strong: a button opens the form.
            rows.push(render::rate_row(lang));
        }
        Rendered {
            content: None,
            embed: Some(embed(&message)),
            rows,
            title: message
                .title
                .as_deref()
                .map(|t| clip(t, render::TITLE_LIMIT)),
            text: clip(&message.body, render::DESCRIPTION_LIMIT),
        }
    }

    fn message(&self) -> serenity::CreateMessage {
        filled!(serenity::CreateMessage::new(), self)
    }

    fn follow_up(&self) -> serenity::CreateInteractionResponseFollowup {
        filled!(serenity::CreateInteractionResponseFollowup::new(), self)
    }

    /// Whether `message` shows this (its embed's title and text, or its content).
    fn shown_by(&self, message: &serenity::Message) -> bool {
        match (&self.content, message.embeds.first()) {
            (Some(content), _) => message.content == *content,
            (None, Some(shown)) => {
                shown.title == self.title
                    && shown.description.as_deref() == Some(self.text.as_str())
            }
            (None, None) => false,
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
        let direct = matches!(to, Destination::Direct { .. });
        let rendered = Rendered::of(&outgoing, direct);
        // Otherwise (the press no longer answers) the ordinary way.
        if let (Some(press), true) = (outgoing.answers, direct)
            && let Some(message_id) = self.answer_press(channel, press, &rendered).await?
        {
            return Ok(Sent {
                message_id,
                dm: Some(channel.to_string()),
                answered_press: true,
            });
        }
        let message = rendered
            .message()
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
            dm: direct.then(|| channel.to_string()),
            answered_press: false,
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
