//! Housekeeping in every pass: records past the retention period (and
//! answered commands past a day, check-ins on messages never recorded past
//! an hour) go, and
//! the posts naming a member who erased their data are cleaned.

use std::sync::PoisonError;

use chrono::Duration;

use super::Engine;
use crate::store::{
    Result, answered_commands, deliveries, early_reactions, post_names, reaction_events,
};

/// How often the retention purge runs.
const PURGE_EVERY: Duration = Duration::hours(1);

/// How long answered commands are remembered: longer than any replay
/// (commands older than a few minutes are not answered at all).
const ANSWERS_REMEMBERED: Duration = Duration::days(1);

/// How long a check-in on a message not yet recorded waits for it: far
/// longer than any replica takes to record what it sent.
const EARLY_REACTIONS_KEPT: Duration = Duration::hours(1);

/// Posts cleaned in one transaction, so a member named in thousands of
/// posts never holds the database for long.
const CLEAN_BATCH: usize = 200;

impl Engine {
    /// Deletes what is older than the retention period: finished deliveries
    /// (with the message texts they hold) and remembered reaction ids.
    /// Check-ins stay: streaks and the progress picture are made of them.
    pub(super) async fn purge_old_records(&self) -> Result<()> {
        let now = self.now();
        {
            let mut purged_at = self
                .inner
                .purged_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if purged_at.is_some_and(|at| now - at < PURGE_EVERY) {
                return Ok(());
            }
            *purged_at = Some(now);
        }
        self.settle_early_reactions(now - EARLY_REACTIONS_KEPT)
            .await?;
        // Checked: a retention past the calendar keeps everything.
        let cutoff = now.checked_sub_signed(self.settings().retention);
        let answers_cutoff = now - ANSWERS_REMEMBERED;
        let (deliveries, reactions) = self
            .db()
            .call(move |c| {
                let tx = c.transaction()?;
                answered_commands::purge_before(&tx, answers_cutoff)?;
                let (mut deliveries, mut reactions) = (0, 0);
                if let Some(cutoff) = cutoff {
                    deliveries = deliveries::purge_finished_before(&tx, cutoff)?;
                    reactions = reaction_events::purge_before(&tx, cutoff)?;
                }
                tx.commit()?;
                Ok((deliveries, reactions))
            })
            .await?;
        if deliveries + reactions > 0 {
            tracing::info!(
                deliveries,
                reactions,
                "purged records past the retention period"
            );
        }
        Ok(())
    }

    /// Applies the check-ins held for messages recorded since (one whose
    /// hand-over missed them), then forgets those held since before
    /// `cutoff`: their messages were never the bot's.
    async fn settle_early_reactions(&self, cutoff: chrono::DateTime<chrono::Utc>) -> Result<()> {
        let recorded = self.db().call(early_reactions::recorded).await?;
        for (platform, message_id) in recorded {
            self.adopt_early_reactions(&platform, &message_id).await?;
        }
        let forgotten = self
            .db()
            .call(move |c| early_reactions::purge_before(c, cutoff))
            .await?;
        if forgotten > 0 {
            tracing::info!(forgotten, "forgot check-ins on messages never recorded");
        }
        Ok(())
    }

    /// Takes members who erased their data out of the posts that name
    /// them, a batch per transaction, until none is left.
    pub(super) async fn clean_departed_names(&self) -> Result<()> {
        loop {
            let cleaned = self
                .db()
                .call(|c| {
                    let tx = c.transaction()?;
                    let cleaned = post_names::clean_departed(&tx, CLEAN_BATCH)?;
                    tx.commit()?;
                    Ok(cleaned)
                })
                .await?;
            if cleaned < CLEAN_BATCH {
                return Ok(());
            }
        }
    }
}
