//! The slash commands in the languages the bot speaks: each command's
//! name, its description, its options' descriptions and their choices,
//! looked up in the Fluent files for the Discord locales of German and
//! Spanish. The English texts are the ones registered as the default, and
//! Discord sends a command by its default name whatever its reader saw, so
//! every command keeps working by the English word the help and the answers
//! use.

use std::borrow::Cow;

use super::Error;
use crate::engine::Engine;
use crate::i18n::{Language, TextId, text_id};

/// Discord's locales for each language besides English.
const LOCALES: [(&str, Language); 3] = [
    ("de", Language::De),
    ("es-ES", Language::Es),
    ("es-419", Language::Es),
];

/// Each command's description, by its path (`group setup` for a subcommand);
/// the core describes its commands that take nothing after their name.
const DESCRIPTIONS: &[(&str, TextId)] = &[
    ("subscribe", text_id!("discord-cmd-subscribe-description")),
    ("pause", text_id!("discord-cmd-pause-description")),
    ("later", text_id!("discord-cmd-later-description")),
    ("followup", text_id!("discord-cmd-followup-description")),
    ("pain", text_id!("discord-cmd-pain-description")),
    ("timezone", text_id!("discord-cmd-timezone-description")),
    ("exercise", text_id!("discord-cmd-exercise-description")),
    ("privacy", text_id!("discord-cmd-privacy-description")),
    (
        "privacy export",
        text_id!("discord-cmd-privacy-export-description"),
    ),
    (
        "privacy delete",
        text_id!("discord-cmd-privacy-delete-description"),
    ),
    ("weekly", text_id!("discord-cmd-weekly-description")),
    ("language", text_id!("discord-cmd-language-description")),
    (
        "leaderboard",
        text_id!("discord-cmd-leaderboard-description"),
    ),
    ("nudges", text_id!("discord-cmd-nudges-description")),
    ("group", text_id!("discord-cmd-group-description")),
    (
        "group setup",
        text_id!("discord-cmd-group-setup-description"),
    ),
    (
        "group status",
        text_id!("discord-cmd-group-status-description"),
    ),
    ("group off", text_id!("discord-cmd-group-off-description")),
    (
        "group nudges",
        text_id!("discord-cmd-group-nudges-description"),
    ),
    ("group skip", text_id!("discord-cmd-group-skip-description")),
    (
        "group pause",
        text_id!("discord-cmd-group-pause-description"),
    ),
];

/// Each option's description, by its command's path and its name.
const PARAMETERS: &[(&str, &str, TextId)] = &[
    (
        "subscribe",
        "time",
        text_id!("discord-param-subscribe-time"),
    ),
    (
        "subscribe",
        "timezone",
        text_id!("discord-param-subscribe-timezone"),
    ),
    (
        "subscribe",
        "days",
        text_id!("discord-param-subscribe-days"),
    ),
    (
        "subscribe",
        "pace",
        text_id!("discord-param-subscribe-pace"),
    ),
    ("pause", "days", text_id!("discord-param-pause-days")),
    ("later", "delay", text_id!("discord-param-later-delay")),
    ("followup", "time", text_id!("discord-param-followup-time")),
    ("pain", "score", text_id!("discord-param-pain-score")),
    ("pain", "where", text_id!("discord-param-pain-where")),
    ("timezone", "zone", text_id!("discord-param-timezone-zone")),
    (
        "exercise",
        "which",
        text_id!("discord-param-exercise-which"),
    ),
    (
        "privacy export",
        "format",
        text_id!("discord-param-privacy-export-format"),
    ),
    (
        "privacy delete",
        "confirm",
        text_id!("discord-param-privacy-delete-confirm"),
    ),
    (
        "weekly",
        "setting",
        text_id!("discord-param-weekly-setting"),
    ),
    (
        "language",
        "language",
        text_id!("discord-param-language-language"),
    ),
    (
        "nudges",
        "setting",
        text_id!("discord-param-nudges-setting"),
    ),
    (
        "group setup",
        "time",
        text_id!("discord-param-group-setup-time"),
    ),
    (
        "group setup",
        "timezone",
        text_id!("discord-param-group-setup-timezone"),
    ),
    (
        "group setup",
        "days",
        text_id!("discord-param-group-setup-days"),
    ),
    (
        "group setup",
        "summary",
        text_id!("discord-param-group-setup-summary"),
    ),
    (
        "group setup",
        "language",
        text_id!("discord-param-group-setup-language"),
    ),
    (
        "group nudges",
        "setting",
        text_id!("discord-param-group-nudges-setting"),
    ),
    (
        "group skip",
        "date",
        text_id!("discord-param-group-skip-date"),
    ),
    (
        "group pause",
        "days",
        text_id!("discord-param-group-pause-days"),
    ),
];

/// Each choice's label, by its English one. The choice sent back is its
/// position, so a label in another language still picks the same one.
/// Export formats and languages (by their own names) read the same in
/// every language.
const CHOICES: &[(&str, TextId)] = &[
    ("daily", text_id!("discord-choice-daily")),
    ("weekdays", text_id!("discord-choice-weekdays")),
    ("weekends", text_id!("discord-choice-weekends")),
    ("mon,wed,fri", text_id!("discord-choice-mon-wed-fri")),
    ("tue,thu", text_id!("discord-choice-tue-thu")),
    ("30m", text_id!("discord-choice-30m")),
    ("1h", text_id!("discord-choice-1h")),
    ("2h", text_id!("discord-choice-2h")),
    ("tonight", text_id!("discord-choice-tonight")),
    ("on", text_id!("discord-choice-on")),
    ("off", text_id!("discord-choice-off")),
];

/// Each command's name in the other languages (top-level commands; their
/// subcommands and options keep their English names).
const NAMES: &[(&str, TextId)] = &[
    ("subscribe", text_id!("discord-name-subscribe")),
    ("agree", text_id!("discord-name-agree")),
    ("unsubscribe", text_id!("discord-name-unsubscribe")),
    ("pause", text_id!("discord-name-pause")),
    ("resume", text_id!("discord-name-resume")),
    ("skip", text_id!("discord-name-skip")),
    ("later", text_id!("discord-name-later")),
    ("followup", text_id!("discord-name-followup")),
    ("pain", text_id!("discord-name-pain")),
    ("status", text_id!("discord-name-status")),
    ("timezone", text_id!("discord-name-timezone")),
    ("routine", text_id!("discord-name-routine")),
    ("exercise", text_id!("discord-name-exercise")),
    ("causes", text_id!("discord-name-causes")),
    ("why", text_id!("discord-name-why")),
    ("tips", text_id!("discord-name-tips")),
    ("precautions", text_id!("discord-name-precautions")),
    ("disclaimer", text_id!("discord-name-disclaimer")),
    ("streak", text_id!("discord-name-streak")),
    ("progress", text_id!("discord-name-progress")),
    ("trends", text_id!("discord-name-trends")),
    ("weekly", text_id!("discord-name-weekly")),
    ("leaderboard", text_id!("discord-name-leaderboard")),
    ("nudges", text_id!("discord-name-nudges")),
    ("privacy", text_id!("discord-name-privacy")),
    ("language", text_id!("discord-name-language")),
    ("help", text_id!("discord-name-help")),
    ("group", text_id!("discord-name-group")),
];

type Localizations = Cow<'static, [(Cow<'static, str>, Cow<'static, str>)]>;

/// Gives `command`, its options and its subcommands their descriptions
/// and choices in every locale of [`LOCALES`].
pub(super) fn localise(command: &mut poise::Command<Engine, Error>) {
    // Owned: `localise_at` changes the command it is named by.
    let name = command.name.to_string();
    if let Some(localised) = in_every_locale(|language| localised_name(&name, language)) {
        command.name_localizations = localised;
    }
    localise_at(command, &name);
}

fn localise_at(command: &mut poise::Command<Engine, Error>, path: &str) {
    if let Some(localised) = in_every_locale(|language| description(path, language)) {
        command.description_localizations = localised;
    }
    for parameter in &mut command.parameters {
        let name = &parameter.name;
        if let Some(localised) =
            in_every_locale(|language| parameter_description(path, name, language))
        {
            parameter.description_localizations = localised;
        }
        for choice in parameter.choices.to_mut() {
            if let Some(localised) =
                in_every_locale(|language| choice_label(&choice.name, language))
            {
                choice.localizations = localised;
            }
        }
    }
    for subcommand in &mut command.subcommands {
        let path = format!("{path} {}", subcommand.name);
        localise_at(subcommand, &path);
    }
}

/// The top-level command `name` as named in `language`.
fn localised_name(name: &str, language: Language) -> Option<String> {
    NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, id)| id.in_language(language))
}

/// The command at `path` described in `language`.
fn description(path: &str, language: Language) -> Option<String> {
    DESCRIPTIONS
        .iter()
        .find(|(known, _)| *known == path)
        .map(|(_, id)| id.in_language(language))
        .or_else(|| crate::commands::describe_command(path, language))
}

/// The option `name` of the command at `path` described in `language`.
fn parameter_description(path: &str, name: &str, language: Language) -> Option<String> {
    PARAMETERS
        .iter()
        .find(|(command, parameter, _)| *command == path && *parameter == name)
        .map(|(_, _, id)| id.in_language(language))
}

/// The choice labelled `english` in English, labelled in `language`.
fn choice_label(english: &str, language: Language) -> Option<String> {
    CHOICES
        .iter()
        .find(|(known, _)| *known == english)
        .map(|(_, id)| id.in_language(language))
}

/// A text in every locale of [`LOCALES`]; `None` if there is none.
fn in_every_locale(text: impl Fn(Language) -> Option<String>) -> Option<Localizations> {
    LOCALES
        .iter()
        .map(|&(locale, language)| Some((locale.into(), text(language)?.into())))
        .collect::<Option<Vec<_>>>()
        .map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discord's limit for a description and a choice's label.
    const LIMIT: usize = 100;

    /// Every command and subcommand with its path, as registered.
    fn every_command() -> Vec<(String, poise::Command<Engine, Error>)> {
        fn walk(
            path: String,
            command: poise::Command<Engine, Error>,
            found: &mut Vec<(String, poise::Command<Engine, Error>)>,
        ) {
            let mut command = command;
            for subcommand in std::mem::take(&mut command.subcommands) {
                let path = format!("{path} {}", subcommand.name);
                walk(path, subcommand, found);
            }
            found.push((path, command));
        }
        let mut found = Vec::new();
        for command in super::super::all() {
            walk(command.name.to_string(), command, &mut found);
        }
        found
    }

    fn check(what: &str, localised: &Localizations, problems: &mut Vec<String>) {
        let locales: Vec<&str> = localised.iter().map(|(l, _)| l.as_ref()).collect();
        if locales != LOCALES.map(|(locale, _)| locale) {
            problems.push(format!("{what}: localised for {locales:?}"));
        }
        for (locale, text) in localised.iter() {
            let length = text.chars().count();
            if !(1..=LIMIT).contains(&length) {
                problems.push(format!("{what} in {locale}: {length} characters"));
            }
        }
    }

    #[test]
    fn every_command_option_and_choice_reads_in_each_language_within_discords_limits() {
        let mut problems = Vec::new();
        let untranslated = ["json", "csv", "English", "Deutsch", "Español"];
        for (path, command) in every_command() {
            check(&path, &command.description_localizations, &mut problems);
            for parameter in &command.parameters {
                let what = format!("{path} {}", parameter.name);
                check(&what, &parameter.description_localizations, &mut problems);
                for choice in parameter.choices.iter() {
                    if untranslated.contains(&choice.name.as_ref()) {
                        continue;
                    }
                    let what = format!("{what} = {}", choice.name);
                    check(&what, &choice.localizations, &mut problems);
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Discord's rule for a command name, in every locale: lowercase
    /// letters, digits, `-` and `_`, 1 to 32 of them, and one command per
    /// name.
    #[test]
    fn every_localised_name_is_a_valid_discord_name_and_unique() {
        let mut problems = Vec::new();
        let commands = super::super::all();
        for (locale, _) in LOCALES {
            let mut seen = std::collections::BTreeSet::new();
            for command in &commands {
                let localised = command
                    .name_localizations
                    .iter()
                    .find(|(l, _)| l.as_ref() == locale)
                    .map(|(_, name)| name.to_string());
                let Some(name) = localised else {
                    problems.push(format!("{} has no name in {locale}", command.name));
                    continue;
                };
                let valid = (1..=32).contains(&name.chars().count())
                    && name
                        .chars()
                        .all(|c| c == '-' || c == '_' || c.is_numeric() || c.is_lowercase());
                if !valid {
                    problems.push(format!("{}: `{name}` in {locale}", command.name));
                }
                if !seen.insert(name.clone()) {
                    problems.push(format!("`{name}` twice in {locale}"));
                }
            }
        }
        for command in &commands {
            let english = localised_name(&command.name, Language::En);
            if english.as_deref() != Some(command.name.as_ref()) {
                problems.push(format!("{}: English name {english:?}", command.name));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn the_english_texts_are_the_registered_ones() {
        let mut problems = Vec::new();
        for (path, command) in every_command() {
            let english = description(&path, Language::En);
            if english.as_deref() != command.description.as_deref() {
                problems.push(format!(
                    "{path}: {english:?} registered as {:?}",
                    command.description
                ));
            }
            for parameter in &command.parameters {
                let english = parameter_description(&path, &parameter.name, Language::En);
                if english.as_deref() != parameter.description.as_deref() {
                    problems.push(format!(
                        "{path} {}: {english:?} registered as {:?}",
                        parameter.name, parameter.description
                    ));
                }
            }
        }
        for (english, id) in CHOICES {
            if id.in_language(Language::En) != *english {
                problems.push(format!(
                    "the choice {english} reads {:?}",
                    id.in_language(Language::En)
                ));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
