//! The routine engine end to end on a fake platform with a manual clock:
//! sessions, pacing, check-ins, coaching, failures, restarts and bursts.

use super::common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use common::{Bot, Get, Hang, utc};
use upright::engine::{ReactionEvent, ReactionOutcome, SendError, Settings, Withdrawal};
use upright::store::deliveries::Kind;

fn of_kind(posted: &[common::Posted], kind: Kind) -> Vec<common::Posted> {
    posted.iter().filter(|p| p.kind == kind).cloned().collect()
}

/// Reacts ✅ on the latest exercise `n` times, checking each time that the
/// next step arrived.
async fn check_in_all(bot: &Bot, user: &str, emoji: &str) {
    for step in 1..=5 {
        let exercises = of_kind(&bot.fake.posted_to(user), Kind::Exercise);
        let current = exercises.last().expect("an exercise was posted");
        assert!(
            current.key.ends_with(&format!("/ex{step}")),
            "expected exercise {step}, got {}",
            current.key
        );
        let outcome = bot.react(user, &current.id, emoji, true).await;
        assert!(
            matches!(outcome, ReactionOutcome::Recorded(_)),
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_session_advanced_by_check_ins() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ana", "subscribe 07:00 UTC").await;
    let before = bot.fake.posted_to("ana");
    assert_eq!(
        of_kind(&before, Kind::Disclaimer).len(),
        1,
        "the disclaimer is sent once"
    );

    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let posted = bot.fake.posted_to("ana");
    let opening = &common::openings(&posted)[0];
    assert!(
        opening.body.contains("Upper back extension: 10 reps"),
        "{}",
        opening.body
    );
    assert_eq!(opening.at, utc("2027-05-03T07:00:00Z"));
    let first = &of_kind(&posted, Kind::Exercise)[0];
    assert_eq!(first.id, opening.id, "the opening heads exercise 1");
    assert!(first.body.contains("**1/5 · Upper back extension**"));
    assert!(
        first.body.contains("**Today:** 10 reps, hold 3 s"),
        "{}",
        first.body
    );
    assert_eq!(
        bot.fake.reactions_on(&first.id),
        vec!["✅", "⏭\u{FE0F}", "🤕"]
    );

    check_in_all(&bot, "ana", "✅").await;
    let posted = bot.fake.posted_to("ana");
    let exercises = of_kind(&posted, Kind::Exercise);
    assert_eq!(exercises.len(), 5);
    assert!(
        exercises
            .iter()
            .all(|e| e.at == utc("2027-05-03T07:00:00Z")),
        "each followed its check-in at once"
    );
    let closing = &of_kind(&posted, Kind::Closing)[0];
    assert!(closing.body.contains("✅ 5 done"), "{}", closing.body);
    assert!(closing.body.contains("Streak: 1 day"), "{}", closing.body);
    let done: i64 = bot.query("SELECT COUNT(*) FROM check_ins WHERE kind = 'done'");
    assert_eq!(done, 5);
}

/// An answer that carried the disclaimer (a Matrix DM) counts as the
/// member's disclaimer once the platform reports it: the bot's ✅ goes on it
/// and the member's ✅ agrees. One that could not be sent leaves the
/// disclaimer to go out on its own.
#[tokio::test]
async fn an_answer_that_carried_the_disclaimer_counts_as_it() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for member in ["ana", "ben"] {
        bot.command(member, "timezone UTC").await;
    }
    bot.engine
        .disclaimer_answered(common::PLATFORM, "ana", Some("answer-1"))
        .await
        .unwrap();
    bot.engine
        .disclaimer_answered(common::PLATFORM, "ben", None)
        .await
        .unwrap();
    bot.engine.run_due().await.unwrap();

    assert!(of_kind(&bot.fake.posted_to("ana"), Kind::Disclaimer).is_empty());
    assert_eq!(bot.fake.reactions_on("answer-1"), ["✅"]);
    let outcome = bot.react("ana", "answer-1", "✅", true).await;
    assert!(matches!(outcome, ReactionOutcome::Agreed), "{outcome:?}");
    // Reported again (the command replayed after a crash): nothing new.
    bot.engine
        .disclaimer_answered(common::PLATFORM, "ana", Some("answer-1"))
        .await
        .unwrap();
    bot.engine.run_due().await.unwrap();
    assert!(of_kind(&bot.fake.posted_to("ana"), Kind::Disclaimer).is_empty());
    assert_eq!(bot.fake.reactions_on("answer-1"), ["✅"]);

    let ben = of_kind(&bot.fake.posted_to("ben"), Kind::Disclaimer);
    assert_eq!(ben.len(), 1, "the disclaimer on its own");
    assert!(ben[0].body.contains("To agree"), "{}", ben[0].body);
}

#[tokio::test]
async fn a_session_advanced_by_pace_alone() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ben", "subscribe 07:00 UTC daily 4").await;
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    let posted = bot.fake.posted_to("ben");
    let times: Vec<String> = of_kind(&posted, Kind::Exercise)
        .iter()
        .map(|e| e.at.format("%H:%M").to_string())
        .collect();
    assert_eq!(times, ["07:00", "07:04", "07:08", "07:12", "07:16"]);
    let closing = &of_kind(&posted, Kind::Closing)[0];
    assert_eq!(closing.at, utc("2027-05-03T07:20:00Z"));
    assert!(
        closing.body.contains("5 without a check-in"),
        "{}",
        closing.body
    );
}

#[tokio::test]
async fn a_crash_between_written_and_sent_sends_each_message_once() {
    for hang in [Hang::BeforeSend, Hang::AfterSend] {
        let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
        bot.member("cy", "subscribe 07:00 UTC").await;
        bot.clock.set(utc("2027-05-03T07:00:00Z"));
        bot.fake.hang_at(Some(hang));
        tokio::select! {
            result = bot.engine.run_due() => panic!("the fake should hang, got {result:?}"),
            () = bot.fake.hung.notified() => {}
        }
        // The engine is gone mid-send. A new one on the same database goes on.
        let restarted = bot.restart();
        drop(bot.engine.clone());
        restarted.engine.run_due().await.unwrap();

        let posted = restarted.fake.posted_to("cy");
        let keys: Vec<&str> = posted.iter().map(|p| p.key.as_str()).collect();
        let unique: BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(
            keys.len(),
            unique.len(),
            "{hang:?}: a message was posted twice: {keys:?}"
        );
        assert_eq!(common::openings(&posted).len(), 1, "{hang:?}");
        let first = &of_kind(&posted, Kind::Exercise)[0];
        assert_eq!(restarted.fake.reactions_on(&first.id).len(), 3, "{hang:?}");
        let sends: Vec<_> = restarted
            .fake
            .calls()
            .into_iter()
            .filter(|(call, _)| call == "send")
            .collect();
        if hang == Hang::AfterSend {
            assert!(
                sends.len() > posted.len(),
                "the re-send reused the key and was deduplicated"
            );
        }
        let open: i64 =
            restarted.query("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sent')");
        assert_eq!(open, 0, "{hang:?}: everything is marked after the restart");
    }
}

/// Another replica takes over from one that died mid-send: a message the
/// platform already has is found there and recorded, never sent again; one
/// it never got is sent. The claim the dead sender left is waited out first.
#[tokio::test]
async fn a_replica_taking_over_finds_what_the_dead_one_sent_and_sends_it_never_twice() {
    for hang in [Hang::BeforeSend, Hang::AfterSend] {
        let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
        bot.engine.name_sender("replica-a".into());
        bot.member("cy", "subscribe 07:00 UTC").await;
        bot.clock.set(utc("2027-05-03T07:00:00Z"));
        bot.fake.hang_at(Some(hang));
        tokio::select! {
            result = bot.engine.run_due() => panic!("the fake should hang, got {result:?}"),
            () = bot.fake.hung.notified() => {}
        }
        // The send that never came back: exercise 1, headed by the opening.
        let (_, key) = bot.fake.calls().last().cloned().unwrap();
        let other = bot.restart();
        other.engine.name_sender("replica-b".into());
        drop(bot.engine.clone());
        let sends_of_key = |bot: &Bot| {
            let calls = bot.fake.calls();
            calls
                .iter()
                .filter(|(call, k)| call == "send" && *k == key)
                .count()
        };
        // Still claimed by the dead sender: nothing is handed over yet.
        other.engine.run_due().await.unwrap();
        assert_eq!(sends_of_key(&other), 1, "{hang:?}: waits for the claim");
        // Past the claim: looked for, then sent only if it never went out.
        other.clock.set(utc("2027-05-03T07:01:10Z"));
        other.engine.run_due().await.unwrap();
        let posted = other.fake.posted_to("cy");
        assert_eq!(common::openings(&posted).len(), 1, "{hang:?}");
        let first = &of_kind(&posted, Kind::Exercise)[0];
        assert_eq!(first.key, key, "{hang:?}");
        let looked = other
            .fake
            .calls()
            .iter()
            .filter(|(c, _)| c == "already_sent")
            .count();
        assert_eq!(looked, 1, "{hang:?}: looked for once");
        let expected = if hang == Hang::AfterSend { 1 } else { 2 };
        assert_eq!(
            sends_of_key(&other),
            expected,
            "{hang:?}: handed over again only if never sent"
        );
        let recorded: String = other.query(
            "SELECT platform_message_id FROM deliveries WHERE kind = 'exercise' AND step = 1",
        );
        assert_eq!(
            recorded, first.id,
            "{hang:?}: recorded as the message found"
        );
    }
}

#[tokio::test]
async fn downtime_within_the_grace_window_starts_late_and_beyond_it_is_missed() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("dee", "subscribe 07:00 UTC").await;

    // Down from before 07:00 until 08:30: back within the 2 h window.
    bot.clock.set(utc("2027-05-03T08:30:00Z"));
    bot.engine.run_due().await.unwrap();
    let opening = &common::openings(&bot.fake.posted_to("dee"))[0];
    assert!(opening.body.contains("1 h 30 min late"), "{}", opening.body);
    bot.run_until(utc("2027-05-03T09:00:00Z")).await;

    // Down for the next day's session until 09:30: beyond the window.
    let sent_before = bot.fake.posted().len();
    bot.clock.set(utc("2027-05-04T09:30:00Z"));
    bot.engine.run_due().await.unwrap();
    assert_eq!(
        bot.fake.posted().len(),
        sent_before,
        "a missed session sends nothing"
    );
    let missed: String = bot.query("SELECT status FROM sessions WHERE local_date = '2027-05-04'");
    assert_eq!(missed, "missed");

    // Down for three days: nothing floods in; each day is recorded once.
    bot.clock.set(utc("2027-05-07T12:00:00Z"));
    bot.engine.run_due().await.unwrap();
    assert_eq!(bot.fake.posted().len(), sent_before);
    let statuses: i64 = bot.query("SELECT COUNT(*) FROM sessions WHERE status = 'missed'");
    assert_eq!(statuses, 4, "4, 5, 6 and 7 May are missed");

    // The next day runs normally.
    bot.run_until(utc("2027-05-08T07:00:00Z")).await;
    let openings = common::openings(&bot.fake.posted_to("dee"));
    assert_eq!(openings.len(), 2);
    assert!(!openings[1].body.contains("late"));
}

#[tokio::test]
async fn days_lost_to_an_outage_keep_the_streak_and_are_told_once() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("dee", "subscribe 07:00 UTC").await;
    for day in ["2027-05-03", "2027-05-04"] {
        bot.run_until(utc(&format!("{day}T07:00:00Z"))).await;
        check_in_all(&bot, "dee", "✅").await;
    }
    let streak = |reply: upright::message::Reply| reply.message.body;
    assert!(streak(bot.command("dee", "streak").await).contains("2 days"));

    // The bot is down through Wednesday's session…
    bot.clock.set(utc("2027-05-05T12:00:00Z"));
    bot.engine.run_due().await.unwrap();
    // …and on Thursday the chat service refuses to take anything for hours.
    bot.fake
        .outage(Some(SendError::RetryAfter(Duration::hours(6))));
    bot.run_until(utc("2027-05-06T09:30:00Z")).await;
    bot.fake.outage(None);
    let reasons: String = bot.query(
        "SELECT STRING_AGG(local_date || ' ' || missed_reason, ', ' ORDER BY local_date)
         FROM sessions WHERE status = 'missed'",
    );
    assert_eq!(reasons, "2027-05-05 offline, 2027-05-06 unreachable");

    // Neither day ends the streak.
    assert!(
        streak(bot.command("dee", "streak").await).contains("2 days"),
        "missed days are neutral"
    );

    // Friday's first message says so, once, with the reasons.
    bot.run_until(utc("2027-05-07T07:00:00Z")).await;
    let friday = common::openings(&bot.fake.posted_to("dee")).pop().unwrap();
    assert!(
        friday
            .body
            .contains("Your session on Wednesday 5 May was not sent: Upright was offline. It doesn't count against your streak."),
        "{}",
        friday.body
    );
    assert!(
        friday.body.contains(
            "Your session on Thursday 6 May was not sent: the chat service could not be reached."
        ),
        "{}",
        friday.body
    );
    check_in_all(&bot, "dee", "✅").await;
    assert!(streak(bot.command("dee", "streak").await).contains("3 days"));
    bot.run_until(utc("2027-05-08T07:00:00Z")).await;
    let saturday = common::openings(&bot.fake.posted_to("dee")).pop().unwrap();
    assert!(
        !saturday.body.contains("not sent"),
        "told once: {}",
        saturday.body
    );
}

#[tokio::test]
async fn the_csv_export_has_a_row_per_check_in_for_a_physiotherapist() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("pia", "subscribe 07:00 UTC").await;
    let empty = bot.command("pia", "privacy export csv").await;
    let file = empty.attachment.expect("a CSV file");
    assert_eq!(
        String::from_utf8(file.bytes).unwrap(),
        "date,exercise_number,exercise,check_in,load,pain_score,pain_location\n",
        "a header even before the first check-in"
    );

    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let exercises = || of_kind(&bot.fake.posted_to("pia"), Kind::Exercise);
    bot.react("pia", &exercises()[0].id, "✅", true).await;
    bot.react("pia", &exercises()[1].id, "⏭️", true).await;
    bot.react("pia", &exercises()[2].id, "🤕", true).await;

    let export = bot.command("pia", "privacy export csv").await;
    assert!(
        export.message.body.contains("3 check-ins"),
        "{}",
        export.message.body
    );
    let file = export.attachment.expect("a CSV file");
    assert_eq!(
        (file.filename.as_str(), file.mime),
        ("upright-check-ins.csv", "text/csv")
    );
    let text = String::from_utf8(file.bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "date,exercise_number,exercise,check_in,load,pain_score,pain_location",
            r#""2027-05-03","1","Upper back extension","done","10 reps, hold 3 s","","""#,
            r#""2027-05-03","2","Cat-camel stretch","skip","10 reps","","""#,
            r#""2027-05-03","3","Shoulder blade squeeze","pain","10 reps, hold 3 s","","""#,
        ]
    );
    let refused = bot.command("pia", "privacy export xml").await.message.body;
    assert!(refused.contains("privacy export csv"), "{refused}");
}

#[tokio::test]
async fn later_moves_todays_session_once_and_never_past_eleven() {
    let bot = Bot::start(utc("2027-05-03T04:00:00Z"));
    bot.member("rae", "subscribe 07:00 Europe/Berlin").await; // 05:00 UTC in May
    bot.member("sol", "subscribe 07:00 UTC").await;
    let openings = |user| common::openings(&bot.fake.posted_to(user));

    // After it arrived: the first message comes again later, and the pace
    // counts from then, not from the first time.
    bot.run_until(utc("2027-05-03T05:00:00Z")).await;
    let first = openings("rae");
    assert_eq!(first.len(), 1);
    let reply = bot.command("rae", "later 2h").await.message.body;
    assert!(reply.contains("Moved"), "{reply}");

    // Before it starts: it starts an hour late instead.
    bot.clock.set(utc("2027-05-03T06:30:00Z"));
    let moved = bot.command("sol", "later").await.message.body;
    assert!(
        moved.contains("Moved") && moved.contains("08:00"),
        "{moved}"
    );
    let again = bot.command("sol", "later 30m").await.message.body;
    assert!(
        again.contains("already been moved once, to 08:00"),
        "{again}"
    );

    bot.run_until(utc("2027-05-03T06:59:00Z")).await;
    let exercises = of_kind(&bot.fake.posted_to("rae"), Kind::Exercise);
    assert_eq!(exercises.len(), 1, "no exercise 2 while moved");
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let again = openings("rae");
    assert_eq!(again.len(), 2, "exercise 1 again, with the opening");
    assert_eq!(again[1].body, first[0].body);
    assert!(matches!(
        bot.react("rae", &again[1].id, "✅", true).await,
        ReactionOutcome::Recorded(_)
    ));
    assert_eq!(of_kind(&bot.fake.posted_to("rae"), Kind::Exercise).len(), 3);
    let under_way = bot.command("rae", "later").await.message.body;
    assert!(under_way.contains("already"), "{under_way}");

    assert!(openings("sol").is_empty(), "nothing at sol's usual time");
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    assert_eq!(openings("sol").len(), 1);
    assert_eq!(openings("sol")[0].at, utc("2027-05-03T08:00:00Z"));

    // Never past 23:00 local, never into tomorrow.
    bot.run_until(utc("2027-05-04T06:00:00Z")).await;
    bot.command("sol", "subscribe 22:30 UTC").await;
    bot.run_until(utc("2027-05-04T22:30:00Z")).await;
    let late = bot.command("sol", "later").await.message.body;
    assert!(late.contains("23:30, past 23:00"), "{late}");
    let unknown = bot.command("sol", "later soon").await.message.body;
    assert!(unknown.contains("later 30m"), "{unknown}");
    let fits = bot.command("sol", "later 30m").await.message.body;
    assert!(fits.contains("Moved"), "{fits}");

    // Skipping a moved day sends nothing after all.
    bot.run_until(utc("2027-05-05T04:00:00Z")).await;
    bot.command("rae", "later tonight").await;
    bot.run_until(utc("2027-05-05T05:00:00Z") + Duration::minutes(1))
        .await;
    bot.command("rae", "skip").await;
    let before = openings("rae").len();
    bot.run_until(utc("2027-05-05T18:00:00Z")).await;
    assert_eq!(openings("rae").len(), before, "the skipped day stays quiet");
}

#[tokio::test]
async fn a_followup_comes_once_and_only_when_the_day_is_not_done() {
    let bot = Bot::start(utc("2027-05-03T04:00:00Z"));
    bot.member("tia", "subscribe 07:00 Europe/Berlin").await; // 05:00 UTC in May
    let followups = || of_kind(&bot.fake.posted_to("tia"), Kind::Followup);
    let refused = bot.command("tia", "followup 25:00").await.message.body;
    assert!(refused.contains("25"), "{refused}");
    let on = bot.command("tia", "followup 8pm").await.message.body;
    assert!(
        on.contains("Follow-up on: at 20:00 (Europe/Berlin)"),
        "{on}"
    );

    // Monday: nothing checked in → one reminder at 20:00 Berlin, only one.
    bot.run_until(utc("2027-05-03T17:59:00Z")).await;
    assert!(followups().is_empty(), "not before its time");
    bot.run_until(utc("2027-05-03T23:00:00Z")).await;
    let monday = followups();
    assert_eq!(monday.len(), 1, "once");
    assert_eq!(monday[0].at, utc("2027-05-03T18:00:00Z"));
    assert!(
        monday[0].body.contains("Nothing checked in yet today"),
        "{}",
        monday[0].body
    );

    // Tuesday: done → none.
    bot.run_until(utc("2027-05-04T05:00:00Z")).await;
    check_in_all(&bot, "tia", "✅").await;
    // Wednesday: 🤕 → none (rest and advice, not a nudge).
    bot.run_until(utc("2027-05-05T05:00:00Z")).await;
    let wednesday = of_kind(&bot.fake.posted_to("tia"), Kind::Exercise)
        .pop()
        .unwrap();
    bot.react("tia", &wednesday.id, "🤕", true).await;
    // Thursday: skipped → none.
    bot.run_until(utc("2027-05-06T04:00:00Z")).await;
    bot.command("tia", "skip").await;
    // Friday: two of five → a reminder that says so.
    bot.run_until(utc("2027-05-07T05:00:00Z")).await;
    for _ in 0..2 {
        let latest = of_kind(&bot.fake.posted_to("tia"), Kind::Exercise)
            .pop()
            .unwrap();
        bot.react("tia", &latest.id, "✅", true).await;
    }
    bot.run_until(utc("2027-05-07T23:00:00Z")).await;
    let all = followups();
    assert_eq!(all.len(), 2, "Monday and Friday only: {all:?}");
    assert!(
        all[1].body.contains("2 of 5 exercises checked in so far"),
        "{}",
        all[1].body
    );

    // Off: Saturday stays quiet.
    let off = bot.command("tia", "followup off").await.message.body;
    assert!(off.contains("off"), "{off}");
    bot.run_until(utc("2027-05-08T23:00:00Z")).await;
    assert_eq!(followups().len(), 2);
}

#[tokio::test]
async fn a_thousand_members_in_twenty_zones_across_a_dst_change() {
    let zones = [
        "Europe/Berlin",
        "Europe/London",
        "Europe/Helsinki",
        "Europe/Lisbon",
        "America/New_York",
        "America/Los_Angeles",
        "America/Sao_Paulo",
        "America/Santiago",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Tokyo",
        "Australia/Sydney",
        "Australia/Lord_Howe",
        "Pacific/Auckland",
        "Pacific/Chatham",
        "Africa/Cairo",
        "Asia/Tehran",
        "America/Havana",
        "Atlantic/Azores",
        "UTC",
    ];
    let times = ["02:30", "01:15", "07:00", "12:45", "23:50"];
    // Europe moves its clocks on 28 March 2027 at 01:00 UTC.
    let start = utc("2027-03-26T12:00:00Z");
    let end = utc("2027-03-28T12:00:00Z");
    let bot = Bot::start(start);
    let mut schedules = BTreeMap::new();
    for i in 0..1000 {
        let zone = zones[i % zones.len()];
        let time = times[(i / zones.len()) % times.len()];
        let user = format!("m{i:04}");
        bot.member(&user, &format!("subscribe {time} {zone}")).await;
        let schedule = upright::schedule::Schedule::new(
            upright::schedule::parse_time(time).unwrap(),
            upright::schedule::Weekdays::DAILY,
            upright::schedule::parse_zone(zone).unwrap(),
        );
        schedules.insert(user, schedule);
    }
    bot.run_until(end).await;

    let posted = bot.fake.posted();
    let mut openings: BTreeMap<String, Vec<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
    for p in common::openings(&posted) {
        if let upright::engine::Destination::Direct { user_id, .. } = &p.to {
            openings.entry(user_id.clone()).or_default().push(p.at);
        }
    }
    let mut total = 0;
    for (user, schedule) in &schedules {
        let expected: Vec<_> = schedule
            .occurrences_after(start)
            .take_while(|o| o.at <= end)
            .map(|o| o.at)
            .collect();
        let got = openings.get(user).cloned().unwrap_or_default();
        assert_eq!(
            got, expected,
            "{user} ({schedule:?}) got sessions at the wrong instants"
        );
        let dates: BTreeSet<_> = got
            .iter()
            .map(|at| schedule.local(*at).date_naive())
            .collect();
        assert_eq!(
            dates.len(),
            got.len(),
            "{user}: two sessions on one local date"
        );
        total += got.len();
    }
    assert!(total >= 1900, "about two sessions each, got {total}");
}

#[tokio::test]
async fn pain_gets_advice_at_once_ends_the_session_and_lowers_the_load() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("eve", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = of_kind(&bot.fake.posted_to("eve"), Kind::Exercise)[0].clone();
    let outcome = bot.react("eve", &first.id, "🤕", true).await;
    assert_eq!(
        outcome,
        ReactionOutcome::Recorded(upright::check_in::CheckInKind::Pain)
    );

    let posted = bot.fake.posted_to("eve");
    let advice = &of_kind(&posted, Kind::Advice)[0];
    assert_eq!(advice.at, first.at, "advice goes out at once");
    assert!(
        advice.body.contains("healthcare professional"),
        "{}",
        advice.body
    );
    assert!(
        of_kind(&posted, Kind::Closing)[0]
            .body
            .contains("stopped early")
    );
    assert_eq!(
        of_kind(&posted, Kind::Exercise).len(),
        1,
        "no more exercises after pain"
    );

    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    let openings = common::openings(&bot.fake.posted_to("eve"));
    assert!(
        openings[1].body.contains("Upper back extension: 8 reps"),
        "{}",
        openings[1].body
    );
    assert!(
        openings[1].body.contains("Bridge pose: 10 reps"),
        "other exercises keep their load"
    );
}

#[tokio::test]
async fn a_pain_score_of_eight_rests_that_exercise_for_a_week_and_says_so() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("eve", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = of_kind(&bot.fake.posted_to("eve"), Kind::Exercise)[0].clone();
    bot.react("eve", &first.id, "🤕", true).await;
    let advice = of_kind(&bot.fake.posted_to("eve"), Kind::Advice)[0].clone();
    assert!(advice.body.contains("How strong was it"), "{}", advice.body);
    assert!(
        advice.body.contains("pain <0-10> [where]"),
        "{}",
        advice.body
    );
    assert!(
        !advice.body.contains("out of your routine"),
        "one report without a score rests nothing: {}",
        advice.body
    );

    let rated = bot.command("eve", "pain 8 left shoulder blade").await;
    let body = &rated.message.body;
    assert!(body.contains("8/10, left shoulder blade"), "{body}");
    assert!(
        body.contains("leave **Upper back extension** out of your routine until Tuesday 11 May"),
        "{body}"
    );
    assert!(body.contains("healthcare professional"), "{body}");
    let stored: (i64, String) = bot.query_row(
        "SELECT pain_score, pain_where FROM check_ins WHERE kind = 'pain'",
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    assert_eq!(stored, (8, "left shoulder blade".to_string()));

    // The next day goes without it, and the day counts over the four left.
    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    let opening = common::openings(&bot.fake.posted_to("eve"))[1].clone();
    assert!(
        opening.body.contains("4 exercises today"),
        "{}",
        opening.body
    );
    assert!(
        opening
            .body
            .contains("Upper back extension: resting after pain, back on Tuesday 11 May"),
        "{}",
        opening.body
    );
    assert!(opening.key.ends_with("/ex2"), "{}", opening.key);
    bot.react("eve", &opening.id, "✅", true).await;
    let second = of_kind(&bot.fake.posted_to("eve"), Kind::Exercise)
        .last()
        .cloned()
        .unwrap();
    assert!(second.title.starts_with("3/5 · "), "{}", second.title);
    bot.react("eve", &second.id, "✅", true).await;
    let streak = bot.command("eve", "streak").await.message.body;
    assert!(streak.contains("Streak: 1 day"), "2 of 4 is done: {streak}");

    // Still resting on the seventh day; back on the eighth.
    bot.run_until(utc("2027-05-10T07:00:00Z")).await;
    let last_rest = common::openings(&bot.fake.posted_to("eve"))
        .last()
        .cloned()
        .unwrap();
    assert!(last_rest.key.ends_with("/ex2"), "{}", last_rest.key);
    bot.run_until(utc("2027-05-11T07:00:00Z")).await;
    let back = common::openings(&bot.fake.posted_to("eve"))
        .last()
        .cloned()
        .unwrap();
    assert!(back.key.ends_with("/ex1"), "{}", back.key);
    assert!(back.body.contains("5 exercises today"), "{}", back.body);

    let csv = bot.command("eve", "privacy export csv").await;
    let text = String::from_utf8(csv.attachment.unwrap().bytes).unwrap();
    assert!(
        text.contains(
            r#""2027-05-03","1","Upper back extension","pain","10 reps, hold 3 s","8","left shoulder blade""#
        ),
        "{text}"
    );
    let json = bot.command("eve", "privacy export").await;
    let export: serde_json::Value =
        serde_json::from_slice(&json.attachment.unwrap().bytes).unwrap();
    let pain = export["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "pain")
        .cloned()
        .unwrap();
    assert_eq!(pain["pain_score"], 8);
    assert_eq!(pain["pain_location"], "left shoulder blade");
}

#[tokio::test]
async fn a_hundred_members_rate_their_pain_at_once_and_each_rests_only_their_own_exercise() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let members: Vec<String> = (0..100).map(|i| format!("m{i:03}")).collect();
    for member in &members {
        bot.member(member, "subscribe 07:00 UTC").await;
    }
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    // Every member reports pain on exercise 1 at the same time; the even
    // ones say it was strong.
    let rating = members.iter().enumerate().map(|(i, member)| {
        let bot = &bot;
        async move {
            let first = common::openings(&bot.fake.posted_to(member))[0].clone();
            bot.react(member, &first.id, "🤕", true).await;
            let score = if i % 2 == 0 { 8 } else { 3 };
            bot.command(member, &format!("pain {score} neck")).await
        }
    });
    let replies = futures_util::future::join_all(rating).await;
    for (i, reply) in replies.iter().enumerate() {
        let strong = i % 2 == 0;
        assert_eq!(
            reply.message.body.contains("out of your routine"),
            strong,
            "{}: {}",
            members[i],
            reply.message.body
        );
    }
    let rated: i64 = bot.query("SELECT COUNT(*) FROM check_ins WHERE pain_score IS NOT NULL");
    assert_eq!(rated, 100);
    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    for (i, member) in members.iter().enumerate() {
        let opening = common::openings(&bot.fake.posted_to(member))[1].clone();
        let expected = if i % 2 == 0 { "/ex2" } else { "/ex1" };
        assert!(opening.key.ends_with(expected), "{member}: {}", opening.key);
    }
}

#[tokio::test]
async fn pain_on_the_same_exercise_in_three_of_five_sessions_rests_it() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ida", "subscribe 07:00 UTC").await;
    // Pain on exercise 1 on the 3rd, 5th and 7th; nothing on the days between.
    let mut advice = Vec::new();
    for day in ["03", "04", "05", "06", "07"] {
        bot.run_until(utc(&format!("2027-05-{day}T07:00:00Z")))
            .await;
        if ["03", "05", "07"].contains(&day) {
            let first = common::openings(&bot.fake.posted_to("ida"))
                .last()
                .cloned()
                .unwrap();
            bot.react("ida", &first.id, "🤕", true).await;
            advice.push(
                of_kind(&bot.fake.posted_to("ida"), Kind::Advice)
                    .last()
                    .cloned()
                    .unwrap(),
            );
        }
    }
    assert!(!advice[0].body.contains("out of your routine"));
    assert!(!advice[1].body.contains("out of your routine"));
    assert!(
        advice[2]
            .body
            .contains("leave **Upper back extension** out of your routine until Saturday 15 May"),
        "the third report in five sessions rests it: {}",
        advice[2].body
    );
    bot.run_until(utc("2027-05-08T07:00:00Z")).await;
    let opening = common::openings(&bot.fake.posted_to("ida"))
        .last()
        .cloned()
        .unwrap();
    assert!(opening.key.ends_with("/ex2"), "{}", opening.key);
    // The 7th's report is closed now: a score today is a report on the
    // exercise under way.
    let rated = bot.command("ida", "pain 3").await.message.body;
    assert!(rated.contains("3/10, on Cat-camel stretch"), "{rated}");
    let today: i64 = bot.query("SELECT COUNT(*) FROM check_ins WHERE pain_score = 3 AND step = 2");
    assert_eq!(today, 1);
}

#[tokio::test]
async fn pain_by_command_reports_on_the_exercise_under_way_and_bad_scores_change_nothing() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("uma", "subscribe 07:00 UTC").await;
    let none = bot.command("uma", "pain 4").await.message.body;
    assert!(none.contains("no session under way"), "{none}");
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    for (text, needle) in [
        ("pain 11", "`11` is not a score"),
        ("pain lots", "`lots` is not a score"),
        ("pain", "needs a score from 0 to 10"),
    ] {
        let reply = bot.command("uma", text).await.message.body;
        assert!(reply.contains(needle), "{text}: {reply}");
    }
    let check_ins: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(check_ins, 0, "a bad score changes nothing");

    let rated = bot.command("uma", "pain 5/10 neck").await.message.body;
    assert!(
        rated.contains("5/10, neck, on Upper back extension"),
        "{rated}"
    );
    let stored: (String, i64, i64) = bot
        .query_row("SELECT kind, step, pain_score FROM check_ins", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        });
    assert_eq!(stored, ("pain".to_string(), 1, 5));
    let posted = bot.fake.posted_to("uma");
    assert_eq!(
        of_kind(&posted, Kind::Advice).len(),
        1,
        "the same advice as a 🤕"
    );
    assert!(
        of_kind(&posted, Kind::Closing)[0]
            .body
            .contains("stopped early")
    );
    // A second answer corrects the first.
    bot.command("uma", "pain 2").await;
    let score: i64 = bot.query("SELECT pain_score FROM check_ins");
    assert_eq!(score, 2);
}

#[tokio::test]
async fn load_steps_up_after_three_done_days() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("fay", "subscribe 07:00 UTC").await;
    for day in 3..=5 {
        bot.run_until(utc(&format!("2027-05-0{day}T07:00:00Z")))
            .await;
        check_in_all(&bot, "fay", "✅").await;
    }
    bot.run_until(utc("2027-05-06T07:00:00Z")).await;
    let openings = common::openings(&bot.fake.posted_to("fay"));
    assert!(
        openings[2].body.contains("Upper back extension: 10 reps"),
        "{}",
        openings[2].body
    );
    assert!(
        openings[3].body.contains("Upper back extension: 11 reps"),
        "{}",
        openings[3].body
    );
    assert!(
        openings[3]
            .body
            .contains("Thoracic spine rotation: 11 reps each side"),
        "{}",
        openings[3].body
    );
    let reply = bot.command("fay", "streak").await;
    assert!(
        reply.message.body.contains("Streak: 3 days"),
        "{}",
        reply.message.body
    );
}

#[tokio::test]
async fn a_skip_and_a_withdrawn_check_in_change_the_tally() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("gus", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let exercise = |n: usize| {
        of_kind(&bot.fake.posted_to("gus"), Kind::Exercise)[n - 1]
            .id
            .clone()
    };
    bot.react("gus", &exercise(1), "✅", true).await;
    bot.react("gus", &exercise(2), "⏭", true).await; // without U+FE0F
    bot.react("gus", &exercise(3), "✅\u{FE0F}", true).await; // with it
    let withdrawn = bot.react("gus", &exercise(3), "✅", false).await;
    assert_eq!(
        withdrawn,
        ReactionOutcome::Withdrawn(upright::check_in::CheckInKind::Done)
    );
    bot.react("gus", &exercise(4), "✅", true).await;
    bot.react("gus", &exercise(5), "✅", true).await;
    let closing = &of_kind(&bot.fake.posted_to("gus"), Kind::Closing)[0];
    assert!(
        closing
            .body
            .contains("✅ 3 done · ⏭\u{FE0F} 1 skipped · 🤕 0 pain · 1 without a check-in"),
        "{}",
        closing.body
    );
    let kinds: i64 = bot.query("SELECT COUNT(*) FROM check_ins WHERE kind = 'skip'");
    assert_eq!(kinds, 1);
}

#[tokio::test]
async fn a_button_press_is_the_latest_answer_and_a_double_click_changes_nothing() {
    use upright::check_in::CheckInKind::{Done, Skip};
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("hal", "subscribe 07:00 UTC").await;
    bot.member("ivy", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = of_kind(&bot.fake.posted_to("hal"), Kind::Exercise)[0]
        .id
        .clone();
    let kinds = || -> String {
        bot.query("SELECT COALESCE(STRING_AGG(kind, ',' ORDER BY id), '') FROM check_ins")
    };

    assert_eq!(
        bot.press("hal", &first, Done).await,
        ReactionOutcome::Recorded(Done)
    );
    assert_eq!(
        of_kind(&bot.fake.posted_to("hal"), Kind::Exercise).len(),
        2,
        "a press moves the session on, as ✅ does"
    );
    assert_eq!(
        bot.press("hal", &first, Done).await,
        ReactionOutcome::Unchanged(Done)
    );
    assert_eq!(
        kinds(),
        "done",
        "a double click neither withdraws nor repeats"
    );
    assert_eq!(
        of_kind(&bot.fake.posted_to("hal"), Kind::Exercise).len(),
        2,
        "and sends nothing more"
    );
    assert_eq!(
        bot.press("hal", &first, Skip).await,
        ReactionOutcome::Recorded(Skip)
    );
    assert_eq!(
        kinds(),
        "skip",
        "another button replaces the earlier choice"
    );
    assert_eq!(
        bot.press("ivy", &first, Done).await,
        ReactionOutcome::Ignored,
        "another member's message"
    );

    // A reaction still checks in alongside the buttons.
    let second = of_kind(&bot.fake.posted_to("hal"), Kind::Exercise)[1]
        .id
        .clone();
    assert_eq!(
        bot.react("hal", &second, "✅", true).await,
        ReactionOutcome::Recorded(Done)
    );

    // Once the next session has started, the old buttons say so.
    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    assert_eq!(
        bot.press("hal", &first, Done).await,
        ReactionOutcome::SessionOver
    );
    assert_eq!(kinds(), "skip,done");
}

#[tokio::test]
async fn reactions_that_are_not_check_ins_are_ignored() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("hal", "subscribe 07:00 UTC").await;
    bot.member("ivy", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let hal_first = of_kind(&bot.fake.posted_to("hal"), Kind::Exercise)[0]
        .id
        .clone();
    assert_eq!(
        bot.react("ivy", &hal_first, "✅", true).await,
        ReactionOutcome::Ignored,
        "another member"
    );
    assert_eq!(
        bot.react("hal", &hal_first, "👍", true).await,
        ReactionOutcome::Ignored,
        "another emoji"
    );
    assert_eq!(
        bot.react("hal", "no-such-message", "✅", true).await,
        ReactionOutcome::Held,
        "a message not (yet) the bot's: held, changing nothing until it is"
    );
    let check_ins: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(check_ins, 0);
    assert_eq!(
        bot.react("hal", &hal_first, "✅", false).await,
        ReactionOutcome::Ignored,
        "nothing to withdraw"
    );

    // A late check-in counts until the next session starts, not after.
    bot.run_until(utc("2027-05-04T06:59:00Z")).await;
    assert!(matches!(
        bot.react("hal", &hal_first, "✅", true).await,
        ReactionOutcome::Recorded(_)
    ));
    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    assert_eq!(
        bot.react("hal", &hal_first, "⏭️", true).await,
        ReactionOutcome::Ignored,
        "old session"
    );
    let count: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn reacting_to_the_disclaimer_agrees() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let reply = bot.command("jo", "subscribe 07:00 UTC").await;
    assert!(reply.message.body.contains("agree"));
    let scheduled: Option<i64> = bot.query("SELECT next_run_at FROM subscriptions");
    assert_eq!(
        scheduled, None,
        "no session before the disclaimer is acknowledged"
    );
    let disclaimer = of_kind(&bot.fake.posted_to("jo"), Kind::Disclaimer)[0].clone();
    assert_eq!(bot.fake.reactions_on(&disclaimer.id), vec!["✅"]);
    assert_eq!(
        bot.react("jo", &disclaimer.id, "✅", true).await,
        ReactionOutcome::Agreed
    );
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    assert_eq!(common::openings(&bot.fake.posted_to("jo")).len(), 1);
}

#[tokio::test]
async fn rate_limits_are_waited_out_in_order() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("kim", "subscribe 07:00 UTC").await;
    bot.fake
        .fail_next(SendError::RetryAfter(Duration::seconds(30)));
    bot.run_until(utc("2027-05-03T07:00:29Z")).await;
    assert!(
        common::openings(&bot.fake.posted_to("kim")).is_empty(),
        "nothing before retry_after"
    );
    bot.run_until(utc("2027-05-03T07:00:31Z")).await;
    let posted = bot.fake.posted_to("kim");
    let opening = &common::openings(&posted)[0];
    assert_eq!(opening.at, utc("2027-05-03T07:00:30Z"));
    let first = posted.iter().find(|p| p.kind != Kind::Disclaimer);
    assert!(
        first.is_some_and(|p| p.is_opening()),
        "the opening still comes first"
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_then_given_up() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    // A slow pace keeps one message in flight while the failures play out.
    bot.member("lou", "subscribe 07:00 UTC daily 30").await;
    bot.fake
        .fail_next(SendError::Transient("502 Bad Gateway".into()));
    bot.run_until(utc("2027-05-03T07:00:05Z")).await;
    assert!(common::openings(&bot.fake.posted_to("lou")).is_empty());
    bot.run_until(utc("2027-05-03T07:00:11Z")).await;
    assert_eq!(
        common::openings(&bot.fake.posted_to("lou")).len(),
        1,
        "retried after 10 s"
    );

    for _ in 0..upright::engine::MAX_ATTEMPTS {
        bot.fake
            .fail_next(SendError::Transient("connection reset".into()));
    }
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    let failed: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE state = 'failed'");
    assert_eq!(
        failed,
        1,
        "one message given up after {} attempts",
        upright::engine::MAX_ATTEMPTS
    );
    let error: String = bot.query("SELECT last_error FROM deliveries WHERE state = 'failed'");
    assert!(error.contains("connection reset"));
}

#[tokio::test]
async fn an_unreachable_member_is_paused_and_told_at_the_next_command() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("max", "subscribe 07:00 UTC").await;
    bot.fake.fail_next(SendError::Unreachable(
        "Cannot send messages to this user (50007)".into(),
    ));
    bot.run_until(utc("2027-05-03T09:00:00Z")).await;
    assert!(of_kind(&bot.fake.posted_to("max"), Kind::Exercise).is_empty());
    let state: String = bot.query("SELECT state FROM subscriptions");
    assert_eq!(state, "paused");
    let reply = bot.command("max", "status").await;
    assert!(
        reply
            .message
            .body
            .starts_with("**Your sessions are paused:**"),
        "{}",
        reply.message.body
    );
    assert!(reply.message.body.contains("50007"));

    bot.run_until(utc("2027-05-04T08:00:00Z")).await;
    assert!(
        common::openings(&bot.fake.posted_to("max")).is_empty(),
        "nothing is sent while paused"
    );
    let reply = bot.command("max", "resume").await;
    assert!(
        reply.message.body.contains("Next session"),
        "{}",
        reply.message.body
    );
    bot.run_until(utc("2027-05-05T07:00:00Z")).await;
    assert_eq!(common::openings(&bot.fake.posted_to("max")).len(), 1);
}

#[tokio::test]
async fn in_a_burst_every_opening_goes_out_before_any_reaction_or_later_step() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for i in 0..40 {
        bot.member(&format!("u{i:02}"), "subscribe 07:00 UTC").await;
    }
    let calls_before = bot.fake.calls().len();
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.run_due().await.unwrap();
    let calls: Vec<(String, String)> = bot.fake.calls().split_off(calls_before);
    let position = |pred: &dyn Fn(&(String, String)) -> bool| calls.iter().position(pred);
    let last_opening = calls
        .iter()
        .rposition(|(c, k)| c == "send" && k.ends_with("/ex1"))
        .unwrap();
    let first_reaction = position(&|(c, _)| c == "react").unwrap();
    assert_eq!(last_opening, 39, "40 openings first");
    assert!(last_opening < first_reaction);
    // A message always has its reactions after it is sent.
    for exercise in bot
        .fake
        .posted()
        .iter()
        .filter(|p| p.kind == Kind::Exercise)
    {
        let sent = position(&|(c, k)| c == "send" && *k == exercise.key).unwrap();
        let reacted = position(&|(c, k)| c == "react" && *k == exercise.id).unwrap();
        assert!(sent < reacted, "{}", exercise.key);
    }
    assert_eq!(
        calls.len(),
        80,
        "40 openings (each with exercise 1), 40 reaction calls"
    );
}

#[tokio::test]
async fn commands_refuse_bad_input_and_change_nothing() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    for (text, needle) in [
        ("subscribe 25:61", "minute 61"),
        ("subscribe 25:00", "hour 25"),
        ("subscribe 07:30 Mars/Olympus", "time zone `Mars/Olympus`"),
        ("subscribe 07:30 UTC someday", "time zone"),
        ("subscribe 07:30 UTC daily 45", "1 to 30 minutes"),
        ("exercise 9", "no exercise `9`"),
        ("pause", "no daily routine"),
        ("dance", "don't know the command"),
    ] {
        let reply = bot.command("nia", text).await;
        assert!(reply.ephemeral, "{text}");
        assert!(
            reply.message.body.contains(needle),
            "{text}: {}",
            reply.message.body
        );
    }
    let subscriptions: i64 = bot.query("SELECT COUNT(*) FROM subscriptions");
    assert_eq!(subscriptions, 0);
    assert!(bot.fake.posted().is_empty());

    bot.member("nia", "subscribe 07:30 Europe/Berlin weekdays")
        .await;
    let reply = bot.command("nia", "pause soon").await;
    assert!(reply.message.body.contains("not a number of days"));
    let state: String = bot.query("SELECT state FROM subscriptions");
    assert_eq!(state, "active");
}

#[tokio::test]
async fn member_commands_do_what_they_say() {
    let bot = Bot::start(utc("2027-05-03T04:00:00Z")); // Monday, 06:00 in Berlin
    bot.member("oli", "subscribe 7:30am berlin weekdays").await;
    let status = bot.command("oli", "status").await.message.body;
    assert!(
        status.contains("07:30 weekdays (Europe/Berlin)"),
        "{status}"
    );
    assert!(status.contains("Mon 3 May at 07:30"), "{status}");
    assert!(status.contains("Upper back extension: 10 reps"), "{status}");

    let reply = bot.command("oli", "skip").await.message.body;
    assert!(
        reply.contains("skipped") && reply.contains("Tue 4 May at 07:30"),
        "{reply}"
    );
    bot.run_until(utc("2027-05-03T10:00:00Z")).await;
    assert!(
        common::openings(&bot.fake.posted_to("oli")).is_empty(),
        "today was skipped"
    );
    let skipped: String = bot.query("SELECT status FROM sessions WHERE local_date = '2027-05-03'");
    assert_eq!(skipped, "skipped");

    let reply = bot.command("oli", "timezone new york").await.message.body;
    assert!(
        reply.contains("America/New_York") && reply.contains("at 07:30 (America/New_York)"),
        "{reply}"
    );
    let reply = bot.command("oli", "pause 2").await.message.body;
    assert!(reply.contains("Wed 5 May"), "{reply}");
    bot.run_until(utc("2027-05-04T20:00:00Z")).await;
    assert!(
        common::openings(&bot.fake.posted_to("oli")).is_empty(),
        "skipped, then paused for two days"
    );
    bot.run_until(utc("2027-05-05T11:30:00Z")).await;
    let openings = common::openings(&bot.fake.posted_to("oli"));
    assert_eq!(openings.len(), 1, "back on Wednesday");
    assert_eq!(
        openings[0].at,
        utc("2027-05-05T11:30:00Z"),
        "07:30 in New York"
    );

    let topic = bot.command("oli", "precautions").await.message;
    assert!(topic.body.contains("sharp"), "{}", topic.body);
    let exercise = bot.command("oli", "exercise cat camel").await.message;
    assert!(exercise.title.unwrap().contains("Cat-camel"));
    let routine = bot.command("oli", "routine").await.message.body;
    assert!(routine.contains("5. **Bridge pose**"), "{routine}");

    let export = bot.command("oli", "privacy export").await;
    let file = export.attachment.expect("an export file");
    let json: serde_json::Value = serde_json::from_slice(&file.bytes).unwrap();
    assert_eq!(json["subscription"]["timezone"], "America/New_York");
    let messages = json["messages_to_you"].as_array().unwrap();
    assert!(
        messages.iter().any(|m| m["kind"] == "disclaimer"),
        "the export holds the messages sent to the member: {messages:?}"
    );

    let reply = bot.command("oli", "unsubscribe").await.message.body;
    assert!(reply.contains("stopped"));
    let reply = bot.command("oli", "privacy delete").await.message.body;
    assert!(reply.contains("privacy delete confirm"));
    let users: i64 = bot.query("SELECT COUNT(*) FROM users");
    assert_eq!(users, 1, "nothing erased before confirming");
    // A check-in waiting for a message not yet recorded is the member's too.
    let held = bot.react("oli", "not-yet-recorded", "✅", true).await;
    assert_eq!(held, ReactionOutcome::Held);
    bot.command("oli", "privacy delete confirm").await;
    let rows: i64 = bot.query("SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM subscriptions) + (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM deliveries) + (SELECT COUNT(*) FROM early_reactions)");
    assert_eq!(rows, 0, "everything about the member is erased");
}

#[tokio::test]
async fn help_lists_every_command() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let help = bot.command("pat", "help").await.message.body;
    for command in [
        "subscribe",
        "agree",
        "unsubscribe",
        "pause",
        "resume",
        "skip",
        "status",
        "timezone",
        "routine",
        "exercise",
        "causes",
        "why",
        "tips",
        "precautions",
        "disclaimer",
        "streak",
        "privacy export",
        "privacy delete",
        "help",
    ] {
        assert!(help.contains(command), "{command} missing from help");
    }
    let settings = Settings::default();
    assert_eq!(settings.default_pace_minutes, 3);
}

#[tokio::test]
async fn the_run_loop_does_due_work_when_woken_and_stops_on_shutdown() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("quinn", "subscribe 07:00 UTC").await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = bot.engine.clone();
    let running = tokio::spawn(async move {
        engine
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    bot.engine.wake();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while of_kind(&bot.fake.posted_to("quinn"), Kind::Exercise).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the loop did not start the session"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("the loop stops on shutdown")
        .unwrap();
    assert_eq!(common::openings(&bot.fake.posted_to("quinn")).len(), 1);
}

#[tokio::test]
async fn messages_older_than_the_grace_window_are_dropped_not_sent_late() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("rex", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    assert_eq!(of_kind(&bot.fake.posted_to("rex"), Kind::Exercise).len(), 1);

    // The platform goes away; the session keeps pacing.
    let without_platform = upright::engine::Engine::new(
        upright::store::Db::connect(&bot.database).unwrap(),
        common::content(),
        std::sync::Arc::new(bot.clock.clone()),
        bot.settings,
    );
    without_platform
        .run_until(&bot.clock, utc("2027-05-03T08:30:00Z"))
        .await
        .unwrap();
    let waiting: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'");
    assert!(
        waiting >= 4,
        "later exercises and the closing wait for the platform: {waiting}"
    );

    // Back after more than the 2 h grace window: nothing stale goes out.
    bot.clock.set(utc("2027-05-03T10:00:00Z"));
    let sent_before = bot.fake.posted().len();
    bot.engine.run_due().await.unwrap();
    assert_eq!(
        bot.fake.posted().len(),
        sent_before,
        "stale exercises were sent late"
    );
    let expired: i64 =
        bot.query("SELECT COUNT(*) FROM deliveries WHERE last_error LIKE 'expired%'");
    assert_eq!(expired, waiting);
    // The next day runs normally.
    bot.run_until(utc("2027-05-04T07:00:00Z")).await;
    assert_eq!(common::openings(&bot.fake.posted_to("rex")).len(), 2);
}

#[tokio::test]
async fn pain_on_an_earlier_exercise_also_ends_the_day() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("sol", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:04:00Z")).await; // exercise 2 came by pace
    let exercises = of_kind(&bot.fake.posted_to("sol"), Kind::Exercise);
    assert_eq!(exercises.len(), 2);
    bot.react("sol", &exercises[0].id, "🤕", true).await;
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    let posted = bot.fake.posted_to("sol");
    assert_eq!(
        of_kind(&posted, Kind::Exercise).len(),
        2,
        "no more exercises after pain"
    );
    assert!(
        of_kind(&posted, Kind::Closing)[0]
            .body
            .contains("stopped early")
    );
}

#[tokio::test]
async fn changing_the_time_mid_session_does_not_cut_the_session_short() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("taj", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:02:00Z")).await;
    bot.command("taj", "subscribe 07:10 UTC").await;
    bot.run_until(utc("2027-05-03T08:00:00Z")).await;
    let posted = bot.fake.posted_to("taj");
    assert_eq!(
        of_kind(&posted, Kind::Exercise).len(),
        5,
        "today's session ran to the end"
    );
    assert_eq!(
        common::openings(&posted).len(),
        1,
        "and only one session today"
    );
}

#[tokio::test]
async fn a_disclaimer_that_could_not_be_sent_is_sent_again_on_the_next_subscribe() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.fake.fail_next(SendError::Unreachable(
        "Cannot send messages to this user (50007)".into(),
    ));
    bot.command("uma", "subscribe 07:00 UTC").await;
    assert!(of_kind(&bot.fake.posted_to("uma"), Kind::Disclaimer).is_empty());
    let reply = bot.command("uma", "subscribe 07:00 UTC").await;
    assert!(
        reply.message.body.contains("disclaimer"),
        "{}",
        reply.message.body
    );
    assert_eq!(
        of_kind(&bot.fake.posted_to("uma"), Kind::Disclaimer).len(),
        1,
        "sent on the second try"
    );
}

#[tokio::test]
async fn a_timed_pause_reports_the_first_session_after_it() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z")); // Monday
    bot.member("vic", "subscribe 07:00 UTC").await;
    bot.command("vic", "pause 3").await;
    let status = bot.command("vic", "status").await.message.body;
    assert!(status.contains("Paused until Thu 6 May"), "{status}");
    assert!(
        status.contains("Next session: Thu 6 May at 07:00"),
        "{status}"
    );
}

#[tokio::test]
async fn a_zero_grace_window_still_starts_a_session_the_engine_wakes_for_a_moment_late() {
    let settings = Settings {
        grace: Duration::zero(),
        ..Settings::default()
    };
    let bot = Bot::start_with(utc("2027-05-03T06:00:00Z"), settings);
    bot.member("wyn", "subscribe 07:00 UTC").await;
    bot.clock.set(utc("2027-05-03T07:00:00.350Z"));
    bot.engine.run_due().await.unwrap();
    assert_eq!(common::openings(&bot.fake.posted_to("wyn")).len(), 1);
}

#[tokio::test]
async fn only_the_member_who_reacted_or_a_moderator_withdraws_a_check_in_by_its_id() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ana", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    let first = bot
        .fake
        .posted_to("ana")
        .into_iter()
        .find(|p| p.kind == Kind::Exercise)
        .unwrap();
    let check_in = |id: &str| ReactionEvent {
        platform: common::PLATFORM.into(),
        message_id: first.id.clone(),
        user_id: "ana".into(),
        display_name: None,
        emoji: "✅".into(),
        added: true,
        reaction_id: Some(id.into()),
        room: Some("ana-dm".into()),
    };
    let removed = |id: &'static str, by: &'static str, moderator: bool, room: &'static str| {
        let engine = bot.engine.clone();
        async move {
            let withdrawal = Withdrawal {
                by,
                by_moderator: moderator,
                room: Some(room),
            };
            engine
                .on_reaction_removed(common::PLATFORM, id, withdrawal)
                .await
                .unwrap()
        }
    };
    bot.engine
        .on_reaction(check_in("reaction-1"))
        .await
        .unwrap();
    assert_eq!(
        removed("reaction-1", "mal", false, "ana-dm").await,
        ReactionOutcome::Ignored
    );
    let kept: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(kept, 1, "someone else's redaction withdraws nothing");
    // A moderator elsewhere, redacting from another room: nothing.
    assert_eq!(
        removed("reaction-1", "mod", true, "another-room").await,
        ReactionOutcome::Ignored
    );
    let kept: i64 = bot.query("SELECT COUNT(*) FROM check_ins");
    assert_eq!(kept, 1, "a redaction in another room withdraws nothing");
    let by_moderator = removed("reaction-1", "mod", true, "ana-dm").await;
    assert!(
        matches!(by_moderator, ReactionOutcome::Withdrawn(_)),
        "{by_moderator:?}"
    );

    bot.engine
        .on_reaction(check_in("reaction-2"))
        .await
        .unwrap();
    let by_herself = removed("reaction-2", "ana", false, "ana-dm").await;
    assert!(
        matches!(by_herself, ReactionOutcome::Withdrawn(_)),
        "{by_herself:?}"
    );
}

/// A message the platform took but the outbox could not record (an
/// injected write fault: the database refuses to mark anything sent) is
/// never handed to the platform again; once writes work, it is recorded
/// and the session goes on.
#[tokio::test]
async fn a_message_sent_but_not_recorded_is_never_sent_again() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ana", "subscribe 07:00 UTC").await;
    let fault = |sql: &'static str| {
        bot.engine
            .db()
            .call_blocking(move |c| c.batch(sql))
            .unwrap()
    };
    let on_postgres = matches!(bot.database, upright::store::Database::Postgres(_));
    fault(if on_postgres {
        "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'injected: the disk is full'; END $$;
         CREATE TRIGGER injected_fault BEFORE UPDATE OF sent_at ON deliveries FOR EACH ROW
         WHEN (OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL) EXECUTE FUNCTION injected_fault();"
    } else {
        "CREATE TRIGGER injected_fault BEFORE UPDATE OF sent_at ON deliveries
         WHEN OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL
         BEGIN SELECT RAISE(ABORT, 'injected: the disk is full'); END;"
    });
    // Pass after pass fails to record exercise 1, for ten minutes.
    for minute in 0..10 {
        let at = utc("2027-05-03T07:00:00Z") + Duration::minutes(minute);
        let failed = bot.engine.run_until(&bot.clock, at).await;
        assert!(failed.is_err(), "the fault makes each pass fail");
    }
    // Counted as handed to the platform, not as posted: platforms drop a
    // repeated key only for a while (Discord's nonce, Synapse's transaction
    // cache), and this fake drops it forever.
    let sent_once = |bot: &Bot| {
        let key = &bot.fake.posted_to("ana")[0].key;
        let sends = bot
            .fake
            .calls()
            .iter()
            .filter(|(call, k)| call == "send" && k == key)
            .count();
        assert_eq!(sends, 1, "exercise 1 was handed over {sends} times");
    };
    sent_once(&bot);
    // Writes work again: recorded, and the session goes on.
    fault(if on_postgres {
        "DROP TRIGGER injected_fault ON deliveries;"
    } else {
        "DROP TRIGGER injected_fault;"
    });
    bot.run_until(utc("2027-05-03T07:30:00Z")).await;
    sent_once(&bot);
    let unsent: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'");
    assert_eq!(unsent, 0);
    let exercises = bot
        .fake
        .posted_to("ana")
        .iter()
        .filter(|p| p.kind == Kind::Exercise)
        .count();
    assert_eq!(exercises, 5, "the session paced on once recorded");
}

/// The bot's reactions are added but the outbox cannot record them done
/// (an injected write fault): the pass fails, nothing is lost and no
/// message goes twice; once writes work, the reactions are added again
/// (which changes nothing on the platform) and recorded, and the session
/// goes on.
#[tokio::test]
async fn reactions_added_but_not_recorded_done_are_added_again_harmlessly() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ana", "subscribe 07:00 UTC").await;
    let fault = |sql: &'static str| {
        bot.engine
            .db()
            .call_blocking(move |c| c.batch(sql))
            .unwrap()
    };
    let on_postgres = matches!(bot.database, upright::store::Database::Postgres(_));
    fault(if on_postgres {
        "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'injected: the disk is full'; END $$;
         CREATE TRIGGER injected_fault BEFORE UPDATE OF state ON deliveries FOR EACH ROW
         WHEN (OLD.state = 'sent' AND NEW.state = 'done') EXECUTE FUNCTION injected_fault();"
    } else {
        "CREATE TRIGGER injected_fault BEFORE UPDATE OF state ON deliveries
         WHEN OLD.state = 'sent' AND NEW.state = 'done'
         BEGIN SELECT RAISE(ABORT, 'injected: the disk is full'); END;"
    });
    bot.clock.set(utc("2027-05-03T07:00:00Z"));
    assert!(
        bot.engine.run_due().await.is_err(),
        "the fault fails the pass"
    );
    let first = of_kind(&bot.fake.posted_to("ana"), Kind::Exercise)[0].clone();
    assert_eq!(bot.fake.reactions_on(&first.id), ["✅", "⏭️", "🤕"]);
    let owed: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE state = 'sent'");
    assert_eq!(owed, 1, "still owed: the reactions are not recorded done");

    fault(if on_postgres {
        "DROP TRIGGER injected_fault ON deliveries;"
    } else {
        "DROP TRIGGER injected_fault;"
    });
    bot.run_until(utc("2027-05-03T07:30:00Z")).await;
    let reacts = bot
        .fake
        .calls()
        .iter()
        .filter(|(call, id)| call == "react" && *id == first.id)
        .count();
    assert_eq!(reacts, 2, "added again once writes work");
    assert_eq!(bot.fake.reactions_on(&first.id), ["✅", "⏭️", "🤕"]);
    let owed: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sent')");
    assert_eq!(owed, 0);
    let posted = bot.fake.posted_to("ana");
    let sends = bot
        .fake
        .calls()
        .iter()
        .filter(|(call, _)| call == "send")
        .count();
    assert_eq!(sends, posted.len(), "no message handed over twice");
    let exercises = posted.iter().filter(|p| p.kind == Kind::Exercise).count();
    assert_eq!(exercises, 5, "the session paced on");
}

/// A member's command waits for their earlier one still at work (a deferred
/// interaction): run side by side, `agree` could finish before the
/// `subscribe` sent before it. Other members are not held up.
#[tokio::test]
async fn a_members_command_waits_for_their_earlier_one_and_no_one_elses() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let earlier = bot.engine.member_turn(common::PLATFORM, "ana").await;
    let subscribing = bot.command("ana", "subscribe 07:00 UTC");
    tokio::pin!(subscribing);
    let other = bot.command("ben", "subscribe 07:00 UTC").await;
    assert!(other.message.body.contains("Subscribed"), "{other:?}");
    let waited =
        tokio::time::timeout(std::time::Duration::from_millis(200), &mut subscribing).await;
    assert!(waited.is_err(), "ana's command ran beside her earlier one");
    let stored: i64 = bot.query("SELECT COUNT(*) FROM users WHERE platform_user_id = 'ana'");
    assert_eq!(stored, 0);
    drop(earlier);
    let reply = subscribing.await;
    assert!(reply.message.body.contains("Subscribed"), "{reply:?}");
}
