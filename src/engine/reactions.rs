//! Where a check-in is stored: reactions on the bot's messages become
//! check-ins (or the disclaimer's acknowledgement).

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::Engine;
use super::sessions::{self as session_flow};
use crate::check_in::CheckInKind;
use crate::content::Content;
use crate::store::deliveries::{self, Kind, Recipient};
use crate::store::sessions::{self, Status};
use crate::store::{Result, check_ins, users};

/// A reaction added or removed by someone on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionEvent {
    pub platform: String,
    pub message_id: String,
    /// The reacting account; adapters drop the bot's own reactions before
    /// they get here.
    pub user_id: String,
    pub emoji: String,
    pub added: bool,
}

/// What a reaction did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionOutcome {
    /// Not a check-in emoji, not our message, not this member's, or too old.
    Ignored,
    Agreed,
    Recorded(CheckInKind),
    Withdrawn(CheckInKind),
}

impl Engine {
    /// Records a reaction and wakes the engine so any follow-up goes out now.
    pub async fn on_reaction(&self, event: ReactionEvent) -> Result<ReactionOutcome> {
        let Some(kind) = CheckInKind::from_emoji(&event.emoji) else {
            return Ok(ReactionOutcome::Ignored);
        };
        let now = self.now();
        let content = self.content();
        let outcome = self
            .db()
            .call(move |c| {
                let tx = c.transaction()?;
                let outcome = apply(&tx, &content, &event, kind, now)?;
                tx.commit()?;
                Ok(outcome)
            })
            .await?;
        if outcome != ReactionOutcome::Ignored {
            self.wake();
        }
        Ok(outcome)
    }
}

fn apply(
    c: &Connection,
    content: &Content,
    event: &ReactionEvent,
    kind: CheckInKind,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let Some(delivery) = deliveries::find_by_message(c, &event.platform, &event.message_id)? else {
        return Ok(ReactionOutcome::Ignored);
    };
    let Some(user) = users::find(c, &event.platform, &event.user_id)? else {
        return Ok(ReactionOutcome::Ignored);
    };
    // In a DM only the member it was sent to counts.
    if delivery.recipient != Recipient::Member(user.id) {
        return Ok(ReactionOutcome::Ignored);
    }
    match (delivery.kind, kind, event.added) {
        (Kind::Disclaimer, CheckInKind::Done, true) => {
            super::agree(c, &user, now)?;
            return Ok(ReactionOutcome::Agreed);
        }
        (Kind::Exercise, _, _) => {}
        _ => return Ok(ReactionOutcome::Ignored),
    }
    let (Some(session_id), Some(step)) = (delivery.session_id, delivery.step) else {
        return Ok(ReactionOutcome::Ignored);
    };
    let session = sessions::get(c, session_id)?;
    let Some(subscription_id) = session.subscription_id else {
        return Ok(ReactionOutcome::Ignored);
    };
    // Late check-ins count until the subscription's next session starts.
    let latest = sessions::latest_started(c, subscription_id)?;
    if latest.as_ref().map(|s| s.id) != Some(session.id) {
        return Ok(ReactionOutcome::Ignored);
    }
    if !event.added {
        let withdrawn = check_ins::withdraw(c, session.id, step, user.id, kind)?;
        return Ok(if withdrawn {
            ReactionOutcome::Withdrawn(kind)
        } else {
            ReactionOutcome::Ignored
        });
    }
    if !check_ins::record(c, session.id, step, user.id, kind, now)? {
        return Ok(ReactionOutcome::Ignored); // Already recorded.
    }
    let on_current_step = session.status == Status::Running && session.current_step == step;
    if kind == CheckInKind::Pain {
        session_flow::advise_on_pain(c, content, &session, &user, step, now)?;
        if session.status == Status::Running {
            // Stop for today: no more exercises after pain.
            session_flow::close(c, content, &session, &user, true, now)?;
        }
    } else if on_current_step {
        session_flow::advance(c, content, &session, now)?;
    }
    Ok(ReactionOutcome::Recorded(kind))
}
