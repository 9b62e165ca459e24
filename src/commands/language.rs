//! `language [code]`: the language the member reads. Bare, it lists what
//! there is; with a code or a locale (`de`, `es-ES`) it sets theirs, and
//! the answer already comes in it.

use super::{CommandError, Ctx};
use crate::i18n::Language;
use crate::message::{Message, Reply};
use crate::store::users;
use crate::tr;

pub(crate) fn choose(ctx: &Ctx<'_>, code: Option<&str>) -> Result<Reply, CommandError> {
    let Some(code) = code else {
        return Ok(Reply::private(Message::text(tr!(
            ctx.lang,
            "language-list",
            languages = offered(ctx),
            current = ctx.lang.native_name()
        ))));
    };
    let Some(language) = Language::from_tag(code) else {
        return Err(CommandError::Refused(tr!(
            ctx.lang,
            "language-unknown",
            asked = code,
            languages = offered(ctx)
        )));
    };
    users::set_language(ctx.c, ctx.user.id, Some(language))?;
    Ok(Reply::private(Message::text(tr!(language, "language-set"))))
}

/// `` `en` English, `de` Deutsch, `es` Español ``.
fn offered(ctx: &Ctx<'_>) -> String {
    let lines: Vec<String> = Language::ALL
        .iter()
        .map(|language| {
            tr!(
                ctx.lang,
                "language-list-line",
                code = language.code(),
                name = language.native_name()
            )
        })
        .collect();
    lines.join(", ")
}
