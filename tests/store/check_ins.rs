//! `store::check_ins` alike on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use upright::check_in::CheckInKind::{Done, Pain, Skip};
use upright::store::check_ins::{self, Logged, PainReport};
use upright::store::sql::{Conn, ConnExt, Value};
use upright::store::users;

use crate::Engines;
use crate::users::at;

/// A session of the subscription or the group, with its loads.
fn session(c: &dyn Conn, subscription: Option<i64>, group: Option<i64>, date: &str, loads: &str) {
    c.execute(
        "INSERT INTO sessions (subscription_id, group_id, routine_id, local_date, scheduled_at,
         status, loads) VALUES (?1, ?2, 'upper-back', ?3, 0, 'running', ?4)",
        &[
            Value::from(subscription),
            Value::from(group),
            Value::Text(date),
            Value::Text(loads),
        ],
    )
    .unwrap();
}

#[test]
fn check_ins_are_kept_and_read_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let ana = users::upsert(c, "matrix", "@ana:x", "Ana", at(0))
            .unwrap()
            .id;
        let ben = users::upsert(c, "matrix", "@ben:x", "Ben", at(0))
            .unwrap()
            .id;
        c.execute(
            "INSERT INTO subscriptions (user_id, routine_id, cron, timezone, pace_minutes, state,
             created_at, updated_at) VALUES (?1, 'upper-back', '0 30 7 * * *', 'UTC', 5, 'active', 0, 0)",
            &[Value::Int(ana)],
        )
        .unwrap();
        c.execute(
            "INSERT INTO groups (platform, channel_id, routine_id, cron, timezone, pace_minutes,
             summary_time, created_at) VALUES ('matrix', '!g', 'upper-back', '0 0 7 * * *', 'UTC', 1, '20:00', 0)",
            &[],
        )
        .unwrap();
        session(c, Some(1), None, "2026-05-01", "[5,6]");
        session(c, Some(1), None, "2026-05-02", "[6,6]");
        session(c, None, Some(1), "2026-04-30", "[4]");
        let (first, second, grouped) = (1, 2, 3);

        assert!(!check_ins::any_in_session(c, first).unwrap(), "{engine}");
        assert!(
            check_ins::record(c, first, 1, ana, Done, at(100)).unwrap(),
            "{engine}"
        );
        assert!(
            !check_ins::record(c, first, 1, ana, Done, at(101)).unwrap(),
            "{engine}: already there"
        );
        assert!(
            check_ins::record(c, first, 1, ana, Pain, at(110)).unwrap(),
            "{engine}"
        );
        assert!(
            check_ins::record(c, first, 2, ana, Skip, at(120)).unwrap(),
            "{engine}"
        );
        assert!(
            check_ins::record(c, second, 1, ana, Pain, at(200)).unwrap(),
            "{engine}"
        );
        assert!(
            check_ins::record(c, first, 1, ben, Done, at(130)).unwrap(),
            "{engine}"
        );
        assert!(check_ins::any_in_session(c, first).unwrap(), "{engine}");
        assert!(!check_ins::any_in_session(c, grouped).unwrap(), "{engine}");

        assert_eq!(
            check_ins::of_session_for_user(c, first, ana).unwrap(),
            BTreeMap::from([(1, vec![Done, Pain]), (2, vec![Skip])]),
            "{engine}"
        );
        assert_eq!(
            check_ins::count_by_kind(c, first, 1).unwrap(),
            BTreeMap::from([(Done, 2), (Pain, 1)]),
            "{engine}"
        );
        assert_eq!(
            check_ins::count_by_kind(c, first, 3).unwrap(),
            BTreeMap::new(),
            "{engine}"
        );
        assert_eq!(
            check_ins::of_member(c, ana).unwrap().by_session,
            BTreeMap::from([
                (
                    first,
                    BTreeMap::from([(1, vec![Done, Pain]), (2, vec![Skip])])
                ),
                (second, BTreeMap::from([(1, vec![Pain])])),
            ]),
            "{engine}"
        );

        // A group's check-ins by member; kinds in one order however recorded.
        check_ins::record(c, grouped, 1, ana, Skip, at(300)).unwrap();
        check_ins::record(c, grouped, 1, ana, Done, at(301)).unwrap();
        check_ins::record(c, grouped, 2, ben, Done, at(302)).unwrap();
        check_ins::record(c, grouped, 1, ben, Pain, at(303)).unwrap();
        assert_eq!(
            check_ins::by_user_for_group(c, 1).unwrap(),
            BTreeMap::from([
                (
                    ana,
                    BTreeMap::from([(grouped, BTreeMap::from([(1, vec![Done, Skip])]))])
                ),
                (
                    ben,
                    BTreeMap::from([(grouped, BTreeMap::from([(1, vec![Pain]), (2, vec![Done])]))])
                ),
            ]),
            "{engine}"
        );
        assert_eq!(
            check_ins::by_user_for_group(c, 2).unwrap(),
            BTreeMap::new(),
            "{engine}"
        );

        // Pain: the latest report takes the score, a later answer replaces it.
        let latest = check_ins::latest_pain(c, ana).unwrap().unwrap();
        assert_eq!(
            (latest.session_id, latest.step, latest.score),
            (second, 1, None),
            "{engine}"
        );
        check_ins::rate_pain(c, latest.id, 3, None).unwrap();
        check_ins::rate_pain(c, latest.id, 6, Some("left shoulder")).unwrap();
        assert_eq!(
            check_ins::latest_pain(c, ana).unwrap(),
            Some(PainReport {
                score: Some(6),
                ..latest
            }),
            "{engine}"
        );
        assert_eq!(check_ins::latest_pain(c, 99).unwrap(), None, "{engine}");
        // Only a pain report takes a score.
        let done = c
            .query_opt(
                "SELECT id FROM check_ins WHERE session_id = ?1 AND user_id = ?2 AND kind = 'done'",
                &[Value::Int(first), Value::Int(ana)],
                |row| row.int(0),
            )
            .unwrap()
            .unwrap();
        check_ins::rate_pain(c, done, 9, None).unwrap();
        assert_eq!(
            check_ins::of_member(c, ana).unwrap().pain_scores,
            BTreeMap::from([(second, BTreeMap::from([(1, 6)]))]),
            "{engine}"
        );
        assert_eq!(
            check_ins::of_member(c, ben).unwrap().pain_scores,
            BTreeMap::new(),
            "{engine}"
        );
        // A batch of members in one read, each as read alone; none for a
        // member without check-ins.
        let batch = check_ins::of_members(c, &[ana, ben, 99]).unwrap();
        assert_eq!(
            batch
                .keys()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            [ana, ben].into(),
            "{engine}"
        );
        for member in [ana, ben] {
            assert_eq!(
                batch[&member],
                check_ins::of_member(c, member).unwrap(),
                "{engine}"
            );
        }
        assert_eq!(batch[&ben].by_session.len(), 2, "{engine}");

        // Withdrawn once; a second time there is nothing to withdraw.
        assert!(
            check_ins::withdraw(c, first, 1, ana, Pain).unwrap(),
            "{engine}"
        );
        assert!(
            !check_ins::withdraw(c, first, 1, ana, Pain).unwrap(),
            "{engine}"
        );
        assert_eq!(
            check_ins::of_session_for_user(c, first, ana).unwrap(),
            BTreeMap::from([(1, vec![Done]), (2, vec![Skip])]),
            "{engine}"
        );

        let logged = |date: &str, step, kind: &str, loads: &str, at| Logged {
            date: date.to_string(),
            routine_id: "upper-back".to_string(),
            step,
            kind: kind.to_string(),
            loads: loads.to_string(),
            at,
            pain_score: None,
            pain_where: None,
        };
        assert_eq!(
            check_ins::log_for_user(c, ana).unwrap(),
            [
                logged("2026-04-30", 1, "done", "[4]", 301),
                logged("2026-04-30", 1, "skip", "[4]", 300),
                logged("2026-05-01", 1, "done", "[5,6]", 100),
                logged("2026-05-01", 2, "skip", "[5,6]", 120),
                Logged {
                    pain_score: Some(6),
                    pain_where: Some("left shoulder".to_string()),
                    ..logged("2026-05-02", 1, "pain", "[6,6]", 200)
                },
            ],
            "{engine}"
        );
        assert_eq!(
            check_ins::log_for_user(c, 99).unwrap(),
            Vec::<Logged>::new(),
            "{engine}"
        );
    }
}
