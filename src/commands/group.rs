//! group setup / off / status / nudges (admins), leaderboard, and the
//! member's own nudges and weekly summary choices.

use chrono::{Duration, NaiveTime};

use super::subscription::{ZoneFrom, zone_and_days};
use super::{CommandError, Ctx, Later, Place};
use crate::content::DEFAULT_ROUTINE;
use crate::engine::groups::{GroupRecord, NUDGE_LEAD, nudge_time, session_end};
use crate::engine::render;
use crate::engine::weekly;
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::schedule::{Schedule, parse_time};
use crate::store::groups::{self, Group, Setup};
use crate::store::sessions::{self, Owner, Status};
use crate::store::users;

/// The summary's default time, unless the routine ends later.
const DEFAULT_SUMMARY: (u32, u32) = (21, 0);

/// A summary comes at least this long after the last exercise.
const SUMMARY_AFTER_END: Duration = Duration::minutes(30);

const NO_GROUP: &str = "There is no group in this channel. An admin can start one with `group setup 07:30 Europe/Berlin`.";

/// The channel a group command was given in, if the member may run it there.
fn admin_channel<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, CommandError> {
    match &ctx.place {
        Place::Direct => Err(CommandError::Refused(
            "Group commands work in the channel or room the group meets in, not in a direct message."
                .to_string(),
        )),
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
        .ok_or_else(|| CommandError::Refused(NO_GROUP.to_string()))
}

fn exercise_count(ctx: &Ctx<'_>, routine_id: &str) -> Result<usize, CommandError> {
    ctx.content
        .routine(routine_id)
        .map(|r| r.exercises.len())
        .ok_or_else(|| CommandError::Refused("The routine is not available right now.".to_string()))
}

fn hm(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// When a session at `time` ends, refused if that leaves no time for the
/// day's summary before midnight.
fn session_end_by_evening(
    time: NaiveTime,
    pace: u32,
    exercises: usize,
) -> Result<NaiveTime, CommandError> {
    let last_end = NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN) - SUMMARY_AFTER_END;
    let (end, past_midnight) = session_end(time, pace, exercises);
    if past_midnight || end > last_end {
        let routine_length = Duration::minutes(i64::from(pace) * exercises as i64);
        return Err(CommandError::Refused(format!(
            "A session at {} would end at {}, with no time left for the day's summary; start it by {}.",
            hm(time),
            hm(end),
            hm(last_end - routine_length)
        )));
    }
    Ok(end)
}

/// The summary's time: the one asked for (not before the routine ends), else
/// the group's present one if it still fits, else the default.
fn summary_time(
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
        return Err(CommandError::Refused(format!(
            "The summary at {} would come before the routine is over ({} exercises from {} end at {}); pick {} or later.",
            hm(summary),
            exercises,
            hm(start),
            hm(end),
            hm(earliest)
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
    let end = session_end_by_evening(time, pace, exercises)?;
    let existing_summary = existing.as_ref().map(|g| g.summary_time);
    let summary_time = summary_time(summary, existing_summary, time, end, exercises)?;
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
    let mut body = format!(
        "This channel now does the routine together: {schedule}, one exercise every {pace} min, summary at {}.\n",
        hm(summary_time)
    );
    if zone_guessed {
        body.push_str("I used UTC because no time zone was given; add one, e.g. `group setup 07:30 Europe/Berlin`.\n");
    }
    if let Some(at) = next_run_at {
        body.push_str(&format!("First session: {}.\n", ctx.instant(at, zone)));
    }
    body.push_str(&format!(
        "\nEveryone checks in by reacting {}. Nudges are {}.",
        render::how_to_check_in(),
        if group.nudges {
            "on (`group nudges off` to stop them)"
        } else {
            "off; `group nudges on` mentions members who haven't checked in an hour before the summary"
        }
    ));
    Ok(Reply::public(Message::new("Group set up", body)))
}

pub(crate) fn off(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    groups::turn_off(ctx.c, group.id)?;
    sessions::stop_running(ctx.c, Owner::Group(group.id), Status::Finished)?;
    Ok(Reply::public(Message::new(
        "Group stopped",
        "No more group sessions here. Streaks and history are kept; `group setup` starts again.",
    )))
}

pub(crate) fn status(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    let members = users::in_group(ctx.c, group.id)?.len();
    let mut body = format!(
        "{}, one exercise every {} min, summary at {}.\n",
        group.schedule,
        group.pace_minutes,
        hm(group.summary_time)
    );
    if let Some(at) = group.next_run_at {
        body.push_str(&format!(
            "Next session: {}.\n",
            ctx.instant(at, group.schedule.zone())
        ));
    }
    body.push_str(&format!(
        "Members taking part: {members}. Nudges: {}.",
        if group.nudges { "on" } else { "off" }
    ));
    Ok(Reply::private(Message::new("Group status", body)))
}

pub(crate) fn set_group_nudges(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    let channel = admin_channel(ctx)?;
    let group = group_here(ctx, channel)?;
    groups::set_nudges(ctx.c, group.id, on)?;
    let lead = NUDGE_LEAD.num_minutes();
    let body = if on {
        format!(
            "Nudges on: {lead} min before the summary I'll mention members who took part this week but haven't checked in today. Anyone can opt out with `nudges off`."
        )
    } else {
        "Nudges off: nobody is mentioned before the summary.".to_string()
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
            CommandError::Refused(format!(
                "`{date}` is not a date I can read; write it like `2027-05-05`, or `today` or `tomorrow`."
            ))
        })?,
    };
    if day < today {
        return Err(CommandError::Refused(format!(
            "{} has passed; choose today or a later day.",
            render::long_date(day)
        )));
    }
    if day > today + Duration::days(REST_AHEAD_DAYS) {
        return Err(CommandError::Refused(
            "That is more than a year ahead; choose a nearer day.".to_string(),
        ));
    }
    if day == today && started_today(ctx, &group, today)? {
        return Err(CommandError::Refused(
            "Today's session has already started; it runs its course. Choose a later day."
                .to_string(),
        ));
    }
    groups::add_rest_days(ctx.c, group.id, &[day])?;
    Ok(Reply::public(Message::text(render::rest_day_notice(day))))
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
            CommandError::Refused(format!(
                "`{days}` is not a number of days from 1 to {LONGEST_PAUSE_DAYS}, e.g. `group pause 3`."
            ))
        })?;
    let tomorrow = group.schedule.local(ctx.now).date_naive() + Duration::days(1);
    let dates: Vec<chrono::NaiveDate> = (0..days)
        .map(|d| tomorrow + Duration::days(d.into()))
        .collect();
    groups::add_rest_days(ctx.c, group.id, &dates)?;
    let last = tomorrow + Duration::days((days - 1).into());
    Ok(Reply::public(Message::text(format!(
        "The group rests from {} to {}: no sessions, and those days don't count against anyone's streak.",
        render::long_date(tomorrow),
        render::long_date(last)
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
        return Err(CommandError::Refused(
            "Use `leaderboard` in the channel or room of a group.".to_string(),
        ));
    };
    let group = groups::for_channel(ctx.c, &ctx.user.platform, id)?
        .ok_or_else(|| CommandError::Refused(NO_GROUP.to_string()))?;
    // Ranked after the connection is released (see `Later`).
    *ctx.later.borrow_mut() = Some(Later::Leaderboard(GroupRecord::load(ctx.c, &group)?));
    Ok(Reply::public(Message::text("")))
}

pub(crate) fn member_nudges(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    users::set_nudges_off(ctx.c, ctx.user.id, !on)?;
    let body = if on {
        "Group nudges are on for you again: I may mention you before a summary if you haven't checked in."
    } else {
        "Done: I won't mention you in group nudges."
    };
    Ok(Reply::private(Message::text(body)))
}

pub(crate) fn weekly_summary(ctx: &Ctx<'_>, on: bool) -> Result<Reply, CommandError> {
    if !on {
        users::set_weekly_summary_at(ctx.c, ctx.user.id, None)?;
        return Ok(Reply::private(Message::text(
            "Weekly summary off.".to_string(),
        )));
    }
    let schedule = weekly::schedule(&ctx.user);
    let next = schedule.next_after(ctx.now).map(|o| o.at);
    users::set_weekly_summary_at(ctx.c, ctx.user.id, next)?;
    let when = next.map_or_else(String::new, |at| {
        format!(" First one: {}.", ctx.instant(at, schedule.zone()))
    });
    let no_routine = if crate::store::subscriptions::for_user(ctx.c, ctx.user.id)?.is_none() {
        " It covers your own daily routine, which you can start with `subscribe 07:30 Europe/Berlin`."
    } else {
        ""
    };
    Ok(Reply::private(Message::text(format!(
        "Weekly summary on: each Sunday at 18:00 I'll send you your days done, streak and load changes by direct message.{when}{no_routine}"
    ))))
}
