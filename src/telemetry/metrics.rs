//! The bot's Prometheus metrics. Counters and histograms are updated where
//! things happen; the outbox gauges are read from the database at each scrape.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::check_in::CheckInKind;
use crate::store::outbox_figures::OutboxDepth;

/// What became of one attempt to deliver a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The platform took it (a message, or the bot's reactions on one).
    Sent,
    /// Failed for now; tried again later.
    Retried,
    /// Given up on.
    Failed,
    /// The member cannot be messaged; their subscription was paused.
    Paused,
}

impl DeliveryOutcome {
    fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::Retried => "retried",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Paused => "paused",
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Answered as asked.
    Ok,
    /// Understood but refused, with the reason (a bad time zone, say).
    Refused,
    /// Not a command, or missing what it needs.
    Invalid,
    /// Failed on the bot's side.
    Error,
    /// Not answered: the member sent too many too fast.
    Limited,
}

impl CommandOutcome {
    fn label(self) -> &'static str {
        match self {
            CommandOutcome::Ok => "ok",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Invalid => "invalid",
            CommandOutcome::Error => "error",
            CommandOutcome::Limited => "limited",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PlatformLabels {
    platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DeliveryLabels {
    platform: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    platform: String,
    route: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ErrorLabels {
    platform: String,
    kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CheckInLabels {
    platform: String,
    kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CommandLabels {
    command: &'static str,
    outcome: &'static str,
}

fn send_seconds() -> Histogram {
    Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
}

fn start_lag_seconds() -> Histogram {
    Histogram::new([
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0,
    ])
}

pub struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryLabels, Counter>,
    sent_by_route: Family<RouteLabels, Counter>,
    platform_errors: Family<ErrorLabels, Counter>,
    send_seconds: Family<PlatformLabels, Histogram, fn() -> Histogram>,
    session_start_lag: Family<PlatformLabels, Histogram, fn() -> Histogram>,
    check_ins: Family<CheckInLabels, Counter>,
    commands: Family<CommandLabels, Counter>,
    passes: Counter,
    failed_passes: Counter,
    groups_set_aside: Counter,
    outbox_due: Family<PlatformLabels, Gauge>,
    outbox_oldest: Family<PlatformLabels, Gauge<f64, AtomicU64>>,
    leases_held: Family<LeaseLabels, Gauge>,
    claims: Family<ClaimLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LeaseLabels {
    lease: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClaimLabels {
    work: &'static str,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("upright");
        let metrics = Metrics {
            deliveries: Family::default(),
            sent_by_route: Family::default(),
            platform_errors: Family::default(),
            send_seconds: Family::new_with_constructor(send_seconds),
            session_start_lag: Family::new_with_constructor(start_lag_seconds),
            check_ins: Family::default(),
            commands: Family::default(),
            passes: Counter::default(),
            failed_passes: Counter::default(),
            groups_set_aside: Counter::default(),
            outbox_due: Family::default(),
            outbox_oldest: Family::default(),
            leases_held: Family::default(),
            claims: Family::default(),
            registry: Registry::default(),
        };
        metrics.register_sending(&mut registry);
        metrics.register_work(&mut registry);
        Metrics {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    fn register_sending(&self, registry: &mut Registry) {
        registry.register(
            "deliveries",
            "Delivery attempts by platform and outcome (sent, retried, failed, paused)",
            self.deliveries.clone(),
        );
        registry.register(
            "sent",
            "Messages sent, by platform and route (channel: a message of the bot's own, \
             under the platform's global rate limit; interaction: the answer to a member's press)",
            self.sent_by_route.clone(),
        );
        registry.register(
            "platform_errors",
            "Platform errors by kind (rate_limited, transient, timeout, unreachable, rejected)",
            self.platform_errors.clone(),
        );
        registry.register(
            "send_seconds",
            "How long the platform took over one send or one message's reactions",
            self.send_seconds.clone(),
        );
        registry.register(
            "session_start_lag_seconds",
            "From a session's scheduled instant to its first message being sent",
            self.session_start_lag.clone(),
        );
    }

    fn register_work(&self, registry: &mut Registry) {
        registry.register(
            "check_ins",
            "Check-ins recorded, by platform and kind (done, skip, pain)",
            self.check_ins.clone(),
        );
        registry.register(
            "commands",
            "Commands answered, by command and outcome (ok, refused, invalid, error, limited)",
            self.commands.clone(),
        );
        registry.register(
            "engine_passes",
            "Engine passes over due work",
            self.passes.clone(),
        );
        registry.register(
            "engine_failed_passes",
            "Engine passes that failed (retried with backoff)",
            self.failed_passes.clone(),
        );
        registry.register(
            "groups_set_aside",
            "Groups set aside because their stored schedule no longer reads",
            self.groups_set_aside.clone(),
        );
        registry.register(
            "outbox_due",
            "Messages and reactions due now, not yet handed to the platform",
            self.outbox_due.clone(),
        );
        registry.register(
            "outbox_oldest_due_seconds",
            "How long the oldest due message has waited",
            self.outbox_oldest.clone(),
        );
        registry.register(
            "lease_held",
            "1 for each platform this replica holds (its listener and sender run here), else 0",
            self.leases_held.clone(),
        );
        registry.register(
            "claims",
            "Due work this replica claimed, by kind (delivery, session, step, group, weekly, followup)",
            self.claims.clone(),
        );
    }
}

impl Metrics {
    /// Whether this replica holds the lease `lease` (a platform) now.
    pub fn lease_held(&self, lease: &str, held: bool) {
        self.leases_held
            .get_or_create(&LeaseLabels {
                lease: lease.to_string(),
            })
            .set(i64::from(held));
    }

    /// This replica claimed `count` rows of due work of one kind.
    pub fn claimed(&self, work: &'static str, count: u64) {
        if count > 0 {
            self.claims
                .get_or_create(&ClaimLabels { work })
                .inc_by(count);
        }
    }

    pub fn delivery(&self, platform: &str, outcome: DeliveryOutcome) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                platform: platform.to_string(),
                outcome: outcome.label(),
            })
            .inc();
    }

    /// A message the platform took, by the way it went.
    pub fn sent(&self, platform: &str, answered_press: bool) {
        self.sent_by_route
            .get_or_create(&RouteLabels {
                platform: platform.to_string(),
                route: if answered_press {
                    "interaction"
                } else {
                    "channel"
                },
            })
            .inc();
    }

    /// A send that got no answer in time.
    pub fn send_timed_out(&self, platform: &str) {
        self.platform_error(platform, "timeout");
    }

    /// A platform call that failed, by the kind of failure.
    pub fn platform_error(&self, platform: &str, kind: &'static str) {
        self.platform_errors
            .get_or_create(&ErrorLabels {
                platform: platform.to_string(),
                kind,
            })
            .inc();
    }

    pub fn send_took(&self, platform: &str, seconds: f64) {
        self.send_seconds
            .get_or_create(&PlatformLabels {
                platform: platform.to_string(),
            })
            .observe(seconds);
    }

    pub fn session_started(&self, platform: &str, lag_seconds: f64) {
        self.session_start_lag
            .get_or_create(&PlatformLabels {
                platform: platform.to_string(),
            })
            .observe(lag_seconds.max(0.0));
    }

    pub fn check_in(&self, platform: &str, kind: CheckInKind) {
        self.check_ins
            .get_or_create(&CheckInLabels {
                platform: platform.to_string(),
                kind: kind.as_str(),
            })
            .inc();
    }

    pub fn command(&self, command: &'static str, outcome: CommandOutcome) {
        self.commands
            .get_or_create(&CommandLabels {
                command,
                outcome: outcome.label(),
            })
            .inc();
    }

    pub fn pass(&self, succeeded: bool) {
        self.passes.inc();
        if !succeeded {
            self.failed_passes.inc();
        }
    }

    /// A group was set aside (its stored schedule no longer reads).
    pub fn group_set_aside(&self) {
        self.groups_set_aside.inc();
    }

    /// Engine passes that failed so far.
    pub fn failed_passes(&self) -> u64 {
        self.failed_passes.get()
    }

    /// Replaces the outbox gauges with a fresh reading; platforms with
    /// nothing due show zero.
    pub fn set_outbox(&self, platforms: &[String], depths: &[OutboxDepth]) {
        self.outbox_due.clear();
        self.outbox_oldest.clear();
        for platform in platforms {
            let labels = PlatformLabels {
                platform: platform.clone(),
            };
            let depth = depths.iter().find(|d| &d.platform == platform);
            self.outbox_due
                .get_or_create(&labels)
                .set(depth.map_or(0, |d| d.due));
            self.outbox_oldest
                .get_or_create(&labels)
                .set(depth.map_or(0.0, |d| d.oldest_due_seconds));
        }
    }

    /// Everything, in the OpenMetrics text format Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _infallible = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
