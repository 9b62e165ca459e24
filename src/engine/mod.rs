//! The bot itself, before any chat platform: it starts sessions when they are
//! due, paces exercises, turns reactions into check-ins, and sends every
//! message through the outbox.
//!
//! One loop does the work ([`Engine::run`]): run what is due, then sleep until
//! the next due instant (found by indexed queries) or until woken by a
//! command or reaction. Tests and the demo drive the same steps with a
//! [`ManualClock`](crate::clock::ManualClock) through [`Engine::run_until`].

pub mod groups;
mod outbox;
pub mod platform;
mod reactions;
pub mod render;
pub mod sessions;
pub mod weekly;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use tokio::sync::{Mutex, Notify};

pub use outbox::{MAX_ATTEMPTS, backoff};
pub use platform::{Destination, Outgoing, Platform, SendError, Sent};
pub use reactions::{ReactionEvent, ReactionOutcome};

use crate::clock::{Clock, ManualClock};
use crate::content::Content;
use crate::store::subscriptions::{self, State};
use crate::store::users::User;
use crate::store::{
    Db, Result, deliveries, groups as groups_store, sessions as session_rows, users,
};
use sessions::SessionRules;

/// Subscriptions started per database transaction when many are due at once.
const START_BATCH: u32 = 200;

/// Engine settings from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How late a session may start after downtime; older ones are `missed`.
    pub grace: Duration,
    /// Minutes between exercises for new subscriptions.
    pub default_pace_minutes: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            grace: Duration::hours(2),
            default_pace_minutes: 3,
        }
    }
}

struct Inner {
    db: Db,
    content: Arc<Content>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    platforms: RwLock<BTreeMap<String, Arc<dyn Platform>>>,
    wake: Notify,
    /// One pass over due work at a time, so nothing is sent twice concurrently.
    pass: Mutex<()>,
}

/// A cheap handle to the running bot; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(db: Db, content: Arc<Content>, clock: Arc<dyn Clock>, settings: Settings) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                db,
                content,
                clock,
                settings,
                platforms: RwLock::new(BTreeMap::new()),
                wake: Notify::new(),
                pass: Mutex::new(()),
            }),
        }
    }

    /// Makes a platform available under its name (`discord`, `matrix`, `console`).
    /// Members of platforms that are not added wait untouched.
    pub fn add_platform(&self, name: &str, platform: Arc<dyn Platform>) {
        self.inner
            .platforms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), platform);
    }

    fn platform(&self, name: &str) -> Option<Arc<dyn Platform>> {
        self.inner
            .platforms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn platform_names(&self) -> Vec<String> {
        self.inner
            .platforms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn content(&self) -> Arc<Content> {
        Arc::clone(&self.inner.content)
    }

    pub fn settings(&self) -> Settings {
        self.inner.settings
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Asks the loop to look for due work now (after a command or reaction).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Does everything due at the clock's current time: starts sessions,
    /// moves paced sessions on, and drains the outbox.
    pub async fn run_due(&self) -> Result<()> {
        let _pass = self.inner.pass.lock().await;
        self.start_due_sessions().await?;
        self.run_group_events().await?;
        self.advance_due_sessions().await?;
        self.send_weekly_summaries().await?;
        self.flush_outbox().await
    }

    async fn start_due_sessions(&self) -> Result<()> {
        let platforms = self.platform_names();
        loop {
            let now = self.now();
            let content = self.content();
            let grace = self.inner.settings.grace;
            let names = platforms.clone();
            let started = self
                .db()
                .call(move |c| {
                    let tx = c.transaction()?;
                    let due = subscriptions::due(&tx, now, &names, START_BATCH)?;
                    let rules = SessionRules {
                        content: &content,
                        grace,
                    };
                    for subscription in &due {
                        sessions::start_due(&tx, &rules, subscription, now)?;
                    }
                    tx.commit()?;
                    Ok(due.len())
                })
                .await?;
            if started < START_BATCH as usize {
                return Ok(());
            }
        }
    }

    async fn advance_due_sessions(&self) -> Result<()> {
        let now = self.now();
        let content = self.content();
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                for session in session_rows::due_steps(&tx, now, u32::MAX)? {
                    sessions::advance(&tx, &content, &session, now)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    /// The earliest instant at which there will be work, if any.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let platforms = self.platform_names();
        self.db()
            .call(move |c| {
                let candidates = [
                    subscriptions::next_due_at(c, &platforms)?,
                    session_rows::next_step_due_at(c)?,
                    deliveries::next_due_at(c, &platforms)?,
                    groups_store::next_due_at(c, &platforms)?,
                    users::next_weekly_due_at(c, &platforms)?,
                ];
                Ok(candidates.into_iter().flatten().min())
            })
            .await
    }

    /// Runs until `shutdown` completes: due work, then sleep until the next
    /// due instant or a wake-up. Errors are logged and retried, never fatal.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.run_due().await {
                tracing::error!("engine pass failed (will retry): {error}");
            }
            let pause = match self.next_due().await {
                Ok(Some(at)) => (at - self.now()).to_std().unwrap_or_default(),
                Ok(None) => std::time::Duration::from_secs(3600),
                Err(error) => {
                    tracing::error!("cannot read the schedule (will retry): {error}");
                    std::time::Duration::from_secs(5)
                }
            };
            // Wake at least once a minute, so a clock jump is noticed.
            let pause = pause.min(std::time::Duration::from_secs(60));
            tokio::select! {
                () = &mut shutdown => return,
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Moves `clock` forward to `target`, stopping at every due instant on
    /// the way and doing its work, so nothing is skipped or bunched up.
    pub async fn run_until(&self, clock: &ManualClock, target: DateTime<Utc>) -> Result<()> {
        loop {
            self.run_due().await?;
            match self.next_due().await? {
                Some(at) if at <= target => clock.set(at.max(clock.now())),
                _ => break,
            }
        }
        clock.set(target.max(clock.now()));
        self.run_due().await
    }
}

/// Records the disclaimer's acknowledgement and, if the member has an active
/// subscription waiting for it, schedules the first session.
pub(crate) fn agree(
    c: &Connection,
    user: &User,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    users::agree(c, user.id, now)?;
    let Some(subscription) = subscriptions::for_user(c, user.id)? else {
        return Ok(None);
    };
    if subscription.state != State::Active {
        return Ok(None);
    }
    if subscription.next_run_at.is_some() {
        return Ok(subscription.next_run_at);
    }
    let next = subscription.schedule.next_after(now).map(|o| o.at);
    subscriptions::set_next_run(c, subscription.id, next)?;
    Ok(next)
}
