//! How the bot's messages look on Discord: a message as an embed within
//! Discord's limits, and the button rows a message carries (check-ins,
//! "Later", "How strong?"). Used when sending ([`super::platform`]) and when
//! a press updates a message ([`super::buttons`]); the button ids here are
//! the ones a press is read back from.

use poise::serenity_prelude as serenity;

use crate::check_in::CheckInKind;
use crate::i18n::Language;
use crate::message::{Message, clip};
use crate::store::deliveries::Kind;
use crate::tr;

/// Discord's limits for an embed (the whole message stays under 6,000).
pub(super) const TITLE_LIMIT: usize = 256;
pub(super) const DESCRIPTION_LIMIT: usize = 4096;
const FOOTER_LIMIT: usize = 2048;

/// The disclaimer's one button; it agrees, as ✅ on the disclaimer does.
pub(super) const AGREE: &str = "upright:agree";
/// On a member's first message of the day: `later` (one hour).
pub(super) const LATER: &str = "upright:later";
/// On the advice after a 🤕: opens the form asking how strong and where.
pub(super) const RATE: &str = "upright:rate";
/// Every button id of the bot starts with this.
pub(super) const PREFIX: &str = "upright:";

/// The footer of a message whose check-ins are buttons.
pub fn how_to_check_in(lang: Language) -> String {
    tr!(lang, "discord-how-to-check-in")
}

/// A message as an embed within Discord's limits.
pub fn embed(message: &Message) -> serenity::CreateEmbed {
    let mut embed =
        serenity::CreateEmbed::new().description(clip(&message.body, DESCRIPTION_LIMIT));
    if let Some(title) = &message.title {
        embed = embed.title(clip(title, TITLE_LIMIT));
    }
    if let Some(footer) = &message.footer {
        embed = embed.footer(serenity::CreateEmbedFooter::new(clip(footer, FOOTER_LIMIT)));
    }
    embed
}

/// The id of the button that checks in as `kind`.
pub(super) fn custom_id(kind: CheckInKind) -> String {
    format!("{PREFIX}{}", kind.as_str())
}

/// The word on a check-in's button, also used when telling what was recorded.
pub(super) fn label(kind: CheckInKind, lang: Language) -> String {
    match kind {
        CheckInKind::Done => tr!(lang, "discord-button-done"),
        CheckInKind::Skip => tr!(lang, "discord-button-skip"),
        CheckInKind::Pain => tr!(lang, "discord-button-pain"),
    }
}

/// The buttons for a message of `kind` offering `choices` (emoji), with
/// `chosen` highlighted once a member has pressed it, labelled in `lang`.
pub fn rows(
    kind: Kind,
    choices: &[String],
    chosen: Option<CheckInKind>,
    lang: Language,
) -> Vec<serenity::CreateActionRow> {
    if choices.is_empty() {
        return Vec::new();
    }
    let buttons = if kind == Kind::Disclaimer {
        vec![
            serenity::CreateButton::new(AGREE)
                .label(tr!(lang, "discord-button-agree"))
                .emoji(serenity::ReactionType::Unicode(
                    CheckInKind::Done.emoji().to_string(),
                ))
                .style(serenity::ButtonStyle::Primary)
                .disabled(chosen.is_some()),
        ]
    } else {
        choices
            .iter()
            .filter_map(|emoji| CheckInKind::from_emoji(emoji))
            .map(|kind| {
                let style = if chosen == Some(kind) {
                    serenity::ButtonStyle::Success
                } else {
                    serenity::ButtonStyle::Secondary
                };
                serenity::CreateButton::new(custom_id(kind))
                    .label(label(kind, lang))
                    .emoji(serenity::ReactionType::Unicode(kind.emoji().to_string()))
                    .style(style)
            })
            .collect()
    };
    vec![serenity::CreateActionRow::Buttons(buttons)]
}

/// The row with the "Later" button, under a member's first message.
pub fn later_row(lang: Language) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(LATER)
            .label(tr!(lang, "discord-button-later"))
            .emoji(serenity::ReactionType::Unicode("⏰".to_string()))
            .style(serenity::ButtonStyle::Secondary),
    ])
}

/// The row with the "How strong?" button, under the advice after a 🤕.
pub fn rate_row(lang: Language) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(RATE)
            .label(tr!(lang, "discord-button-how-strong"))
            .emoji(serenity::ReactionType::Unicode(
                CheckInKind::Pain.emoji().to_string(),
            ))
            .style(serenity::ButtonStyle::Primary),
    ])
}
