//! A press that moves a member's session on is answered with the next
//! step (a follow-up with the interaction's token), which costs none of the
//! bot's global rate limit; what no press moved on stays a channel message.

use super::*;

/// Subscribes `who` at 07:00 UTC (pace `pace` minutes) by DM and agrees to
/// the disclaimer, as a member would.
async fn subscribed(fake: &FakeDiscord, bot: &Bot, who: &serde_json::Value, pace: u32) {
    let id = who["id"].as_str().unwrap().to_string();
    let dm = fake.dm_channel_for(&id);
    let options = json!([
        { "name": "time", "type": 3, "value": "07:00" },
        { "name": "timezone", "type": 3, "value": "UTC" },
        { "name": "pace", "type": 4, "value": pace },
    ]);
    reply_to(fake, "subscribe", options, who, false).await;
    let disclaimer = || {
        posted_in(fake, &dm)
            .into_iter()
            .find(|m| text_of(m).contains("To agree"))
    };
    eventually("the disclaimer", || disclaimer().is_some()).await;
    let disclaimer = disclaimer().unwrap()["id"].as_str().unwrap().to_string();
    bot.has_sent(&disclaimer).await;
    fake.press(who, &disclaimer, "upright:agree", false);
    let agreed = format!(
        "SELECT COUNT(*) FROM users WHERE platform_user_id = '{id}' AND agreed_at IS NOT NULL"
    );
    eventually("agreed", || bot.count(&agreed) == 1).await;
}

/// The message in `dm` showing `needle`, once there is exactly one.
fn the_one(fake: &FakeDiscord, dm: &str, needle: &str) -> Option<serde_json::Value> {
    let found: Vec<_> = posted_in(fake, dm)
        .into_iter()
        .filter(|m| text_of(m).contains(needle))
        .collect();
    assert!(found.len() <= 1, "{needle} twice in {dm}: {found:#?}");
    found.into_iter().next()
}

/// REST requests since `from` that count against the global limit and
/// concern `dm`.
fn global_requests_for(fake: &FakeDiscord, from: usize, dm: &str) -> Vec<String> {
    fake.calls()[from..]
        .iter()
        .filter(|c| c.global && c.path.contains(dm))
        .map(|c| format!("{} {}", c.method, c.path))
        .collect()
}

fn metric(bot: &Bot, line: &str) -> f64 {
    let metrics = bot.engine.telemetry().metrics.encode();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_through_a_session_costs_one_global_request_and_never_pressing_six() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let (ana, bo) = (user("6001", "ana", false), user("6002", "bo", false));
    let (ana_dm, bo_dm) = (fake.dm_channel_for("6001"), fake.dm_channel_for("6002"));
    subscribed(&fake, &bot, &ana, 10).await;
    subscribed(&fake, &bot, &bo, 10).await;

    let day_starts = fake.calls().len();
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    for step in 1..=5 {
        let title = format!("{step}/5");
        eventually(&format!("ana's exercise {step}"), || {
            the_one(&fake, &ana_dm, &title).is_some()
        })
        .await;
        let id = the_one(&fake, &ana_dm, &title).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        bot.has_sent(&id).await;
        fake.press(&ana, &id, "upright:done", false);
        // The press itself still shows what was recorded.
        eventually("the press answered in place", || {
            footer_of(&message_by_id(&fake, &id)).contains("Recorded: ✅ Done")
        })
        .await;
    }
    eventually("ana's closing", || {
        the_one(&fake, &ana_dm, "whole routine").is_some()
    })
    .await;

    // Bo never presses: the pace moves him on, one channel message a step.
    for _ in 0..8 {
        clock.advance(chrono::Duration::minutes(10));
        bot.engine.wake();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The disclaimer, five exercises and the closing.
    eventually("bo's closing", || posted_in(&fake, &bo_dm).len() == 7).await;
    for step in 1..=5 {
        assert!(
            the_one(&fake, &bo_dm, &format!("{step}/5")).is_some(),
            "bo's {step}/5"
        );
    }

    let ana_global = global_requests_for(&fake, day_starts, &ana_dm);
    assert_eq!(
        ana_global,
        [format!("POST /channels/{ana_dm}/messages")],
        "only the day's first message is a channel message"
    );
    let follow_ups = fake.calls()[day_starts..]
        .iter()
        .filter(|c| c.method == "POST" && c.path.starts_with("/webhooks/") && c.status == 200)
        .count();
    assert_eq!(
        follow_ups, 5,
        "exercises 2 to 5 and the closing, less the day's first"
    );
    let bo_global = global_requests_for(&fake, day_starts, &bo_dm);
    assert_eq!(
        bo_global.len(),
        6,
        "five exercises and the closing: {bo_global:#?}"
    );

    let discord = "platform=\"discord\"";
    assert_eq!(
        metric(
            &bot,
            &format!("upright_sent_total{{{discord},route=\"interaction\"}}")
        ),
        5.0
    );
    assert!(
        metric(
            &bot,
            &format!("upright_sent_total{{{discord},route=\"channel\"}}")
        ) >= 7.0
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}

/// Waits for the one message in `dm` showing `needle`; returns its id.
async fn arrived(fake: &FakeDiscord, bot: &Bot, dm: &str, needle: &str) -> String {
    eventually(needle, || the_one(fake, dm, needle).is_some()).await;
    let id = the_one(fake, dm, needle).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    bot.has_sent(&id).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_may_have_gone_out_is_looked_for_never_sent_twice() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let bot = start_bot(&fake, &dir.path().join("bot.sqlite3"), &clock, None).await;
    let ana = user("6101", "ana", false);
    let dm = fake.dm_channel_for("6101");
    subscribed(&fake, &bot, &ana, 30).await;
    clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let first = arrived(&fake, &bot, &dm, "1/5").await;

    // The follow-up goes out but its answer is lost: the bot cannot tell.
    fake.lose_answer_to("POST", "/webhooks/");
    let before = fake.calls().len();
    fake.press(&ana, &first, "upright:done", false);
    eventually("the lost answer", || {
        fake.calls()[before..].iter().any(|c| c.status == 502)
    })
    .await;
    // Its retry reads the DM once, finds it, and records it.
    clock.advance(chrono::Duration::minutes(2));
    bot.engine.wake();
    let second = arrived(&fake, &bot, &dm, "2/5").await;
    let reads = |from: usize| {
        fake.calls()[from..]
            .iter()
            .filter(|c| c.method == "GET" && c.path == format!("/channels/{dm}/messages"))
            .count()
    };
    eventually("the DM read", || reads(before) == 1).await;
    let follow_ups = fake.calls()[before..]
        .iter()
        .filter(|c| c.path.starts_with("/webhooks/"))
        .count();
    assert_eq!(follow_ups, 1, "the press is never answered twice");

    // A follow-up refused outright is looked for once, not found, and then
    // sent the ordinary way: a channel message with its nonce.
    fake.script(Scripted {
        method: "POST",
        path_contains: "/webhooks/".into(),
        status: 500,
        body: serde_json::Value::Null,
    });
    let before = fake.calls().len();
    fake.press(&ana, &second, "upright:done", false);
    eventually("the refused follow-up", || {
        fake.calls()[before..].iter().any(|c| c.status == 500)
    })
    .await;
    clock.advance(chrono::Duration::minutes(2));
    bot.engine.wake();
    arrived(&fake, &bot, &dm, "3/5").await;
    assert_eq!(reads(before), 1);
    let channel_posts = fake.calls()[before..]
        .iter()
        .filter(|c| c.method == "POST" && c.path == format!("/channels/{dm}/messages"))
        .count();
    assert_eq!(channel_posts, 1);
    // Exercise 2 and 3 each came once (`the_one` fails on a second).
    assert!(the_one(&fake, &dm, "2/5").is_some() && the_one(&fake, &dm, "3/5").is_some());
    assert_eq!(fake.violations(), Vec::<String>::new());
    bot.stop().await;
}
