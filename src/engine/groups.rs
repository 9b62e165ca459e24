//! Accountability groups: the routine posted in a channel or room at a fixed
//! pace, a nudge for members who have not checked in yet, and the day's
//! summary. Like `sessions`, every function here runs inside one database
//! transaction and only writes messages to the outbox.

use std::collections::BTreeMap;

use crate::store::sql::Conn;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::outgoing::{Audience, SessionMessage, delivery_key, enqueue};
use super::sessions::{
    Occasion, SessionRules, due_occurrences, in_language, record, routine, status_of,
};
use super::{Engine, render};
use crate::coaching::{self, History, Streak, completion};
use crate::content::Content;
use crate::conventions::Conventions;
use crate::schedule::{Occurrence, Schedule};
use crate::store::deliveries::{Kind, priority};
use crate::store::groups::{self, Event, Group};
use crate::store::sessions::{self, Owner, Session, Status};
use crate::store::users::{self, User};
use crate::store::{Result, check_ins, post_names};

/// How long before the summary the nudge goes out (never before the
/// routine has been posted in full).
pub const NUDGE_LEAD: Duration = Duration::minutes(60);

/// Members mentioned in one nudge message (Discord content holds 2,000
/// characters; a mention is up to ~25).
const MENTIONS_PER_NUDGE: usize = 40;

/// A member counts as taking part if they checked in this many days back.
const ACTIVE_DAYS: i64 = 7;

/// When the last exercise's pace runs out, local time (may pass midnight,
/// which `group setup` refuses).
pub fn session_end(start: NaiveTime, pace_minutes: u32, exercises: usize) -> (NaiveTime, bool) {
    let length = Duration::minutes(i64::from(pace_minutes) * exercises as i64);
    let (end, wrapped) = start.overflowing_add_signed(length);
    (end, wrapped != 0)
}

/// The nudge's local time: an hour before the summary, but not before the
/// routine has been posted.
pub fn nudge_time(
    start: NaiveTime,
    pace_minutes: u32,
    summary: NaiveTime,
    exercises: usize,
) -> NaiveTime {
    let (end, _) = session_end(start, pace_minutes, exercises);
    match summary.overflowing_sub_signed(NUDGE_LEAD) {
        (before, 0) => before.max(end),
        // A summary just after midnight: an hour earlier is the day before.
        _ => end,
    }
}

pub fn nudge_schedule(group: &Group, exercises: usize) -> Schedule {
    let time = nudge_time(
        group.schedule.time(),
        group.pace_minutes,
        group.summary_time,
        exercises,
    );
    Schedule::new(time, group.schedule.days(), group.schedule.zone())
}

/// Starts (or records as missed) every session of the group up to `now`.
pub fn start_due(
    c: &dyn Conn,
    rules: &SessionRules<'_>,
    group: &Group,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(next_at) = group.next_run_at else {
        return Ok(());
    };
    let (due, next_at) = due_occurrences(&group.schedule, next_at, rules.grace, now);
    for (i, occurrence) in due.iter().enumerate() {
        let rests = groups::is_rest_day(c, group.id, occurrence.local_date)?;
        let status = status_of(rests, i, due.len(), occurrence, rules.grace, now);
        record_occurrence(c, rules.content, group, occurrence, status, now)?;
    }
    groups::set_next(c, group.id, Event::Session, Some(next_at))
}

fn record_occurrence(
    c: &dyn Conn,
    content: &Content,
    group: &Group,
    occurrence: &Occurrence,
    status: Status,
    now: DateTime<Utc>,
) -> Result<()> {
    let routine = routine(content, &group.routine_id)?;
    // Everyone starts from the low end; members scale up on their own.
    let loads = coaching::loads(routine, std::iter::empty());
    let occasion = Occasion {
        owner: Owner::Group(group.id),
        routine,
        occurrence,
        status,
        loads: &loads,
        to: Audience::channel(group),
        pace_minutes: group.pace_minutes,
        first_at: now,
    };
    record(c, content, occasion, now, |_| {
        Ok(render::group_opening(
            group.language,
            in_language(content, group.language, routine),
            occurrence.local_date,
            &loads,
            group.pace_minutes,
            group.summary_time,
        ))
    })
}

/// A member of a group with their record there.
#[derive(Debug, Clone)]
pub struct Standing {
    pub user: User,
    pub streak: Streak,
    pub history: History,
}

/// What a group's standings are made of, read in three queries however
/// many members it has; ranking them needs no database.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    sessions: Vec<Session>,
    check_ins: BTreeMap<i64, BTreeMap<i64, check_ins::SessionCheckIns>>,
    members: Vec<User>,
}

impl GroupRecord {
    pub fn load(c: &dyn Conn, group: &Group) -> Result<GroupRecord> {
        Ok(GroupRecord {
            sessions: sessions::for_owner(c, Owner::Group(group.id))?,
            check_ins: check_ins::by_user_for_group(c, group.id)?,
            members: users::in_group(c, group.id)?,
        })
    }
}

/// The group's present members, ordered for the leaderboard: current
/// streak, then best streak, then name, then who joined first — so equal
/// records always come out in the same order.
pub fn standings(c: &dyn Conn, content: &Content, group: &Group) -> Result<Vec<Standing>> {
    Ok(rank(content, GroupRecord::load(c, group)?))
}

/// [`standings`] from a record already read.
pub fn rank(content: &Content, record: GroupRecord) -> Vec<Standing> {
    let GroupRecord {
        sessions,
        mut check_ins,
        members,
    } = record;
    let sessions: std::sync::Arc<[Session]> = sessions.into();
    let mut standings: Vec<Standing> = members
        .into_iter()
        .map(|user| {
            let history = History {
                sessions: sessions.clone(),
                check_ins: check_ins.remove(&user.id).unwrap_or_default(),
                pain_scores: Default::default(),
            };
            Standing {
                streak: history.streak(content),
                user,
                history,
            }
        })
        .collect();
    // `in_group` lists by join order, and the sort is stable.
    standings.sort_by(|a, b| {
        b.streak
            .current
            .cmp(&a.streak.current)
            .then(b.streak.best.cmp(&a.streak.best))
            .then_with(|| {
                a.user
                    .display_name
                    .to_lowercase()
                    .cmp(&b.user.display_name.to_lowercase())
            })
    });
    standings
}

fn checked_in_between(standing: &Standing, from: NaiveDate, to: NaiveDate) -> bool {
    standing
        .history
        .sessions
        .iter()
        .filter(|s| s.local_date >= from && s.local_date <= to)
        .any(|s| !standing.history.check_ins_of(s.id).is_empty())
}

/// Whether a due instant is still worth acting on (not stale after downtime).
fn fresh(at: DateTime<Utc>, grace: Duration, now: DateTime<Utc>) -> bool {
    now - at <= grace.max(super::sessions::MIN_GRACE)
}

/// Mentions, once, the members who took part in the last week but have not
/// checked in today — if the group has nudges on.
pub fn nudge_due(
    c: &dyn Conn,
    rules: &SessionRules<'_>,
    group: &Group,
    conventions: &Conventions,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(at) = group.next_nudge_at else {
        return Ok(());
    };
    let exercises = routine(rules.content, &group.routine_id)?.exercises.len();
    let schedule = nudge_schedule(group, exercises);
    let date = schedule.local(at).date_naive();
    if group.nudges
        && fresh(at, rules.grace, now)
        && let Some(session) = started_on(c, group, date)?
    {
        let standings = standings(c, rules.content, group)?;
        let quiet = quiet_members(&standings, &session, date);
        // Several messages for a big group: a chat message has a length limit.
        for (part, members) in quiet.chunks(MENTIONS_PER_NUDGE).enumerate() {
            let nudge = render::nudge(group.language, members, group.summary_time, conventions);
            let part = Some(part as u32 + 1);
            post(c, group, &session, Kind::Nudge, part, nudge, now)?;
        }
    }
    let next = schedule.next_after(now.max(at)).map(|o| o.at);
    groups::set_next(c, group.id, Event::Nudge, next)
}

/// Members who took part in the week before `date`, have not checked in on
/// `session`, and did not opt out of nudges.
fn quiet_members<'a>(
    standings: &'a [Standing],
    session: &Session,
    date: NaiveDate,
) -> Vec<&'a User> {
    let week_before = date - Duration::days(ACTIVE_DAYS);
    standings
        .iter()
        .filter(|s| !s.user.nudges_off)
        .filter(|s| s.history.check_ins_of(session.id).is_empty())
        .filter(|s| checked_in_between(s, week_before, date - Duration::days(1)))
        .map(|s| &s.user)
        .collect()
}

/// The group's session on `date`, if it started.
fn started_on(c: &dyn Conn, group: &Group, date: NaiveDate) -> Result<Option<Session>> {
    Ok(sessions::on_date(c, Owner::Group(group.id), date)?
        .filter(|s| matches!(s.status, Status::Running | Status::Finished)))
}

/// Writes a post for the group's channel, tied to the day's session, and
/// whom it names.
fn post(
    c: &dyn Conn,
    group: &Group,
    session: &Session,
    kind: Kind,
    part: Option<u32>,
    post: render::Rendered,
    now: DateTime<Utc>,
) -> Result<()> {
    let to = Audience::channel(group);
    let key = delivery_key(session, &to, kind, part);
    enqueue(
        c,
        session,
        &to,
        SessionMessage {
            kind,
            step: part,
            priority: priority::LATER,
            message: post.message,
            reactions: Vec::new(),
        },
        now,
    )?;
    post_names::record(c, &key, &post.named)
}

/// Posts the day's summary: who checked in on what, streaks, and the
/// group's completion against the week before.
pub fn summary_due(
    c: &dyn Conn,
    rules: &SessionRules<'_>,
    group: &Group,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(at) = group.next_summary_at else {
        return Ok(());
    };
    let schedule = group.summary_schedule();
    let date = schedule.local(at).date_naive();
    if fresh(at, rules.grace, now)
        && let Some(session) = started_on(c, group, date)?
        && let Some(mut summary) = summary(c, rules.content, group, &session, date)?
    {
        // A rest day is announced the evening before.
        let tomorrow = date + Duration::days(1);
        if groups::is_rest_day(c, group.id, tomorrow)? {
            let notice = render::rest_day_notice(group.language, tomorrow);
            summary.message.body.push_str(&format!("\n\n{notice}"));
        }
        post(c, group, &session, Kind::Summary, None, summary, now)?;
    }
    let next = schedule.next_after(now.max(at)).map(|o| o.at);
    groups::set_next(c, group.id, Event::Summary, next)
}

/// The summary of `session`, or none if nobody has ever taken part (no
/// daily "nobody checked in" noise in a channel that never used the group).
fn summary(
    c: &dyn Conn,
    content: &Content,
    group: &Group,
    session: &Session,
    date: NaiveDate,
) -> Result<Option<render::Rendered>> {
    let exercises = routine(content, &group.routine_id)?.exercises.len();
    let standings = standings(c, content, group)?;
    if standings.is_empty() {
        return Ok(None);
    }
    let mut checked_in = Vec::new();
    let mut not_yet = Vec::new();
    let week_before = date - Duration::days(ACTIVE_DAYS);
    for standing in &standings {
        let today = standing.history.check_ins_of(session.id);
        if !today.is_empty() {
            checked_in.push(render::SummaryLine {
                user_id: standing.user.id,
                name: standing.user.display_name.clone(),
                check_ins: today.clone(),
                streak: standing.streak,
            });
        } else if checked_in_between(standing, week_before, date) {
            not_yet.push((standing.user.id, standing.user.display_name.clone()));
        }
    }
    let this_week = completion(
        standings.iter().map(|s| &s.history),
        exercises,
        date - Duration::days(6),
        date,
    );
    let last_week = completion(
        standings.iter().map(|s| &s.history),
        exercises,
        date - Duration::days(13),
        date - Duration::days(7),
    );
    Ok(Some(render::group_summary(
        group.language,
        date,
        &checked_in,
        &not_yet,
        this_week,
        last_week,
    )))
}

/// The leaderboard shows this many members (an embed or a notice stays readable).
pub const LEADERBOARD_SIZE: usize = 20;

/// Whose membership a refresh asks the platform about.
#[derive(Debug, Clone, Copy)]
pub enum Whom {
    /// Down the leaderboard until this many are confirmed present.
    Top(usize),
    /// Those with a check-in on a session dated on or after this day: who a
    /// nudge or summary may name.
    ActiveSince(NaiveDate),
}

/// The members a check of `whom` asks the platform about, in leaderboard
/// order.
pub(super) fn members_to_check(
    c: &dyn Conn,
    content: &Content,
    group: &Group,
    whom: Whom,
) -> Result<Vec<User>> {
    Ok(standings(c, content, group)?
        .into_iter()
        .filter(|s| match whom {
            Whom::Top(_) => true,
            Whom::ActiveSince(since) => checked_in_between(s, since, NaiveDate::MAX),
        })
        .map(|s| s.user)
        .collect())
}

/// Runs `work` for one group's due `event` in its own transaction. A group
/// whose data is broken (say its routine left the content folder) is logged
/// and moved on to its next day, so it holds up nobody else and the engine
/// does not keep waking for it.
fn for_group(
    c: &dyn Conn,
    group: &Group,
    event: Event,
    now: DateTime<Utc>,
    work: impl FnOnce(&dyn Conn) -> Result<()>,
) -> Result<()> {
    let tx = c.transaction()?;
    // Another replica may have done it since the group was read.
    let Some(due) = group.next_at(event) else {
        return Ok(());
    };
    if !groups::claim(&tx, group.id, event, due)? {
        return Ok(());
    }
    match work(&tx) {
        Ok(()) => tx.commit()?,
        // Tried again by the next pass, within the grace window.
        Err(error) if error.is_transient() => return Err(error),
        Err(error) => {
            drop(tx);
            give_up_until_next_time(c, group, event, now, &error)?;
        }
    }
    Ok(())
}

/// Work of `event` that cannot be done for `group` now is logged and moved
/// to its next time, so it neither stops the other groups nor spins.
fn give_up_until_next_time(
    c: &dyn Conn,
    group: &Group,
    event: Event,
    now: DateTime<Utc>,
    error: &crate::store::StoreError,
) -> Result<()> {
    tracing::error!(
        group = group.id,
        ?event,
        "group work failed; trying again on its next day: {error}"
    );
    if let Some(at) = group.next_at(event) {
        let schedule = Schedule::new(
            group.schedule.local(at).time(),
            group.schedule.days(),
            group.schedule.zone(),
        );
        groups::set_next(c, group.id, event, schedule.next_after(now).map(|o| o.at))?;
    }
    Ok(())
}

impl Engine {
    /// Starts group sessions, then sends due nudges and summaries. Each
    /// group on its own: one that cannot be read is set aside, one whose
    /// work fails is logged, and the others go on; a passing failure (the
    /// database busy) fails the pass, which retries it without losing the day.
    pub(super) async fn run_group_events(&self) -> Result<()> {
        let platforms = self.platform_names();
        let now = self.now();
        let content = self.content();
        let grace = self.settings().grace;
        let names = platforms.clone();
        let (posts, set_aside) = self
            .db()
            .call(move |c| {
                let rules = SessionRules {
                    content: &content,
                    grace,
                };
                let (sessions, mut set_aside) = groups::due(c, Event::Session, now, &names)?;
                for group in sessions {
                    for_group(c, &group, Event::Session, now, |c| {
                        start_due(c, &rules, &group, now)
                    })?;
                }
                let mut posts = Vec::new();
                for event in [Event::Nudge, Event::Summary] {
                    let (due, aside) = groups::due(c, event, now, &names)?;
                    set_aside.extend(aside);
                    posts.extend(due.into_iter().map(|group| (event, group)));
                }
                Ok((posts, set_aside))
            })
            .await?;
        for _ in &set_aside {
            self.telemetry().metrics.group_set_aside();
        }
        for (event, group) in posts {
            match self.post_group_event(event, group.clone(), now).await {
                Err(error) if !error.is_transient() => {
                    self.db()
                        .call(move |c| give_up_until_next_time(c, &group, event, now, &error))
                        .await?;
                }
                outcome => outcome?,
            }
        }
        Ok(())
    }

    /// A due nudge or summary, after asking the platform who is still there.
    async fn post_group_event(&self, event: Event, group: Group, now: DateTime<Utc>) -> Result<()> {
        let grace = self.settings().grace;
        let at = group.next_at(event);
        // Who left is asked of the platform before anyone is named; until
        // that is known the post waits, and the pass goes on without it.
        let names_someone = event == Event::Summary || group.nudges;
        if let Some(at) = at.filter(|at| names_someone && fresh(*at, grace, now)) {
            let date = group.schedule.local(at).date_naive();
            let since = date - Duration::days(ACTIVE_DAYS);
            if !self.membership_is_current(group.id, Whom::ActiveSince(since)) {
                return Ok(());
            }
        }
        let content = self.content();
        let conventions = self.conventions(&group.platform);
        self.db()
            .call(move |c| {
                let group = groups::get(c, group.id)?;
                let rules = SessionRules {
                    content: &content,
                    grace,
                };
                match event {
                    Event::Nudge => for_group(c, &group, event, now, |c| {
                        nudge_due(c, &rules, &group, conventions, now)
                    }),
                    _ => for_group(c, &group, event, now, |c| {
                        summary_due(c, &rules, &group, now)
                    }),
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap_or(NaiveTime::MIN)
    }

    #[test]
    fn the_nudge_comes_an_hour_before_the_summary_but_after_the_routine() {
        let at = |start, summary| nudge_time(time(start), 3, time(summary), 5);
        assert_eq!(at("07:00", "21:00"), time("20:00"));
        // The routine ends at 20:15: no nudge before it.
        assert_eq!(at("20:00", "20:45"), time("20:15"));
        // A summary just after midnight: an hour before is yesterday.
        assert_eq!(at("00:00", "00:45"), time("00:15"));
    }

    #[test]
    fn a_session_end_past_midnight_is_flagged() {
        assert_eq!(session_end(time("23:50"), 3, 5), (time("00:05"), true));
        assert_eq!(session_end(time("07:00"), 3, 5), (time("07:15"), false));
    }
}
