//! Where a platform's event stream resumes after a restart (see
//! [`Checkpoints`](crate::checkpoint::Checkpoints) for when it is saved),
//! and which of the commands it hands over again were answered already.

use super::Engine;
use crate::store::{Result, answered_commands, stream_positions};

impl Engine {
    /// The position `platform`'s stream was last saved at, if any.
    pub async fn stream_position(&self, platform: &str) -> Result<Option<String>> {
        let platform = platform.to_string();
        self.db()
            .call(move |c| stream_positions::get(c, &platform))
            .await
    }

    /// Every event before `position` has been handled: a restart resumes there.
    pub async fn save_stream_position(&self, platform: &str, position: &str) -> Result<()> {
        let (platform, position, now) = (platform.to_string(), position.to_string(), self.now());
        self.db()
            .call(move |c| stream_positions::save(c, &platform, &position, now))
            .await
    }

    /// Whether the command with this event id was answered, by this
    /// process or another replica before it took over.
    pub async fn was_answered(&self, platform: &str, command_id: &str) -> Result<bool> {
        let (platform, command_id) = (platform.to_string(), command_id.to_string());
        self.db()
            .call(move |c| answered_commands::contains(c, &platform, &command_id))
            .await
    }

    /// The command with this event id has its answer.
    pub async fn answered(&self, platform: &str, command_id: &str) -> Result<()> {
        let (platform, command_id, now) =
            (platform.to_string(), command_id.to_string(), self.now());
        self.db()
            .call(move |c| answered_commands::record(c, &platform, &command_id, now))
            .await
    }
}
