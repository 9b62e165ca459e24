//! Interactions as Discord holds them to their rules: a callback within
//! 3 s and only one (a second is refused with 40060), follow-ups with the
//! interaction's token only once it has been answered and for 15 minutes
//! (after that, 50027), each in the channel the interaction came from.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long Discord waits for an interaction's callback.
pub const CALLBACK_WITHIN: Duration = Duration::from_secs(3);
/// How long an interaction's token takes follow-ups.
pub const TOKEN_LASTS: Duration = Duration::from_secs(15 * 60);

struct Interaction {
    id: String,
    channel: String,
    /// The message whose button was pressed (a component interaction).
    pressed: Option<String>,
    answered: bool,
    at: Instant,
}

/// A refusal: the status and Discord's error body.
pub type Refusal = (u16, Value);

fn refusal(status: u16, code: u32, message: &str) -> Refusal {
    (status, json!({ "message": message, "code": code }))
}

#[derive(Default)]
pub struct Interactions {
    by_token: HashMap<String, Interaction>,
}

impl Interactions {
    /// An interaction sent to the bot from `channel`.
    pub fn open(&mut self, id: &str, token: &str, channel: &str, pressed: Option<&str>) {
        let interaction = Interaction {
            id: id.to_string(),
            channel: channel.to_string(),
            pressed: pressed.map(str::to_string),
            answered: false,
            at: Instant::now(),
        };
        self.by_token.insert(token.to_string(), interaction);
    }

    /// The callback to interaction `id`: the message a button was on, if
    /// any, when it is the first in time.
    pub fn answer(&mut self, id: &str, token: &str) -> Result<Option<String>, Refusal> {
        let unknown = || refusal(404, 10062, "Unknown interaction");
        let interaction = self.by_token.get_mut(token).ok_or_else(unknown)?;
        if interaction.id != id {
            return Err(unknown());
        }
        if interaction.answered {
            return Err(refusal(
                400,
                40060,
                "Interaction has already been acknowledged.",
            ));
        }
        if interaction.at.elapsed() > CALLBACK_WITHIN {
            return Err(unknown());
        }
        interaction.answered = true;
        Ok(interaction.pressed.clone())
    }

    /// Where a follow-up (or an edit of the answer) with `token` goes: the
    /// interaction's channel, and the message a button was on.
    pub fn follow_up(&self, token: &str) -> Result<(String, Option<String>), Refusal> {
        match self.by_token.get(token) {
            Some(interaction) if interaction.at.elapsed() > TOKEN_LASTS => {
                Err(refusal(401, 50027, "Invalid Webhook Token"))
            }
            Some(interaction) if interaction.answered => {
                Ok((interaction.channel.clone(), interaction.pressed.clone()))
            }
            _ => Err(refusal(404, 10015, "Unknown Webhook")),
        }
    }
}
