//! What the outbox holds, in figures: the depth `/metrics` shows, counts
//! for status output, and the backlog a rate limit leaves.

use chrono::{DateTime, Utc};

use super::deliveries::State;
use super::sql::{Conn, ConnExt, Engine, args, in_list};
use super::{Result, StoreError, to_db_time};

pub(super) fn depth_sql(engine: Engine) -> String {
    format!(
        "SELECT platform, COUNT(*), MIN(due_at) FROM deliveries
     WHERE state IN ('pending', 'sent') AND due_at <= ?1
       AND {platform}
     GROUP BY platform",
        platform = in_list(engine, "platform", 2),
    )
}

/// One platform's outbox as a scrape sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxDepth {
    pub platform: String,
    /// Messages and reactions due now and not yet handed to the platform.
    pub due: i64,
    /// How long the oldest of them has been due, in seconds.
    pub oldest_due_seconds: f64,
}

/// How much is due now on each platform, and since when: what `/metrics`
/// shows of the outbox (read through the `deliveries_due` index).
pub fn depth(c: &dyn Conn, now: DateTime<Utc>, platforms: &[String]) -> Result<Vec<OutboxDepth>> {
    let now_seconds = to_db_time(now);
    c.query_all(
        &depth_sql(c.engine()),
        args![now_seconds, platforms],
        |row| {
            let oldest = row.int(2)?;
            Ok(OutboxDepth {
                platform: row.text(0)?,
                due: row.int(1)?,
                oldest_due_seconds: (now_seconds - oldest).max(0) as f64,
            })
        },
    )
}

/// A count as read from the database.
fn count(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a count of {n}")))
}

/// Counts by state, for status output and tests.
pub fn count_in_state(c: &dyn Conn, state: State) -> Result<u64> {
    let n = c.query_opt(
        "SELECT COUNT(*) FROM deliveries WHERE state = ?1",
        args![state.as_str()],
        |row| row.int(0),
    )?;
    count(n.unwrap_or(0))
}

/// What a platform's outbox holds (messages waiting to be sent) and how many
/// it took since `since`: the rate a rate limit leaves.
pub fn backlog_and_sent_since(
    c: &dyn Conn,
    platform: &str,
    since: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let (backlog, sent) = c
        .query_opt(
            "SELECT
                (SELECT COUNT(*) FROM deliveries WHERE platform = ?1 AND state = 'pending'),
                (SELECT COUNT(*) FROM deliveries WHERE platform = ?1 AND sent_at >= ?2)",
            args![platform, to_db_time(since)],
            |row| Ok((row.int(0)?, row.int(1)?)),
        )?
        .unwrap_or((0, 0));
    Ok((count(backlog)?, count(sent)?))
}
