//! Work an answer needs after its transaction: pictures drawn and rankings
//! made on the blocking pool, and the group's members checked before a
//! leaderboard.

use std::sync::Arc;

use crate::content::Content;
use crate::engine::Engine;
use crate::i18n::Language;
use crate::message::Reply;
use crate::tr;

/// A drawn picture as the reply's attachment, or an apology in `lang`.
fn attach(
    drawn: Result<crate::message::Attachment, crate::progress::ProgressError>,
    mut reply: Reply,
    lang: Language,
) -> Result<Reply, String> {
    match drawn {
        Ok(attachment) => {
            reply.attachment = Some(attachment);
            Ok(reply)
        }
        Err(error) => {
            tracing::error!("{error}");
            Err(tr!(lang, "cmd-picture-failed"))
        }
    }
}

/// Work an answer needs done after the database connection is released,
/// on the blocking pool, so a drawing or a ranking never holds up other
/// members' commands and the engine.
pub(crate) enum Later {
    /// The progress picture, to draw and attach.
    Picture(crate::progress::Picture),
    /// The trends picture, to draw and attach.
    Trends(crate::trends::Trends),
    /// A group's record, to rank into the leaderboard, in the group's
    /// language (the board is posted for the whole channel).
    Leaderboard(crate::engine::groups::GroupRecord, Language),
}

impl Later {
    /// Does the work; an apology, if any, is in `lang` (the member's).
    pub(super) async fn finish(
        self,
        content: Arc<Content>,
        reply: Reply,
        lang: Language,
    ) -> Result<Reply, String> {
        let done =
            tokio::task::spawn_blocking(move || self.finish_now(&content, reply, lang)).await;
        done.unwrap_or_else(|error| {
            tracing::error!("an answer's work failed: {error}");
            Err(tr!(lang, "cmd-work-failed"))
        })
    }

    pub(super) fn finish_now(
        self,
        content: &Content,
        mut reply: Reply,
        lang: Language,
    ) -> Result<Reply, String> {
        match self {
            Later::Picture(picture) => attach(picture.draw(), reply, lang),
            Later::Trends(trends) => attach(trends.draw(), reply, lang),
            Later::Leaderboard(record, group_lang) => {
                use crate::engine::groups::{LEADERBOARD_SIZE, rank};
                let rows: Vec<_> = rank(content, record)
                    .into_iter()
                    .map(|s| (s.user.display_name, s.streak))
                    .collect();
                reply.message =
                    crate::engine::render::leaderboard(group_lang, &rows, LEADERBOARD_SIZE);
                Ok(reply)
            }
        }
    }
}

/// Asks the platform who is still in a group's channel, so the leaderboard
/// leaves out members who left. Failing that, the board shows what is known.
pub(super) async fn refresh_group(engine: &Engine, platform: &str, channel: &str) {
    let (platform, channel) = (platform.to_string(), channel.to_string());
    let group = engine
        .db()
        .call(move |c| crate::store::groups::for_channel(c, &platform, &channel))
        .await;
    let refreshed = match group {
        Ok(Some(group)) => {
            use crate::engine::Whom;
            use crate::engine::groups::LEADERBOARD_SIZE;
            engine
                .refresh_members(group.id, Whom::Top(LEADERBOARD_SIZE))
                .await
        }
        Ok(None) => Ok(()),
        Err(error) => Err(error),
    };
    if let Err(error) = refreshed {
        tracing::warn!("cannot check the group's members: {error}");
    }
}
