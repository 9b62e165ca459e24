//! Check-ins made while the bot was away, on a platform that does not
//! replay them (Discord keeps a reaction without telling a bot that was
//! not connected): the platform is asked who reacted, and each reaction is
//! recorded as if it had just arrived.

use chrono::Duration;

use super::Engine;
use super::platform::Platform;
use super::reactions::ReactionEvent;
use crate::check_in::CheckInKind;
use crate::store::Result;
use crate::store::deliveries::{self, Delivery, Recipient};

impl Engine {
    /// Check-ins made while the bot was away, on a platform that does not
    /// replay them: each exercise message of the last day's sessions is
    /// asked who reacted, and each reaction is recorded as if it had just
    /// arrived (recording one twice changes nothing). Returns how many
    /// reactions were found.
    pub async fn catch_up_check_ins(&self, platform_name: &str) -> Result<usize> {
        let Some(platform) = self.platform(platform_name) else {
            return Ok(0);
        };
        let (name, since) = (platform_name.to_string(), self.now() - Duration::days(1));
        let messages = self
            .db()
            .call(move |c| deliveries::recent_exercises(c, &name, since))
            .await?;
        let mut found = 0;
        for delivery in messages {
            let Some(message_id) = delivery.platform_message_id.clone() else {
                continue;
            };
            match self
                .catch_up_on(platform.as_ref(), &delivery, &message_id)
                .await?
            {
                Some(reactions) => found += reactions,
                None => break, // The platform replays them itself.
            }
        }
        Ok(found)
    }

    /// The check-ins on one of the bot's messages (`message_id`, sent for
    /// `delivery`) made while the bot was away, recorded as if they had just
    /// arrived. How many reactions were found; `None` when the platform
    /// replays them itself.
    pub(super) async fn catch_up_on(
        &self,
        platform: &dyn Platform,
        delivery: &Delivery,
        message_id: &str,
    ) -> Result<Option<usize>> {
        let Ok(to) = super::outbox::destination(delivery) else {
            return Ok(Some(0));
        };
        let room = match &delivery.recipient {
            Recipient::Channel(channel) => Some(channel.clone()),
            Recipient::Member(_) => None,
        };
        let mut found = 0;
        for kind in CheckInKind::ALL {
            let reactors = match platform.reactors(&to, message_id, kind.emoji()).await {
                Ok(Some(reactors)) => reactors,
                Ok(None) => return Ok(None),
                Err(error) => {
                    tracing::warn!(message = %message_id, "cannot read reactions: {error}");
                    continue;
                }
            };
            for user_id in reactors {
                found += 1;
                self.on_reaction(ReactionEvent {
                    platform: delivery.platform.clone(),
                    message_id: message_id.to_string(),
                    user_id,
                    display_name: None,
                    emoji: kind.emoji().to_string(),
                    added: true,
                    reaction_id: None,
                    room: room.clone(),
                })
                .await?;
            }
        }
        Ok(Some(found))
    }
}
