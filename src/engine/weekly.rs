//! The weekly summary DM members can ask for: days done, streak and how
//! their load changed over the last seven days.

use crate::store::sql::Conn;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use super::row_by_row::row_by_row;
use super::sessions::{in_language, routine};
use super::{Engine, render};
use crate::coaching::{DayOutcome, History};
use crate::content::Content;
use crate::schedule::{Schedule, Weekdays};
use crate::store::deliveries::{self, Kind, NewDelivery, Recipient, priority};
use crate::store::sessions::{Owner, Status};
use crate::store::users::{self, User};
use crate::store::{Result, subscriptions};

/// Sunday evening, in the member's zone (UTC until they give one).
pub fn schedule(user: &User) -> Schedule {
    let zone = user
        .timezone
        .as_deref()
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC);
    schedule_in(zone)
}

pub fn schedule_in(zone: Tz) -> Schedule {
    let evening = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN);
    Schedule::new(evening, Weekdays::SUNDAY, zone)
}

/// Writes the summary for the week ending at `user.weekly_summary_at` and
/// schedules the next one. A summary more than a day late is not sent.
pub fn send_due(c: &dyn Conn, content: &Content, user: &User, now: DateTime<Utc>) -> Result<()> {
    let Some(at) = user.weekly_summary_at else {
        return Ok(());
    };
    let schedule = schedule(user);
    let week_end = schedule.local(at).date_naive();
    let week_start = week_end - Duration::days(6);
    if now - at <= Duration::days(1)
        && let Some(subscription) = subscriptions::for_user(c, user.id)?
    {
        let routine = routine(content, &subscription.routine_id)?;
        let history = History::load(c, Owner::Subscription(subscription.id), user.id)?;
        let exercises = routine.exercises.len();
        // Skipped days and days the bot could not reach the member don't count.
        let week: Vec<_> = history
            .sessions
            .iter()
            .filter(|s| s.local_date >= week_start && s.local_date <= week_end)
            .filter(|s| !matches!(s.status, Status::Skipped | Status::Failed))
            .collect();
        let done = week
            .iter()
            .filter(|s| {
                crate::coaching::outcome(s, history.check_ins_of(s.id), exercises, false)
                    == DayOutcome::Done
            })
            .count();
        let before = history.loads_before(routine, week_start);
        let after = history.loads_before(routine, week_end + Duration::days(1));
        let lang = user.language();
        let changes: Vec<String> = in_language(content, lang, routine)
            .exercises
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(exercise, (b, a))| render::load_change(lang, exercise, *b, *a))
            .collect();
        let message = render::weekly(
            lang,
            week_start,
            week_end,
            done,
            week.len(),
            history.streak(content),
            &changes,
        );
        deliveries::enqueue(
            c,
            &NewDelivery {
                key: format!("user{}/weekly/{week_end}", user.id),
                platform: user.platform.clone(),
                recipient: Recipient::Member(user.id),
                session_id: None,
                kind: Kind::Weekly,
                step: None,
                priority: priority::LATER,
                message,
                reactions: Vec::new(),
                due_at: now,
            },
        )?;
    }
    let next = schedule.next_after(now.max(at)).map(|o| o.at);
    users::set_weekly_summary_at(c, user.id, next)
}

impl Engine {
    pub(super) async fn send_weekly_summaries(&self) -> Result<()> {
        let platforms = self.platform_names();
        let now = self.now();
        let content = self.content();
        self.db()
            .call(move |c| {
                row_by_row(c, |rows| {
                    for user in users::weekly_due(rows.conn(), now, &platforms)? {
                        rows.each(
                            |c| send_due(c, &content, &user, now),
                            |c, error| {
                                tracing::error!(
                                    user = user.id,
                                    "turning off a weekly summary that cannot be made: {error}"
                                );
                                users::set_weekly_summary_at(c, user.id, None)
                            },
                        )?;
                    }
                    Ok(())
                })
            })
            .await
    }
}
