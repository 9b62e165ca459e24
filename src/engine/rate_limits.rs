//! A platform that keeps rate-limiting the bot stretches everyone's
//! sessions; the operator hears how long the outbox will take at the rate
//! it allows, and what to ask for — at most once an hour per platform.

use chrono::Duration;

use super::Engine;
use super::platform::Platform;
use crate::store::deliveries;

/// The window the observed sending rate is measured over.
const OBSERVED_OVER: Duration = Duration::minutes(10);

impl Engine {
    pub(super) async fn report_rate_limit(&self, platform: &dyn Platform, name: &str) {
        let now = self.now();
        if !self.inner.rate_limit_reports.take(name, now) {
            return;
        }
        let (platform_name, since) = (name.to_string(), now - OBSERVED_OVER);
        let counted = self
            .db()
            .call(move |c| deliveries::backlog_and_sent_since(c, &platform_name, since))
            .await;
        let advice = platform.rate_limit_advice().unwrap_or_default();
        match counted {
            Ok((waiting, sent)) => {
                let per_minute = sent as f64 / OBSERVED_OVER.num_minutes() as f64;
                let takes = if per_minute > 0.0 {
                    format!("about {:.0} min", waiting as f64 / per_minute)
                } else {
                    "an unknown time (nothing was sent in the last 10 minutes)".to_string()
                };
                tracing::warn!(
                    platform = name,
                    waiting,
                    per_minute,
                    "{name} is rate-limiting the bot: {waiting} messages wait, which at the {per_minute:.1} per minute it allowed lately take {takes}. {advice}"
                );
            }
            Err(error) => {
                tracing::warn!(
                    platform = name,
                    "{name} is rate-limiting the bot ({error} while counting the outbox). {advice}"
                );
            }
        }
    }
}
