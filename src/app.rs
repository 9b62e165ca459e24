//! `upright run`: the engine plus every configured platform, until shutdown.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::content::Content;
use crate::engine::{Engine, Settings};
use crate::store::Db;

/// Starts every configured platform and the engine; returns after `shutdown`
/// completes (or a platform ends by itself) and everything has stopped.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    if config.discord.is_none() && config.matrix.is_none() {
        anyhow::bail!(
            "no platform is configured. Set DISCORD_TOKEN and/or MATRIX_HOMESERVER, MATRIX_USER, MATRIX_PASSWORD \
             (see .env.example), or try the bot in your terminal with `upright demo`."
        );
    }
    let content = Arc::new(
        Content::load(&config.content_dir)
            .with_context(|| format!("content in {}", config.content_dir.display()))?,
    );
    let db = Db::connect(&config.database)?;
    let engine = Engine::new(db, content, Arc::new(SystemClock), Settings::from(&config));
    engine.name_sender(crate::replica::sender_name(&config));
    let (stop, stopped) = watch::channel(false);
    // Served from the start, so a supervisor sees "connecting" while the
    // platforms log in.
    let metrics_server = serve_metrics(&config, &engine, &stopped).await?;
    let mut platforms = start_platforms(&config, &engine, &stopped)?;
    let mut engine_task = {
        let (engine, stopped) = (engine.clone(), stopped.clone());
        tokio::spawn(async move { engine.run_supervised(stopped).await })
    };
    // If the engine cannot be kept up, the bot exits non-zero, so the
    // supervisor (systemd, Docker) starts it afresh.
    let mut engine_ended = false;
    let outcome = tokio::select! {
        () = shutdown => Ok(()),
        ended = &mut engine_task => {
            engine_ended = true;
            Err(match ended {
                Ok(Ok(())) => anyhow::anyhow!("the engine stopped unexpectedly"),
                Ok(Err(error)) => anyhow::anyhow!(error),
                Err(error) => anyhow::anyhow!("the engine failed: {error}"),
            })
        }
        Some(ended) = platforms.join_next() => match ended {
            Ok(Ok(())) => Err(anyhow::anyhow!("a platform stopped unexpectedly")),
            Ok(Err(error)) => Err(error),
            Err(error) => Err(anyhow::anyhow!("a platform task failed: {error}")),
        },
    };
    tracing::info!("shutting down");
    stop.send_replace(true);
    while let Some(ended) = platforms.join_next().await {
        match ended {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!("a platform stopped with an error: {error:#}"),
            Err(error) => tracing::error!("a platform task failed: {error}"),
        }
    }
    if !engine_ended {
        match engine_task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!("{error}"),
            Err(error) => tracing::error!("the engine task failed: {error}"),
        }
    }
    if let Some(server) = metrics_server {
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!("the metrics server failed: {error}"),
            Err(error) => tracing::error!("the metrics server task failed: {error}"),
        }
    }
    outcome
}

/// Completes once `stopped` turns true (or its sender is gone).
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _closed = stopped.changed().await;
}

type Task = tokio::task::JoinHandle<std::io::Result<()>>;

/// Serves `/metrics` and `/healthz` if an address is set. A taken port
/// stops the bot here, not silently.
async fn serve_metrics(
    config: &Config,
    engine: &Engine,
    stopped: &watch::Receiver<bool>,
) -> anyhow::Result<Option<Task>> {
    let Some(addr) = config.metrics_addr else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("UPRIGHT_METRICS_ADDR: cannot listen on {addr}"))?;
    tracing::info!(%addr, "serving /metrics and /healthz");
    Ok(Some(tokio::spawn(crate::http::serve(
        listener,
        engine.clone(),
        until_stopped(stopped.clone()),
    ))))
}

/// Each configured platform, running until shutdown whenever this replica
/// holds it (see [`crate::replica`]); if one ends by itself (a revoked
/// token, say), the whole bot stops with its error so a supervisor notices.
fn start_platforms(
    config: &Config,
    engine: &Engine,
    stopped: &watch::Receiver<bool>,
) -> anyhow::Result<JoinSet<anyhow::Result<()>>> {
    #[allow(unused_mut)]
    let mut platforms = JoinSet::new();
    let replica = crate::replica::replica_id();
    tracing::info!(%replica, database = %config.database, "this replica");
    #[cfg(feature = "matrix")]
    if let Some(matrix) = &config.matrix {
        let (matrix, engine, stopped) = (matrix.clone(), engine.clone(), stopped.clone());
        let replica = replica.clone();
        platforms.spawn(async move {
            crate::replica::hold(
                &engine,
                crate::matrix::PLATFORM,
                &replica,
                stopped,
                |stop| {
                    let (matrix, engine) = (matrix.clone(), engine.clone());
                    async move { crate::matrix::run(&matrix, &engine, stop).await }
                },
            )
            .await
        });
    }
    #[cfg(feature = "discord")]
    if let Some(discord) = config.discord.clone() {
        let (engine, stopped) = (engine.clone(), stopped.clone());
        platforms.spawn(async move {
            crate::replica::hold(
                &engine,
                crate::discord::PLATFORM,
                &replica,
                stopped,
                |stop| {
                    let (discord, engine) = (discord.clone(), engine.clone());
                    async move { crate::discord::run(&discord, &engine, stop).await }
                },
            )
            .await
        });
        tracing::info!("Discord is starting");
    }
    #[cfg(not(feature = "discord"))]
    if config.discord.is_some() {
        anyhow::bail!(
            "DISCORD_TOKEN is set, but this build has no Discord support; build with `--features discord`"
        );
    }
    #[cfg(not(feature = "matrix"))]
    if config.matrix.is_some() {
        anyhow::bail!(
            "MATRIX_HOMESERVER is set, but this build has no Matrix support; build with `--features matrix`"
        );
    }
    #[cfg(not(all(feature = "matrix", feature = "discord")))]
    let _ = (engine, stopped);
    Ok(platforms)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
