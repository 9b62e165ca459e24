//! Work kept in order per key and run in parallel across keys.
//!
//! - [`OrderedWork`]: jobs queued by key (a room), with a bound on how much
//!   may wait. A platform's event loop hands its events here and goes
//!   straight back to receiving: a slow reply in one room never holds up the
//!   next sync, nor another room.
//! - [`Turns`]: one at a time per key (a member), for work whose caller
//!   waits for its result, in the order the turns were asked for.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

#[derive(Clone)]
pub struct OrderedWork {
    /// Jobs waiting behind a running one, by key. A key is present while a
    /// runner works on it.
    queues: Arc<Mutex<HashMap<String, VecDeque<Job>>>>,
    /// Jobs accepted and not yet finished; `submit` waits when none is left.
    capacity: Arc<Semaphore>,
    /// Jobs running at once.
    running: Arc<Semaphore>,
    limit: usize,
}

impl OrderedWork {
    /// At most `capacity` jobs queued or running, `parallel` of them running.
    pub fn new(capacity: usize, parallel: usize) -> OrderedWork {
        OrderedWork {
            queues: Arc::default(),
            capacity: Arc::new(Semaphore::new(capacity.max(1))),
            running: Arc::new(Semaphore::new(parallel.max(1))),
            limit: capacity.max(1),
        }
    }

    /// Runs `job` after every job submitted earlier with the same key. When
    /// `capacity` jobs are already waiting, this waits for room: the caller
    /// slows down, and nothing is dropped.
    pub async fn submit(&self, key: &str, job: impl Future<Output = ()> + Send + 'static) {
        let Ok(permit) = Arc::clone(&self.capacity).acquire_owned().await else {
            return; // The semaphore is never closed.
        };
        let job: Job = Box::pin(async move {
            job.await;
            drop(permit);
        });
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        match queues.get_mut(key) {
            Some(waiting) => waiting.push_back(job),
            None => {
                queues.insert(key.to_string(), VecDeque::new());
                tokio::spawn(self.clone().run(key.to_string(), job));
            }
        }
    }

    /// Runs the jobs of one key, one after another, until none is left.
    async fn run(self, key: String, first: Job) {
        let mut next = Some(first);
        while let Some(job) = next {
            if let Ok(_slot) = self.running.acquire().await {
                // Its own task, so a job that panics does not stop the key's queue.
                if let Err(error) = tokio::spawn(job).await {
                    tracing::error!(key, "a queued job failed: {error}");
                }
            }
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            next = queues.get_mut(&key).and_then(VecDeque::pop_front);
            if next.is_none() {
                queues.remove(&key);
            }
        }
    }

    /// Jobs accepted and not finished yet.
    pub fn pending(&self) -> usize {
        self.limit.saturating_sub(self.capacity.available_permits())
    }
}

/// One holder at a time per key; the others wait in the order they came
/// (tokio's mutex is fair). A key is forgotten when nobody holds or awaits
/// it, so the map holds only keys in use.
#[derive(Default)]
pub struct Turns {
    keys: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A turn held: the next one for its key starts when this is dropped.
pub struct Turn<'a> {
    turns: &'a Turns,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Turns {
    /// Waits for every turn asked for `key` before this one.
    pub async fn take(&self, key: &str) -> Turn<'_> {
        let lock = {
            let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(keys.entry(key.to_string()).or_default())
        };
        let held = Some(Arc::clone(&lock).lock_owned().await);
        Turn {
            turns: self,
            key: key.to_string(),
            lock,
            held,
        }
    }

    /// Keys held or awaited now.
    pub fn in_use(&self) -> usize {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.held.take();
        let mut keys = self
            .turns
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map and this turn know the lock: nobody waits for it.
        if Arc::strong_count(&self.lock) == 2 {
            keys.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_order_per_key_and_runs_keys_side_by_side() -> Result<(), String> {
        let work = OrderedWork::new(64, 8);
        let log = Arc::new(Mutex::new(Vec::new()));
        for i in 0..20_u64 {
            for key in ["a", "b", "c"] {
                let log = Arc::clone(&log);
                work.submit(key, async move {
                    // Later jobs are quicker: only the queue keeps them in order.
                    tokio::time::sleep(Duration::from_millis(20 - i)).await;
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((key, i));
                })
                .await;
            }
        }
        for _ in 0..500 {
            if work.pending() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let log = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if log.len() != 60 {
            return Err(format!("{} of 60 jobs ran", log.len()));
        }
        for key in ["a", "b", "c"] {
            let order: Vec<u64> = log
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, i)| *i)
                .collect();
            if order != (0..20).collect::<Vec<_>>() {
                return Err(format!("{key} ran out of order: {order:?}"));
            }
        }
        // The three keys interleave: each ran while the others waited.
        if log
            .iter()
            .take(3)
            .map(|(k, _)| *k)
            .collect::<std::collections::HashSet<_>>()
            .len()
            < 2
        {
            return Err(format!("keys did not run side by side: {log:?}"));
        }
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_makes_the_caller_wait_and_drops_nothing() -> Result<(), String> {
        let work = OrderedWork::new(2, 1);
        let gate = Arc::new(tokio::sync::Notify::new());
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for _ in 0..2 {
            let (gate, done) = (Arc::clone(&gate), Arc::clone(&done));
            work.submit("room", async move {
                gate.notified().await;
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .await;
        }
        let third = {
            let (work, done) = (work.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                work.submit("room", async move {
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
                .await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        if third.is_finished() {
            return Err("a third job was accepted into a queue of two".into());
        }
        for _ in 0..2 {
            gate.notify_one();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        third.await.map_err(|e| e.to_string())?;
        for _ in 0..100 {
            if done.load(std::sync::atomic::Ordering::SeqCst) == 3 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("not every job ran".into())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turns_go_one_at_a_time_per_key_in_order_and_keys_are_forgotten() -> Result<(), String>
    {
        let turns = Arc::new(Turns::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let first = turns.take("ana").await;
        let mut waiting = Vec::new();
        for i in 1..=3 {
            let (turns, log) = (Arc::clone(&turns), Arc::clone(&log));
            waiting.push(tokio::spawn(async move {
                let _turn = turns.take("ana").await;
                log.lock().unwrap_or_else(PoisonError::into_inner).push(i);
            }));
            // Asked for in this order.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Another member goes at once.
        tokio::time::timeout(Duration::from_secs(5), turns.take("ben"))
            .await
            .map_err(|_| "another key waited".to_string())?;
        if !log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
        {
            return Err("a turn went while the first was held".into());
        }
        drop(first);
        for task in waiting {
            task.await.map_err(|e| e.to_string())?;
        }
        let order = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if order != [1, 2, 3] {
            return Err(format!("turns went out of order: {order:?}"));
        }
        if turns.in_use() != 0 {
            return Err(format!("{} keys kept after use", turns.in_use()));
        }
        Ok(())
    }
}
