//! A token bucket per key: how often one member may ask for something
//! (commands) before the bot politely says to slow down.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Buckets kept before full ones (idle members) are forgotten.
const REMEMBERED: usize = 10_000;

pub struct Budget {
    /// Requests allowed in a burst.
    capacity: f64,
    /// One more request allowed after each of these.
    refill: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Budget {
    pub fn new(capacity: u32, refill: Duration) -> Budget {
        Budget {
            capacity: f64::from(capacity.max(1)),
            refill,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`: `false` when there is none left.
    pub fn take(&self, key: &str, now: DateTime<Utc>) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= REMEMBERED && !buckets.contains_key(key) {
            buckets.retain(|_, bucket| self.refilled(*bucket, now) < self.capacity);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let tokens = self.refilled(*bucket, now);
        let allowed = tokens >= 1.0;
        *bucket = Bucket {
            tokens: if allowed { tokens - 1.0 } else { tokens },
            at: now.max(bucket.at),
        };
        allowed
    }

    fn refilled(&self, bucket: Bucket, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - bucket.at).num_milliseconds().max(0) as f64;
        let per_token = self.refill.num_milliseconds().max(1) as f64;
        (bucket.tokens + elapsed / per_token).min(self.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill_and_keys_apart() {
        let budget = Budget::new(3, Duration::seconds(2));
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let taken: Vec<bool> = (0..5).map(|_| budget.take("ana", t0)).collect();
        assert_eq!(taken, [true, true, true, false, false]);
        assert!(
            budget.take("ben", t0),
            "another member has a budget of their own"
        );
        assert!(!budget.take("ana", t0 + Duration::seconds(1)));
        assert!(budget.take("ana", t0 + Duration::seconds(2)));
        assert!(!budget.take("ana", t0 + Duration::seconds(2)));
        // A long pause refills to the burst, no further.
        let later = t0 + Duration::hours(1);
        let taken: Vec<bool> = (0..4).map(|_| budget.take("ana", later)).collect();
        assert_eq!(taken, [true, true, true, false]);
    }
}
