//! Members' direct channels, as the platforms report them: a DM the member
//! opened with the bot, and a DM that stopped being private.

use super::Engine;
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

    /// The member's DM, if one is known.
    pub async fn dm_of(&self, platform: &str, user_id: &str) -> Result<Option<String>> {
        let (platform, user_id) = (platform.to_string(), user_id.to_string());
        self.db()
            .call(move |c| Ok(users::find(c, &platform, &user_id)?.and_then(|u| u.dm_target)))
            .await
    }
}
