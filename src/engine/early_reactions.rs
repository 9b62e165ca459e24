//! Check-ins that reach the bot before the message they are on is recorded
//! as its own (see [`crate::store::early_reactions`]): held when they
//! arrive, applied when the outbox records the message.
//!
//! The two sides meet without a lock: a reaction is held and committed,
//! then its message looked for again; a message is recorded and committed,
//! then held reactions looked for. Whichever looks last sees both, and
//! taking the held rows (a delete) lets only one side apply them.

use chrono::{DateTime, Utc};

use super::Engine;
use super::reactions::{ReactionEvent, ReactionOutcome, Withdrawal, apply_reaction};
use crate::check_in::CheckInKind;
use crate::store::early_reactions::{self, EarlyReaction};
use crate::store::sql::Conn;
use crate::store::{Result, deliveries, groups, users};

impl Engine {
    /// Applies the check-ins held for `message_id`, if it is recorded now.
    pub(super) async fn adopt_early_reactions(
        &self,
        platform: &str,
        message_id: &str,
    ) -> Result<()> {
        let (now, content) = (self.now(), self.content());
        let (platform, message_id) = (platform.to_string(), message_id.to_string());
        let looked_for = message_id.clone();
        let outcomes = self
            .db()
            .call(move |c| {
                if !early_reactions::any_for(c, &platform, &looked_for)? {
                    return Ok(Vec::new());
                }
                let tx = c.transaction()?;
                if deliveries::find_by_message(&tx, &platform, &looked_for)?.is_none() {
                    return Ok(Vec::new());
                }
                let mut outcomes = Vec::new();
                for early in early_reactions::take(&tx, &platform, &looked_for)? {
                    let (event, kind) = (event_of(&early), early.kind);
                    let outcome = apply_reaction(&tx, &content, &event, kind, now)?;
                    outcomes.push((early.platform, outcome));
                }
                tx.commit()?;
                Ok(outcomes)
            })
            .await?;
        for (platform, outcome) in &outcomes {
            if let ReactionOutcome::Recorded(kind) = outcome {
                self.telemetry().metrics.check_in(platform, *kind);
            }
        }
        if !outcomes.is_empty() {
            tracing::info!(
                message = %message_id,
                check_ins = outcomes.len(),
                "applied the check-ins made before the message was recorded"
            );
            self.wake();
        }
        Ok(())
    }
}

/// In a reaction's transaction, when its message is not (yet) known as the
/// bot's: an added check-in is held, if the message can be the bot's (the
/// member is known, or it was made in a group's channel); a removed one
/// takes back what was held.
pub(super) fn hold_or_withdraw(
    c: &dyn Conn,
    event: &ReactionEvent,
    kind: CheckInKind,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let platform = event.platform.as_str();
    if !event.added {
        let withdrawn =
            early_reactions::withdraw(c, platform, &event.message_id, &event.user_id, kind)?;
        return Ok(if withdrawn {
            ReactionOutcome::Withdrawn(kind)
        } else {
            ReactionOutcome::Ignored
        });
    }
    let in_group = match &event.room {
        Some(room) => groups::for_channel(c, platform, room)?.is_some(),
        None => false,
    };
    if !in_group && users::find(c, platform, &event.user_id)?.is_none() {
        return Ok(ReactionOutcome::Ignored);
    }
    let early = EarlyReaction {
        platform: platform.to_string(),
        message_id: event.message_id.clone(),
        user_id: event.user_id.clone(),
        kind,
        display_name: event.display_name.clone(),
        reaction_id: event.reaction_id.clone(),
        room: event.room.clone(),
    };
    early_reactions::hold(c, &early, now)?;
    Ok(ReactionOutcome::Held)
}

/// A redaction of a reaction still held: forgotten, if `withdrawal` may.
pub(super) fn withdraw_held(
    c: &dyn Conn,
    platform: &str,
    reaction_id: &str,
    withdrawal: &Withdrawal<'_>,
) -> Result<ReactionOutcome> {
    match early_reactions::find_by_id(c, platform, reaction_id)? {
        Some(early) if withdrawal.allows(&early.user_id, early.room.as_deref()) => {
            early_reactions::withdraw(c, platform, &early.message_id, &early.user_id, early.kind)?;
            Ok(ReactionOutcome::Withdrawn(early.kind))
        }
        _ => Ok(ReactionOutcome::Ignored),
    }
}

/// The reaction as it arrived.
fn event_of(early: &EarlyReaction) -> ReactionEvent {
    ReactionEvent {
        platform: early.platform.clone(),
        message_id: early.message_id.clone(),
        user_id: early.user_id.clone(),
        display_name: early.display_name.clone(),
        emoji: early.kind.emoji().to_string(),
        added: true,
        reaction_id: early.reaction_id.clone(),
        room: early.room.clone(),
    }
}
