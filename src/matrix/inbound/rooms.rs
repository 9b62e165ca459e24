//! Rooms the bot is asked into and rooms that change: invites (who may
//! bring the bot where), members arriving and leaving (when a DM stops being
//! private, when the bot leaves), and the room helpers the rest uses.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::room::{Room, RoomMember};
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::room::member::{
    MembershipState, OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent,
};
use matrix_sdk::{RoomMemberships, RoomState};

use super::{Inbound, stored};
use crate::matrix::PLATFORM;
use crate::matrix::platform::is_private;
use crate::retry::Backoff;

/// What the room's own power levels must allow a member, for the bot to act.
#[derive(Debug, Clone, Copy)]
pub(super) enum Power {
    /// Bring the bot into a shared room and run a group there: the level
    /// the room asks for changing its state (`state_default`, 50 unless the
    /// room says otherwise).
    ManageGroup,
    /// Withdraw someone else's check-in: the room's `redact` level.
    RedactOthers,
}

/// A state event type no one sends: asking for it gives the room's
/// `state_default`.
const GROUP_STATE: &str = "org.upright.group";

/// Whether the room's power levels let `user` do `what` (a room of
/// version 12 or later counts its creators above all). Just after joining,
/// the room's state comes with the next sync: it is waited for, a while.
/// Levels the bot cannot learn allow nothing.
pub(super) async fn may(room: &Room, user: &UserId, what: Power) -> bool {
    let mut tries = 0;
    let levels = loop {
        match room.power_levels().await {
            Ok(levels) => break levels,
            Err(error) if tries < STATE_TRIES => {
                tracing::debug!(room = %room.room_id(), "waiting for the room's power levels: {error}");
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => {
                tracing::warn!(room = %room.room_id(), "the room's power levels are unknown: {error}");
                return false;
            }
        }
    };
    match what {
        Power::ManageGroup => levels.user_can_send_state(user, StateEventType::from(GROUP_STATE)),
        Power::RedactOthers => levels.user_can_redact_event_of_other(user),
    }
}

/// How many times (every half second) a new room's state is waited for.
const STATE_TRIES: u32 = 40;

impl Inbound {
    /// An invite for the bot. A direct invite makes the room the inviter's
    /// DM at once (recorded before joining, so the member's first command
    /// already finds it): the bot's `m.direct` account data is not reliable
    /// when many members open DMs at the same time.
    ///
    /// Who may invite it: anyone on an allowed server into a direct chat;
    /// into any other room, only a moderator of that room (checked once
    /// joined, when the room's power levels are known). Past the room limit
    /// every invite is declined.
    pub(super) fn on_invite(&self, event: StrippedRoomMemberEvent, room: Room) {
        if event.state_key != self.own || event.content.membership != MembershipState::Invite {
            return;
        }
        let inviter = event.sender.clone();
        let (from, own) = (
            inviter.server_name().as_str(),
            self.own.server_name().as_str(),
        );
        let refusal = if !self.allowed_servers.allows(from, own) {
            Some("the inviter's server is not in MATRIX_ALLOWED_SERVERS")
        } else if room.client().joined_rooms().len() >= self.room_limit {
            Some("the bot is in MATRIX_ROOM_LIMIT rooms already")
        } else {
            None
        };
        if let Some(reason) = refusal {
            tracing::info!(room = %room.room_id(), %inviter, "declining an invite: {reason}");
            tokio::spawn(async move { decline(&room).await });
            return;
        }
        let direct = event.content.is_direct == Some(true);
        let engine = self.engine.clone();
        let hold = self.checkpoints.hold();
        tokio::spawn(async move {
            if direct {
                let (user, room_id) = (inviter.to_string(), room.room_id().to_string());
                stored("remember a direct chat", || {
                    engine.remember_dm(PLATFORM, &user, inviter.localpart(), &room_id)
                })
                .await;
            }
            drop(hold); // Joining is asked again by the next sync if it fails.
            if !join_with_retry(&room).await || direct {
                return;
            }
            if !may(&room, &inviter, Power::ManageGroup).await {
                tracing::info!(room = %room.room_id(), %inviter, "leaving a room its inviter does not moderate");
                leave(&room).await;
            }
        });
    }

    /// Someone joined or was invited: a DM with a third member is no longer
    /// private, so personal messages move to a new one.
    /// When the last member leaves, the bot leaves too: a room with only
    /// the bot in it is of no use, and costs a sync entry forever.
    pub(super) async fn on_membership(
        self: Arc<Self>,
        event: OriginalSyncRoomMemberEvent,
        room: Room,
    ) {
        if event.state_key == self.own {
            return;
        }
        let arriving = matches!(
            event.content.membership,
            MembershipState::Join | MembershipState::Invite
        );
        let room_id = room.room_id().to_string();
        let engine = self.engine.clone();
        self.queue(&room_id.clone(), async move {
                if !arriving {
                    if room.state() == RoomState::Joined && is_alone(&room).await {
                        tracing::info!(room = %room_id, "everyone else left; leaving too");
                        leave(&room).await;
                        stored("forget a DM", || engine.forget_dm(PLATFORM, &room_id)).await;
                    }
                    return;
                }
                if is_private(&room).await {
                    return;
                }
                let forgotten = stored("forget a DM", || engine.forget_dm(PLATFORM, &room_id)).await;
                if forgotten.is_some_and(|rooms| rooms > 0) {
                    tracing::info!(room = %room_id, "a DM gained a member; it is no longer used for personal messages");
                }
            })
            .await;
    }
}

/// Only the bot is left, joined or invited.
pub(super) async fn is_alone(room: &Room) -> bool {
    let counted = room.active_members_count();
    if counted > 0 {
        return counted <= 1;
    }
    room.members_no_sync(RoomMemberships::ACTIVE)
        .await
        .is_ok_and(|members| members.len() <= 1)
}

/// Rejects an invite. Asked of the homeserver directly: while the invite
/// is being handled, the room may not count as invited yet, and matrix-sdk
/// leaves only rooms it knows as joined or invited.
pub(super) async fn decline(room: &Room) {
    use matrix_sdk::ruma::api::client::membership::leave_room;
    let request = leave_room::v3::Request::new(room.room_id().to_owned());
    if let Err(error) = room.client().send(request).await {
        tracing::warn!(room = %room.room_id(), "cannot decline an invite: {error}");
    }
}

pub(super) async fn leave(room: &Room) {
    if let Err(error) = room.leave().await {
        tracing::warn!(room = %room.room_id(), "cannot leave: {error}");
    }
}

/// The sender as the room knows them (display name, power level), if known.
/// A sender's membership comes with their events, so the homeserver is
/// asked only when it did not.
pub(super) async fn room_member(room: &Room, user: &UserId) -> Option<RoomMember> {
    if let Ok(Some(member)) = room.get_member_no_sync(user).await {
        return Some(member);
    }
    match room.get_member(user).await {
        Ok(member) => member,
        Err(error) => {
            tracing::warn!(room = %room.room_id(), "cannot look up a room member: {error}");
            None
        }
    }
}

/// Joins an invited room, retrying a while; `false` if it never worked.
pub(super) async fn join_with_retry(room: &Room) -> bool {
    let mut pauses = Backoff::new(Duration::from_secs(1), Duration::from_secs(60)).start();
    for attempt in 1..=8 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined after an invite");
                // Learn now whether the room is encrypted, so the first
                // answer in it does not have to ask first.
                if let Err(error) = room.latest_encryption_state().await {
                    tracing::debug!(room = %room.room_id(), "encryption state unknown: {error}");
                }
                return true;
            }
            Err(error) => {
                tracing::warn!(room = %room.room_id(), attempt, "cannot join yet: {error}");
                tokio::time::sleep(pauses.failed()).await;
            }
        }
    }
    tracing::error!(room = %room.room_id(), "gave up joining after an invite");
    false
}
