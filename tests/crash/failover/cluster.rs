//! The replicas of the fail-over test: each an `upright run` with both
//! platforms, sharing one PostgreSQL database; who holds which lease, what
//! each one's /healthz says, and the kills with the take-overs after them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::discord_fake::{self, FakeDiscord};
use crate::members::{BOT, PASSWORD};
use crate::synapse::{Postgres, Synapse};
use crate::{Plan, Process};

const REPLICAS: usize = 3;
/// The leases, killed in turn.
pub(super) const PLATFORMS: [&str; 2] = ["matrix", "discord"];
/// How long a take-over may take before the test calls it lost.
const TAKE_OVER_LIMIT: Duration = Duration::from_secs(180);

/// One `upright run` among the replicas, started again after each kill.
pub(super) struct Replica {
    pub(super) process: Process,
    /// Where it serves /metrics and /healthz.
    addr: String,
    starts: usize,
}

impl Replica {
    /// Starts it; the log of each earlier start is kept beside (bot.1.log …).
    fn start(&mut self) {
        if self.starts > 0 {
            let earlier = format!("bot.{}.log", self.starts);
            let _ = std::fs::rename(
                self.process.dir.join("bot.log"),
                self.process.dir.join(earlier),
            );
        }
        self.starts += 1;
        self.process.start();
    }

    fn pid(&self) -> Option<u32> {
        self.process.running.as_ref().map(crate::bot::Bot::pid)
    }

    /// What its /healthz says of each platform ("connected", "standing by" …).
    async fn platforms(&self) -> BTreeMap<String, String> {
        let body = tokio::time::timeout(Duration::from_secs(5), get_healthz(&self.addr))
            .await
            .ok()
            .flatten()
            .unwrap_or(Value::Null);
        body["platforms"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, state)| (name.clone(), state.as_str().unwrap_or_default().into()))
            .collect()
    }

    /// Whether its /healthz shows every platform in `state`.
    async fn shows_all(&self, state: &str) -> bool {
        let platforms = self.platforms().await;
        PLATFORMS
            .iter()
            .all(|p| platforms.get(*p).is_some_and(|s| s == state))
    }
}

/// GET /healthz over HTTP/1.0: the JSON body, whatever the status.
async fn get_healthz(addr: &str) -> Option<Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let response = String::from_utf8_lossy(&response);
    let (_, body) = response.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

/// A free 127.0.0.1 address for a replica's /healthz.
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// One SQL statement through `psql`, off the async threads.
pub(super) async fn sql(postgres: &Arc<Postgres>, query: &str) -> String {
    let (postgres, query) = (Arc::clone(postgres), query.to_string());
    tokio::task::spawn_blocking(move || postgres.psql(&query))
        .await
        .expect("psql ran")
}

/// The replicas and the database they share.
pub(super) struct Cluster {
    pub(super) replicas: Vec<Replica>,
    pub(super) postgres: Arc<Postgres>,
}

/// One take-over: of which platform, from which replica to which, how long.
pub(super) struct Takeover {
    platform: String,
    seconds: f64,
}

impl Cluster {
    /// Who holds each lease: platform → "<host>/<pid>/<start millis>".
    async fn leases(&self) -> BTreeMap<String, String> {
        sql(&self.postgres, "SELECT name, holder FROM leases")
            .await
            .lines()
            .filter_map(|line| line.split_once('|'))
            .map(|(name, holder)| (name.to_string(), holder.to_string()))
            .collect()
    }

    /// The running replica a holder is, by its process id.
    fn replica_of(&self, holder: &str) -> Option<usize> {
        let pid: u32 = holder.split('/').nth(1)?.parse().ok()?;
        self.replicas.iter().position(|r| r.pid() == Some(pid))
    }

    /// The end of each replica's log.
    pub(super) fn logs(&self) -> String {
        let mut logs = String::new();
        for (n, replica) in self.replicas.iter().enumerate() {
            let tail = replica.process.log();
            logs.push_str(&format!(
                "== replica {n} (pid {:?}):\n{tail}\n",
                replica.pid()
            ));
        }
        logs
    }

    /// The replica holding `platform` now, and every lease it holds.
    async fn holder_of(&self, platform: &str) -> (usize, BTreeMap<String, String>) {
        let limit = Instant::now() + Duration::from_secs(60);
        loop {
            let leases = self.leases().await;
            if let Some(victim) = leases.get(platform).and_then(|h| self.replica_of(h)) {
                let held = leases
                    .into_iter()
                    .filter(|(_, holder)| self.replica_of(holder) == Some(victim))
                    .collect();
                return (victim, held);
            }
            assert!(
                Instant::now() < limit,
                "no running replica holds {platform}: {leases:?}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Kills the replica holding `platform` (SIGKILL), starts it again after
    /// `down`, and waits until each platform it held is taken over.
    async fn kill_holder(&mut self, kill: usize, platform: &str, down: Duration) -> Vec<Takeover> {
        let (victim, held) = self.holder_of(platform).await;
        let pid = self.replicas[victim].pid();
        self.replicas[victim].process.kill();
        let killed = Instant::now();
        let names: Vec<&String> = held.keys().collect();
        println!(
            "kill {kill} at {}: replica {victim} (pid {pid:?}) holding {names:?}",
            clock()
        );
        tokio::time::sleep(down).await;
        self.replicas[victim].start();
        self.await_takeovers(kill, held, killed).await
    }

    /// Waits until another holder has each of `held` (platform → the killed
    /// holder) and its replica's /healthz shows the platform connected.
    async fn await_takeovers(
        &self,
        kill: usize,
        mut held: BTreeMap<String, String>,
        killed: Instant,
    ) -> Vec<Takeover> {
        let mut takeovers = Vec::new();
        while !held.is_empty() {
            let leases = self.leases().await;
            assert!(
                killed.elapsed() < TAKE_OVER_LIMIT,
                "kill {kill}: {:?} not taken over in {} s; leases: {leases:?}\n{}",
                held.keys(),
                TAKE_OVER_LIMIT.as_secs(),
                self.logs()
            );
            for (platform, old) in held.clone() {
                let Some(to) = leases
                    .get(&platform)
                    .filter(|holder| **holder != old)
                    .and_then(|holder| self.replica_of(holder))
                else {
                    continue;
                };
                let state = self.replicas[to].platforms().await.remove(&platform);
                if state.as_deref() == Some("connected") {
                    let seconds = killed.elapsed().as_secs_f64();
                    println!(
                        "kill {kill}: {platform} taken over by replica {to} in {seconds:.1} s"
                    );
                    takeovers.push(Takeover {
                        platform: platform.clone(),
                        seconds,
                    });
                    held.remove(&platform);
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        takeovers
    }
}

/// A replica's settings: both platforms, the shared database, a store
/// folder and a /healthz address of its own.
fn replica(
    n: usize,
    postgres: &Postgres,
    synapse: &Synapse,
    fake: &FakeDiscord,
    work: &Path,
) -> Replica {
    let dir = work.join(format!("replica{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    let addr = free_addr();
    let env = vec![
        ("MATRIX_HOMESERVER", synapse.url.clone()),
        ("MATRIX_USER", BOT.into()),
        ("MATRIX_PASSWORD", PASSWORD.into()),
        ("MATRIX_STORE_DIR", dir.join("store").display().to_string()),
        ("MATRIX_STORE_PASSPHRASE", "failover-store".into()),
        ("DISCORD_TOKEN", discord_fake::TOKEN.into()),
        ("DISCORD_API_BASE", fake.rest_url.clone()),
        ("UPRIGHT_DATABASE", postgres.url()),
        (
            "UPRIGHT_CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content").into(),
        ),
        ("UPRIGHT_PACE", "1".into()),
        ("UPRIGHT_METRICS_ADDR", addr.clone()),
        ("RUST_LOG", "warn,upright=info".into()),
    ];
    let process = Process {
        dir,
        env,
        running: None,
    };
    Replica {
        process,
        addr,
        starts: 0,
    }
}

/// Starts the first replica, waits until it holds both platforms and has
/// written the recovery key, then starts the others with that key.
pub(super) async fn start_cluster(
    postgres: &Arc<Postgres>,
    synapse: &Synapse,
    fake: &FakeDiscord,
    work: &Path,
) -> Cluster {
    let replicas = (0..REPLICAS)
        .map(|n| replica(n, postgres, synapse, fake, work))
        .collect();
    let mut cluster = Cluster {
        replicas,
        postgres: Arc::clone(postgres),
    };
    cluster.replicas[0].start();
    let key_file = work.join("replica0/store/recovery-key");
    let limit = Instant::now() + Duration::from_secs(240);
    loop {
        // /healthz is served once the database is migrated.
        if cluster.replicas[0].shows_all("connected").await && key_file.exists() {
            let leases = cluster.leases().await;
            let holders: BTreeSet<_> = leases.values().map(|h| cluster.replica_of(h)).collect();
            if leases.len() == PLATFORMS.len() && holders == BTreeSet::from([Some(0)]) {
                break;
            }
        }
        assert!(
            Instant::now() < limit,
            "the first replica did not take both platforms:\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_string();
    for replica in &mut cluster.replicas {
        replica
            .process
            .env
            .push(("MATRIX_RECOVERY_KEY", key.clone()));
    }
    for replica in &mut cluster.replicas[1..] {
        replica.start();
    }
    let limit = Instant::now() + Duration::from_secs(120);
    for replica in &cluster.replicas[1..] {
        while !replica.shows_all("standing by").await {
            assert!(
                Instant::now() < limit,
                "a replica is not standing by:\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    cluster
}

/// At each planned moment, kills the holder of Matrix and of Discord in
/// turn, and waits for its platforms to be taken over before the next.
pub(super) async fn kill_holders(
    cluster: &mut Cluster,
    plan: &Plan,
    started: Instant,
) -> Vec<Takeover> {
    let mut takeovers = Vec::new();
    for (n, (at, down)) in plan.kill_at.iter().zip(&plan.downtimes).enumerate() {
        tokio::time::sleep_until(started + *at).await;
        let platform = PLATFORMS[n % PLATFORMS.len()];
        takeovers.extend(cluster.kill_holder(n + 1, platform, *down).await);
    }
    takeovers
}

/// The 95th percentile (nearest rank) and the largest of `times`.
fn p95_and_max(times: &[f64]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((sorted.len() as f64) * 0.95).ceil() as usize;
    let p95 = sorted.get(rank.saturating_sub(1)).copied().unwrap_or(0.0);
    (p95, sorted.last().copied().unwrap_or(0.0))
}

/// Prints each take-over time, per platform, with p95 and max.
pub(super) fn print_takeovers(takeovers: &[Takeover]) {
    for platform in PLATFORMS {
        let times: Vec<f64> = takeovers
            .iter()
            .filter(|t| t.platform == platform)
            .map(|t| t.seconds)
            .collect();
        let shown: Vec<String> = times.iter().map(|s| format!("{s:.1}")).collect();
        let (p95, max) = p95_and_max(&times);
        println!(
            "take-overs of {platform}: {} s (p95 {p95:.1} s, max {max:.1} s)",
            shown.join(", ")
        );
    }
    let all: Vec<f64> = takeovers.iter().map(|t| t.seconds).collect();
    let (p95, max) = p95_and_max(&all);
    println!(
        "take-overs: {} in all, p95 {p95:.1} s, max {max:.1} s",
        all.len()
    );
}

/// The time of day (UTC), to read beside the replicas' logs.
pub(super) fn clock() -> String {
    chrono::Utc::now().format("%H:%M:%S%.3f").to_string()
}
