//! Check-in buttons: what a press does (the buttons themselves, and their
//! ids, are drawn in [`super::render`]). Each press is answered within
//! Discord's 3 s: in a DM the message is updated in place to show what was
//! recorded; in a group's channel the presser alone is told, and the
//! message's tally is edited at most once every [`TALLY_EVERY`] however many
//! press at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use super::errors::{ALREADY_ACKNOWLEDGED, code_of};
use super::render::{AGREE, LATER, PREFIX, RATE, embed, label, rows};
use super::{Error, PLATFORM};
use crate::check_in::CheckInKind;
use crate::commands::Member;
use crate::engine::{ChoiceEvent, Engine, ReactionOutcome};
use crate::i18n::Language;
use crate::store::deliveries::{Kind, Press};
use crate::store::groups;
use crate::tr;

/// The form's fields.
const SCORE_FIELD: &str = "score";
const WHERE_FIELD: &str = "where";

/// How often a group message's tally may be edited.
pub const TALLY_EVERY: Duration = Duration::from_secs(10);

/// Interactions must be answered within 3 s; past this, acknowledge first.
const ANSWER_BEFORE_DEFERRING: Duration = Duration::from_millis(1500);

/// How long an answer waits for the member's language before it takes
/// the one their app reports.
const LANGUAGE_LOOKUP: Duration = Duration::from_millis(500);

/// The check-in a button stands for; `None` for buttons that are not ours.
pub fn parse(custom_id: &str) -> Option<CheckInKind> {
    if custom_id == AGREE {
        return Some(CheckInKind::Done);
    }
    CheckInKind::from_db(custom_id.strip_prefix(PREFIX)?)
}

/// Edits of group messages' tallies, spaced out per message.
#[derive(Default)]
pub struct Tallies {
    messages: Mutex<HashMap<serenity::MessageId, Tally>>,
}

struct Tally {
    last_edit: Option<Instant>,
    scheduled: bool,
}

impl serenity::prelude::TypeMapKey for Tallies {
    type Value = Arc<Tallies>;
}

/// Entries idle this long are forgotten (a session lasts a day at most).
const FORGET_AFTER: Duration = Duration::from_secs(2 * 24 * 3600);

impl Tallies {
    /// Notes a press on `message`: its tally is edited now, or once
    /// [`TALLY_EVERY`] has passed since the last edit, counting every press
    /// made meanwhile.
    fn press(
        self: &Arc<Self>,
        http: Arc<serenity::Http>,
        engine: Engine,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        base: serenity::CreateEmbed,
    ) {
        let now = Instant::now();
        let delay = {
            let mut messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
            messages.retain(|_, t| {
                t.scheduled || t.last_edit.is_some_and(|at| now - at < FORGET_AFTER)
            });
            let tally = messages.entry(message).or_insert(Tally {
                last_edit: None,
                scheduled: false,
            });
            if tally.scheduled {
                return; // The edit already waiting will count this press.
            }
            tally.scheduled = true;
            tally.last_edit.map_or(Duration::ZERO, |at| {
                (at + TALLY_EVERY).saturating_duration_since(now)
            })
        };
        let tallies = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(tally) = tallies
                .messages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&message)
            {
                tally.scheduled = false;
                tally.last_edit = Some(Instant::now());
            }
            let counts = match engine.check_ins_on(PLATFORM, &message.to_string()).await {
                Ok(counts) => counts,
                Err(error) => {
                    tracing::warn!(%message, "cannot count a group message's check-ins: {error}");
                    return;
                }
            };
            let tally = CheckInKind::ALL
                .iter()
                .map(|kind| {
                    let n = counts.get(kind).copied().unwrap_or(0);
                    format!("{} {n}", kind.emoji())
                })
                .collect::<Vec<_>>()
                .join(" · ");
            let lang = group_language(&engine, channel).await;
            let embed = base.footer(serenity::CreateEmbedFooter::new(tr!(
                lang,
                "discord-tally",
                tally = tally
            )));
            let edit = serenity::EditMessage::new().embed(embed);
            if let Err(error) = channel.edit_message(&http, message, edit).await {
                tracing::warn!(%message, "cannot edit a group message's tally: {error}");
            }
        });
    }
}

/// A press on one of the bot's buttons.
pub async fn on_press(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    if press.data.custom_id == LATER {
        return move_later(ctx, engine, press).await;
    }
    if press.data.custom_id == RATE {
        return ask_how_strong(ctx, engine, press).await;
    }
    let Some(kind) = parse(&press.data.custom_id) else {
        return Ok(());
    };
    let in_group = press.guild_id.is_some();
    let recorded = record_check_in(ctx, engine, press, kind, in_group).await?;
    let answer = answer_to(ctx, engine, press, &recorded, in_group).await;
    let answered = answer.send(ctx, press, recorded.deferred, in_group).await;
    if !in_group {
        // What the press moved on waited for this answer (a follow-up needs
        // one); it goes now, as a follow-up if the answer went out.
        if let Err(error) = engine.press_answered(&press.token, answered.is_ok()).await {
            tracing::warn!("cannot release what a press moved on; it goes in 3 s: {error}");
        }
    }
    answered
}

/// A press recorded: what the engine made of it, the presser's language,
/// and whether the interaction had to be deferred meanwhile.
struct Recorded {
    outcome: ReactionOutcome,
    lang: Language,
    deferred: bool,
}

/// Records the press as a check-in of `kind`, looking up the presser's
/// language meanwhile. An engine slower than [`ANSWER_BEFORE_DEFERRING`]
/// gets the interaction deferred first.
async fn record_check_in(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
    kind: CheckInKind,
    in_group: bool,
) -> Result<Recorded, Error> {
    let choice = ChoiceEvent {
        platform: PLATFORM.to_string(),
        message_id: press.message.id.to_string(),
        user_id: press.user.id.to_string(),
        display_name: press.member.as_ref().map(|m| m.display_name().to_string()),
        kind,
        room: Some(press.channel_id.to_string()),
        // In a DM, what the press moves on can answer it (a follow-up).
        press: (!in_group).then(|| Press {
            token: press.token.clone(),
            at: engine.now(),
            message_id: press.message.id.to_string(),
        }),
    };
    if ctx.http.application_id().is_none() {
        ctx.http.set_application_id(press.application_id);
    }
    let recording = {
        let (engine, member) = (engine.clone(), Asking::press(press).member());
        tokio::spawn(async move {
            let (outcome, lang) =
                tokio::join!(engine.on_choice(choice), member_language(&engine, &member));
            outcome.map(|outcome| (outcome, lang))
        })
    };
    tokio::pin!(recording);
    let ((outcome, lang), deferred) =
        match tokio::time::timeout(ANSWER_BEFORE_DEFERRING, &mut recording).await {
            Ok(recorded) => (recorded??, false),
            Err(_) => {
                press.create_response(&ctx.http, deferral(in_group)).await?;
                (recording.await??, true)
            }
        };
    Ok(Recorded {
        outcome,
        lang,
        deferred,
    })
}

/// The language the core answers `member` in; the one their app reports
/// when the store is slow to say.
async fn member_language(engine: &Engine, member: &Member) -> Language {
    let stored = crate::commands::language_of(engine, member);
    tokio::time::timeout(LANGUAGE_LOOKUP, stored)
        .await
        .unwrap_or_else(|_| {
            let reported = member.locale.as_deref().and_then(Language::from_tag);
            reported.unwrap_or_default()
        })
}

/// The language of the group posting in `channel` (English if none does).
async fn group_language(engine: &Engine, channel: serenity::ChannelId) -> Language {
    let channel = channel.to_string();
    match engine
        .db()
        .call(move |c| groups::for_channel(c, PLATFORM, &channel))
        .await
    {
        Ok(group) => group.map(|group| group.language).unwrap_or_default(),
        Err(error) => {
            tracing::warn!("cannot read a group's language: {error}");
            Language::default()
        }
    }
}

/// In a DM the message itself will change; in a group the presser gets a
/// private answer: defer the same way.
fn deferral(in_group: bool) -> serenity::CreateInteractionResponse {
    if in_group {
        serenity::CreateInteractionResponse::Defer(
            serenity::CreateInteractionResponseMessage::new().ephemeral(true),
        )
    } else {
        serenity::CreateInteractionResponse::Acknowledge
    }
}

/// What the presser is told of the engine's outcome, in their language; a
/// recorded check-in in a group also gets the message's tally updated.
async fn answer_to(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
    recorded: &Recorded,
    in_group: bool,
) -> Answer {
    let lang = recorded.lang;
    let original = press
        .message
        .embeds
        .first()
        .cloned()
        .map(serenity::CreateEmbed::from)
        .unwrap_or_default();
    match (recorded.outcome, in_group) {
        (ReactionOutcome::Recorded(kind) | ReactionOutcome::Unchanged(kind), true) => {
            update_tally(ctx, engine, press, original).await;
            Answer::Private(tr!(
                lang,
                "discord-recorded",
                emoji = kind.emoji(),
                label = label(kind, lang)
            ))
        }
        (ReactionOutcome::Recorded(kind) | ReactionOutcome::Unchanged(kind), false) => {
            let footer = tr!(
                lang,
                "discord-recorded-change",
                emoji = kind.emoji(),
                label = label(kind, lang)
            );
            Answer::Update(
                Box::new(original.footer(serenity::CreateEmbedFooter::new(footer))),
                rows(
                    Kind::Exercise,
                    &CheckInKind::reaction_set(),
                    Some(kind),
                    lang,
                ),
            )
        }
        (ReactionOutcome::Agreed, _) => Answer::Update(
            Box::new(original.footer(serenity::CreateEmbedFooter::new(tr!(
                lang,
                "discord-agreed"
            )))),
            rows(
                Kind::Disclaimer,
                &[CheckInKind::Done.emoji().to_string()],
                Some(CheckInKind::Done),
                lang,
            ),
        ),
        (ReactionOutcome::SessionOver, _) => Answer::Private(tr!(lang, "discord-session-over")),
        (ReactionOutcome::Ignored | ReactionOutcome::Withdrawn(_) | ReactionOutcome::Held, _) => {
            Answer::Private(tr!(lang, "discord-not-yours"))
        }
    }
}

/// Counts the press in the group message's tally, `original` being the
/// message's embed to put the tally under.
async fn update_tally(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
    original: serenity::CreateEmbed,
) {
    if let Some(tallies) = ctx.data.read().await.get::<Tallies>().cloned() {
        tallies.press(
            Arc::clone(&ctx.http),
            engine.clone(),
            press.channel_id,
            press.message.id,
            original,
        );
    }
}

/// "How strong?" pressed: a form with the score and where it hurt.
async fn ask_how_strong(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let lang = member_language(engine, &Asking::press(press).member()).await;
    let score = serenity::CreateInputText::new(
        serenity::InputTextStyle::Short,
        tr!(lang, "discord-pain-form-score"),
        SCORE_FIELD,
    )
    .placeholder("0–10")
    .min_length(1)
    .max_length(5)
    .required(true);
    let place = serenity::CreateInputText::new(
        serenity::InputTextStyle::Short,
        tr!(lang, "discord-pain-form-where"),
        WHERE_FIELD,
    )
    .placeholder(tr!(lang, "discord-pain-form-where-example"))
    .max_length(crate::commands::MAX_ARGUMENT_CHARS as u16)
    .required(false);
    let form =
        serenity::CreateModal::new(RATE, tr!(lang, "discord-pain-form-title")).components(vec![
            serenity::CreateActionRow::InputText(score),
            serenity::CreateActionRow::InputText(place),
        ]);
    press
        .create_response(&ctx.http, serenity::CreateInteractionResponse::Modal(form))
        .await?;
    Ok(())
}

/// The form sent back: the `pain` command, answered privately.
pub async fn on_how_strong(
    ctx: &serenity::Context,
    engine: &Engine,
    form: &serenity::ModalInteraction,
) -> Result<(), Error> {
    if form.data.custom_id != RATE {
        return Ok(());
    }
    let value = |id: &str| {
        form.data
            .components
            .iter()
            .flat_map(|row| &row.components)
            .find_map(|component| match component {
                serenity::ActionRowComponent::InputText(input) if input.custom_id == id => {
                    input.value.clone()
                }
                _ => None,
            })
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let command = crate::commands::Command::Pain {
        score: value(SCORE_FIELD).unwrap_or_default(),
        place: value(WHERE_FIELD),
    };
    let asking = Asking {
        user: &form.user,
        locale: &form.locale,
        server_locale: form.guild_locale.as_deref(),
    };
    let answer = command_answer(engine, asking, command, form.guild_id.is_some()).await;
    form.create_response(&ctx.http, answer).await?;
    Ok(())
}

/// Who pressed or sent, and the languages their interaction reports.
struct Asking<'a> {
    user: &'a serenity::User,
    locale: &'a str,
    server_locale: Option<&'a str>,
}

impl Asking<'_> {
    fn press(press: &serenity::ComponentInteraction) -> Asking<'_> {
        Asking {
            user: &press.user,
            locale: &press.locale,
            server_locale: press.guild_locale.as_deref(),
        }
    }

    /// The member as the core knows them.
    fn member(&self) -> Member {
        Member {
            platform: PLATFORM.to_string(),
            user_id: self.user.id.to_string(),
            display_name: self.user.display_name().to_string(),
            dm: None,
            profile_zone: None,
            locale: Some(self.locale.to_string()),
            server_locale: self.server_locale.map(str::to_string),
        }
    }
}

/// A command run for the member who pressed a button or sent a form, as
/// the interaction's answer (only they see it when `private`).
async fn command_answer(
    engine: &Engine,
    asking: Asking<'_>,
    command: crate::commands::Command,
    private: bool,
) -> serenity::CreateInteractionResponse {
    let member = asking.member();
    let reply =
        crate::commands::handle(engine, &member, &crate::commands::Place::Direct, command).await;
    serenity::CreateInteractionResponse::Message(
        serenity::CreateInteractionResponseMessage::new()
            .embed(embed(&reply.message))
            .ephemeral(private),
    )
}

/// "Later" pressed: the `later` command, answered privately.
async fn move_later(
    ctx: &serenity::Context,
    engine: &Engine,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let command = crate::commands::Command::Later { delay: None };
    let answer = command_answer(engine, Asking::press(press), command, true).await;
    press.create_response(&ctx.http, answer).await?;
    Ok(())
}

/// How a press is answered.
enum Answer {
    /// The message itself changes (a DM).
    Update(Box<serenity::CreateEmbed>, Vec<serenity::CreateActionRow>),
    /// Only the presser sees this.
    Private(String),
}

impl Answer {
    /// Answers the press. One already answered (Discord's 40060: another
    /// copy of the bot, or an earlier try, answered it) counts as answered.
    async fn send(
        self,
        ctx: &serenity::Context,
        press: &serenity::ComponentInteraction,
        deferred: bool,
        in_group: bool,
    ) -> Result<(), Error> {
        match self.send_once(ctx, press, deferred, in_group).await {
            Err(error)
                if error.downcast_ref::<serenity::Error>().and_then(code_of)
                    == Some(ALREADY_ACKNOWLEDGED) =>
            {
                Ok(())
            }
            answered => answered,
        }
    }

    async fn send_once(
        self,
        ctx: &serenity::Context,
        press: &serenity::ComponentInteraction,
        deferred: bool,
        in_group: bool,
    ) -> Result<(), Error> {
        match (self, deferred) {
            (Answer::Update(embed, rows), false) => {
                let message = serenity::CreateInteractionResponseMessage::new()
                    .embed(*embed)
                    .components(rows);
                press
                    .create_response(
                        &ctx.http,
                        serenity::CreateInteractionResponse::UpdateMessage(message),
                    )
                    .await?;
            }
            (Answer::Update(embed, rows), true) => {
                let edit = serenity::EditInteractionResponse::new()
                    .embed(*embed)
                    .components(rows);
                press.edit_response(&ctx.http, edit).await?;
            }
            (Answer::Private(text), false) => {
                let message = serenity::CreateInteractionResponseMessage::new()
                    .content(text)
                    .ephemeral(true);
                press
                    .create_response(
                        &ctx.http,
                        serenity::CreateInteractionResponse::Message(message),
                    )
                    .await?;
            }
            (Answer::Private(text), true) if in_group => {
                // Deferred as a private answer: fill it in.
                let edit = serenity::EditInteractionResponse::new().content(text);
                press.edit_response(&ctx.http, edit).await?;
            }
            (Answer::Private(text), true) => {
                // A DM press was acknowledged as an update; say it privately.
                let message = serenity::CreateInteractionResponseFollowup::new()
                    .content(text)
                    .ephemeral(true);
                press.create_followup(&ctx.http, message).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::render::custom_id;

    #[test]
    fn every_choice_has_a_button_that_parses_back() {
        for kind in CheckInKind::ALL {
            assert_eq!(parse(&custom_id(kind)), Some(kind));
        }
        assert_eq!(parse(AGREE), Some(CheckInKind::Done));
        assert_eq!(parse("someone-else:done"), None);
        assert_eq!(parse("upright:dance"), None);
    }
}
