//! subscribe, agree, unsubscribe, pause, resume, skip, status, timezone.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{CommandError, Ctx, Place};
use crate::coaching::History;
use crate::config::parse_pace;
use crate::content::DEFAULT_ROUTINE;
use crate::engine::disclaimer::{disclaimer_known, send_disclaimer};
use crate::engine::render::{self, load_text, streak_line};
use crate::i18n::dates;
use crate::message::{Message, Reply};
use crate::schedule::{Schedule, Weekdays, parse_days, parse_time, parse_zone};
use crate::store::sessions::Owner;
use crate::store::sessions::{self, Status};
use crate::store::subscriptions::{self, State, Subscription};
use crate::store::{check_ins, users};
use crate::tr;

/// "Fri 27 Nov at 07:30 (Europe/Berlin), in 18 h 5 min".
fn active_subscription(ctx: &Ctx<'_>) -> Result<Subscription, CommandError> {
    match subscriptions::for_user(ctx.c, ctx.user.id)? {
        Some(s) if s.state != State::Stopped => Ok(s),
        _ => Err(CommandError::Refused(tr!(ctx.lang, "cmd-no-subscription"))),
    }
}

/// The next session of `schedule`, or none until the disclaimer is acknowledged.
fn next_session(ctx: &Ctx<'_>, schedule: &Schedule) -> Option<DateTime<Utc>> {
    next_session_from(ctx, schedule, None)
}

/// The first session on or after `paused_until` (if any), or none until the
/// disclaimer is acknowledged. Bounded: a pause is at most a year.
fn next_session_from(
    ctx: &Ctx<'_>,
    schedule: &Schedule,
    paused_until: Option<NaiveDate>,
) -> Option<DateTime<Utc>> {
    if !ctx.user.agreed {
        return None;
    }
    schedule
        .occurrences_after(ctx.now)
        .take(400)
        .find(|o| paused_until.is_none_or(|until| o.local_date >= until))
        .map(|o| o.at)
}

fn next_line(ctx: &Ctx<'_>, schedule: &Schedule, next: Option<DateTime<Utc>>) -> String {
    match next {
        Some(at) => tr!(
            ctx.lang,
            "cmd-next-session",
            when = ctx.instant(at, schedule.zone())
        ),
        None if !ctx.user.agreed => tr!(ctx.lang, "cmd-next-after-agree"),
        None => tr!(ctx.lang, "cmd-next-none"),
    }
}

/// The zone and days a schedule command asked for; else those of the
/// schedule it changes (`current`); else the member's zone and every day.
/// `true` when the zone is only a UTC guess.
pub(crate) fn zone_and_days(
    ctx: &Ctx<'_>,
    timezone: Option<&str>,
    days: Option<&str>,
    current: Option<&Schedule>,
    profile: Option<Tz>,
) -> Result<(Tz, ZoneFrom, Weekdays), CommandError> {
    let known_zone = ctx
        .user
        .timezone
        .as_deref()
        .and_then(|z| z.parse::<Tz>().ok());
    let (zone, from) = match timezone {
        Some(text) => (parse_zone(text)?, ZoneFrom::Known),
        None => match (current.map(Schedule::zone).or(known_zone), profile) {
            (Some(zone), _) => (zone, ZoneFrom::Known),
            (None, Some(zone)) => (zone, ZoneFrom::Profile),
            (None, None) => (Tz::UTC, ZoneFrom::Guessed),
        },
    };
    let days = match days {
        Some(text) => parse_days(text)?,
        None => current.map_or(Weekdays::DAILY, Schedule::days),
    };
    Ok((zone, from, days))
}

/// Where a schedule's zone came from, when the command named none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZoneFrom {
    /// Given, or already known.
    Known,
    /// The member's profile (Matrix's `m.tz`).
    Profile,
    /// Nothing told: UTC.
    Guessed,
}

/// Records the member's zone; a weekly summary they asked for moves to
/// Sunday evening in the new zone.
fn set_zone(ctx: &Ctx<'_>, zone: Tz) -> Result<(), CommandError> {
    users::set_timezone(ctx.c, ctx.user.id, zone.name())?;
    if ctx.user.weekly_summary_at.is_some() {
        let next = crate::engine::weekly::schedule_in(zone)
            .next_after(ctx.now)
            .map(|o| o.at);
        users::set_weekly_summary_at(ctx.c, ctx.user.id, next)?;
    }
    Ok(())
}

/// What a subscription now is, and where its zone came from if the command
/// named none: a line each, each ending in a newline.
fn schedule_lines(
    ctx: &Ctx<'_>,
    updated: bool,
    schedule: &Schedule,
    pace: u32,
    zone_from: ZoneFrom,
) -> String {
    let described = schedule.describe(ctx.lang);
    let what = if updated {
        tr!(
            ctx.lang,
            "cmd-subscription-updated",
            schedule = described,
            pace = pace
        )
    } else {
        tr!(
            ctx.lang,
            "cmd-subscribed",
            schedule = described,
            pace = pace
        )
    };
    let zone = match zone_from {
        ZoneFrom::Known => None,
        ZoneFrom::Profile => Some(tr!(
            ctx.lang,
            "cmd-zone-from-profile",
            zone = schedule.zone().name()
        )),
        ZoneFrom::Guessed => Some(tr!(ctx.lang, "cmd-zone-guessed")),
    };
    std::iter::once(what)
        .chain(zone)
        .map(|line| line + "\n")
        .collect()
}

pub(crate) fn subscribe(
    ctx: &Ctx<'_>,
    time: &str,
    timezone: Option<&str>,
    days: Option<&str>,
    pace: Option<&str>,
) -> Result<Reply, CommandError> {
    let existing = subscriptions::for_user(ctx.c, ctx.user.id)?;
    let time = parse_time(time)?;
    let (zone, zone_from, days) = zone_and_days(
        ctx,
        timezone,
        days,
        existing.as_ref().map(|s| &s.schedule),
        ctx.profile_zone,
    )?;
    let pace = match pace {
        // Every pace that does not read gets the one answer of what would.
        Some(text) => parse_pace(text).map_err(|_| {
            CommandError::Refused(tr!(ctx.lang, "cmd-pace-invalid", pace = text.trim()))
        })?,
        None => existing
            .as_ref()
            .map_or(ctx.settings.default_pace_minutes, |s| s.pace_minutes),
    };
    let schedule = Schedule::new(time, days, zone);
    let next = next_session(ctx, &schedule);
    set_zone(ctx, zone)?;
    subscriptions::upsert(
        ctx.c,
        ctx.user.id,
        DEFAULT_ROUTINE,
        &schedule,
        pace,
        next,
        ctx.now,
    )?;

    let mut body = schedule_lines(ctx, existing.is_some(), &schedule, pace, zone_from);
    let mut carries_disclaimer = false;
    if ctx.user.agreed {
        body.push_str(&next_line(ctx, &schedule, next));
    } else if ctx.place == Place::Direct
        && ctx.conventions.answer_carries_disclaimer
        && !disclaimer_known(ctx.c, &ctx.user)?
    {
        // In the member's DM the answer is the disclaimer: one message,
        // recorded as the disclaimer once the platform has sent it.
        body.push_str(&tr!(ctx.lang, "cmd-disclaimer-below"));
        body.push_str("\n\n");
        body.push_str(&render::disclaimer(ctx.lang, ctx.content).to_markdown());
        carries_disclaimer = true;
    } else {
        send_disclaimer(ctx.c, ctx.content, &ctx.user, ctx.now)?;
        body.push_str(&tr!(ctx.lang, "cmd-disclaimer-sent"));
    }
    let mut reply = Reply::private(Message::new(tr!(ctx.lang, "cmd-title-daily-routine"), body));
    reply.carries_disclaimer = carries_disclaimer;
    Ok(reply)
}

pub(crate) fn agree(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let next = crate::engine::disclaimer::agree(ctx.c, &ctx.user, ctx.now)?;
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    let body = match (subscription, next) {
        (Some(s), Some(at)) => tr!(
            ctx.lang,
            "cmd-agreed-first-session",
            when = ctx.instant(at, s.schedule.zone())
        ),
        _ => tr!(ctx.lang, "cmd-agreed-subscribe"),
    };
    Ok(Reply::private(Message::text(body)))
}

pub(crate) fn unsubscribe(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    subscriptions::set_state(
        ctx.c,
        subscription.id,
        State::Stopped,
        None,
        None,
        None,
        ctx.now,
    )?;
    sessions::stop_running(
        ctx.c,
        Owner::Subscription(subscription.id),
        Status::Finished,
    )?;
    Ok(Reply::private(Message::text(tr!(
        ctx.lang,
        "cmd-unsubscribed"
    ))))
}

pub(crate) fn pause(ctx: &Ctx<'_>, days: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let days = days
        .map(|text| {
            text.parse::<u32>()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .ok_or_else(|| {
                    CommandError::Refused(tr!(ctx.lang, "cmd-pause-not-days", text = text))
                })
        })
        .transpose()?;
    sessions::stop_running(
        ctx.c,
        Owner::Subscription(subscription.id),
        Status::Finished,
    )?;
    let schedule = &subscription.schedule;
    let body = match days {
        None => {
            subscriptions::set_state(
                ctx.c,
                subscription.id,
                State::Paused,
                None,
                None,
                None,
                ctx.now,
            )?;
            tr!(ctx.lang, "cmd-paused")
        }
        Some(days) => {
            let today = schedule.local(ctx.now).date_naive();
            let until = today + Duration::days(days.into());
            let next = next_session_from(ctx, schedule, Some(until));
            subscriptions::set_state(
                ctx.c,
                subscription.id,
                State::Paused,
                Some(until),
                None,
                next,
                ctx.now,
            )?;
            tr!(
                ctx.lang,
                "cmd-paused-for",
                days = days,
                date = dates::short_date(ctx.lang, until)
            )
        }
    };
    Ok(Reply::private(Message::text(body)))
}

pub(crate) fn resume(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    if subscription.state == State::Active {
        let line = next_line(ctx, schedule, subscription.next_run_at);
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-not-paused",
            next = line
        ))));
    }
    let next = next_session(ctx, schedule);
    subscriptions::set_state(
        ctx.c,
        subscription.id,
        State::Active,
        None,
        None,
        next,
        ctx.now,
    )?;
    Ok(Reply::private(Message::text(tr!(
        ctx.lang,
        "cmd-welcome-back",
        next = next_line(ctx, schedule, next)
    ))))
}

pub(crate) fn skip(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    let today = schedule.local(ctx.now).date_naive();
    if let Some(latest) = sessions::latest_started(ctx.c, Owner::Subscription(subscription.id))?
        && latest.local_date == today
        && latest.status == Status::Running
    {
        sessions::stop_running(ctx.c, Owner::Subscription(subscription.id), Status::Skipped)?;
        // A first message moved with `later` and not sent yet stays unsent.
        crate::store::deliveries::cancel_pending_for_session(ctx.c, latest.id)?;
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-skipped-today",
            next = next_line(ctx, schedule, subscription.next_run_at)
        ))));
    }
    match subscription.next_run_at {
        Some(at) if schedule.local(at).date_naive() == today => {
            subscriptions::set_skip_date(ctx.c, subscription.id, Some(today))?;
            let after = schedule.next_after(at).map(|o| o.at);
            Ok(Reply::private(Message::text(tr!(
                ctx.lang,
                "cmd-skipped-today",
                next = next_line(ctx, schedule, after)
            ))))
        }
        next => Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-nothing-to-skip",
            next = next_line(ctx, schedule, next)
        )))),
    }
}

/// The latest a moved session may start, local time.
const LATEST_LATER: chrono::NaiveTime = match chrono::NaiveTime::from_hms_opt(23, 0, 0) {
    Some(time) => time,
    None => chrono::NaiveTime::MIN,
};
/// What `later tonight` means, local time.
const TONIGHT: chrono::NaiveTime = match chrono::NaiveTime::from_hms_opt(19, 0, 0) {
    Some(time) => time,
    None => chrono::NaiveTime::MIN,
};

/// `later`: today's session moves once, within today, never past 23:00.
pub(crate) fn later(ctx: &Ctx<'_>, delay: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    let zone = schedule.zone();
    let today = schedule.local(ctx.now).date_naive();
    if let Some((date, at)) = subscription.later
        && date == today
    {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-later-already-moved",
            time = at.with_timezone(&zone).format("%H:%M").to_string()
        )));
    }
    let owner = Owner::Subscription(subscription.id);
    let started = sessions::latest_started(ctx.c, owner)?.filter(|s| s.local_date == today);
    // From when the session would come: now if it has started, else its time.
    let from = match (&started, subscription.next_run_at) {
        (Some(session), _) => {
            let under_way = session.status != Status::Running
                || session.current_step > session.first_step()
                || check_ins::any_in_session(ctx.c, session.id)?;
            if under_way {
                return Err(CommandError::Refused(tr!(ctx.lang, "cmd-later-under-way")));
            }
            ctx.now
        }
        (None, Some(at)) if schedule.local(at).date_naive() == today => at,
        (None, _) => {
            return Err(CommandError::Refused(tr!(
                ctx.lang,
                "cmd-later-nothing-left"
            )));
        }
    };
    let to = match delay.map(str::to_lowercase).as_deref() {
        None | Some("1h") => from + Duration::hours(1),
        Some("30m") => from + Duration::minutes(30),
        Some("2h") => from + Duration::hours(2),
        Some("tonight") => {
            let tonight = today
                .and_time(TONIGHT)
                .and_local_timezone(zone)
                .earliest()
                .map(|t| t.with_timezone(&Utc));
            match tonight {
                Some(tonight) if tonight > from => tonight,
                _ => {
                    return Err(CommandError::Refused(tr!(ctx.lang, "cmd-later-evening")));
                }
            }
        }
        Some(other) => {
            return Err(CommandError::Refused(tr!(
                ctx.lang,
                "cmd-later-unknown",
                delay = other
            )));
        }
    };
    let local = to.with_timezone(&zone);
    if local.date_naive() != today || local.time() > LATEST_LATER {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-later-too-late",
            time = local.format("%H:%M").to_string()
        )));
    }
    subscriptions::set_later(ctx.c, subscription.id, today, to)?;
    if let Some(session) = &started {
        crate::engine::sessions::move_started(ctx.c, session, subscription.pace_minutes, to)?;
    }
    Ok(Reply::private(Message::text(tr!(
        ctx.lang,
        "cmd-later-moved",
        when = ctx.instant(to, zone)
    ))))
}

/// `followup <time>` / `followup off`.
pub(crate) fn followup(ctx: &Ctx<'_>, time: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let Some(text) = time else {
        subscriptions::set_followup(ctx.c, subscription.id, None)?;
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-followup-off"
        ))));
    };
    let time = parse_time(text)?;
    let zone = subscription.schedule.zone();
    let next = crate::engine::followup::next_local(time, zone, ctx.now).ok_or_else(|| {
        CommandError::Refused(tr!(
            ctx.lang,
            "cmd-followup-no-such-time",
            time = time.format("%H:%M").to_string(),
            zone = zone.name()
        ))
    })?;
    subscriptions::set_followup(ctx.c, subscription.id, Some((time, next)))?;
    Ok(Reply::private(Message::text(tr!(
        ctx.lang,
        "cmd-followup-on",
        time = time.format("%H:%M").to_string(),
        zone = zone.name(),
        when = ctx.instant(next, zone)
    ))))
}

pub(crate) fn status(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let mut body = tr!(
        ctx.lang,
        "cmd-status-schedule",
        schedule = schedule.describe(ctx.lang),
        pace = subscription.pace_minutes
    );
    body.push('\n');
    match (subscription.state, subscription.paused_until) {
        (State::Paused, Some(until)) => {
            let date = dates::short_date(ctx.lang, until);
            body.push_str(&tr!(ctx.lang, "cmd-status-paused-until", date = date));
            body.push('\n');
        }
        (State::Paused, None) => {
            body.push_str(&tr!(ctx.lang, "cmd-status-paused"));
            body.push('\n');
        }
        _ => {}
    }
    body.push_str(&next_line(ctx, schedule, subscription.next_run_at));
    body.push_str(&format!(
        "\n{}\n",
        streak_line(ctx.lang, history.streak(ctx.content))
    ));
    if let Some(routine) = ctx.content.routine(&subscription.routine_id) {
        let loads = super::info::todays_loads(ctx, routine)?;
        body.push('\n');
        body.push_str(&tr!(ctx.lang, "cmd-status-load"));
        body.push('\n');
        let words = ctx
            .content
            .routine_in(ctx.lang, &subscription.routine_id)
            .unwrap_or(routine);
        for (exercise, reps) in words.exercises.iter().zip(loads) {
            body.push_str(&format!(
                "- {}: {}\n",
                exercise.title,
                load_text(ctx.lang, exercise, reps)
            ));
        }
    }
    Ok(Reply::private(Message::new(
        tr!(ctx.lang, "cmd-title-your-routine"),
        body,
    )))
}

pub(crate) fn timezone(ctx: &Ctx<'_>, zone: &str) -> Result<Reply, CommandError> {
    let zone = parse_zone(zone)?;
    set_zone(ctx, zone)?;
    let mut body = tr!(ctx.lang, "cmd-timezone-set", zone = zone.name());
    if let Some(subscription) =
        subscriptions::for_user(ctx.c, ctx.user.id)?.filter(|s| s.state != State::Stopped)
    {
        let schedule = Schedule::new(
            subscription.schedule.time(),
            subscription.schedule.days(),
            zone,
        );
        let next = next_session_from(ctx, &schedule, subscription.paused_until)
            .filter(|_| subscription.state == State::Active || subscription.paused_until.is_some());
        subscriptions::set_schedule(ctx.c, subscription.id, &schedule, next)?;
        body.push(' ');
        body.push_str(&next_line(ctx, &schedule, next));
    }
    Ok(Reply::private(Message::text(body)))
}
