//! Reading members' histories from the database (the rules over them are
//! in [`coaching`](crate::coaching)): one member's, or a whole batch's at
//! once for the sessions that start together.

use std::collections::HashMap;

use crate::coaching::History;
use crate::store::check_ins::{self, MemberCheckIns};
use crate::store::sessions::{self, Owner, Session};
use crate::store::sql::Conn;
use crate::store::subscriptions::Subscription;
use crate::store::users::{self, User};
use crate::store::{Result, StoreError};

impl History {
    /// A member's history in their own sessions (a subscription) or in a group's.
    pub fn load(c: &dyn Conn, owner: Owner, user_id: i64) -> Result<History> {
        let sessions = sessions::for_owner(c, owner)?;
        Ok(History::of(sessions, check_ins::of_member(c, user_id)?))
    }

    /// A history from what was read of it.
    pub fn of(sessions: Vec<Session>, check_ins: MemberCheckIns) -> History {
        History {
            sessions: sessions.into(),
            check_ins: check_ins.by_session,
            pain_scores: check_ins.pain_scores,
        }
    }
}

/// The members of a batch of due subscriptions and their histories, read
/// in three statements for the whole batch rather than four for each
/// session (on PostgreSQL each is a round trip to the server).
#[derive(Default)]
pub struct DueMembers {
    users: HashMap<i64, User>,
    sessions: HashMap<i64, Vec<Session>>,
    check_ins: HashMap<i64, MemberCheckIns>,
}

impl DueMembers {
    pub fn load(c: &dyn Conn, due: &[Subscription]) -> Result<DueMembers> {
        if due.is_empty() {
            return Ok(DueMembers::default()); // the usual pass: nothing to read
        }
        let subscription_ids: Vec<i64> = due.iter().map(|s| s.id).collect();
        let user_ids: Vec<i64> = due.iter().map(|s| s.user_id).collect();
        Ok(DueMembers {
            users: users::get_many(c, &user_ids)?,
            sessions: sessions::for_subscriptions(c, &subscription_ids)?,
            check_ins: check_ins::of_members(c, &user_ids)?,
        })
    }

    /// The member of `subscription`.
    pub fn user(&self, subscription: &Subscription) -> Result<&User> {
        self.users.get(&subscription.user_id).ok_or_else(|| {
            StoreError::Corrupt(format!("there is no member {}", subscription.user_id))
        })
    }

    /// The history of `subscription`'s member in it, as the batch read it.
    pub fn history(&self, subscription: &Subscription) -> History {
        History::of(
            self.sessions
                .get(&subscription.id)
                .cloned()
                .unwrap_or_default(),
            self.check_ins
                .get(&subscription.user_id)
                .cloned()
                .unwrap_or_default(),
        )
    }
}
