//! subscribe, agree, unsubscribe, pause, resume, skip, status, timezone.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{CommandError, Ctx, Place};
use crate::coaching::History;
use crate::config::parse_pace;
use crate::content::DEFAULT_ROUTINE;
use crate::engine::disclaimer::{disclaimer_known, send_disclaimer};
use crate::engine::render::{self, load_text, streak_line};
use crate::message::{Message, Reply};
use crate::schedule::{Schedule, Weekdays, parse_days, parse_time, parse_zone};
use crate::store::sessions::Owner;
use crate::store::sessions::{self, Status};
use crate::store::subscriptions::{self, State, Subscription};
use crate::store::{check_ins, users};

const NO_SUBSCRIPTION: &str = "You have no daily routine yet. Start one with `subscribe 07:30 Europe/Berlin` (time, then your time zone).";

/// "Fri 27 Nov at 07:30 (Europe/Berlin), in 18 h 5 min".
fn active_subscription(ctx: &Ctx<'_>) -> Result<Subscription, CommandError> {
    match subscriptions::for_user(ctx.c, ctx.user.id)? {
        Some(s) if s.state != State::Stopped => Ok(s),
        _ => Err(CommandError::Refused(NO_SUBSCRIPTION.to_string())),
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
        Some(at) => format!("Next session: {}.", ctx.instant(at, schedule.zone())),
        None if !ctx.user.agreed => {
            "Your first session is scheduled once you `agree` to the disclaimer.".to_string()
        }
        None => "No session is scheduled.".to_string(),
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
        Some(text) => parse_pace(text).map_err(CommandError::Refused)?,
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

    let verb = if existing.is_some() {
        "Updated"
    } else {
        "Subscribed"
    };
    let mut body = format!("{verb}: {schedule}, {pace} min between exercises.\n");
    match zone_from {
        ZoneFrom::Known => {}
        ZoneFrom::Profile => body.push_str(&format!(
            "I used the time zone in your profile, {}; set another with `timezone <zone>`.\n",
            zone.name()
        )),
        ZoneFrom::Guessed => body.push_str("I used UTC because I don't know your time zone yet; set it with `timezone <zone>`, e.g. `timezone berlin`.\n"),
    }
    let mut carries_disclaimer = false;
    if ctx.user.agreed {
        body.push_str(&next_line(ctx, &schedule, next));
    } else if ctx.place == Place::Direct
        && ctx.conventions.answer_carries_disclaimer
        && !disclaimer_known(ctx.c, &ctx.user)?
    {
        // In the member's DM the answer is the disclaimer: one message,
        // recorded as the disclaimer once the platform has sent it.
        body.push_str("Before your first session, please read this.\n\n");
        body.push_str(&render::disclaimer(ctx.content).to_markdown());
        carries_disclaimer = true;
    } else {
        send_disclaimer(ctx.c, ctx.content, &ctx.user, ctx.now)?;
        body.push_str(
            "Before your first session, please read the disclaimer I sent you by direct message, then send `agree` (or react ✅ to it).",
        );
    }
    let mut reply = Reply::private(Message::new("Daily routine", body));
    reply.carries_disclaimer = carries_disclaimer;
    Ok(reply)
}

pub(crate) fn agree(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let next = crate::engine::agree(ctx.c, &ctx.user, ctx.now)?;
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    let body = match (subscription, next) {
        (Some(s), Some(at)) => format!(
            "Thank you. Your first session: {}.",
            ctx.instant(at, s.schedule.zone())
        ),
        _ => {
            "Thank you. Start your daily routine with `subscribe 07:30 Europe/Berlin`.".to_string()
        }
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
    Ok(Reply::private(Message::text(
        "Your daily routine is stopped. Your history is kept: `subscribe` starts again where you left off, `privacy delete` erases it.",
    )))
}

pub(crate) fn pause(ctx: &Ctx<'_>, days: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let days = days
        .map(|text| {
            text.parse::<u32>()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .ok_or_else(|| CommandError::Refused(format!("`{text}` is not a number of days. Use `pause` to pause until you resume, or `pause 3` for 1 to 365 days.")))
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
            "Paused. Send `resume` when you want your sessions back.".to_string()
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
            format!(
                "Paused for {days} day(s). Sessions start again on {}.",
                until.format("%a %-d %b")
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
        return Ok(Reply::private(Message::text(format!(
            "You're not paused. {line}"
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
    Ok(Reply::private(Message::text(format!(
        "Welcome back. {}",
        next_line(ctx, schedule, next)
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
        return Ok(Reply::private(Message::text(format!(
            "Today's session is skipped; it won't count against your streak. {}",
            next_line(ctx, schedule, subscription.next_run_at)
        ))));
    }
    match subscription.next_run_at {
        Some(at) if schedule.local(at).date_naive() == today => {
            subscriptions::set_skip_date(ctx.c, subscription.id, Some(today))?;
            let after = schedule.next_after(at).map(|o| o.at);
            Ok(Reply::private(Message::text(format!(
                "Today's session is skipped; it won't count against your streak. {}",
                next_line(ctx, schedule, after)
            ))))
        }
        next => Ok(Reply::private(Message::text(format!(
            "There is no session left to skip today. {}",
            next_line(ctx, schedule, next)
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

const LATER_USAGE: &str = "Use `later`, `later 30m`, `later 1h`, `later 2h` or `later tonight`.";

/// `later`: today's session moves once, within today, never past 23:00.
pub(crate) fn later(ctx: &Ctx<'_>, delay: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    let zone = schedule.zone();
    let today = schedule.local(ctx.now).date_naive();
    if let Some((date, at)) = subscription.later
        && date == today
    {
        return Err(CommandError::Refused(format!(
            "Today's session has already been moved once, to {}.",
            at.with_timezone(&zone).format("%H:%M")
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
                return Err(CommandError::Refused(
                    "Today's session is already under way, so it goes on at its own pace; `skip` stops it for today."
                        .to_string(),
                ));
            }
            ctx.now
        }
        (None, Some(at)) if schedule.local(at).date_naive() == today => at,
        (None, _) => {
            return Err(CommandError::Refused(
                "There's no session left today to move.".to_string(),
            ));
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
                    return Err(CommandError::Refused(format!(
                        "It's already evening by your session's time; try `later 1h`. {LATER_USAGE}"
                    )));
                }
            }
        }
        Some(other) => {
            return Err(CommandError::Refused(format!(
                "`{other}` is not a delay I know. {LATER_USAGE}"
            )));
        }
    };
    let local = to.with_timezone(&zone);
    if local.date_naive() != today || local.time() > LATEST_LATER {
        return Err(CommandError::Refused(format!(
            "That would be {}, past 23:00: too late for today's session. Try a shorter delay, or `skip` it.",
            local.format("%H:%M")
        )));
    }
    subscriptions::set_later(ctx.c, subscription.id, today, to)?;
    if let Some(session) = &started {
        crate::engine::sessions::move_started(ctx.c, session, subscription.pace_minutes, to)?;
    }
    Ok(Reply::private(Message::text(format!(
        "Moved: today's session now starts {}.",
        ctx.instant(to, zone)
    ))))
}

/// `followup <time>` / `followup off`.
pub(crate) fn followup(ctx: &Ctx<'_>, time: Option<&str>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let Some(text) = time else {
        subscriptions::set_followup(ctx.c, subscription.id, None)?;
        return Ok(Reply::private(Message::text(
            "Follow-ups off: no reminders in the evening.",
        )));
    };
    let time = parse_time(text)?;
    let zone = subscription.schedule.zone();
    let next = crate::engine::followup::next_local(time, zone, ctx.now).ok_or_else(|| {
        CommandError::Refused(format!(
            "{} does not exist in {zone} in the next days.",
            time.format("%H:%M")
        ))
    })?;
    subscriptions::set_followup(ctx.c, subscription.id, Some((time, next)))?;
    Ok(Reply::private(Message::text(format!(
        "Follow-up on: at {} ({zone}) I'll send one reminder if that day's session isn't done yet — not after a skip or a 🤕, nor while paused. The first check is {}.",
        time.format("%H:%M"),
        ctx.instant(next, zone)
    ))))
}

pub(crate) fn status(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = active_subscription(ctx)?;
    let schedule = &subscription.schedule;
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let mut body = format!(
        "Schedule: {schedule}, {} min between exercises.\n",
        subscription.pace_minutes
    );
    match (subscription.state, subscription.paused_until) {
        (State::Paused, Some(until)) => {
            body.push_str(&format!("Paused until {}.\n", until.format("%a %-d %b")))
        }
        (State::Paused, None) => body.push_str("Paused until you `resume`.\n"),
        _ => {}
    }
    body.push_str(&next_line(ctx, schedule, subscription.next_run_at));
    body.push_str(&format!("\n{}\n", streak_line(history.streak(ctx.content))));
    if let Some(routine) = ctx.content.routine(&subscription.routine_id) {
        let loads = super::info::todays_loads(ctx, routine)?;
        body.push_str("\nToday's load:\n");
        for (exercise, reps) in routine.exercises.iter().zip(loads) {
            body.push_str(&format!(
                "- {}: {}\n",
                exercise.title,
                load_text(exercise, reps)
            ));
        }
    }
    Ok(Reply::private(Message::new("Your routine", body)))
}

pub(crate) fn timezone(ctx: &Ctx<'_>, zone: &str) -> Result<Reply, CommandError> {
    let zone = parse_zone(zone)?;
    set_zone(ctx, zone)?;
    let mut body = format!("Your time zone is now {}.", zone.name());
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
        body.push_str(&format!(" {}", next_line(ctx, &schedule, next)));
    }
    Ok(Reply::private(Message::text(body)))
}
