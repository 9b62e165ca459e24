//! Members' direct channels, as the platforms report them: a DM the member
//! opened with the bot, and a DM that stopped being private.

use super::{Engine, disclaimer};
use crate::store::{Result, users};

impl Engine {
    /// `user_id` opened `dm` as a direct chat with the bot: their personal
    /// messages go there from now on.
    pub async fn remember_dm(
        &self,
        platform: &str,
        user_id: &str,
        display_name: &str,
        dm: &str,
    ) -> Result<()> {
        let (platform, user_id) = (platform.to_string(), user_id.to_string());
        let (name, dm, now) = (display_name.to_string(), dm.to_string(), self.now());
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                let user = users::upsert(&tx, &platform, &user_id, &name, now)?;
                users::set_dm_target(&tx, user.id, &dm)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    /// Someone else is in `dm` now, so it is nobody's private DM any more:
    /// the next personal message opens a new one.
    pub async fn forget_dm(&self, platform: &str, dm: &str) -> Result<usize> {
        let (platform, dm) = (platform.to_string(), dm.to_string());
        self.db()
            .call(move |c| users::forget_dm_target(c, &platform, &dm))
            .await
    }

    /// An answer that carried the disclaimer (see
    /// [`Conventions::answer_carries_disclaimer`](crate::conventions::Conventions::answer_carries_disclaimer))
    /// reached the member's DM as `message_id`, which now counts as their
    /// disclaimer. `None`: it could not be sent, so the disclaimer goes out
    /// on its own, as it does everywhere else.
    pub async fn disclaimer_answered(
        &self,
        platform: &str,
        user_id: &str,
        message_id: Option<&str>,
    ) -> Result<()> {
        let (platform, user_id) = (platform.to_string(), user_id.to_string());
        let message_id = message_id.map(str::to_string);
        let (content, now) = (self.content(), self.now());
        self.db()
            .call(move |c| {
                let tx = c.transaction()?;
                if let Some(user) = users::find(&tx, &platform, &user_id)? {
                    match &message_id {
                        Some(id) => disclaimer::disclaimer_answered(&tx, &content, &user, id, now)?,
                        None => disclaimer::send_disclaimer(&tx, &content, &user, now)?,
                    }
                }
                tx.commit()?;
                Ok(())
            })
            .await?;
        self.wake(); // The outbox adds the ✅, or sends the disclaimer.
        Ok(())
    }

    /// The member's DM, if one is known.
    pub async fn dm_of(&self, platform: &str, user_id: &str) -> Result<Option<String>> {
        let (platform, user_id) = (platform.to_string(), user_id.to_string());
        self.db()
            .call(move |c| Ok(users::find(c, &platform, &user_id)?.and_then(|u| u.dm_target)))
            .await
    }
}
