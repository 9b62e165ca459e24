//! Where a platform's event stream resumes after a restart (see
//! [`Checkpoints`](crate::checkpoint::Checkpoints) for when it is saved).

use super::Engine;
use crate::store::{Result, stream_positions};

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
}
