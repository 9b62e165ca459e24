//! Replicas on one PostgreSQL database: a platform runs in the one holding
//! its lease; when that one dies (its runtime gone, nothing said goodbye)
//! another takes over once the lease runs out, and a replica that stops
//! gives the platform up at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use upright::clock::SystemClock;
use upright::content::Content;
use upright::engine::{Engine, Settings};
use upright::store::{Database, Db, leases};

use crate::postgres::Postgres;

/// Which replica runs the platform now, as the platform itself sees it.
type Running = Arc<Mutex<Vec<&'static str>>>;

/// One replica: its own runtime on its own thread, as a process would have.
struct Replica {
    stop: watch::Sender<bool>,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Replica {
    fn start(name: &'static str, database: Database, running: Running) -> Replica {
        Replica::start_as(name, name.to_string(), database, running)
    }

    /// A replica that holds leases as `id`.
    fn start_as(name: &'static str, id: String, database: Database, running: Running) -> Replica {
        let (stop, stopped) = watch::channel(false);
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let content = Content::load(
                    &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
                )
                .unwrap();
                let db = Db::connect(&database).unwrap();
                let engine = Engine::new(
                    db,
                    Arc::new(content),
                    Arc::new(SystemClock),
                    Settings::default(),
                );
                let held = upright::replica::hold(&engine, "fake", &id, stopped, |stop| {
                    let running = running.clone();
                    async move {
                        running.lock().unwrap().push(name);
                        stop.await;
                        running.lock().unwrap().retain(|n| *n != name);
                        Ok(())
                    }
                });
                tokio::select! {
                    outcome = held => outcome.unwrap(),
                    // Killed: the runtime goes with every task on it.
                    _ = killed => {}
                }
            });
            runtime.shutdown_background();
        });
        Replica {
            stop,
            kill: Some(kill),
            thread: Some(thread),
        }
    }

    fn kill(mut self) {
        let _ = self.kill.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
    }

    fn stop(mut self) {
        self.stop.send_replace(true);
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Waits until `running` shows exactly `who`, and says how long it took.
fn until_running(running: &Running, who: &[&str], within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if running.lock().unwrap().as_slice() == who {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "still {:?}, not {who:?}",
            running.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_platform_runs_in_one_replica_and_another_takes_over_when_it_dies() {
    let server = Postgres::start();
    let database = Database::Postgres(server.url());
    let running = Running::default();
    let a = Replica::start("a", database.clone(), running.clone());
    until_running(&running, &["a"], Duration::from_secs(30));
    let b = Replica::start("b", database.clone(), running.clone());
    let c = Replica::start("c", database.clone(), running.clone());
    // b and c stand by while a holds it.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(running.lock().unwrap().as_slice(), ["a"]);

    // a dies without a word (its "running" entry stays, as a dead process
    // leaves its connection): one of b and c takes over once the lease has
    // run out.
    running.lock().unwrap().clear();
    a.kill();
    let took = Instant::now();
    let deadline = upright::replica::LEASE * 3;
    while running.lock().unwrap().is_empty() {
        assert!(took.elapsed() < deadline, "nobody took over");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "taken over {:.1} s after the holder died",
        took.elapsed().as_secs_f64()
    );
    let holder = running.lock().unwrap()[0];
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        running.lock().unwrap().as_slice(),
        [holder],
        "one holder only"
    );

    // The holder stops: it gives the lease up, and the other takes it at once.
    let (stopping, other) = if holder == "b" { (b, c) } else { (c, b) };
    let other_name = if holder == "b" { "c" } else { "b" };
    stopping.stop();
    let waited = until_running(&running, &[other_name], upright::replica::LEASE);
    println!(
        "taken over {:.1} s after the holder stopped",
        waited.as_secs_f64()
    );
    other.stop();
    assert_eq!(server.psql("SELECT count(*) FROM leases"), "0", "given up");
}

/// On SQLite, whose file only one machine's processes share, a process
/// restarted after a crash takes its dead predecessor's lease at once; on
/// PostgreSQL, where a holder of the same name may run on another host, the
/// lease is waited out.
#[test]
fn on_sqlite_a_dead_predecessors_lease_is_taken_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Postgres::start();
    let databases = [
        Database::Sqlite(dir.path().join("bot.sqlite3")),
        Database::Postgres(server.url()),
    ];
    for database in databases {
        let me = upright::replica::replica_id();
        let host = me.split('/').next().unwrap();
        // Above the kernel's largest pid: a process that is gone.
        let dead = format!("{host}/4294967295/1");
        let db = Db::connect(&database).unwrap();
        let now = chrono::Utc::now();
        let held_until = now + chrono::Duration::hours(1);
        assert!(
            db.call_blocking(|c| leases::take(c, "fake", &dead, now, held_until))
                .unwrap()
        );
        let running = Running::default();
        let restarted = Replica::start_as("restarted", me, database.clone(), running.clone());
        if matches!(database, Database::Sqlite(_)) {
            until_running(&running, &["restarted"], Duration::from_secs(30));
        } else {
            std::thread::sleep(Duration::from_secs(5));
            assert!(running.lock().unwrap().is_empty(), "waits for the lease");
        }
        restarted.stop();
    }
}
