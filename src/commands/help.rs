//! The `help` answer: every command with a line on what it does.

use super::COMMANDS;
use crate::conventions::Conventions;
use crate::message::Message;

/// The list of commands, written for the member's platform.
pub(super) fn help(conventions: &Conventions) -> Message {
    let mut body = format!(
        "I send you a short routine of exercises for your upper back each day, one at a time. \
         React ✅ when done, ⏭️ to skip, 🤕 if it hurts. {}\n\n",
        conventions
            .how_to_type_commands
            .in_language(crate::i18n::Language::En)
    );
    for (usage, what) in COMMANDS {
        body.push_str(&format!("- `{usage}`: {what}\n"));
    }
    Message::new("Upright: commands", body)
}
