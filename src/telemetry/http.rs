//! `/metrics` and `/healthz` over HTTP, for Prometheus and a supervisor.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::Link;
use crate::engine::Engine;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves until `shutdown` completes. Bind the listener first, so a taken
/// port stops the bot at start rather than going unnoticed.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(engine);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics(State(engine): State<Engine>) -> impl IntoResponse {
    // Stale outbox gauges are better than no metrics at all.
    if let Err(error) = engine.read_outbox_depth().await {
        tracing::warn!("cannot read the outbox for /metrics: {error}");
    }
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        engine.telemetry().metrics.encode(),
    )
}

async fn healthz(State(engine): State<Engine>) -> impl IntoResponse {
    let now = engine.now();
    let verdict = engine.telemetry().health.verdict(now);
    let platforms: serde_json::Map<String, serde_json::Value> = verdict
        .platforms
        .iter()
        .map(|(name, link)| {
            let state = match link {
                Link::Connecting => "connecting".to_string(),
                Link::Connected => "connected".to_string(),
                Link::Lost(why) => format!("disconnected: {why}"),
            };
            (name.clone(), state.into())
        })
        .collect();
    let body = serde_json::json!({
        "status": if verdict.healthy() { "ok" } else { "unhealthy" },
        "problems": verdict.problems,
        "last_pass_seconds_ago": verdict.last_pass.map(|at| (now - at).num_seconds()),
        "platforms": platforms,
    });
    let status = if verdict.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}
