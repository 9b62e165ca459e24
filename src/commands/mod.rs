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

pub use help::{COMMANDS, WITHOUT_ARGUMENTS, describe_command};
pub(crate) use later::Later;
pub use parse::{MAX_ARGUMENT_CHARS, ParseError};

use crate::store::sql::Conn;
use chrono::{DateTime, Utc};

use crate::content::{Content, TopicId};
use crate::conventions::Conventions;
use crate::engine::{Engine, Settings};
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::store::{StoreError, subscriptions, users};
use crate::telemetry::CommandOutcome;
use crate::tr;

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

/// A member command, as parsed from text or built from a platform's
/// options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Subscribe {
        time: String,
        timezone: Option<String>,
        days: Option<String>,
        pace: Option<String>,
    },
    Agree,
    Unsubscribe,
    Pause {
        days: Option<String>,
    },
    Resume,
    Skip,
    /// An evening follow-up at a local time when the day is not done;
    /// `None` turns it off.
    Followup {
        time: Option<String>,
    },
    /// Moves today's session: `30m`, `1h` (the default), `2h` or `tonight`.
    Later {
        delay: Option<String>,
    },
    /// How strong the latest pain was (0–10) and where.
    Pain {
        score: String,
        place: Option<String>,
    },
    Status,
    Timezone {
        zone: String,
    },
    Routine,
    Exercise {
        which: String,
    },
    Topic(TopicId),
    Streak,
    Progress,
    /// The last 8 weeks per exercise: done, load, pain.
    Trends,
    /// Everything as JSON, or (`csv`) the check-ins as a table.
    PrivacyExport {
        csv: bool,
    },
    PrivacyDelete {
        confirmed: bool,
    },
    GroupSetup {
        time: String,
        timezone: Option<String>,
        days: Option<String>,
        summary: Option<String>,
        /// The language of the group's posts (`de`, `es-ES`, …).
        language: Option<String>,
    },
    GroupOff,
    GroupStatus,
    GroupNudges {
        on: bool,
    },
    /// The group rests on one day (`YYYY-MM-DD`, `today` or `tomorrow`).
    GroupSkip {
        date: String,
    },
    /// The group rests for some days, from tomorrow.
    GroupPause {
        days: String,
    },
    Leaderboard,
    /// The member's own choice about being mentioned in group nudges.
    Nudges {
        on: bool,
    },
    Weekly {
        on: bool,
    },
    /// The member's language (`de`, `es-ES`, …); `None` lists them.
    Language {
        code: Option<String>,
    },
}

/// What went wrong while answering.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// The member asked for something that cannot be done; say why.
    #[error("{0}")]
    Refused(String),
    /// A time, zone or days the member typed that do not read; worded in
    /// their language once the answer is written.
    #[error(transparent)]
    Input(#[from] crate::schedule::InputError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CommandError {
    fn from(error: rusqlite::Error) -> CommandError {
        CommandError::Store(error.into())
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
        Err(error) => match over_budget(engine, member).await {
            Some(slow_down) => slow_down,
            None => {
                let lang = language_of(engine, member).await;
                parse_error_reply(engine, &error, lang)
            }
        },
    }
}

/// The language `member` reads, for answers given before their command
/// runs: the one they chose, else the one their platform reports now, else
/// the one it reported before, else English. A failed lookup reads as one
/// that found nothing.
pub async fn language_of(engine: &Engine, member: &Member) -> Language {
    let reported = member.locale.as_deref().and_then(Language::from_tag);
    let (platform, user_id) = (member.platform.clone(), member.user_id.clone());
    let stored = engine
        .db()
        .call(move |c| users::find(c, &platform, &user_id))
        .await
        .unwrap_or_else(|error| {
            tracing::warn!("cannot read a member's language: {error}");
            None
        });
    stored
        .as_ref()
        .and_then(|user| user.chosen_language)
        .or(reported)
        .or(stored.and_then(|user| user.platform_language))
        .unwrap_or_default()
}

/// The polite answer to a member sending commands faster than anyone types;
/// `None` while they are within their budget. Nothing is stored either way.
async fn over_budget(engine: &Engine, member: &Member) -> Option<Reply> {
    let key = format!("{}/{}", member.platform, member.user_id);
    if engine.command_budget().take(&key, engine.now()) {
        return None;
    }
    engine
        .telemetry()
        .metrics
        .command("any", CommandOutcome::Limited);
    let lang = language_of(engine, member).await;
    Some(Reply::slow_down(Message::text(tr!(lang, "cmd-slow-down"))))
}

/// Answers one command. Never fails: problems become a short reply, and
/// unexpected ones are logged.
pub async fn handle(engine: &Engine, member: &Member, place: &Place, command: Command) -> Reply {
    if let Some(slow_down) = over_budget(engine, member).await {
        return slow_down;
    }
    if let (Command::Leaderboard, Place::Channel { id, .. }) = (&command, place) {
        later::refresh_group(engine, &member.platform, id).await;
    }
    let name = command.name();
    let turn = engine.member_turn(&member.platform, &member.user_id).await;
    let writing = engine.write_turn().await;
    let answered = answer_in_store(engine, member, place, command).await;
    drop((writing, turn));
    engine.wake();
    let result = match answered {
        Ok(Ok(Answered {
            reply,
            later,
            notice,
            lang,
        })) => {
            let finished = match later {
                Some(later) => later.finish(engine.content(), reply, lang).await,
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
            let lang = language_of(engine, member).await;
            Reply::private(Message::text(tr!(lang, "cmd-failed")))
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
    /// The member's language, for the work left for later.
    lang: Language,
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
            let lang = ctx.lang;
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
                        lang,
                    }))
                }
                Err(CommandError::Refused(text)) => Ok(Err(text)),
                Err(CommandError::Input(error)) => Ok(Err(error.message(lang))),
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

/// A reply to text that did not parse, in the member's language.
fn parse_error_reply(engine: &Engine, error: &ParseError, lang: Language) -> Reply {
    let command = match error {
        ParseError::Missing { command, .. } | ParseError::Unexpected { command, .. } => command,
        ParseError::Unknown(_) | ParseError::TooLong(_) => "unknown",
    };
    engine
        .telemetry()
        .metrics
        .command(command, CommandOutcome::Invalid);
    Reply::private(Message::text(error.message(lang)))
}

/// If the bot paused this member's subscription, say why at every command
/// until they resume.
fn pause_notice(ctx: &Ctx<'_>) -> Result<Option<String>, StoreError> {
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    Ok(subscription
        .filter(|s| s.state == subscriptions::State::Paused)
        .and_then(|s| s.pause_reason)
        .map(|reason| tr!(ctx.lang, "cmd-paused-notice", reason = reason)))
}

/// Who answers each command.
fn dispatch(ctx: &Ctx<'_>, command: Command) -> Result<Reply, CommandError> {
    match command {
        Command::Help => Ok(Reply::private(help::help(ctx.conventions, ctx.lang))),
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
        Command::Topic(topic) => Ok(info::topic(ctx.content, topic, ctx.lang)),
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
        let reply = later.finish_now(&content, reply, Language::En)?;
        let png = reply.attachment.ok_or("no picture attached")?;
        assert!(png.bytes.starts_with(b"\x89PNG"), "not a PNG");

        let (reply, Some(later @ Later::Leaderboard(..))) = board else {
            return Err("leaderboard ranked inside the transaction".into());
        };
        let reply = later.finish_now(&content, reply, Language::En)?;
        assert!(reply.message.body.contains("Ben"), "{}", reply.message.body);
        Ok(())
    }
}
