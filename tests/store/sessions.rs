//! `store::sessions` does the same on SQLite and PostgreSQL: a day's
//! session recorded once per owner, paced, found, ended, set aside when it
//! cannot be read, and missed (and told) when its first message never went.
#![cfg(feature = "postgres")]

use chrono::{DateTime, NaiveDate, Utc};
use upright::store::StoreError;
use upright::store::sessions::{
    MissedBecause, NewSession, Owner, Session, Status, due_steps, for_owner, get, insert,
    latest_started, miss_if_unanswered, miss_undelivered, next_step_due_at, on_date, set_aside,
    set_progress, stop_running, supersede,
};
use upright::store::sql::{Conn, ConnExt, Value};

use crate::Engines;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// A row's id, made by the database.
fn returning_id(c: &dyn Conn, sql: &str, params: &[Value<'_>]) -> i64 {
    c.query_opt(sql, params, |row| row.int(0)).unwrap().unwrap()
}

/// A member with a subscription, and a group; their ids.
fn owners(c: &dyn Conn) -> (i64, i64, i64) {
    let user = returning_id(
        c,
        "INSERT INTO users (platform, platform_user_id, created_at)
         VALUES ('fake', 'ana', 0) RETURNING id",
        &[],
    );
    let subscription = returning_id(
        c,
        "INSERT INTO subscriptions (user_id, routine_id, cron, timezone, pace_minutes, state,
                                    created_at, updated_at)
         VALUES (?1, 'upper-back', '0 0 7 * * *', 'UTC', 5, 'active', 0, 0) RETURNING id",
        &[Value::Int(user)],
    );
    let group = returning_id(
        c,
        "INSERT INTO groups (platform, channel_id, routine_id, cron, timezone, pace_minutes,
                             summary_time, created_at)
         VALUES ('fake', 'room-1', 'upper-back', '0 0 7 * * *', 'UTC', 5, '20:00', 0)
         RETURNING id",
        &[],
    );
    (user, subscription, group)
}

fn new_session<'a>(owner: Owner, date: &str, status: Status, loads: &'a [u32]) -> NewSession<'a> {
    NewSession {
        owner,
        routine_id: "upper-back",
        local_date: day(date),
        scheduled_at: at(1_800_000_000),
        started_at: Some(at(1_800_000_000)),
        status,
        loads,
        current_step: 0,
        next_step_at: None,
        missed_because: None,
    }
}

fn ids(sessions: &[Session]) -> Vec<i64> {
    sessions.iter().map(|s| s.id).collect()
}

fn text_of(c: &dyn Conn, sql: &str, id: i64) -> Option<String> {
    c.query_opt(sql, &[Value::Int(id)], |row| row.opt_text(0))
        .unwrap()
        .flatten()
}

#[test]
fn sessions_are_recorded_paced_and_ended_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let (_, subscription, group) = owners(c);
        let member = Owner::Subscription(subscription);
        let team = Owner::Group(group);

        // One session per owner and day.
        let inserted = insert(
            c,
            &new_session(member, "2027-05-03", Status::Running, &[10, 0, 8]),
        )
        .unwrap()
        .unwrap();
        let first = inserted.id;
        assert_eq!(
            insert(c, &new_session(member, "2027-05-03", Status::Running, &[1])).unwrap(),
            None,
            "{engine}: a second session on the same day"
        );
        // A session is stored with where it stands from the start.
        let mut paced_from_start = new_session(member, "2027-05-04", Status::Running, &[10]);
        paced_from_start.current_step = 1;
        paced_from_start.next_step_at = Some(at(1_800_000_300));
        let second = insert(c, &paced_from_start).unwrap().unwrap();
        assert_eq!(
            (second.current_step, second.next_step_at),
            (1, Some(at(1_800_000_300))),
            "{engine}"
        );
        let second = second.id;
        let mut missed = new_session(team, "2027-05-03", Status::Missed, &[]);
        missed.started_at = None;
        missed.scheduled_at = at(1_799_999_000);
        let group_first = insert(c, &missed).unwrap().unwrap().id;
        let group_second = insert(c, &new_session(team, "2027-05-04", Status::Running, &[5]))
            .unwrap()
            .unwrap()
            .id;

        let read = get(c, first).unwrap();
        assert_eq!(
            read,
            Session {
                id: first,
                subscription_id: Some(subscription),
                group_id: None,
                routine_id: "upper-back".to_string(),
                local_date: day("2027-05-03"),
                scheduled_at: at(1_800_000_000),
                status: Status::Running,
                current_step: 0,
                next_step_at: None,
                loads: vec![10, 0, 8],
            },
            "{engine}"
        );
        assert_eq!(
            inserted, read,
            "{engine}: insert gives back the row as stored"
        );
        assert_eq!(read.owner().unwrap(), member, "{engine}");
        let group_read = get(c, group_first).unwrap();
        assert_eq!(group_read.owner().unwrap(), team, "{engine}");
        assert_eq!(group_read.status, Status::Missed, "{engine}");
        assert!(group_read.loads.is_empty(), "{engine}");
        assert!(
            get(c, group_second + 100).is_err(),
            "{engine}: no such session"
        );
        assert_eq!(
            get(c, group_first).unwrap().scheduled_at,
            at(1_799_999_000),
            "{engine}"
        );

        // Pacing: what is due, and when the next step is.
        assert_eq!(
            next_step_due_at(c).unwrap(),
            Some(at(1_800_000_300)),
            "{engine}: only the session paced from its start"
        );
        set_progress(c, first, 2, Some(at(1_800_000_600)), Status::Running).unwrap();
        let paced = get(c, first).unwrap();
        assert_eq!(
            (paced.current_step, paced.next_step_at),
            (2, Some(at(1_800_000_600))),
            "{engine}"
        );
        assert_eq!(
            next_step_due_at(c).unwrap(),
            Some(at(1_800_000_300)),
            "{engine}"
        );
        assert!(
            due_steps(c, at(1_800_000_299), 10).unwrap().is_empty(),
            "{engine}"
        );
        assert_eq!(
            ids(&due_steps(c, at(1_800_000_300), 10).unwrap()),
            [second],
            "{engine}"
        );
        assert_eq!(
            ids(&due_steps(c, at(1_800_001_000), 10).unwrap()),
            [second, first],
            "{engine}: earliest first"
        );
        assert_eq!(
            ids(&due_steps(c, at(1_800_001_000), 1).unwrap()),
            [second],
            "{engine}"
        );

        // A session that cannot be read is set aside, the others still come due.
        set_progress(c, group_second, 1, Some(at(1_800_000_100)), Status::Running).unwrap();
        c.execute(
            "UPDATE sessions SET loads = 'not json' WHERE id = ?1",
            &[Value::Int(group_second)],
        )
        .unwrap();
        assert_eq!(
            ids(&due_steps(c, at(1_800_001_000), 10).unwrap()),
            [second, first],
            "{engine}: the unreadable one left out"
        );
        assert_eq!(
            text_of(c, "SELECT status FROM sessions WHERE id = ?1", group_second).as_deref(),
            Some("failed"),
            "{engine}"
        );
        assert_eq!(
            next_step_due_at(c).unwrap(),
            Some(at(1_800_000_300)),
            "{engine}: no longer due"
        );
        c.execute(
            "UPDATE sessions SET loads = '[5]' WHERE id = ?1",
            &[Value::Int(group_second)],
        )
        .unwrap();
        set_progress(c, group_second, 1, Some(at(1_800_000_100)), Status::Running).unwrap();
        set_aside(c, group_second, &StoreError::Corrupt("test".to_string())).unwrap();
        let aside = get(c, group_second).unwrap();
        assert_eq!(
            (aside.status, aside.next_step_at),
            (Status::Failed, None),
            "{engine}"
        );

        // Finding an owner's sessions.
        assert_eq!(
            ids(&for_owner(c, member).unwrap()),
            [first, second],
            "{engine}"
        );
        assert_eq!(
            ids(&for_owner(c, team).unwrap()),
            [group_first, group_second],
            "{engine}"
        );
        assert_eq!(
            on_date(c, member, day("2027-05-04")).unwrap().map(|s| s.id),
            Some(second),
            "{engine}"
        );
        assert_eq!(
            on_date(c, team, day("2027-05-03")).unwrap().map(|s| s.id),
            Some(group_first),
            "{engine}"
        );
        assert_eq!(
            on_date(c, member, day("2027-05-05")).unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(
            latest_started(c, member).unwrap().map(|s| s.id),
            Some(second),
            "{engine}"
        );
        assert_eq!(
            latest_started(c, team).unwrap(),
            None,
            "{engine}: missed and failed never started"
        );

        // A new session takes over: the running one before it ends.
        assert_eq!(supersede(c, member, second).unwrap(), [], "{engine}");
        let (ended, kept) = (get(c, first).unwrap(), get(c, second).unwrap());
        assert_eq!(
            (ended.status, ended.next_step_at),
            (Status::Finished, None),
            "{engine}"
        );
        assert_eq!(
            (kept.status, kept.next_step_at),
            (Status::Running, Some(at(1_800_000_300))),
            "{engine}"
        );
        assert_eq!(
            latest_started(c, member).unwrap().map(|s| s.id),
            Some(second),
            "{engine}"
        );
        stop_running(c, member, Status::Skipped).unwrap();
        let stopped = get(c, second).unwrap();
        assert_eq!(
            (stopped.status, stopped.next_step_at),
            (Status::Skipped, None),
            "{engine}"
        );
        assert_eq!(
            get(c, first).unwrap().status,
            Status::Finished,
            "{engine}: only running ones"
        );
        assert_eq!(
            latest_started(c, member).unwrap().map(|s| s.id),
            Some(first),
            "{engine}"
        );
        assert_eq!(next_step_due_at(c).unwrap(), None, "{engine}");
    }
}

#[test]
fn sessions_are_missed_and_told_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let (user, subscription, group) = owners(c);
        let member = Owner::Subscription(subscription);
        let session = |date: &str, status| {
            insert(c, &new_session(member, date, status, &[10]))
                .unwrap()
                .unwrap()
                .id
        };
        let finished = session("2027-05-03", Status::Finished);
        let checked_in = session("2027-05-04", Status::Finished);
        let lost = session("2027-05-05", Status::Running);
        let recent = session("2027-05-06", Status::Running);
        let telling = session("2027-05-07", Status::Running);
        let skipped = session("2027-05-08", Status::Skipped);
        c.execute(
            "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
             VALUES (?1, 1, ?2, 'done', 0)",
            &[Value::Int(checked_in), Value::Int(user)],
        )
        .unwrap();
        for (key, id, created) in [("lost", lost, 100), ("recent", recent, 300)] {
            c.execute(
                "INSERT INTO deliveries (idempotency_key, platform, user_id, session_id, kind, step,
                 priority, body, state, due_at, created_at)
                 VALUES (?1, 'fake', ?2, ?3, 'exercise', 1, 0, '{}', 'pending', 0, ?4)",
                &[
                    Value::Text(key),
                    Value::Int(user),
                    Value::Int(id),
                    Value::Int(created),
                ],
            )
            .unwrap();
        }

        // Given up on: missed, unless someone checked in anyway.
        miss_if_unanswered(c, finished, MissedBecause::Unreachable).unwrap();
        miss_if_unanswered(c, checked_in, MissedBecause::Unreachable).unwrap();
        miss_if_unanswered(c, skipped, MissedBecause::Unreachable).unwrap();
        assert_eq!(get(c, finished).unwrap().status, Status::Missed, "{engine}");
        assert_eq!(
            get(c, checked_in).unwrap().status,
            Status::Finished,
            "{engine}"
        );
        assert_eq!(get(c, skipped).unwrap().status, Status::Skipped, "{engine}");
        // First messages older than the cutoff that never went.
        miss_undelivered(c, at(200)).unwrap();
        assert_eq!(get(c, lost).unwrap().status, Status::Missed, "{engine}");
        assert_eq!(get(c, recent).unwrap().status, Status::Running, "{engine}");
        assert_eq!(
            text_of(c, "SELECT missed_reason FROM sessions WHERE id = ?1", lost).as_deref(),
            Some("unreachable"),
            "{engine}"
        );

        // Told once, in the session that takes over; the running one ends.
        assert_eq!(
            supersede(c, member, telling).unwrap(),
            [
                (day("2027-05-03"), MissedBecause::Unreachable),
                (day("2027-05-05"), MissedBecause::Unreachable),
            ],
            "{engine}"
        );
        let ended = get(c, recent).unwrap();
        assert_eq!(
            (ended.status, ended.next_step_at),
            (Status::Finished, None),
            "{engine}"
        );
        assert_eq!(get(c, telling).unwrap().status, Status::Running, "{engine}");
        assert!(
            supersede(c, member, recent).unwrap().is_empty(),
            "{engine}: already told"
        );
        // The telling session's own message was lost: told again next time.
        miss_if_unanswered(c, telling, MissedBecause::Offline).unwrap();
        c.execute(
            "UPDATE sessions SET status = 'missed', missed_reason = NULL WHERE id = ?1",
            &[Value::Int(skipped)],
        )
        .unwrap();
        assert_eq!(
            supersede(c, member, recent).unwrap(),
            [
                (day("2027-05-03"), MissedBecause::Unreachable),
                (day("2027-05-05"), MissedBecause::Unreachable),
                (day("2027-05-07"), MissedBecause::Offline),
                (day("2027-05-08"), MissedBecause::Offline),
            ],
            "{engine}: a missing reason reads as offline"
        );

        // A group's session is stored missed with its reason; a group's
        // missed days are not told, its running session still ends.
        let mut for_group = new_session(Owner::Group(group), "2027-05-03", Status::Missed, &[]);
        for_group.started_at = None;
        for_group.missed_because = Some(MissedBecause::Unreachable);
        let group_session = insert(c, &for_group).unwrap().unwrap().id;
        assert_eq!(
            text_of(
                c,
                "SELECT missed_reason FROM sessions WHERE id = ?1",
                group_session
            )
            .as_deref(),
            Some("unreachable"),
            "{engine}"
        );
        let running = new_session(Owner::Group(group), "2027-05-04", Status::Running, &[5]);
        let running = insert(c, &running).unwrap().unwrap().id;
        let taking_over = new_session(Owner::Group(group), "2027-05-05", Status::Running, &[5]);
        let taking_over = insert(c, &taking_over).unwrap().unwrap().id;
        assert!(
            supersede(c, Owner::Group(group), taking_over)
                .unwrap()
                .is_empty(),
            "{engine}"
        );
        assert_eq!(
            get(c, running).unwrap().status,
            Status::Finished,
            "{engine}"
        );
        assert_eq!(
            text_of(
                c,
                "SELECT CAST(missed_told_in AS TEXT) FROM sessions WHERE id = ?1",
                group_session
            ),
            None,
            "{engine}"
        );
    }
}
