//! Check-ins by reaction: a reaction on one of the bot's messages, and a
//! redaction that withdraws one.

use std::sync::Arc;

use matrix_sdk::room::Room;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;

use super::rooms::{Power, may, room_member};
use super::{Inbound, stored};
use crate::check_in::CheckInKind;
use crate::engine::{ReactionEvent, Withdrawal};
use crate::matrix::PLATFORM;

impl Inbound {
    /// Check-ins count whenever they were made, the bot running or not:
    /// the first sync after a restart brings those made while it was down,
    /// and recording one twice changes nothing.
    pub(super) async fn on_reaction(self: Arc<Self>, event: OriginalSyncReactionEvent, room: Room) {
        tracing::debug!(event = %event.event_id, room = %room.room_id(), "reaction received");
        if event.sender == self.own
            || CheckInKind::from_emoji(&event.content.relates_to.key).is_none()
        {
            return;
        }
        let key = room.room_id().to_string();
        let this = Arc::clone(&self);
        self.queue(&key, async move { this.check_in(event, room).await })
            .await;
    }

    pub(super) async fn check_in(&self, event: OriginalSyncReactionEvent, room: Room) {
        let name = room_member(&room, &event.sender)
            .await
            .map(|m| m.name().to_string());
        let relation = &event.content.relates_to;
        let reaction = ReactionEvent {
            platform: PLATFORM.to_string(),
            message_id: relation.event_id.to_string(),
            user_id: event.sender.to_string(),
            display_name: name,
            emoji: relation.key.clone(),
            added: true,
            reaction_id: Some(event.event_id.to_string()),
            room: Some(room.room_id().to_string()),
        };
        stored("record a reaction", || {
            self.engine.on_reaction(reaction.clone())
        })
        .await;
    }

    /// A redacted reaction withdraws its check-in (also when redacted while
    /// the bot was down), if its own sender or a moderator redacted it.
    pub(super) async fn on_redaction(
        self: Arc<Self>,
        event: OriginalSyncRoomRedactionEvent,
        room: Room,
    ) {
        if event.sender == self.own {
            return;
        }
        let rules = room.clone_info().room_version_rules_or_default().redaction;
        let redacted = event.redacts(&rules).to_string();
        let sender = event.sender.clone();
        let key = room.room_id().to_string();
        let engine = self.engine.clone();
        self.queue(&key, async move {
            // Someone else's redaction counts when they may redact in this room.
            let moderator = may(&room, &sender, Power::RedactOthers).await;
            let (by, room_id) = (sender.to_string(), room.room_id().to_string());
            let withdrawal = Withdrawal {
                by: &by,
                by_moderator: moderator,
                room: Some(&room_id),
            };
            stored("withdraw a reaction", || {
                engine.on_reaction_removed(PLATFORM, &redacted, withdrawal)
            })
            .await;
        })
        .await;
    }
}
