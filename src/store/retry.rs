//! A write that fails for a passing reason (the file busy, the disk full)
//! is tried again, so a member's check-in is not lost to a hiccup — or to
//! an outage, where the event stream can wait for it.

use std::future::Future;
use std::time::Duration;

use super::Result;
use crate::retry::Backoff;

/// Tries this many times, backing off up to 30 s between tries (about
/// eight minutes in all), before giving up.
const ATTEMPTS: u32 = 20;

/// Runs `write`, again while it fails for a passing reason, about eight
/// minutes at most. `None` when it failed for good (logged with `what`).
pub async fn with_retries<T, F, Fut>(what: &str, write: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    retried(what, Some(ATTEMPTS), write).await
}

/// Runs `write` until it is done, however long a passing failure lasts:
/// for a stream whose position waits for the write (Matrix), so that a
/// long database outage pauses the stream instead of dropping the event.
/// `None` only when it failed for a lasting reason (logged with `what`).
pub async fn until_written<T, F, Fut>(what: &str, write: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    retried(what, None, write).await
}

async fn retried<T, F, Fut>(what: &str, attempts: Option<u32>, mut write: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut pauses = Backoff::new(Duration::from_secs(1), Duration::from_secs(30)).start();
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(value) => return Some(value),
            Err(error) if error.is_transient() && attempts.is_none_or(|most| attempt < most) => {
                let delay = pauses.failed();
                tracing::warn!(
                    attempt,
                    "cannot {what} yet, trying again in {}s: {error}",
                    delay.as_secs()
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(error) => {
                tracing::error!("cannot {what}: {error}");
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::{until_written, with_retries};
    use crate::store::StoreError;

    /// Fails as a busy database does until `since` has passed (in the
    /// test's paused, injected time), then works.
    fn busy_for(minutes: u64) -> impl FnMut() -> std::future::Ready<crate::store::Result<u32>> {
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(minutes * 60);
        let tries = AtomicU32::new(0);
        move || {
            let tried = tries.fetch_add(1, Ordering::Relaxed) + 1;
            std::future::ready(if tokio::time::Instant::now() < until {
                Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )))
            } else {
                Ok(tried)
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_stream_waits_for_outlasts_ten_minutes_of_a_busy_database() {
        assert!(until_written("record", busy_for(10)).await.is_some());
        // The bounded kind gives up after about eight minutes.
        assert_eq!(with_retries("record", busy_for(10)).await, None);
        assert!(with_retries("record", busy_for(2)).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_lasting_failure_is_not_retried() {
        let lasting = || std::future::ready(Err::<(), _>(StoreError::Corrupt("damaged".into())));
        assert_eq!(until_written("record", lasting).await, None);
    }
}
