//! Where a check-in is stored: reactions on the bot's messages become
//! check-ins (or the disclaimer's acknowledgement).

use crate::store::sql::Conn;
use chrono::{DateTime, Utc};

use super::Engine;
use super::early_reactions::withdraw_held;
use super::press_answers::tied_to_press;
use super::sessions::{self as session_flow};
use crate::check_in::CheckInKind;
use crate::content::Content;
use crate::store::deliveries::{self, Delivery, Kind, Press, Recipient};
use crate::store::sessions::{self, Session, Status};
use crate::store::users::User;
use crate::store::{Result, check_ins, groups, reaction_events, users};

/// A reaction added or removed by someone on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionEvent {
    pub platform: String,
    pub message_id: String,
    /// The reacting account; adapters drop the bot's own reactions before
    /// they get here.
    pub user_id: String,
    /// How the platform shows the reacting account (for group summaries).
    pub display_name: Option<String>,
    pub emoji: String,
    pub added: bool,
    /// The platform's id of the reaction itself, where a removal names only
    /// that (a Matrix redaction). Kept with the check-in, in its transaction.
    pub reaction_id: Option<String>,
    /// The channel or room the reaction was made in, when the platform says.
    pub room: Option<String>,
}

/// What a reaction did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionOutcome {
    /// Not a check-in emoji, not our message, not this member's, or too old.
    Ignored,
    Agreed,
    Recorded(CheckInKind),
    Withdrawn(CheckInKind),
    /// A button pressed again: that check-in stands, nothing changes.
    Unchanged(CheckInKind),
    /// A button on a session that has ended (a newer one has started).
    SessionOver,
    /// A check-in on a message not yet recorded as the bot's: it counts
    /// once the message is (see [`early_reactions`](super::early_reactions)).
    Held,
}

impl ReactionOutcome {
    /// Whether anything was stored.
    fn changed(self) -> bool {
        matches!(
            self,
            ReactionOutcome::Agreed | ReactionOutcome::Recorded(_) | ReactionOutcome::Withdrawn(_)
        )
    }
}

/// A check-in button pressed on one of the bot's messages. Unlike a
/// reaction it is never taken back: pressing another button changes the
/// check-in, pressing the same one again changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceEvent {
    pub platform: String,
    pub message_id: String,
    pub user_id: String,
    pub display_name: Option<String>,
    pub kind: CheckInKind,
    /// The channel or room the button was pressed in.
    pub room: Option<String>,
    /// The press as the platform can answer it (Discord's interaction
    /// token): what it moves on in the member's DM is sent as its answer.
    pub press: Option<Press>,
}

/// How a check-in arrived: a reaction can be removed again, a button press
/// replaces the member's earlier choice on that exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Reaction,
    Button,
}

impl Engine {
    /// Records a reaction and wakes the engine so any follow-up goes out now.
    pub async fn on_reaction(&self, event: ReactionEvent) -> Result<ReactionOutcome> {
        let Some(kind) = CheckInKind::from_emoji(&event.emoji) else {
            return Ok(ReactionOutcome::Ignored);
        };
        let (platform, message_id) = (event.platform.clone(), event.message_id.clone());
        let outcome = self
            .record(move |c, content, now| apply_reaction(c, content, &event, kind, now))
            .await?;
        match outcome {
            ReactionOutcome::Recorded(kind) => self.telemetry().metrics.check_in(&platform, kind),
            // The message may have been recorded since it was looked for.
            ReactionOutcome::Held => self.adopt_early_reactions(&platform, &message_id).await?,
            _ => {}
        }
        Ok(outcome)
    }

    /// Records a button press: the presser's check-in, or their agreement
    /// to the disclaimer.
    pub async fn on_choice(&self, choice: ChoiceEvent) -> Result<ReactionOutcome> {
        let (platform, kind, press) = (choice.platform.clone(), choice.kind, choice.press);
        let event = ReactionEvent {
            platform: choice.platform,
            message_id: choice.message_id,
            user_id: choice.user_id,
            display_name: choice.display_name,
            emoji: kind.emoji().to_string(),
            added: true,
            reaction_id: None,
            room: choice.room,
        };
        let outcome = self
            .record(move |c, content, now| {
                let press = press
                    .as_ref()
                    .map(|press| (press, event.platform.as_str(), event.user_id.as_str()));
                tied_to_press(c, press, now, || {
                    apply(c, content, &event, kind, Via::Button, now)
                })
            })
            .await?;
        if let ReactionOutcome::Recorded(kind) = outcome {
            self.telemetry().metrics.check_in(&platform, kind);
        }
        Ok(outcome)
    }

    /// How many checked in on one of the bot's exercise messages, by kind
    /// (a group's tally).
    pub async fn check_ins_on(
        &self,
        platform: &str,
        message_id: &str,
    ) -> Result<std::collections::BTreeMap<CheckInKind, u32>> {
        let (platform, message_id) = (platform.to_string(), message_id.to_string());
        self.db()
            .call(move |c| {
                let Some(delivery) = deliveries::find_by_message(c, &platform, &message_id)? else {
                    return Ok(Default::default());
                };
                let (Some(session), Some(step)) = (delivery.session_id, delivery.step) else {
                    return Ok(Default::default());
                };
                check_ins::count_by_kind(c, session, step)
            })
            .await
    }

    /// Whether `message_id` is the bot's question after a 🤕 ("How strong
    /// was it…?"), so a reply to it is an answer to `pain`.
    pub async fn asks_how_strong(&self, platform: &str, message_id: &str) -> Result<bool> {
        let (platform, message_id) = (platform.to_string(), message_id.to_string());
        self.db()
            .call(move |c| {
                Ok(deliveries::find_by_message(c, &platform, &message_id)?
                    .is_some_and(|delivery| delivery.kind == Kind::Advice))
            })
            .await
    }

    /// A reaction removed by its own id (a Matrix redaction): the check-in
    /// it made, if any, is withdrawn in the same transaction that forgets
    /// it. Only in the room it was made in, and only by the member who
    /// reacted or someone allowed to remove others' messages there.
    pub async fn on_reaction_removed(
        &self,
        platform: &str,
        reaction_id: &str,
        withdrawal: Withdrawal<'_>,
    ) -> Result<ReactionOutcome> {
        let (platform, reaction_id, by, by_moderator) = (
            platform.to_string(),
            reaction_id.to_string(),
            withdrawal.by.to_string(),
            withdrawal.by_moderator,
        );
        let room = withdrawal.room.map(str::to_string);
        self.record(move |c, content, now| {
            let withdrawal = Withdrawal {
                by: &by,
                by_moderator,
                room: room.as_deref(),
            };
            match reaction_events::find(c, &platform, &reaction_id)? {
                Some(reaction)
                    if withdrawal.allows(&reaction.user_id, reaction.room.as_deref()) => {}
                Some(_) => return Ok(ReactionOutcome::Ignored),
                None => return withdraw_held(c, &platform, &reaction_id, &withdrawal),
            }
            let Some(reaction) = reaction_events::take(c, &platform, &reaction_id)? else {
                return Ok(ReactionOutcome::Ignored);
            };
            let Some(kind) = CheckInKind::from_emoji(&reaction.emoji) else {
                return Ok(ReactionOutcome::Ignored);
            };
            let event = ReactionEvent {
                platform: platform.clone(),
                message_id: reaction.message_id,
                user_id: reaction.user_id,
                display_name: None,
                emoji: reaction.emoji,
                added: false,
                reaction_id: Some(reaction_id.clone()),
                room: None,
            };
            apply(c, content, &event, kind, Via::Reaction, now)
        })
        .await
    }

    /// Runs `work` in one transaction, and wakes the engine if it did anything.
    async fn record(
        &self,
        work: impl Fn(&dyn Conn, &Content, DateTime<Utc>) -> Result<ReactionOutcome> + Send + 'static,
    ) -> Result<ReactionOutcome> {
        let (now, content) = (self.now(), self.content());
        let writing = self.write_turn().await;
        let outcome = self
            .db()
            .call(move |c| {
                let tx = c.transaction()?;
                let outcome = work(&tx, &content, now)?;
                tx.commit()?;
                Ok(outcome)
            })
            .await;
        drop(writing);
        let outcome = outcome?;
        if outcome.changed() {
            self.wake();
        }
        Ok(outcome)
    }
}

/// A reaction on one of the bot's messages, in the transaction that
/// records it. Check-ins are remembered by the reaction's own id, so a
/// later removal can withdraw them; one on a message not yet recorded as
/// the bot's waits for it (see [`early_reactions`](super::early_reactions)).
pub(super) fn apply_reaction(
    c: &dyn Conn,
    content: &Content,
    event: &ReactionEvent,
    kind: CheckInKind,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let Some(delivery) = deliveries::find_by_message(c, &event.platform, &event.message_id)? else {
        return super::early_reactions::hold_or_withdraw(c, event, kind, now);
    };
    let outcome = apply_to(c, content, event, &delivery, kind, Via::Reaction, now)?;
    if let (Some(reaction_id), true, true) = (
        &event.reaction_id,
        event.added,
        outcome != ReactionOutcome::Ignored,
    ) {
        let reaction = reaction_events::Reaction {
            platform: &event.platform,
            reaction_id,
            message_id: &event.message_id,
            user_id: &event.user_id,
            emoji: &event.emoji,
            room: event.room.as_deref(),
        };
        reaction_events::remember(c, &reaction, now)?;
    }
    Ok(outcome)
}

fn apply(
    c: &dyn Conn,
    content: &Content,
    event: &ReactionEvent,
    kind: CheckInKind,
    via: Via,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    match deliveries::find_by_message(c, &event.platform, &event.message_id)? {
        Some(delivery) => apply_to(c, content, event, &delivery, kind, via, now),
        None => Ok(ReactionOutcome::Ignored),
    }
}

fn apply_to(
    c: &dyn Conn,
    content: &Content,
    event: &ReactionEvent,
    delivery: &Delivery,
    kind: CheckInKind,
    via: Via,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    match &delivery.recipient {
        Recipient::Member(_) => apply_in_dm(c, content, event, delivery, kind, via, now),
        Recipient::Channel(_) => apply_in_group(c, content, event, delivery, kind, via, now),
    }
}

/// The session and step a check-in is on; a button on an ended session
/// says so, a reaction there is simply ignored.
fn session_step(
    c: &dyn Conn,
    delivery: &Delivery,
    via: Via,
) -> Result<Result<(Session, u32), ReactionOutcome>> {
    Ok(match open_session_step(c, delivery)? {
        Some(found) => Ok(found),
        None if via == Via::Button && delivery.session_id.is_some() => {
            Err(ReactionOutcome::SessionOver)
        }
        None => Err(ReactionOutcome::Ignored),
    })
}

/// In a DM only the member it was sent to counts.
fn apply_in_dm(
    c: &dyn Conn,
    content: &Content,
    event: &ReactionEvent,
    delivery: &Delivery,
    kind: CheckInKind,
    via: Via,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let Some(user) = users::find(c, &event.platform, &event.user_id)? else {
        return Ok(ReactionOutcome::Ignored);
    };
    if delivery.recipient != Recipient::Member(user.id) {
        return Ok(ReactionOutcome::Ignored);
    }
    match (delivery.kind, kind, event.added) {
        (Kind::Disclaimer, CheckInKind::Done, true) => {
            super::disclaimer::agree(c, &user, now)?;
            return Ok(ReactionOutcome::Agreed);
        }
        (Kind::Exercise, _, _) => {}
        _ => return Ok(ReactionOutcome::Ignored),
    }
    let (session, step) = match session_step(c, delivery, via)? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let check_in = CheckIn {
        session: &session,
        step,
        user: &user,
        kind,
        added: event.added,
        via,
    };
    record_check_in(c, content, &check_in, now)
}

/// In a group channel anyone's reaction is their own check-in, and makes
/// them part of the group.
fn apply_in_group(
    c: &dyn Conn,
    content: &Content,
    event: &ReactionEvent,
    delivery: &Delivery,
    kind: CheckInKind,
    via: Via,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    // A reaction made in another room (a relation to this message sent
    // from elsewhere) is not a check-in with this group.
    if delivery.kind != Kind::Exercise
        || event
            .room
            .as_ref()
            .is_some_and(|room| delivery.recipient != Recipient::Channel(room.clone()))
    {
        return Ok(ReactionOutcome::Ignored);
    }
    let (session, step) = match session_step(c, delivery, via)? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let Some(group_id) = session.group_id else {
        return Ok(ReactionOutcome::Ignored);
    };
    // The name the group shows is the group's own: a server nickname does
    // not rename the member in DMs or in other servers' groups.
    let user = match users::find(c, &event.platform, &event.user_id)? {
        Some(user) => user,
        None if !event.added => return Ok(ReactionOutcome::Ignored),
        None => {
            let name = event.display_name.as_deref().unwrap_or(&event.user_id);
            users::upsert(c, &event.platform, &event.user_id, name, now)?
        }
    };
    if event.added {
        groups::join(c, group_id, user.id, event.display_name.as_deref(), now)?;
    }
    let check_in = CheckIn {
        session: &session,
        step,
        user: &user,
        kind,
        added: event.added,
        via,
    };
    record_check_in(c, content, &check_in, now)
}

/// The session and step a reaction is on, if check-ins still count there:
/// late check-ins count until the owner's next session starts.
fn open_session_step(c: &dyn Conn, delivery: &Delivery) -> Result<Option<(Session, u32)>> {
    let (Some(session_id), Some(step)) = (delivery.session_id, delivery.step) else {
        return Ok(None);
    };
    let session = sessions::get(c, session_id)?;
    let latest = sessions::latest_started(c, session.owner()?)?;
    if latest.as_ref().map(|s| s.id) != Some(session.id) {
        return Ok(None);
    }
    Ok(Some((session, step)))
}

/// Pain reported by command (`pain 6` with no 🤕 first) on exercise `step`
/// of the member's own session: the same check-in, advice and stop as a 🤕.
pub fn report_pain(
    c: &dyn Conn,
    content: &Content,
    session: &Session,
    step: u32,
    user: &User,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let check_in = CheckIn {
        session,
        step,
        user,
        kind: CheckInKind::Pain,
        added: true,
        via: Via::Reaction,
    };
    record_check_in(c, content, &check_in, now)
}

/// A member's check-in on one step of a session, or its withdrawal.
struct CheckIn<'a> {
    session: &'a Session,
    step: u32,
    user: &'a User,
    kind: CheckInKind,
    /// `false`: the reaction was taken back.
    added: bool,
    via: Via,
}

/// Records a check-in (or its withdrawal) and what follows from it: advice
/// and a stop after pain, the next exercise of a member's own session.
fn record_check_in(
    c: &dyn Conn,
    content: &Content,
    check_in: &CheckIn<'_>,
    now: DateTime<Utc>,
) -> Result<ReactionOutcome> {
    let &CheckIn {
        session,
        step,
        user,
        kind,
        added,
        via,
    } = check_in;
    if via == Via::Button {
        // The latest press is the member's answer: a double click changes
        // nothing, another button replaces the earlier choice.
        let earlier = check_ins::of_session_for_user(c, session.id, user.id)?
            .remove(&step)
            .unwrap_or_default();
        for other in earlier.iter().filter(|k| **k != kind) {
            check_ins::withdraw(c, session.id, step, user.id, *other)?;
        }
        if earlier.contains(&kind) {
            return Ok(ReactionOutcome::Unchanged(kind));
        }
    }
    if !added {
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
    let is_group = session.group_id.is_some();
    let on_current_step = session.status == Status::Running && session.current_step == step;
    if kind == CheckInKind::Pain {
        session_flow::advise_on_pain(c, content, session, user, step, now)?;
        if session.status == Status::Running && !is_group {
            // Stop for today: no more exercises after pain.
            session_flow::close(c, content, session, user, true, now)?;
        }
    } else if on_current_step && !is_group {
        // A group keeps its fixed pace; a member's own session moves on.
        session_flow::advance(c, content, session, now)?;
    }
    Ok(ReactionOutcome::Recorded(kind))
}

/// Who withdraws a reaction, and where (see [`Engine::on_reaction_removed`]).
#[derive(Debug, Clone, Copy)]
pub struct Withdrawal<'a> {
    pub by: &'a str,
    /// `by` may remove others' messages in that room.
    pub by_moderator: bool,
    /// The room the withdrawal happened in, when the platform says.
    pub room: Option<&'a str>,
}

impl Withdrawal<'_> {
    /// Whether it may take back `user_id`'s reaction made in `room`: only
    /// from its own room (one remembered without a room matches any), by
    /// its sender or a moderator.
    pub(super) fn allows(&self, user_id: &str, room: Option<&str>) -> bool {
        (user_id == self.by || self.by_moderator) && (room.is_none() || room == self.room)
    }
}
