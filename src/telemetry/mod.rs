//! What an operator sees of a running bot: Prometheus metrics, a health
//! verdict for the supervisor, and the small HTTP server that serves both
//! (`UPRIGHT_METRICS_ADDR`).

mod health;
mod http;
mod metrics;

pub use health::{Health, Link, Verdict};
pub use http::{HttpLimits, serve, serve_within};
pub use metrics::{CommandOutcome, DeliveryOutcome, Metrics, OutboxDepth};

/// Everything the engine and the adapters report as they work.
#[derive(Default)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub health: Health,
}
