//! Who sends what, when: each platform has a sender of its own that drains
//! that platform's outbox with up to `send_concurrency` deliveries in flight.
//!
//! The rules that make this safe:
//! - one delivery at a time per recipient, so a member's messages (opening,
//!   exercise, its reactions, the next exercise) arrive in order;
//! - the outbox is read in burst order, and nothing ranked after a first
//!   message is handed out while one is in flight, so every first message
//!   goes out before any reaction or later step;
//! - each platform drains on its own task, so a platform that is slow, down
//!   or rate limited never holds up another one, nor the engine's passes;
//! - one drain per platform at a time, so nothing is handed over twice.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinSet;

use super::outbox::Delivered;
use super::{Engine, IDLE_WAKE, Platform, retry_pause};
use crate::store::deliveries::{self, Delivery, Recipient};
use crate::store::{Result, StoreError, early_reactions};

/// Outbox rows read per slot, so members whose earlier message is still in
/// flight do not hide everyone else's work, and a burst needs few reads.
const ROWS_PER_SLOT: usize = 32;

/// A batch older than this is read again, so urgent messages written
/// meanwhile (pain advice) do not wait behind a long burst.
const BATCH_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a stopping engine lets sends in flight finish. Anything cut off
/// is still pending and goes out after a restart with the same key.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A delivery handed to the platform and not yet recorded.
struct InFlight {
    id: i64,
    recipient: Recipient,
    leads_a_burst: bool,
}

/// What is in flight, by task.
type Busy = HashMap<tokio::task::Id, InFlight>;

/// What a drain's finished deliveries leave to record, all in one round
/// trip before the outbox is read again (not one for each message).
#[derive(Default)]
struct Aftermath {
    /// Deliveries whose reactions were added: done. Until recorded they
    /// would be read as still owed, and adding a reaction twice changes
    /// nothing should the record be lost.
    reacted: Vec<i64>,
    /// Messages just recorded as sent: check-ins made on them before that
    /// (held as early reactions) are applied. Looked for only after the
    /// record, so none is missed (see `early_reactions`).
    recorded: Vec<String>,
}

impl Aftermath {
    fn take_in(&mut self, delivered: &Delivered) {
        match delivered {
            Delivered::NotNow => {}
            Delivered::Recorded(message_id) => self.recorded.push(message_id.clone()),
            Delivered::Reacted(id) => self.reacted.push(*id),
        }
    }
}

/// Whether `delivery` may be handed out now. A reaction or later step waits
/// while any first message is still in flight: those tasks may not have
/// reached the platform yet (a claim that met a conflict and paused), and a
/// burst's first messages must all go out before anything ranked after them.
fn may_go_now(delivery: &Delivery, busy: &Busy) -> bool {
    delivery.leads_a_burst() || !busy.values().any(|f| f.leads_a_burst)
}

/// Whether `batch` holds a delivery that may go now, for a recipient with
/// nothing in flight.
fn has_dispatchable(batch: &VecDeque<Delivery>, busy: &Busy) -> bool {
    let taken: HashSet<&Recipient> = busy.values().map(|f| &f.recipient).collect();
    batch
        .iter()
        .any(|d| !taken.contains(&d.recipient) && may_go_now(d, busy))
}

/// One platform as the engine sends through it.
pub(super) struct Sender {
    pub(super) name: String,
    pub(super) platform: Arc<dyn Platform>,
    /// Held while this platform's outbox is drained.
    draining: Mutex<()>,
    /// Tells this platform's sender task that new work may be ready.
    wake: Notify,
}

impl Sender {
    pub(super) fn new(name: &str, platform: Arc<dyn Platform>) -> Sender {
        Sender {
            name: name.to_string(),
            platform,
            draining: Mutex::new(()),
            wake: Notify::new(),
        }
    }
}

impl Engine {
    /// Drains every platform's outbox at once and returns when nothing is
    /// ready any more (what tests and the demo wait for).
    pub(super) async fn flush_outbox(&self) -> Result<()> {
        let mut drains = JoinSet::new();
        for sender in self.senders() {
            let engine = self.clone();
            drains.spawn(async move { engine.drain(&sender).await });
        }
        let mut first_error = None;
        while let Some(done) = drains.join_next().await {
            let error = match done {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(join) => StoreError::Task(join.to_string()),
            };
            first_error.get_or_insert(error);
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sends what is ready for one platform, in burst order, up to its
    /// concurrency and one delivery per recipient at a time, until nothing
    /// more is ready now.
    ///
    /// Rows are read a batch at a time and handed out from that batch as
    /// slots free up; the outbox is read again once the batch has nothing
    /// left to hand out (or is a second old), so a burst of thousands costs
    /// a few reads, not one per message.
    async fn drain(&self, sender: &Sender) -> Result<()> {
        let _draining = sender.draining.lock().await;
        let slots = self
            .settings()
            .send_concurrency
            .unwrap_or_else(|| sender.platform.send_concurrency())
            .max(1);
        let mut in_flight = JoinSet::new();
        let mut busy = Busy::new();
        let mut batch: VecDeque<Delivery> = VecDeque::new();
        let mut aftermath = Aftermath::default();
        let mut read_at = tokio::time::Instant::now();
        let mut first_error = None;
        loop {
            if first_error.is_none() && in_flight.len() < slots {
                let stale = read_at.elapsed() > BATCH_AGE;
                if stale || !has_dispatchable(&batch, &busy) {
                    let read = match self.settle(sender, &mut aftermath).await {
                        Ok(()) => self.ready(sender, slots * ROWS_PER_SLOT + busy.len()).await,
                        Err(error) => Err(error),
                    };
                    match read {
                        Ok(rows) => {
                            let sending: HashSet<i64> = busy.values().map(|f| f.id).collect();
                            batch = rows
                                .into_iter()
                                .filter(|d| !sending.contains(&d.id))
                                .collect();
                            read_at = tokio::time::Instant::now();
                        }
                        Err(error) => first_error = Some(error),
                    }
                }
                batch = self.hand_out(sender, slots, batch, &mut in_flight, &mut busy);
            }
            let Some(done) = in_flight.join_next_with_id().await else {
                break;
            };
            // Take in everything else that finished meanwhile before handing out more.
            let mut finished = vec![done];
            while let Some(done) = in_flight.try_join_next_with_id() {
                finished.push(done);
            }
            for done in finished {
                let (task, outcome) = match done {
                    Ok((task, outcome)) => (task, outcome),
                    Err(join) => (join.id(), Err(StoreError::Task(join.to_string()))),
                };
                let recipient = busy.remove(&task).map(|flight| flight.recipient);
                match &outcome {
                    // The recipient's later messages were moved with the failed one.
                    Ok(Delivered::NotNow) | Err(_) if recipient.is_some() => {
                        batch.retain(|d| Some(&d.recipient) != recipient.as_ref());
                    }
                    Ok(delivered) => aftermath.take_in(delivered),
                    Err(_) => {}
                }
                if let Err(error) = outcome {
                    first_error.get_or_insert(error);
                }
            }
        }
        let settled = self.settle(sender, &mut aftermath).await;
        first_error.map_or(settled, Err)
    }

    /// Records what the finished deliveries in `aftermath` left, and
    /// applies check-ins that were waiting for their messages.
    async fn settle(&self, sender: &Sender, aftermath: &mut Aftermath) -> Result<()> {
        let Aftermath { reacted, recorded } = std::mem::take(aftermath);
        if reacted.is_empty() && recorded.is_empty() {
            return Ok(());
        }
        let platform = sender.name.clone();
        let waiting = self
            .db()
            .call(move |c| {
                if !reacted.is_empty() {
                    deliveries::mark_done(c, &reacted)?;
                }
                if recorded.is_empty() {
                    return Ok(Vec::new());
                }
                early_reactions::waiting_among(c, &platform, &recorded)
            })
            .await?;
        for message_id in waiting {
            if let Err(error) = self.adopt_early_reactions(&sender.name, &message_id).await {
                // The hourly upkeep applies them instead.
                tracing::warn!(
                    message_id,
                    "cannot apply the check-ins made before it was recorded: {error}"
                );
            }
        }
        Ok(())
    }

    /// Starts sending from `batch` in order, up to `slots` in flight and one
    /// per recipient (a recipient's later messages wait for the earlier
    /// one); returns what has to wait.
    fn hand_out(
        &self,
        sender: &Sender,
        slots: usize,
        mut batch: VecDeque<Delivery>,
        in_flight: &mut JoinSet<Result<Delivered>>,
        busy: &mut Busy,
    ) -> VecDeque<Delivery> {
        let mut taken: HashSet<Recipient> = busy.values().map(|f| f.recipient.clone()).collect();
        let mut waiting = VecDeque::with_capacity(batch.len());
        // A platform given up (another replica holds it now) hands out
        // nothing more; what is in flight finishes.
        let current = self.is_current(sender);
        while let Some(delivery) = batch.pop_front() {
            if !current
                || in_flight.len() >= slots
                || !may_go_now(&delivery, busy)
                || !taken.insert(delivery.recipient.clone())
            {
                waiting.push_back(delivery);
                continue;
            }
            let flight = InFlight {
                id: delivery.id,
                recipient: delivery.recipient.clone(),
                leads_a_burst: delivery.leads_a_burst(),
            };
            let (engine, platform) = (self.clone(), Arc::clone(&sender.platform));
            let task = in_flight.spawn(async move { engine.deliver(&*platform, delivery).await });
            busy.insert(task.id(), flight);
        }
        waiting
    }

    async fn ready(&self, sender: &Sender, rows: usize) -> Result<Vec<Delivery>> {
        let now = self.now();
        let names = vec![sender.name.clone()];
        let rows = u32::try_from(rows).unwrap_or(u32::MAX);
        self.db()
            .call(move |c| deliveries::ready(c, now, &names, rows))
            .await
    }

    /// One platform's sender: drain, then sleep until its next delivery is
    /// due or new work is written. Failures back off; they never spin.
    async fn send_loop(self, sender: Arc<Sender>, mut stop: watch::Receiver<bool>) {
        let mut failures = 0_u32;
        loop {
            if !self.is_current(&sender) {
                tracing::info!(platform = %sender.name, "sender stopped: the platform was given up");
                return;
            }
            let outcome = match self.drain(&sender).await {
                Ok(()) => {
                    let names = vec![sender.name.clone()];
                    self.db()
                        .call(move |c| deliveries::next_due_at(c, &names))
                        .await
                }
                Err(error) => Err(error),
            };
            let pause = match outcome {
                Ok(next) => {
                    if failures > 0 {
                        tracing::info!(platform = %sender.name, "sending works again");
                    }
                    failures = 0;
                    next.map_or(IDLE_WAKE, |at| {
                        (at - self.now()).to_std().unwrap_or_default()
                    })
                }
                Err(error) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::error!(platform = %sender.name, "sending failed; retrying with backoff: {error}");
                    }
                    retry_pause(failures)
                }
            };
            tokio::select! {
                _ = stop.changed() => return,
                () = sender.wake.notified(), if failures == 0 => {}
                () = tokio::time::sleep(pause.min(IDLE_WAKE)) => {}
            }
        }
    }
}

/// The sender tasks of a running engine, one per platform, supervised: a
/// sender that dies (a bug, a panic in a platform) is started again, after
/// a pause that grows if it keeps dying.
pub(super) struct Running {
    engine: Engine,
    /// Which platform each running task sends for.
    running: HashMap<tokio::task::Id, String>,
    /// Platforms whose sender died: how often, and when it may start again.
    died: HashMap<String, (u32, tokio::time::Instant)>,
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
}

impl Running {
    pub(super) fn new(engine: Engine) -> Running {
        Running {
            engine,
            running: HashMap::new(),
            died: HashMap::new(),
            tasks: JoinSet::new(),
            stop: watch::channel(false).0,
        }
    }

    /// Starts a sender for every platform without one: added since the last
    /// call, or whose sender died and has waited out its pause.
    pub(super) fn start_new(&mut self) {
        self.reap();
        let now = tokio::time::Instant::now();
        for sender in self.engine.senders() {
            let running = self.running.values().any(|name| *name == sender.name);
            let waiting = self
                .died
                .get(&sender.name)
                .is_some_and(|(_, again_at)| *again_at > now);
            if running || waiting {
                continue;
            }
            tracing::debug!(platform = %sender.name, "sender started");
            let stop = self.stop.subscribe();
            let name = sender.name.clone();
            let task = self
                .tasks
                .spawn(self.engine.clone().send_loop(sender, stop));
            self.running.insert(task.id(), name);
        }
    }

    /// Notes the senders that ended: none should before `stop`.
    fn reap(&mut self) {
        while let Some(ended) = self.tasks.try_join_next_with_id() {
            self.note_death(ended);
        }
    }

    /// Completes when a sender ends (never while none runs), noting it.
    pub(super) async fn next_death(&mut self) {
        match self.tasks.join_next_with_id().await {
            Some(ended) => self.note_death(ended),
            None => std::future::pending().await,
        }
    }

    /// How long until a dead sender may start again, if one waits.
    pub(super) fn next_restart(&self) -> Option<std::time::Duration> {
        let now = tokio::time::Instant::now();
        self.died
            .iter()
            .filter(|(name, _)| !self.running.values().any(|n| n == *name))
            .map(|(_, (_, again_at))| again_at.saturating_duration_since(now))
            .min()
    }

    fn note_death(&mut self, ended: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let (id, why) = match ended {
            Ok((id, ())) => (id, "it returned".to_string()),
            Err(error) => (error.id(), error.to_string()),
        };
        let Some(name) = self.running.remove(&id) else {
            return;
        };
        if !self.engine.senders().iter().any(|s| s.name == name) {
            return; // given up on purpose (see `Engine::remove_platform`)
        }
        let deaths = self.died.get(&name).map_or(0, |(n, _)| *n) + 1;
        let pause = retry_pause(deaths);
        tracing::error!(platform = %name, deaths, "a sender stopped ({why}); starting it again in {} s", pause.as_secs());
        self.died
            .insert(name, (deaths, tokio::time::Instant::now() + pause));
    }

    /// Tells every sender that new work may be ready.
    pub(super) fn wake_all(&self) {
        for sender in self.engine.senders() {
            sender.wake.notify_one();
        }
    }

    /// Stops the senders, letting sends in flight finish for a moment.
    pub(super) async fn stop(mut self) {
        self.stop.send_replace(true);
        let all_done = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, all_done).await.is_err() {
            tracing::warn!("stopping with sends in flight; they go out after a restart");
        }
    }
}
