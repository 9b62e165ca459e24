//! Several `upright run` processes may share one PostgreSQL database, so a
//! machine that dies costs nothing. Each platform's listener (the Discord
//! gateway session, the Matrix account's sync) and its sender run in one
//! process at a time: the one holding the platform's lease in the database.
//! The others stand by, try to take it every few seconds, and one of them
//! does once the holder has stopped renewing it.
//!
//! A holder that cannot renew stops the platform before its lease runs out,
//! so two processes never send for one platform at once; what it had in
//! flight is sent again by the next holder under the same idempotency key.
//! On SQLite the same lease is kept in the file, which only processes on
//! one machine can share: one restarted after a crash finds its
//! predecessor's process gone and takes the lease at once, without waiting
//! for it to run out.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::Config;
use crate::engine::Engine;
use crate::store::leases;
use crate::store::sql::Engine as SqlEngine;
use crate::telemetry::Link;

/// How long a lease lasts without renewal: the longest a dead holder keeps
/// a platform from the others.
pub const LEASE: Duration = Duration::from_secs(20);
/// How often the holder renews.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// A holder whose renewals fail gives the platform up this long before its
/// lease runs out, so the next holder never overlaps it.
const MARGIN: Duration = Duration::from_secs(5);
/// How often a standing-by process tries to take the lease.
const TAKE_EVERY: Duration = Duration::from_secs(2);

/// This process among the replicas: host, process id and start instant,
/// so a restarted process is a new holder.
pub fn replica_id() -> String {
    format!(
        "{}/{}/{}",
        host(),
        std::process::id(),
        Utc::now().timestamp_millis()
    )
}

/// The name this replica's senders claim deliveries by (`store::claims`):
/// the same across its restarts, so a restarted replica sends its own
/// unfinished deliveries again under the same idempotency key (which its
/// platform, and its Matrix device, deduplicate); different between
/// replicas, so one finds what another left unfinished and looks before
/// sending. The host and the Matrix store folder (each replica has its
/// own) tell replicas apart.
pub fn sender_name(config: &Config) -> String {
    let place = config
        .matrix
        .as_ref()
        .map(|matrix| matrix.store_dir.clone())
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let place = std::fs::canonicalize(&place).unwrap_or(place);
    format!("{}:{}", host(), place.display())
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "host".to_string())
}

/// Why a held platform stopped.
enum Ended {
    Shutdown(anyhow::Result<()>),
    /// The lease could not be renewed in time, or another took it.
    LeaseLost(anyhow::Result<()>),
}

/// Runs `platform` (a listener and its sender) whenever this process holds
/// the lease `name`, until `stopped`. `platform` is given a future that
/// completes when it must stop; when it returns, the engine forgets the
/// platform's sender. A platform that fails by itself fails the process
/// (after giving the lease up), as it would alone.
pub async fn hold<F, Fut>(
    engine: &Engine,
    name: &str,
    replica: &str,
    stopped: watch::Receiver<bool>,
    mut platform: F,
) -> anyhow::Result<()>
where
    F: FnMut(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let health = &engine.telemetry().health;
    loop {
        health.link(name, Link::StandingBy);
        if !wait_to_take(engine, name, replica, &stopped).await {
            return Ok(());
        }
        tracing::info!(
            lease = name,
            replica,
            "took the lease; starting the platform"
        );
        engine.telemetry().metrics.lease_held(name, true);
        health.link(name, Link::Connecting);
        let (lost_tx, lost_rx) = watch::channel(false);
        let keeper = Renewing(tokio::spawn(keep(
            engine.clone(),
            name.to_string(),
            replica.to_string(),
            lost_tx,
        )));
        let stop = stop_when(stopped.clone(), lost_rx.clone());
        let outcome = platform(Box::pin(stop)).await;
        drop(keeper);
        engine.remove_platform(name);
        engine.telemetry().metrics.lease_held(name, false);
        let ended = if *lost_rx.borrow() {
            Ended::LeaseLost(outcome)
        } else {
            Ended::Shutdown(outcome)
        };
        match ended {
            Ended::LeaseLost(outcome) => {
                if let Err(error) = outcome {
                    tracing::warn!(
                        lease = name,
                        "the platform stopped with an error: {error:#}"
                    );
                }
                tracing::warn!(lease = name, "lost the lease; standing by");
            }
            Ended::Shutdown(outcome) => {
                let db = engine.db().clone();
                let (lease, me) = (name.to_string(), replica.to_string());
                if let Err(error) = db.call(move |c| leases::release(c, &lease, &me)).await {
                    tracing::warn!(lease = name, "cannot give the lease up: {error}");
                }
                return outcome;
            }
        }
    }
}

/// Waits until this process takes the lease; false if `stopped` first.
async fn wait_to_take(
    engine: &Engine,
    name: &str,
    replica: &str,
    stopped: &watch::Receiver<bool>,
) -> bool {
    let mut stopped = stopped.clone();
    loop {
        if *stopped.borrow() {
            return false;
        }
        match try_take(engine, name, replica).await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(error) => tracing::warn!(lease = name, "cannot reach the lease: {error}"),
        }
        tokio::select! {
            () = tokio::time::sleep(TAKE_EVERY) => {}
            _ = stopped.changed() => {}
        }
    }
}

async fn try_take(engine: &Engine, name: &str, replica: &str) -> crate::store::Result<bool> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(20));
    let (lease, me) = (name.to_string(), replica.to_string());
    engine
        .db()
        .call(move |c| {
            if c.engine() == SqlEngine::Sqlite
                && let Some(held) = leases::current(c, &lease, now)?
                && held.holder != me
                && died_on_this_host(&held.holder)
            {
                tracing::info!(
                    lease,
                    holder = held.holder,
                    "the lease's holder has died; taking it over"
                );
                leases::release(c, &lease, &held.holder)?;
            }
            leases::take(c, &lease, &me, now, until)
        })
        .await
}

/// Whether `holder` (a [`replica_id`]) was a process on this host that no
/// longer runs: its process id is gone, or is ours (a restarted container
/// often runs as the same pid). Only asked on SQLite, whose file never has
/// holders on two machines; on PostgreSQL another host with the same name
/// may run it.
fn died_on_this_host(holder: &str) -> bool {
    let mut parts = holder.split('/');
    let (Some(host_name), Some(Ok(pid))) = (parts.next(), parts.next().map(str::parse::<u32>))
    else {
        return false;
    };
    host_name == host()
        && (pid == std::process::id() || !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Renews the lease until it is lost: another holder has it, or no renewal
/// succeeded until shortly before it runs out. Then says so on `lost`.
async fn keep(engine: Engine, name: String, replica: String, lost: watch::Sender<bool>) {
    let mut give_up_at = Instant::now() + LEASE - MARGIN;
    loop {
        let wait = RENEW_EVERY.min(give_up_at.saturating_duration_since(Instant::now()));
        tokio::time::sleep(wait).await;
        if Instant::now() >= give_up_at {
            tracing::warn!(lease = %name, "could not renew the lease in time");
            break;
        }
        let started = Instant::now();
        match try_take(&engine, &name, &replica).await {
            Ok(true) => give_up_at = started + LEASE - MARGIN,
            Ok(false) => {
                tracing::warn!(lease = %name, "another replica holds the lease now");
                break;
            }
            Err(error) => tracing::warn!(lease = %name, "cannot renew the lease: {error}"),
        }
    }
    lost.send_replace(true);
}

/// The task renewing a lease; stopped when this is dropped, so a lease is
/// never renewed for a platform that no longer runs.
struct Renewing(tokio::task::JoinHandle<()>);

impl Drop for Renewing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Completes when the process stops or the lease is lost.
async fn stop_when(mut stopped: watch::Receiver<bool>, mut lost: watch::Receiver<bool>) {
    tokio::select! {
        _ = stopped.wait_for(|s| *s) => {}
        _ = lost.wait_for(|l| *l) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_dead_only_when_it_ran_here_and_its_process_is_gone() {
        let here = host();
        // Ours: a restarted process (or container) under the same pid.
        assert!(died_on_this_host(&format!(
            "{here}/{}/1",
            std::process::id()
        )));
        // Above the kernel's largest pid: no such process.
        assert!(died_on_this_host(&format!("{here}/4294967295/1")));
        // Alive: pid 1 always runs, and is not this test.
        assert!(!died_on_this_host(&format!("{here}/1/1")));
        // Another host's process is never judged from here.
        assert!(!died_on_this_host("elsewhere.example/4294967295/1"));
        assert!(!died_on_this_host("not a replica id"));
    }
}
