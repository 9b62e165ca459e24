//! Answering a press with what it moved on. When a member presses a button
//! and that moves their session on, the next exercise (or the closing) is
//! tied to the press; a platform that can (Discord, with the interaction's
//! token) sends it as the press's answer, which costs none of the bot's
//! global rate limit. Exactly once still holds: the tie is written with the
//! check-in, before anything is sent, and a send whose fate is unknown is
//! settled by looking, never by answering the press again.

use chrono::{DateTime, Duration, Utc};

use super::Engine;
use super::platform::PressAnswer;
use crate::store::deliveries::Press;
use crate::store::sql::Conn;
use crate::store::{Result, press_answers};

/// How long what a press moved on waits for the press itself to be
/// answered: Discord takes no follow-up before that, and gives an
/// interaction 3 s. A press whose answer never comes (a crash) lets its
/// messages go when this runs out.
pub const PRESS_HOLD: Duration = Duration::seconds(3);

/// How long a press may be answered through: Discord's interaction tokens
/// last 15 minutes; a minute is left for the send itself.
pub const PRESS_USABLE_FOR: Duration = Duration::minutes(14);

/// Ties what `work` writes to the member's DM to `press`, if there is one.
pub(super) fn tied_to_press<T>(
    c: &dyn Conn,
    press: Option<(&Press, &str, &str)>,
    now: DateTime<Utc>,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let Some((press, platform, user_id)) = press else {
        return work();
    };
    let before = press_answers::last_delivery_id(c)?;
    let done = work()?;
    press_answers::tie(c, platform, user_id, before, press, now + PRESS_HOLD)?;
    Ok(done)
}

/// The press a message answers, if any, as the platform may use it: its
/// token only while fresh; `unsure` when an earlier attempt may have gone
/// out.
pub(super) fn answer_route(
    press: Option<&Press>,
    now: DateTime<Utc>,
    unsure: bool,
) -> Option<PressAnswer<'_>> {
    let press = press?;
    Some(PressAnswer {
        token: (now - press.at <= PRESS_USABLE_FOR).then_some(press.token.as_str()),
        message_id: &press.message_id,
        unsure,
    })
}

impl Engine {
    /// The press behind `token` has been answered (`answered`), or could not
    /// be: what it moved on goes now, through the press or, if it could not
    /// be answered, the ordinary way.
    pub async fn press_answered(&self, token: &str, answered: bool) -> Result<()> {
        let (token, now) = (token.to_string(), self.now());
        let released = self
            .db()
            .call(move |c| press_answers::release(c, &token, answered, now))
            .await?;
        if released > 0 {
            self.wake();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_is_answered_through_for_fourteen_minutes_then_not() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let press = Press {
            token: "token-9".into(),
            at,
            message_id: "41".into(),
        };
        let route = |after: Duration, unsure| answer_route(Some(&press), at + after, unsure);
        assert_eq!(
            route(Duration::seconds(3), false),
            Some(PressAnswer {
                token: Some("token-9"),
                message_id: "41",
                unsure: false
            })
        );
        assert_eq!(
            route(Duration::minutes(14), false).and_then(|r| r.token),
            Some("token-9")
        );
        // Older: the token is not used, but an unsure earlier attempt is still looked for.
        let stale = route(Duration::minutes(14) + Duration::seconds(1), true);
        assert_eq!(
            stale,
            Some(PressAnswer {
                token: None,
                message_id: "41",
                unsure: true
            })
        );
        assert_eq!(answer_route(None, at, true), None);
    }
}
