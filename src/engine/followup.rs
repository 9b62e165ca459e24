//! The evening follow-up members can ask for (`followup 20:00`): one
//! gentle message when the day's session ran and is not done yet.

use crate::store::sql::Conn;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use super::row_by_row::row_by_row;
use super::sessions::routine;
use super::{Engine, render};
use crate::check_in::CheckInKind;
use crate::coaching::DayOutcome;
use crate::content::Content;
use crate::store::check_ins;
use crate::store::deliveries::{self, Kind, NewDelivery, Recipient, priority};
use crate::store::sessions::{self, Owner, Status};
use crate::store::subscriptions::{self, State, Subscription};
use crate::store::{Result, users};

/// Due follow-ups handled in one pass at most.
const BATCH: u32 = 500;

/// The next instant after `after` at local `time` in `zone` (a time that a
/// spring change skips comes an hour later that day).
pub fn next_local(time: NaiveTime, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = after.with_timezone(&zone).date_naive();
    (0..3).find_map(|days| {
        let date = start + Duration::days(days);
        let local = date
            .and_time(time)
            .and_local_timezone(zone)
            .earliest()
            .or_else(|| {
                (date.and_time(time) + Duration::hours(1))
                    .and_local_timezone(zone)
                    .earliest()
            })?;
        let at = local.with_timezone(&Utc);
        (at > after).then_some(at)
    })
}

/// The evening follow-up: one gentle message at the member's chosen time,
/// only when the day's session ran and is neither done, nor answered with a
/// skip or pain; then the next day's. One late by more than the grace
/// window is not sent.
pub fn follow_up(
    c: &dyn Conn,
    content: &Content,
    subscription: &Subscription,
    grace: Duration,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some((time, at)) = subscription.followup else {
        return Ok(());
    };
    let zone = subscription.schedule.zone();
    let date = at.with_timezone(&zone).date_naive();
    let owner = Owner::Subscription(subscription.id);
    let today = sessions::latest_started(c, owner)?
        .filter(|s| s.local_date == date && matches!(s.status, Status::Running | Status::Finished));
    if now - at <= grace
        && subscription.state == State::Active
        && let Some(session) = today
    {
        let routine = routine(content, &session.routine_id)?;
        // This day's check-ins only: not the member's whole history.
        let check_ins = &check_ins::of_session_for_user(c, session.id, subscription.user_id)?;
        let answered_otherwise = check_ins
            .values()
            .flatten()
            .any(|kind| matches!(kind, CheckInKind::Skip | CheckInKind::Pain));
        let done = crate::coaching::outcome(&session, check_ins, routine.exercises.len(), true)
            == DayOutcome::Done;
        if !done && !answered_otherwise {
            let done_so_far = check_ins
                .values()
                .filter(|kinds| kinds.contains(&CheckInKind::Done))
                .count();
            let user = users::get(c, subscription.user_id)?;
            let message = render::followup(user.language(), done_so_far, routine.exercises.len());
            deliveries::enqueue(
                c,
                &NewDelivery {
                    key: format!("sub{}/followup/{date}", subscription.id),
                    platform: user.platform,
                    recipient: Recipient::Member(subscription.user_id),
                    session_id: Some(session.id),
                    kind: Kind::Followup,
                    step: None,
                    priority: priority::LATER,
                    message,
                    reactions: Vec::new(),
                    due_at: now,
                },
            )?;
        }
    }
    let next = next_local(time, zone, now.max(at)).map(|next| (time, next));
    subscriptions::set_followup(c, subscription.id, next)
}

impl Engine {
    pub(super) async fn send_follow_ups(&self) -> Result<()> {
        let platforms = self.platform_names();
        let (now, content, grace) = (self.now(), self.content(), self.settings().grace);
        self.db()
            .call(move |c| {
                row_by_row(c, |rows| {
                    let due = subscriptions::followups_due(rows.conn(), now, &platforms, BATCH)?;
                    for subscription in due {
                        rows.each(
                            |c| follow_up(c, &content, &subscription, grace, now),
                            |c, error| {
                                tracing::error!(
                                    subscription = subscription.id,
                                    "turning off a follow-up that cannot be made: {error}"
                                );
                                subscriptions::set_followup(c, subscription.id, None)
                            },
                        )?;
                    }
                    Ok(())
                })
            })
            .await
    }
}
