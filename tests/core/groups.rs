//! Accountability groups on the fake platform with a manual clock: admin
//! checks, group sessions at a fixed pace, check-ins by anyone, nudges,
//! summaries, the leaderboard, members leaving, and the weekly DM.

use super::common;

use chrono::{DateTime, Duration, Utc};
use common::{Bot, Posted, utc};
use upright::engine::{ReactionEvent, ReactionOutcome};
use upright::store::deliveries::Kind;

const ROOM: &str = "room-1";

fn of_kind(posted: &[Posted], kind: Kind) -> Vec<Posted> {
    posted.iter().filter(|p| p.kind == kind).cloned().collect()
}

/// The group's exercise messages of one local date, in order.
fn exercises_on(bot: &Bot, date: &str) -> Vec<Posted> {
    of_kind(&bot.fake.posted_in(ROOM), Kind::Exercise)
        .into_iter()
        .filter(|p| p.key.contains(date))
        .collect()
}

/// A group meeting at 07:00 UTC every day, summary at 20:00, set up on
/// Monday 3 May 2027 at 06:00.
async fn group_bot() -> Bot {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    set_up_group(&bot, ROOM).await;
    bot
}

/// The same group's routine in `room` too.
async fn set_up_group(bot: &Bot, room: &str) {
    let reply = bot
        .command_in(
            "admin",
            room,
            true,
            "group setup 07:00 UTC daily summary 20:00",
        )
        .await;
    assert_eq!(
        reply.message.title.as_deref(),
        Some("Group set up"),
        "{reply:?}"
    );
    assert!(!reply.ephemeral, "the channel sees the group start");
}

/// Runs the day's session to its end, then each member checks in ✅ on the
/// first three exercises (enough for the day to count).
async fn day(bot: &Bot, date: &str, members: &[&str]) {
    bot.run_until(utc(&format!("{date}T07:20:00Z"))).await;
    let exercises = exercises_on(bot, date);
    assert_eq!(
        exercises.len(),
        5,
        "all five exercises were posted on {date}"
    );
    for member in members {
        for exercise in &exercises[..3] {
            let outcome = bot.react(member, &exercise.id, "✅", true).await;
            assert_eq!(
                outcome,
                ReactionOutcome::Recorded(upright::check_in::CheckInKind::Done)
            );
        }
    }
}

fn check_ins(bot: &Bot, user: &str) -> i64 {
    bot.query(&format!(
        "SELECT COUNT(*) FROM check_ins c JOIN users u ON u.id = c.user_id
         WHERE u.platform_user_id = '{user}' AND c.kind = 'done'"
    ))
}

#[tokio::test]
async fn only_admins_in_a_channel_can_set_up_a_group() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let refused = bot
        .command_in("ben", ROOM, false, "group setup 07:00 UTC")
        .await;
    assert!(
        refused.message.body.contains("Only admins"),
        "{:?}",
        refused.message
    );
    let in_dm = bot.command("ana", "group setup 07:00 UTC").await;
    assert!(
        in_dm.message.body.contains("not in a direct message"),
        "{in_dm:?}"
    );
    for (text, expected) in [
        ("group setup 25:61 UTC", "no minute 61"),
        ("group setup 07:00 Mars/Olympus", "Mars/Olympus"),
        (
            "group setup 07:00 UTC summary 07:10",
            "before the routine is over",
        ),
        ("group setup 23:50 UTC", "start it by 23:14"),
        ("group setup", "needs a time"),
        (
            "group dance",
            "`setup`, `off`, `status`, `nudges`, `skip` or `pause`",
        ),
    ] {
        let reply = bot.command_in("admin", ROOM, true, text).await;
        assert!(
            reply.message.body.contains(expected),
            "{text}: {:?}",
            reply.message
        );
    }
    let groups: i64 = bot.query("SELECT COUNT(*) FROM groups");
    assert_eq!(groups, 0, "refusals change nothing");
    for text in ["group status", "group off", "group nudges on"] {
        let reply = bot.command_in("ben", ROOM, false, text).await;
        assert!(reply.message.body.contains("Only admins"), "{text}");
    }

    // The summary time may also be given as a bare second time.
    let accepted = bot
        .command_in(
            "admin",
            ROOM,
            true,
            "group setup 7:00 am UTC weekdays 20:00",
        )
        .await;
    assert!(
        accepted.message.body.contains("summary at 20:00"),
        "{:?}",
        accepted.message
    );
    let status = bot.command_in("admin", ROOM, true, "group status").await;
    assert!(
        status.message.body.contains("Nudges: off"),
        "{:?}",
        status.message
    );
    assert!(status.ephemeral);
}

#[tokio::test]
async fn a_group_session_goes_at_a_fixed_pace_and_anyone_checks_in() {
    let bot = group_bot().await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let posted = bot.fake.posted_in(ROOM);
    let opening = &common::openings(&posted)[0];
    assert!(
        opening
            .body
            .contains("Everyone's reaction is their own check-in")
    );
    let first = &exercises_on(&bot, "2027-05-03")[0];
    assert_eq!(first.id, opening.id, "the opening heads exercise 1");
    assert!(first.body.contains("**1/5 · "));
    assert_eq!(bot.fake.reactions_on(&first.id), ["✅", "⏭️", "🤕"]);

    // A check-in does not move a group on: the pace does.
    for member in ["ana", "ben", "cleo"] {
        let outcome = bot.react(member, &first.id, "✅", true).await;
        assert!(matches!(outcome, ReactionOutcome::Recorded(_)), "{member}");
    }
    assert_eq!(exercises_on(&bot, "2027-05-03").len(), 1);
    bot.run_until(utc("2027-05-03T07:03:00Z")).await;
    let second = &exercises_on(&bot, "2027-05-03")[1];
    assert_eq!(second.at, utc("2027-05-03T07:03:00Z"));
    for member in ["ana", "ben", "cleo"] {
        assert_eq!(check_ins(&bot, member), 1, "{member}'s check-in is theirs");
    }

    // Removing the reaction withdraws only that member's check-in.
    let outcome = bot.react("ben", &first.id, "✅", false).await;
    assert!(matches!(outcome, ReactionOutcome::Withdrawn(_)));
    assert_eq!(check_ins(&bot, "ben"), 0);
    assert_eq!(check_ins(&bot, "ana"), 1);

    // 🤕 in a group: advice by DM to that member; the session carries on.
    let outcome = bot.react("cleo", &second.id, "🤕", true).await;
    assert!(matches!(outcome, ReactionOutcome::Recorded(_)));
    let advice = of_kind(&bot.fake.posted_to("cleo"), Kind::Advice);
    assert_eq!(advice.len(), 1, "cleo gets the stop-and-consult advice");
    bot.run_until(utc("2027-05-03T07:15:00Z")).await;
    assert_eq!(exercises_on(&bot, "2027-05-03").len(), 5);
    assert_eq!(of_kind(&bot.fake.posted_in(ROOM), Kind::Closing).len(), 1);
}

#[tokio::test]
async fn the_summary_names_who_checked_in_with_streaks_and_the_weekly_rate() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ana", "ben", "cleo"]).await;
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    let summaries = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary);
    assert_eq!(summaries.len(), 1);
    let summary = &summaries[0];
    assert_eq!(summary.at, utc("2027-05-03T20:00:00Z"));
    assert!(summary.title.contains("Monday 3 May"), "{}", summary.title);
    for name in ["Ana", "Ben", "Cleo"] {
        assert!(
            summary
                .body
                .contains(&format!("**{name}**: ✅ 1, 2, 3 · streak 1 day")),
            "{name} in {}",
            summary.body
        );
    }
    assert!(
        summary.body.contains("100% of member-days done (3 of 3)"),
        "{}",
        summary.body
    );

    // Next day only Ana checks in; Ben and Cleo are listed as not yet.
    day(&bot, "2027-05-04", &["ana"]).await;
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)[1].clone();
    assert!(
        summary.body.contains("**Ana**: ✅ 1, 2, 3 · streak 2 days"),
        "{}",
        summary.body
    );
    assert!(!summary.body.contains("**Ben**"), "{}", summary.body);
    assert!(
        summary.body.contains("No check-in today: Ben, Cleo"),
        "{}",
        summary.body
    );
    assert!(
        summary.body.contains("67% of member-days done (4 of 6)"),
        "{}",
        summary.body
    );

    // A week later the rate is compared with the week before.
    for date in [
        "2027-05-05",
        "2027-05-06",
        "2027-05-07",
        "2027-05-08",
        "2027-05-09",
    ] {
        day(&bot, date, &[]).await;
    }
    for date in ["2027-05-10", "2027-05-11"] {
        day(&bot, date, &["ana", "ben", "cleo"]).await;
    }
    bot.run_until(utc("2027-05-11T20:00:00Z")).await;
    let latest = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)
        .last()
        .cloned()
        .unwrap();
    assert!(latest.title.contains("Tuesday 11 May"), "{}", latest.title);
    // This week (5–11 May): 6 of 21 member-days; the week before (28 Apr–4 May): 4 of 6.
    assert!(
        latest.body.contains(
            "29% of member-days done (6 of 21), down 38 points from the week before (67%)"
        ),
        "{}",
        latest.body
    );

    // The privacy export lists the group a member takes part in.
    let export = bot.command("ana", "privacy export").await;
    let file = export.attachment.expect("an export file");
    let json: serde_json::Value = serde_json::from_slice(&file.bytes).unwrap();
    assert_eq!(json["groups"][0]["channel"], ROOM, "{json}");
    assert_eq!(json["groups"][0]["left_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_leaderboard_orders_by_streak_then_best_then_name_and_drops_leavers() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ben"]).await;
    // Dan joins before Ana, so a name order cannot come from join order.
    day(&bot, "2027-05-04", &["dan", "cleo", "ben", "ana"]).await;
    day(&bot, "2027-05-05", &["dan", "ben", "ana"]).await;
    bot.run_until(utc("2027-05-06T07:20:00Z")).await;

    let board = bot.command_in("cleo", ROOM, false, "leaderboard").await;
    assert!(!board.ephemeral);
    let lines: Vec<&str> = board
        .message
        .body
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .collect();
    assert_eq!(
        lines,
        [
            "1. **Ben**: 3 days (best 3 days)",
            "2. **Ana**: 2 days (best 2 days)",
            "2. **Dan**: 2 days (best 2 days)",
            "4. **Cleo**: 0 days (best 1 day)",
        ],
        "{}",
        board.message.body
    );

    // Dan leaves the channel: gone from the board and from the summary.
    // Ben, ahead of him, can no longer be looked up: skipped, not a reason to stop.
    bot.fake.forget_account("ben");
    bot.fake.leave(ROOM, "dan");
    let board = bot.command_in("cleo", ROOM, false, "leaderboard").await;
    assert!(
        !board.message.body.contains("Dan"),
        "{}",
        board.message.body
    );
    assert!(
        board.message.body.contains("3. **Cleo**"),
        "{}",
        board.message.body
    );
    let exercises = exercises_on(&bot, "2027-05-06");
    bot.react("ana", &exercises[0].id, "✅", true).await;
    bot.run_until(utc("2027-05-06T20:00:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)
        .last()
        .cloned()
        .unwrap();
    assert!(!summary.body.contains("Dan"), "{}", summary.body);
    assert!(
        summary.body.contains("No check-in today: Ben, Cleo"),
        "{}",
        summary.body
    );

    // Reacting again brings a member back.
    let outcome = bot.react("dan", &exercises[1].id, "✅", true).await;
    assert!(matches!(outcome, ReactionOutcome::Recorded(_)));
    let members: i64 = bot.query("SELECT COUNT(*) FROM group_members WHERE left_at IS NULL");
    assert_eq!(members, 4);

    let in_dm = bot.command("ana", "leaderboard").await;
    assert!(
        in_dm
            .message
            .body
            .contains("in the channel or room of a group")
    );
}

fn nudges(bot: &Bot) -> Vec<Posted> {
    of_kind(&bot.fake.posted_in(ROOM), Kind::Nudge)
}

#[tokio::test]
async fn nudges_are_opt_in_per_group_and_opt_out_per_member() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ana", "ben", "cleo"]).await;
    day(&bot, "2027-05-04", &["ana"]).await;
    let lookups = |bot: &Bot| {
        bot.fake
            .calls()
            .iter()
            .filter(|(call, _)| call == "is_member")
            .count()
    };
    let before = lookups(&bot);
    bot.run_until(utc("2027-05-04T19:30:00Z")).await;
    assert_eq!(
        lookups(&bot),
        before,
        "no membership checks for a nudge that is off"
    );
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    assert!(
        nudges(&bot).is_empty(),
        "nudges are off until an admin turns them on"
    );
    assert_eq!(
        lookups(&bot),
        before + 3,
        "the summary checks its three members"
    );

    let reply = bot.command_in("admin", ROOM, true, "group nudges on").await;
    assert!(reply.message.body.contains("Nudges on"), "{reply:?}");
    let reply = bot.command_in("cleo", ROOM, false, "nudges off").await;
    assert!(reply.ephemeral && reply.message.body.contains("won't mention you"));

    day(&bot, "2027-05-05", &["ana"]).await;
    bot.run_until(utc("2027-05-05T19:00:00Z")).await;
    let sent = nudges(&bot);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].at,
        utc("2027-05-05T19:00:00Z"),
        "an hour before the summary"
    );
    assert!(sent[0].body.starts_with("@Ben:"), "{}", sent[0].body);
    assert!(!sent[0].body.contains("Cleo"), "cleo opted out");
    assert!(!sent[0].body.contains("Ana"), "ana checked in today");

    // Once: a restart and another pass send nothing more.
    let bot = bot.restart();
    bot.run_until(utc("2027-05-05T20:30:00Z")).await;
    assert_eq!(nudges(&bot).len(), 1);
}

#[tokio::test]
async fn turning_a_group_off_stops_its_sessions_and_keeps_its_history() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ana"]).await;
    let reply = bot.command_in("admin", ROOM, true, "group off").await;
    assert!(reply.message.body.contains("No more group sessions"));
    bot.run_until(utc("2027-05-05T21:00:00Z")).await;
    assert!(exercises_on(&bot, "2027-05-04").is_empty());
    assert!(
        of_kind(&bot.fake.posted_in(ROOM), Kind::Summary).is_empty(),
        "no summary after the group is off"
    );
    let board = bot.command_in("ana", ROOM, false, "leaderboard").await;
    assert!(
        board.message.body.contains("**Ana**"),
        "{}",
        board.message.body
    );
    let status = bot.command_in("admin", ROOM, true, "group status").await;
    assert!(status.message.body.contains("There is no group"));
}

#[tokio::test]
async fn the_weekly_summary_dm_is_opt_in() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ana", "subscribe 07:00 UTC").await;
    let reply = bot.command("ana", "weekly on").await;
    assert!(
        reply.message.body.contains("Sun 9 May at 18:00"),
        "{reply:?}"
    );
    for n in 0..7 {
        let start: DateTime<Utc> = utc("2027-05-03T07:00:00Z") + Duration::days(n);
        bot.run_until(start).await;
        if n < 4 {
            for _ in 0..5 {
                let exercise = of_kind(&bot.fake.posted_to("ana"), Kind::Exercise)
                    .last()
                    .cloned()
                    .unwrap();
                bot.react("ana", &exercise.id, "✅", true).await;
            }
        }
    }
    bot.run_until(utc("2027-05-09T18:00:00Z")).await;
    let weekly = of_kind(&bot.fake.posted_to("ana"), Kind::Weekly);
    assert_eq!(weekly.len(), 1);
    assert!(
        weekly[0].body.contains("4 of 7 sessions done"),
        "{}",
        weekly[0].body
    );
    assert!(
        weekly[0]
            .body
            .contains("Upper back extension: 10 → 11 reps"),
        "{}",
        weekly[0].body
    );

    let reply = bot.command("ana", "weekly off").await;
    assert!(reply.message.body.contains("off"));
    bot.run_until(utc("2027-05-16T19:00:00Z")).await;
    assert_eq!(of_kind(&bot.fake.posted_to("ana"), Kind::Weekly).len(), 1);
    let other = bot.command("ana", "weekly maybe").await;
    assert!(other.message.body.contains("`on` or `off`"), "{other:?}");

    // A new time zone moves the weekly summary to Sunday 18:00 there: it is
    // Sunday 19:00 in UTC but 15:00 in New York, so later today.
    bot.command("ana", "weekly on").await;
    bot.command("ana", "timezone America/New_York").await;
    let next: i64 = bot.query("SELECT weekly_summary_at FROM users WHERE platform_user_id = 'ana'");
    assert_eq!(next, utc("2027-05-16T22:00:00Z").timestamp());
}

#[tokio::test]
async fn big_groups_get_split_nudges_and_a_summary_that_fits() {
    let bot = group_bot().await;
    let members: Vec<String> = (0..45).map(|i| format!("m{i:02}")).collect();
    let names: Vec<&str> = members.iter().map(String::as_str).collect();
    day(&bot, "2027-05-03", &names).await;
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)[0].clone();
    assert!(
        summary
            .body
            .starts_with("Group completion over 7 days: 100%"),
        "the group's figure comes first: {}",
        summary.body
    );
    assert_eq!(summary.body.matches("· streak 1 day").count(), 30);
    assert!(
        summary.body.contains("…and 15 more checked in."),
        "{}",
        summary.body
    );

    bot.command_in("admin", ROOM, true, "group nudges on").await;
    day(&bot, "2027-05-04", &[]).await;
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    let sent = nudges(&bot);
    assert_eq!(sent.len(), 2, "45 mentions in two messages");
    assert_eq!(sent[0].body.matches('@').count(), 40);
    assert_eq!(sent[1].body.matches('@').count(), 5);
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)[1].clone();
    assert!(summary.body.contains(", and 15 more\n"), "{}", summary.body);
}

#[tokio::test]
async fn a_broken_group_holds_up_nobody_else() {
    let bot = group_bot().await;
    bot.command_in("admin", "room-2", true, "group setup 07:00 UTC daily 20:00")
        .await;
    bot.member("solo", "subscribe 07:00 UTC").await;
    // Room 1's routine is no longer in the content folder.
    bot.engine
        .db()
        .call_blocking(|c| {
            c.execute(
                "UPDATE groups SET routine_id = 'gone' WHERE channel_id = ?1",
                upright::store::sql::args![ROOM],
            )?;
            Ok(())
        })
        .unwrap();
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    assert!(bot.fake.posted_in(ROOM).is_empty());
    assert_eq!(
        of_kind(&bot.fake.posted_in("room-2"), Kind::Exercise).len(),
        1
    );
    assert_eq!(
        of_kind(&bot.fake.posted_to("solo"), Kind::Exercise).len(),
        1
    );
    let next: i64 = bot.query("SELECT next_run_at FROM groups WHERE channel_id = 'room-1'");
    assert_eq!(
        next,
        utc("2027-05-04T07:00:00Z").timestamp(),
        "the broken group is tried again on its next day, not in a loop"
    );
}

#[tokio::test]
async fn names_are_shown_as_typed_never_as_formatting() {
    let bot = group_bot().await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = exercises_on(&bot, "2027-05-03")[0].clone();
    let outcome = bot
        .engine
        .on_reaction(upright::engine::ReactionEvent {
            platform: common::PLATFORM.into(),
            message_id: first.id.clone(),
            user_id: "eve".into(),
            display_name: Some("**[admin](https://evil.example)**".into()),
            emoji: "✅".into(),
            added: true,
            reaction_id: None,
            room: None,
        })
        .await
        .unwrap();
    assert!(matches!(outcome, ReactionOutcome::Recorded(_)));
    let board = bot.command_in("admin", ROOM, false, "leaderboard").await;
    assert!(
        board
            .message
            .body
            .contains(r"**\*\*\[admin\]\(https://evil.example\)\*\***"),
        "{}",
        board.message.body
    );
}

#[tokio::test]
async fn completion_counts_a_newcomer_from_their_first_check_in() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ana"]).await;
    day(&bot, "2027-05-04", &["ana", "ben"]).await;
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)[1].clone();
    // Ana 2 of 2, Ben 1 of 1: the day before Ben came is not his to miss.
    assert!(
        summary.body.contains("100% of member-days done (3 of 3)"),
        "{}",
        summary.body
    );
}

#[tokio::test]
async fn privacy_delete_takes_the_member_out_of_stored_group_posts() {
    let bot = group_bot().await;
    day(&bot, "2027-05-03", &["ana", "ben"]).await;
    // The summary cannot go out yet, so it waits in the outbox naming Ana.
    bot.fake
        .outage(Some(upright::engine::SendError::Transient("down".into())));
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    let waiting: i64 = bot.query(
        "SELECT COUNT(*) FROM deliveries WHERE kind = 'summary' AND state = 'pending' AND body LIKE '%Ana%'",
    );
    assert_eq!(waiting, 1);

    bot.command("ana", "privacy delete confirm").await;
    bot.fake.outage(None);
    bot.run_until(utc("2027-05-03T20:05:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)
        .pop()
        .expect("the summary went out");
    assert!(!summary.body.contains("Ana"), "{}", summary.body);
    assert!(summary.body.contains("a former member"), "{}", summary.body);
    assert!(summary.body.contains("**Ben**"), "{}", summary.body);
    let stored: i64 = bot
        .query("SELECT COUNT(*) FROM deliveries WHERE body LIKE '%Ana%' OR body LIKE '%\"ana\"%'");
    assert_eq!(stored, 0, "no stored post names Ana any more");
}

#[tokio::test]
async fn a_check_in_counts_only_in_the_groups_own_room_and_names_stay_one_line() {
    let bot = group_bot().await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = exercises_on(&bot, "2027-05-03")[0].clone();
    let reaction = |room: &str, user: &str, name: &str| upright::engine::ReactionEvent {
        platform: common::PLATFORM.into(),
        message_id: first.id.clone(),
        user_id: user.into(),
        display_name: Some(name.into()),
        emoji: "✅".into(),
        added: true,
        reaction_id: None,
        room: Some(room.into()),
    };
    // A relation to the group's message sent from another room.
    let elsewhere = bot
        .engine
        .on_reaction(reaction("room-2", "mal", "Mal"))
        .await
        .unwrap();
    assert_eq!(elsewhere, ReactionOutcome::Ignored);
    // In the group's room; a name that tries to start a summary line of its own.
    let here = bot
        .engine
        .on_reaction(reaction(ROOM, "eve", "Eve\n**Mal**: ✅ 1, 2, 3, 4, 5"))
        .await
        .unwrap();
    assert!(matches!(here, ReactionOutcome::Recorded(_)));
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    let summary = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)
        .pop()
        .unwrap();
    assert!(!summary.body.contains("\n**Mal**"), "{}", summary.body);
    let members: i64 = bot.query("SELECT COUNT(*) FROM group_members");
    assert_eq!(members, 1, "only Eve joined the group");
}

#[tokio::test]
async fn each_group_shows_the_name_its_server_knows_and_dms_keep_the_members_own() {
    let bot = group_bot().await;
    set_up_group(&bot, "room-2").await;
    bot.member("ana", "subscribe 06:30 UTC").await; // Her own name: "Ana".
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    for (room, name) in [(ROOM, "Coach Ana"), ("room-2", "Annie")] {
        let first = of_kind(&bot.fake.posted_in(room), Kind::Exercise)[0].clone();
        check_in_as(&bot, "ana", name, &first.id, room).await;
    }
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    let summary = |room: &str| {
        of_kind(&bot.fake.posted_in(room), Kind::Summary)
            .pop()
            .unwrap()
            .body
    };
    assert!(summary(ROOM).contains("Coach Ana"), "{}", summary(ROOM));
    assert!(!summary(ROOM).contains("Annie"), "{}", summary(ROOM));
    assert!(summary("room-2").contains("Annie"), "{}", summary("room-2"));
    let own: String = bot.query("SELECT display_name FROM users WHERE platform_user_id = 'ana'");
    assert_eq!(
        own, "Ana",
        "a server's nickname does not rename her elsewhere"
    );
}

#[tokio::test]
async fn a_group_rests_on_skipped_and_paused_days_and_nobody_loses_their_streak() {
    let bot = group_bot().await;
    let summaries = || of_kind(&bot.fake.posted_in(ROOM), Kind::Summary);

    // Only admins, only sensible days.
    let refused = bot
        .command_in("ana", ROOM, false, "group skip 2027-05-04")
        .await;
    assert!(refused.message.body.contains("Only admins"), "{refused:?}");
    for (text, needle) in [
        ("group skip 4-May", "not a date"),
        ("group skip 4 May", "one date like `2027-05-05`"),
        ("group skip 2027-05-01", "has passed"),
        ("group skip 2029-01-01", "more than a year"),
        ("group pause 0", "from 1 to 60"),
        ("group pause", "a number of days"),
    ] {
        let reply = bot.command_in("admin", ROOM, true, text).await;
        assert!(reply.message.body.contains(needle), "{text}: {reply:?}");
    }
    let none: i64 = bot.query("SELECT COUNT(*) FROM group_rest_days");
    assert_eq!(none, 0, "refusals change nothing");

    // Tuesday off, announced in the channel at once and again the evening before.
    let skip = bot
        .command_in("admin", ROOM, true, "group skip 2027-05-04")
        .await;
    assert!(!skip.ephemeral);
    assert!(
        skip.message
            .body
            .contains("No group session on Tuesday 4 May"),
        "{skip:?}"
    );
    day(&bot, "2027-05-03", &["ana", "ben"]).await;
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    assert!(
        summaries()[0]
            .body
            .contains("No group session on Tuesday 4 May: the group rests"),
        "{}",
        summaries()[0].body
    );
    bot.run_until(utc("2027-05-04T21:00:00Z")).await;
    assert!(exercises_on(&bot, "2027-05-04").is_empty(), "no session");
    assert_eq!(summaries().len(), 1, "and no summary");
    let status: String = bot.query("SELECT status FROM sessions WHERE local_date = '2027-05-04'");
    assert_eq!(status, "skipped");

    // Wednesday runs; the streak carries over the rest day.
    day(&bot, "2027-05-05", &["ana", "ben"]).await;
    bot.run_until(utc("2027-05-05T20:00:00Z")).await;
    let wednesday = summaries().pop().unwrap();
    assert!(
        wednesday
            .body
            .contains("**Ana**: ✅ 1, 2, 3 · streak 2 days"),
        "{}",
        wednesday.body
    );

    // A pause of two days from tomorrow.
    let pause = bot.command_in("admin", ROOM, true, "group pause 2").await;
    assert!(
        pause
            .message
            .body
            .contains("rests from Thursday 6 May to Friday 7 May"),
        "{pause:?}"
    );
    bot.run_until(utc("2027-05-07T21:00:00Z")).await;
    assert!(exercises_on(&bot, "2027-05-06").is_empty());
    assert!(exercises_on(&bot, "2027-05-07").is_empty());
    day(&bot, "2027-05-08", &["ana"]).await;
    bot.run_until(utc("2027-05-08T20:00:00Z")).await;
    let saturday = summaries().pop().unwrap();
    assert!(
        saturday
            .body
            .contains("**Ana**: ✅ 1, 2, 3 · streak 3 days"),
        "{}",
        saturday.body
    );
}

/// Waits (up to a minute) until `done` holds, while the engine's own loop runs.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_groups_membership_check_holds_up_no_one_elses_session() {
    let bot = group_bot().await;
    bot.run_until(utc("2027-05-03T07:20:00Z")).await;
    let first = exercises_on(&bot, "2027-05-03")[0].id.clone();
    let members: Vec<String> = (0..2000).map(|i| format!("m{i:04}")).collect();
    for member in &members {
        check_in_as(&bot, member, member, &first, ROOM).await;
    }
    // All two thousand took part on Monday; on Tuesday they are quiet.
    bot.run_until(utc("2027-05-04T07:20:00Z")).await;
    bot.command_in("admin", ROOM, true, "group nudges on").await;
    // Dora's own session starts when the group's nudge is due.
    bot.member("dora", "subscribe 19:00 UTC").await;

    // The platform takes its time over every membership lookup.
    let doras = || of_kind(&bot.fake.posted_to("dora"), Kind::Exercise).len();
    let lookups = || {
        bot.fake
            .calls()
            .iter()
            .filter(|(call, _)| call == "is_member")
            .count()
    };
    bot.fake.hold_lookups(true);
    let checked_on_monday = lookups();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = bot.engine.clone();
    let running = tokio::spawn(async move {
        engine
            .run(async {
                let _stop = stopped.await;
            })
            .await;
    });
    bot.clock.set(utc("2027-05-04T19:00:00Z"));
    bot.engine.wake();
    until("Dora's exercise 1", || doras() == 1).await;
    bot.clock.set(utc("2027-05-04T19:03:00Z"));
    bot.engine.wake();
    until("Dora's exercise 2, by pace", || doras() == 2).await;
    assert!(lookups() > 0, "the group's check is under way");
    assert!(nudges(&bot).is_empty(), "the nudge waits for the check");

    bot.fake.hold_lookups(false);
    until("the nudge", || nudges(&bot).len() == 2000 / 40).await;
    assert_eq!(
        lookups(),
        checked_on_monday + 2000,
        "each member looked up once"
    );
    let named: usize = nudges(&bot)
        .iter()
        .map(|n| {
            members
                .iter()
                .filter(|m| n.body.contains(m.as_str()))
                .count()
        })
        .sum();
    assert_eq!(named, 2000, "every quiet member is named once");
    stop.send(()).unwrap();
    running.await.unwrap();
}

/// `user` reacts ✅ on `message_id` in `room`, showing as `name` there.
async fn check_in_as(bot: &Bot, user: &str, name: &str, message_id: &str, room: &str) {
    let outcome = bot
        .engine
        .on_reaction(ReactionEvent {
            platform: common::PLATFORM.into(),
            message_id: message_id.into(),
            user_id: user.into(),
            display_name: Some(name.into()),
            emoji: "✅".into(),
            added: true,
            reaction_id: None,
            room: Some(room.into()),
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, ReactionOutcome::Recorded(_)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn privacy_delete_finds_a_member_by_reference_not_by_their_name_as_text() {
    let bot = group_bot().await;
    set_up_group(&bot, "room-2").await;
    let first = |room: &str, date: &str| {
        of_kind(&bot.fake.posted_in(room), Kind::Exercise)
            .into_iter()
            .find(|p| p.key.contains(date))
            .map(|p| p.id)
            .unwrap()
    };
    // Monday: ana_b and Mo in the first group, Cleo alone in the second.
    bot.run_until(utc("2027-05-03T07:20:00Z")).await;
    check_in_as(&bot, "anab", "ana_b", &first(ROOM, "2027-05-03"), ROOM).await;
    check_in_as(&bot, "mo", "Mo", &first(ROOM, "2027-05-03"), ROOM).await;
    check_in_as(
        &bot,
        "cleo",
        "Cleo",
        &first("room-2", "2027-05-03"),
        "room-2",
    )
    .await;
    bot.run_until(utc("2027-05-03T20:00:00Z")).await;
    // Tuesday: ana_b is "Coach Ana" now; the summary cannot go out yet.
    bot.run_until(utc("2027-05-04T07:20:00Z")).await;
    check_in_as(&bot, "anab", "Coach Ana", &first(ROOM, "2027-05-04"), ROOM).await;
    check_in_as(&bot, "mo", "Mo", &first(ROOM, "2027-05-04"), ROOM).await;
    check_in_as(&bot, "ben", "Ben", &first(ROOM, "2027-05-04"), ROOM).await;
    bot.fake
        .outage(Some(upright::engine::SendError::Transient("down".into())));
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    let summary = |room: &str, date: &str| -> String {
        bot.query(&format!(
            "SELECT d.body FROM deliveries d JOIN sessions s ON s.id = d.session_id
             WHERE d.kind = 'summary' AND d.channel_id = '{room}' AND s.local_date = '{date}'"
        ))
    };
    let monday_here = summary(ROOM, "2027-05-03");
    assert!(monday_here.contains("ana\\\\_b"), "{monday_here}");
    let waiting = summary(ROOM, "2027-05-04");
    assert!(
        waiting.contains("**Coach Ana**") && waiting.contains("**Mo**"),
        "{waiting}"
    );
    let monday_elsewhere = summary("room-2", "2027-05-03");

    // Mo leaves: the posts naming Mo change, and nothing else.
    bot.command("mo", "privacy delete confirm").await;
    assert_eq!(summary("room-2", "2027-05-03"), monday_elsewhere);
    assert!(
        monday_elsewhere.contains("Monday 3 May"),
        "{monday_elsewhere}"
    );
    let waiting = summary(ROOM, "2027-05-04");
    assert!(!waiting.contains("**Mo**"), "{waiting}");
    assert!(waiting.contains("**a former member**"), "{waiting}");
    assert!(waiting.contains("**Coach Ana**"), "{waiting}");
    let sent = summary(ROOM, "2027-05-03");
    assert!(
        !sent.contains("Mo") && !sent.contains("ana"),
        "sent, so emptied: {sent}"
    );

    // ana_b leaves, under her former name and her present one.
    bot.command("anab", "privacy delete confirm").await;
    let named: i64 = bot.query(
        "SELECT COUNT(*) FROM deliveries WHERE kind IN ('summary', 'nudge')
         AND (body LIKE '%ana%' OR body LIKE '%**Mo**%')",
    );
    assert_eq!(named, 0, "no stored post names either of them");
    let left: i64 = bot.query("SELECT COUNT(*) FROM post_names");
    let bens: i64 = bot.query(
        "SELECT COUNT(*) FROM post_names p JOIN users u ON u.id = p.user_id
         WHERE u.platform_user_id IN ('ben', 'cleo')",
    );
    assert_eq!(left, bens, "only the members still here are remembered");
    bot.fake.outage(None);
    bot.run_until(utc("2027-05-04T20:05:00Z")).await;
    let posted = of_kind(&bot.fake.posted_in(ROOM), Kind::Summary)
        .pop()
        .unwrap();
    assert_eq!(
        posted.body.matches("**a former member**").count(),
        2,
        "{}",
        posted.body
    );
    assert!(posted.body.contains("**Ben**"), "{}", posted.body);
}
