//! routine, exercise, the topics, streak, progress, trends.

use chrono::Duration;

use super::{CommandError, Ctx, Later};
use crate::coaching::History;
use crate::content::{Content, DEFAULT_ROUTINE, Kind, Routine, TopicId};
use crate::engine::render::{self, load_text, streak_line};
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::progress::Picture;
use crate::store::sessions::Owner;
use crate::store::subscriptions;
use crate::tr;

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

/// The member's routine (English: its numbers are every language's) and
/// the same routine in their words.
fn member_routine<'a>(ctx: &Ctx<'a>) -> Result<(&'a Routine, &'a Routine), CommandError> {
    let id = subscriptions::for_user(ctx.c, ctx.user.id)?
        .map(|s| s.routine_id)
        .unwrap_or_else(|| DEFAULT_ROUTINE.to_string());
    let routine = ctx
        .content
        .routine(&id)
        .or_else(|| ctx.content.routine(DEFAULT_ROUTINE))
        .ok_or_else(|| CommandError::Refused(tr!(ctx.lang, "cmd-routine-unavailable")))?;
    let words = ctx
        .content
        .routine_in(ctx.lang, &routine.id)
        .unwrap_or(routine);
    Ok((routine, words))
}

/// `strength`, `Kraft`, `fuerza`.
fn kind_name(kind: Kind, lang: Language) -> String {
    match kind {
        Kind::Strength => tr!(lang, "session-kind-strength"),
        Kind::Stretch => tr!(lang, "session-kind-stretch"),
        Kind::Mobility => tr!(lang, "session-kind-mobility"),
    }
}

pub(crate) fn routine(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let (routine, words) = member_routine(ctx)?;
    let loads = todays_loads(ctx, routine)?;
    let mut body = format!("{}\n\n", words.summary);
    for (i, (exercise, reps)) in words.exercises.iter().zip(loads).enumerate() {
        body.push_str(&format!(
            "{}. **{}** ({}): {}. {}\n",
            i + 1,
            exercise.title,
            kind_name(exercise.kind, ctx.lang),
            load_text(ctx.lang, exercise, reps),
            exercise.purpose
        ));
    }
    body.push('\n');
    body.push_str(&tr!(ctx.lang, "cmd-routine-see-one"));
    Ok(Reply::private(Message::new(words.title.clone(), body)))
}

pub(crate) fn exercise(ctx: &Ctx<'_>, which: &str) -> Result<Reply, CommandError> {
    let (routine, words) = member_routine(ctx)?;
    // A name in the member's words, or in English.
    let found = words
        .find_exercise(which)
        .or_else(|| routine.find_exercise(which));
    let Some((index, _)) = found else {
        let names: Vec<String> = words
            .exercises
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{} {}", i + 1, e.title))
            .collect();
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-no-such-exercise",
            which = which,
            count = words.exercises.len(),
            names = names.join(", ")
        )));
    };
    let Some(exercise) = words.exercises.get(index) else {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-routine-unavailable"
        )));
    };
    let loads = todays_loads(ctx, routine)?;
    let reps = loads.get(index).copied().unwrap_or(exercise.reps.min);
    Ok(Reply::private(render::exercise_reference(
        ctx.lang,
        words,
        index + 1,
        exercise,
        reps,
    )))
}

pub(crate) fn topic(content: &Content, id: TopicId, lang: Language) -> Reply {
    let topic = content.topic_in(lang, id);
    let mut body = format!("{}\n", topic.intro);
    for point in &topic.points {
        body.push_str(&format!("- {point}\n"));
    }
    // Background, not personal: everyone in the channel may read it.
    Reply::public(Message::new(topic.title.clone(), body))
}

pub(crate) fn streak(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let Some(subscription) = subscriptions::for_user(ctx.c, ctx.user.id)? else {
        return Err(CommandError::Refused(tr!(ctx.lang, "cmd-no-streak")));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let exercises = member_routine(ctx)?.0.exercises.len();
    let rule = tr!(
        ctx.lang,
        "cmd-streak-rule",
        needed = crate::coaching::done_threshold(exercises),
        count = exercises
    );
    let body = format!(
        "{}\n\n{rule}",
        streak_line(ctx.lang, history.streak(ctx.content))
    );
    Ok(Reply::private(Message::new(
        tr!(ctx.lang, "cmd-title-your-streak"),
        body,
    )))
}

/// `trends`: each exercise over the last 8 weeks, as a picture.
pub(crate) fn trends(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let subscription = subscriptions::for_user(ctx.c, ctx.user.id)?;
    let routine = subscription
        .as_ref()
        .and_then(|s| ctx.content.routine(&s.routine_id));
    let (Some(subscription), Some(routine)) = (&subscription, routine) else {
        return Err(CommandError::Refused(tr!(ctx.lang, "cmd-nothing-yet")));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let today = subscription.schedule.local(ctx.now).date_naive();
    *ctx.later.borrow_mut() = Some(Later::Trends(crate::trends::Trends::of(
        ctx.content,
        ctx.lang,
        &history,
        routine,
        today,
    )));
    Ok(Reply::private(Message::new(
        tr!(ctx.lang, "cmd-title-your-trends"),
        tr!(ctx.lang, "cmd-trends"),
    )))
}

pub(crate) fn progress(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let Some(subscription) = subscriptions::for_user(ctx.c, ctx.user.id)? else {
        return Err(CommandError::Refused(tr!(ctx.lang, "cmd-nothing-yet")));
    };
    let history = History::load(ctx.c, Owner::Subscription(subscription.id), ctx.user.id)?;
    let today = subscription.schedule.local(ctx.now).date_naive();
    let streak = history.streak(ctx.content);
    *ctx.later.borrow_mut() = Some(Later::Picture(Picture {
        today,
        days: history.day_shares(ctx.content),
        streak,
        language: ctx.lang,
    }));
    let body = format!(
        "{}\n{}",
        tr!(ctx.lang, "cmd-progress"),
        streak_line(ctx.lang, streak)
    );
    Ok(Reply::private(Message::new(
        tr!(ctx.lang, "cmd-title-your-progress"),
        body,
    )))
}
