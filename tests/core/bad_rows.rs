//! One stored row that no longer reads (a zone or routine a library or
//! content update removed, a damaged message body) is set aside with its
//! reason; everyone else's sessions and messages go on, and the engine
//! never fails a pass over it.

use super::common;

use common::{Bot, utc};
use upright::store::deliveries::Kind;

fn execute(bot: &Bot, sql: &str) {
    let sql = sql.to_string();
    bot.engine
        .db()
        .call_blocking(move |c| c.batch(&sql))
        .unwrap();
}

#[tokio::test]
async fn a_row_that_cannot_be_read_is_set_aside_and_the_rest_go_on() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for user in ["ana", "ben", "cy", "dee"] {
        bot.member(user, "subscribe 07:00 UTC").await;
    }
    // Ben's zone and Cy's routine are gone after an update.
    execute(
        &bot,
        "UPDATE subscriptions SET timezone = 'Atlantis/Capital'
          WHERE user_id = (SELECT id FROM users WHERE platform_user_id = 'ben');
         UPDATE subscriptions SET routine_id = 'retired-routine'
          WHERE user_id = (SELECT id FROM users WHERE platform_user_id = 'cy');",
    );
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;

    for user in ["ana", "dee"] {
        let posted = bot.fake.posted_to(user);
        assert!(
            posted.iter().any(|p| p.is_opening()),
            "{user} got no session"
        );
    }
    for user in ["ben", "cy"] {
        assert!(
            !bot.fake.posted_to(user).iter().any(|p| p.is_opening()),
            "{user}'s broken subscription started"
        );
        let reply = bot.command(user, "status").await;
        assert!(
            reply.message.body.contains("could not be read"),
            "{user} is told why: {}",
            reply.message.body
        );
    }
    assert_eq!(bot.engine.telemetry().metrics.failed_passes(), 0);

    // Dee's session is damaged mid-way; a message body for Ana too.
    execute(
        &bot,
        "UPDATE sessions SET loads = 'not json'
          WHERE subscription_id = (SELECT s.id FROM subscriptions s JOIN users u ON u.id = s.user_id
                                    WHERE u.platform_user_id = 'dee');",
    );
    let ana: i64 = bot.query("SELECT id FROM users WHERE platform_user_id = 'ana'");
    execute(
        &bot,
        &format!(
            "INSERT INTO deliveries (idempotency_key, platform, user_id, kind, priority, body, state, due_at, created_at)
             VALUES ('damaged', 'fake', {ana}, 'advice', 0, '{{not json', 'pending', 0, 0)"
        ),
    );
    bot.run_until(utc("2027-05-03T07:30:00Z")).await;

    let damaged: String = bot.query(
        "SELECT state || ': ' || last_error FROM deliveries WHERE idempotency_key = 'damaged'",
    );
    assert!(damaged.starts_with("failed: cannot be read"), "{damaged}");
    let dee_session: String = bot.query(
        "SELECT status FROM sessions WHERE subscription_id = (SELECT s.id FROM subscriptions s
           JOIN users u ON u.id = s.user_id WHERE u.platform_user_id = 'dee')",
    );
    assert_eq!(dee_session, "failed");
    // Ana's session paced on through all five exercises meanwhile.
    let exercises = bot
        .fake
        .posted_to("ana")
        .iter()
        .filter(|p| p.kind == Kind::Exercise)
        .count();
    assert_eq!(exercises, 5);
    assert_eq!(bot.engine.telemetry().metrics.failed_passes(), 0);
}

#[tokio::test]
async fn a_group_that_cannot_be_read_is_set_aside_and_everyone_goes_on() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for user in ["ana", "ben"] {
        bot.member(user, "subscribe 07:00 UTC").await;
    }
    for channel in ["zone", "cron", "summary", "loads", "fine"] {
        let reply = bot
            .command_in(
                "coach",
                channel,
                true,
                "group setup 07:00 UTC summary 20:00",
            )
            .await;
        assert!(
            reply.message.body.contains("does the routine together"),
            "{}",
            reply.message.body
        );
    }
    // After an update, three groups' stored schedules no longer read.
    execute(
        &bot,
        "UPDATE groups SET timezone = 'Atlantis/Capital' WHERE channel_id = 'zone';
         UPDATE groups SET cron = 'every other tuesday' WHERE channel_id = 'cron';
         UPDATE groups SET summary_time = '25:99' WHERE channel_id = 'summary';",
    );
    bot.run_until(utc("2027-05-03T07:01:00Z")).await;
    // Ana checks in with the sound group.
    let first = bot.fake.posted_in("fine")[0].id.clone();
    bot.react("ana", &first, "✅", true).await;
    // A fourth group's running session is damaged mid-way.
    execute(
        &bot,
        "UPDATE sessions SET loads = 'not json'
          WHERE group_id = (SELECT id FROM groups WHERE channel_id = 'loads');",
    );
    bot.run_until(utc("2027-05-03T21:00:00Z")).await;

    // Every member's session and the sound group's went on to the end.
    for user in ["ana", "ben"] {
        let exercises = bot
            .fake
            .posted_to(user)
            .iter()
            .filter(|p| p.kind == Kind::Exercise)
            .count();
        assert_eq!(exercises, 5, "{user}");
    }
    let fine = bot.fake.posted_in("fine");
    assert_eq!(fine.iter().filter(|p| p.kind == Kind::Exercise).count(), 5);
    assert!(fine.iter().any(|p| p.kind == Kind::Summary), "{fine:?}");
    assert_eq!(bot.engine.telemetry().metrics.failed_passes(), 0);
    // The unreadable ones are set aside, counted, and their day is missed.
    for channel in ["zone", "cron", "summary"] {
        let missed: i64 = bot.query(&format!(
            "SELECT COUNT(*) FROM sessions s JOIN groups g ON g.id = s.group_id
              WHERE g.channel_id = '{channel}' AND s.status = 'missed'"
        ));
        assert_eq!(missed, 1, "{channel}");
        let due: Option<i64> = bot.query(&format!(
            "SELECT next_run_at FROM groups WHERE channel_id = '{channel}'"
        ));
        assert_eq!(due, None, "{channel} no longer comes due");
    }
    let metrics = bot.engine.telemetry().metrics.encode();
    assert!(
        metrics.contains("upright_groups_set_aside_total 3"),
        "{metrics}"
    );
}
