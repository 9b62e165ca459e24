//! A member who floods the bot with commands gets a polite "slow down" and
//! nothing is stored; everyone else is answered as usual.

use super::common;

use chrono::Duration;
use common::{Bot, utc};

const SLOW_DOWN: &str = "faster than I can answer";

#[tokio::test]
async fn a_flood_of_commands_is_slowed_down_and_changes_nothing() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for _ in 0..20 {
        let reply = bot.command("ana", "status").await;
        assert!(!reply.message.body.contains(SLOW_DOWN), "{reply:?}");
    }
    let reply = bot.command("ana", "subscribe 07:00 UTC").await;
    assert!(reply.message.body.contains(SLOW_DOWN), "{reply:?}");
    let reply = bot.command("ana", "no-such-command").await;
    assert!(reply.message.body.contains(SLOW_DOWN), "{reply:?}");
    let subscriptions: i64 = bot.query("SELECT COUNT(*) FROM subscriptions");
    assert_eq!(subscriptions, 0, "a refused command stores nothing");

    let reply = bot.command("ben", "subscribe 07:00 UTC").await;
    assert!(reply.message.body.contains("Subscribed"), "{reply:?}");

    // A couple of seconds later Ana may go on, one command at a time.
    bot.clock.set(utc("2027-05-03T06:00:02Z"));
    let reply = bot.command("ana", "subscribe 07:00 UTC").await;
    assert!(reply.message.body.contains("Subscribed"), "{reply:?}");
    let reply = bot.command("ana", "status").await;
    assert!(reply.message.body.contains(SLOW_DOWN), "{reply:?}");
    bot.clock
        .set(utc("2027-05-03T06:00:02Z") + Duration::minutes(1));
    let reply = bot.command("ana", "status").await;
    assert!(!reply.message.body.contains(SLOW_DOWN), "{reply:?}");
}
