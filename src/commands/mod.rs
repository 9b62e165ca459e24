//! Member commands, the same on every platform: parsed from text
//! (`subscribe 07:30 berlin weekdays`) or built by an adapter from slash
//! command options, and answered with a platform-neutral [`Reply`].
//!
//! Each command runs in one database transaction: bad input gets a short,
//! specific answer and changes nothing.

mod group;
mod help;
mod info;
mod language;
mod later;
mod pain;
mod parse;
mod privacy;
mod subscription;

pub(crate) use later::Later;
pub use parse::{Command, MAX_ARGUMENT_CHARS, ParseError};

use crate::store::sql::Conn;
use chrono::{DateTime, Utc};

use crate::content::Content;
use crate::conventions::Conventions;
use crate::engine::{Engine, Settings};
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::store::{StoreError, subscriptions, users};
use crate::telemetry::CommandOutcome;

/// Where a command was given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Place {
    /// A direct message with the bot (or the demo's terminal).
    #[default]
    Direct,
    /// A shared channel or room. `admin` is the platform's verdict on the
    /// asking member: Manage Server on Discord, power level ≥ 50 on Matrix.
    Channel { id: String, admin: bool },
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub platform: String,
    pub user_id: String,
    pub display_name: String,
    /// The member's DM channel or room, when the command came from it: the
    /// engine remembers it with the command, for the messages that follow.
    pub dm: Option<String>,
    /// The zone the member's profile gives (Matrix's `m.tz`), for a
    /// `subscribe` without one when none is known yet.
    pub profile_zone: Option<String>,
    /// The language the member's app reports (Discord's `locale`): theirs
    /// until they choose one with `language`.
    pub locale: Option<String>,
    /// The language of the server the command came from (Discord's
    /// `guild_locale`): a new group's, unless the admin names one.
    pub server_locale: Option<String>,
}

/// What went wrong while answering.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// The member asked for something that cannot be done; say why.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CommandError {
    fn from(error: rusqlite::Error) -> CommandError {
        CommandError::Store(error.into())
    }
}

impl From<crate::schedule::InputError> for CommandError {
    fn from(error: crate::schedule::InputError) -> CommandError {
        CommandError::Refused(error.to_string())
    }
}

/// Everything a command handler needs, inside its transaction.
pub(crate) struct Ctx<'a> {
    pub c: &'a dyn Conn,
    pub content: &'a Content,
    pub settings: Settings,
    pub now: DateTime<Utc>,
    pub user: users::User,
    pub place: Place,
    /// How the member's platform shows instants and commands.
    pub conventions: &'static Conventions,
    /// The zone in the member's profile, if their platform has one.
    pub profile_zone: Option<chrono_tz::Tz>,
    /// The language the answer is written in: the member's.
    pub lang: Language,
    /// The server's language, for a new group (see [`Member::server_locale`]).
    pub server_language: Option<Language>,
    /// Work the answer needs once the connection is released.
    pub later: std::cell::RefCell<Option<Later>>,
}

impl Ctx<'_> {
    /// An instant as the member's platform shows it.
    pub fn instant(&self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
        (self.conventions.instant)(at, zone, self.now, self.lang)
    }
}

/// Answers a line of text after the prefix (`!upright …`, `/…` in the demo).
pub async fn handle_text(engine: &Engine, member: &Member, place: &Place, text: &str) -> Reply {
    match Command::parse(text) {
        Ok(command) => handle(engine, member, place, command).await,
        Err(error) => {
            over_budget(engine, member).unwrap_or_else(|| parse_error_reply(engine, &error))
        }
    }
}

/// The polite answer to a member sending commands faster than anyone types;
/// `None` while they are within their budget. Nothing is stored either way.
fn over_budget(engine: &Engine, member: &Member) -> Option<Reply> {
    let key = format!("{}/{}", member.platform, member.user_id);
    if engine.command_budget().take(&key, engine.now()) {
        return None;
    }
    engine
        .telemetry()
        .metrics
        .command("any", CommandOutcome::Limited);
    Some(Reply::slow_down(Message::text(
        "You're sending commands faster than I can answer them well. Give me a few seconds, then try again.",
    )))
}

/// Answers one command. Never fails: problems become a short reply, and
/// unexpected ones are logged.
pub async fn handle(engine: &Engine, member: &Member, place: &Place, command: Command) -> Reply {
    if let Some(slow_down) = over_budget(engine, member) {
        return slow_down;
    }
    if let (Command::Leaderboard, Place::Channel { id, .. }) = (&command, place) {
        later::refresh_group(engine, &member.platform, id).await;
    }
    let name = command.name();
    let answered = answer_in_store(engine, member, place, command).await;
    engine.wake();
    let result = match answered {
        Ok(Ok(Answered {
            reply,
            later,
            notice,
        })) => {
            let finished = match later {
                Some(later) => later.finish(engine.content(), reply).await,
                None => Ok(reply),
            };
            Ok(finished.map(|reply| with_notice(reply, notice)))
        }
        Ok(Err(refusal)) => Ok(Err(refusal)),
        Err(error) => Err(error),
    };
    let outcome = match &result {
        Ok(Ok(_)) => CommandOutcome::Ok,
        Ok(Err(_)) => CommandOutcome::Refused,
        Err(_) => CommandOutcome::Error,
    };
    engine.telemetry().metrics.command(name, outcome);
    match result {
        Ok(Ok(reply)) => reply,
        Ok(Err(refusal)) => Reply::private(Message::text(refusal)),
        Err(error) => {
            tracing::error!(command = name, platform = %member.platform, "command failed: {error}");
            Reply::private(Message::text(
                "Something went wrong on my side, and nothing was changed. Please try again in a minute.",
            ))
        }
    }
}

/// A command answered inside its transaction.
struct Answered {
    reply: Reply,
    /// Work left for after the transaction.
    later: Option<Later>,
    /// Said before the answer (a paused subscription).
    notice: Option<String>,
}

/// Runs the command in one transaction, committed only if it succeeds; a
/// refusal (`Ok(Err(why))`) changes nothing.
async fn answer_in_store(
    engine: &Engine,
    member: &Member,
    place: &Place,
    command: Command,
) -> Result<Result<Answered, String>, StoreError> {
    let (place, member) = (place.clone(), member.clone());
    let content = engine.content();
    let settings = engine.settings();
    let now = engine.now();
    let conventions = engine.conventions(&member.platform);
    engine
        .db()
        .call(move |c| {
            let tx = c.transaction()?;
            let user = store_member(&tx, &member, &place, now)?;
            let ctx = Ctx {
                lang: user.language(),
                server_language: member.server_locale.as_deref().and_then(Language::from_tag),
                c: &tx,
                content: &content,
                settings,
                now,
                user,
                place: place.clone(),
                conventions,
                profile_zone: member
                    .profile_zone
                    .as_deref()
                    .and_then(|zone| zone.parse().ok()),
                later: std::cell::RefCell::new(None),
            };
            let notice = pause_notice(&ctx)?;
            match dispatch(&ctx, command.clone()) {
                Ok(reply) => {
                    let later = ctx.later.take();
                    drop(ctx);
                    tx.commit()?;
                    Ok(Ok(Answered {
                        reply,
                        later,
                        notice,
                    }))
                }
                Err(CommandError::Refused(text)) => Ok(Err(text)),
                Err(CommandError::Store(error)) => Err(error),
            }
        })
        .await
}

/// The asking member's record, created on first contact. A name given in a
/// shared channel is that server's or room's (a nickname): it names the
/// member there, not everywhere.
fn store_member(
    c: &dyn Conn,
    member: &Member,
    place: &Place,
    now: DateTime<Utc>,
) -> Result<users::User, StoreError> {
    let store = match place {
        Place::Direct => users::upsert,
        Place::Channel { .. } => users::ensure,
    };
    let user = store(
        c,
        &member.platform,
        &member.user_id,
        &member.display_name,
        now,
    )?;
    if let Some(dm) = &member.dm {
        users::set_dm_target(c, user.id, dm)?;
    }
    let reported = member.locale.as_deref().and_then(Language::from_tag);
    if let Some(language) = reported.filter(|&l| user.platform_language != Some(l)) {
        users::set_platform_language(c, user.id, language)?;
        return Ok(users::User {
            platform_language: Some(language),
            ..user
        });
    }
    Ok(user)
}

fn with_notice(mut reply: Reply, notice: Option<String>) -> Reply {
    if let Some(notice) = notice {
        reply.message.body = format!("{notice}\n\n{}", reply.message.body);
    }
    reply
}

/// A reply to text that did not parse.
fn parse_error_reply(engine: &Engine, error: &ParseError) -> Reply {
    let command = match error {
        ParseError::Missing { command, .. } | ParseError::Unexpected { command, .. } => command,
        ParseError::Unknown(_) | ParseError::TooLong(_) => "unknown",
    };
    engine
        .telemetry()
        .metrics
        .command(command, CommandOutcome::Invalid);
    Reply::private(Message::text(error.to_string()))
}

/// If the bot paused this member's subscription, say why at every command
/// until they resume.
fn pause_notice(ctx: &Ctx<'_>) -> Result<Option<String>, StoreError> {
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    Ok(subscription
        .filter(|s| s.state == subscriptions::State::Paused)
        .and_then(|s| s.pause_reason)
        .map(|reason| {
            format!("**Your sessions are paused:** I could not message you ({reason}). Allow direct messages from me, then send `resume`.")
        }))
}

/// Every command with a one-line description; adapters add their prefix.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "subscribe <time> [timezone] [days] [pace]",
        "start or change your daily routine, e.g. `subscribe 07:30 Europe/Berlin weekdays`",
    ),
    (
        "agree",
        "accept the disclaimer (needed once, before your first session)",
    ),
    ("status", "your next session, streak and today's load"),
    (
        "pause [days]",
        "pause your sessions, for good or for some days",
    ),
    ("resume", "start your sessions again"),
    ("skip", "skip today's session"),
    (
        "later [30m|1h|2h|tonight]",
        "move today's session once (1 h if you don't say)",
    ),
    (
        "followup <HH:MM> / followup off",
        "one reminder that evening if the day's session isn't done (off unless you ask)",
    ),
    (
        "timezone <zone>",
        "set your time zone, e.g. `timezone berlin`",
    ),
    ("unsubscribe", "stop your sessions (your history is kept)"),
    (
        "pain <0-10> [where]",
        "how strong your latest 🤕 was, and where, e.g. `pain 6 left shoulder blade`",
    ),
    ("routine", "today's routine"),
    ("exercise <number or name>", "one exercise in full"),
    (
        "causes / why / tips / precautions / disclaimer",
        "background on upper back pain",
    ),
    ("streak", "your streak"),
    ("progress", "a picture of your last 12 weeks"),
    (
        "trends",
        "each exercise over 8 weeks: days done, load, pain scores (to show a physiotherapist)",
    ),
    (
        "weekly on / weekly off",
        "a summary of your week by direct message each Sunday",
    ),
    ("leaderboard", "the streaks of this channel's group"),
    (
        "nudges on / nudges off",
        "whether a group may mention you before its summary",
    ),
    (
        "group setup <time> [timezone] [days] [summary <time>]",
        "admins: do the routine together in this channel, e.g. `group setup 07:30 Europe/Berlin weekdays summary 21:00`",
    ),
    (
        "group status / group off / group nudges on|off",
        "admins: see, stop, or turn nudges on or off for this channel's group",
    ),
    (
        "group skip <date> / group pause <days>",
        "admins: the group rests that day, or for some days from tomorrow (neutral for streaks)",
    ),
    (
        "privacy export [csv] / privacy delete",
        "all your data as a file / erase it",
    ),
    (
        "language [code]",
        "the language I write to you in: `language de`, `language es`, `language en`",
    ),
    ("help", "this list"),
];

/// The commands that take nothing after their name, each with the line a
/// platform's menu of commands shows (Discord's slash commands: at most 100
/// characters). A platform with such a menu offers every one of these.
pub const WITHOUT_ARGUMENTS: &[(&str, &str)] = &[
    (
        "agree",
        "Accept the disclaimer (needed once, before your first session)",
    ),
    ("unsubscribe", "Stop your sessions (your history is kept)"),
    ("resume", "Start your sessions again"),
    ("skip", "Skip today's session"),
    ("status", "Your next session, streak and today's load"),
    ("routine", "Today's routine"),
    ("causes", "What causes upper back pain"),
    ("why", "Why exercise helps"),
    ("tips", "Tips for making it a habit"),
    (
        "precautions",
        "Precautions: exercising safely with back pain",
    ),
    ("disclaimer", "The medical disclaimer"),
    ("streak", "Your streak"),
    ("progress", "A picture of your last 12 weeks"),
    (
        "trends",
        "Each exercise over 8 weeks: days done, load, pain scores",
    ),
    ("help", "What Upright does, and its commands"),
];

/// Who answers each command.
fn dispatch(ctx: &Ctx<'_>, command: Command) -> Result<Reply, CommandError> {
    match command {
        Command::Help => Ok(Reply::private(help::help(ctx.conventions))),
        Command::Subscribe {
            time,
            timezone,
            days,
            pace,
        } => subscription::subscribe(
            ctx,
            &time,
            timezone.as_deref(),
            days.as_deref(),
            pace.as_deref(),
        ),
        Command::Agree => subscription::agree(ctx),
        Command::Unsubscribe => subscription::unsubscribe(ctx),
        Command::Pause { days } => subscription::pause(ctx, days.as_deref()),
        Command::Resume => subscription::resume(ctx),
        Command::Skip => subscription::skip(ctx),
        Command::Later { delay } => subscription::later(ctx, delay.as_deref()),
        Command::Followup { time } => subscription::followup(ctx, time.as_deref()),
        Command::Pain { score, place } => pain::rate(ctx, &score, place.as_deref()),
        Command::Status => subscription::status(ctx),
        Command::Timezone { zone } => subscription::timezone(ctx, &zone),
        Command::Routine => info::routine(ctx),
        Command::Exercise { which } => info::exercise(ctx, &which),
        Command::Topic(topic) => Ok(info::topic(ctx.content, topic)),
        Command::Streak => info::streak(ctx),
        Command::Progress => info::progress(ctx),
        Command::Trends => info::trends(ctx),
        Command::PrivacyExport { csv: false } => privacy::export(ctx),
        Command::PrivacyExport { csv: true } => privacy::export_csv(ctx),
        Command::PrivacyDelete { confirmed } => privacy::delete(ctx, confirmed),
        Command::GroupSetup {
            time,
            timezone,
            days,
            summary,
            language,
        } => group::setup(
            ctx,
            &time,
            timezone.as_deref(),
            days.as_deref(),
            summary.as_deref(),
            language.as_deref(),
        ),
        Command::Language { code } => language::choose(ctx, code.as_deref()),
        Command::GroupOff => group::off(ctx),
        Command::GroupStatus => group::status(ctx),
        Command::GroupNudges { on } => group::set_group_nudges(ctx, on),
        Command::GroupSkip { date } => group::rest_on(ctx, &date),
        Command::GroupPause { days } => group::rest_for(ctx, &days),
        Command::Leaderboard => group::leaderboard(ctx),
        Command::Nudges { on } => group::member_nudges(ctx, on),
        Command::Weekly { on } => group::weekly_summary(ctx, on),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_without_arguments_parses_and_fits_a_menu() {
        for (name, description) in WITHOUT_ARGUMENTS {
            let command = Command::parse(name);
            assert!(command.is_ok(), "{name}: {command:?}");
            assert!(
                (1..=100).contains(&description.chars().count()),
                "{name}: {description}"
            );
            assert!(
                COMMANDS.iter().any(|(usage, _)| usage.contains(name)),
                "{name} is missing from the help"
            );
        }
    }

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    /// Runs one command as `who` inside a transaction, the way `handle`
    /// does, and returns the reply with the work left for later.
    fn answer(
        c: &dyn Conn,
        content: &Content,
        who: &str,
        place: Place,
        text: &str,
    ) -> Result<(Reply, Option<Later>), Box<dyn std::error::Error>> {
        let now = DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")?.with_timezone(&Utc);
        let tx = c.transaction()?;
        let user = users::upsert(&tx, "matrix", who, who, now)?;
        let ctx = Ctx {
            c: &tx,
            content,
            settings: Settings::default(),
            now,
            user,
            place,
            conventions: &Conventions::PLAIN,
            profile_zone: None,
            lang: Language::En,
            server_language: None,
            later: std::cell::RefCell::new(None),
        };
        let command = Command::parse(text)?;
        let reply = dispatch(&ctx, command).map_err(|e| e.to_string())?;
        let later = ctx.later.take();
        drop(ctx);
        tx.commit()?;
        Ok((reply, later))
    }

    /// The picture and the leaderboard are finished by work that holds no
    /// connection: the transaction only reads, and what it read is enough
    /// once the database is closed.
    #[test]
    fn pictures_and_rankings_are_made_after_the_database_is_released() -> Outcome {
        let content =
            Content::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))?;
        let dir = tempfile::tempdir()?;
        let db = crate::store::Db::open(&dir.path().join("upright.db"))?;
        let room = Place::Channel {
            id: "!group:example.org".into(),
            admin: true,
        };
        let (picture, board) = db.call_blocking(|c| {
            let run = |c: &dyn Conn, who: &str, place: Place, text: &str| {
                answer(c, &content, who, place, text)
                    .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))
            };
            run(c, "@ana:example.org", Place::Direct, "agree")?;
            run(c, "@ana:example.org", Place::Direct, "subscribe 07:30 UTC")?;
            let picture = run(c, "@ana:example.org", Place::Direct, "progress")?;
            run(c, "@ana:example.org", room.clone(), "group setup 18:00 UTC")?;
            // Members join a group by checking in there.
            let now = chrono::Utc::now();
            let group = crate::store::groups::for_channel(c, "matrix", "!group:example.org")?
                .ok_or(crate::store::StoreError::Corrupt("no group".into()))?;
            let ben = users::upsert(c, "matrix", "@ben:example.org", "Ben", now)?;
            crate::store::groups::join(c, group.id, ben.id, Some("Ben"), now)?;
            let board = run(c, "@ben:example.org", room.clone(), "leaderboard")?;
            Ok((picture, board))
        })?;
        drop(db);

        let (reply, Some(later @ Later::Picture(_))) = picture else {
            return Err("progress drew its picture inside the transaction".into());
        };
        assert!(reply.attachment.is_none());
        let reply = later.finish_now(&content, reply)?;
        let png = reply.attachment.ok_or("no picture attached")?;
        assert!(png.bytes.starts_with(b"\x89PNG"), "not a PNG");

        let (reply, Some(later @ Later::Leaderboard(_))) = board else {
            return Err("leaderboard ranked inside the transaction".into());
        };
        let reply = later.finish_now(&content, reply)?;
        assert!(reply.message.body.contains("Ben"), "{}", reply.message.body);
        Ok(())
    }
}
