//! What a failed Discord call means for the engine: the HTTP status and
//! Discord's error code, whether serenity reports them or
//! [`super::proxy`] reads them itself, become a [`SendError`] (retry, give
//! up on the member, or reject the message). Also the codes that say an
//! account is not, or no longer, in a server.

use poise::serenity_prelude as serenity;

use crate::engine::SendError;

/// Discord: "Cannot send messages to this user".
const CANNOT_MESSAGE_USER: isize = 50007;
/// Discord: "You are opening direct messages too fast".
const OPENING_DMS_TOO_FAST: isize = 40003;
/// Discord: "Unknown Member" (not, or no longer, in the server).
pub const UNKNOWN_MEMBER: isize = 10007;
/// Discord: "Unknown User" (the account is gone).
pub const UNKNOWN_USER: isize = 10013;

/// Discord: an interaction, or its follow-up webhook, that no longer
/// answers ("Unknown Webhook", "Unknown interaction", "Invalid Webhook
/// Token"): its token has run out, or it was never acknowledged.
const PRESS_GONE: [isize; 3] = [10015, 10062, 50027];
/// Discord: "Interaction has already been acknowledged".
pub const ALREADY_ACKNOWLEDGED: isize = 40060;

/// Whether a failed follow-up says the press can no longer be answered.
pub fn press_gone(code: isize) -> bool {
    PRESS_GONE.contains(&code)
}

/// The error code of a failed call serenity reports, if Discord gave one.
pub fn code_of(error: &serenity::Error) -> Option<isize> {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.error.code)
        }
        _ => None,
    }
}

/// A 429 seen through serenity carries no `retry_after` (serenity's own
/// limiter normally waits it out before we see anything); then wait this.
const RATE_LIMIT_FALLBACK: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// What a failed Discord call means for the engine, from its status and
/// Discord's error code.
pub fn classify_status(status: u16, code: isize, message: &str) -> SendError {
    match (status, code) {
        (_, CANNOT_MESSAGE_USER) => {
            SendError::Unreachable(format!("{message} ({CANNOT_MESSAGE_USER})"))
        }
        (_, OPENING_DMS_TOO_FAST) => SendError::RetryAfter(chrono::TimeDelta::minutes(1)),
        (429, _) => SendError::RetryAfter(RATE_LIMIT_FALLBACK),
        (500.., _) => SendError::Transient(format!("{status}: {message}")),
        _ => SendError::Rejected(format!("{status}: {message} ({code})")),
    }
}

/// [`classify_status`] for an error serenity reports; a request that got no
/// answer is worth retrying.
pub fn classify(error: &serenity::Error) -> SendError {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            classify_status(
                response.status_code.as_u16(),
                response.error.code,
                &response.error.message,
            )
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) => {
            SendError::Transient(error.to_string())
        }
        _ => SendError::Rejected(error.to_string()),
    }
}
