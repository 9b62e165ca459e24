//! How a platform shows what the core says: an instant, a mention, how a
//! command is typed, who may manage a group. Each adapter supplies its own
//! (see [`crate::engine::Platform::conventions`]), so the core never asks
//! which platform it is talking to.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::duration::describe;
use crate::message::escape_markdown;

#[derive(Debug)]
pub struct Conventions {
    /// One sentence for the help text.
    pub how_to_type_commands: &'static str,
    /// The refusal when someone else tries to change a group.
    pub who_manages_groups: &'static str,
    /// A member named so that the platform notifies them.
    pub mention: fn(platform_user_id: &str, display_name: &str) -> String,
    /// An instant as its reader should see it, and how far off it is.
    pub instant: fn(at: DateTime<Utc>, zone: Tz, now: DateTime<Utc>) -> String,
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
        how_to_type_commands: "Type them with a leading `/`, e.g. `/subscribe 07:30 Europe/Berlin`.",
        who_manages_groups: "Only admins can set up or change this group.",
        mention: at_name,
        instant: in_local_time,
        answer_carries_disclaimer: false,
    };
}

/// `Mon 3 May at 07:00 (Europe/Berlin), in 2 h 5 min`: the member's own
/// zone, written out.
pub fn in_local_time(at: DateTime<Utc>, zone: Tz, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&zone);
    format!(
        "{} ({}), in {}",
        local.format("%a %-d %b at %H:%M"),
        zone.name(),
        describe(at - now)
    )
}

/// `@name`, for platforms with no way to notify someone by name.
pub fn at_name(_platform_user_id: &str, display_name: &str) -> String {
    format!("@{}", escape_markdown(display_name))
}
