//! group setup / off / status / nudges (admins), leaderboard, and the
//! member's own nudges and weekly summary choices.

use chrono::{Duration, NaiveTime};

use super::subscription::{ZoneFrom, zone_and_days};
use super::{CommandError, Ctx, Later, Place};
use crate::content::DEFAULT_ROUTINE;
use crate::engine::groups::{GroupRecord, NUDGE_LEAD, nudge_time, session_end};
use crate::engine::render;
use crate::engine::weekly;
use crate::i18n::{Language, dates};
use crate::message::{Message, Reply};
use crate::schedule::{Schedule, parse_time};
use crate::store::groups::{self, Group, Setup};
use crate::store::sessions::{self, Owner, Status};
use crate::store::users;
use crate::tr;

/// The summary's default time, unless the routine ends later.
const DEFAULT_SUMMARY: (u32, u32) = (21, 0);

/// A summary comes at least this long after the last exercise.
const SUMMARY_AFTER_END: Duration = Duration::minutes(30);

/// The channel a group command was given in, if the member may run it there.
fn admin_channel<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, CommandError> {
    match &ctx.place {
        Place::Direct => Err(CommandError::Refused(tr!(ctx.lang, "cmd-group-not-here"))),
        Place::Channel { admin: false, .. } => Err(CommandError::Refused(
            ctx.conventions.who_manages_groups.in_language(ctx.lang),
        )),
        Place::Channel { id, admin: true } => Ok(id),
    }
}

/// The language of a group's posts: the one named, else the one it had,
/// else the server's (Discord's `guild_locale`), else English.
fn group_language(
    ctx: &Ctx<'_>,
    named: Option<&str>,
    existing: Option<&Group>,
) -> Result<Language, CommandError> {
    match named {
        Some(code) => Language::from_tag(code).ok_or_else(|| {
            let offered: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
            CommandError::Refused(crate::tr!(
                ctx.lang,
                "language-unknown",
                asked = code,
                languages = offered.join(", ")
            ))
        }),
        None => Ok(existing
            .map(|group| group.language)
            .or(ctx.server_language)
            .unwrap_or_default()),
    }
}

fn group_here(ctx: &Ctx<'_>, channel: &str) -> Result<Group, CommandError> {
    groups::for_channel(ctx.c, &ctx.user.platform, channel)?
        .filter(|g| g.active)
        .ok_or_else(|| CommandError::Refused(tr!(ctx.lang, "cmd-no-group")))
}

fn exercise_count(ctx: &Ctx<'_>, routine_id: &str) -> Result<usize, CommandError> {
    ctx.content
        .routine(routine_id)
        .map(|r| r.exercises.len())
        .ok_or_else(|| CommandError::Refused(tr!(ctx.lang, "cmd-routine-unavailable")))
}

fn hm(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// When a session at `time` ends, refused (in `lang`) if that leaves no
/// time for the day's summary before midnight.
fn session_end_by_evening(
    lang: Language,
    time: NaiveTime,
    pace: u32,
    exercises: usize,
) -> Result<NaiveTime, CommandError> {
    let last_end = NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN) - SUMMARY_AFTER_END;
    let (end, past_midnight) = session_end(time, pace, exercises);
    if past_midnight || end > last_end {
        let routine_length = Duration::minutes(i64::from(pace) * exercises as i64);
        return Err(CommandError::Refused(tr!(
            lang,
            "cmd-group-ends-too-late",
            time = hm(time),
            end = hm(end),
            latest = hm(last_end - routine_length)
        )));
    }
    Ok(end)
}

/// The summary's time: the one asked for (not before the routine ends), else
/// the group's present one if it still fits, else the default. Refusals
/// are in `lang`.
fn summary_time(
    lang: Language,
    asked: Option<&str>,
    existing: Option<NaiveTime>,
    start: NaiveTime,
    end: NaiveTime,
    exercises: usize,
) -> Result<NaiveTime, CommandError> {
    let earliest = end + SUMMARY_AFTER_END;
    let Some(text) = asked else {
        return Ok(existing.filter(|t| *t >= earliest).unwrap_or_else(|| {
            NaiveTime::from_hms_opt(DEFAULT_SUMMARY.0, DEFAULT_SUMMARY.1, 0)
                .unwrap_or(NaiveTime::MIN)
                .max(earliest)
        }));
    };
    let summary = parse_time(text)?;
    if summary < earliest {
        return Err(CommandError::Refused(tr!(
            lang,
            "cmd-group-summary-too-early",
            summary = hm(summary),
            count = exercises,
            start = hm(start),
            end = hm(end),
            earliest = hm(earliest)
        )));
    }
    Ok(summary)
}

pub(crate) fn setup(
    ctx: &Ctx<'_>,
    time: &str,
    timezone: Option<&str>,
    days: Option<&str>,
    summary: Option<&str>,
    language: Option<&str>,
) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let existing = groups::for_channel(ctx.c, &ctx.user.platform, channel)?;
    let language = group_language(ctx, language, existing.as_ref())?;
    let time = parse_time(time)?;
    // A group's zone is the room's, never one admin's profile.
    let (zone, zone_from, days) = zone_and_days(
        ctx,
        timezone,
        days,
        existing.as_ref().map(|g| &g.schedule),
        None,
    )?;
    let zone_guessed = zone_from == ZoneFrom::Guessed;
    let pace = existing
        .as_ref()
        .map_or(ctx.settings.default_pace_minutes, |g| g.pace_minutes);
    let routine_id = existing
        .as_ref()
        .map_or(DEFAULT_ROUTINE.to_string(), |g| g.routine_id.clone());
    let exercises = exercise_count(ctx, &routine_id)?;
    let end = session_end_by_evening(ctx.lang, time, pace, exercises)?;
    let existing_summary = existing.as_ref().map(|g| g.summary_time);
    let summary_time = summary_time(ctx.lang, summary, existing_summary, time, end, exercises)?;
    let schedule = Schedule::new(time, days, zone);
    let summary_schedule = Schedule::new(summary_time, days, zone);
    let nudge = Schedule::new(nudge_time(time, pace, summary_time, exercises), days, zone);
    let next_run_at = schedule.next_after(ctx.now).map(|o| o.at);
    let group = groups::set_up(
        ctx.c,
        &Setup {
            platform: &ctx.user.platform,
            channel_id: channel,
            routine_id: &routine_id,
            schedule: &schedule,
            pace_minutes: pace,
            summary_time,
            next_run_at,
            next_nudge_at: nudge.next_after(ctx.now).map(|o| o.at),
            next_summary_at: summary_schedule.next_after(ctx.now).map(|o| o.at),
            language,
        },
        ctx.now,
    )?;
    Ok(Reply::public(set_up_post(ctx, &group, zone_guessed)))
}

/// The announcement of a group just set up, posted for the whole channel:
/// in the group's language.
fn set_up_post(ctx: &Ctx<'_>, group: &Group, zone_guessed: bool) -> Message {
    let lang = group.language;
    let mut body = tr!(
        lang,
        "cmd-group-set-up",
        schedule = group.schedule.describe(lang),
        pace = group.pace_minutes,
        summary = hm(group.summary_time)
    );
    body.push('\n');
    if zone_guessed {
        body.push_str(&tr!(lang, "cmd-group-zone-guessed"));
        body.push('\n');
    }
    if let Some(at) = group.next_run_at {
        let when = (ctx.conventions.instant)(at, group.schedule.zone(), ctx.now, lang);
        body.push_str(&tr!(lang, "cmd-group-first-session", when = when));
        body.push('\n');
    }
    body.push('\n');
    let how = render::how_to_check_in(lang);
    body.push_str(&if group.nudges {
        tr!(lang, "cmd-group-set-up-nudges-on", how = how)
    } else {
        tr!(lang, "cmd-group-set-up-nudges-off", how = how)
    });
    Message::new(tr!(lang, "cmd-title-group-set-up"), body)
}

pub(crate) fn off(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    groups::turn_off(ctx.c, group.id)?;
    sessions::stop_running(ctx.c, Owner::Group(group.id), Status::Finished)?;
    Ok(Reply::public(Message::new(
        tr!(group.language, "cmd-title-group-stopped"),
        tr!(group.language, "cmd-group-stopped"),
    )))
}

pub(crate) fn status(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    let members = users::in_group(ctx.c, group.id)?.len();
    let mut body = tr!(
        ctx.lang,
        "cmd-group-status",
        schedule = group.schedule.describe(ctx.lang),
        pace = group.pace_minutes,
        summary = hm(group.summary_time)
    );
    body.push('\n');
    if let Some(at) = group.next_run_at {
        let when = ctx.instant(at, group.schedule.zone());
        body.push_str(&tr!(ctx.lang, "cmd-next-session", when = when));
        body.push('\n');
    }
    body.push_str(&if group.nudges {
        tr!(ctx.lang, "cmd-group-status-nudges-on", members = members)
    } else {
        tr!(ctx.lang, "cmd-group-status-nudges-off", members = members)
    });
    Ok(Reply::private(Message::new(
        tr!(ctx.lang, "cmd-title-group-status"),
        body,
    )))
}

pub(crate) fn set_group_nudges(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    groups::set_nudges(ctx.c, group.id, on)?;
    // Posted for the whole channel: in the group's language.
    let body = if on {
        tr!(
            group.language,
            "cmd-group-nudges-on",
            lead = NUDGE_LEAD.num_minutes()
        )
    } else {
        tr!(group.language, "cmd-group-nudges-off")
    };
    Ok(Reply::public(Message::text(body)))
}

/// How far ahead a rest day may be set, and the longest pause.
const REST_AHEAD_DAYS: i64 = 365;
const LONGEST_PAUSE_DAYS: u32 = 60;

/// `group skip <date>`: the group rests on one day.
pub(crate) fn rest_on(ctx: &Ctx<'_>, date: &str) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    let today = group.schedule.local(ctx.now).date_naive();
    let day = match date.to_lowercase().as_str() {
        "today" => today,
        "tomorrow" => today + Duration::days(1),
        other => chrono::NaiveDate::parse_from_str(other, "%Y-%m-%d").map_err(|_| {
            CommandError::Refused(tr!(ctx.lang, "cmd-group-not-a-date", date = date))
        })?,
    };
    if day < today {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-group-date-passed",
            date = dates::long_date(ctx.lang, day)
        )));
    }
    if day > today + Duration::days(REST_AHEAD_DAYS) {
        return Err(CommandError::Refused(tr!(ctx.lang, "cmd-group-too-far")));
    }
    if day == today && started_today(ctx, &group, today)? {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-group-already-started"
        )));
    }
    groups::add_rest_days(ctx.c, group.id, &[day])?;
    Ok(Reply::public(Message::text(render::rest_day_notice(
        group.language,
        day,
    ))))
}

/// `group pause <days>`: the group rests for some days, from tomorrow.
pub(crate) fn rest_for(ctx: &Ctx<'_>, days: &str) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    let days: u32 = days
        .parse()
        .ok()
        .filter(|d| (1..=LONGEST_PAUSE_DAYS).contains(d))
        .ok_or_else(|| {
            CommandError::Refused(tr!(
                ctx.lang,
                "cmd-group-pause-not-days",
                days = days,
                longest = LONGEST_PAUSE_DAYS
            ))
        })?;
    let tomorrow = group.schedule.local(ctx.now).date_naive() + Duration::days(1);
    let dates: Vec<chrono::NaiveDate> = (0..days)
        .map(|d| tomorrow + Duration::days(d.into()))
        .collect();
    groups::add_rest_days(ctx.c, group.id, &dates)?;
    let last = tomorrow + Duration::days((days - 1).into());
    // Posted for the whole channel: in the group's language.
    let lang = group.language;
    Ok(Reply::public(Message::text(tr!(
        lang,
        "cmd-group-rests",
        from = dates::long_date(lang, tomorrow),
        to = dates::long_date(lang, last)
    ))))
}

fn started_today(
    ctx: &Ctx<'_>,
    group: &Group,
    today: chrono::NaiveDate,
) -> Result<bool, CommandError> {
    Ok(sessions::latest_started(ctx.c, Owner::Group(group.id))?
        .is_some_and(|s| s.local_date == today))
}

pub(crate) fn leaderboard(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let Place::Channel { id, .. } = &ctx.place else {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-leaderboard-not-here"
        )));
    };
    let group = groups::for_channel(ctx.c, &ctx.user.platform, id)?
        .ok_or_else(|| CommandError::Refused(tr!(ctx.lang, "cmd-no-group")))?;
    // Ranked after the connection is released (see `Later`).
    *ctx.later.borrow_mut() = Some(Later::Leaderboard(
        GroupRecord::load(ctx.c, &group)?,
        group.language,
    ));
    Ok(Reply::public(Message::text("")))
}

pub(crate) fn member_nudges(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    users::set_nudges_off(ctx.c, ctx.user.id, !on)?;
    let body = if on {
        tr!(ctx.lang, "cmd-nudges-on")
    } else {
        tr!(ctx.lang, "cmd-nudges-off")
    };
    Ok(Reply::private(Message::text(body)))
}

pub(crate) fn weekly_summary(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    if !on {
        users::set_weekly_summary_at(ctx.c, ctx.user.id, None)?;
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-weekly-off"
        ))));
    }
    let schedule = weekly::schedule(&ctx.user);
    let next = schedule.next_after(ctx.now).map(|o| o.at);
    users::set_weekly_summary_at(ctx.c, ctx.user.id, next)?;
    let mut body = tr!(ctx.lang, "cmd-weekly-on");
    if let Some(at) = next {
        let when = ctx.instant(at, schedule.zone());
        body.push(' ');
        body.push_str(&tr!(ctx.lang, "cmd-weekly-first", when = when));
    }
    if crate::store::subscriptions::for_user(ctx.c, ctx.user.id)?.is_none() {
        body.push(' ');
        body.push_str(&tr!(ctx.lang, "cmd-weekly-no-routine"));
    }
    Ok(Reply::private(Message::text(body)))
}
