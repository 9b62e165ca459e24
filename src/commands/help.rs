//! What the commands are and do, as members read them: the `help` answer,
//! and the lines a platform's menu of commands shows.

use crate::conventions::Conventions;
use crate::i18n::{Language, TextId, text_id};
use crate::message::Message;
use crate::tr;

/// The list of commands, written for the member's platform in their
/// language. The usages stay as typed: command words are English.
pub(super) fn help(conventions: &Conventions, lang: Language) -> Message {
    let mut body = tr!(
        lang,
        "cmd-help-intro",
        how_to_type = conventions.how_to_type_commands.in_language(lang)
    );
    body.push_str("\n\n");
    for (usage, what) in COMMANDS {
        body.push_str(&format!("- `{usage}`: {}\n", what.in_language(lang)));
    }
    Message::new(tr!(lang, "cmd-help-title"), body)
}

/// Every command with its one-line description (a Fluent id, read in the
/// member's language); adapters add their prefix. The usage stays as typed:
/// command words are English everywhere.
pub const COMMANDS: &[(&str, TextId)] = &[
    (
        "subscribe <time> [timezone] [days] [pace]",
        text_id!("cmd-help-subscribe"),
    ),
    ("agree", text_id!("cmd-help-agree")),
    ("status", text_id!("cmd-help-status")),
    ("pause [days]", text_id!("cmd-help-pause")),
    ("resume", text_id!("cmd-help-resume")),
    ("skip", text_id!("cmd-help-skip")),
    ("later [30m|1h|2h|tonight]", text_id!("cmd-help-later")),
    (
        "followup <HH:MM> / followup off",
        text_id!("cmd-help-followup"),
    ),
    ("timezone <zone>", text_id!("cmd-help-timezone")),
    ("unsubscribe", text_id!("cmd-help-unsubscribe")),
    ("pain <0-10> [where]", text_id!("cmd-help-pain")),
    ("routine", text_id!("cmd-help-routine")),
    ("exercise <number or name>", text_id!("cmd-help-exercise")),
    (
        "causes / why / tips / precautions / disclaimer",
        text_id!("cmd-help-topics"),
    ),
    ("streak", text_id!("cmd-help-streak")),
    ("progress", text_id!("cmd-help-progress")),
    ("trends", text_id!("cmd-help-trends")),
    ("weekly on / weekly off", text_id!("cmd-help-weekly")),
    ("leaderboard", text_id!("cmd-help-leaderboard")),
    ("nudges on / nudges off", text_id!("cmd-help-nudges")),
    (
        "group setup <time> [timezone] [days] [summary <time>]",
        text_id!("cmd-help-group-setup"),
    ),
    (
        "group status / group off / group nudges on|off",
        text_id!("cmd-help-group-status"),
    ),
    (
        "group skip <date> / group pause <days>",
        text_id!("cmd-help-group-rest"),
    ),
    (
        "privacy export [csv] / privacy delete",
        text_id!("cmd-help-privacy"),
    ),
    ("language [code]", text_id!("cmd-help-language")),
    ("help", text_id!("cmd-help-help")),
];

/// The commands that take nothing after their name, each with the line a
/// platform's menu of commands shows (Discord's slash commands: at most 100
/// characters). A platform with such a menu offers every one of these.
pub const WITHOUT_ARGUMENTS: &[(&str, TextId)] = &[
    ("agree", text_id!("cmd-describe-agree")),
    ("unsubscribe", text_id!("cmd-describe-unsubscribe")),
    ("resume", text_id!("cmd-describe-resume")),
    ("skip", text_id!("cmd-describe-skip")),
    ("status", text_id!("cmd-describe-status")),
    ("routine", text_id!("cmd-describe-routine")),
    ("causes", text_id!("cmd-describe-causes")),
    ("why", text_id!("cmd-describe-why")),
    ("tips", text_id!("cmd-describe-tips")),
    ("precautions", text_id!("cmd-describe-precautions")),
    ("disclaimer", text_id!("cmd-describe-disclaimer")),
    ("streak", text_id!("cmd-describe-streak")),
    ("progress", text_id!("cmd-describe-progress")),
    ("trends", text_id!("cmd-describe-trends")),
    ("help", text_id!("cmd-describe-help")),
];

/// The line a platform's menu shows for a command of [`WITHOUT_ARGUMENTS`],
/// in `lang` (at most 100 characters): the English one is registered, the
/// others are Discord's `description_localizations`. `None` for any other
/// name.
pub fn describe_command(name: &str, lang: Language) -> Option<String> {
    WITHOUT_ARGUMENTS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, id)| id.in_language(lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Command;

    /// Each parses, is in the help, and its menu line fits Discord's 100
    /// characters in every language.
    #[test]
    fn every_command_without_arguments_parses_and_fits_a_menu() {
        for (name, _) in WITHOUT_ARGUMENTS {
            let command = Command::parse(name);
            assert!(command.is_ok(), "{name}: {command:?}");
            assert!(
                COMMANDS.iter().any(|(usage, _)| usage.contains(name)),
                "{name} is missing from the help"
            );
            for lang in Language::ALL {
                let described = describe_command(name, lang).unwrap_or_default();
                assert!(
                    (1..=100).contains(&described.chars().count()),
                    "{name} in {lang}: {described:?}"
                );
            }
        }
        assert_eq!(describe_command("subscribe", Language::De), None);
    }
}
