//! Check-ins that reach the bot before the message they are on is recorded
//! as its own: a member reacting while the sender that posted it has died
//! before recording it, or quicker than the outbox's write. They count
//! once the message is recorded, can be taken back until then, and are
//! forgotten after an hour if it never is. Where the platform never told
//! the bot (Discord, of a reaction made while no bot was connected), the
//! sender that records the message asks for them.

use super::common;

use common::{Bot, Get, Hang, PLATFORM, utc};
use upright::engine::{ReactionEvent, ReactionOutcome, Withdrawal};
use upright::store::deliveries::Kind;

/// A reaction by `user` on `message_id`, with an id of its own (as Matrix
/// gives one) and the room it was made in.
fn reaction(user: &str, message_id: &str, reaction_id: &str, added: bool) -> ReactionEvent {
    ReactionEvent {
        platform: PLATFORM.into(),
        message_id: message_id.into(),
        user_id: user.into(),
        display_name: None,
        emoji: "✅".into(),
        added,
        reaction_id: Some(reaction_id.into()),
        room: Some(format!("dm-{user}")),
    }
}

fn exercises(bot: &Bot, user: &str) -> Vec<common::Posted> {
    bot.fake
        .posted_to(user)
        .into_iter()
        .filter(|p| p.kind == Kind::Exercise)
        .collect()
}

/// Cy's first exercise posted by a sender that then hung (the process dies
/// before recording it), and the bot that goes on after it: the same
/// sender restarted, or another replica.
async fn posted_then_died(another_replica: bool) -> (Bot, common::Posted) {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.engine.name_sender("replica-a".into());
    bot.member("cy", "subscribe 07:00 UTC").await;
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.fake.hang_at(Some(Hang::AfterSend));
    tokio::select! {
        result = bot.engine.run_due() => panic!("the fake should hang, got {result:?}"),
        () = bot.fake.hung.notified() => {}
    }
    let first = exercises(&bot, "cy").remove(0);
    let next = bot.restart();
    if another_replica {
        next.engine.name_sender("replica-b".into());
    } else {
        next.engine.name_sender("replica-a".into());
    }
    drop(bot.engine.clone());
    (next, first)
}

#[tokio::test]
async fn a_check_in_made_while_the_sender_died_unrecorded_counts_once_its_message_is_recorded() {
    for another_replica in [false, true] {
        let (bot, first) = posted_then_died(another_replica).await;
        // The member saw the exercise and checked in; the sync or gateway
        // hands the reaction to the bot going on, before its sender runs.
        let outcome = bot
            .engine
            .on_reaction(reaction("cy", &first.id, "$r1", true))
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReactionOutcome::Held,
            "replica b: {another_replica}"
        );
        let none: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
        assert_eq!(none, 0, "nothing counts before the message is recorded");

        // Its sender records the message (found, or sent again under the
        // same key): the check-in counts, and the session moves on.
        if another_replica {
            bot.clock.set(utc("2027-05-03T07:01:10Z")); // past the dead claim
        }
        bot.engine.run_due().await.unwrap();
        let recorded: String = bot.query(
            "SELECT platform_message_id FROM deliveries WHERE kind = 'exercise' AND step = 1",
        );
        assert_eq!(recorded, first.id);
        let check_ins: Vec<(i64, String)> = bot
            .query_rows("SELECT step, kind FROM check_ins ORDER BY id", |row| {
                Ok((row.get(0)?, row.get(1)?))
            });
        assert_eq!(
            check_ins,
            [(1, "done".to_string())],
            "replica b: {another_replica}"
        );
        let held: i64 = bot.query("SELECT COUNT(*) FROM early_reactions");
        assert_eq!(held, 0, "applied once, then forgotten");
        assert_eq!(
            exercises(&bot, "cy").len(),
            2,
            "replica b: {another_replica}: the check-in moved the session on"
        );
        // Remembered by its own id, as any check-in: a redaction takes it back.
        let withdrawal = Withdrawal {
            by: "cy",
            by_moderator: false,
            room: Some("dm-cy"),
        };
        let taken_back = bot
            .engine
            .on_reaction_removed(PLATFORM, "$r1", withdrawal)
            .await
            .unwrap();
        assert_eq!(
            taken_back,
            ReactionOutcome::Withdrawn(upright::check_in::CheckInKind::Done)
        );
    }
}

/// On a platform that does not replay reactions made while no bot was
/// connected (Discord), the check-ins on a message recorded only on taking
/// over are asked for then: a catch-up at connection came too early to
/// know the message.
#[tokio::test]
async fn a_check_in_no_bot_was_told_of_counts_when_a_sender_records_its_message() {
    for another_replica in [false, true] {
        let (bot, first) = posted_then_died(another_replica).await;
        bot.fake.reacted_unseen(&first.id, "cy", "✅");
        if another_replica {
            bot.clock.set(utc("2027-05-03T07:01:10Z")); // past the dead claim
        }
        bot.engine.run_due().await.unwrap();
        let steps: Vec<i64> = bot.query_rows("SELECT step FROM check_ins", |row| row.get(0));
        assert_eq!(steps, [1], "replica b: {another_replica}");
        assert_eq!(
            exercises(&bot, "cy").len(),
            2,
            "replica b: {another_replica}: the check-in moved the session on"
        );
    }
}

#[tokio::test]
async fn a_check_in_taken_back_before_its_message_is_recorded_counts_nothing() {
    let (bot, first) = posted_then_died(false).await;
    let react = |reaction_id: &str, added: bool| {
        let event = reaction("cy", &first.id, reaction_id, added);
        let engine = bot.engine.clone();
        async move { engine.on_reaction(event).await.unwrap() }
    };
    // Removed as Discord removes one: by message, member and emoji.
    assert_eq!(react("$r1", true).await, ReactionOutcome::Held);
    assert!(matches!(
        react("$r1", false).await,
        ReactionOutcome::Withdrawn(_)
    ));
    // Redacted as Matrix does, by the reaction's own id: only by the
    // member who made it (or a moderator), only from its own room.
    assert_eq!(react("$r2", true).await, ReactionOutcome::Held);
    let redact = |by: &'static str, room: &'static str| {
        let engine = bot.engine.clone();
        async move {
            let withdrawal = Withdrawal {
                by,
                by_moderator: false,
                room: Some(room),
            };
            engine
                .on_reaction_removed(PLATFORM, "$r2", withdrawal)
                .await
                .unwrap()
        }
    };
    assert_eq!(redact("mal", "dm-cy").await, ReactionOutcome::Ignored);
    assert_eq!(redact("cy", "elsewhere").await, ReactionOutcome::Ignored);
    assert!(matches!(
        redact("cy", "dm-cy").await,
        ReactionOutcome::Withdrawn(_)
    ));

    bot.engine.run_due().await.unwrap();
    let check_ins: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(
        check_ins, 0,
        "both were taken back before the message was recorded"
    );
}

#[tokio::test]
async fn check_ins_on_messages_never_recorded_are_forgotten_after_an_hour() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("cy", "subscribe 07:00 UTC").await;
    let react = |user: &str, message_id: &str| {
        let event = reaction(user, message_id, &format!("$on-{message_id}"), true);
        let engine = bot.engine.clone();
        async move { engine.on_reaction(event).await.unwrap() }
    };
    // Someone the bot does not know, outside any group: not even held.
    assert_eq!(
        react("stranger", "m-elsewhere").await,
        ReactionOutcome::Ignored
    );
    // A member's ✅ on a message that is not the bot's: held, for nothing.
    assert_eq!(react("cy", "m-elsewhere").await, ReactionOutcome::Held);
    // One held for a message the outbox recorded without applying it (a
    // hand-over that failed after recording): the hourly upkeep applies it.
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = exercises(&bot, "cy").remove(0);
    bot.engine
        .db()
        .call_blocking(move |c| {
            c.batch(&format!(
                "INSERT INTO early_reactions (platform, message_id, user_id, kind, held_at) \
                 VALUES ('{PLATFORM}', '{}', 'cy', 'done', {})",
                first.id,
                utc("2027-05-03T07:00:30Z").timestamp()
            ))
        })
        .unwrap();
    bot.run_until(utc("2027-05-03T08:30:00Z")).await;
    let steps: Vec<i64> = bot.query_rows("SELECT step FROM check_ins", |row| row.get(0));
    assert_eq!(steps, [1], "the one whose message was recorded counts");
    let held: i64 = bot.query("SELECT COUNT(*) FROM early_reactions");
    assert_eq!(held, 0, "the one on a message never recorded is forgotten");
}
