//! routine, exercise, the topics, streak, progress, trends.

use chrono::Duration;

use super::{CommandError, Ctx, Later};
use crate::coaching::History;
use crate::content::{Content, DEFAULT_ROUTINE, Routine, TopicId};
use crate::engine::render::{self, load_text, streak_line};
use crate::message::{Message, Reply};
use crate::progress::Picture;
use crate::store::sessions::Owner;
use crate::store::subscriptions;

/// Today's repetitions for the member (their progression), or the low end of
/// each range for someone without a subscription.
pub(crate) fn todays_loads(ctx: &Ctx<'_>, routine: &Routine) -> Result<Vec<u32>, CommandError> {
    let Some(subscription) = subscriptions::for_user(ctx.c, ctx.user.id)? else {
        return Ok(routine.exercises.iter().map(|e| e.reps.min).collect());
    };
    let today = subscription.schedule.local(ctx.now).date_naive();
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    Ok(
        match history
            .sessions
            .iter()
            .find(|s| s.local_date == today && !s.loads.is_empty())
        {
            Some(session) => session.loads.clone(),
            None => history.loads_before(routine, today + Duration::days(1)),
        },
    )
}

fn member_routine<'a>(ctx: &Ctx<'a>) -> Result<&'a Routine, CommandError> {
    let id = subscriptions::for_user(ctx.c, ctx.user.id)?
        .map(|s| s.routine_id)
        .unwrap_or_else(|| DEFAULT_ROUTINE.to_string());
    ctx.content
        .routine(&id)
        .or_else(|| ctx.content.routine(DEFAULT_ROUTINE))
        .ok_or_else(|| CommandError::Refused("The routine is not available right now.".to_string()))
}

pub(crate) fn routine(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let routine = member_routine(ctx)?;
    let loads = todays_loads(ctx, routine)?;
    let mut body = format!("{}\n\n", routine.summary);
    for (i, (exercise, reps)) in routine.exercises.iter().zip(loads).enumerate() {
        body.push_str(&format!(
            "{}. **{}** ({}): {}. {}\n",
            i + 1,
            exercise.title,
            exercise.kind,
            load_text(exercise, reps),
            exercise.purpose
        ));
    }
    body.push_str("\nSee one in full with `exercise <number>`.");
    Ok(Reply::private(Message::new(routine.title.clone(), body)))
}

pub(crate) fn exercise(ctx: &Ctx<'_>, which: &str) -> Result<Reply, CommandError> {
    let routine = member_routine(ctx)?;
    let Some((index, exercise)) = routine.find_exercise(which) else {
        let names: Vec<String> = routine
            .exercises
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{} {}", i + 1, e.title))
            .collect();
        return Err(CommandError::Refused(format!(
            "There is no exercise `{which}`. Choose 1 to {}: {}.",
            routine.exercises.len(),
            names.join(", ")
        )));
    };
    let loads = todays_loads(ctx, routine)?;
    let reps = loads.get(index).copied().unwrap_or(exercise.reps.min);
    Ok(Reply::private(render::exercise_reference(
        routine,
        index + 1,
        exercise,
        reps,
    )))
}

pub(crate) fn topic(content: &Content, id: TopicId) -> Reply {
    let topic = content.topic(id);
    let mut body = format!("{}\n", topic.intro);
    for point in &topic.points {
        body.push_str(&format!("- {point}\n"));
    }
    // Background, not personal: everyone in the channel may read it.
    Reply::public(Message::new(topic.title.clone(), body))
}

pub(crate) fn streak(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let Some(subscription) = subscriptions::for_user(ctx.c, ctx.user.id)? else {
        return Err(CommandError::Refused(
            "No streak yet: start your daily routine with `subscribe 07:30 Europe/Berlin`."
                .to_string(),
        ));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let exercises = member_routine(ctx)?.exercises.len();
    let body = format!(
        "{}\n\nA day counts when you check in ✅ on at least {} of the {} exercises. Days with 🤕, skipped or paused days don't break it.",
        streak_line(history.streak(ctx.content)),
        crate::coaching::done_threshold(exercises),
        exercises
    );
    Ok(Reply::private(Message::new("Your streak", body)))
}

/// `trends`: each exercise over the last 8 weeks, as a picture.
pub(crate) fn trends(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    let routine = subscription
        .as_ref()
        .and_then(|s| ctx.content.routine(&s.routine_id));
    let (Some(subscription), Some(routine)) = (&subscription, routine) else {
        return Err(CommandError::Refused(NOTHING_YET.to_string()));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let today = subscription.schedule.local(ctx.now).date_naive();
    *ctx.later.borrow_mut() = Some(Later::Trends(crate::trends::Trends::of(
        &history, routine, today,
    )));
    Ok(Reply::private(Message::new(
        "Your trends",
        "Each exercise over the last 8 weeks: green squares are days you did it, the blue line its load, orange triangles pain reports with their score. Handy to show a physiotherapist, with `privacy export csv`.",
    )))
}

const NOTHING_YET: &str =
    "Nothing to show yet: start your daily routine with `subscribe 07:30 Europe/Berlin`.";

pub(crate) fn progress(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let Some(subscription) = subscriptions::for_user(ctx.c, ctx.user.id)? else {
        return Err(CommandError::Refused(NOTHING_YET.to_string()));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let today = subscription.schedule.local(ctx.now).date_naive();
    let streak = history.streak(ctx.content);
    *ctx.later.borrow_mut() = Some(Later::Picture(Picture {
        today,
        days: history.day_shares(ctx.content),
        streak,
    }));
    let body = format!(
        "Your last 12 weeks, a square a day: the darker, the more of the routine you did; grey days had no session.\n{}",
        streak_line(streak)
    );
    Ok(Reply::private(Message::new("Your progress", body)))
}
