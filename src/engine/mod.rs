//! The bot itself, before any chat platform: it starts sessions when they are
//! due, paces exercises, turns reactions into check-ins, and sends every
//! message through the outbox.
//!
//! One loop does the work ([`Engine::run`]): run what is due, then sleep until
//! the next due instant (found by indexed queries) or until woken by a
//! command or reaction. Tests and the demo drive the same steps with a
//! [`ManualClock`](crate::clock::ManualClock) through [`Engine::run_until`].

mod catch_up;
mod direct;
pub mod disclaimer;
mod early_reactions;
pub mod followup;
pub mod groups;
mod history;
mod membership;
mod outbox;
mod outgoing;
pub mod platform;
pub mod press_answers;
mod rate_limits;
mod reactions;
pub mod render;
mod row_by_row;
mod senders;
pub mod sessions;
mod stream;
mod upkeep;
pub mod weekly;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Mutex, Notify, watch};

pub use groups::Whom;
pub use membership::MEMBERSHIP_TTL;
pub use outbox::{MAX_ATTEMPTS, backoff};
pub use platform::{DEFAULT_SEND_CONCURRENCY, Destination, Outgoing, Platform, SendError, Sent};
pub use reactions::{ChoiceEvent, ReactionEvent, ReactionOutcome, Withdrawal, report_pain};

use crate::budget::Budget;
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::content::Content;
use crate::conventions::Conventions;
use crate::retry::Backoff;
use crate::store::subscriptions;
use crate::store::{
    Database, Db, Result, deliveries, groups as groups_store, outbox_figures,
    sessions as session_rows, users,
};
use crate::telemetry::Telemetry;
use history::DueMembers;
use row_by_row::row_by_row;
use senders::Sender;
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
    /// Deliveries in flight at once per platform; `None`: each platform's own.
    pub send_concurrency: Option<usize>,
    /// How long sent messages and remembered reactions are kept.
    pub retention: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            grace: Duration::hours(2),
            default_pace_minutes: 3,
            send_concurrency: None,
            retention: Duration::days(400),
        }
    }
}

impl From<&Config> for Settings {
    fn from(config: &Config) -> Settings {
        Settings {
            grace: config.grace,
            default_pace_minutes: config.pace_minutes,
            send_concurrency: config.send_concurrency,
            retention: config.retention,
        }
    }
}

struct Inner {
    db: Db,
    content: Arc<Content>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    platforms: RwLock<BTreeMap<String, Arc<Sender>>>,
    /// Each platform's conventions, kept once it is added.
    conventions: RwLock<BTreeMap<String, &'static Conventions>>,
    wake: Notify,
    /// One pass over due work at a time, so no session is started twice.
    pass: Mutex<()>,
    telemetry: Telemetry,
    /// How many commands each member may send in a burst.
    command_budget: Budget,
    /// One command at a time per member (see [`Engine::member_turn`]).
    member_turns: crate::ordered::Turns,
    /// One member's write at a time (see [`Engine::write_turn`]).
    members_writing: Mutex<()>,
    /// When old records were last purged (at most once an hour).
    purged_at: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// A rate limit is reported once an hour per platform.
    rate_limit_reports: Budget,
    /// Deliveries a platform took whose record failed, by id: recorded
    /// later, never sent again (see `outbox.rs`).
    unrecorded: std::sync::Mutex<std::collections::HashMap<i64, platform::Sent>>,
    /// Who is still in each group, checked in the background.
    membership: membership::Membership,
    /// The name this replica's senders claim deliveries by (see
    /// `store::claims`); it stays the same across restarts.
    sender_name: std::sync::OnceLock<String>,
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
                conventions: RwLock::new(BTreeMap::new()),
                wake: Notify::new(),
                pass: Mutex::new(()),
                telemetry: Telemetry::default(),
                command_budget: Budget::new(COMMAND_BURST, ONE_MORE_COMMAND_AFTER),
                member_turns: crate::ordered::Turns::default(),
                members_writing: Mutex::new(()),
                purged_at: std::sync::Mutex::new(None),
                rate_limit_reports: Budget::new(1, chrono::Duration::hours(1)),
                unrecorded: std::sync::Mutex::default(),
                membership: membership::Membership::default(),
                sender_name: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Makes a platform available under its name (`discord`, `matrix`, `console`).
    /// Members of platforms that are not added wait untouched. A running
    /// engine gives it a sender of its own at once.
    pub fn add_platform(&self, name: &str, platform: Arc<dyn Platform>) {
        self.inner
            .conventions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), platform.conventions());
        self.inner
            .platforms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), Arc::new(Sender::new(name, platform)));
        self.wake();
    }

    fn platform(&self, name: &str) -> Option<Arc<dyn Platform>> {
        self.sender(name).map(|sender| Arc::clone(&sender.platform))
    }

    fn sender(&self, name: &str) -> Option<Arc<Sender>> {
        self.inner
            .platforms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Whether `sender` is still the one sending for its platform.
    fn is_current(&self, sender: &Sender) -> bool {
        self.inner
            .platforms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&sender.name)
            .is_some_and(|current| std::ptr::eq(&**current, sender))
    }

    fn senders(&self) -> Vec<Arc<Sender>> {
        self.inner
            .platforms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// How `platform` shows instants, mentions and commands; plain text for
    /// a platform not added (yet).
    pub fn conventions(&self, platform: &str) -> &'static Conventions {
        self.inner
            .conventions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(platform)
            .copied()
            .unwrap_or(&Conventions::PLAIN)
    }

    /// Names this replica's senders, once, before they start (see
    /// [`crate::replica::sender_name`]); "local" if never named.
    pub fn name_sender(&self, name: String) {
        if self.inner.sender_name.set(name).is_err() {
            tracing::warn!("the sender was named already");
        }
    }

    fn sender_name(&self) -> &str {
        self.inner.sender_name.get().map_or("local", String::as_str)
    }

    /// Stops sending for a platform (its listener has stopped, or another
    /// replica holds it now); what was in flight finishes.
    pub fn remove_platform(&self, name: &str) {
        self.inner
            .platforms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        self.wake();
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

    pub fn command_budget(&self) -> &Budget {
        &self.inner.command_budget
    }

    /// Waits until the member's earlier commands are done. A platform may
    /// hand over a member's next command while the last is still at work (a
    /// deferred Discord interaction); run side by side, an `agree` could
    /// finish before the `subscribe` sent before it, which would then find
    /// the member agreed and never send the disclaimer.
    pub async fn member_turn(&self, platform: &str, user_id: &str) -> crate::ordered::Turn<'_> {
        self.inner
            .member_turns
            .take(&format!("{platform}/{user_id}"))
            .await
    }

    /// On PostgreSQL, waits until no other member's command or check-in is
    /// being written: the serializable transactions of members who arrive
    /// together meet on the same index pages (new members' rows sit side by
    /// side) and run again and again: 1,507 times for 1,000 commands in the
    /// burst bench, some answers deferred. SQLite's one connection already
    /// takes writes in turn; a second queue before it only added a hop
    /// (the median answer 24 ms → 47 ms), so there is none.
    pub async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.db().database() {
            Database::Postgres(_) => Some(self.inner.members_writing.lock().await),
            Database::Sqlite(_) => None,
        }
    }

    /// Metrics and health, for operators (and tests).
    pub fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Asks the loop to look for due work now (after a command or reaction).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Does everything due at the clock's current time: starts sessions,
    /// moves paced sessions on, and drains the outbox of every platform
    /// (all platforms at once) before returning.
    pub async fn run_due(&self) -> Result<()> {
        self.run_pass().await?;
        // Posts that waited for a group's membership go out once it is known.
        while self.membership_settled().await {
            self.run_pass().await?;
        }
        self.flush_outbox().await
    }

    /// The database side of due work: starts sessions, group events, paced
    /// steps and weekly summaries, writing their messages to the outbox.
    async fn run_pass(&self) -> Result<()> {
        let _pass = self.inner.pass.lock().await;
        let outcome = async {
            self.start_due_sessions().await?;
            self.run_group_events().await?;
            self.advance_due_sessions().await?;
            self.send_weekly_summaries().await?;
            self.send_follow_ups().await?;
            self.expire_stale_deliveries().await?;
            self.clean_departed_names().await?;
            self.purge_old_records().await
        }
        .await;
        let telemetry = self.telemetry();
        telemetry.metrics.pass(outcome.is_ok());
        if outcome.is_ok() {
            telemetry.health.engine_passed(self.now());
        }
        outcome
    }

    /// Reads how much is due in each platform's outbox into the metrics.
    pub async fn read_outbox_depth(&self) -> Result<()> {
        let now = self.now();
        let platforms = self.platform_names();
        let names = platforms.clone();
        let depths = self
            .db()
            .call(move |c| outbox_figures::depth(c, now, &names))
            .await?;
        self.telemetry().metrics.set_outbox(&platforms, &depths);
        Ok(())
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
                    row_by_row(c, |rows| {
                        let due = subscriptions::due(rows.conn(), now, &names, START_BATCH)?;
                        let batch = DueMembers::load(rows.conn(), &due)?;
                        let rules = SessionRules {
                            content: &content,
                            grace,
                        };
                        for subscription in &due {
                            rows.each(
                                |c| sessions::start_due(c, &rules, subscription, &batch, now),
                                |c, error| subscriptions::set_aside(c, subscription.id, error, now),
                            )?;
                        }
                        Ok(due.len())
                    })
                })
                .await?;
            self.telemetry().metrics.claimed("session", started as u64);
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
                row_by_row(c, |rows| {
                    let due = session_rows::due_steps(rows.conn(), now, u32::MAX)?;
                    for session in &due {
                        rows.each(
                            |c| sessions::advance(c, &content, session, now),
                            |c, error| session_rows::set_aside(c, session.id, error),
                        )?;
                    }
                    Ok(due.len())
                })
            })
            .await
            .map(|advanced| self.telemetry().metrics.claimed("step", advanced as u64))
    }

    /// The earliest instant at which there will be work, if any.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let platforms = self.platform_names();
        let pass = self.next_pass_due().await?;
        let outbox = self
            .db()
            .call(move |c| deliveries::next_due_at(c, &platforms))
            .await?;
        Ok(pass.into_iter().chain(outbox).min())
    }

    /// The earliest instant at which a pass has work (the outbox aside).
    async fn next_pass_due(&self) -> Result<Option<DateTime<Utc>>> {
        let platforms = self.platform_names();
        // Their posts wait for the check, which wakes the loop when done.
        let checking = self.membership_being_checked();
        self.db()
            .call(move |c| {
                let candidates = [
                    subscriptions::next_due_at(c, &platforms)?,
                    session_rows::next_step_due_at(c)?,
                    groups_store::next_due_at(c, &platforms, &checking)?,
                    users::next_weekly_due_at(c, &platforms)?,
                    subscriptions::next_followup_at(c, &platforms)?,
                ];
                Ok(candidates.into_iter().flatten().min())
            })
            .await
    }

    /// Runs until `shutdown` completes: due work, then sleep until the next
    /// due instant or a wake-up. Each platform gets a sender task of its own,
    /// so a slow platform never holds up the passes or another platform.
    /// Errors are logged and retried with backoff, never fatal.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut senders = senders::Running::new(self.clone());
        let mut failures = 0_u32;
        loop {
            senders.start_new();
            let outcome = match self.run_pass().await {
                Ok(()) => self.next_pass_due().await,
                Err(error) => Err(error),
            };
            senders.wake_all();
            let pause = match outcome {
                Ok(next) => {
                    if failures > 0 {
                        tracing::info!("the engine works again");
                    }
                    failures = 0;
                    next.map_or(IDLE_WAKE, |at| {
                        (at - self.now()).to_std().unwrap_or_default()
                    })
                }
                Err(error) => {
                    failures += 1;
                    let wait = retry_pause(failures);
                    if failures == 1 {
                        tracing::error!("engine pass failed; retrying with backoff: {error}");
                    } else {
                        tracing::debug!(failures, "engine pass failed again: {error}");
                    }
                    wait
                }
            };
            // Wake at least once a minute, so a clock jump is noticed, and
            // when a sender that died may start again.
            let pause = pause
                .min(IDLE_WAKE)
                .min(senders.next_restart().unwrap_or(IDLE_WAKE));
            tokio::select! {
                () = &mut shutdown => break,
                () = self.inner.wake.notified(), if failures == 0 => {}
                () = senders.next_death() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        senders.stop().await;
    }

    /// Runs the engine until `stop` turns true. Its loop handles every error
    /// itself; if it fails anyway (a bug, a panic), it is started again after
    /// a pause that grows, and after [`LOOP_FAILURES_TOLERATED`] failures in
    /// a row this returns the last one, so the process exits non-zero and
    /// its supervisor starts it afresh.
    pub async fn run_supervised(
        &self,
        stop: watch::Receiver<bool>,
    ) -> std::result::Result<(), String> {
        let mut failures = 0_u32;
        loop {
            let started = tokio::time::Instant::now();
            let run = {
                let (engine, mut stop) = (self.clone(), stop.clone());
                tokio::spawn(async move {
                    engine
                        .run(async move {
                            // An error means the sender is gone: stop as well.
                            let _closed = stop.wait_for(|stopped| *stopped).await;
                        })
                        .await;
                })
            };
            let why = match run.await {
                Ok(()) if *stop.borrow() => return Ok(()),
                Ok(()) => "it returned".to_string(),
                Err(error) => error.to_string(),
            };
            if started.elapsed() > LOOP_FAILURES_FORGOTTEN {
                failures = 0;
            }
            failures += 1;
            if failures > LOOP_FAILURES_TOLERATED {
                return Err(format!(
                    "the engine failed {failures} times in a row; last: {why}"
                ));
            }
            let pause = retry_pause(failures);
            tracing::error!(
                failures,
                "the engine stopped ({why}); starting it again in {} s",
                pause.as_secs()
            );
            let mut stop = stop.clone();
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
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

/// Commands one member may send at once before being asked to slow down…
pub const COMMAND_BURST: u32 = 20;
/// …and how soon after that they may send one more.
pub const ONE_MORE_COMMAND_AFTER: chrono::Duration = chrono::Duration::seconds(2);

/// Engine loop failures in a row before the process gives up.
pub const LOOP_FAILURES_TOLERATED: u32 = 3;
/// A loop that ran this long before failing starts the count afresh.
const LOOP_FAILURES_FORGOTTEN: std::time::Duration = std::time::Duration::from_secs(600);

/// The longest the loop sleeps, so a clock jump is noticed.
const IDLE_WAKE: std::time::Duration = std::time::Duration::from_secs(60);

/// How long to wait after `failures` failed passes in a row: 1 s, 2 s, 4 s …
/// up to a minute, so a broken database is never hammered.
pub fn retry_pause(failures: u32) -> std::time::Duration {
    Backoff::new(std::time::Duration::from_secs(1), IDLE_WAKE).after(failures)
}
