//! A group's slash commands: `/group` with its subcommands and
//! `/leaderboard`, installed and used in servers only (see [`super::all`]).

use super::{Context, Days, Error, LanguageChoice, Switch, answer, zones};
use crate::commands::Command;

/// The streaks of this channel's group
#[poise::command(slash_command)]
pub async fn leaderboard(ctx: Context<'_>) -> Result<(), Error> {
    answer(ctx, Command::Leaderboard).await
}

/// Do the routine together in this channel (Manage Server)
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "group_setup",
        "group_status",
        "group_off",
        "group_nudges",
        "group_skip",
        "group_pause"
    ),
    subcommand_required
)]
pub async fn group(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the routine here each day, with a summary in the evening
#[poise::command(slash_command, rename = "setup")]
pub async fn group_setup(
    ctx: Context<'_>,
    #[description = "Local time, e.g. 07:30"]
    #[max_length = 16]
    time: String,
    #[description = "The group's time zone, e.g. Europe/Berlin"]
    #[autocomplete = "zones"]
    #[max_length = 64]
    timezone: Option<String>,
    #[description = "Which days"] days: Option<Days>,
    #[description = "Local time of the day's summary, e.g. 21:00"]
    #[max_length = 16]
    summary: Option<String>,
    #[description = "The language of the group's posts (default: the server's)"] language: Option<
        LanguageChoice,
    >,
) -> Result<(), Error> {
    let command = Command::GroupSetup {
        time,
        timezone,
        days: days.map(|d| d.as_text().to_string()),
        summary,
        language: language.map(|l| l.code().to_string()),
    };
    answer(ctx, command).await
}

/// This channel's group: schedule, members, nudges
#[poise::command(slash_command, rename = "status")]
pub async fn group_status(ctx: Context<'_>) -> Result<(), Error> {
    answer(ctx, Command::GroupStatus).await
}

/// Stop this channel's group (history is kept)
#[poise::command(slash_command, rename = "off")]
pub async fn group_off(ctx: Context<'_>) -> Result<(), Error> {
    answer(ctx, Command::GroupOff).await
}

/// Mention members who haven't checked in, an hour before the summary
#[poise::command(slash_command, rename = "nudges")]
pub async fn group_nudges(
    ctx: Context<'_>,
    #[description = "on or off"] setting: Switch,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::GroupNudges {
            on: setting.is_on(),
        },
    )
    .await
}

/// No group session on one day (neutral for streaks)
#[poise::command(slash_command, rename = "skip")]
pub async fn group_skip(
    ctx: Context<'_>,
    #[description = "The day, e.g. 2027-05-05, today or tomorrow"]
    #[max_length = 16]
    date: String,
) -> Result<(), Error> {
    answer(ctx, Command::GroupSkip { date }).await
}

/// No group sessions for some days from tomorrow (neutral for streaks)
#[poise::command(slash_command, rename = "pause")]
pub async fn group_pause(
    ctx: Context<'_>,
    #[description = "How many days"]
    #[min = 1]
    #[max = 60]
    days: u32,
) -> Result<(), Error> {
    answer(
        ctx,
        Command::GroupPause {
            days: days.to_string(),
        },
    )
    .await
}
