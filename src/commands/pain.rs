//! `pain <0-10> [where]`: how strong the latest 🤕 was, and where. Stored
//! with that check-in; a strong score rests the exercise (see
//! [`crate::coaching::resting`]).

use super::{CommandError, Ctx};
use crate::engine::render;
use crate::engine::sessions::back_on_after;
use crate::message::Reply;
use crate::store::sessions::{self, Owner, Session, Status};
use crate::store::{StoreError, check_ins, subscriptions, users};
use crate::tr;

pub(super) fn rate(ctx: &Ctx<'_>, score: &str, place: Option<&str>) -> Result<Reply, CommandError> {
    let score = parse_score(ctx, score)?;
    let place = place.map(users::clean_name).filter(|p| !p.is_empty());
    let (session, step, report) = match open_report(ctx)? {
        Some(found) => found,
        None => report_now(ctx)?,
    };
    check_ins::rate_pain(ctx.c, report, score, place.as_deref())?;
    // In the member's words; the numbers are the same in every language.
    let exercise = ctx
        .content
        .routine_in(ctx.lang, &session.routine_id)
        .and_then(|routine| routine.exercises.get(step as usize - 1))
        .ok_or_else(|| {
            StoreError::Corrupt(format!("session {} has no exercise {step}", session.id))
        })?;
    let back_on = if score >= ctx.content.pain_rules().rest_from_score {
        back_on_after(ctx.c, ctx.content, &session, &ctx.user, step)?
    } else {
        None
    };
    Ok(Reply::private(render::pain_rated(
        ctx.lang,
        ctx.content,
        exercise,
        score,
        place.as_deref(),
        back_on,
    )))
}

/// "6" or "6/10".
fn parse_score(ctx: &Ctx<'_>, text: &str) -> Result<u8, CommandError> {
    let number = text.strip_suffix("/10").unwrap_or(text);
    match number.parse::<u8>() {
        Ok(score) if score <= 10 => Ok(score),
        _ => Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-pain-not-a-score",
            score = text
        ))),
    }
}

/// The member's latest 🤕, while its session still takes check-ins.
fn open_report(ctx: &Ctx<'_>) -> Result<Option<(Session, u32, i64)>, CommandError> {
    let Some(report) = check_ins::latest_pain(ctx.c, ctx.user.id)? else {
        return Ok(None);
    };
    let session = sessions::get(ctx.c, report.session_id)?;
    let latest = sessions::latest_started(ctx.c, session.owner()?)?;
    if latest.map(|s| s.id) != Some(session.id) {
        return Ok(None);
    }
    Ok(Some((session, report.step, report.id)))
}

/// No 🤕 to rate: the score reports pain on the exercise under way in the
/// member's own session, as a 🤕 on it would.
fn report_now(ctx: &Ctx<'_>) -> Result<(Session, u32, i64), CommandError> {
    let running = match subscriptions::for_user(ctx.c, ctx.user.id)? {
        Some(subscription) => {
            sessions::latest_started(ctx.c, Owner::Subscription(subscription.id))?
                .filter(|s| s.status == Status::Running)
        }
        None => None,
    };
    let Some(session) = running else {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "cmd-pain-nothing-to-rate"
        )));
    };
    let step = session.current_step;
    crate::engine::report_pain(ctx.c, ctx.content, &session, step, &ctx.user, ctx.now)?;
    let report = check_ins::latest_pain(ctx.c, ctx.user.id)?
        .filter(|r| r.session_id == session.id && r.step == step)
        .ok_or_else(|| StoreError::Corrupt("a pain report just recorded is missing".into()))?;
    Ok((session, step, report.id))
}
