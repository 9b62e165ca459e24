//! Whether the bot is doing its job, as a supervisor asks it: the engine has
//! finished a pass recently and every configured platform is connected.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// How long the engine may go without a successful pass. It wakes at least
/// once a minute, so two minutes without one means it is stuck or failing.
pub const ENGINE_STALE_AFTER: Duration = Duration::minutes(2);

/// A platform's connection, as its adapter last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Another replica holds the platform; this one takes over if it dies.
    StandingBy,
    Connecting,
    Connected,
    /// Lost, with why (a failed sync, a closed gateway).
    Lost(String),
}

#[derive(Default)]
pub struct Health {
    last_pass: Mutex<Option<DateTime<Utc>>>,
    links: Mutex<BTreeMap<String, Link>>,
}

/// The answer to "is the bot healthy?", with the reasons when it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Vec<String>,
    pub platforms: BTreeMap<String, Link>,
    pub last_pass: Option<DateTime<Utc>>,
}

impl Verdict {
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Health {
    /// The engine finished a pass over due work at `at`.
    pub fn engine_passed(&self, at: DateTime<Utc>) {
        *self
            .last_pass
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    /// A platform's adapter reports its connection.
    pub fn link(&self, platform: &str, link: Link) {
        self.links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(platform.to_string(), link);
    }

    pub fn verdict(&self, now: DateTime<Utc>) -> Verdict {
        let last_pass = *self
            .last_pass
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let platforms = self
            .links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut problems = Vec::new();
        match last_pass {
            None => problems.push("engine: no pass has finished yet".to_string()),
            Some(at) if now - at > ENGINE_STALE_AFTER => problems.push(format!(
                "engine: no pass has finished for {} s",
                (now - at).num_seconds()
            )),
            Some(_) => {}
        }
        for (platform, link) in &platforms {
            match link {
                Link::Connected | Link::StandingBy => {}
                Link::Connecting => problems.push(format!("{platform}: still connecting")),
                Link::Lost(why) => problems.push(format!("{platform}: disconnected: {why}")),
            }
        }
        Verdict {
            problems,
            platforms,
            last_pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn healthy_only_with_a_recent_pass_and_every_platform_connected() {
        let health = Health::default();
        assert!(!health.verdict(at(0)).healthy(), "no pass yet");
        health.engine_passed(at(0));
        assert!(health.verdict(at(60)).healthy());
        assert!(!health.verdict(at(121)).healthy(), "stale engine");

        health.link("matrix", Link::Connecting);
        let verdict = health.verdict(at(60));
        assert_eq!(verdict.problems, ["matrix: still connecting"]);
        health.link("matrix", Link::Connected);
        assert!(health.verdict(at(60)).healthy());
        health.link("matrix", Link::Lost("sync failed".into()));
        assert_eq!(
            health.verdict(at(60)).problems,
            ["matrix: disconnected: sync failed"]
        );
        // A replica standing by while another holds the platform is well.
        health.link("matrix", Link::StandingBy);
        assert!(health.verdict(at(60)).healthy());
    }
}
