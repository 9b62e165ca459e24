//! When a stream position may be saved. A platform that hands its events to
//! workers ([`OrderedWork`](crate::ordered::OrderedWork)) and goes on
//! receiving must not save its position when the events arrive, but once
//! the work made from them is done: a position saved earlier, then a crash,
//! and the events behind it are lost. (matrix-sdk saves its sync token
//! before it even calls the event handlers.)
//!
//! Each batch of events (one Matrix sync) is begun with [`Checkpoints::begin`];
//! every job made from it takes a [`Hold`]. When the batch has ended, its last
//! hold is dropped and every earlier batch is done too, its position comes
//! out of [`Checkpoints::handled`]. A restart resumes there and receives
//! again what came after: handling an event twice must change nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::mpsc;

/// A batch's sequence number and the position after it (none when the
/// batch failed: the stream resumes where it started).
type Finished = (u64, Option<String>);

pub struct Checkpoints {
    /// The batch being received, which new jobs hold.
    current: Mutex<Option<Hold>>,
    next_sequence: AtomicU64,
    finished_tx: mpsc::UnboundedSender<Finished>,
    finished: tokio::sync::Mutex<InOrder>,
}

/// Keeps a batch unfinished while a job made from it runs.
#[derive(Clone)]
pub struct Hold {
    batch: Arc<Batch>,
}

struct Batch {
    sequence: u64,
    position: OnceLock<String>,
    finished: mpsc::UnboundedSender<Finished>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        // The receiver lives as long as the `Checkpoints` that made the batch.
        let _ = self.finished.send((self.sequence, self.position.take()));
    }
}

/// Finished batches, put back in the order they began.
struct InOrder {
    receiver: mpsc::UnboundedReceiver<Finished>,
    next: u64,
    early: BTreeMap<u64, Option<String>>,
}

impl Default for Checkpoints {
    fn default() -> Checkpoints {
        let (finished_tx, receiver) = mpsc::unbounded_channel();
        Checkpoints {
            current: Mutex::new(None),
            next_sequence: AtomicU64::new(0),
            finished_tx,
            finished: tokio::sync::Mutex::new(InOrder {
                receiver,
                next: 0,
                early: BTreeMap::new(),
            }),
        }
    }
}

impl Checkpoints {
    pub fn new() -> Checkpoints {
        Checkpoints::default()
    }

    /// A batch starts arriving: jobs made from now on hold it.
    pub fn begin(&self) -> Hold {
        let batch = Hold {
            batch: Arc::new(Batch {
                sequence: self.next_sequence.fetch_add(1, Ordering::SeqCst),
                position: OnceLock::new(),
                finished: self.finished_tx.clone(),
            }),
        };
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(batch.clone());
        batch
    }

    /// Every event of `batch` has been handed out; `position` is where the
    /// stream resumes after it (`None`: the batch failed).
    pub fn end(&self, batch: Hold, position: Option<String>) {
        if let Some(position) = position {
            let _ = batch.batch.position.set(position);
        }
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// What a job made now holds until it is done.
    pub fn hold(&self) -> Option<Hold> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until a batch finishes after every earlier one, and returns the
    /// newest position behind which everything is handled.
    pub async fn handled(&self) -> String {
        let mut in_order = self.finished.lock().await;
        loop {
            // `self` keeps a sender, so the channel never closes.
            let Some((sequence, position)) = in_order.receiver.recv().await else {
                return std::future::pending().await;
            };
            in_order.early.insert(sequence, position);
            while let Ok((sequence, position)) = in_order.receiver.try_recv() {
                in_order.early.insert(sequence, position);
            }
            let mut newest = None;
            loop {
                let next = in_order.next;
                let Some(position) = in_order.early.remove(&next) else {
                    break;
                };
                in_order.next += 1;
                newest = position.or(newest);
            }
            if let Some(position) = newest {
                return position;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn handled_soon(checkpoints: &Checkpoints) -> Option<String> {
        tokio::time::timeout(Duration::from_millis(200), checkpoints.handled())
            .await
            .ok()
    }

    #[tokio::test]
    async fn a_position_waits_for_every_job_of_its_batch_and_of_the_batches_before() {
        let checkpoints = Checkpoints::new();

        let first = checkpoints.begin();
        let slow_job = checkpoints.hold();
        checkpoints.end(first, Some("after-1".into()));

        let second = checkpoints.begin();
        let quick_job = checkpoints.hold();
        checkpoints.end(second, Some("after-2".into()));
        drop(quick_job);

        // The second batch is done, but a job of the first still runs.
        assert_eq!(handled_soon(&checkpoints).await, None);
        drop(slow_job);
        assert_eq!(handled_soon(&checkpoints).await.as_deref(), Some("after-2"));
    }

    #[tokio::test]
    async fn a_failed_batch_moves_nothing_and_holds_nothing_up() {
        let checkpoints = Checkpoints::new();
        let failed = checkpoints.begin();
        checkpoints.end(failed, None);
        assert_eq!(handled_soon(&checkpoints).await, None);

        let next = checkpoints.begin();
        checkpoints.end(next, Some("after-2".into()));
        assert_eq!(handled_soon(&checkpoints).await.as_deref(), Some("after-2"));
    }

    #[tokio::test]
    async fn jobs_made_outside_a_batch_hold_nothing() {
        let checkpoints = Checkpoints::new();
        assert!(checkpoints.hold().is_none());
        let batch = checkpoints.begin();
        checkpoints.end(batch, Some("after-1".into()));
        assert!(checkpoints.hold().is_none());
        assert_eq!(handled_soon(&checkpoints).await.as_deref(), Some("after-1"));
    }
}
