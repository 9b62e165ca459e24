//! A small pool of PostgreSQL sessions for the blocking pool's threads.
//! Each `Db::call` takes one for the length of its work; one lost by the
//! server (a restart, a network cut) is dropped rather than handed out
//! again, and the next call connects afresh.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::sql::PgConn;
use super::{Result, StoreError};

/// Sessions at most per process: a few database calls run at once (the
/// engine's pass, the senders, commands), never hundreds.
const SIZE: usize = 8;
/// How long a call waits for a free session before it fails (transiently:
/// the store's retries try again).
const WAIT: Duration = Duration::from_secs(30);

pub struct PgPool {
    url: String,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<PgConn>,
    /// Sessions open, idle or in use.
    open: usize,
}

impl PgPool {
    /// Connects once to check the URL and the server, and keeps that session.
    pub fn connect(url: &str) -> Result<PgPool> {
        let first = PgConn::connect(url)?;
        Ok(PgPool {
            url: url.to_string(),
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
        })
    }

    /// Runs `work` with a session of the pool's.
    pub fn with<T>(&self, work: impl FnOnce(&PgConn) -> Result<T>) -> Result<T> {
        let conn = self.take()?;
        // Should `work` panic, the session (maybe mid-transaction) is dropped.
        let lost = Lost(self);
        let result = work(&conn);
        std::mem::forget(lost);
        self.give_back(conn);
        result
    }

    fn take(&self) -> Result<PgConn> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.open < SIZE {
                state.open += 1;
                drop(state);
                return PgConn::connect(&self.url).inspect_err(|_| self.forget_one());
            }
            let (next, waited) = self
                .freed
                .wait_timeout(state, WAIT)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if waited.timed_out() && state.idle.is_empty() && state.open >= SIZE {
                return Err(StoreError::Postgres {
                    message: format!("all {SIZE} database sessions stayed busy for {WAIT:?}"),
                    transient: true,
                });
            }
        }
    }

    fn forget_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open = state.open.saturating_sub(1);
        self.freed.notify_one();
    }

    fn give_back(&self, conn: PgConn) {
        if conn.is_broken() {
            self.forget_one();
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.idle.push(conn);
        self.freed.notify_one();
    }
}

impl Drop for PgPool {
    /// A session's client ends a small runtime of its own, which may not
    /// happen on a thread that drives async tasks: they end on a thread of
    /// their own.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let idle = std::mem::take(&mut state.idle);
        if !idle.is_empty() {
            let _detached = std::thread::Builder::new()
                .name("upright-pg-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// Runs `work` where the sync PostgreSQL client may block: on this thread,
/// or, if this thread may be driving async tasks (a Tokio runtime is
/// current), on a thread of its own.
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return work();
    }
    std::thread::scope(|scope| scope.spawn(work).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A session that will not come back: counted out of the pool on drop.
struct Lost<'p>(&'p PgPool);

impl Drop for Lost<'_> {
    fn drop(&mut self) {
        self.0.forget_one();
    }
}
