//! The disclaimer a member agrees to before their first session: written
//! once to their DM with ✅ under it, or carried by an answer that said it;
//! agreeing schedules the first session.

use crate::store::sql::Conn;
use chrono::{DateTime, Utc};

use super::render;
use crate::check_in::CheckInKind;
use crate::content::Content;
use crate::store::Result;
use crate::store::deliveries::{self, Kind, NewDelivery, Recipient, priority};
use crate::store::subscriptions::{self, State};
use crate::store::users::{self, User};

/// Writes the disclaimer to a member's DM, with ✅ to agree.
pub fn send_disclaimer(
    c: &dyn Conn,
    content: &Content,
    user: &User,
    now: DateTime<Utc>,
) -> Result<()> {
    let key = disclaimer_key(user.id);
    if !deliveries::enqueue(c, &disclaimer_delivery(content, user, now))? {
        // Sent before; if that failed (DMs were closed), try again now.
        deliveries::retry_failed(c, &key, now)?;
    }
    Ok(())
}

/// Whether the member has been sent the disclaimer, or it is on its way.
pub fn disclaimer_known(c: &dyn Conn, user: &User) -> Result<bool> {
    Ok(deliveries::find_by_key(c, &disclaimer_key(user.id))?.is_some())
}

/// Records an answer that carried the disclaimer (`message_id`, already in
/// the member's DM) as the member's disclaimer: ✅ on it agrees, and the
/// outbox adds that ✅ as it does on a disclaimer of its own.
pub fn disclaimer_answered(
    c: &dyn Conn,
    content: &Content,
    user: &User,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    deliveries::enqueue(c, &disclaimer_delivery(content, user, now))?;
    if let Some(delivery) = deliveries::find_by_key(c, &disclaimer_key(user.id))?
        && delivery.platform_message_id.is_none()
    {
        deliveries::mark_sent(c, delivery.id, message_id, now)?;
    }
    Ok(())
}

fn disclaimer_key(user_id: i64) -> String {
    format!("user{user_id}/disclaimer")
}

fn disclaimer_delivery(content: &Content, user: &User, now: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        key: disclaimer_key(user.id),
        platform: user.platform.clone(),
        recipient: Recipient::Member(user.id),
        session_id: None,
        kind: Kind::Disclaimer,
        step: None,
        priority: priority::URGENT,
        message: render::disclaimer(user.language(), content),
        reactions: vec![CheckInKind::Done.emoji().to_string()],
        due_at: now,
    }
}

/// Records the disclaimer's acknowledgement and, if the member has an active
/// subscription waiting for it, schedules the first session.
pub(crate) fn agree(
    c: &dyn Conn,
    user: &User,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    users::agree(c, user.id, now)?;
    let Some(subscription) = subscriptions::for_user(c, user.id)? else {
        return Ok(None);
    };
    if subscription.state != State::Active {
        return Ok(None);
    }
    if subscription.next_run_at.is_some() {
        return Ok(subscription.next_run_at);
    }
    let next = subscription.schedule.next_after(now).map(|o| o.at);
    subscriptions::set_next_run(c, subscription.id, next)?;
    Ok(next)
}
