//! Where a message is sent: the outbox is drained in burst order, each
//! delivery handed to its platform with its idempotency key, then marked.

use chrono::{DateTime, Duration, Utc};

use super::Engine;
use super::platform::{Destination, Outgoing, SendError};
use crate::store::deliveries::{self, Delivery, Recipient, State};
use crate::store::sessions::{self, Owner, Status};
use crate::store::subscriptions::{self, State as SubscriptionState};
use crate::store::{Result, users};

/// Deliveries read from the outbox at a time.
const FLUSH_BATCH: u32 = 64;

/// Transient failures are retried this many times before giving up.
pub const MAX_ATTEMPTS: u32 = 6;

/// 10 s, 20 s, 40 s … capped at 10 minutes.
pub fn backoff(attempts: u32) -> Duration {
    Duration::seconds(10 * 2_i64.pow(attempts.min(6))).min(Duration::minutes(10))
}

impl Engine {
    /// Sends everything that is due, most urgent first, until nothing is left
    /// to do right now.
    pub(super) async fn flush_outbox(&self) -> Result<()> {
        let cutoff = self.now() - self.settings().grace.max(super::sessions::MIN_GRACE);
        let expired = self
            .db()
            .call(move |c| deliveries::expire_stale(c, cutoff))
            .await?;
        if expired > 0 {
            tracing::warn!(
                expired,
                "dropped session messages older than the grace window"
            );
        }
        let platforms = self.platform_names();
        loop {
            let now = self.now();
            let names = platforms.clone();
            let batch = self
                .db()
                .call(move |c| deliveries::ready(c, now, &names, FLUSH_BATCH))
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            for delivery in batch {
                if !self.deliver(delivery, now).await? {
                    // A failure may postpone or cancel the rest of the batch: re-read it.
                    break;
                }
            }
        }
    }

    /// Hands one delivery to its platform; `false` if it failed.
    async fn deliver(&self, delivery: Delivery, now: DateTime<Utc>) -> Result<bool> {
        let Some(platform) = self.platform(&delivery.platform) else {
            return Ok(false); // `ready` only returns deliveries of running platforms
        };
        let destination = self.destination(&delivery).await?;
        let outcome = match (&delivery.state, &delivery.platform_message_id) {
            (State::Sent, Some(message_id)) => platform
                .react(&destination, message_id, &delivery.reactions)
                .await
                .map(|()| None),
            _ => {
                let outgoing = Outgoing {
                    key: &delivery.key,
                    kind: delivery.kind,
                    message: &delivery.message,
                };
                platform.send(&destination, outgoing).await.map(Some)
            }
        };
        let id = delivery.id;
        match outcome {
            Ok(Some(sent)) => {
                let recipient = delivery.recipient.clone();
                self.db()
                    .call(move |c| {
                        let tx = c.transaction()?;
                        deliveries::mark_sent(&tx, id, &sent.message_id, now)?;
                        if let (Recipient::Member(user_id), Some(dm)) =
                            (recipient, sent.dm.as_deref())
                        {
                            users::set_dm_target(&tx, user_id, dm)?;
                        }
                        tx.commit()?;
                        Ok(true)
                    })
                    .await
            }
            Ok(None) => {
                self.db()
                    .call(move |c| deliveries::mark_done(c, id).map(|()| true))
                    .await
            }
            Err(error) => self
                .record_failure(delivery, error, now)
                .await
                .map(|()| false),
        }
    }

    async fn destination(&self, delivery: &Delivery) -> Result<Destination> {
        match &delivery.recipient {
            Recipient::Channel(channel) => Ok(Destination::Channel(channel.clone())),
            Recipient::Member(user_id) => {
                let user_id = *user_id;
                let user = self.db().call(move |c| users::get(c, user_id)).await?;
                Ok(Destination::Direct {
                    user_id: user.platform_user_id,
                    dm: user.dm_target,
                })
            }
        }
    }

    /// Tries `delivery` again at `at`, holding back the recipient's other
    /// messages until then so their order is kept.
    async fn retry_later(
        &self,
        delivery: &Delivery,
        at: DateTime<Utc>,
        error: String,
    ) -> Result<()> {
        let (id, recipient) = (delivery.id, delivery.recipient.clone());
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                deliveries::retry_at(&tx, id, at, &error)?;
                deliveries::postpone_recipient(&tx, &recipient, at)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn record_failure(
        &self,
        delivery: Delivery,
        error: SendError,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let id = delivery.id;
        let text = error.to_string();
        match error {
            SendError::RetryAfter(wait) => {
                tracing::warn!(delivery = id, key = %delivery.key, "rate limited; waiting {}s", wait.num_seconds());
                self.retry_later(&delivery, now + wait, text).await
            }
            SendError::Transient(_) if delivery.attempts + 1 < MAX_ATTEMPTS => {
                let wait = backoff(delivery.attempts);
                tracing::warn!(delivery = id, key = %delivery.key, attempt = delivery.attempts + 1, "send failed, retrying in {}s: {text}", wait.num_seconds());
                self.retry_later(&delivery, now + wait, text).await
            }
            SendError::Transient(_) | SendError::Rejected(_) => {
                tracing::error!(delivery = id, key = %delivery.key, "giving up on a message: {text}");
                self.db()
                    .call(move |c| deliveries::fail(c, id, &text))
                    .await
            }
            SendError::Unreachable(reason) => {
                tracing::warn!(delivery = id, key = %delivery.key, "member cannot be messaged; pausing: {reason}");
                match delivery.recipient {
                    Recipient::Member(user_id) => {
                        self.db()
                            .call(move |c| {
                                let tx = c.transaction()?;
                                pause_unreachable(&tx, user_id, &reason, now)?;
                                tx.commit()?;
                                Ok(())
                            })
                            .await
                    }
                    Recipient::Channel(_) => {
                        self.db()
                            .call(move |c| deliveries::fail(c, id, &text))
                            .await
                    }
                }
            }
        }
    }
}

/// The member cannot be messaged: stop trying, pause the subscription with
/// the reason, and say so at their next command.
fn pause_unreachable(
    c: &rusqlite::Connection,
    user_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    deliveries::fail_pending_for_member(c, user_id, reason)?;
    if let Some(subscription) = subscriptions::for_user(c, user_id)?
        && subscription.state != SubscriptionState::Stopped
    {
        subscriptions::set_state(
            c,
            subscription.id,
            SubscriptionState::Paused,
            None,
            Some(reason),
            None,
            now,
        )?;
        sessions::stop_running(c, Owner::Subscription(subscription.id), Status::Failed)?;
    }
    Ok(())
}
