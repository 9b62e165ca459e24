//! Killed between a member's press and its answer: the next exercise goes
//! out as the press's answer (a follow-up without a nonce), so after a
//! SIGKILL it must be found, or sent, exactly once. The fake Discord holds
//! back its answers to put the kill in each gap: while the press's own
//! answer (the callback) is on its way back, and after the follow-up was
//! carried out but before the bot heard so.

use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::discord_fake::{FakeDiscord, user};
use super::members::{Received, discord_messages, next_minute_after, subscribe_on_discord};
use super::{Process, message_recorded, wait_for_agreement, wait_for_commands};

/// Waits (up to two minutes) until `done` holds of the member's messages.
async fn wait_for(
    what: &str,
    fake: &FakeDiscord,
    dm: &str,
    bot: &Process,
    done: impl Fn(&Received) -> bool,
) -> Received {
    let limit = Instant::now() + Duration::from_secs(120);
    loop {
        let received = discord_messages(fake, dm);
        if done(&received) {
            return received;
        }
        assert!(
            Instant::now() < limit,
            "{what}: {received:?}\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the bot has recorded sending `message` (so a press finds it).
async fn recorded(database: &Path, message: &str, bot: &Process) {
    let limit = Instant::now() + Duration::from_secs(120);
    while !message_recorded(database, message) {
        assert!(
            Instant::now() < limit,
            "{message} never recorded:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many requests matching `method` and `path_part` the fake has seen.
fn seen(fake: &FakeDiscord, method: &str, path_part: &str) -> usize {
    fake.calls()
        .iter()
        .filter(|c| c.method == method && c.path.contains(path_part))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_a_press_and_its_answer_the_next_exercise_comes_once() {
    let fake = FakeDiscord::start().await;
    let work = tempfile::tempdir().unwrap();
    let database = work.path().join("press.sqlite3");
    // A pace long enough that only presses move the session on.
    let mut bot = Process::on_discord(&fake, work.path(), &database, 30);
    bot.start();
    wait_for_commands(&fake, &bot).await;
    let id = "30000001".to_string();
    let dm = fake.dm_channel_for(&id);
    let member = user(&id, "member", false);
    subscribe_on_discord(
        &fake,
        std::slice::from_ref(&id),
        next_minute_after(Duration::from_secs(20)),
    )
    .await;
    wait_for_agreement(&database, 1, &bot).await;
    let first = wait_for("exercise 1", &fake, &dm, &bot, |r| {
        r.exercises.contains_key(&1)
    })
    .await;
    let first = first.exercises[&1].clone();
    recorded(&database, &first, &bot).await;

    // 1. Killed while the press's own answer is on its way back: the
    // check-in is stored, exercise 2 waits for that answer.
    fake.hold_answer_to("POST", "/callback", Duration::from_secs(30));
    let callbacks = seen(&fake, "POST", "/callback");
    fake.press(&member, &first, "upright:done", false);
    let limit = Instant::now() + Duration::from_secs(60);
    while seen(&fake, "POST", "/callback") == callbacks {
        assert!(
            Instant::now() < limit,
            "the press was never answered:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.kill();
    bot.start();
    let second = wait_for("exercise 2", &fake, &dm, &bot, |r| {
        r.exercises.contains_key(&2)
    })
    .await;
    let second = second.exercises[&2].clone();
    recorded(&database, &second, &bot).await;

    // 2. Killed after the follow-up was carried out, before the bot heard:
    // the restarted bot looks in the DM and finds it.
    fake.hold_answer_to("POST", "/webhooks/", Duration::from_secs(30));
    let follow_ups = seen(&fake, "POST", "/webhooks/");
    fake.press(&member, &second, "upright:done", false);
    let limit = Instant::now() + Duration::from_secs(60);
    while seen(&fake, "POST", "/webhooks/") == follow_ups {
        assert!(Instant::now() < limit, "no follow-up:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.kill();
    bot.start();
    let third = wait_for("exercise 3", &fake, &dm, &bot, |r| {
        r.exercises.contains_key(&3)
    })
    .await;
    recorded(&database, &third.exercises[&3], &bot).await;
    // A little longer: anything sent twice would have come by now.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let received = discord_messages(&fake, &dm);
    bot.kill();
    for step in ["1/5", "2/5", "3/5"] {
        assert_eq!(received.counts.get(step), Some(&1), "{step}: {received:?}");
    }
    assert_eq!(
        seen(&fake, "POST", "/webhooks/") - follow_ups,
        1,
        "the press behind exercise 3 was answered once"
    );
    let reads = fake
        .calls()
        .iter()
        .filter(|c| c.method == "GET" && c.path == format!("/channels/{dm}/messages"))
        .count();
    assert_eq!(reads, 1, "found by reading the DM once");
    assert_eq!(fake.violations(), Vec::<String>::new());
}
