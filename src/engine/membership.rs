//! Who is still in a group's channel or room, asked of the platform outside
//! the engine pass. A big group takes thousands of lookups, and nobody's
//! session may wait for them: a due nudge or summary that names members
//! waits (within its grace window) until its group has been checked
//! recently, while the check runs in the background and wakes the loop
//! when it is done.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Semaphore, watch};

use super::groups::{Whom, members_to_check};
use super::{Engine, SendError};
use crate::store::Result;
use crate::store::groups;

/// A check this recent is good enough to name members by.
pub const MEMBERSHIP_TTL: Duration = Duration::minutes(15);

/// Groups checked at once: each one keeps [`LOOKUPS_AT_ONCE`] requests in
/// flight, and the platform's rate limits are shared with everyone's sends.
const GROUPS_AT_ONCE: usize = 2;

/// Lookups in flight for one group.
const LOOKUPS_AT_ONCE: usize = 8;

/// The background checks: when each group was last checked, and which are
/// being checked now (watched, for [`Engine::membership_settled`]).
pub(super) struct Membership {
    checked: Mutex<HashMap<i64, DateTime<Utc>>>,
    running: watch::Sender<HashSet<i64>>,
    slots: Arc<Semaphore>,
}

impl Default for Membership {
    fn default() -> Membership {
        Membership {
            checked: Mutex::default(),
            running: watch::Sender::new(HashSet::new()),
            slots: Arc::new(Semaphore::new(GROUPS_AT_ONCE)),
        }
    }
}

impl Engine {
    fn membership(&self) -> &Membership {
        &self.inner.membership
    }

    /// Whether the group's members were checked within [`MEMBERSHIP_TTL`].
    /// If not, a check starts in the background (once, however often this
    /// is asked) and the loop is woken when it ends.
    pub(super) fn membership_is_current(&self, group_id: i64, whom: Whom) -> bool {
        let now = self.now();
        let checked = lock(&self.membership().checked).get(&group_id).copied();
        if checked.is_some_and(|at| now - at < MEMBERSHIP_TTL && at <= now) {
            return true;
        }
        let started = self
            .membership()
            .running
            .send_if_modified(|running| running.insert(group_id));
        if !started {
            return false;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            let slots = engine.membership().slots.clone();
            // The semaphore is never closed, so a permit always comes.
            let _slot = slots.acquire_owned().await.ok();
            if let Err(error) = engine.refresh_members(group_id, whom).await {
                // The post goes ahead with the members the store knows.
                tracing::warn!(
                    group = group_id,
                    "cannot refresh the group's members: {error}"
                );
            }
            let membership = engine.membership();
            lock(&membership.checked).insert(group_id, engine.now());
            membership.running.send_modify(|running| {
                running.remove(&group_id);
            });
            engine.wake();
        });
        false
    }

    /// The groups being checked now.
    pub(super) fn membership_being_checked(&self) -> Vec<i64> {
        self.membership().running.borrow().iter().copied().collect()
    }

    /// Resolves once no membership check is running: for callers that
    /// do all due work before returning ([`Engine::run_due`]).
    pub(super) async fn membership_settled(&self) -> bool {
        let mut running = self.membership().running.subscribe();
        let waited = !running.borrow().is_empty();
        // The sender lives in the engine, which `self` keeps alive.
        let _settled = running.wait_for(HashSet::is_empty).await;
        waited
    }

    /// Asks the platform whether the chosen members are still in the
    /// group's channel or room; those who left drop out. A platform that
    /// cannot answer right now changes nothing; an account it cannot look up
    /// at all is skipped.
    pub async fn refresh_members(&self, group_id: i64, whom: Whom) -> Result<()> {
        let content = self.content();
        let (group, members) = self
            .db()
            .call(move |c| {
                let group = groups::get(c, group_id)?;
                let members = members_to_check(c, &content, &group, whom)?;
                Ok((group, members))
            })
            .await?;
        let Some(platform) = self.platform(&group.platform) else {
            return Ok(());
        };
        let enough = match whom {
            Whom::Top(count) => count,
            Whom::ActiveSince(_) => usize::MAX,
        };
        let (mut present, mut left) = (0, Vec::new());
        // A few at a time, in leaderboard order, so `Top` stops early.
        'chunks: for chunk in members.chunks(LOOKUPS_AT_ONCE) {
            let mut lookups = tokio::task::JoinSet::new();
            for (index, member) in chunk.iter().enumerate() {
                let (platform, channel) = (platform.clone(), group.channel_id.clone());
                let user = member.platform_user_id.clone();
                lookups.spawn(async move {
                    let lookup = platform.is_member(&channel, &user);
                    let answer = tokio::time::timeout(super::outbox::SEND_TIMEOUT, lookup)
                        .await
                        .unwrap_or_else(|_| Err(SendError::Transient("no answer".into())));
                    (index, answer)
                });
            }
            let mut answers = lookups.join_all().await;
            answers.sort_by_key(|(index, _)| *index);
            for (index, answer) in answers {
                if present >= enough {
                    break 'chunks;
                }
                let member = &chunk[index];
                match answer {
                    Ok(true) => present += 1,
                    Ok(false) => left.push(member.id),
                    Err(SendError::Rejected(error)) => {
                        tracing::warn!(
                            group = group_id,
                            member = member.id,
                            "cannot look this member up: {error}"
                        );
                    }
                    Err(error) => {
                        tracing::warn!(
                            group = group_id,
                            "cannot check who is in the group now: {error}"
                        );
                        break 'chunks;
                    }
                }
            }
        }
        self.drop_out(group_id, left).await
    }

    /// Records that `left` are no longer in the group.
    async fn drop_out(&self, group_id: i64, left: Vec<i64>) -> Result<()> {
        if left.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let count = left.len();
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                for user_id in &left {
                    groups::leave(&tx, group_id, *user_id, now)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await?;
        tracing::info!(
            group = group_id,
            count,
            "members who left the channel dropped out"
        );
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
