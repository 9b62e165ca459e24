//! Slash commands: each turns its options into a core [`Command`] and sends
//! the core's reply back, ephemeral in servers when it is personal.

// A group's commands have their own file, as in the core (src/commands/group.rs).
mod group;
// Their descriptions and choices in each language, from the Fluent files.
mod localised;

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::render::embed;
use super::{Error, PLATFORM};
use crate::commands::{self as core, Command, Member, Place};
use crate::engine::Engine;
use crate::i18n::Language;
use crate::message::Reply;
use crate::tr;

type Context<'a> = poise::Context<'a, Engine, Error>;

/// Interactions must be answered within 3 s; past this, defer and follow up.
const ANSWER_BEFORE_DEFERRING: Duration = Duration::from_millis(1500);

/// Every command, with where it may be installed and used: a member's own
/// commands work in servers and, installed to the member's account, in the
/// bot's DM and other private chats; a group's live in its server only.
/// Discord shows their descriptions and choices in the member's language.
pub fn all() -> Vec<poise::Command<Engine, Error>> {
    use serenity::{InstallationContext, InteractionContext};
    let mut commands = member_and_group_commands();
    for command in &mut commands {
        let for_groups = matches!(command.name.as_ref(), "group" | "leaderboard");
        if for_groups {
            command.install_context = Some(vec![InstallationContext::Guild]);
            command.interaction_context = Some(vec![InteractionContext::Guild]);
        } else {
            command.install_context =
                Some(vec![InstallationContext::Guild, InstallationContext::User]);
            command.interaction_context = Some(vec![
                InteractionContext::Guild,
                InteractionContext::BotDm,
                InteractionContext::PrivateChannel,
            ]);
        }
        localised::localise(command);
    }
    commands
}

fn member_and_group_commands() -> Vec<poise::Command<Engine, Error>> {
    let with_options = vec![
        subscribe(),
        pause(),
        later(),
        followup(),
        pain(),
        timezone(),
        exercise(),
        privacy(),
        weekly(),
        language(),
        group::leaderboard(),
        nudges(),
        group::group(),
    ];
    let without = core::WITHOUT_ARGUMENTS
        .iter()
        .map(|(name, description)| without_arguments(name, &description.in_language(Language::En)));
    with_options.into_iter().chain(without).collect()
}

/// A slash command for a core command that takes nothing after its name:
/// every one the core lists is offered, so a new one needs nothing here.
fn without_arguments(name: &str, description: &str) -> poise::Command<Engine, Error> {
    poise::Command {
        name: name.to_string().into(),
        qualified_name: name.to_string().into(),
        identifying_name: name.to_string().into(),
        source_code_name: name.to_string().into(),
        description: Some(description.to_string().into()),
        slash_action: Some(answer_without_arguments),
        ..Default::default()
    }
}

fn answer_without_arguments(
    ctx: poise::ApplicationContext<'_, Engine, Error>,
) -> poise::BoxFuture<'_, Result<(), poise::FrameworkError<'_, Engine, Error>>> {
    Box::pin(async move {
        let context = poise::Context::Application(ctx);
        let answered = match Command::parse(&ctx.interaction.data.name) {
            Ok(command) => answer(context, command).await,
            Err(error) => Err(error.into()),
        };
        answered.map_err(|error| poise::FrameworkError::new_command(context, error))
    })
}

/// The member as this server shows them, from the interaction.
fn guild_member(ctx: Context<'_>) -> Option<&serenity::Member> {
    match ctx {
        poise::Context::Application(app) => app.interaction.member.as_deref(),
        // Only slash commands are registered.
        poise::Context::Prefix(_) => None,
    }
}

/// Where the command was used and, in a server, whether the member may
/// manage it (Manage Server, or Administrator, as Discord resolved it for
/// this channel). Checked on every use: the registration's
/// default_member_permissions can be changed by server admins.
fn place(ctx: Context<'_>) -> Place {
    if ctx.guild_id().is_none() {
        return Place::Direct;
    }
    let admin = guild_member(ctx)
        .and_then(|member| member.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator());
    Place::Channel {
        id: ctx.channel_id().to_string(),
        admin,
    }
}

/// Runs a core command and answers the interaction.
async fn answer(ctx: Context<'_>, command: Command) -> Result<(), Error> {
    let display_name = guild_member(ctx).map_or_else(
        || ctx.author().display_name().to_string(),
        |member| member.display_name().to_string(),
    );
    let member = Member {
        platform: PLATFORM.to_string(),
        user_id: ctx.author().id.to_string(),
        display_name,
        dm: None,
        profile_zone: None,
        locale: ctx.locale().map(str::to_string),
        server_locale: match ctx {
            poise::Context::Application(app) => app.interaction.guild_locale.clone(),
            poise::Context::Prefix(_) => None,
        },
    };
    let place = place(ctx);
    let engine = ctx.data().clone();
    let handling =
        tokio::spawn(async move { core::handle(&engine, &member, &place, command).await });
    tokio::pin!(handling);
    let shared = is_shared(ctx);
    let reply = match tokio::time::timeout(ANSWER_BEFORE_DEFERRING, &mut handling).await {
        Ok(reply) => reply?,
        Err(_) => {
            // Personal answers are ephemeral in servers, so defer the same way.
            ctx.defer_ephemeral().await?;
            handling.await?
        }
    };
    send(ctx, &reply, shared).await
}

/// Whether others can see the answer: in a server, and in a private chat
/// among friends where a user-installed bot is used; not in the bot's DM.
fn is_shared(ctx: Context<'_>) -> bool {
    match ctx {
        poise::Context::Application(app) => match app.interaction.context {
            Some(serenity::InteractionContext::BotDm) => false,
            Some(_) => true,
            None => app.interaction.guild_id.is_some(),
        },
        poise::Context::Prefix(_) => ctx.guild_id().is_some(),
    }
}

async fn send(ctx: Context<'_>, reply: &Reply, shared: bool) -> Result<(), Error> {
    let mut create = poise::CreateReply::default()
        .embed(embed(&reply.message))
        .ephemeral(reply.ephemeral && shared);
    if let Some(file) = &reply.attachment {
        create = create.attachment(serenity::CreateAttachment::bytes(
            file.bytes.clone(),
            file.filename.clone(),
        ));
    }
    ctx.send(create).await?;
    Ok(())
}

/// Unexpected errors: log them and tell the member briefly.
pub async fn on_error(error: poise::FrameworkError<'_, Engine, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, "Discord command failed: {error}");
            // The store may be what failed: the app's language, not the member's stored one.
            let lang = ctx
                .locale()
                .and_then(Language::from_tag)
                .unwrap_or_default();
            let sorry = poise::CreateReply::default()
                .content(tr!(lang, "discord-error"))
                .ephemeral(true);
            if let Err(e) = ctx.send(sorry).await {
                tracing::warn!("cannot tell the member about an error: {e}");
            }
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!("Discord error while handling an error: {e}");
            }
        }
    }
}

/// Time zone suggestions: names containing what was typed (Discord shows 25).
async fn zones(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let wanted = partial.trim().to_ascii_lowercase().replace(' ', "_");
    let choices = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|name| name.to_ascii_lowercase().contains(&wanted))
        .take(25)
        .map(|name| serenity::AutocompleteChoice::new(name, name))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Days {
    #[name = "daily"]
    Daily,
    #[name = "weekdays"]
    Weekdays,
    #[name = "weekends"]
    Weekends,
    #[name = "mon,wed,fri"]
    MonWedFri,
    #[name = "tue,thu"]
    TueThu,
}

impl Days {
    fn as_text(self) -> &'static str {
        match self {
            Days::Daily => "daily",
            Days::Weekdays => "weekdays",
            Days::Weekends => "weekends",
            Days::MonWedFri => "mon,wed,fri",
            Days::TueThu => "tue,thu",
        }
    }
}

/// Start or change your daily routine
#[poise::command(slash_command)]
pub async fn subscribe(
    ctx: Context<'_>,
    #[description = "Local time, e.g. 07:30 or 7:30am"]
    #[max_length = 16]
    time: String,
    #[description = "Your time zone, e.g. Europe/Berlin"]
    #[autocomplete = "zones"]
    #[max_length = 64]
    timezone: Option<String>,
    #[description = "Which days"] days: Option<Days>,
    #[description = "Minutes between exercises"]
    #[min = 1]
    #[max = 30]
    pace: Option<u32>,
) -> Result<(), Error> {
    let command = Command::Subscribe {
        time,
        timezone,
        days: days.map(|d| d.as_text().to_string()),
        pace: pace.map(|p| p.to_string()),
    };
    answer(ctx, command).await
}

/// Pause your sessions, until you resume or for some days
#[poise::command(slash_command)]
pub async fn pause(
    ctx: Context<'_>,
    #[description = "Days to pause (empty: until you resume)"]
    #[min = 1]
    #[max = 365]
    days: Option<u32>,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::Pause {
            days: days.map(|d| d.to_string()),
        },
    )
    .await
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Delay {
    #[name = "30m"]
    HalfAnHour,
    #[name = "1h"]
    AnHour,
    #[name = "2h"]
    TwoHours,
    #[name = "tonight"]
    Tonight,
}

/// Move today's session once (1 h if you don't say)
#[poise::command(slash_command)]
pub async fn later(
    ctx: Context<'_>,
    #[description = "How much later"] delay: Option<Delay>,
) -> Result<(), Error> {
    let delay = delay.map(|d| {
        match d {
            Delay::HalfAnHour => "30m",
            Delay::AnHour => "1h",
            Delay::TwoHours => "2h",
            Delay::Tonight => "tonight",
        }
        .to_string()
    });
    answer(ctx, Command::Later { delay }).await
}

/// One reminder in the evening if the day's session isn't done
#[poise::command(slash_command)]
pub async fn followup(
    ctx: Context<'_>,
    #[description = "Local time, e.g. 20:00, or off"]
    #[max_length = 16]
    time: String,
) -> Result<(), Error> {
    let time = (!time.trim().eq_ignore_ascii_case("off")).then_some(time);
    answer(ctx, Command::Followup { time }).await
}

/// How strong your latest 🤕 was (0–10), and where
#[poise::command(slash_command)]
pub async fn pain(
    ctx: Context<'_>,
    #[description = "0 = nothing, 10 = the worst you can imagine"]
    #[min = 0]
    #[max = 10]
    score: u8,
    #[description = "Where you felt it, e.g. left shoulder blade"]
    #[rename = "where"]
    #[max_length = 64]
    place: Option<String>,
) -> Result<(), Error> {
    let score = score.to_string();
    answer(ctx, Command::Pain { score, place }).await
}

/// Set your time zone
#[poise::command(slash_command)]
pub async fn timezone(
    ctx: Context<'_>,
    #[description = "e.g. Europe/Berlin or a city such as berlin"]
    #[autocomplete = "zones"]
    #[max_length = 64]
    zone: String,
) -> Result<(), Error> {
    answer(ctx, Command::Timezone { zone }).await
}

/// One exercise in full
#[poise::command(slash_command)]
pub async fn exercise(
    ctx: Context<'_>,
    #[description = "Its number (1-5) or name"]
    #[max_length = 64]
    which: String,
) -> Result<(), Error> {
    answer(ctx, Command::Exercise { which }).await
}

/// Your data: export it or erase it
#[poise::command(slash_command, subcommands("export", "delete"), subcommand_required)]
pub async fn privacy(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ExportFormat {
    #[name = "json"]
    Json,
    #[name = "csv"]
    Csv,
}

/// All your data as a JSON file, or your check-ins as CSV
#[poise::command(slash_command)]
pub async fn export(
    ctx: Context<'_>,
    #[description = "json: everything; csv: your check-ins, for a physiotherapist"] format: Option<
        ExportFormat,
    >,
) -> Result<(), Error> {
    let csv = matches!(format, Some(ExportFormat::Csv));
    answer(ctx, Command::PrivacyExport { csv }).await
}

/// Erase everything stored about you
#[poise::command(slash_command)]
pub async fn delete(
    ctx: Context<'_>,
    #[description = "Set to True to erase for good"] confirm: Option<bool>,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::PrivacyDelete {
            confirmed: confirm.unwrap_or(false),
        },
    )
    .await
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Switch {
    #[name = "on"]
    On,
    #[name = "off"]
    Off,
}

impl Switch {
    fn is_on(self) -> bool {
        matches!(self, Switch::On)
    }
}

/// The languages a member or group can choose, by their own names.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum LanguageChoice {
    #[name = "English"]
    En,
    #[name = "Deutsch"]
    De,
    #[name = "Español"]
    Es,
}

impl LanguageChoice {
    fn code(self) -> &'static str {
        match self {
            LanguageChoice::En => "en",
            LanguageChoice::De => "de",
            LanguageChoice::Es => "es",
        }
    }
}

/// The language I write to you in
#[poise::command(slash_command)]
pub async fn language(
    ctx: Context<'_>,
    #[description = "Leave it out to see the languages"] language: Option<LanguageChoice>,
) -> Result<(), Error> {
    let code = language.map(|l| l.code().to_string());
    answer(ctx, Command::Language { code }).await
}

/// A summary of your week by DM each Sunday
#[poise::command(slash_command)]
pub async fn weekly(
    ctx: Context<'_>,
    #[description = "on or off"] setting: Switch,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::Weekly {
            on: setting.is_on(),
        },
    )
    .await
}

/// Whether a group may mention you before its summary
#[poise::command(slash_command)]
pub async fn nudges(
    ctx: Context<'_>,
    #[description = "on or off"] setting: Switch,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::Nudges {
            on: setting.is_on(),
        },
    )
    .await
}
