//! Sent messages and remembered reaction ids are purged after the
//! retention period; check-ins stay, since streaks are made of them.

use super::common;

use chrono::Duration;
use common::{Bot, PLATFORM, capitalized, utc};
use upright::engine::{ReactionEvent, Settings};
use upright::store::deliveries::Kind;

#[tokio::test]
async fn records_past_the_retention_period_are_purged_and_check_ins_stay() {
    let settings = Settings {
        retention: Duration::days(30),
        ..Settings::default()
    };
    let bot = Bot::start_with(utc("2027-05-03T06:00:00Z"), settings);
    bot.member("ana", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let exercise = bot
        .fake
        .posted_to("ana")
        .into_iter()
        .find(|p| p.kind == Kind::Exercise)
        .unwrap();
    bot.engine
        .on_reaction(ReactionEvent {
            platform: PLATFORM.into(),
            message_id: exercise.id.clone(),
            user_id: "ana".into(),
            display_name: Some(capitalized("ana")),
            emoji: "✅".into(),
            added: true,
            reaction_id: Some("reaction-1".into()),
            room: None,
        })
        .await
        .unwrap();
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    bot.command("ana", "unsubscribe").await;
    let first_day: i64 = bot.query("SELECT COUNT(*) FROM deliveries");
    assert!(first_day > 5);

    // 29 days on: nothing is old enough yet.
    bot.clock.set(utc("2027-06-01T08:00:00Z"));
    bot.engine.run_due().await.unwrap();
    let kept: i64 = bot.query("SELECT COUNT(*) FROM deliveries");
    assert_eq!(kept, first_day);

    // 31 days on, and an hour since the last purge: gone, check-ins kept.
    bot.clock.set(utc("2027-06-03T09:00:00Z"));
    bot.engine.run_due().await.unwrap();
    let left: i64 = bot
        .query("SELECT (SELECT COUNT(*) FROM deliveries) + (SELECT COUNT(*) FROM reaction_events)");
    assert_eq!(left, 0);
    let check_ins: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(check_ins, 1);
}

/// A retention longer than the calendar reaches back keeps everything: the
/// purge's cut-off is computed with checked arithmetic, never a panic that
/// would fail every pass.
#[tokio::test]
async fn a_retention_past_the_calendar_keeps_everything_and_never_panics() {
    let settings = Settings {
        retention: Duration::days(99_999_999),
        ..Settings::default()
    };
    let bot = Bot::start_with(utc("2027-05-03T06:00:00Z"), settings);
    bot.member("ana", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-05T08:00:00Z")).await;
    let kept: i64 = bot.query("SELECT COUNT(*) FROM deliveries");
    assert!(kept > 0);
    assert_eq!(bot.engine.telemetry().metrics.failed_passes(), 0);
}
