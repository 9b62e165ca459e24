//! Accountability groups (`store::groups`) do the same on SQLite and
//! PostgreSQL.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use upright::schedule::Schedule;
use upright::store::groups::{self, Event, Setup};
use upright::store::sql::{Conn, ConnExt, Value};

use crate::Engines;

const T: i64 = 1_800_000_000;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn list(platforms: &[&str]) -> Vec<String> {
    platforms.iter().map(|p| p.to_string()).collect()
}

fn ids(groups: &[groups::Group]) -> Vec<i64> {
    groups.iter().map(|g| g.id).collect()
}

fn count(c: &dyn Conn, sql: &str, params: &[Value<'_>]) -> i64 {
    c.query_opt(sql, params, |row| row.int(0)).unwrap().unwrap()
}

/// Set up, read, scheduled, found due, set aside and turned off: the same
/// on both.
#[test]
fn groups_are_set_up_and_found_due_alike_on_both_engines() {
    let engines = Engines::start();
    let berlin = Schedule::from_stored("0 30 7 * * Mon-Fri", "Europe/Berlin").unwrap();
    let daily = Schedule::from_stored("0 0 9 * * *", "UTC").unwrap();
    let eight_pm = NaiveTime::from_hms_opt(20, 0, 0).unwrap();
    for (engine, c) in engines.each() {
        let setup = |platform, channel_id, schedule, pace_minutes, next: [i64; 3]| Setup {
            platform,
            channel_id,
            routine_id: "desk",
            schedule,
            pace_minutes,
            summary_time: eight_pm,
            next_run_at: Some(at(next[0])),
            next_nudge_at: Some(at(next[1])),
            next_summary_at: Some(at(next[2])),
            language: Default::default(),
        };
        let room = groups::set_up(
            c,
            &setup("matrix", "!room", &daily, 3, [T, T + 600, T + 3600]),
            at(T - 100),
        )
        .unwrap();
        assert_eq!(
            (room.platform.as_str(), room.channel_id.as_str()),
            ("matrix", "!room"),
            "{engine}"
        );
        assert_eq!(room.routine_id, "desk", "{engine}");
        assert_eq!(room.pace_minutes, 3, "{engine}");
        assert_eq!(room.summary_time, eight_pm, "{engine}");
        assert_eq!(room.schedule.cron_expression(), "0 0 9 * * *", "{engine}");
        assert!(!room.nudges && room.active, "{engine}");
        assert_eq!(
            (room.next_run_at, room.next_nudge_at, room.next_summary_at),
            (Some(at(T)), Some(at(T + 600)), Some(at(T + 3600))),
            "{engine}"
        );

        // Nudges chosen, then the group set up again: same group, new
        // schedule, the nudge choice kept.
        groups::set_nudges(c, room.id, true).unwrap();
        assert!(groups::get(c, room.id).unwrap().nudges, "{engine}");
        let again = groups::set_up(
            c,
            &setup("matrix", "!room", &berlin, 5, [T + 50, T + 650, T + 3650]),
            at(T),
        )
        .unwrap();
        assert_eq!(again.id, room.id, "{engine}");
        assert_eq!(again.pace_minutes, 5, "{engine}");
        assert_eq!(again.schedule.zone().name(), "Europe/Berlin", "{engine}");
        assert_eq!(
            again.schedule.cron_expression(),
            "0 30 7 * * Mon-Fri",
            "{engine}"
        );
        assert!(again.nudges && again.active, "{engine}");
        assert_eq!(again.next_run_at, Some(at(T + 50)), "{engine}");
        groups::set_nudges(c, room.id, false).unwrap();
        assert!(!groups::get(c, room.id).unwrap().nudges, "{engine}");

        let channel = groups::set_up(
            c,
            &setup("discord", "42", &daily, 3, [T + 10, T + 20, T + 30]),
            at(T),
        )
        .unwrap();
        assert_ne!(channel.id, room.id, "{engine}");
        let found = groups::for_channel(c, "discord", "42").unwrap();
        assert_eq!(found.map(|g| g.id), Some(channel.id), "{engine}");
        assert!(
            groups::for_channel(c, "matrix", "42").unwrap().is_none(),
            "{engine}"
        );
        assert!(groups::get(c, channel.id + 1000).is_err(), "{engine}");

        // Due by event, on the running platforms only, in time order.
        let both = list(&["matrix", "discord"]);
        let due = |event, now| {
            let (due, set_aside) = groups::due(c, event, at(now), &both).unwrap();
            assert!(set_aside.is_empty(), "{engine}");
            ids(&due)
        };
        assert_eq!(due(Event::Session, T + 100), [channel.id, room.id]);
        assert_eq!(due(Event::Session, T + 10), [channel.id], "{engine}");
        assert_eq!(due(Event::Nudge, T + 100), [channel.id], "{engine}");
        assert_eq!(due(Event::Summary, T + 3650), [channel.id, room.id]);
        let (only_matrix, _) =
            groups::due(c, Event::Session, at(T + 100), &list(&["matrix"])).unwrap();
        assert_eq!(ids(&only_matrix), [room.id], "{engine}");
        assert!(
            groups::due(c, Event::Session, at(T + 100), &[])
                .unwrap()
                .0
                .is_empty(),
            "{engine}"
        );

        // The earliest work, with waiting groups' nudges and summaries left out.
        assert_eq!(
            groups::next_due_at(c, &both, &[]).unwrap(),
            Some(at(T + 10)),
            "{engine}"
        );
        groups::set_next(c, channel.id, Event::Session, None).unwrap();
        assert_eq!(
            groups::next_due_at(c, &both, &[]).unwrap(),
            Some(at(T + 20)),
            "{engine}: the nudge"
        );
        assert_eq!(
            groups::next_due_at(c, &both, &[channel.id]).unwrap(),
            Some(at(T + 50)),
            "{engine}: the other group's session"
        );
        assert_eq!(
            groups::next_due_at(c, &both, &[channel.id, room.id]).unwrap(),
            Some(at(T + 50)),
            "{engine}: sessions do not wait"
        );
        groups::set_next(c, room.id, Event::Session, Some(at(T + 86_400))).unwrap();
        assert_eq!(
            groups::next_due_at(c, &both, &[channel.id, room.id]).unwrap(),
            Some(at(T + 86_400)),
            "{engine}"
        );
        assert_eq!(
            groups::next_due_at(c, &list(&["discord"]), &[]).unwrap(),
            Some(at(T + 20)),
            "{engine}"
        );
        assert_eq!(
            groups::next_due_at(c, &list(&["console"]), &[]).unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(
            groups::get(c, room.id).unwrap().next_run_at,
            Some(at(T + 86_400)),
            "{engine}"
        );
        assert_eq!(
            groups::get(c, channel.id).unwrap().next_run_at,
            None,
            "{engine}"
        );

        // A group whose zone no longer reads is set aside: nothing more
        // scheduled, the day recorded missed (once), everyone else goes on.
        c.execute(
            "UPDATE groups SET timezone = 'Atlantis/Capital' WHERE id = ?1",
            &[Value::Int(room.id)],
        )
        .unwrap();
        assert!(groups::get(c, room.id).is_err(), "{engine}");
        let (due, set_aside) = groups::due(c, Event::Summary, at(T + 3650), &both).unwrap();
        assert_eq!(ids(&due), [channel.id], "{engine}");
        assert_eq!(set_aside, [room.id], "{engine}");
        let next = count(
            c,
            "SELECT COUNT(*) FROM groups WHERE id = ?1 AND next_run_at IS NULL
             AND next_nudge_at IS NULL AND next_summary_at IS NULL",
            &[Value::Int(room.id)],
        );
        assert_eq!(next, 1, "{engine}: nothing scheduled");
        let error = upright::store::StoreError::Corrupt("damaged".to_string());
        groups::set_aside(c, room.id, "desk", &error, at(T + 3700)).unwrap();
        let missed = c
            .query_all(
                "SELECT routine_id, local_date, scheduled_at, status, loads, started_at
                 FROM sessions WHERE group_id = ?1",
                &[Value::Int(room.id)],
                |row| {
                    Ok((
                        row.text(0)?,
                        row.text(1)?,
                        row.int(2)?,
                        row.text(3)?,
                        row.text(4)?,
                        row.opt_int(5)?,
                    ))
                },
            )
            .unwrap();
        let date = at(T + 3650).date_naive().to_string();
        assert_eq!(
            missed,
            [(
                "desk".to_string(),
                date,
                T + 3650,
                "missed".to_string(),
                "[]".to_string(),
                None
            )],
            "{engine}"
        );

        // Turned off: nothing scheduled, the group still there.
        groups::turn_off(c, channel.id).unwrap();
        let off = groups::get(c, channel.id).unwrap();
        assert!(!off.active, "{engine}");
        assert_eq!(
            (off.next_run_at, off.next_nudge_at, off.next_summary_at),
            (None, None, None),
            "{engine}"
        );
        assert_eq!(
            groups::next_due_at(c, &both, &[]).unwrap(),
            None,
            "{engine}"
        );
    }
}

/// Rest days and members: the same on both.
#[test]
fn group_rest_days_and_members_are_kept_alike_on_both_engines() {
    let engines = Engines::start();
    let daily = Schedule::from_stored("0 0 9 * * *", "UTC").unwrap();
    let day = |d| NaiveDate::from_ymd_opt(2027, 1, d).unwrap();
    for (engine, c) in engines.each() {
        let group = |channel_id| {
            let setup = Setup {
                platform: "matrix",
                channel_id,
                routine_id: "desk",
                schedule: &daily,
                pace_minutes: 3,
                summary_time: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                next_run_at: None,
                next_nudge_at: None,
                next_summary_at: None,
                language: Default::default(),
            };
            groups::set_up(c, &setup, at(T)).unwrap().id
        };
        let (room, other) = (group("!room"), group("!other"));

        groups::add_rest_days(c, room, &[day(4), day(5), day(4)]).unwrap();
        groups::add_rest_days(c, room, &[day(5)]).unwrap();
        groups::add_rest_days(c, room, &[]).unwrap();
        assert!(groups::is_rest_day(c, room, day(4)).unwrap(), "{engine}");
        assert!(groups::is_rest_day(c, room, day(5)).unwrap(), "{engine}");
        assert!(!groups::is_rest_day(c, room, day(6)).unwrap(), "{engine}");
        assert!(!groups::is_rest_day(c, other, day(4)).unwrap(), "{engine}");
        let rests = count(
            c,
            "SELECT COUNT(*) FROM group_rest_days WHERE group_id = ?1",
            &[Value::Int(room)],
        );
        assert_eq!(rests, 2, "{engine}");

        let ana = c
            .query_opt(
                "INSERT INTO users (platform, platform_user_id, created_at)
                 VALUES ('matrix', '@ana:example.org', 0) RETURNING id",
                &[],
                |row| row.int(0),
            )
            .unwrap()
            .unwrap();
        let shown = |group| {
            let all = groups::memberships(c, ana).unwrap();
            let membership = all
                .iter()
                .find(|m| m.channel == group)
                .expect("a membership");
            (
                membership.joined_at,
                membership.left_at,
                membership.name.clone(),
            )
        };
        assert!(groups::memberships(c, ana).unwrap().is_empty(), "{engine}");
        groups::join(c, room, ana, Some("Ana\u{202E}"), at(T)).unwrap();
        assert_eq!(
            shown("!room"),
            (T, None, Some("Ana".to_string())),
            "{engine}: the name cleaned"
        );
        // A join without a name keeps the one known.
        groups::join(c, room, ana, None, at(T + 10)).unwrap();
        assert_eq!(
            shown("!room"),
            (T, None, Some("Ana".to_string())),
            "{engine}"
        );
        groups::leave(c, room, ana, at(T + 20)).unwrap();
        groups::leave(c, room, ana, at(T + 30)).unwrap();
        assert_eq!(
            shown("!room"),
            (T, Some(T + 20), Some("Ana".to_string())),
            "{engine}: left once"
        );
        groups::join(c, room, ana, Some("Ana B"), at(T + 40)).unwrap();
        assert_eq!(
            shown("!room"),
            (T, None, Some("Ana B".to_string())),
            "{engine}: back, under a new name"
        );
        groups::join(c, other, ana, Some(""), at(T + 50)).unwrap();
        assert_eq!(shown("!other"), (T + 50, None, None), "{engine}");
        let channels: Vec<String> = groups::memberships(c, ana)
            .unwrap()
            .into_iter()
            .map(|m| m.channel)
            .collect();
        assert_eq!(channels, ["!room", "!other"], "{engine}");
    }
}
