//! Work kept in order per key (a room) and run in parallel across keys, with
//! a bound on how much may wait. A platform's event loop hands its events
//! here and goes straight back to receiving: a slow reply in one room never
//! holds up the next sync, nor another room.

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
}
