//! Many members at once: each platform sends with several deliveries in
//! flight, a member's messages stay in order, one platform's trouble never
//! delays another, and a failing engine never spins.

use super::common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use common::{FakePlatform, Hang, content, utc};
use upright::clock::ManualClock;
use upright::commands::{self, Command, Member, Place};
use upright::engine::{Destination, Engine, Outgoing, Platform, SendError, Sent, Settings};
use upright::store::Db;
use upright::store::deliveries::Kind;
use upright::store::sql::ConnExt;

/// A platform that takes a little while over every call and checks, as it
/// goes, that no recipient ever has two calls in flight.
#[derive(Default)]
struct SlowPlatform {
    state: Mutex<SlowState>,
}

#[derive(Default)]
struct SlowState {
    in_flight: HashSet<String>,
    most_in_flight: usize,
    overlaps: Vec<String>,
    /// Per recipient, what it was sent, in order: the delivery kind, or
    /// "react" for the bot's reactions.
    order: HashMap<String, Vec<String>>,
    next_id: u64,
    ids: HashMap<String, String>,
}

fn recipient(to: &Destination) -> String {
    match to {
        Destination::Direct { user_id, .. } => user_id.clone(),
        Destination::Channel(channel) => channel.clone(),
    }
}

impl SlowPlatform {
    fn begin(&self, to: &Destination, what: &str) {
        let mut state = self.state.lock().unwrap();
        let who = recipient(to);
        if !state.in_flight.insert(who.clone()) {
            state.overlaps.push(format!("{who}: {what}"));
        }
        state.most_in_flight = state.most_in_flight.max(state.in_flight.len());
        state.order.entry(who).or_default().push(what.to_string());
    }

    fn end(&self, to: &Destination) {
        self.state.lock().unwrap().in_flight.remove(&recipient(to));
    }

    /// A different short delay per call, so calls finish out of order.
    async fn work(&self, salt: usize) {
        tokio::time::sleep(StdDuration::from_millis(2 + (salt * 7 % 13) as u64)).await;
    }
}

#[async_trait]
impl Platform for SlowPlatform {
    async fn send(&self, to: &Destination, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        self.begin(to, outgoing.kind.as_str());
        self.work(outgoing.key.len() + recipient(to).len()).await;
        let id = {
            let mut state = self.state.lock().unwrap();
            state.next_id += 1;
            let id = format!("m{}", state.next_id);
            state
                .ids
                .entry(outgoing.key.to_string())
                .or_insert(id)
                .clone()
        };
        self.end(to);
        Ok(Sent {
            message_id: id,
            dm: None,
            answered_press: false,
        })
    }

    async fn react(
        &self,
        to: &Destination,
        message_id: &str,
        _emoji: &[String],
    ) -> Result<(), SendError> {
        self.begin(to, "react");
        self.work(message_id.len()).await;
        self.end(to);
        Ok(())
    }

    async fn is_member(&self, _channel: &str, _user_id: &str) -> Result<bool, SendError> {
        Ok(true)
    }
}

fn engine(clock: &ManualClock, dir: &tempfile::TempDir, settings: Settings) -> Engine {
    let db = Db::connect(&common::database::fresh(dir.path())).unwrap();
    Engine::new(db, content(), Arc::new(clock.clone()), settings)
}

/// Subscribes a member of `platform` to 07:00 UTC and accepts the disclaimer.
async fn subscribe(engine: &Engine, platform: &str, user: &str) {
    let member = Member {
        platform: platform.into(),
        user_id: user.into(),
        display_name: user.into(),
        dm: None,
        profile_zone: None,
        locale: None,
        server_locale: None,
    };
    for text in ["subscribe 07:00 UTC", "agree"] {
        let command = Command::parse(text).unwrap();
        commands::handle(engine, &member, &Place::Direct, command).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_messages_stay_in_order_with_many_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let settings = Settings {
        send_concurrency: Some(6),
        ..Settings::default()
    };
    let engine = engine(&clock, &dir, settings);
    let platform = Arc::new(SlowPlatform::default());
    engine.add_platform("slow", platform.clone());
    for i in 0..30 {
        subscribe(&engine, "slow", &format!("u{i:02}")).await;
    }
    engine.run_due().await.unwrap();
    // Three exercises: paced ones and the reactions on each.
    engine
        .run_until(&clock, utc("2027-05-03T07:07:00Z"))
        .await
        .unwrap();

    let state = platform.state.lock().unwrap();
    assert!(
        state.overlaps.is_empty(),
        "a member had two calls at once: {:?}",
        state.overlaps
    );
    assert!(
        state.most_in_flight > 1 && state.most_in_flight <= 6,
        "in flight at most: {}",
        state.most_in_flight
    );
    for i in 0..30 {
        let order = &state.order[&format!("u{i:02}")];
        assert_eq!(
            order,
            &[
                "disclaimer",
                "react",
                "exercise",
                "react",
                "exercise",
                "react",
                "exercise",
                "react"
            ],
            "u{i:02}"
        );
    }
}

/// Two platforms, ten members each, all due at 07:00; the engine runs as in
/// production (`Engine::run`, a sender per platform).
struct TwoPlatforms {
    engine: Engine,
    clock: ManualClock,
    healthy: Arc<FakePlatform>,
    troubled: Arc<FakePlatform>,
    _dir: tempfile::TempDir,
}

impl TwoPlatforms {
    async fn start() -> TwoPlatforms {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
        let engine = engine(&clock, &dir, Settings::default());
        let healthy = FakePlatform::new(clock.clone());
        let troubled = FakePlatform::new(clock.clone());
        engine.add_platform("healthy", healthy.clone());
        engine.add_platform("troubled", troubled.clone());
        for i in 0..10 {
            subscribe(&engine, "healthy", &format!("h{i}")).await;
            subscribe(&engine, "troubled", &format!("t{i}")).await;
        }
        engine.run_due().await.unwrap();
        TwoPlatforms {
            engine,
            clock,
            healthy,
            troubled,
            _dir: dir,
        }
    }

    /// Runs the engine from 07:00 until the healthy platform has every
    /// member's opening and first exercise, and returns how many of each
    /// kind the troubled one got.
    async fn burst(&self) -> usize {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let engine = self.engine.clone();
        let running = tokio::spawn(async move {
            engine
                .run(async {
                    let _ = stopped.await;
                })
                .await
        });
        self.clock.set(utc("2027-05-03T07:00:00Z"));
        self.engine.wake();
        // Bounds a hang, measures nothing: on a working bot this takes milliseconds.
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
        loop {
            let posted = self.healthy.posted();
            let openings = posted.iter().filter(|p| p.is_opening()).count();
            if openings == 10 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the healthy platform was held up: {openings} openings"
            );
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        let _ = stop.send(());
        running.await.unwrap();
        self.troubled
            .posted()
            .iter()
            .filter(|p| p.is_opening())
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_platform_does_not_delay_another() {
    let bot = TwoPlatforms::start().await;
    bot.troubled.hang_at(Some(Hang::BeforeSend));
    assert_eq!(bot.burst().await, 0);
    let tried = bot
        .troubled
        .calls()
        .iter()
        .filter(|(c, _)| c == "send")
        .count();
    assert!(tried > 0, "the troubled platform was never tried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_or_failing_platform_does_not_delay_another() {
    for error in [
        SendError::RetryAfter(Duration::seconds(60)),
        SendError::Transient("502 Bad Gateway".into()),
    ] {
        let bot = TwoPlatforms::start().await;
        bot.troubled.outage(Some(error.clone()));
        assert_eq!(bot.burst().await, 0, "{error}");
        // The troubled platform's members wait their turn; nothing was given up.
        let failed: i64 = bot
            .engine
            .db()
            .call_blocking(|c| {
                c.query_opt(
                    "SELECT COUNT(*) FROM deliveries WHERE state = 'failed'",
                    &[],
                    |row| row.int(0),
                )
            })
            .unwrap()
            .unwrap_or(0);
        assert_eq!(failed, 0, "{error}");
        bot.troubled.outage(None);
        bot.clock.set(utc("2027-05-03T07:02:00Z"));
        bot.engine.run_due().await.unwrap();
        let openings = bot
            .troubled
            .posted()
            .iter()
            .filter(|p| p.is_opening())
            .count();
        assert_eq!(openings, 10, "{error}: sent once the platform is back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_engine_pass_backs_off_instead_of_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let engine = engine(&clock, &dir, Settings::default());
    let platform = FakePlatform::new(clock.clone());
    engine.add_platform("fake", platform.clone());
    subscribe(&engine, "fake", "ana").await;
    // A database that lost a table makes every pass fail (a bad row would
    // only be set aside).
    engine
        .db()
        .call_blocking(|c| c.batch("ALTER TABLE groups RENAME TO groups_gone"))
        .unwrap();
    clock.set(utc("2027-05-03T07:00:00Z"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .run(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    // Commands keep waking the engine; a failing engine must not take each as a retry.
    for _ in 0..20 {
        engine.wake();
        tokio::time::sleep(StdDuration::from_millis(150)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
    // Backing off 1 s, 2 s, 4 s … allows about three passes in these 3 s;
    // a loop that retried at once would count thousands.
    let failed = engine.telemetry().metrics.failed_passes();
    assert!((1..=5).contains(&failed), "{failed} failed passes in 3 s");
    assert_eq!(upright::engine::retry_pause(1), StdDuration::from_secs(1));
    assert_eq!(upright::engine::retry_pause(3), StdDuration::from_secs(4));
    assert_eq!(upright::engine::retry_pause(30), StdDuration::from_secs(60));
}

/// A platform whose first drain dies in a panic, as a bug in an adapter would.
struct DiesOnce {
    inner: Arc<FakePlatform>,
    died: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Platform for DiesOnce {
    fn send_concurrency(&self) -> usize {
        if !self.died.swap(true, std::sync::atomic::Ordering::SeqCst) {
            panic!("a bug in the platform adapter");
        }
        self.inner.send_concurrency()
    }

    async fn send(&self, to: &Destination, message: Outgoing<'_>) -> Result<Sent, SendError> {
        self.inner.send(to, message).await
    }

    async fn react(&self, to: &Destination, id: &str, emoji: &[String]) -> Result<(), SendError> {
        self.inner.react(to, id, emoji).await
    }

    async fn is_member(&self, channel: &str, user: &str) -> Result<bool, SendError> {
        self.inner.is_member(channel, user).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_dies_is_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let engine = engine(&clock, &dir, Settings::default());
    let fake = FakePlatform::new(clock.clone());
    let platform = Arc::new(DiesOnce {
        inner: fake.clone(),
        died: std::sync::atomic::AtomicBool::new(false),
    });
    engine.add_platform("fake", platform);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .run(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    subscribe(&engine, "fake", "ana").await;
    // The first drain panicked; the sender comes back and sends the disclaimer once.
    let mut delivered = Vec::new();
    for _ in 0..200 {
        delivered = fake.posted_to("ana");
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].kind, Kind::Disclaimer);
}

/// A clock that panics when told to, as a bug in the engine's loop would.
struct FailingClock {
    inner: ManualClock,
    /// Calls left to panic on; `u32::MAX`: every call.
    panics: std::sync::atomic::AtomicU32,
}

impl upright::clock::Clock for FailingClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use std::sync::atomic::Ordering::SeqCst;
        let left = self.panics.load(SeqCst);
        if left > 0 {
            if left != u32::MAX {
                self.panics.store(left - 1, SeqCst);
            }
            panic!("a bug in the engine's loop");
        }
        upright::clock::Clock::now(&self.inner)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_engine_loop_starts_again_and_gives_up_only_when_it_keeps_failing() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = tempfile::tempdir().unwrap();
    let manual = ManualClock::new(utc("2027-05-03T06:00:00Z"));
    let clock = Arc::new(FailingClock {
        inner: manual.clone(),
        panics: std::sync::atomic::AtomicU32::new(0),
    });
    let db = Db::connect(&common::database::fresh(dir.path())).unwrap();
    let engine = Engine::new(db, content(), clock.clone(), Settings::default());
    let fake = FakePlatform::new(manual.clone());
    engine.add_platform("fake", fake.clone());

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let supervised = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_supervised(stopped).await })
    };
    // Once idle, the loop's next look at the clock (its next pass) panics;
    // it is started again and works.
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    clock.panics.store(1, SeqCst);
    engine.wake();
    while clock.panics.load(SeqCst) > 0 {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    subscribe(&engine, "fake", "ana").await;
    let mut delivered = Vec::new();
    for _ in 0..200 {
        delivered = fake.posted_to("ana");
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(
        delivered.len(),
        1,
        "the restarted engine sent the disclaimer"
    );

    // A loop that fails every time is given up on, with the reason.
    clock.panics.store(u32::MAX, SeqCst);
    engine.wake();
    let outcome = tokio::time::timeout(StdDuration::from_secs(60), supervised)
        .await
        .expect("the supervisor gives up")
        .unwrap();
    let error = outcome.unwrap_err();
    assert!(error.contains("times in a row"), "{error}");
    drop(stop);
}
