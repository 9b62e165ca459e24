//! Leases: work that one process at a time may do when several share the
//! database (a platform's listener and its sender). The holder renews its
//! lease well before it runs out; one that dies stops renewing, and another
//! process takes the lease once it has run out.
//!
//! Instants come from the processes' clocks, so replicas on different
//! machines keep them in step (NTP); the lease outlasts a renewal by far
//! more than clocks drift.

use chrono::{DateTime, Utc};

use super::sql::{Conn, ConnExt, args};
use super::{Result, from_db_time, to_db_time};

/// Who holds a lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub held_until: DateTime<Utc>,
    /// When this holder took it (kept across renewals).
    pub taken_at: DateTime<Utc>,
}

/// Takes `name` for `holder` until `until`, or renews it if `holder` has it
/// already; true if `holder` holds it now. A lease held by another is taken
/// only once it has run out.
pub fn take(
    c: &dyn Conn,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    let changed = c.execute(
        "INSERT INTO leases (name, holder, held_until, taken_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE
         SET held_until = excluded.held_until,
             taken_at = CASE WHEN leases.holder = excluded.holder
                             THEN leases.taken_at ELSE excluded.taken_at END,
             holder = excluded.holder
         WHERE leases.holder = excluded.holder OR leases.held_until < excluded.taken_at",
        args![name, holder, to_db_time(until), to_db_time(now)],
    )?;
    Ok(changed == 1)
}

/// Gives `name` up, if `holder` has it, so another may take it at once.
pub fn release(c: &dyn Conn, name: &str, holder: &str) -> Result<bool> {
    let changed = c.execute(
        "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
        args![name, holder],
    )?;
    Ok(changed == 1)
}

/// Who holds `name` (if its lease has not run out by `now`).
pub fn current(c: &dyn Conn, name: &str, now: DateTime<Utc>) -> Result<Option<Lease>> {
    let lease = c.query_opt(
        "SELECT holder, held_until, taken_at FROM leases WHERE name = ?1 AND held_until >= ?2",
        args![name, to_db_time(now)],
        |row| {
            Ok(Lease {
                holder: row.text(0)?,
                held_until: from_db_time(row.int(1)?)?,
                taken_at: from_db_time(row.int(2)?)?,
            })
        },
    )?;
    Ok(lease)
}
