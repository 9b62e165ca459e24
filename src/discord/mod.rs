//! The Discord adapter: serenity for the gateway and REST, poise for slash
//! commands. Interactions become commands, reactions become check-ins, and
//! [`platform::DiscordPlatform`] sends the engine's messages.
//!
//! Inbound: `commands` (slash commands; a group's in `commands/group.rs`)
//! and `buttons` (what a press on a button does). Outbound: `platform`
//! (sends, DMs, reactions), `render` (how a message looks: embeds and button
//! rows, also used when a press updates a message) and, behind
//! DISCORD_API_BASE, [`proxy`] (the engine's calls made directly) with its
//! rate limiter in `limiter`. `errors` says what a failed call means for the
//! engine, for serenity's calls and the proxy's alike. What sending shares
//! with the inbound files lives in `render`, so sending imports nothing
//! inbound.

mod buttons;
mod commands;
mod errors;
mod limiter;
pub mod platform;
pub mod proxy;
mod render;

use std::sync::Arc;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;

use crate::config::DiscordConfig;
use crate::engine::{Engine, ReactionEvent};
use crate::telemetry::Link;

pub const PLATFORM: &str = "discord";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// GUILDS, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES, DIRECT_MESSAGE_REACTIONS:
/// no privileged intent.
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGE_REACTIONS
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGE_REACTIONS
}

/// Serenity's REST client; through `DISCORD_API_BASE` when set (serenity's
/// own limiter is then off: the engine's DM openings, sends and reactions go
/// through [`proxy::ProxyRest`] and its limiter instead).
pub fn http(config: &DiscordConfig) -> serenity::Http {
    let builder = serenity::HttpBuilder::new(config.token.expose());
    match &config.api_base {
        Some(base) => builder
            .proxy(base.clone())
            .ratelimiter_disabled(true)
            .build(),
        None => builder.build(),
    }
}

/// `upright doctor`: whether Discord accepts the token, and for which
/// application.
pub async fn check_credentials(config: &DiscordConfig) -> Result<String, String> {
    let http = http(config);
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        http.get_current_application_info(),
    )
    .await;
    match answer {
        Ok(Ok(application)) => Ok(format!(
            "the token belongs to the application {} ({})",
            application.name, application.id
        )),
        Ok(Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))))
            if response.status_code.as_u16() == 401 =>
        {
            Err("Discord refused DISCORD_TOKEN; copy it again from the Developer Portal (your application → Bot → Reset Token)".to_string())
        }
        Ok(Err(error)) => Err(format!("cannot check the token with Discord: {error}")),
        Err(_) => Err("Discord did not answer within 15 s; check the network (and DISCORD_API_BASE if set)".to_string()),
    }
}

/// Connects to Discord, registers the commands (in DISCORD_GUILD_ID when set,
/// else globally) and runs until `shutdown`.
pub async fn run(
    config: &DiscordConfig,
    engine: &Engine,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let http = http(config);
    let guild = config.guild_id.map(serenity::GuildId::new);
    let data = engine.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |error| Box::pin(commands::on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                ctx.data
                    .write()
                    .await
                    .insert::<buttons::Tallies>(Arc::default());
                let commands = &framework.options().commands;
                match guild {
                    Some(guild) => poise::builtins::register_in_guild(ctx, commands, guild).await?,
                    None => poise::builtins::register_globally(ctx, commands).await?,
                }
                tracing::info!(
                    commands = commands.len(),
                    ?guild,
                    "slash commands registered"
                );
                Ok(data)
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await
        .context("cannot start the Discord client")?;
    let proxy = match &config.api_base {
        Some(base) => Some(proxy::ProxyRest::new(base, &config.token).map_err(anyhow::Error::msg)?),
        None => None,
    };
    engine.add_platform(
        PLATFORM,
        Arc::new(platform::DiscordPlatform::new(
            Arc::clone(&client.http),
            proxy,
        )),
    );
    let shards = Arc::clone(&client.shard_manager);
    tokio::select! {
        result = client.start() => result.context("the Discord connection ended")?,
        () = shutdown => shards.shutdown_all().await,
    }
    Ok(())
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Engine, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let health = &framework.user_data.telemetry().health;
    let (reaction, added) = match event {
        serenity::FullEvent::ReactionAdd { add_reaction } => (add_reaction, true),
        serenity::FullEvent::ReactionRemove { removed_reaction } => (removed_reaction, false),
        // A new session, or a resumed one: reactions made while the bot
        // was away, or whose write was given up on, are asked for, off
        // this handler.
        serenity::FullEvent::Ready { .. } | serenity::FullEvent::Resume { .. } => {
            health.link(PLATFORM, Link::Connected);
            let engine = framework.user_data.clone();
            tokio::spawn(async move {
                match engine.catch_up_check_ins(PLATFORM).await {
                    Ok(0) => {}
                    Ok(found) => tracing::info!(found, "caught up on reactions made while away"),
                    Err(error) => tracing::warn!("cannot catch up on reactions: {error}"),
                }
            });
            return Ok(());
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(press),
        } => {
            return buttons::on_press(framework.serenity_context, framework.user_data, press).await;
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Modal(form),
        } => {
            return buttons::on_how_strong(framework.serenity_context, framework.user_data, form)
                .await;
        }
        serenity::FullEvent::ShardStageUpdate { event } => {
            let link = match event.new {
                serenity::ConnectionStage::Connected => Link::Connected,
                stage => Link::Lost(format!("gateway {stage}")),
            };
            health.link(PLATFORM, link);
            return Ok(());
        }
        _ => return Ok(()),
    };
    let Some(user) = reaction.user_id else {
        return Ok(());
    };
    if user == framework.bot_id() {
        return Ok(()); // The bot's own reactions never count.
    }
    let serenity::ReactionType::Unicode(emoji) = &reaction.emoji else {
        return Ok(());
    };
    let event = ReactionEvent {
        platform: PLATFORM.to_string(),
        message_id: reaction.message_id.to_string(),
        user_id: user.to_string(),
        // Guild reactions carry the member, so summaries can use their server name.
        display_name: reaction
            .member
            .as_ref()
            .map(|m| m.display_name().to_string()),
        emoji: emoji.clone(),
        added,
        reaction_id: None,
        room: Some(reaction.channel_id.to_string()),
    };
    // Written off the gateway's handler, again while the database has a
    // passing problem: a check-in is not dropped for a busy moment.
    let engine = framework.user_data.clone();
    tokio::spawn(async move {
        crate::store::with_retries("record a reaction", || engine.on_reaction(event.clone())).await;
    });
    Ok(())
}
