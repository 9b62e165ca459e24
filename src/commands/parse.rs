//! Reading a command from text: `subscribe 07:30 berlin weekdays` becomes a
//! [`Command`], or a [`ParseError`] that tells the member what would work.

use std::fmt;

use super::Command;
use crate::content::TopicId;
use crate::i18n::{Language, TextId, text_id};
use crate::tr;

/// Longest single argument accepted (a zone name is at most ~30 characters).
pub const MAX_ARGUMENT_CHARS: usize = 64;

/// Why a line of text is not a command, worded for the member in their
/// language by [`ParseError::message`]; `Display` is the English one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Unknown(String),
    Missing {
        command: &'static str,
        /// What is missing (`a time`), looked up in the member's language.
        what: TextId,
        example: &'static str,
    },
    TooLong(usize),
    Unexpected {
        command: &'static str,
        extra: String,
        /// What would work instead, looked up in the member's language.
        usage: TextId,
    },
}

impl ParseError {
    /// What went wrong and what would work, in `lang`.
    pub fn message(&self, lang: Language) -> String {
        match self {
            ParseError::Unknown(command) => {
                tr!(lang, "cmd-parse-unknown", command = command.as_str())
            }
            ParseError::Missing {
                command,
                what,
                example,
            } => tr!(
                lang,
                "cmd-parse-missing",
                command = *command,
                what = what.in_language(lang),
                example = *example
            ),
            ParseError::TooLong(length) => tr!(
                lang,
                "cmd-parse-too-long",
                length = *length,
                max = MAX_ARGUMENT_CHARS
            ),
            ParseError::Unexpected {
                command,
                extra,
                usage,
            } => tr!(
                lang,
                "cmd-parse-unexpected",
                command = *command,
                extra = extra.as_str(),
                usage = usage.in_language(lang)
            ),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for ParseError {}

fn looks_like_pace(token: &str) -> bool {
    let digits = token.strip_suffix('m').unwrap_or(token);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Command {
    /// Parses the text after the prefix (`/` in the demo, `!upright` on Matrix).
    pub fn parse(text: &str) -> Result<Command, ParseError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if let Some(long) = words
            .iter()
            .find(|w| w.chars().count() > MAX_ARGUMENT_CHARS)
        {
            return Err(ParseError::TooLong(long.chars().count()));
        }
        let Some((name, words)) = words.split_first() else {
            return Ok(Command::Help);
        };
        let command = match name.to_lowercase().as_str() {
            "help" | "start" => Command::Help,
            "subscribe" => return Self::parse_subscribe(words),
            "agree" => Command::Agree,
            "unsubscribe" | "stop" => Command::Unsubscribe,
            "pause" => {
                let days = optional_word("pause", text_id!("cmd-usage-pause"), words)?;
                return Ok(Command::Pause { days });
            }
            "resume" => Command::Resume,
            "skip" => Command::Skip,
            "followup" | "follow-up" => return Self::parse_followup(words),
            "later" => {
                let delay = optional_word("later", text_id!("cmd-usage-later"), words)?;
                return Ok(Command::Later { delay });
            }
            "pain" => return Self::parse_pain(words),
            "status" => Command::Status,
            "timezone" | "tz" => {
                let zone = all_words(
                    "timezone",
                    text_id!("cmd-what-zone"),
                    "timezone Europe/Berlin",
                    words,
                )?;
                return Ok(Command::Timezone { zone });
            }
            "routine" => Command::Routine,
            "exercise" => {
                let which = all_words(
                    "exercise",
                    text_id!("cmd-what-exercise"),
                    "exercise 2",
                    words,
                )?;
                return Ok(Command::Exercise { which });
            }
            "streak" => Command::Streak,
            "progress" => Command::Progress,
            "trends" => Command::Trends,
            "leaderboard" => Command::Leaderboard,
            "nudges" => return parse_on_off("nudges", words).map(|on| Command::Nudges { on }),
            "weekly" => return parse_on_off("weekly", words).map(|on| Command::Weekly { on }),
            "group" => return Self::parse_group(words),
            "language" | "lang" | "sprache" | "idioma" => {
                let code = optional_word("language", text_id!("cmd-usage-language"), words)?;
                return Ok(Command::Language { code });
            }
            "privacy" => return Self::parse_privacy(words),
            other => match TopicId::from_name(other) {
                Some(topic) => Command::Topic(topic),
                None => return Err(ParseError::Unknown(other.to_string())),
            },
        };
        nothing_more(command.name(), text_id!("cmd-usage-no-arguments"), words)?;
        Ok(command)
    }

    /// `followup <time>` or `followup off`.
    fn parse_followup(words: &[&str]) -> Result<Command, ParseError> {
        let Some((first, rest)) = words.split_first() else {
            return Err(ParseError::Missing {
                command: "followup",
                what: text_id!("cmd-what-followup"),
                example: "followup 20:00",
            });
        };
        let (time, rest) = with_meridiem(first, rest);
        nothing_more("followup", text_id!("cmd-usage-followup"), &rest)?;
        Ok(Command::Followup {
            time: (!time.eq_ignore_ascii_case("off")).then_some(time),
        })
    }

    /// `pain <score> [where]`.
    fn parse_pain(words: &[&str]) -> Result<Command, ParseError> {
        let Some((score, place)) = words.split_first() else {
            return Err(ParseError::Missing {
                command: "pain",
                what: text_id!("cmd-what-pain"),
                example: "pain 6 between the shoulder blades",
            });
        };
        Ok(Command::Pain {
            score: score.to_string(),
            place: (!place.is_empty()).then(|| place.join(" ")),
        })
    }

    /// `privacy export [json|csv]` or `privacy delete [confirm]`.
    fn parse_privacy(words: &[&str]) -> Result<Command, ParseError> {
        let lower = |at: usize| words.get(at).map(|w| w.to_lowercase());
        match lower(0).as_deref() {
            Some("export") => match lower(1).as_deref() {
                None | Some("json") => Ok(Command::PrivacyExport { csv: false }),
                Some("csv") => Ok(Command::PrivacyExport { csv: true }),
                Some(other) => Err(ParseError::Unexpected {
                    command: "privacy export",
                    extra: other.to_string(),
                    usage: text_id!("cmd-usage-privacy-export"),
                }),
            },
            Some("delete") => Ok(Command::PrivacyDelete {
                confirmed: lower(1).as_deref() == Some("confirm"),
            }),
            _ => Err(ParseError::Missing {
                command: "privacy",
                what: text_id!("cmd-what-privacy"),
                example: "privacy export",
            }),
        }
    }

    /// `group setup <time> [zone] [days] [summary <time>]`, `group off`,
    /// `group status`, `group nudges on|off`.
    fn parse_group(words: &[&str]) -> Result<Command, ParseError> {
        let usage = ParseError::Missing {
            command: "group",
            what: text_id!("cmd-what-group"),
            example: "group setup 07:30 Europe/Berlin weekdays summary 21:00",
        };
        let Some((sub, rest)) = words.split_first() else {
            return Err(usage);
        };
        let no_more = |command| nothing_more(command, text_id!("cmd-usage-nothing-more"), rest);
        match sub.to_lowercase().as_str() {
            "setup" => Self::parse_group_setup(rest),
            "off" => no_more("group off").map(|()| Command::GroupOff),
            "status" => no_more("group status").map(|()| Command::GroupStatus),
            "nudges" => Ok(Command::GroupNudges {
                on: parse_on_off("group nudges", rest)?,
            }),
            "skip" => one_value(
                "group skip",
                text_id!("cmd-what-date"),
                "group skip 2027-05-05",
                text_id!("cmd-usage-group-skip"),
                rest,
            )
            .map(|date| Command::GroupSkip { date }),
            "pause" => one_value(
                "group pause",
                text_id!("cmd-what-days"),
                "group pause 3",
                text_id!("cmd-usage-group-pause"),
                rest,
            )
            .map(|days| Command::GroupPause { days }),
            _ => Err(usage),
        }
    }

    fn parse_group_setup(words: &[&str]) -> Result<Command, ParseError> {
        let missing = ParseError::Missing {
            command: "group setup",
            what: text_id!("cmd-what-time"),
            example: "group setup 07:30 Europe/Berlin weekdays summary 21:00",
        };
        let Some((time, rest)) = words.split_first() else {
            return Err(missing);
        };
        let (time, rest) = with_meridiem(time, rest);
        let (mut summary, mut language) = (None, None);
        let (mut zone, mut days) = (Vec::new(), Vec::new());
        let mut rest = rest.into_iter();
        while let Some(word) = rest.next() {
            if word.eq_ignore_ascii_case("summary") {
                let Some(at) = rest.next() else {
                    return Err(ParseError::Missing {
                        command: "group setup",
                        what: text_id!("cmd-what-summary-time"),
                        example: "group setup 07:30 Europe/Berlin summary 21:00",
                    });
                };
                summary = Some(at.to_string());
            } else if word.eq_ignore_ascii_case("language") {
                let Some(code) = rest.next() else {
                    return Err(ParseError::Missing {
                        command: "group setup",
                        what: text_id!("cmd-what-language"),
                        example: "group setup 07:30 Europe/Berlin language de",
                    });
                };
                language = Some(code.to_string());
            } else if summary.is_none() && crate::schedule::parse_time(word).is_ok() {
                // A second time on its own is the summary's.
                summary = Some(word.to_string());
            } else if crate::schedule::parse_days(word).is_ok() {
                days.push(word);
            } else {
                zone.push(word);
            }
        }
        Ok(Command::GroupSetup {
            time,
            timezone: (!zone.is_empty()).then(|| zone.join(" ")),
            days: (!days.is_empty()).then(|| days.join(",")),
            summary,
            language,
        })
    }

    /// `subscribe <time> [zone] [days] [pace]`; the optional parts may come in
    /// any order, since each looks different.
    fn parse_subscribe(words: &[&str]) -> Result<Command, ParseError> {
        let Some((time, rest)) = words.split_first() else {
            return Err(ParseError::Missing {
                command: "subscribe",
                what: text_id!("cmd-what-time"),
                example: "subscribe 07:30 Europe/Berlin weekdays",
            });
        };
        let (time, rest) = with_meridiem(time, rest);
        let (mut zone, mut days, mut pace) = (Vec::new(), Vec::new(), None);
        for word in rest {
            if looks_like_pace(word) && pace.is_none() {
                pace = Some(word.to_string());
            } else if crate::schedule::parse_days(word).is_ok() {
                days.push(word);
            } else {
                zone.push(word);
            }
        }
        Ok(Command::Subscribe {
            time,
            timezone: (!zone.is_empty()).then(|| zone.join(" ")),
            days: (!days.is_empty()).then(|| days.join(",")),
            pace,
        })
    }
}

/// Fails if anything follows where nothing should.
fn nothing_more(command: &'static str, usage: TextId, words: &[&str]) -> Result<(), ParseError> {
    match words.first() {
        Some(extra) => Err(ParseError::Unexpected {
            command,
            extra: extra.to_string(),
            usage,
        }),
        None => Ok(()),
    }
}

/// At most one word, e.g. `pause [days]`.
fn optional_word(
    command: &'static str,
    usage: TextId,
    words: &[&str],
) -> Result<Option<String>, ParseError> {
    nothing_more(command, usage, words.get(1..).unwrap_or(&[]))?;
    Ok(words.first().map(|word| word.to_string()))
}

/// Every word, at least one, e.g. `timezone new york`.
fn all_words(
    command: &'static str,
    what: TextId,
    example: &'static str,
    words: &[&str],
) -> Result<String, ParseError> {
    if words.is_empty() {
        return Err(ParseError::Missing {
            command,
            what,
            example,
        });
    }
    Ok(words.join(" "))
}

/// Exactly one word, e.g. `group pause 3`.
fn one_value(
    command: &'static str,
    what: TextId,
    example: &'static str,
    usage: TextId,
    words: &[&str],
) -> Result<String, ParseError> {
    match words {
        [value] => Ok(value.to_string()),
        [_, extra, ..] => Err(ParseError::Unexpected {
            command,
            extra: extra.to_string(),
            usage,
        }),
        [] => Err(ParseError::Missing {
            command,
            what,
            example,
        }),
    }
}

/// `7:30 am` is one time written as two words.
fn with_meridiem<'a>(time: &str, rest: &[&'a str]) -> (String, Vec<&'a str>) {
    let mut time = time.to_string();
    let mut rest = rest.to_vec();
    if let Some(meridiem) = rest
        .first()
        .filter(|w| matches!(w.to_lowercase().as_str(), "am" | "pm" | "a.m." | "p.m."))
    {
        time.push_str(meridiem);
        rest.remove(0);
    }
    (time, rest)
}

fn parse_on_off(command: &'static str, words: &[&str]) -> Result<bool, ParseError> {
    let example = match command {
        "nudges" => "nudges off",
        "weekly" => "weekly on",
        _ => "group nudges on",
    };
    match words {
        [word] if word.eq_ignore_ascii_case("on") => Ok(true),
        [word] if word.eq_ignore_ascii_case("off") => Ok(false),
        _ => Err(ParseError::Missing {
            command,
            what: text_id!("cmd-what-on-off"),
            example,
        }),
    }
}

impl Command {
    /// The command's name, for metrics and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Subscribe { .. } => "subscribe",
            Command::Agree => "agree",
            Command::Unsubscribe => "unsubscribe",
            Command::Pause { .. } => "pause",
            Command::Resume => "resume",
            Command::Skip => "skip",
            Command::Later { .. } => "later",
            Command::Followup { .. } => "followup",
            Command::Pain { .. } => "pain",
            Command::Status => "status",
            Command::Timezone { .. } => "timezone",
            Command::Routine => "routine",
            Command::Exercise { .. } => "exercise",
            Command::Topic(topic) => topic.name(),
            Command::Streak => "streak",
            Command::Progress => "progress",
            Command::Trends => "trends",
            Command::PrivacyExport { .. } | Command::PrivacyDelete { .. } => "privacy",
            Command::GroupSetup { .. } => "group setup",
            Command::GroupOff => "group off",
            Command::GroupStatus => "group status",
            Command::GroupNudges { .. } => "group nudges",
            Command::GroupSkip { .. } => "group skip",
            Command::GroupPause { .. } => "group pause",
            Command::Leaderboard => "leaderboard",
            Command::Nudges { .. } => "nudges",
            Command::Weekly { .. } => "weekly",
            Command::Language { .. } => "language",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(
        time: &str,
        zone: Option<&str>,
        days: Option<&str>,
        pace: Option<&str>,
    ) -> Command {
        Command::Subscribe {
            time: time.into(),
            timezone: zone.map(Into::into),
            days: days.map(Into::into),
            pace: pace.map(Into::into),
        }
    }

    #[test]
    fn subscribe_arguments_in_any_order() {
        assert_eq!(
            Command::parse("subscribe 07:30 Europe/Berlin weekdays"),
            Ok(subscribe(
                "07:30",
                Some("Europe/Berlin"),
                Some("weekdays"),
                None
            ))
        );
        assert_eq!(
            Command::parse("subscribe 7:30 am mon,wed,fri new york 5"),
            Ok(subscribe(
                "7:30am",
                Some("new york"),
                Some("mon,wed,fri"),
                Some("5")
            ))
        );
        assert_eq!(
            Command::parse("SUBSCRIBE 25:61"),
            Ok(subscribe("25:61", None, None, None))
        );
    }

    #[test]
    fn every_command_parses() {
        assert_eq!(Command::parse(""), Ok(Command::Help));
        assert_eq!(
            Command::parse("causes"),
            Ok(Command::Topic(TopicId::Causes))
        );
        assert_eq!(
            Command::parse("pause 3"),
            Ok(Command::Pause {
                days: Some("3".into())
            })
        );
        assert_eq!(
            Command::parse("exercise cat camel"),
            Ok(Command::Exercise {
                which: "cat camel".into()
            })
        );
        assert_eq!(
            Command::parse("privacy delete confirm"),
            Ok(Command::PrivacyDelete { confirmed: true })
        );
        assert_eq!(
            Command::parse("privacy delete"),
            Ok(Command::PrivacyDelete { confirmed: false })
        );
    }

    #[test]
    fn bad_commands_say_what_would_work() {
        assert!(matches!(
            Command::parse("dance"),
            Err(ParseError::Unknown(_))
        ));
        assert!(matches!(
            Command::parse("subscribe"),
            Err(ParseError::Missing { .. })
        ));
        assert!(matches!(
            Command::parse("status now"),
            Err(ParseError::Unexpected { .. })
        ));
        assert!(matches!(
            Command::parse(&format!("timezone {}", "x".repeat(100))),
            Err(ParseError::TooLong(100))
        ));
        let text = Command::parse("subscribe").unwrap_err().to_string();
        assert!(text.contains("subscribe 07:30"), "{text}");
    }

    /// English reads as it always did; other languages keep the command
    /// words and examples as typed.
    #[test]
    fn mistakes_read_in_the_members_language() {
        let missing = Command::parse("subscribe").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "`subscribe` needs a time, for example `subscribe 07:30 Europe/Berlin weekdays`."
        );
        assert_eq!(
            missing.message(Language::De),
            "`subscribe` braucht eine Uhrzeit, zum Beispiel `subscribe 07:30 Europe/Berlin weekdays`."
        );
        let extra = Command::parse("later 1h now").unwrap_err();
        assert_eq!(
            extra.to_string(),
            "`later` takes no `now`. Use `later`, `later 30m`, `later 1h`, `later 2h` or `later tonight`."
        );
        assert!(
            extra
                .message(Language::Es)
                .starts_with("`later` no admite `now`. Usa `later`")
        );
        let long = Command::parse(&"x".repeat(70)).unwrap_err();
        assert_eq!(
            long.to_string(),
            "That argument is too long (70 characters); keep each one under 64."
        );
        let unknown = Command::parse("dance").unwrap_err();
        assert!(unknown.message(Language::De).contains("`dance`"));
    }
}
