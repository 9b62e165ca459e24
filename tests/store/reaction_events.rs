//! `store::reaction_events` does the same on SQLite and PostgreSQL:
//! reactions remembered by their own id, found, taken, exported, purged by
//! age and forgotten with their member.
#![cfg(feature = "postgres")]

use chrono::{DateTime, Utc};
use upright::store::reaction_events::{
    Reaction, RememberedReaction, all_for_user, find, forget_user, purge_before, remember, take,
};

use crate::Engines;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn reaction<'a>(
    platform: &'a str,
    id: &'a str,
    user: &'a str,
    emoji: &'a str,
    room: Option<&'a str>,
) -> Reaction<'a> {
    Reaction {
        platform,
        reaction_id: id,
        message_id: "$post",
        user_id: user,
        emoji,
        room,
    }
}

fn remembered(user: &str, emoji: &str, room: Option<&str>) -> RememberedReaction {
    RememberedReaction {
        message_id: "$post".to_string(),
        user_id: user.to_string(),
        emoji: emoji.to_string(),
        room: room.map(str::to_string),
    }
}

#[test]
fn reactions_are_remembered_and_forgotten_alike_on_both_engines() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        let room = Some("!room:example.org");
        remember(c, &reaction("matrix", "$r1", "@ana", "✅", room), at(100)).unwrap();
        // The same id again changes nothing.
        remember(c, &reaction("matrix", "$r1", "@ana", "❌", None), at(150)).unwrap();
        remember(c, &reaction("matrix", "$r2", "@ana", "⏭️", None), at(200)).unwrap();
        remember(c, &reaction("matrix", "$r3", "@ben", "✅", room), at(300)).unwrap();
        remember(c, &reaction("discord", "$r1", "@ana", "🤕", None), at(400)).unwrap();

        assert_eq!(
            find(c, "matrix", "$r1").unwrap(),
            Some(remembered("@ana", "✅", room)),
            "{engine}"
        );
        assert_eq!(
            find(c, "discord", "$r1").unwrap(),
            Some(remembered("@ana", "🤕", None)),
            "{engine}: ids are per platform"
        );
        assert_eq!(find(c, "matrix", "$none").unwrap(), None, "{engine}");

        assert_eq!(
            all_for_user(c, "matrix", "@ana").unwrap(),
            [
                serde_json::json!({"message": "$post", "emoji": "✅", "at": 100}),
                serde_json::json!({"message": "$post", "emoji": "⏭️", "at": 200}),
            ],
            "{engine}"
        );

        // Taken once.
        assert_eq!(
            take(c, "matrix", "$r3").unwrap(),
            Some(remembered("@ben", "✅", room)),
            "{engine}"
        );
        assert_eq!(take(c, "matrix", "$r3").unwrap(), None, "{engine}");
        assert_eq!(find(c, "matrix", "$r3").unwrap(), None, "{engine}");

        // Purged by age: only those before the cutoff.
        assert_eq!(purge_before(c, at(200)).unwrap(), 1, "{engine}");
        assert_eq!(find(c, "matrix", "$r1").unwrap(), None, "{engine}");
        assert_eq!(
            all_for_user(c, "matrix", "@ana").unwrap(),
            [serde_json::json!({"message": "$post", "emoji": "⏭️", "at": 200})],
            "{engine}"
        );
        assert_eq!(purge_before(c, at(200)).unwrap(), 0, "{engine}");

        // Forgotten with their member, on that platform alone.
        forget_user(c, "matrix", "@ana").unwrap();
        assert!(
            all_for_user(c, "matrix", "@ana").unwrap().is_empty(),
            "{engine}"
        );
        assert_eq!(find(c, "matrix", "$r2").unwrap(), None, "{engine}");
        assert_eq!(
            all_for_user(c, "discord", "@ana").unwrap(),
            [serde_json::json!({"message": "$post", "emoji": "🤕", "at": 400})],
            "{engine}"
        );
    }
}
