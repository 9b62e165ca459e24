//! A delivery's claim (`store::claims`) alike on both engines: held by one
//! sender, found unfinished by another once it runs out, let go with the
//! delivery's outcome.

use chrono::Duration;
use upright::store::claims::{Claim, Unfinished, claim, recorded_since, restore};
use upright::store::deliveries::{self, Recipient};
use upright::store::sql::{ConnExt, args};

use crate::{Engines, at};

#[test]
fn a_claim_holds_a_delivery_for_one_sender_until_its_outcome_or_its_end() {
    let engines = Engines::start();
    let for_a_minute = Duration::seconds(60);
    for (engine, c) in engines.each() {
        let user = c
            .query_one(
                "INSERT INTO users (platform, platform_user_id, created_at)
                 VALUES ('matrix', '@ana:example.org', 0) RETURNING id",
                &[],
                |row| row.int(0),
            )
            .unwrap();
        let delivery = |key: &str| {
            c.query_one(
                "INSERT INTO deliveries (idempotency_key, platform, user_id, kind, priority,
                 body, state, due_at, created_at)
                 VALUES (?1, 'matrix', ?2, 'exercise', 0, '{}', 'pending', 0, 0) RETURNING id",
                args![key, user],
                |row| row.int(0),
            )
            .unwrap()
        };
        let (first, second) = (delivery("ex1"), delivery("ex2"));
        let ours = Claim::Ours {
            unfinished: None,
            resumed: false,
        };
        assert_eq!(
            claim(c, first, "a", at(0), for_a_minute).unwrap(),
            ours,
            "{engine}"
        );
        // Claimed again by its own sender (a restart): still its own, and
        // it is told its earlier send may have gone out.
        assert_eq!(
            claim(c, first, "a", at(5), for_a_minute).unwrap(),
            Claim::Ours {
                unfinished: None,
                resumed: true
            },
            "{engine}"
        );
        assert_eq!(
            claim(c, first, "b", at(30), for_a_minute).unwrap(),
            Claim::Held { until: at(65) },
            "{engine}: a holds it"
        );
        // a stopped without an outcome: b finds its claim unfinished.
        let left = Unfinished {
            by: "a".to_string(),
            until: at(65),
            since: at(5),
        };
        assert_eq!(
            claim(c, first, "b", at(70), for_a_minute).unwrap(),
            Claim::Ours {
                unfinished: Some(left.clone()),
                resumed: false
            },
            "{engine}"
        );
        // Not told yet: put back, b finds it unfinished again next time.
        restore(c, first, &left).unwrap();
        assert_eq!(
            claim(c, first, "b", at(80), for_a_minute).unwrap(),
            Claim::Ours {
                unfinished: Some(left),
                resumed: false
            },
            "{engine}"
        );
        // An outcome lets the claim go: anyone may claim it.
        deliveries::mark_sent(c, first, "$event1", at(81)).unwrap();
        assert_eq!(
            claim(c, first, "c", at(82), for_a_minute).unwrap(),
            ours,
            "{engine}"
        );
        assert_eq!(
            claim(c, second, "c", at(82), for_a_minute).unwrap(),
            ours,
            "{engine}"
        );
        deliveries::retry_at(c, second, at(120), "busy").unwrap();
        assert_eq!(
            claim(c, second, "d", at(83), for_a_minute).unwrap(),
            ours,
            "{engine}"
        );
        // What is already recorded there is never taken for an unfinished send.
        let recorded = recorded_since(c, &Recipient::Member(user), at(80)).unwrap();
        assert_eq!(recorded, vec!["$event1".to_string()], "{engine}");
        assert!(
            recorded_since(c, &Recipient::Member(user), at(90))
                .unwrap()
                .is_empty()
        );
    }
}
