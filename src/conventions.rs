//! How a platform shows what the core says: an instant, a mention, how a
//! command is typed, who may manage a group. Each adapter supplies its own
//! (see [`crate::engine::Platform::conventions`]), so the core never asks
//! which platform it is talking to.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::duration::describe;
use crate::i18n::{Language, TextId, dates, text_id};
use crate::message::escape_markdown;

#[derive(Debug)]
pub struct Conventions {
    /// One sentence for the help text (a Fluent id).
    pub how_to_type_commands: TextId,
    /// The refusal when someone else tries to change a group (a Fluent id).
    pub who_manages_groups: TextId,
    /// A member named so that the platform notifies them.
    pub mention: fn(platform_user_id: &str, display_name: &str) -> String,
    /// An instant as its reader should see it, and how far off it is, in
    /// their language.
    pub instant: fn(at: DateTime<Utc>, zone: Tz, now: DateTime<Utc>, lang: Language) -> String,
    /// An answer in the member's DM may carry the disclaimer itself: the
    /// platform reports the answer's message once sent
    /// ([`Engine::disclaimer_answered`](crate::engine::Engine::disclaimer_answered)),
    /// so ✅ on it agrees. One message instead of two when many members
    /// subscribe at once.
    pub answer_carries_disclaimer: bool,
}

impl Conventions {
    /// Text everywhere: the demo, and any platform without its own.
    pub const PLAIN: Conventions = Conventions {
        how_to_type_commands: text_id!("conventions-plain-commands"),
        who_manages_groups: text_id!("conventions-plain-group-admins"),
        mention: at_name,
        instant: in_local_time,
        answer_carries_disclaimer: false,
    };
}

/// `Mon 3 May at 07:00 (Europe/Berlin), in 2 h 5 min`: the member's own
/// zone, written out in their language.
pub fn in_local_time(at: DateTime<Utc>, zone: Tz, now: DateTime<Utc>, lang: Language) -> String {
    let local = at.with_timezone(&zone);
    crate::tr!(
        lang,
        "instant-local",
        date = dates::short_date(lang, local.date_naive()),
        time = local.format("%H:%M").to_string(),
        zone = zone.name(),
        from_now = describe(lang, at - now)
    )
}

/// `@name`, for platforms with no way to notify someone by name.
pub fn at_name(_platform_user_id: &str, display_name: &str) -> String {
    format!("@{}", escape_markdown(display_name))
}
