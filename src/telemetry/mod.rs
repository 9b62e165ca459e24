//! What an operator sees of a running bot: Prometheus metrics and a health
//! verdict for the supervisor, served over HTTP by [`crate::http`].

mod health;
mod metrics;

pub use health::{Health, Link, Verdict};
pub use metrics::{CommandOutcome, DeliveryOutcome, Metrics};

/// Everything the engine and the adapters report as they work.
#[derive(Default)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub health: Health,
}
