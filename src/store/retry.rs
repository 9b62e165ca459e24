//! A write that fails for a passing reason (the file busy, the disk full)
//! is tried again, so a member's check-in is not lost to a hiccup.

use std::future::Future;
use std::time::Duration;

use super::Result;

/// Tries this many times, backing off up to 30 s between tries (about
/// eight minutes in all), before giving up.
const ATTEMPTS: u32 = 20;

/// Runs `write`, again while it fails for a passing reason. `None` when it
/// failed for good (logged with `what`).
pub async fn with_retries<T, F, Fut>(what: &str, mut write: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut delay = Duration::from_secs(1);
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(value) => return Some(value),
            Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                tracing::warn!(
                    attempt,
                    "cannot {what} yet, trying again in {}s: {error}",
                    delay.as_secs()
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                attempt += 1;
            }
            Err(error) => {
                tracing::error!("cannot {what}: {error}");
                return None;
            }
        }
    }
}
