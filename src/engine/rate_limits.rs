//! A platform that keeps rate-limiting the bot stretches everyone's
//! sessions; the operator hears how long the outbox will take at the rate
//! it allows, and what to ask for — at most once an hour per platform.

use chrono::Duration;

use super::Engine;
use super::platform::Platform;
use crate::store::outbox_figures;

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
            .call(move |c| outbox_figures::backlog_and_sent_since(c, &platform_name, since))
            .await;
        let advice = platform.rate_limit_advice().unwrap_or_default();
        match counted {
            Ok((waiting, sent)) => {
                tracing::warn!(
                    platform = name,
                    waiting,
                    sent,
                    "{}",
                    report(name, waiting, sent, &advice)
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

/// What the operator reads: how long the backlog takes at the rate the
/// platform allowed over [`OBSERVED_OVER`], and what to do about it.
fn report(platform: &str, waiting: u64, sent: u64, advice: &str) -> String {
    let per_minute = sent as f64 / OBSERVED_OVER.num_minutes() as f64;
    let takes = if per_minute > 0.0 {
        format!("take about {:.0} min", (waiting as f64 / per_minute).ceil())
    } else {
        "may take long: nothing was sent in the last 10 minutes".to_string()
    };
    format!(
        "{platform} is rate-limiting the bot: {waiting} messages wait and, at the {per_minute:.1} a minute it allowed lately, {takes}. {advice}"
    )
}

#[cfg(test)]
mod tests {
    use super::report;

    #[test]
    fn the_report_says_how_long_the_backlog_takes_and_what_to_do() {
        let text = report("matrix", 500, 20, "Ask the admin.");
        assert!(text.contains("500 messages wait"), "{text}");
        assert!(text.contains("2.0 a minute"), "{text}");
        assert!(text.contains("about 250 min"), "{text}");
        assert!(text.ends_with("Ask the admin."), "{text}");
        let stalled = report("matrix", 3, 0, "");
        assert!(stalled.contains("nothing was sent"), "{stalled}");
    }
}
