//! The outbox (`store::deliveries`) does the same on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use upright::message::Message;
use upright::store::deliveries::{
    self, Kind, MemberAddress, NewDelivery, Recipient, State, priority,
};
use upright::store::outbox_figures::{self, OutboxDepth};
use upright::store::sql::{Conn, ConnExt, Value};

use crate::Engines;

const T: i64 = 1_800_000_000;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// Inserts a row with plain SQL and returns its id.
fn insert(c: &dyn Conn, sql: &str, params: &[Value<'_>]) -> i64 {
    c.query_opt(&format!("{sql} RETURNING id"), params, |row| row.int(0))
        .unwrap()
        .unwrap()
}

/// A member with a DM room, and a running session of theirs started at `T`.
fn member_and_session(c: &dyn Conn) -> (i64, i64) {
    let user = insert(
        c,
        "INSERT INTO users (platform, platform_user_id, dm_target, created_at)
         VALUES ('matrix', '@ana:example.org', '!dm:example.org', 0)",
        &[],
    );
    let subscription = insert(
        c,
        "INSERT INTO subscriptions (user_id, routine_id, cron, timezone, pace_minutes, state,
                                    created_at, updated_at)
         VALUES (?1, 'desk', '0 0 7 * * *', 'UTC', 3, 'active', 0, 0)",
        &[Value::Int(user)],
    );
    let session = insert(
        c,
        "INSERT INTO sessions (subscription_id, routine_id, local_date, scheduled_at, started_at,
                               status)
         VALUES (?1, 'desk', '2027-01-15', ?2, ?2, 'running')",
        &[Value::Int(subscription), Value::Int(T)],
    );
    (user, session)
}

struct Plan<'a> {
    key: &'a str,
    platform: &'a str,
    recipient: Recipient,
    session: Option<i64>,
    kind: Kind,
    step: Option<u32>,
    priority: i64,
    reactions: &'a [&'a str],
    due: i64,
}

fn message_for(key: &str) -> Message {
    Message::new(format!("Title of {key}"), format!("Body of {key}")).with_footer("a footer")
}

fn new(plan: Plan<'_>) -> NewDelivery {
    NewDelivery {
        key: plan.key.to_string(),
        platform: plan.platform.to_string(),
        recipient: plan.recipient,
        session_id: plan.session,
        kind: plan.kind,
        step: plan.step,
        priority: plan.priority,
        message: message_for(plan.key),
        reactions: plan.reactions.iter().map(|r| r.to_string()).collect(),
        due_at: at(plan.due),
    }
}

fn keys(deliveries: &[deliveries::Delivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.key.as_str()).collect()
}

fn list(platforms: &[&str]) -> Vec<String> {
    platforms.iter().map(|p| p.to_string()).collect()
}

fn due_at(c: &dyn Conn, key: &str) -> i64 {
    c.query_opt(
        "SELECT due_at FROM deliveries WHERE idempotency_key = ?1",
        &[Value::Text(key)],
        |row| row.int(0),
    )
    .unwrap()
    .unwrap()
}

fn state_of(c: &dyn Conn, key: &str) -> State {
    deliveries::find_by_key(c, key).unwrap().unwrap().state
}

/// Queued, read in burst order, sent and found again: the same on both.
#[test]
fn the_outbox_queues_and_sends_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let (user, session) = member_and_session(c);
        let ana = || Recipient::Member(user);
        let room = || Recipient::Channel("room-1".to_string());
        let plans = [
            Plan {
                key: "ex1",
                platform: "matrix",
                recipient: ana(),
                session: Some(session),
                kind: Kind::Exercise,
                step: Some(1),
                priority: priority::OPENING,
                reactions: &["✅", "⏭️"],
                due: T,
            },
            Plan {
                key: "ex2",
                platform: "matrix",
                recipient: ana(),
                session: Some(session),
                kind: Kind::Exercise,
                step: Some(2),
                priority: priority::LATER,
                reactions: &[],
                due: T + 30,
            },
            Plan {
                key: "post",
                platform: "discord",
                recipient: room(),
                session: None,
                kind: Kind::Summary,
                step: None,
                priority: priority::URGENT,
                reactions: &[],
                due: T + 60,
            },
            Plan {
                key: "later",
                platform: "matrix",
                recipient: ana(),
                session: None,
                kind: Kind::Weekly,
                step: None,
                priority: priority::LATER,
                reactions: &[],
                due: T + 3600,
            },
        ];
        for plan in plans {
            assert!(deliveries::enqueue(c, &new(plan)).unwrap(), "{engine}");
        }
        let again = new(Plan {
            key: "ex1",
            platform: "matrix",
            recipient: ana(),
            session: None,
            kind: Kind::Closing,
            step: None,
            priority: priority::LATER,
            reactions: &[],
            due: T,
        });
        assert!(
            !deliveries::enqueue(c, &again).unwrap(),
            "{engine}: same key"
        );

        // Due on the running platforms, in burst order, up to the limit.
        let both = list(&["matrix", "discord"]);
        let ready = deliveries::ready(c, at(T + 60), &both, 10).unwrap();
        assert_eq!(keys(&ready), ["post", "ex1", "ex2"], "{engine}");
        let ready = deliveries::ready(c, at(T + 60), &list(&["matrix"]), 10).unwrap();
        assert_eq!(keys(&ready), ["ex1", "ex2"], "{engine}");
        let ready = deliveries::ready(c, at(T + 60), &both, 1).unwrap();
        assert_eq!(keys(&ready), ["post"], "{engine}");
        assert!(
            deliveries::ready(c, at(T + 60), &[], 10)
                .unwrap()
                .is_empty(),
            "{engine}"
        );
        let first = deliveries::ready(c, at(T), &both, 10).unwrap();
        let [ex1] = &first[..] else {
            panic!("{engine}: {:?}", keys(&first));
        };
        assert_eq!(ex1.key, "ex1", "{engine}");
        assert_eq!(ex1.platform, "matrix", "{engine}");
        assert_eq!(ex1.recipient, Recipient::Member(user), "{engine}");
        assert_eq!(ex1.session_id, Some(session), "{engine}");
        assert_eq!(ex1.kind, Kind::Exercise, "{engine}");
        assert_eq!(ex1.step, Some(1), "{engine}");
        assert_eq!(ex1.message, message_for("ex1"), "{engine}");
        assert_eq!(ex1.reactions, ["✅", "⏭️"], "{engine}");
        assert_eq!(ex1.state, State::Pending, "{engine}");
        assert_eq!(ex1.attempts, 0, "{engine}");
        assert_eq!(ex1.platform_message_id, None, "{engine}");
        assert_eq!(
            ex1.member,
            Some(MemberAddress {
                platform_user_id: "@ana:example.org".to_string(),
                dm: Some("!dm:example.org".to_string()),
            }),
            "{engine}"
        );
        assert!(ex1.opens_day, "{engine}");
        let post = deliveries::find_by_key(c, "post").unwrap().unwrap();
        assert_eq!(
            post.recipient,
            Recipient::Channel("room-1".to_string()),
            "{engine}"
        );
        assert_eq!(
            (post.member, post.step, post.opens_day),
            (None, None, false)
        );

        // When the next work is due, and how deep each outbox is.
        assert_eq!(
            deliveries::next_due_at(c, &list(&["matrix"])).unwrap(),
            Some(at(T)),
            "{engine}"
        );
        assert_eq!(
            deliveries::next_due_at(c, &list(&["discord"])).unwrap(),
            Some(at(T + 60)),
            "{engine}"
        );
        assert_eq!(deliveries::next_due_at(c, &[]).unwrap(), None, "{engine}");
        let mut depth = outbox_figures::depth(c, at(T + 100), &both).unwrap();
        depth.sort_by(|a, b| a.platform.cmp(&b.platform));
        assert_eq!(
            depth,
            [
                OutboxDepth {
                    platform: "discord".to_string(),
                    due: 1,
                    oldest_due_seconds: 40.0,
                },
                OutboxDepth {
                    platform: "matrix".to_string(),
                    due: 2,
                    oldest_due_seconds: 100.0,
                },
            ],
            "{engine}"
        );
        assert!(
            outbox_figures::depth(c, at(T + 100), &list(&["console"]))
                .unwrap()
                .is_empty(),
            "{engine}"
        );

        // Sent: with reactions still to add it stays out as `sent`, ranked
        // between first exercises and later steps.
        deliveries::mark_sent(c, ex1.id, "$m1", at(T + 61)).unwrap();
        let ex2 = deliveries::find_by_key(c, "ex2").unwrap().unwrap();
        // Recording a session's message tells when the session was due.
        assert_eq!(
            deliveries::mark_sent_with(c, ex2.id, "$m2", at(T + 62), true).unwrap(),
            Some(at(T)),
            "{engine}"
        );
        assert_eq!(
            deliveries::mark_sent_with(c, ex2.id + 100, "$m9", at(T + 62), true).unwrap(),
            None,
            "{engine}: no such delivery"
        );
        let sent = deliveries::find_by_key(c, "ex1").unwrap().unwrap();
        assert_eq!(sent.state, State::Sent, "{engine}");
        assert_eq!(sent.platform_message_id.as_deref(), Some("$m1"), "{engine}");
        assert_eq!(state_of(c, "ex2"), State::Done, "{engine}");
        let later_first = new(Plan {
            key: "ex3",
            platform: "matrix",
            recipient: ana(),
            session: Some(session),
            kind: Kind::Exercise,
            step: Some(3),
            priority: priority::LATER,
            reactions: &[],
            due: T + 61,
        });
        assert!(deliveries::enqueue(c, &later_first).unwrap(), "{engine}");
        let ready = deliveries::ready(c, at(T + 61), &list(&["matrix"]), 10).unwrap();
        assert_eq!(keys(&ready), ["ex1", "ex3"], "{engine}");
        assert_eq!(ready[0].state, State::Sent, "{engine}");

        // A platform message leads back to its delivery.
        let found = deliveries::find_by_message(c, "matrix", "$m1").unwrap();
        assert_eq!(found.map(|d| d.id), Some(ex1.id), "{engine}");
        assert!(
            deliveries::find_by_message(c, "discord", "$m1")
                .unwrap()
                .is_none(),
            "{engine}"
        );
        assert!(deliveries::find_by_key(c, "nothing").unwrap().is_none());
        let recent = deliveries::recent_exercises(c, "matrix", at(T - 10)).unwrap();
        assert_eq!(keys(&recent), ["ex1", "ex2"], "{engine}");
        assert!(
            deliveries::recent_exercises(c, "matrix", at(T + 1))
                .unwrap()
                .is_empty(),
            "{engine}"
        );
        assert!(
            deliveries::recent_exercises(c, "discord", at(T - 10))
                .unwrap()
                .is_empty(),
            "{engine}"
        );

        deliveries::mark_done(c, &[ex1.id]).unwrap();
        assert_eq!(state_of(c, "ex1"), State::Done, "{engine}");
        assert_eq!(
            outbox_figures::count_in_state(c, State::Done).unwrap(),
            2,
            "{engine}"
        );
        assert_eq!(
            outbox_figures::count_in_state(c, State::Pending).unwrap(),
            3,
            "{engine}"
        );
        assert_eq!(
            outbox_figures::count_in_state(c, State::Failed).unwrap(),
            0,
            "{engine}"
        );
        assert_eq!(
            outbox_figures::backlog_and_sent_since(c, "matrix", at(T)).unwrap(),
            (2, 2),
            "{engine}"
        );
        assert_eq!(
            outbox_figures::backlog_and_sent_since(c, "matrix", at(T + 62)).unwrap(),
            (2, 1),
            "{engine}"
        );
        assert_eq!(
            outbox_figures::backlog_and_sent_since(c, "discord", at(T)).unwrap(),
            (1, 0),
            "{engine}"
        );

        // A row that no longer reads is set aside; the rest go out.
        c.execute(
            "INSERT INTO deliveries (idempotency_key, platform, user_id, kind, priority, body,
                                     state, due_at, created_at)
             VALUES ('damaged', 'matrix', ?1, 'exercise', 0, 'not json', 'pending', ?2, ?2)",
            &[Value::Int(user), Value::Int(T)],
        )
        .unwrap();
        let ready = deliveries::ready(c, at(T + 61), &list(&["matrix"]), 10).unwrap();
        assert_eq!(keys(&ready), ["ex3"], "{engine}");
        let set_aside = c
            .query_opt(
                "SELECT state || ': ' || last_error FROM deliveries
                 WHERE idempotency_key = 'damaged'",
                &[],
                |row| row.text(0),
            )
            .unwrap()
            .unwrap();
        assert!(
            set_aside.starts_with("failed: cannot be read: "),
            "{engine}: {set_aside}"
        );
        assert!(deliveries::find_by_key(c, "damaged").is_err(), "{engine}");
    }
}

/// Retried, postponed, expired, given up on and purged: the same on both.
#[test]
fn the_outbox_retries_expires_and_purges_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let (user, session) = member_and_session(c);
        let plan = |key, session, due| Plan {
            key,
            platform: "matrix",
            recipient: Recipient::Member(user),
            session,
            kind: Kind::Exercise,
            step: Some(1),
            priority: priority::LATER,
            reactions: &[],
            due,
        };
        let enqueue = |plan| assert!(deliveries::enqueue(c, &new(plan)).unwrap(), "{engine}");
        enqueue(plan("a", Some(session), T));
        enqueue(plan("b", Some(session), T + 10));
        enqueue(plan("c", None, T + 20));
        enqueue(Plan {
            key: "post",
            platform: "discord",
            recipient: Recipient::Channel("room-1".to_string()),
            session: None,
            kind: Kind::Nudge,
            step: None,
            priority: priority::URGENT,
            reactions: &[],
            due: T,
        });
        let id = |key| deliveries::find_by_key(c, key).unwrap().unwrap().id;
        let discord = list(&["discord"]);

        // A retry counts the attempt and waits.
        deliveries::retry_at(c, id("post"), at(T + 100), "rate limited").unwrap();
        let post = deliveries::find_by_key(c, "post").unwrap().unwrap();
        assert_eq!((post.attempts, post.state), (1, State::Pending), "{engine}");
        assert!(
            deliveries::ready(c, at(T + 50), &discord, 10)
                .unwrap()
                .is_empty(),
            "{engine}"
        );
        assert_eq!(
            deliveries::next_due_at(c, &discord).unwrap(),
            Some(at(T + 100)),
            "{engine}"
        );

        // A recipient's messages are held back together, never brought forward.
        deliveries::postpone_recipient(c, &Recipient::Channel("room-1".to_string()), at(T + 50))
            .unwrap();
        assert_eq!(due_at(c, "post"), T + 100, "{engine}");
        deliveries::postpone_recipient(c, &Recipient::Channel("room-1".to_string()), at(T + 200))
            .unwrap();
        assert_eq!(due_at(c, "post"), T + 200, "{engine}");
        deliveries::postpone_recipient(c, &Recipient::Member(user), at(T + 15)).unwrap();
        assert_eq!(
            [due_at(c, "a"), due_at(c, "b"), due_at(c, "c")],
            [T + 15, T + 15, T + 20],
            "{engine}"
        );
        assert_eq!(due_at(c, "post"), T + 200, "{engine}: another recipient");

        // A moved session's message waits, and its grace window with it.
        deliveries::postpone(c, id("c"), at(T + 5000)).unwrap();
        assert_eq!(due_at(c, "c"), T + 5000, "{engine}");
        assert_eq!(
            deliveries::all_for_member(c, user).unwrap()[2]["created_at"],
            T + 5000,
            "{engine}"
        );

        // Given up on, and back in the queue once.
        deliveries::fail(c, id("post"), "the channel is gone").unwrap();
        assert_eq!(state_of(c, "post"), State::Failed, "{engine}");
        assert!(
            deliveries::retry_failed(c, "post", at(T + 300)).unwrap(),
            "{engine}"
        );
        let post = deliveries::find_by_key(c, "post").unwrap().unwrap();
        assert_eq!((post.attempts, post.state), (0, State::Pending), "{engine}");
        assert_eq!(due_at(c, "post"), T + 300, "{engine}");
        assert!(
            !deliveries::retry_failed(c, "post", at(T + 300)).unwrap(),
            "{engine}: not failed"
        );
        assert!(
            !deliveries::retry_failed(c, "nothing", at(T + 300)).unwrap(),
            "{engine}"
        );

        // A skipped session's messages are dropped; a sent one stays.
        deliveries::mark_sent(c, id("a"), "$a", at(T + 16)).unwrap();
        deliveries::cancel_pending_for_session(c, session).unwrap();
        assert_eq!(state_of(c, "a"), State::Done, "{engine}");
        assert_eq!(state_of(c, "b"), State::Failed, "{engine}");
        assert_eq!(state_of(c, "c"), State::Pending, "{engine}: no session");

        // Session messages written before the cutoff expire.
        enqueue(plan("d", Some(session), T + 30));
        enqueue(plan("e", Some(session), T + 4000));
        assert_eq!(deliveries::expire_stale(c, at(T + 3000)).unwrap(), 1);
        assert_eq!(state_of(c, "d"), State::Failed, "{engine}");
        assert_eq!(state_of(c, "e"), State::Pending, "{engine}");

        // A member who cannot be messaged: everything waiting is given up.
        deliveries::fail_pending_for_member(c, user, "DMs are closed").unwrap();
        for key in ["c", "e"] {
            assert_eq!(state_of(c, key), State::Failed, "{engine}: {key}");
        }
        assert_eq!(state_of(c, "post"), State::Pending, "{engine}");

        // The member's export: every delivery to them, oldest first.
        let export = deliveries::all_for_member(c, user).unwrap();
        let summary: Vec<(&str, &str)> = export
            .iter()
            .map(|d| (d["kind"].as_str().unwrap(), d["state"].as_str().unwrap()))
            .collect();
        assert_eq!(
            summary,
            [
                ("exercise", "done"),
                ("exercise", "failed"),
                ("exercise", "failed"),
                ("exercise", "failed"),
                ("exercise", "failed"),
            ],
            "{engine}"
        );
        assert_eq!(export[0]["created_at"], T, "{engine}");
        assert_eq!(export[0]["sent_at"], T + 16, "{engine}");
        assert_eq!(export[1]["sent_at"], serde_json::Value::Null, "{engine}");
        assert_eq!(
            export[0]["message"],
            serde_json::to_value(message_for("a")).unwrap(),
            "{engine}"
        );
        assert!(
            deliveries::all_for_member(c, user + 1000)
                .unwrap()
                .is_empty()
        );

        // Finished deliveries written before the cutoff are purged.
        assert_eq!(
            deliveries::purge_finished_before(c, at(T + 4000)).unwrap(),
            3,
            "{engine}: a, b and d"
        );
        let left: Vec<&str> = ["a", "b", "c", "d", "e", "post"]
            .into_iter()
            .filter(|key| deliveries::find_by_key(c, key).unwrap().is_some())
            .collect();
        assert_eq!(left, ["c", "e", "post"], "{engine}");
        assert_eq!(
            deliveries::purge_finished_before(c, at(T + 10_000)).unwrap(),
            2,
            "{engine}: c and e"
        );
        assert_eq!(
            outbox_figures::count_in_state(c, State::Failed).unwrap(),
            0,
            "{engine}"
        );
        assert_eq!(
            outbox_figures::count_in_state(c, State::Pending).unwrap(),
            1,
            "{engine}"
        );
    }
}

/// A sender's batch of deliveries whose reactions are added is recorded
/// done in one statement; the others stay as they were.
#[test]
fn a_batch_of_reacted_deliveries_is_done_at_once() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let (user, session) = member_and_session(c);
        let sent = |key: &str| {
            insert(
                c,
                "INSERT INTO deliveries (idempotency_key, platform, user_id, session_id, kind,
                                         priority, body, reactions, state, due_at, created_at,
                                         platform_message_id)
                 VALUES (?1, 'matrix', ?2, ?3, 'exercise', 0, ?5, '✅', 'sent', ?4, ?4, ?1)",
                &[
                    key.into(),
                    user.into(),
                    session.into(),
                    T.into(),
                    r#"{"body": "Cat-camel stretch"}"#.into(),
                ],
            )
        };
        let [first, _, third] = ["a", "b", "c"].map(sent);
        deliveries::mark_done(c, &[first, third]).unwrap();
        let states = ["a", "b", "c"].map(|key| state_of(c, key));
        assert_eq!(states, [State::Done, State::Sent, State::Done], "{engine}");
    }
}
