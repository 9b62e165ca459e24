//! The `help` answer: every command with a line on what it does.

use crate::conventions::Conventions;
use crate::message::Message;

/// Every command with a one-line description; adapters add their prefix.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "subscribe <time> [timezone] [days] [pace]",
        "start or change your daily routine, e.g. `subscribe 07:30 Europe/Berlin weekdays`",
    ),
    (
        "agree",
        "accept the disclaimer (needed once, before your first session)",
    ),
    ("status", "your next session, streak and today's load"),
    (
        "pause [days]",
        "pause your sessions, for good or for some days",
    ),
    ("resume", "start your sessions again"),
    ("skip", "skip today's session"),
    (
        "later [30m|1h|2h|tonight]",
        "move today's session once (1 h if you don't say)",
    ),
    (
        "followup <HH:MM> / followup off",
        "one reminder that evening if the day's session isn't done (off unless you ask)",
    ),
    (
        "timezone <zone>",
        "set your time zone, e.g. `timezone berlin`",
    ),
    ("unsubscribe", "stop your sessions (your history is kept)"),
    (
        "pain <0-10> [where]",
        "how strong your latest 🤕 was, and where, e.g. `pain 6 left shoulder blade`",
    ),
    ("routine", "today's routine"),
    ("exercise <number or name>", "one exercise in full"),
    (
        "causes / why / tips / precautions / disclaimer",
        "background on upper back pain",
    ),
    ("streak", "your streak"),
    ("progress", "a picture of your last 12 weeks"),
    (
        "trends",
        "each exercise over 8 weeks: days done, load, pain scores (to show a physiotherapist)",
    ),
    (
        "weekly on / weekly off",
        "a summary of your week by direct message each Sunday",
    ),
    ("leaderboard", "the streaks of this channel's group"),
    (
        "nudges on / nudges off",
        "whether a group may mention you before its summary",
    ),
    (
        "group setup <time> [timezone] [days] [summary <time>]",
        "admins: do the routine together in this channel, e.g. `group setup 07:30 Europe/Berlin weekdays summary 21:00`",
    ),
    (
        "group status / group off / group nudges on|off",
        "admins: see, stop, or turn nudges on or off for this channel's group",
    ),
    (
        "group skip <date> / group pause <days>",
        "admins: the group rests that day, or for some days from tomorrow (neutral for streaks)",
    ),
    (
        "privacy export [csv] / privacy delete",
        "all your data as a file / erase it",
    ),
    ("help", "this list"),
];

/// The list of commands, written for the member's platform.
pub(super) fn help(conventions: &Conventions) -> Message {
    let mut body = format!(
        "I send you a short routine of exercises for your upper back each day, one at a time. \
         React ✅ when done, ⏭️ to skip, 🤕 if it hurts. {}\n\n",
        conventions.how_to_type_commands
    );
    for (usage, what) in COMMANDS {
        body.push_str(&format!("- `{usage}`: {what}\n"));
    }
    Message::new("Upright: commands", body)
}
