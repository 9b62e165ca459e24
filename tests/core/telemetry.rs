//! What an operator sees: `/metrics` counts what the bot did, and
//! `/healthz` answers 200 only while the engine works and every platform is
//! connected. Both are scraped over HTTP after driving the engine.

use super::common;

use std::net::SocketAddr;

use chrono::Duration;
use common::http::{get, sample};
use common::{Bot, PLATFORM, utc};
use upright::clock::Clock;
use upright::engine::{ReactionOutcome, SendError};
use upright::store::deliveries::Kind;
use upright::telemetry::Link;

/// Serves the bot's `/metrics` and `/healthz` on a free local port.
async fn serve(bot: &Bot) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let engine = bot.engine.clone();
    tokio::spawn(upright::http::serve(
        listener,
        engine,
        std::future::pending(),
    ));
    addr
}

async fn scrape(addr: SocketAddr, path: &'static str) -> (u16, String) {
    tokio::task::spawn_blocking(move || get(addr, path))
        .await
        .unwrap()
        .unwrap()
}

fn value(metrics: &str, series: &str) -> f64 {
    sample(metrics, series).unwrap_or_else(|| panic!("no `{series}` in:\n{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_bot_did() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let addr = serve(&bot).await;
    for user in ["ana", "ben", "cy"] {
        bot.member(user, "subscribe 07:00 UTC").await;
    }
    bot.command("ana", "frobnicate").await;
    bot.command("ben", "timezone Mars/Olympus").await;

    // Ana's opening is rate limited once; everyone else's goes straight out.
    bot.fake
        .fail_next(SendError::RetryAfter(Duration::seconds(30)));
    bot.run_until(utc("2027-05-03T07:01:00Z")).await;
    let ana = bot.fake.posted_to("ana");
    let first = ana.iter().find(|p| p.kind == Kind::Exercise).unwrap();
    let outcome = bot.react("ana", &first.id, "✅", true).await;
    assert!(matches!(outcome, ReactionOutcome::Recorded(_)));

    let (status, metrics) = scrape(addr, "/metrics").await;
    assert_eq!(status, 200);
    let sent: i64 = bot.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NOT NULL");
    let fake = format!("platform=\"{PLATFORM}\"");
    assert_eq!(
        value(
            &metrics,
            &format!("upright_deliveries_total{{{fake},outcome=\"sent\"}}")
        ),
        sent as f64
    );
    assert_eq!(
        value(
            &metrics,
            &format!("upright_deliveries_total{{{fake},outcome=\"retried\"}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &metrics,
            &format!("upright_platform_errors_total{{{fake},kind=\"rate_limited\"}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &metrics,
            &format!("upright_check_ins_total{{{fake},kind=\"done\"}}")
        ),
        1.0
    );
    for (command, outcome, count) in [
        ("subscribe", "ok", 3.0),
        ("agree", "ok", 3.0),
        ("unknown", "invalid", 1.0),
        ("timezone", "refused", 1.0),
    ] {
        let series =
            format!("upright_commands_total{{command=\"{command}\",outcome=\"{outcome}\"}}");
        assert_eq!(value(&metrics, &series), count, "{series}");
    }
    // Three sessions started; Ana's 30 s late, the others on the minute.
    let lag = "upright_session_start_lag_seconds";
    assert_eq!(value(&metrics, &format!("{lag}_count{{{fake}}}")), 3.0);
    assert_eq!(value(&metrics, &format!("{lag}_sum{{{fake}}}")), 30.0);
    assert_eq!(
        value(&metrics, &format!("{lag}_bucket{{le=\"15.0\",{fake}}}")),
        2.0
    );
    assert_eq!(
        value(&metrics, &format!("upright_send_seconds_count{{{fake}}}")),
        bot.fake
            .calls()
            .iter()
            .filter(|(call, _)| call != "is_member")
            .count() as f64
    );
    assert!(value(&metrics, "upright_engine_passes_total") > 0.0);
    assert_eq!(value(&metrics, "upright_engine_failed_passes_total"), 0.0);
    assert_eq!(
        value(&metrics, &format!("upright_outbox_due{{{fake}}}")),
        0.0
    );

    // A platform that stops answering: the outbox fills and ages.
    bot.fake.outage(Some(SendError::Transient("down".into())));
    bot.command("dee", "subscribe 07:30 UTC").await; // its disclaimer cannot go out
    bot.fake.outage(None);
    let oldest: i64 =
        bot.query("SELECT MIN(due_at) FROM deliveries WHERE state IN ('pending', 'sent')");
    bot.clock
        .set(chrono::DateTime::from_timestamp(oldest + 90, 0).unwrap());
    let (_, metrics) = scrape(addr, "/metrics").await;
    let due: i64 = bot.query(&format!(
        "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sent') AND due_at <= {}",
        oldest + 90
    ));
    assert!(due > 0);
    assert_eq!(
        value(&metrics, &format!("upright_outbox_due{{{fake}}}")),
        due as f64
    );
    assert_eq!(
        value(
            &metrics,
            &format!("upright_outbox_oldest_due_seconds{{{fake}}}")
        ),
        90.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_ok_only_with_a_recent_pass_and_every_platform_connected() {
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let addr = serve(&bot).await;
    let health = &bot.engine.telemetry().health;

    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 503, "no pass yet: {body}");
    assert!(body.contains("no pass has finished yet"), "{body}");

    health.link(PLATFORM, Link::Connecting);
    bot.engine.run_due().await.unwrap();
    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["platforms"][PLATFORM], "connecting");
    assert_eq!(json["problems"][0], format!("{PLATFORM}: still connecting"));

    health.link(PLATFORM, Link::Connected);
    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["last_pass_seconds_ago"], 0);

    health.link(PLATFORM, Link::Lost("gateway closed".into()));
    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 503);
    assert!(body.contains("disconnected: gateway closed"), "{body}");

    // Connected again, but the engine has not finished a pass for 3 minutes.
    health.link(PLATFORM, Link::Connected);
    bot.clock.set(bot.clock.now() + Duration::minutes(3));
    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 503);
    assert!(body.contains("no pass has finished for 180 s"), "{body}");
    bot.engine.run_due().await.unwrap();
    assert_eq!(scrape(addr, "/healthz").await.0, 200);

    // Another replica holds the platform: this one stands by, and is well;
    // /metrics says which platforms it holds and what it claimed.
    health.link(PLATFORM, Link::StandingBy);
    let metrics = &bot.engine.telemetry().metrics;
    metrics.lease_held(PLATFORM, false);
    metrics.claimed("session", 2);
    let (status, body) = scrape(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["platforms"][PLATFORM], "standing by");
    let (_, metrics) = scrape(addr, "/metrics").await;
    assert!(
        metrics.contains(&format!("upright_lease_held{{lease=\"{PLATFORM}\"}} 0")),
        "{metrics}"
    );
    assert!(
        metrics.contains("upright_claims_total{work=\"session\"} 2"),
        "{metrics}"
    );
}

/// `/metrics` and `/healthz` take a few short connections: one that never
/// finishes its request is cut off, and past the limit a new one is closed
/// at once, so a stuck or hostile client cannot tie the server up.
#[tokio::test]
async fn the_http_server_bounds_its_connections_and_how_long_each_stays_open() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let bot = Bot::start(utc("2027-05-03T06:00:00Z"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = upright::http::HttpLimits {
        connections: 2,
        connection_timeout: std::time::Duration::from_millis(500),
    };
    tokio::spawn(upright::http::serve_within(
        listener,
        bot.engine.clone(),
        std::future::pending(),
        limits,
    ));
    // Two clients that never finish their request hold both places.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // A third is closed at once, unanswered.
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buffer = [0u8; 64];
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), third.read(&mut buffer))
        .await
        .expect("the busy server closes the connection");
    assert!(matches!(answer, Ok(0) | Err(_)), "{answer:?}");
    // The slow ones are cut off after the timeout …
    for mut stream in slow {
        let closed =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buffer))
                .await
                .expect("a slow client is cut off");
        assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    }
    // … and then a request is answered again.
    let (status, _) = scrape(addr, "/metrics").await;
    assert_eq!(status, 200);
}
