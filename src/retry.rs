//! The one backoff: a pause that doubles after each failure in a row, from a
//! first pause up to a ceiling. Every retry loop in the bot uses it, so a
//! broken database or homeserver is never hammered and never waited on for
//! longer than the ceiling.

use std::time::Duration;

/// Pauses of `first`, twice that, four times … never more than `most`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    most: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, most: Duration) -> Backoff {
        Backoff { first, most }
    }

    /// The pause after `failures` failures in a row (`0` and `1` give the
    /// first pause).
    pub fn after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1 << doublings)
            .map_or(self.most, |pause| pause.min(self.most))
    }

    /// A counter for one retry loop.
    pub fn start(self) -> Attempts {
        Attempts {
            backoff: self,
            failures: 0,
        }
    }
}

/// One retry loop's failures so far.
#[derive(Debug, Clone)]
pub struct Attempts {
    backoff: Backoff,
    failures: u32,
}

impl Attempts {
    /// Counts a failure and returns the pause before the next try.
    pub fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.backoff.after(self.failures)
    }

    /// After a success: the next failure waits the first pause again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_ceiling() {
        let backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(600));
        let pauses: Vec<u64> = (0..9).map(|n| backoff.after(n).as_secs()).collect();
        assert_eq!(pauses, [10, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(backoff.after(u32::MAX), Duration::from_secs(600));
        let mut attempts = backoff.start();
        assert_eq!(attempts.failed().as_secs(), 10);
        assert_eq!(attempts.failed().as_secs(), 20);
        attempts.reset();
        assert_eq!(attempts.failed().as_secs(), 10);
    }
}
