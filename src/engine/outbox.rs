//! Where a message is sent: each delivery is handed to its platform with its
//! idempotency key, then marked sent, retried later, or given up on. Which
//! deliveries go when is the senders' business (`senders.rs`).

use chrono::{DateTime, Duration, Utc};

use super::Engine;
use super::platform::{Destination, Outgoing, Platform, SendError, Sent};
use super::press_answers::answer_route;
use crate::retry::Backoff;
use crate::store::claims::{self, Claim, Unfinished};
use crate::store::deliveries::{self, Delivery, Kind, Recipient, State};
use crate::store::sessions::{self, MissedBecause, Owner, Status};
use crate::store::sql::Conn;
use crate::store::subscriptions::{self, State as SubscriptionState};
use crate::store::{Result, StoreError, users};
use crate::telemetry::DeliveryOutcome;

/// Transient failures are retried this many times before giving up.
pub const MAX_ATTEMPTS: u32 = 6;

/// 10 s, 20 s, 40 s … capped at 10 minutes.
pub fn backoff(attempts: u32) -> Duration {
    let pauses = Backoff::new(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_secs(600),
    );
    Duration::from_std(pauses.after(attempts.saturating_add(1))).unwrap_or(Duration::minutes(10))
}

/// How long a message waits while its platform has signed the bot out.
const SIGNED_OUT_WAIT: Duration = Duration::minutes(1);

/// The longest a platform may take over one send before it counts as a
/// transient failure (the same key makes a late success harmless).
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a sender's claim on a delivery lasts: past the longest send, so
/// no other sender takes a delivery that may still be going out.
pub const CLAIM: std::time::Duration = std::time::Duration::from_secs(65);

/// How handing a delivery over went, and what it leaves for the sender to
/// record with the rest of its batch.
#[derive(Debug)]
pub(super) enum Delivered {
    /// Not handed over now: another sender has it, or it failed (tried
    /// again later or given up on, with the recipient's later messages).
    NotNow,
    /// The message is recorded as sent, with this id on its platform.
    Recorded(String),
    /// The bot's reactions on delivery `.0` are added: it is done once
    /// that is recorded.
    Reacted(i64),
}

/// What claiming a delivery leaves to do.
enum Handover {
    /// Nothing to hand over (`Recorded`: found sent and recorded now).
    Settled(Delivered),
    /// Hand it over; `unfinished` when a sender that stopped (this one
    /// before a restart, or another) had it in hand, and it was not found
    /// sent.
    Send { unfinished: bool },
}

impl Engine {
    /// Gives up on session messages older than the grace window: after an
    /// outage an old exercise must not arrive out of the blue.
    pub(super) async fn expire_stale_deliveries(&self) -> Result<()> {
        let cutoff = self.now() - self.settings().grace.max(super::sessions::MIN_GRACE);
        let expired = self
            .db()
            .call(move |c| {
                let tx = c.transaction()?;
                // Days whose first message is given up on are lost to the
                // outage, not to the member.
                sessions::miss_undelivered(&tx, cutoff)?;
                let expired = deliveries::expire_stale(&tx, cutoff)?;
                tx.commit()?;
                Ok(expired)
            })
            .await?;
        if expired > 0 {
            tracing::warn!(
                expired,
                "dropped session messages older than the grace window"
            );
        }
        Ok(())
    }

    /// Hands one delivery to `platform` and records the outcome (a
    /// reaction step's is left to the sender, see [`Delivered`]).
    pub(super) async fn deliver(
        &self,
        platform: &dyn Platform,
        delivery: Delivery,
    ) -> Result<Delivered> {
        let choices_attached = platform.attaches_choices();
        if let Some(sent) = self.unrecorded(delivery.id) {
            // The platform has it already: only the record is missing.
            let message_id = sent.message_id.clone();
            self.record_sent(&delivery, sent, self.now(), choices_attached)
                .await?;
            return Ok(Delivered::Recorded(message_id));
        }
        let destination = destination(&delivery)?;
        let unfinished = match self.take_in_hand(platform, &delivery).await? {
            Handover::Settled(settled) => return Ok(settled),
            Handover::Send { unfinished } => unfinished,
        };
        // A press's answer whose earlier attempt failed may still have gone out.
        let unsure = unfinished || delivery.attempts > 0;
        let handed_over = self.hand_over(platform, &destination, &delivery, unsure);
        let metrics = &self.telemetry().metrics;
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(SEND_TIMEOUT, handed_over).await {
            Ok(outcome) => {
                if let Err(error) = &outcome {
                    metrics.platform_error(&delivery.platform, error.kind());
                }
                if let Err(SendError::RetryAfter(_)) = &outcome {
                    self.report_rate_limit(platform, &delivery.platform).await;
                }
                outcome
            }
            Err(_elapsed) => {
                metrics.send_timed_out(&delivery.platform);
                Err(SendError::Transient(format!(
                    "no answer within {} s",
                    SEND_TIMEOUT.as_secs()
                )))
            }
        };
        metrics.send_took(&delivery.platform, started.elapsed().as_secs_f64());
        // Recorded at the time of the answer, so waits count from then.
        let now = self.now();
        match outcome {
            Ok(Some(sent)) => {
                metrics.delivery(&delivery.platform, DeliveryOutcome::Sent);
                metrics.sent(&delivery.platform, sent.answered_press);
                let message_id = sent.message_id.clone();
                self.record_sent(&delivery, sent, now, choices_attached)
                    .await?;
                if unfinished {
                    // Sent again under its key: the platform may have had it.
                    self.catch_up_unrecorded(platform, &delivery, &message_id)
                        .await;
                }
                Ok(Delivered::Recorded(message_id))
            }
            // The bot's reactions on a message already counted as sent.
            Ok(None) => Ok(Delivered::Reacted(delivery.id)),
            Err(error) => self
                .record_failure(delivery, error, now)
                .await
                .map(|()| Delivered::NotNow),
        }
    }

    /// The platform call itself: the message sent (`Some`, what the
    /// platform says of it), or its reactions added (`None`).
    async fn hand_over(
        &self,
        platform: &dyn Platform,
        destination: &Destination,
        delivery: &Delivery,
        unsure: bool,
    ) -> std::result::Result<Option<Sent>, SendError> {
        match (&delivery.state, &delivery.platform_message_id) {
            (State::Sent, Some(message_id)) => platform
                .react(destination, message_id, &delivery.reactions)
                .await
                .map(|()| None),
            _ => {
                let outgoing = Outgoing {
                    key: &delivery.key,
                    kind: delivery.kind,
                    message: &delivery.message,
                    choices: &delivery.reactions,
                    opens_day: delivery.opens_day,
                    language: delivery.language,
                    answers: answer_route(delivery.press.as_ref(), self.now(), unsure),
                };
                platform.send(destination, outgoing).await.map(Some)
            }
        }
    }

    /// Claims `delivery` before it is handed over. Settled when there is
    /// nothing to hand over: another sender has it (it waits), or a sender
    /// that stopped before recording its send is found to have sent it
    /// (recorded now), or that cannot be told yet.
    async fn take_in_hand(&self, platform: &dyn Platform, delivery: &Delivery) -> Result<Handover> {
        if delivery.state == State::Sent {
            // Only the bot's reactions are left, and adding one twice
            // changes nothing: no claim needed (a round trip less for each
            // message of a burst).
            return Ok(Handover::Send { unfinished: false });
        }
        let unfinished = match self.claim(delivery).await? {
            Claim::Held { until } => {
                self.wait_for_claim(delivery, until).await?;
                return Ok(Handover::Settled(Delivered::NotNow));
            }
            Claim::Ours {
                unfinished: None,
                resumed,
            } => {
                return Ok(Handover::Send {
                    unfinished: resumed,
                });
            }
            Claim::Ours {
                unfinished: Some(unfinished),
                ..
            } => unfinished,
        };
        match self
            .find_unrecorded(platform, delivery, unfinished.since)
            .await
        {
            Ok(Some(sent)) => {
                tracing::info!(delivery = delivery.id, key = %delivery.key, "found sent by a sender that stopped before recording it");
                let choices_attached = platform.attaches_choices();
                let message_id = sent.message_id.clone();
                self.record_sent(delivery, sent, self.now(), choices_attached)
                    .await?;
                self.catch_up_unrecorded(platform, delivery, &message_id)
                    .await;
                Ok(Handover::Settled(Delivered::Recorded(message_id)))
            }
            Ok(None) => Ok(Handover::Send { unfinished: true }),
            Err(error) => {
                tracing::warn!(delivery = delivery.id, key = %delivery.key, "cannot tell yet whether it was sent; looking again later: {error}");
                self.look_again_later(delivery, unfinished).await?;
                Ok(Handover::Settled(Delivered::NotNow))
            }
        }
    }

    /// Claims `delivery` for this replica's sender before it is handed over.
    async fn claim(&self, delivery: &Delivery) -> Result<Claim> {
        let (id, sender, now) = (delivery.id, self.sender_name().to_string(), self.now());
        let claimed_for = Duration::from_std(CLAIM).unwrap_or(Duration::seconds(90));
        let claim = self
            .db()
            .call(move |c| claims::claim(c, id, &sender, now, claimed_for))
            .await?;
        if matches!(claim, Claim::Ours { .. }) {
            self.telemetry().metrics.claimed("delivery", 1);
        }
        Ok(claim)
    }

    /// Holds `delivery` (and the recipient's later messages, to keep their
    /// order) until another sender's claim on it runs out.
    async fn wait_for_claim(&self, delivery: &Delivery, until: DateTime<Utc>) -> Result<()> {
        let recipient = delivery.recipient.clone();
        self.db()
            .call(move |c| deliveries::postpone_recipient(c, &recipient, until))
            .await
    }

    /// Whether an unfinished claim's send went out cannot be told now (the
    /// platform did not answer): the claim goes back as it was, and the
    /// delivery waits a little.
    async fn look_again_later(&self, delivery: &Delivery, unfinished: Unfinished) -> Result<()> {
        let (id, recipient) = (delivery.id, delivery.recipient.clone());
        let at = self.now() + backoff(0);
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                claims::restore(&tx, id, &unfinished)?;
                deliveries::postpone_recipient(&tx, &recipient, at)?;
                tx.commit()
            })
            .await
    }

    /// A message the platform shows was sent for `delivery` by a sender
    /// that stopped before recording it (its claim made at `since`): read,
    /// never sent again.
    async fn find_unrecorded(
        &self,
        platform: &dyn Platform,
        delivery: &Delivery,
        since: DateTime<Utc>,
    ) -> std::result::Result<Option<Sent>, SendError> {
        let recipient = delivery.recipient.clone();
        let known = self
            .db()
            .call(move |c| claims::recorded_since(c, &recipient, since))
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let to = destination(delivery).map_err(|e| SendError::Rejected(e.to_string()))?;
        tokio::time::timeout(SEND_TIMEOUT, platform.already_sent(&to, since, &known))
            .await
            .unwrap_or_else(|_elapsed| Err(SendError::Transient("no answer".into())))
    }

    /// Records that the platform took `delivery` as `sent`. If the outbox
    /// cannot record it (the disk full, the database locked), the send is
    /// remembered here instead: until it is recorded, the delivery is never
    /// handed to the platform again, only recorded again. Check-ins made on
    /// it before the record are the sender's to apply, with its batch.
    async fn record_sent(
        &self,
        delivery: &Delivery,
        sent: Sent,
        now: DateTime<Utc>,
        choices_attached: bool,
    ) -> Result<()> {
        let (id, recipient, recording) = (delivery.id, delivery.recipient.clone(), sent.clone());
        // A session's first message: how late it is, for the metrics.
        let opened = matches!(
            (delivery.kind, delivery.step, delivery.session_id),
            (Kind::Exercise, Some(1), Some(_))
        );
        // The member's DM, to remember if it is new (it rarely is).
        let known_dm = delivery.member.as_ref().and_then(|m| m.dm.clone());
        let new_dm = match (&recipient, recording.dm.as_deref()) {
            (Recipient::Member(user_id), Some(dm)) if known_dm.as_deref() != Some(dm) => {
                Some((*user_id, dm.to_string()))
            }
            _ => None,
        };
        let recorded = self
            .db()
            .call(move |c| {
                // Buttons are the choices: no reactions to add.
                let reactions_follow = !choices_attached;
                let message_id = &recording.message_id;
                let scheduled = match &new_dm {
                    // One statement needs no transaction (a round trip each
                    // way less on PostgreSQL).
                    None => deliveries::mark_sent_with(c, id, message_id, now, reactions_follow)?,
                    Some((user_id, dm)) => {
                        let tx = c.transaction()?;
                        let scheduled =
                            deliveries::mark_sent_with(&tx, id, message_id, now, reactions_follow)?;
                        users::set_dm_target(&tx, *user_id, dm)?;
                        tx.commit()?;
                        scheduled
                    }
                };
                Ok(scheduled.filter(|_| opened))
            })
            .await;
        match recorded {
            Ok(scheduled) => {
                self.forget_unrecorded(id);
                if let Some(scheduled) = scheduled {
                    let lag = (now - scheduled).num_milliseconds() as f64 / 1000.0;
                    self.telemetry()
                        .metrics
                        .session_started(&delivery.platform, lag);
                }
                Ok(())
            }
            Err(error) => {
                tracing::error!(delivery = id, key = %delivery.key, "sent but not recorded; it will not be sent again: {error}");
                self.remember_unrecorded(id, sent);
                Err(error)
            }
        }
    }

    /// A message a sender that stopped sent but never recorded, recorded
    /// now: members may have checked in on it while no replica knew it, and
    /// a platform that does not replay their reactions is asked for them.
    async fn catch_up_unrecorded(
        &self,
        platform: &dyn Platform,
        delivery: &Delivery,
        message_id: &str,
    ) {
        if !matches!(delivery.kind, Kind::Exercise | Kind::Disclaimer) {
            return;
        }
        if let Err(error) = self.catch_up_on(platform, delivery, message_id).await {
            tracing::warn!(
                delivery = delivery.id,
                "cannot catch up on its check-ins: {error}"
            );
        }
    }

    /// A delivery the platform took whose record failed, if any.
    pub(super) fn unrecorded(&self, id: i64) -> Option<Sent> {
        self.inner
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    fn remember_unrecorded(&self, id: i64, sent: Sent) {
        self.inner
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, sent);
    }

    fn forget_unrecorded(&self, id: i64) {
        self.inner
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
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
        let count = |outcome| {
            self.telemetry()
                .metrics
                .delivery(&delivery.platform, outcome)
        };
        match error {
            SendError::RetryAfter(wait) => {
                // Between a second (a zero wait would spin the sender) and a
                // day (a huge Retry-After must not overflow the clock).
                let wait = wait.clamp(Duration::seconds(1), Duration::days(1));
                tracing::warn!(delivery = id, key = %delivery.key, "rate limited; waiting {}s", wait.num_seconds());
                count(DeliveryOutcome::Retried);
                self.retry_later(&delivery, now + wait, text).await
            }
            SendError::SignedOut(_) => {
                // Until the platform is back: the grace window gives up on
                // session messages that wait too long.
                tracing::warn!(delivery = id, key = %delivery.key, "signed out; waiting: {text}");
                count(DeliveryOutcome::Retried);
                self.retry_later(&delivery, now + SIGNED_OUT_WAIT, text)
                    .await
            }
            SendError::Transient(_) if delivery.attempts + 1 < MAX_ATTEMPTS => {
                let wait = backoff(delivery.attempts);
                tracing::warn!(delivery = id, key = %delivery.key, attempt = delivery.attempts + 1, "send failed, retrying in {}s: {text}", wait.num_seconds());
                count(DeliveryOutcome::Retried);
                self.retry_later(&delivery, now + wait, text).await
            }
            SendError::Transient(_) | SendError::Rejected(_) => {
                tracing::error!(delivery = id, key = %delivery.key, "giving up on a message: {text}");
                count(DeliveryOutcome::Failed);
                self.give_up(&delivery, text).await
            }
            SendError::Unreachable(reason) => {
                tracing::warn!(delivery = id, key = %delivery.key, "member cannot be messaged; pausing: {reason}");
                match delivery.recipient {
                    Recipient::Member(user_id) => {
                        count(DeliveryOutcome::Paused);
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
                        count(DeliveryOutcome::Failed);
                        self.db()
                            .call(move |c| deliveries::fail(c, id, &text))
                            .await
                    }
                }
            }
        }
    }

    /// Fails a delivery for good. A day whose first message never arrived
    /// is not held against the member.
    async fn give_up(&self, delivery: &Delivery, why: String) -> Result<()> {
        let id = delivery.id;
        let first_of = match (delivery.kind, delivery.step) {
            (Kind::Exercise, Some(1)) => delivery.session_id,
            _ => None,
        };
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                deliveries::fail(&tx, id, &why)?;
                if let Some(session) = first_of {
                    sessions::miss_if_unanswered(&tx, session, MissedBecause::Unreachable)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }
}

pub(super) fn destination(delivery: &Delivery) -> Result<Destination> {
    match (&delivery.recipient, &delivery.member) {
        (Recipient::Channel(channel), _) => Ok(Destination::Channel(channel.clone())),
        (Recipient::Member(_), Some(member)) => Ok(Destination::Direct {
            user_id: member.platform_user_id.clone(),
            dm: member.dm.clone(),
        }),
        (Recipient::Member(user), None) => Err(StoreError::Corrupt(format!(
            "delivery {} is for member {user}, who is not stored",
            delivery.id
        ))),
    }
}

/// The member cannot be messaged: stop trying, pause the subscription with
/// the reason, and say so at their next command.
fn pause_unreachable(c: &dyn Conn, user_id: i64, reason: &str, now: DateTime<Utc>) -> Result<()> {
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
