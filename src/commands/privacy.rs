//! privacy export / privacy delete.

use serde_json::json;

use super::{CommandError, Ctx};
use crate::message::{Attachment, Message, Reply};
use crate::store::sessions::Owner;
use crate::store::{
    check_ins, deliveries, early_reactions, groups, post_names, reaction_events, sessions,
    subscriptions, users,
};
use crate::tr;

pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let user = &ctx.user;
    let subscription = subscriptions::for_user(ctx.c, user.id)?;
    let sessions = match &subscription {
        Some(s) => sessions::for_owner(ctx.c, Owner::Subscription(s.id))?,
        None => Vec::new(),
    };
    let data = json!({
        "exported_at": ctx.now.to_rfc3339(),
        "member": {
            "platform": user.platform,
            "platform_user_id": user.platform_user_id,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "agreed_to_disclaimer": user.agreed,
            "group_nudges": if user.nudges_off { "off" } else { "on" },
            "weekly_summary_next": user.weekly_summary_at.map(|t| t.to_rfc3339()),
            "direct_messages": user.dm_target,
        },
        "groups": groups::memberships(ctx.c, user.id)?.into_iter().map(|m| json!({
            "channel": m.channel, "joined_at": m.joined_at, "left_at": m.left_at, "name_there": m.name,
        })).collect::<Vec<_>>(),
        "subscription": subscription.as_ref().map(|s| json!({
            "routine": s.routine_id,
            "schedule": s.schedule.cron_expression(),
            "timezone": s.schedule.zone().name(),
            "pace_minutes": s.pace_minutes,
            "state": format!("{:?}", s.state).to_lowercase(),
            "paused_until": s.paused_until.map(|d| d.to_string()),
            "pause_reason": s.pause_reason,
            "next_session": s.next_run_at.map(|t| t.to_rfc3339()),
        })),
        "sessions": sessions.iter().map(|s| json!({
            "date": s.local_date.to_string(),
            "status": s.status.as_str(),
            "loads": s.loads,
        })).collect::<Vec<_>>(),
        "check_ins": check_ins::log_for_user(ctx.c, user.id)?.into_iter().map(|logged| json!({
            "date": logged.date, "exercise": logged.step, "kind": logged.kind, "at": logged.at,
            "pain_score": logged.pain_score, "pain_location": logged.pain_where,
        })).collect::<Vec<_>>(),
        "reactions": reaction_events::all_for_user(ctx.c, &user.platform, &user.platform_user_id)?,
        "messages_to_you": deliveries::all_for_member(ctx.c, user.id)?,
    });
    let bytes = serde_json::to_vec_pretty(&data).map_err(|e| {
        CommandError::Refused(tr!(ctx.lang, "cmd-export-failed", error = e.to_string()))
    })?;
    Ok(
        Reply::private(Message::text(tr!(ctx.lang, "cmd-export-json"))).with_attachment(
            Attachment {
                filename: "upright-export.json".to_string(),
                mime: "application/json",
                bytes,
            },
        ),
    )
}

/// The member's check-ins as CSV, one row each, to share with a
/// physiotherapist: date, exercise, what was checked in, and the load.
/// The header and the check-in kinds stay English (a file's fixed columns
/// and codes); the exercise and its load are in the member's language.
pub(crate) fn export_csv(ctx: &Ctx<'_>) -> Result<Reply, CommandError> {
    let mut csv =
        String::from("date,exercise_number,exercise,check_in,load,pain_score,pain_location\n");
    let logged = check_ins::log_for_user(ctx.c, ctx.user.id)?;
    for row in &logged {
        let exercise = ctx
            .content
            .routine_in(ctx.lang, &row.routine_id)
            .and_then(|r| r.exercises.get(row.step as usize - 1));
        let reps = serde_json::from_str::<Vec<u32>>(&row.loads)
            .ok()
            .and_then(|loads| loads.get(row.step as usize - 1).copied());
        let load = match (exercise, reps) {
            (Some(exercise), Some(reps)) => {
                crate::engine::render::load_text(ctx.lang, exercise, reps)
            }
            _ => String::new(),
        };
        let fields = [
            row.date.clone(),
            row.step.to_string(),
            exercise.map(|e| e.title.clone()).unwrap_or_default(),
            row.kind.clone(),
            load,
            row.pain_score.map(|s| s.to_string()).unwrap_or_default(),
            row.pain_where.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    Ok(Reply::private(Message::text(tr!(
        ctx.lang,
        "cmd-export-csv",
        count = logged.len()
    )))
    .with_attachment(Attachment {
        filename: "upright-check-ins.csv".to_string(),
        mime: "text/csv",
        bytes: csv.into_bytes(),
    }))
}

/// A CSV field (RFC 4180), always quoted: a spreadsheet that splits on `;`
/// (as many locales do) or on tabs still reads one cell. Text it would run
/// as a formula is kept as text.
fn csv_field(text: &str) -> String {
    let guard = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        "'"
    } else {
        ""
    };
    format!("\"{guard}{}\"", text.replace('"', "\"\""))
}

pub(crate) fn delete(ctx: &Ctx<'_>, confirmed: bool) -> Result<Reply, CommandError> {
    if !confirmed {
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "cmd-delete-confirm"
        ))));
    }
    let user = &ctx.user;
    reaction_events::forget_user(ctx.c, &user.platform, &user.platform_user_id)?;
    early_reactions::forget_user(ctx.c, &user.platform, &user.platform_user_id)?;
    // The posts naming them are cleaned by the engine, a batch at a time.
    post_names::mark_departed(ctx.c, user.id)?;
    users::delete(ctx.c, user.id)?;
    // Written in the language they read until now: their record is gone.
    Ok(Reply::private(Message::text(tr!(ctx.lang, "cmd-deleted"))))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("10 reps"), "\"10 reps\"");
        assert_eq!(csv_field("10 reps, hold 3 s"), "\"10 reps, hold 3 s\"");
        assert_eq!(
            csv_field("the \"upper\" back"),
            "\"the \"\"upper\"\" back\""
        );
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("-1, then"), "\"'-1, then\"");
        // In a `;` locale the separator inside stays inside one cell.
        assert_eq!(csv_field("x;=cmd"), "\"x;=cmd\"");
        assert_eq!(csv_field("\t=cmd"), "\"'\t=cmd\"");
    }
}
