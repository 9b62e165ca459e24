//! `/metrics` and `/healthz` over HTTP, for Prometheus and a supervisor.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::engine::Engine;
use crate::telemetry::Link;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How much the HTTP server takes on: it answers Prometheus and a health
/// check, so a few connections, each short, are all it ever needs.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Connections served at once; more are closed at once.
    pub connections: usize,
    /// The longest a connection stays open, request and answer included (a
    /// client that sends its request slowly is cut off).
    pub connection_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            connections: 16,
            connection_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves until `shutdown` completes, within the default [`HttpLimits`].
/// Bind the listener first, so a taken port stops the bot at start rather
/// than going unnoticed.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_within(listener, engine, shutdown, HttpLimits::default()).await
}

/// [`serve`] within `limits`.
pub async fn serve_within(
    listener: TcpListener,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: HttpLimits,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(engine);
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A connection that failed before it was accepted (reset,
                // out of file descriptors for a moment): the next one may do.
                Err(error) => {
                    tracing::debug!("cannot accept an HTTP connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream); // Busy: closed at once.
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.connection_timeout, connection).await;
            drop(slot);
        });
    }
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
                Link::StandingBy => "standing by".to_string(),
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
