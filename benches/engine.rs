//! Throughput of the core, printed as a table:
//! `cargo bench --bench engine [-- --database sqlite|postgres [--synchronous-commit off]]` (default
//! sqlite).
//!
//! The platform here answers instantly, so the figures are the bot's own
//! cost per message (database writes, rendering, scheduling); real sends
//! are bounded by the platform's rate limits long before this.
//!
//! With `--database sqlite` each bench bot has a file in a temporary
//! folder; with `--database postgres` a throwaway PostgreSQL server is
//! started on 127.0.0.1 (tests/postgres) and each bench bot gets a fresh
//! database on it.

#[cfg(feature = "postgres")]
#[path = "../tests/postgres/mod.rs"]
mod postgres;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use upright::clock::ManualClock;
use upright::commands::{self, Command, Member, Place};
use upright::content::Content;
use upright::engine::{Destination, Engine, Outgoing, Platform, SendError, Sent, Settings};
use upright::schedule::{Schedule, Weekdays, parse_time, parse_zone};
use upright::store::Db;
use upright::store::sql::{Conn, ConnExt, Engine as SqlEngine, args};

const USAGE: &str = "usage: cargo bench --bench engine -- [--database sqlite|postgres] [--synchronous-commit on|off]";

/// Where the bench bots keep their memory.
enum Store {
    /// A SQLite file in each bot's temporary folder.
    Sqlite,
    /// A fresh database per bot on one throwaway server.
    #[cfg(feature = "postgres")]
    Postgres {
        server: postgres::Postgres,
        databases: std::sync::atomic::AtomicUsize,
        /// `--synchronous-commit off`: each bench database set as an
        /// operator may set theirs (`ALTER DATABASE … SET
        /// synchronous_commit = off`), so a commit does not wait for the
        /// disk.
        commit_waits_for_disk: bool,
    },
}

/// ANALYZE for every table of the bot's that has rows.
#[cfg(feature = "postgres")]
const ANALYZE_WRITTEN: &str = "DO $$
DECLARE
  t regclass;
  written boolean;
BEGIN
  FOR t IN SELECT oid FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', t) INTO written;
    IF written THEN
      EXECUTE format('ANALYZE %s', t);
    END IF;
  END LOOP;
END $$";

impl Store {
    fn from_args() -> Result<Store, String> {
        let mut engine = "sqlite".to_string();
        let mut synchronous_commit = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                // cargo bench passes this to every bench target.
                "--bench" => {}
                "--database" => engine = args.next().unwrap_or_default(),
                "--synchronous-commit" => match args.next().as_deref() {
                    Some("on") => synchronous_commit = Some(true),
                    Some("off") => synchronous_commit = Some(false),
                    other => return Err(format!("--synchronous-commit {other:?}: on or off")),
                },
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        match engine.as_str() {
            "sqlite" if synchronous_commit.is_some() => {
                Err("--synchronous-commit is PostgreSQL's: use it with --database postgres".into())
            }
            "sqlite" => Ok(Store::Sqlite),
            #[cfg(feature = "postgres")]
            "postgres" => {
                eprintln!("engine bench: starting a throwaway PostgreSQL …");
                Ok(Store::Postgres {
                    server: postgres::Postgres::start(),
                    databases: std::sync::atomic::AtomicUsize::new(0),
                    commit_waits_for_disk: synchronous_commit.unwrap_or(true),
                })
            }
            #[cfg(not(feature = "postgres"))]
            "postgres" => Err("--database postgres needs the `postgres` feature".to_string()),
            other => Err(format!("--database {other:?}: sqlite or postgres\n{USAGE}")),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Store::Sqlite => "SQLite",
            #[cfg(feature = "postgres")]
            Store::Postgres {
                commit_waits_for_disk: true,
                ..
            } => "PostgreSQL; tables written to ANALYZEd after each setup",
            #[cfg(feature = "postgres")]
            Store::Postgres { .. } => {
                "PostgreSQL, synchronous_commit off; tables written to ANALYZEd after each setup"
            }
        }
    }

    /// After a setup, before a measurement: PostgreSQL is given statistics
    /// for what the setup wrote, as autovacuum gives a running server
    /// (about a minute after a large change). Like autovacuum it leaves a
    /// table nothing was written to unanalyzed: a new bot's first morning
    /// starts with `sessions` empty and never analyzed, which the planner
    /// reads as "size unknown", not as "always empty". SQLite's plans need
    /// no statistics.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    fn settle(&self, db: &Db) {
        match self {
            Store::Sqlite => {}
            #[cfg(feature = "postgres")]
            Store::Postgres { .. } => db.call_blocking(|c| c.batch(ANALYZE_WRITTEN)).unwrap(),
        }
    }

    /// A fresh, migrated database for one bench bot.
    fn fresh(&self, dir: &std::path::Path) -> Db {
        match self {
            Store::Sqlite => Db::open(&dir.join("bench.sqlite3")).unwrap(),
            #[cfg(feature = "postgres")]
            Store::Postgres {
                server,
                databases,
                commit_waits_for_disk,
            } => {
                let name = format!("bench_{}", databases.fetch_add(1, Ordering::Relaxed));
                server.psql(&format!("CREATE DATABASE {name}"));
                if !commit_waits_for_disk {
                    server.psql(&format!(
                        "ALTER DATABASE {name} SET synchronous_commit = off"
                    ));
                }
                Db::connect(&upright::store::Database::Postgres(server.url_of(&name))).unwrap()
            }
        }
    }
}

#[derive(Default)]
struct CountingPlatform {
    sends: AtomicU64,
    reacts: AtomicU64,
}

#[async_trait]
impl Platform for CountingPlatform {
    async fn send(&self, _to: &Destination, _message: Outgoing<'_>) -> Result<Sent, SendError> {
        let n = self.sends.fetch_add(1, Ordering::Relaxed);
        Ok(Sent {
            message_id: format!("m{n}"),
            dm: None,
            answered_press: false,
        })
    }

    async fn react(
        &self,
        _to: &Destination,
        _id: &str,
        _emoji: &[String],
    ) -> Result<(), SendError> {
        self.reacts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn is_member(&self, _channel: &str, _user: &str) -> Result<bool, SendError> {
        Ok(true)
    }
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-03-26T06:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap()
}

async fn bot(
    store: &Store,
    members: usize,
    zones: &[&str],
) -> (
    Engine,
    ManualClock,
    Arc<CountingPlatform>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let content = Arc::new(
        Content::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap(),
    );
    let clock = ManualClock::new(start());
    let engine = Engine::new(
        store.fresh(dir.path()),
        content,
        Arc::new(clock.clone()),
        Settings::default(),
    );
    let platform = Arc::new(CountingPlatform::default());
    engine.add_platform("bench", platform.clone());
    for i in 0..members {
        let member = Member {
            platform: "bench".into(),
            user_id: format!("u{i}"),
            display_name: format!("u{i}"),
            dm: None,
            profile_zone: None,
            locale: None,
            server_locale: None,
        };
        let zone = zones[i % zones.len()];
        for text in [format!("subscribe 07:00 {zone}"), "agree".to_string()] {
            commands::handle(
                &engine,
                &member,
                &Place::Direct,
                Command::parse(&text).unwrap(),
            )
            .await;
        }
    }
    engine.run_due().await.unwrap();
    store.settle(engine.db());
    (engine, clock, platform, dir)
}

fn row(what: &str, count: u64, seconds: f64, unit: &str) {
    println!(
        "| {what:<52} | {count:>8} | {seconds:>8.3} s | {:>10.0} {unit}/s |",
        count as f64 / seconds
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let store = match Store::from_args() {
        Ok(store) => store,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    println!(
        "| what (database: {}) | count | time | rate |",
        store.name()
    );
    println!("|---|---:|---:|---:|");

    // A burst: every member's session falls due at the same instant. The
    // first morning of a new bot starts from empty tables; the next one
    // from a day of sessions and deliveries, with statistics for them, as
    // a bot that has been running has.
    for members in [1_000, 5_000] {
        let (engine, clock, platform, _dir) = bot(&store, members, &["UTC"]).await;
        for (day, morning) in [(0, "first"), (1, "next")] {
            if day > 0 {
                engine
                    .run_until(&clock, start() + Duration::days(day))
                    .await
                    .unwrap();
                store.settle(engine.db());
            }
            let before = platform.sends.load(Ordering::Relaxed);
            clock.set(start() + Duration::days(day) + Duration::hours(1));
            let t = Instant::now();
            engine.run_due().await.unwrap();
            let seconds = t.elapsed().as_secs_f64();
            let sends = platform.sends.load(Ordering::Relaxed) - before;
            row(
                &format!("burst, {morning} morning: {members} sessions at once (messages)"),
                sends,
                seconds,
                "msg",
            );
        }
    }

    // Two whole days for 1,000 members in five zones, paced by the clock alone.
    let (engine, clock, platform, _dir) = bot(
        &store,
        1_000,
        &[
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "UTC",
        ],
    )
    .await;
    let t = Instant::now();
    engine
        .run_until(&clock, start() + Duration::days(2))
        .await
        .unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let work = platform.sends.load(Ordering::Relaxed) + platform.reacts.load(Ordering::Relaxed);
    row(
        "2 days, 1,000 members, 5 zones (sends + reaction calls)",
        work,
        seconds,
        "op",
    );

    // Groups: the leaderboard and a whole group day (session, nudge, summary)
    // for groups with 12 weeks of check-ins.
    for members in [50, 500] {
        let (engine, clock, platform, _dir) = bot(&store, 0, &["UTC"]).await;
        let admin = Member {
            platform: "bench".into(),
            user_id: "admin".into(),
            display_name: "admin".into(),
            dm: None,
            profile_zone: None,
            locale: None,
            server_locale: None,
        };
        let room = Place::Channel {
            id: "room".into(),
            admin: true,
        };
        for text in ["group setup 07:00 UTC daily 20:00", "group nudges on"] {
            commands::handle(&engine, &admin, &room, Command::parse(text).unwrap()).await;
        }
        let history_end = start() + Duration::days(84);
        engine.run_until(&clock, history_end).await.unwrap();
        engine
            .db()
            .call_blocking(move |c| {
                let tx = c.transaction()?;
                for i in 0..members {
                    let name = format!("m{i}");
                    let user = tx.query_one(
                        "INSERT INTO users (platform, platform_user_id, display_name, created_at)
                         VALUES ('bench', ?1, ?1, 0) RETURNING id",
                        args![&name],
                        |row| row.int(0),
                    )?;
                    tx.execute(
                        "INSERT INTO group_members (group_id, user_id, joined_at) VALUES (1, ?1, 0)",
                        args![user],
                    )?;
                    // Most members do most days: three ✅ on about 70% of them.
                    // The casts give PostgreSQL one type for the parameter.
                    tx.execute(
                        "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
                         SELECT s.id, step.n, CAST(?1 AS BIGINT), 'done', 0
                         FROM sessions s, (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3) step
                         WHERE s.group_id = 1 AND (s.id * 7 + CAST(?1 AS BIGINT) * 13) % 10 < 7",
                        args![user],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .unwrap();
        store.settle(engine.db());
        let asker = Member {
            platform: "bench".into(),
            user_id: "m0".into(),
            display_name: "m0".into(),
            dm: None,
            profile_zone: None,
            locale: None,
            server_locale: None,
        };
        let boards = 10;
        let t = Instant::now();
        for _ in 0..boards {
            commands::handle(&engine, &asker, &room, Command::Leaderboard).await;
        }
        row(
            &format!("leaderboard, {members} members × 12 weeks"),
            boards,
            t.elapsed().as_secs_f64(),
            "board",
        );
        let before = platform.sends.load(Ordering::Relaxed);
        let t = Instant::now();
        engine
            .run_until(&clock, history_end + Duration::days(1))
            .await
            .unwrap();
        let seconds = t.elapsed().as_secs_f64();
        let sends = platform.sends.load(Ordering::Relaxed) - before;
        assert!(sends >= 8, "a session, a nudge and a summary were sent");
        row(
            &format!("a group day, {members} members (session, nudge, summary)"),
            1,
            seconds,
            "day",
        );
    }

    // An idle pass: many subscriptions, none due. Its cost must follow the
    // due work, not the number of members. On PostgreSQL it is measured
    // twice: right after the bulk load, before the server has statistics
    // for it, and after ANALYZE.
    for subscriptions in [10_000, 100_000, 1_000_000] {
        let (engine, _clock, _platform, _dir) = bot(&store, 0, &["UTC"]).await;
        let later = (start() + Duration::days(30)).timestamp();
        engine
            .db()
            .call_blocking(move |c| idle_subscriptions(c, subscriptions, later))
            .unwrap();
        let rounds: &[&str] = match store {
            Store::Sqlite => &[""],
            #[cfg(feature = "postgres")]
            Store::Postgres { .. } => &[", no statistics", ", after ANALYZE"],
        };
        for (round, note) in rounds.iter().enumerate() {
            if round == 1 {
                store.settle(engine.db());
            }
            let passes = 50;
            let t = Instant::now();
            for _ in 0..passes {
                engine.run_due().await.unwrap();
                assert!(engine.next_due().await.unwrap().is_some());
            }
            let per_pass = t.elapsed().as_secs_f64() / f64::from(passes);
            println!(
                "| {:<52} | {passes:>8} | {:>8.3} ms | per pass |",
                format!("idle pass + next due, {subscriptions} subscriptions{note}"),
                per_pass * 1000.0
            );
        }
    }

    // Next-session computation, the hot path of every schedule change.
    let schedule = Schedule::new(
        parse_time("02:30").unwrap(),
        Weekdays::DAILY,
        parse_zone("Europe/Berlin").unwrap(),
    );
    let t = Instant::now();
    let n = 100_000;
    let mut found = 0;
    for i in 0..n {
        // Ten years of starting points, a little over three hours apart.
        let from = start() + Duration::minutes(191 * i);
        found += u64::from(schedule.next_after(from).is_some());
    }
    assert_eq!(found, n as u64);
    row(
        "next session instant (Europe/Berlin 02:30, DST included)",
        found,
        t.elapsed().as_secs_f64(),
        "call",
    );
    ExitCode::SUCCESS
}

/// `count` idle members, each subscribed, none due before `later`: one
/// statement per table (a recursive CTE on SQLite, `generate_series` on
/// PostgreSQL), in one transaction.
fn idle_subscriptions(c: &dyn Conn, count: u32, later: i64) -> upright::store::Result<()> {
    let tx = c.transaction()?;
    let users = match tx.engine() {
        SqlEngine::Sqlite => {
            "INSERT INTO users (id, platform, platform_user_id, created_at)
             WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < ?1)
             SELECT id, 'bench', 'idle' || id, 0 FROM n"
        }
        SqlEngine::Postgres => {
            "INSERT INTO users (id, platform, platform_user_id, created_at)
             SELECT id, 'bench', 'idle' || id, 0 FROM generate_series(1, ?1::BIGINT) AS n(id)"
        }
    };
    tx.execute(users, args![count])?;
    tx.execute(
        "INSERT INTO subscriptions (user_id, routine_id, cron, timezone, pace_minutes,
                                    state, next_run_at, created_at, updated_at)
         SELECT id, 'upper-back', '0 0 7 * * *', 'UTC', 3, 'active', ?1 + id % 3600, 0, 0
         FROM users WHERE platform = 'bench'",
        args![later],
    )?;
    if tx.engine() == SqlEngine::Postgres {
        // Rows given their ids: the identity goes on after them.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), ?1::BIGINT)",
            args![count],
        )?;
    }
    tx.commit()
}
