//! A pass over due rows in one transaction, each row's work kept apart
//! from the others': a row whose own data is bad ([`StoreError::Corrupt`])
//! is undone alone and set aside with the reason, so one bad row never
//! stops everyone else's work. Any other error (the database itself) fails
//! the pass, which is retried with backoff.

use crate::store::sql::{Conn, Engine, Tx};
use crate::store::{Result, StoreError};

/// The transaction of a pass, and how its rows are kept apart.
pub(super) struct RowByRow<'c> {
    tx: Tx<'c>,
    /// Each row in a savepoint of its own. Without (PostgreSQL's first
    /// try), a bad row fails the whole transaction instead, and
    /// [`row_by_row`] runs it again with savepoints.
    savepoints: bool,
}

/// Runs `pass` in one transaction and commits it. On PostgreSQL rows run
/// first without a savepoint each, which would cost two round trips a row;
/// only if one turns out bad is the transaction undone and run again with
/// savepoints. SQLite's savepoints cost nothing over a wire.
pub(super) fn row_by_row<T>(c: &dyn Conn, pass: impl Fn(&RowByRow<'_>) -> Result<T>) -> Result<T> {
    let attempt = |savepoints| {
        let rows = RowByRow {
            tx: c.transaction()?,
            savepoints,
        };
        let done = pass(&rows)?;
        rows.tx.commit()?;
        Ok(done)
    };
    match c.engine() {
        Engine::Sqlite => attempt(true),
        Engine::Postgres => match attempt(false) {
            Err(StoreError::Corrupt(why)) => {
                tracing::debug!("a row is bad ({why}); running the pass again row by row");
                attempt(true)
            }
            done => done,
        },
    }
}

impl RowByRow<'_> {
    /// The pass's transaction, for reading which rows are due.
    pub(super) fn conn(&self) -> &dyn Conn {
        &self.tx
    }

    /// Does one row's `work`; if its data is bad, its writes are undone and
    /// `set_aside` records why.
    pub(super) fn each(
        &self,
        work: impl FnOnce(&dyn Conn) -> Result<()>,
        set_aside: impl FnOnce(&dyn Conn, &StoreError) -> Result<()>,
    ) -> Result<()> {
        if !self.savepoints {
            return work(&self.tx);
        }
        let savepoint = self.tx.savepoint()?;
        match work(&savepoint) {
            Ok(()) => Ok(savepoint.commit()?),
            Err(error @ StoreError::Corrupt(_)) => {
                drop(savepoint); // rolls back this row's writes
                set_aside(&self.tx, &error)
            }
            Err(error) => Err(error),
        }
    }
}
