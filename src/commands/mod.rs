//! Member commands, the same on every platform: parsed from text
//! (`subscribe 07:30 berlin weekdays`) or built by an adapter from slash
//! command options, and answered with a platform-neutral [`Reply`].
//!
//! Each command runs in one database transaction: bad input gets a short,
//! specific answer and changes nothing.

mod group;
mod info;
mod pain;
mod privacy;
mod subscription;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::content::{Content, TopicId};
use crate::conventions::Conventions;
use crate::engine::{Engine, Settings};
use crate::message::{Message, Reply};
use crate::store::{StoreError, subscriptions, users};
use crate::telemetry::CommandOutcome;

/// Longest single argument accepted (a zone name is at most ~30 characters).
pub const MAX_ARGUMENT_CHARS: usize = 64;

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
}

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
}

/// Why a line of text is not a command, worded for the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("I don't know the command `{0}`. Send `help` to see what I can do.")]
    Unknown(String),
    #[error("`{command}` needs {what}, for example `{example}`.")]
    Missing {
        command: &'static str,
        what: &'static str,
        example: &'static str,
    },
    #[error(
        "That argument is too long ({0} characters); keep each one under {MAX_ARGUMENT_CHARS}."
    )]
    TooLong(usize),
    #[error("`{command}` takes no `{extra}`. {usage}")]
    Unexpected {
        command: &'static str,
        extra: String,
        usage: &'static str,
    },
}

fn looks_like_pace(token: &str) -> bool {
    let digits = token.strip_suffix('m').unwrap_or(token);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Command {
    /// Parses the text after the prefix (`/` in the demo, `!upright` on Matrix).
    pub fn parse(text: &str) -> Result<Command, ParseError> {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        if let Some(long) = words
            .iter()
            .find(|w| w.chars().count() > MAX_ARGUMENT_CHARS)
        {
            return Err(ParseError::TooLong(long.chars().count()));
        }
        if words.is_empty() {
            return Ok(Command::Help);
        }
        let name = words.remove(0).to_lowercase();
        let no_more =
            |command: &'static str, usage: &'static str, words: &[&str]| match words.first() {
                Some(extra) => Err(ParseError::Unexpected {
                    command,
                    extra: extra.to_string(),
                    usage,
                }),
                None => Ok(()),
            };
        let command = match name.as_str() {
            "help" | "start" => Command::Help,
            "subscribe" => return Self::parse_subscribe(&words),
            "agree" => Command::Agree,
            "unsubscribe" | "stop" => Command::Unsubscribe,
            "pause" => {
                no_more(
                    "pause",
                    "Use `pause` or `pause 3` (days).",
                    words.get(1..).unwrap_or(&[]),
                )?;
                return Ok(Command::Pause {
                    days: words.first().map(|d| d.to_string()),
                });
            }
            "resume" => Command::Resume,
            "skip" => Command::Skip,
            "followup" | "follow-up" => {
                let Some((first, rest)) = words.split_first() else {
                    return Err(ParseError::Missing {
                        command: "followup",
                        what: "a time or `off`",
                        example: "followup 20:00",
                    });
                };
                let (time, rest) = with_meridiem(first, rest);
                no_more("followup", "Use `followup 20:00` or `followup off`.", &rest)?;
                return Ok(Command::Followup {
                    time: (!time.eq_ignore_ascii_case("off")).then_some(time),
                });
            }
            "later" => {
                no_more(
                    "later",
                    "Use `later`, `later 30m`, `later 1h`, `later 2h` or `later tonight`.",
                    words.get(1..).unwrap_or(&[]),
                )?;
                return Ok(Command::Later {
                    delay: words.first().map(|d| d.to_string()),
                });
            }
            "pain" => {
                let Some((score, place)) = words.split_first() else {
                    return Err(ParseError::Missing {
                        command: "pain",
                        what: "a score from 0 to 10 (and where, if you like)",
                        example: "pain 6 between the shoulder blades",
                    });
                };
                return Ok(Command::Pain {
                    score: score.to_string(),
                    place: (!place.is_empty()).then(|| place.join(" ")),
                });
            }
            "status" => Command::Status,
            "timezone" | "tz" => {
                if words.is_empty() {
                    return Err(ParseError::Missing {
                        command: "timezone",
                        what: "a time zone",
                        example: "timezone Europe/Berlin",
                    });
                }
                return Ok(Command::Timezone {
                    zone: words.join(" "),
                });
            }
            "routine" => Command::Routine,
            "exercise" => {
                if words.is_empty() {
                    return Err(ParseError::Missing {
                        command: "exercise",
                        what: "a number or a name",
                        example: "exercise 2",
                    });
                }
                return Ok(Command::Exercise {
                    which: words.join(" "),
                });
            }
            "streak" => Command::Streak,
            "progress" => Command::Progress,
            "trends" => Command::Trends,
            "leaderboard" => Command::Leaderboard,
            "nudges" => {
                return Ok(Command::Nudges {
                    on: parse_on_off("nudges", &words)?,
                });
            }
            "weekly" => {
                return Ok(Command::Weekly {
                    on: parse_on_off("weekly", &words)?,
                });
            }
            "group" => return Self::parse_group(&words),
            "privacy" => {
                return match words.first().map(|w| w.to_lowercase()).as_deref() {
                    Some("export") => match words.get(1).map(|w| w.to_lowercase()).as_deref() {
                        None | Some("json") => Ok(Command::PrivacyExport { csv: false }),
                        Some("csv") => Ok(Command::PrivacyExport { csv: true }),
                        Some(other) => Err(ParseError::Unexpected {
                            command: "privacy export",
                            extra: other.to_string(),
                            usage: "Use `privacy export` (JSON) or `privacy export csv`.",
                        }),
                    },
                    Some("delete") => Ok(Command::PrivacyDelete {
                        confirmed: words
                            .get(1)
                            .is_some_and(|w| w.eq_ignore_ascii_case("confirm")),
                    }),
                    _ => Err(ParseError::Missing {
                        command: "privacy",
                        what: "`export` or `delete`",
                        example: "privacy export",
                    }),
                };
            }
            other => match TopicId::from_name(other) {
                Some(topic) => Command::Topic(topic),
                None => return Err(ParseError::Unknown(other.to_string())),
            },
        };
        no_more(
            command_name(&command),
            "It needs nothing after its name.",
            &words,
        )?;
        Ok(command)
    }

    /// `group setup <time> [zone] [days] [summary <time>]`, `group off`,
    /// `group status`, `group nudges on|off`.
    fn parse_group(words: &[&str]) -> Result<Command, ParseError> {
        let usage = ParseError::Missing {
            command: "group",
            what: "`setup`, `off`, `status`, `nudges`, `skip` or `pause`",
            example: "group setup 07:30 Europe/Berlin weekdays summary 21:00",
        };
        let Some((sub, rest)) = words.split_first() else {
            return Err(usage);
        };
        let no_more = |command: &'static str| match rest.first() {
            Some(extra) => Err(ParseError::Unexpected {
                command,
                extra: extra.to_string(),
                usage: "It needs nothing more.",
            }),
            None => Ok(()),
        };
        match sub.to_lowercase().as_str() {
            "setup" => Self::parse_group_setup(rest),
            "off" => no_more("group off").map(|()| Command::GroupOff),
            "status" => no_more("group status").map(|()| Command::GroupStatus),
            "nudges" => Ok(Command::GroupNudges {
                on: parse_on_off("group nudges", rest)?,
            }),
            "skip" | "pause" => {
                let (command, example, usage) = if sub.eq_ignore_ascii_case("skip") {
                    (
                        "group skip",
                        "group skip 2027-05-05",
                        "Write one date like `2027-05-05`, or `today` or `tomorrow`.",
                    )
                } else {
                    (
                        "group pause",
                        "group pause 3",
                        "Write one number of days, e.g. `group pause 3`.",
                    )
                };
                let [value] = rest else {
                    return Err(match rest.get(1) {
                        Some(extra) => ParseError::Unexpected {
                            command,
                            extra: extra.to_string(),
                            usage,
                        },
                        None => ParseError::Missing {
                            command,
                            what: if command == "group skip" {
                                "a date"
                            } else {
                                "a number of days"
                            },
                            example,
                        },
                    });
                };
                Ok(if command == "group skip" {
                    Command::GroupSkip {
                        date: value.to_string(),
                    }
                } else {
                    Command::GroupPause {
                        days: value.to_string(),
                    }
                })
            }
            _ => Err(usage),
        }
    }

    fn parse_group_setup(words: &[&str]) -> Result<Command, ParseError> {
        let missing = ParseError::Missing {
            command: "group setup",
            what: "a time",
            example: "group setup 07:30 Europe/Berlin weekdays summary 21:00",
        };
        let Some((time, rest)) = words.split_first() else {
            return Err(missing);
        };
        let (time, rest) = with_meridiem(time, rest);
        let mut summary = None;
        let (mut zone, mut days) = (Vec::new(), Vec::new());
        let mut rest = rest.into_iter();
        while let Some(word) = rest.next() {
            if word.eq_ignore_ascii_case("summary") {
                let Some(at) = rest.next() else {
                    return Err(ParseError::Missing {
                        command: "group setup",
                        what: "a time after `summary`",
                        example: "group setup 07:30 Europe/Berlin summary 21:00",
                    });
                };
                summary = Some(at.to_string());
            } else if summary.is_none() && crate::schedule::parse_time(word).is_ok() {
                // A second time on its own is the summary's.
                summary = Some(word.to_string());
            } else if crate::schedule::parse_days(word).is_ok() {
                days.push(word);
            } else {
                zone.push(word);
            }
        }
        Ok(Command::GroupSetup {
            time,
            timezone: (!zone.is_empty()).then(|| zone.join(" ")),
            days: (!days.is_empty()).then(|| days.join(",")),
            summary,
        })
    }

    /// `subscribe <time> [zone] [days] [pace]`; the optional parts may come in
    /// any order, since each looks different.
    fn parse_subscribe(words: &[&str]) -> Result<Command, ParseError> {
        let Some((time, rest)) = words.split_first() else {
            return Err(ParseError::Missing {
                command: "subscribe",
                what: "a time",
                example: "subscribe 07:30 Europe/Berlin weekdays",
            });
        };
        let (time, rest) = with_meridiem(time, rest);
        let (mut zone, mut days, mut pace) = (Vec::new(), Vec::new(), None);
        for word in rest {
            if looks_like_pace(word) && pace.is_none() {
                pace = Some(word.to_string());
            } else if crate::schedule::parse_days(word).is_ok() {
                days.push(word);
            } else {
                zone.push(word);
            }
        }
        Ok(Command::Subscribe {
            time,
            timezone: (!zone.is_empty()).then(|| zone.join(" ")),
            days: (!days.is_empty()).then(|| days.join(",")),
            pace,
        })
    }
}

/// `7:30 am` is one time written as two words.
fn with_meridiem<'a>(time: &str, rest: &[&'a str]) -> (String, Vec<&'a str>) {
    let mut time = time.to_string();
    let mut rest = rest.to_vec();
    if let Some(meridiem) = rest
        .first()
        .filter(|w| matches!(w.to_lowercase().as_str(), "am" | "pm" | "a.m." | "p.m."))
    {
        time.push_str(meridiem);
        rest.remove(0);
    }
    (time, rest)
}

fn parse_on_off(command: &'static str, words: &[&str]) -> Result<bool, ParseError> {
    let example = match command {
        "nudges" => "nudges off",
        "weekly" => "weekly on",
        _ => "group nudges on",
    };
    match words {
        [word] if word.eq_ignore_ascii_case("on") => Ok(true),
        [word] if word.eq_ignore_ascii_case("off") => Ok(false),
        _ => Err(ParseError::Missing {
            command,
            what: "`on` or `off`",
            example,
        }),
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Help => "help",
        Command::Subscribe { .. } => "subscribe",
        Command::Agree => "agree",
        Command::Unsubscribe => "unsubscribe",
        Command::Pause { .. } => "pause",
        Command::Resume => "resume",
        Command::Skip => "skip",
        Command::Later { .. } => "later",
        Command::Followup { .. } => "followup",
        Command::Pain { .. } => "pain",
        Command::Status => "status",
        Command::Timezone { .. } => "timezone",
        Command::Routine => "routine",
        Command::Exercise { .. } => "exercise",
        Command::Topic(topic) => topic.name(),
        Command::Streak => "streak",
        Command::Progress => "progress",
        Command::Trends => "trends",
        Command::PrivacyExport { .. } | Command::PrivacyDelete { .. } => "privacy",
        Command::GroupSetup { .. } => "group setup",
        Command::GroupOff => "group off",
        Command::GroupStatus => "group status",
        Command::GroupNudges { .. } => "group nudges",
        Command::GroupSkip { .. } => "group skip",
        Command::GroupPause { .. } => "group pause",
        Command::Leaderboard => "leaderboard",
        Command::Nudges { .. } => "nudges",
        Command::Weekly { .. } => "weekly",
    }
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
    pub c: &'a Connection,
    pub content: &'a Content,
    pub settings: Settings,
    pub now: DateTime<Utc>,
    pub user: users::User,
    pub place: Place,
    /// How the member's platform shows instants and commands.
    pub conventions: &'static Conventions,
    /// The zone in the member's profile, if their platform has one.
    pub profile_zone: Option<chrono_tz::Tz>,
    /// Work the answer needs once the connection is released.
    pub later: std::cell::RefCell<Option<Later>>,
}

impl Ctx<'_> {
    /// An instant as the member's platform shows it.
    pub fn instant(&self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
        (self.conventions.instant)(at, zone, self.now)
    }
}

/// Commands one member may send at once before being asked to slow down…
pub(crate) const BURST: u32 = 20;
/// …and how soon after that they may send one more.
pub(crate) const ONE_MORE_AFTER: chrono::Duration = chrono::Duration::seconds(2);

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
        refresh_group(engine, &member.platform, id).await;
    }
    let place = place.clone();
    let content = engine.content();
    let content_later = engine.content();
    let settings = engine.settings();
    let now = engine.now();
    let member_for_db = member.clone();
    let conventions = engine.conventions(&member.platform);
    let name = command_name(&command);
    let result = engine
        .db()
        .call(move |c| {
            let tx = c.transaction()?;
            // A name given in a shared channel is that server's or room's
            // (a nickname): it names the member there, not everywhere.
            let store_member = match place {
                Place::Direct => users::upsert,
                Place::Channel { .. } => users::ensure,
            };
            let user = store_member(
                &tx,
                &member_for_db.platform,
                &member_for_db.user_id,
                &member_for_db.display_name,
                now,
            )?;
            if let Some(dm) = &member_for_db.dm {
                users::set_dm_target(&tx, user.id, dm)?;
            }
            let ctx = Ctx {
                c: &tx,
                content: &content,
                settings,
                now,
                user,
                place,
                conventions,
                profile_zone: member_for_db
                    .profile_zone
                    .as_deref()
                    .and_then(|zone| zone.parse().ok()),
                later: std::cell::RefCell::new(None),
            };
            let notice = pause_notice(&ctx)?;
            match dispatch(&ctx, command) {
                Ok(reply) => {
                    let later = ctx.later.take();
                    drop(ctx);
                    tx.commit()?;
                    Ok(Ok((reply, later, notice)))
                }
                Err(CommandError::Refused(text)) => Ok(Err(text)),
                Err(CommandError::Store(error)) => Err(error),
            }
        })
        .await;
    engine.wake();
    let result = match result {
        Ok(Ok((reply, later, notice))) => {
            let finished = match later {
                Some(later) => later.finish(content_later, reply).await,
                None => Ok(reply),
            };
            Ok(finished.map(|mut reply| {
                if let Some(notice) = notice {
                    reply.message.body = format!("{notice}\n\n{}", reply.message.body);
                }
                reply
            }))
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

/// A drawn picture as the reply's attachment, or an apology.
fn attach(
    drawn: Result<crate::message::Attachment, crate::progress::ProgressError>,
    mut reply: Reply,
) -> Result<Reply, String> {
    match drawn {
        Ok(attachment) => {
            reply.attachment = Some(attachment);
            Ok(reply)
        }
        Err(error) => {
            tracing::error!("{error}");
            Err("I could not draw your picture just now; please try again later.".to_string())
        }
    }
}

/// Work an answer needs done after the database connection is released,
/// on the blocking pool, so a drawing or a ranking never holds up other
/// members' commands and the engine.
pub(crate) enum Later {
    /// The progress picture, to draw and attach.
    Picture(crate::progress::Picture),
    /// The trends picture, to draw and attach.
    Trends(crate::trends::Trends),
    /// A group's record, to rank into the leaderboard.
    Leaderboard(crate::engine::groups::GroupRecord),
}

impl Later {
    async fn finish(self, content: Arc<Content>, reply: Reply) -> Result<Reply, String> {
        let done = tokio::task::spawn_blocking(move || self.finish_now(&content, reply)).await;
        done.unwrap_or_else(|error| {
            tracing::error!("an answer's work failed: {error}");
            Err("Something went wrong on my side; please try again in a minute.".to_string())
        })
    }

    fn finish_now(self, content: &Content, mut reply: Reply) -> Result<Reply, String> {
        match self {
            Later::Picture(picture) => attach(picture.draw(), reply),
            Later::Trends(trends) => attach(trends.draw(), reply),
            Later::Leaderboard(record) => {
                use crate::engine::groups::{LEADERBOARD_SIZE, rank};
                let rows: Vec<_> = rank(content, record)
                    .into_iter()
                    .map(|s| (s.user.display_name, s.streak))
                    .collect();
                reply.message = crate::engine::render::leaderboard(&rows, LEADERBOARD_SIZE);
                Ok(reply)
            }
        }
    }
}

/// Asks the platform who is still in a group's channel, so the leaderboard
/// leaves out members who left. Failing that, the board shows what is known.
async fn refresh_group(engine: &Engine, platform: &str, channel: &str) {
    let (platform, channel) = (platform.to_string(), channel.to_string());
    let group = engine
        .db()
        .call(move |c| crate::store::groups::for_channel(c, &platform, &channel))
        .await;
    let refreshed = match group {
        Ok(Some(group)) => {
            use crate::engine::Whom;
            use crate::engine::groups::LEADERBOARD_SIZE;
            engine
                .refresh_members(group.id, Whom::Top(LEADERBOARD_SIZE))
                .await
        }
        Ok(None) => Ok(()),
        Err(error) => Err(error),
    };
    if let Err(error) = refreshed {
        tracing::warn!("cannot check the group's members: {error}");
    }
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

fn dispatch(ctx: &Ctx<'_>, command: Command) -> Result<Reply, CommandError> {
    match command {
        Command::Help => Ok(Reply::private(help(ctx.conventions))),
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
        } => group::setup(
            ctx,
            &time,
            timezone.as_deref(),
            days.as_deref(),
            summary.as_deref(),
        ),
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
    ("help", "this list"),
];

fn help(conventions: &Conventions) -> Message {
    let mut body = format!(
        "I send you a short routine of exercises for your upper back each day, one at a time. \
         React ✅ when done, ⏭️ to skip, 🤕 if it hurts. {}\n\n",
        conventions.how_to_type_commands
    );
    for (usage, what) in COMMANDS {
        body.push_str(&format!("- `{usage}`: {what}\n"));
    }
    Message::new("Upright: commands", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(
        time: &str,
        zone: Option<&str>,
        days: Option<&str>,
        pace: Option<&str>,
    ) -> Command {
        Command::Subscribe {
            time: time.into(),
            timezone: zone.map(Into::into),
            days: days.map(Into::into),
            pace: pace.map(Into::into),
        }
    }

    #[test]
    fn subscribe_arguments_in_any_order() {
        assert_eq!(
            Command::parse("subscribe 07:30 Europe/Berlin weekdays"),
            Ok(subscribe(
                "07:30",
                Some("Europe/Berlin"),
                Some("weekdays"),
                None
            ))
        );
        assert_eq!(
            Command::parse("subscribe 7:30 am mon,wed,fri new york 5"),
            Ok(subscribe(
                "7:30am",
                Some("new york"),
                Some("mon,wed,fri"),
                Some("5")
            ))
        );
        assert_eq!(
            Command::parse("SUBSCRIBE 25:61"),
            Ok(subscribe("25:61", None, None, None))
        );
    }

    #[test]
    fn every_command_parses() {
        assert_eq!(Command::parse(""), Ok(Command::Help));
        assert_eq!(
            Command::parse("causes"),
            Ok(Command::Topic(TopicId::Causes))
        );
        assert_eq!(
            Command::parse("pause 3"),
            Ok(Command::Pause {
                days: Some("3".into())
            })
        );
        assert_eq!(
            Command::parse("exercise cat camel"),
            Ok(Command::Exercise {
                which: "cat camel".into()
            })
        );
        assert_eq!(
            Command::parse("privacy delete confirm"),
            Ok(Command::PrivacyDelete { confirmed: true })
        );
        assert_eq!(
            Command::parse("privacy delete"),
            Ok(Command::PrivacyDelete { confirmed: false })
        );
    }

    #[test]
    fn bad_commands_say_what_would_work() {
        assert!(matches!(
            Command::parse("dance"),
            Err(ParseError::Unknown(_))
        ));
        assert!(matches!(
            Command::parse("subscribe"),
            Err(ParseError::Missing { .. })
        ));
        assert!(matches!(
            Command::parse("status now"),
            Err(ParseError::Unexpected { .. })
        ));
        assert!(matches!(
            Command::parse(&format!("timezone {}", "x".repeat(100))),
            Err(ParseError::TooLong(100))
        ));
        let text = Command::parse("subscribe").unwrap_err().to_string();
        assert!(text.contains("subscribe 07:30"), "{text}");
    }

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    /// Runs one command as `who` inside a transaction, the way `handle`
    /// does, and returns the reply with the work left for later.
    fn answer(
        c: &mut Connection,
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
            let run = |c: &mut Connection, who: &str, place: Place, text: &str| {
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
