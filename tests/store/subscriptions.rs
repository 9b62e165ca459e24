//! `store::subscriptions` alike on SQLite and PostgreSQL.

use chrono::NaiveTime;
use upright::schedule::{Schedule, Weekdays};
use upright::store::StoreError;
use upright::store::sql::{ConnExt, Value};
use upright::store::subscriptions::{self, State, Subscription};
use upright::store::users;

use crate::Engines;
use crate::users::{at, platforms};

fn ids(subscriptions: &[Subscription]) -> Vec<i64> {
    subscriptions.iter().map(|s| s.id).collect()
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
}

fn date(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

#[test]
fn subscriptions_are_kept_and_come_due_alike_on_both_engines() {
    let engines = Engines::start();
    let both = platforms(&["matrix", "discord"]);
    let matrix = platforms(&["matrix"]);
    let console = platforms(&["console"]);
    let berlin = Schedule::new(time(7, 30), Weekdays::WEEKDAYS, chrono_tz::Europe::Berlin);
    let tokyo = Schedule::new(time(6, 0), Weekdays::DAILY, chrono_tz::Asia::Tokyo);
    for (engine, c) in engines.each() {
        let ana = users::upsert(c, "matrix", "@ana:x", "Ana", at(0))
            .unwrap()
            .id;
        let ben = users::upsert(c, "discord", "42", "Ben", at(0)).unwrap().id;
        assert!(
            subscriptions::for_user(c, ana).unwrap().is_none(),
            "{engine}"
        );

        let made = subscriptions::upsert(c, ana, "upper-back", &berlin, 5, Some(at(1_000)), at(10))
            .unwrap();
        assert_eq!(
            (made.user_id, made.routine_id.as_str()),
            (ana, "upper-back"),
            "{engine}"
        );
        assert_eq!(
            made.schedule.cron_expression(),
            berlin.cron_expression(),
            "{engine}"
        );
        assert_eq!(made.schedule.zone(), chrono_tz::Europe::Berlin, "{engine}");
        assert_eq!(
            (made.pace_minutes, made.state),
            (5, State::Active),
            "{engine}"
        );
        assert_eq!(made.next_run_at, Some(at(1_000)), "{engine}");
        assert!(made.later.is_none() && made.followup.is_none(), "{engine}");
        let id = made.id;
        assert_eq!(
            subscriptions::for_user(c, ana).unwrap().map(|s| s.id),
            Some(id),
            "{engine}"
        );
        assert!(
            matches!(subscriptions::get(c, 99), Err(StoreError::Corrupt(_))),
            "{engine}"
        );

        subscriptions::set_state(
            c,
            id,
            State::Paused,
            Some(date("2026-05-04")),
            Some("your DMs are closed"),
            None,
            at(20),
        )
        .unwrap();
        subscriptions::set_skip_date(c, id, Some(date("2026-05-06"))).unwrap();
        let paused = subscriptions::get(c, id).unwrap();
        assert_eq!(paused.state, State::Paused, "{engine}");
        assert_eq!(paused.paused_until, Some(date("2026-05-04")), "{engine}");
        assert_eq!(
            paused.pause_reason.as_deref(),
            Some("your DMs are closed"),
            "{engine}"
        );
        assert_eq!(paused.skip_date, Some(date("2026-05-06")), "{engine}");
        assert_eq!(paused.next_run_at, None, "{engine}");
        subscriptions::set_skip_date(c, id, None).unwrap();
        assert_eq!(
            subscriptions::get(c, id).unwrap().skip_date,
            None,
            "{engine}"
        );

        // Subscribing again replaces it in place, active, the pause gone.
        subscriptions::set_skip_date(c, id, Some(date("2026-05-06"))).unwrap();
        let again =
            subscriptions::upsert(c, ana, "upper-back-2", &berlin, 7, Some(at(1_000)), at(30))
                .unwrap();
        assert_eq!(again.id, id, "{engine}");
        assert_eq!(
            (again.pace_minutes, again.state),
            (7, State::Active),
            "{engine}"
        );
        assert_eq!(again.routine_id, "upper-back-2", "{engine}");
        assert_eq!(
            (again.paused_until, again.pause_reason, again.skip_date),
            (None, None, None),
            "{engine}"
        );

        subscriptions::set_later(c, id, date("2026-05-05"), at(1_500)).unwrap();
        assert_eq!(
            subscriptions::get(c, id).unwrap().later,
            Some((date("2026-05-05"), at(1_500))),
            "{engine}"
        );

        // Due sessions, in time order, of members on running platforms.
        subscriptions::set_next_run(c, id, Some(at(900))).unwrap();
        let bens = subscriptions::upsert(c, ben, "upper-back", &tokyo, 3, Some(at(800)), at(40))
            .unwrap()
            .id;
        let due = |now, platforms: &[String], limit| {
            ids(&subscriptions::due(c, at(now), platforms, limit).unwrap())
        };
        assert_eq!(due(799, &both, 10), Vec::<i64>::new(), "{engine}");
        assert_eq!(due(850, &both, 10), [bens], "{engine}");
        assert_eq!(due(900, &both, 10), [bens, id], "{engine}");
        assert_eq!(due(900, &both, 1), [bens], "{engine}");
        assert_eq!(due(900, &matrix, 10), [id], "{engine}");
        assert_eq!(due(900, &console, 10), Vec::<i64>::new(), "{engine}");
        assert_eq!(
            subscriptions::next_due_at(c, &both).unwrap(),
            Some(at(800)),
            "{engine}"
        );
        assert_eq!(
            subscriptions::next_due_at(c, &matrix).unwrap(),
            Some(at(900)),
            "{engine}"
        );
        assert_eq!(
            subscriptions::next_due_at(c, &console).unwrap(),
            None,
            "{engine}"
        );

        // Follow-ups likewise.
        subscriptions::set_followup(c, id, Some((time(18, 0), at(2_000)))).unwrap();
        subscriptions::set_followup(c, bens, Some((time(19, 15), at(1_900)))).unwrap();
        assert_eq!(
            subscriptions::get(c, bens).unwrap().followup,
            Some((time(19, 15), at(1_900))),
            "{engine}"
        );
        let followups = |now, platforms: &[String], limit| {
            ids(&subscriptions::followups_due(c, at(now), platforms, limit).unwrap())
        };
        assert_eq!(followups(1_899, &both, 10), Vec::<i64>::new(), "{engine}");
        assert_eq!(followups(1_950, &both, 10), [bens], "{engine}");
        assert_eq!(followups(2_000, &both, 10), [bens, id], "{engine}");
        assert_eq!(followups(2_000, &both, 1), [bens], "{engine}");
        assert_eq!(followups(2_000, &matrix, 10), [id], "{engine}");
        assert_eq!(
            subscriptions::next_followup_at(c, &both).unwrap(),
            Some(at(1_900)),
            "{engine}"
        );
        assert_eq!(
            subscriptions::next_followup_at(c, &matrix).unwrap(),
            Some(at(2_000)),
            "{engine}"
        );
        subscriptions::set_followup(c, bens, None).unwrap();
        assert_eq!(
            subscriptions::get(c, bens).unwrap().followup,
            None,
            "{engine}"
        );
        assert_eq!(
            subscriptions::next_followup_at(c, &both).unwrap(),
            Some(at(2_000)),
            "{engine}"
        );
        assert_eq!(
            subscriptions::next_followup_at(c, &console).unwrap(),
            None,
            "{engine}"
        );

        // A new zone.
        subscriptions::set_schedule(c, id, &tokyo, Some(at(3_000))).unwrap();
        let moved = subscriptions::get(c, id).unwrap();
        assert_eq!(moved.schedule.zone(), chrono_tz::Asia::Tokyo, "{engine}");
        assert_eq!(
            moved.schedule.cron_expression(),
            tokyo.cron_expression(),
            "{engine}"
        );
        assert_eq!(moved.next_run_at, Some(at(3_000)), "{engine}");

        // Set aside: paused, nothing scheduled, the member told why.
        subscriptions::set_aside(c, bens, &StoreError::Corrupt("test".into()), at(50)).unwrap();
        let aside = subscriptions::get(c, bens).unwrap();
        assert_eq!(
            (aside.state, aside.next_run_at),
            (State::Paused, None),
            "{engine}"
        );
        assert!(
            aside
                .pause_reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("your saved schedule could not be read")),
            "{engine}: {aside:?}"
        );
    }
}

#[test]
fn unreadable_subscriptions_are_set_aside_alike_on_both_engines() {
    let engines = Engines::start();
    let both = platforms(&["matrix", "discord"]);
    let schedule = Schedule::new(time(7, 30), Weekdays::DAILY, chrono_tz::Europe::Berlin);
    for (engine, c) in engines.each() {
        let ana = users::upsert(c, "matrix", "@ana:x", "Ana", at(0))
            .unwrap()
            .id;
        let cara = users::upsert(c, "discord", "7", "Cara", at(0)).unwrap().id;
        let good = subscriptions::upsert(c, ana, "upper-back", &schedule, 5, Some(at(100)), at(0))
            .unwrap()
            .id;
        let bad = subscriptions::upsert(c, cara, "upper-back", &schedule, 5, Some(at(50)), at(0))
            .unwrap()
            .id;
        subscriptions::set_followup(c, good, Some((time(18, 0), at(120)))).unwrap();

        // A follow-up time that does not read is turned off; the rest go on.
        c.execute(
            "UPDATE subscriptions SET followup_time = 'soon', followup_at = 110 WHERE id = ?1",
            &[Value::Int(bad)],
        )
        .unwrap();
        let followups = subscriptions::followups_due(c, at(150), &both, 10).unwrap();
        assert_eq!(ids(&followups), [good], "{engine}");
        assert_eq!(
            subscriptions::get(c, bad).unwrap().followup,
            None,
            "{engine}"
        );
        let time_left = c
            .query_opt(
                "SELECT followup_time FROM subscriptions WHERE id = ?1",
                &[Value::Int(bad)],
                |row| row.opt_text(0),
            )
            .unwrap();
        assert_eq!(time_left, Some(None), "{engine}");

        // A zone that does not read: paused with a readable placeholder.
        c.execute(
            "UPDATE subscriptions SET timezone = 'Mars/Olympus', skip_date = '2026-05-06'
             WHERE id = ?1",
            &[Value::Int(bad)],
        )
        .unwrap();
        assert!(subscriptions::get(c, bad).is_err(), "{engine}");
        let due = subscriptions::due(c, at(150), &both, 10).unwrap();
        assert_eq!(ids(&due), [good], "{engine}");
        let aside = subscriptions::get(c, bad).unwrap();
        assert_eq!(
            (aside.state, aside.next_run_at),
            (State::Paused, None),
            "{engine}"
        );
        assert_eq!(aside.schedule.zone(), chrono_tz::UTC, "{engine}");
        assert_eq!(
            (aside.skip_date, aside.paused_until),
            (None, None),
            "{engine}"
        );
        assert!(aside.pause_reason.is_some(), "{engine}");
        assert_eq!(
            ids(&subscriptions::due(c, at(150), &both, 10).unwrap()),
            [good],
            "{engine}"
        );
    }
}
