//! The progress picture: a PNG of the documented size whose squares show
//! done days, empty sessions and days without a session differently; and
//! the trends picture, whose series are told apart band by band.

use super::common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{Bot, decode_png as decode, utc};
use upright::coaching::Streak;
use upright::progress::{self, HEIGHT, NO_SESSION, SHADES, WIDTH};
use upright::store::deliveries::Kind;

fn rgb(color: plotters::style::RGBColor) -> [u8; 3] {
    [color.0, color.1, color.2]
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Reacts `emoji` to the member's latest exercise.
async fn react_to_latest(bot: &Bot, user: &str, emoji: &str) {
    let latest = bot
        .fake
        .posted_to(user)
        .into_iter()
        .rfind(|p| p.kind == Kind::Exercise)
        .unwrap();
    bot.react(user, &latest.id, emoji, true).await;
}

#[test]
fn squares_show_done_empty_and_missing_days_apart() {
    let today = date("2027-05-20");
    let days = BTreeMap::from([
        (date("2027-05-17"), 1.0),
        (date("2027-05-18"), 0.0),
        (date("2027-05-10"), 0.6),
        (date("2027-05-11"), 0.2),
    ]);
    let streak = Streak {
        current: 1,
        best: 4,
        done_days: 9,
    };
    let picture =
        decode(&progress::render(upright::i18n::Language::En, today, &days, streak).unwrap());
    assert_eq!((picture.width, picture.height), (WIDTH, HEIGHT));
    assert_eq!(
        picture.day(today, date("2027-05-17")),
        rgb(SHADES[3]),
        "a day with everything done"
    );
    assert_eq!(
        picture.day(today, date("2027-05-10")),
        rgb(SHADES[2]),
        "more than half"
    );
    assert_eq!(
        picture.day(today, date("2027-05-11")),
        rgb(SHADES[1]),
        "some"
    );
    assert_eq!(
        picture.day(today, date("2027-05-18")),
        rgb(SHADES[0]),
        "a session with nothing done"
    );
    assert_eq!(
        picture.day(today, date("2027-05-19")),
        rgb(NO_SESSION),
        "no session"
    );
    let shades: std::collections::BTreeSet<[u8; 3]> = SHADES
        .iter()
        .copied()
        .chain([NO_SESSION])
        .map(rgb)
        .collect();
    assert_eq!(shades.len(), 5, "every level has its own colour");
    // Lightness falls steadily from "none" to "all", so the order reads without hue.
    let lightness =
        |c: [u8; 3]| u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114;
    assert!(
        SHADES
            .windows(2)
            .all(|w| lightness(rgb(w[0])) > lightness(rgb(w[1])))
    );
    assert_eq!(
        progress::cell_of(today, date("2027-05-21")),
        None,
        "the future is not drawn"
    );
    assert_eq!(
        progress::cell_of(today, date("2027-02-21")),
        None,
        "nor what is older than 12 weeks"
    );
    assert!(
        progress::cell_of(today, date("2027-03-01")).is_some(),
        "the oldest week's Monday is shown"
    );
}

#[tokio::test]
async fn the_progress_command_sends_the_picture() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ada", "subscribe 07:00 UTC").await;
    bot.run_until(utc("2027-05-03T07:00:00Z")).await;
    for _ in 0..5 {
        react_to_latest(&bot, "ada", "✅").await;
    }
    let reply = bot.command("ada", "progress").await;
    let file = reply.attachment.expect("a picture");
    assert_eq!(
        (file.filename.as_str(), file.mime),
        ("progress.png", "image/png")
    );
    assert!(
        reply.message.body.contains("Streak: 1 day"),
        "{}",
        reply.message.body
    );
    let picture = decode(&file.bytes);
    let today = date("2027-05-03");
    assert_eq!(picture.day(today, today), rgb(SHADES[3]));
    let nobody = bot.command("bea", "progress").await;
    assert!(nobody.attachment.is_none() && nobody.message.body.contains("subscribe"));
}

#[tokio::test]
async fn the_trends_picture_shows_each_exercise_done_days_load_and_pain_apart() {
    use upright::trends::{self, DONE, LOAD, PAIN, Trends};
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    bot.member("ada", "subscribe 07:00 UTC").await;
    // Three days all done, then pain on exercise 1 with a score.
    for day in ["03", "04", "05", "06"] {
        bot.run_until(utc(&format!("2027-05-{day}T07:00:00Z")))
            .await;
        let emoji = if day == "06" { "🤕" } else { "✅" };
        let steps = if day == "06" { 1 } else { 5 };
        for _ in 0..steps {
            react_to_latest(&bot, "ada", emoji).await;
        }
    }
    bot.command("ada", "pain 6 neck").await;
    let reply = bot.command("ada", "trends").await;
    let file = reply.attachment.expect("a picture");
    assert_eq!(
        (file.filename.as_str(), file.mime),
        ("trends.png", "image/png")
    );
    let picture = decode(&file.bytes);
    assert_eq!(
        (picture.width, picture.height),
        (trends::WIDTH, trends::HEIGHT)
    );
    let count = |band: u32, color: plotters::style::RGBColor| {
        Trends::band_rows(band)
            .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
            .filter(|(x, y)| {
                let at = ((y * picture.width + x) * 3) as usize;
                picture.rgb[at..at + 3] == rgb(color)
            })
            .count()
    };
    for band in 0..5 {
        assert!(count(band, DONE) > 100, "done days in band {band}");
        assert!(count(band, LOAD) > 50, "the load line in band {band}");
    }
    assert!(count(0, PAIN) > 50, "the pain report on exercise 1");
    for band in 1..5 {
        assert_eq!(count(band, PAIN), 0, "no pain on exercise {}", band + 1);
    }
    let colors: std::collections::BTreeSet<[u8; 3]> =
        [DONE, LOAD, PAIN].into_iter().map(rgb).collect();
    assert_eq!(colors.len(), 3, "three series, three colours");
    let nobody = bot.command("bea", "trends").await;
    assert!(nobody.attachment.is_none() && nobody.message.body.contains("subscribe"));
}
