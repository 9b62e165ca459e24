//! The member's language: every text the bot sends is looked up by id in
//! Fluent files (`locales/<language>/*.ftl`, built into the binary), with
//! Fluent's plural rules; English answers for any id a language lacks.
//! Dates and lists have their own small rules here ([`dates`], [`list`]),
//! since Fluent leaves them to the caller. (No text a member reads holds a
//! decimal number: counts and percentages are whole.)
//!
//! Code asks with [`tr!`](crate::tr): `tr!(lang, "subscribe-done", time = "07:30")`.

pub mod dates;
#[cfg(test)]
mod parity;

use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;

/// The Fluent files of one language, one per area of the bot.
macro_rules! locale_files {
    ($code:literal) => {
        [
            include_str!(concat!("../../locales/", $code, "/general.ftl")),
            include_str!(concat!("../../locales/", $code, "/commands.ftl")),
            include_str!(concat!("../../locales/", $code, "/groups.ftl")),
            include_str!(concat!("../../locales/", $code, "/sessions.ftl")),
            include_str!(concat!("../../locales/", $code, "/platforms.ftl")),
        ]
    };
}

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Language {
    #[default]
    En,
    De,
    Es,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::De, Language::Es];

    /// The code it is stored and chosen by: `en`, `de`, `es`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Es => "es",
        }
    }

    /// Its name in itself, for the list of languages.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::De => "Deutsch",
            Language::Es => "Español",
        }
    }

    /// From a code or a locale, as members and platforms write them:
    /// `de`, `es-ES`, `es-419`, `en-GB`, `pt_BR` (none: not one of ours).
    /// Names work too (`german`, `deutsch`, `español`).
    pub fn from_tag(tag: &str) -> Option<Language> {
        let tag = tag.trim().to_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "en" | "english" | "englisch" | "inglés" | "ingles" => Some(Language::En),
            "de" | "german" | "deutsch" | "alemán" | "aleman" => Some(Language::De),
            "es" | "spanish" | "español" | "espanol" | "spanisch" => Some(Language::Es),
            _ => None,
        }
    }

    fn files(self) -> &'static [&'static str] {
        match self {
            Language::En => &locale_files!("en"),
            Language::De => &locale_files!("de"),
            Language::Es => &locale_files!("es"),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The areas, in the order [`locale_files!`] lists them (for messages
/// that name a file).
pub const FILES: [&str; 5] = [
    "general.ftl",
    "commands.ftl",
    "groups.ftl",
    "sessions.ftl",
    "platforms.ftl",
];

static BUNDLES: LazyLock<Vec<(Language, FluentBundle<FluentResource>)>> = LazyLock::new(|| {
    Language::ALL
        .iter()
        .map(|&language| (language, bundle(language)))
        .collect()
});

fn bundle(language: Language) -> FluentBundle<FluentResource> {
    let id = language
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Chat text, not a web page: no invisible direction marks around
    // every value.
    bundle.set_use_isolating(false);
    for (file, source) in FILES.iter().zip(language.files()) {
        let resource = match FluentResource::try_new(source.to_string()) {
            Ok(resource) => resource,
            // The parity tests refuse such a file; a build that has one
            // keeps what parsed.
            Err((resource, errors)) => {
                tracing::error!(%language, file, ?errors, "a Fluent file has errors");
                resource
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(%language, file, ?errors, "a Fluent file repeats an id");
        }
    }
    bundle
}

fn bundle_for(language: Language) -> &'static FluentBundle<FluentResource> {
    let index = Language::ALL
        .iter()
        .position(|&l| l == language)
        .unwrap_or(0);
    &BUNDLES[index].1
}

/// The text `id` in `language`, or in English when `language` lacks it.
/// An id English lacks is a bug the tests catch; here it shows as itself.
pub fn text(language: Language, id: &str, args: Option<&FluentArgs<'_>>) -> String {
    for candidate in [language, Language::En] {
        let bundle = bundle_for(candidate);
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            let formatted = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::error!(%candidate, id, ?errors, "a Fluent message did not format");
            }
            return formatted.into_owned();
        }
    }
    tracing::error!(id, "no English text for this id");
    id.to_string()
}

/// Whether `language`'s own files hold `id` (not falling back).
pub fn has(language: Language, id: &str) -> bool {
    bundle_for(language).has_message(id)
}

/// The text `id` in a language: `tr!(lang, "id")`, or with values
/// `tr!(lang, "id", name = value, count = 3)`. Values are anything Fluent
/// takes (text, numbers); numbers pick plural forms.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:literal $(,)?) => {
        $crate::i18n::text($lang, $id, None)
    };
    ($lang:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::FluentArgs::new();
        $(args.set(stringify!($name), $value);)+
        $crate::i18n::text($lang, $id, Some(&args))
    }};
}

pub use fluent_bundle::FluentArgs;

/// A Fluent id kept in a value to be looked up later (a platform's
/// conventions), written with [`text_id!`] so the tests find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextId(pub &'static str);

impl TextId {
    /// The text in `language`.
    pub fn in_language(self, language: Language) -> String {
        text(language, self.0, None)
    }
}

/// A [`TextId`]: `text_id!("conventions-matrix-commands")`.
#[macro_export]
macro_rules! text_id {
    ($id:literal) => {
        $crate::i18n::TextId($id)
    };
}
pub use text_id;

/// `a`, `a and b`, `a, b and c` in `language`.
pub fn list(language: Language, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => {
            let and = match language {
                Language::En => "and",
                Language::De => "und",
                Language::Es => "y",
            };
            format!("{} {and} {last}", rest.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_locales_and_names_find_the_language() {
        for (tag, language) in [
            ("de", Language::De),
            ("es-ES", Language::Es),
            ("es-419", Language::Es),
            ("en-US", Language::En),
            ("EN-gb", Language::En),
            ("Deutsch", Language::De),
            ("español", Language::Es),
        ] {
            assert_eq!(Language::from_tag(tag), Some(language), "{tag}");
        }
        for tag in ["fr", "pt-BR", "", "zz"] {
            assert_eq!(Language::from_tag(tag), None, "{tag}");
        }
    }

    #[test]
    fn lists_follow_the_language() {
        let items = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(list(Language::En, &items), "a, b and c");
        assert_eq!(list(Language::De, &items[1..]), "b und c");
        assert_eq!(list(Language::Es, &items), "a, b y c");
    }

    #[test]
    fn a_missing_text_falls_back_to_english() {
        assert!(has(Language::En, "language-set"));
        let english = tr!(Language::En, "language-set", language = "English");
        assert!(!english.is_empty());
        // Whatever German lacks reads in English, never as an empty line.
        for language in Language::ALL {
            assert!(!text(language, "language-set", None).is_empty());
        }
    }
}
