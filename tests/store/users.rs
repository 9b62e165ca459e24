//! `store::users` alike on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use upright::i18n::Language;
use upright::store::StoreError;
use upright::store::sql::{ConnExt, Value};
use upright::store::users::{self, User};

use crate::Engines;

pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// The platforms as the engine passes them.
pub(crate) fn platforms(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn ids(users: &[User]) -> Vec<i64> {
    users.iter().map(|user| user.id).collect()
}

#[test]
fn members_are_kept_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        assert_eq!(
            users::find(c, "matrix", "@ana:x").unwrap(),
            None,
            "{engine}"
        );
        let ana = users::upsert(c, "matrix", "@ana:x", "  Ana \n Lee ", at(1_000)).unwrap();
        assert_eq!(
            ana,
            User {
                id: 1,
                platform: "matrix".into(),
                platform_user_id: "@ana:x".into(),
                display_name: "Ana Lee".into(),
                dm_target: None,
                timezone: None,
                agreed: false,
                nudges_off: false,
                weekly_summary_at: None,
                chosen_language: None,
                platform_language: None,
            },
            "{engine}"
        );
        // English until the platform or the member says otherwise; a
        // choice outranks what the platform reports.
        assert_eq!(ana.language(), Language::En, "{engine}");
        users::set_platform_language(c, ana.id, Language::Es).unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().language(),
            Language::Es,
            "{engine}"
        );
        users::set_language(c, ana.id, Some(Language::De)).unwrap();
        users::set_platform_language(c, ana.id, Language::Es).unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().language(),
            Language::De,
            "{engine}"
        );
        users::set_language(c, ana.id, None).unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().language(),
            Language::Es,
            "{engine}"
        );
        let ana = users::upsert(c, "matrix", "@ana:x", "Ana", at(2_000)).unwrap();
        assert_eq!((ana.id, ana.display_name.as_str()), (1, "Ana"), "{engine}");
        // A known member keeps their name; a new one with no name shows the id.
        let ensured = users::ensure(c, "matrix", "@ana:x", "Someone", at(3_000)).unwrap();
        assert_eq!(ensured, ana, "{engine}");
        let ben = users::ensure(c, "discord", "42", "\u{7}", at(3_000)).unwrap();
        // (PostgreSQL spends an id on the upsert that updated Ana, so Ben's
        // id is only known to be new.)
        assert_ne!(ben.id, ana.id, "{engine}");
        assert_eq!(ben.display_name, "42", "{engine}");
        assert_eq!(
            users::find(c, "matrix", "@ana:x").unwrap(),
            Some(ana.clone()),
            "{engine}"
        );
        assert_eq!(users::get(c, ben.id).unwrap(), ben, "{engine}");
        assert!(
            matches!(users::get(c, 99), Err(StoreError::Corrupt(_))),
            "{engine}"
        );

        // DM rooms: forgotten only on their platform.
        users::set_dm_target(c, ana.id, "!room").unwrap();
        users::set_dm_target(c, ben.id, "!room").unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().dm_target.as_deref(),
            Some("!room"),
            "{engine}"
        );
        assert_eq!(
            users::forget_dm_target(c, "matrix", "!room").unwrap(),
            1,
            "{engine}"
        );
        assert_eq!(users::get(c, ana.id).unwrap().dm_target, None, "{engine}");
        assert_eq!(
            users::get(c, ben.id).unwrap().dm_target.as_deref(),
            Some("!room"),
            "{engine}"
        );
        assert_eq!(
            users::forget_dm_target(c, "matrix", "!room").unwrap(),
            0,
            "{engine}"
        );

        users::set_timezone(c, ana.id, "Europe/Berlin").unwrap();
        users::set_nudges_off(c, ana.id, true).unwrap();
        // The first agreement is the one kept.
        users::agree(c, ana.id, at(4_000)).unwrap();
        users::agree(c, ana.id, at(5_000)).unwrap();
        let agreed_at = c
            .query_opt(
                "SELECT agreed_at FROM users WHERE id = ?1",
                &[Value::Int(ana.id)],
                |row| row.int(0),
            )
            .unwrap();
        assert_eq!(agreed_at, Some(4_000), "{engine}");
        let ana = users::get(c, ana.id).unwrap();
        assert_eq!(ana.timezone.as_deref(), Some("Europe/Berlin"), "{engine}");
        assert!(ana.agreed && ana.nudges_off, "{engine}: {ana:?}");
        users::set_nudges_off(c, ana.id, false).unwrap();
        assert!(!users::get(c, ana.id).unwrap().nudges_off, "{engine}");
        assert!(!users::get(c, ben.id).unwrap().agreed, "{engine}");
    }
}

#[test]
fn weekly_summaries_groups_and_erasure_alike_on_both_engines() {
    let engines = Engines::start();
    let both = platforms(&["matrix", "discord"]);
    let matrix = platforms(&["matrix"]);
    let console = platforms(&["console"]);
    for (engine, c) in engines.each() {
        let ana = users::upsert(c, "matrix", "@ana:x", "Ana", at(0)).unwrap();
        let ben = users::upsert(c, "discord", "42", "Ben", at(0)).unwrap();
        let cara = users::upsert(c, "matrix", "@cara:x", "Cara", at(0)).unwrap();

        users::set_weekly_summary_at(c, ana.id, Some(at(5_000))).unwrap();
        users::set_weekly_summary_at(c, ben.id, Some(at(4_000))).unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().weekly_summary_at,
            Some(at(5_000)),
            "{engine}"
        );
        let due =
            |now, platforms: &[String]| ids(&users::weekly_due(c, at(now), platforms).unwrap());
        assert_eq!(due(3_999, &both), Vec::<i64>::new(), "{engine}");
        assert_eq!(due(4_500, &both), [ben.id], "{engine}");
        assert_eq!(due(5_000, &both), [ben.id, ana.id], "{engine}");
        assert_eq!(due(5_000, &matrix), [ana.id], "{engine}");
        assert_eq!(due(5_000, &[]), Vec::<i64>::new(), "{engine}");
        let due_ana = users::weekly_due(c, at(5_000), &matrix).unwrap();
        assert_eq!(due_ana, [users::get(c, ana.id).unwrap()], "{engine}");
        assert_eq!(
            users::next_weekly_due_at(c, &both).unwrap(),
            Some(at(4_000)),
            "{engine}"
        );
        assert_eq!(
            users::next_weekly_due_at(c, &matrix).unwrap(),
            Some(at(5_000)),
            "{engine}"
        );
        assert_eq!(
            users::next_weekly_due_at(c, &console).unwrap(),
            None,
            "{engine}"
        );
        users::set_weekly_summary_at(c, ana.id, None).unwrap();
        assert_eq!(
            users::get(c, ana.id).unwrap().weekly_summary_at,
            None,
            "{engine}"
        );
        assert_eq!(due(5_000, &both), [ben.id], "{engine}");
        assert_eq!(
            users::next_weekly_due_at(c, &matrix).unwrap(),
            None,
            "{engine}"
        );

        // A group's members, in the order they joined, under the group's names.
        c.execute(
            "INSERT INTO groups (platform, channel_id, routine_id, cron, timezone, pace_minutes,
             summary_time, created_at) VALUES ('matrix', '!g', 'upper-back', '0 0 7 * * *', 'UTC', 1, '20:00', 0)",
            &[],
        )
        .unwrap();
        for (user, joined, name, left) in [
            (ben.id, 10, Some("Benny"), None),
            (ana.id, 20, None, None),
            (cara.id, 5, None, Some(30_i64)),
        ] {
            c.execute(
                "INSERT INTO group_members (group_id, user_id, joined_at, display_name, left_at)
                 VALUES (1, ?1, ?2, ?3, ?4)",
                &[
                    Value::Int(user),
                    Value::Int(joined),
                    Value::from(name),
                    Value::from(left),
                ],
            )
            .unwrap();
        }
        let members = users::in_group(c, 1).unwrap();
        let shown: Vec<(i64, &str)> = members
            .iter()
            .map(|user| (user.id, user.display_name.as_str()))
            .collect();
        assert_eq!(shown, [(ben.id, "Benny"), (ana.id, "Ana")], "{engine}");
        assert_eq!(members[0].platform_user_id, "42", "{engine}");
        assert_eq!(
            users::in_group(c, 2).unwrap(),
            Vec::<User>::new(),
            "{engine}"
        );

        // Erasure takes the member and their group membership.
        users::delete(c, ana.id).unwrap();
        assert_eq!(
            users::find(c, "matrix", "@ana:x").unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(ids(&users::in_group(c, 1).unwrap()), [ben.id], "{engine}");
        let left = c
            .query_opt(
                "SELECT COUNT(*) FROM group_members WHERE user_id = ?1",
                &[Value::Int(ana.id)],
                |row| row.int(0),
            )
            .unwrap();
        assert_eq!(left, Some(0), "{engine}");
    }
}
