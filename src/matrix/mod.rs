//! The Matrix adapter: a matrix-sdk client with end-to-end encryption and its
//! SQLite store.
//!
//! - this file: the connection (log in once, then restore the saved session)
//!   and the sync loop;
//! - [`inbound`]: room messages (`!upright …`), reactions, redactions,
//!   invites and membership changes, handed off the sync loop to workers
//!   that keep each room's order;
//! - [`platform`]: [`Platform`](crate::engine::Platform) for the engine —
//!   sends into rooms and finds or opens members' DMs.

mod gaps;
mod identity;
mod inbound;
mod platform;
mod relogin;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use matrix_sdk::Client;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::ruma::api::client::filter::{Filter, FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::error::ErrorKind;

use crate::checkpoint::Checkpoints;
use crate::config::MatrixConfig;
use crate::engine::Engine;
use crate::retry::Backoff;
use crate::telemetry::Link;

pub use identity::{IdentityOutcome, RECOVERY_KEY_FILE};
pub use platform::MatrixPlatform;

pub const PLATFORM: &str = "matrix";
const SESSION_FILE: &str = "session.json";

/// Every request gives up after this long. Long-poll syncs get their own
/// wait on top (matrix-sdk adds it).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Logs in (first start) or restores the saved session (every later start),
/// so a restart keeps the same device and its encryption keys. A restored
/// session resumes syncing from the bot's own position (see [`sync`]).
pub async fn connect(config: &MatrixConfig, engine: &Engine) -> anyhow::Result<Client> {
    make_private(&config.store_dir).with_context(|| {
        format!(
            "cannot prepare MATRIX_STORE_DIR {}",
            config.store_dir.display()
        )
    })?;
    let client = client_builder(config)
        .sqlite_store(
            &config.store_dir,
            config.store_passphrase.as_ref().map(|p| p.expose()),
        )
        .build()
        .await
        .with_context(|| format!("cannot reach the homeserver {}", config.homeserver))?;
    // matrix-sdk creates its databases readable by all; SQLite gives their
    // WAL and SHM files the same mode, so fixing them now covers those too.
    make_private(&config.store_dir).context("cannot make the Matrix store private")?;
    let session_path = config.store_dir.join(SESSION_FILE);
    if session_path.exists() {
        let saved = std::fs::read(&session_path).context("cannot read the saved Matrix session")?;
        let session: MatrixSession =
            serde_json::from_slice(&saved).context("the saved Matrix session is damaged")?;
        if let Some(position) = engine.stream_position(PLATFORM).await? {
            resume_from(&client, position).await?;
        }
        client
            .restore_session(session)
            .await
            .context("cannot restore the Matrix session")?;
        tracing::info!(user = %config.user, "restored the Matrix session");
    } else {
        client
            .matrix_auth()
            .login_username(&config.user, config.password.expose())
            .initial_device_display_name("Upright")
            .await
            .with_context(|| format!("cannot log in as {}", config.user))?;
        let session = client
            .matrix_auth()
            .session()
            .context("logged in without a session")?;
        save_session(&session_path, &session)?;
        tracing::info!(user = %config.user, "logged in to Matrix; session saved");
    }
    if config.cross_signing {
        identity::ensure(&client, config).await?;
    }
    silence_notifications(&client).await;
    Ok(client)
}

/// Turns off the bot account's own notifications (the master push rule).
/// Nothing reads them, and a homeserver that keeps a notification count
/// for the bot in every member's DM does work for each message members
/// send, and again for each room in every sync.
async fn silence_notifications(client: &Client) {
    use matrix_sdk::ruma::api::client::push::set_pushrule_enabled;
    use matrix_sdk::ruma::push::{PredefinedOverrideRuleId, RuleKind};
    let master = PredefinedOverrideRuleId::Master.as_str().to_owned();
    let request = set_pushrule_enabled::v3::Request::new(RuleKind::Override, master, true);
    if let Err(error) = client.send(request).await {
        tracing::warn!("cannot turn off the bot's own notifications: {error}");
    }
}

/// Puts the bot's own sync position into matrix-sdk's store, before the
/// session is restored (restoring reads it). matrix-sdk saves its token
/// before its event handlers run, and drops a response that ends at the
/// token it has, so without this the events received but not yet handled
/// when the bot stopped would never come again.
async fn resume_from(client: &Client, position: String) -> anyhow::Result<()> {
    use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
    client
        .state_store()
        .set_kv_data(
            StateStoreDataKey::SyncToken,
            StateStoreDataValue::SyncToken(position),
        )
        .await
        .context("cannot set the sync position in the Matrix store")?;
    Ok(())
}

/// The store holds the keys to members' encrypted DMs: the folder 0700 and
/// every file in it 0600, created private if missing.
fn make_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mode = if entry.file_type()?.is_dir() {
            make_private(&entry.path())?;
            0o700
        } else {
            0o600
        };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// `upright doctor`: whether the homeserver knows the bot — by the saved
/// session when there is one (the device the bot runs as), else by logging
/// in with the password and straight out again — and, for the saved
/// session's device, whether it is cross-signed and recovery is set up.
/// The store is not opened.
pub async fn doctor(config: &MatrixConfig) -> Vec<(&'static str, Result<String, String>)> {
    let checks = async {
        let client = match bare_client(config).await {
            Ok(client) => client,
            Err(e) => return vec![("matrix", Err(format!("{e:#}")))],
        };
        let session_path = config.store_dir.join(SESSION_FILE);
        if !session_path.exists() {
            return vec![("matrix", check_password(&client, config).await)];
        }
        match signed_in(&client, &session_path).await {
            Ok((device, whoami)) => vec![
                (
                    "matrix",
                    Ok(format!("signed in as {whoami} (device {device})")),
                ),
                (
                    "matrix identity",
                    identity::report(&client, config, &device).await,
                ),
            ],
            Err(problem) => vec![("matrix", Err(problem))],
        }
    };
    tokio::time::timeout(Duration::from_secs(60), checks)
        .await
        .unwrap_or_else(|_| {
            vec![(
                "matrix",
                Err(format!("{} did not answer within 60 s", config.homeserver)),
            )]
        })
}

/// Every client's homeserver and requests. No retrying inside matrix-sdk:
/// a failed send goes back to the outbox, whose rate-limit and backoff
/// rules apply, and a hung request never holds a sender for minutes.
fn client_builder(config: &MatrixConfig) -> matrix_sdk::ClientBuilder {
    Client::builder()
        .homeserver_url(&config.homeserver)
        .request_config(
            RequestConfig::new()
                .timeout(REQUEST_TIMEOUT)
                .disable_retry(),
        )
}

/// A client with no store and no session: for checks and logins that
/// must change nothing the bot keeps.
async fn bare_client(config: &MatrixConfig) -> anyhow::Result<Client> {
    client_builder(config)
        .build()
        .await
        .with_context(|| format!("cannot reach the homeserver {}", config.homeserver))
}

/// Restores the saved session and asks who it is.
async fn signed_in(
    client: &Client,
    session_path: &Path,
) -> Result<(matrix_sdk::ruma::OwnedDeviceId, String), String> {
    let session: MatrixSession = std::fs::read(session_path)
        .map_err(|e| e.to_string())
        .and_then(|saved| serde_json::from_slice(&saved).map_err(|e| e.to_string()))
        .map_err(|e| {
            format!(
                "the saved session {} is damaged: {e}",
                session_path.display()
            )
        })?;
    let device = session.meta.device_id.clone();
    client
        .restore_session(session)
        .await
        .map_err(|e| format!("cannot use the saved session: {e}"))?;
    let whoami = client.whoami().await.map_err(|e| {
        format!(
            "the homeserver refused the saved session ({e}); if the device was logged out, remove {} and run again to log in",
            session_path.display()
        )
    })?;
    Ok((device, whoami.user_id.to_string()))
}

/// Before the first start: the password works (logged in and out again).
async fn check_password(client: &Client, config: &MatrixConfig) -> Result<String, String> {
    client
        .matrix_auth()
        .login_username(&config.user, config.password.expose())
        .initial_device_display_name("Upright doctor")
        .await
        .map_err(|e| {
            format!(
                "cannot log in as {}: {e}; check MATRIX_USER and MATRIX_PASSWORD",
                config.user
            )
        })?;
    if let Err(error) = client.logout().await {
        tracing::warn!("the doctor's check device stays logged in: {error}");
    }
    Ok(format!(
        "MATRIX_USER and MATRIX_PASSWORD work ({}); the first run logs in, saves its session and cross-signs its device",
        config.user
    ))
}

fn save_session(path: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let json = serde_json::to_vec(session)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(&json)?;
    Ok(())
}

/// What [`sync`] feeds: the handlers, the positions they hold back, and the
/// DMs (with the client sends go through).
pub struct Listener {
    inbound: Arc<inbound::Inbound>,
    checkpoints: Arc<Checkpoints>,
    dms: Arc<platform::DmRooms>,
}

/// Registers the event handlers and the platform; then call [`sync`] with
/// the listener returned.
pub fn attach(client: &Client, engine: &Engine, config: &MatrixConfig) -> anyhow::Result<Listener> {
    let dms = Arc::new(platform::DmRooms::new(client.clone()));
    let checkpoints = Arc::new(Checkpoints::new());
    let inbound = inbound::Inbound::attach(
        client,
        engine,
        config,
        Arc::clone(&dms),
        Arc::clone(&checkpoints),
    )?;
    engine.add_platform(PLATFORM, Arc::new(MatrixPlatform::new(Arc::clone(&dms))));
    Ok(Listener {
        inbound,
        checkpoints,
        dms,
    })
}

impl Listener {
    /// The same work, now received and sent through `client` (the bot
    /// signed in again).
    async fn move_to(
        self,
        client: &Client,
        engine: &Engine,
        config: &MatrixConfig,
    ) -> anyhow::Result<Listener> {
        self.dms.move_to(client.clone()).await;
        let inbound = inbound::Inbound::attach(
            client,
            engine,
            config,
            Arc::clone(&self.dms),
            Arc::clone(&self.checkpoints),
        )?;
        Ok(Listener { inbound, ..self })
    }
}

/// Connects, then syncs until `shutdown`. When the homeserver revokes the
/// bot's token it signs in again once (see [`relogin`]); if that fails,
/// Matrix is marked down, its messages wait, and the log says what to do.
pub async fn run(
    config: &MatrixConfig,
    engine: &Engine,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    tokio::pin!(shutdown);
    let mut client = connect(config, engine).await?;
    let mut listener = attach(&client, engine, config)?;
    tracing::info!(homeserver = %config.homeserver, "Matrix is running");
    loop {
        match sync(client.clone(), engine.clone(), &listener, &mut shutdown).await {
            SyncEnd::Stopped => return Ok(()),
            SyncEnd::SignedOut { soft_logout } => {
                match relogin::sign_in_again(&client, config, engine, soft_logout).await {
                    Ok(signed_in) => {
                        listener = listener.move_to(&signed_in, engine, config).await?;
                        client = signed_in;
                    }
                    Err(error) => {
                        relogin::stay_down(engine, &error);
                        shutdown.await;
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Why [`sync`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEnd {
    /// `shutdown` completed.
    Stopped,
    /// The homeserver no longer accepts the bot's access token.
    SignedOut { soft_logout: bool },
}

/// Syncs until `shutdown` or until the homeserver signs the bot out; other
/// sync errors are retried with backoff. Each sync's outcome is the
/// platform's health: connected after a good one, lost after a failed one.
///
/// The position a restart resumes from is the bot's own, kept in its
/// database and moved on only once the events before it are handled (see
/// [`Checkpoints`]; [`connect`] hands it to matrix-sdk): matrix-sdk saves
/// its sync token before its event handlers even run, so resuming there
/// after a crash would lose the check-ins received but not yet recorded.
/// The events a `limited` sync left out are fetched and handled within the
/// same batch (see [`gaps`]).
pub async fn sync<F>(
    client: Client,
    engine: Engine,
    listener: &Listener,
    shutdown: &mut std::pin::Pin<&mut F>,
) -> SyncEnd
where
    F: std::future::Future<Output = ()>,
{
    let (inbound, checkpoints) = (&listener.inbound, &listener.checkpoints);
    let saver = tokio::spawn(save_positions(engine.clone(), Arc::clone(checkpoints)));
    let health = &engine.telemetry().health;
    let filter = sync_filter(&client);
    // A new store knows no position yet: the bot's own one still bounds
    // what its first sync may have left out.
    let mut since = match current_position(&client).await {
        Some(position) => Some(position),
        None => engine.stream_position(PLATFORM).await.ok().flatten(),
    };
    let mut pauses = Backoff::new(Duration::from_secs(1), Duration::from_secs(60)).start();
    let end = loop {
        let settings = SyncSettings::default()
            .filter(filter.clone().into())
            .timeout(Duration::from_secs(30));
        let batch = checkpoints.begin();
        let started = std::time::Instant::now();
        let result = tokio::select! {
            () = shutdown.as_mut() => break SyncEnd::Stopped,
            result = client.sync_once(settings) => result,
        };
        match result {
            Ok(response) => {
                tracing::debug!(
                    took_ms = started.elapsed().as_millis() as u64,
                    rooms = response.rooms.joined.len(),
                    "synced"
                );
                health.link(PLATFORM, Link::Connected);
                listener.dms.mark_synced();
                if let Some(since) = &since {
                    let missed = tokio::select! {
                        () = shutdown.as_mut() => break SyncEnd::Stopped,
                        missed = gaps::missed_by(&client, &response, since) => missed,
                    };
                    for gaps::Missed { room, event } in missed {
                        Arc::clone(inbound).replay(&event, room).await;
                    }
                }
                since = Some(response.next_batch.clone());
                checkpoints.end(batch, Some(response.next_batch));
                pauses.reset();
            }
            Err(error) => {
                checkpoints.end(batch, None);
                health.link(PLATFORM, Link::Lost(error.to_string()));
                if let Some(soft_logout) = signed_out(&error) {
                    break SyncEnd::SignedOut { soft_logout };
                }
                let pause = pauses.failed();
                tracing::warn!(
                    "Matrix sync failed, retrying in {}s: {error}",
                    pause.as_secs()
                );
                tokio::select! {
                    () = shutdown.as_mut() => break SyncEnd::Stopped,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    };
    saver.abort();
    end
}

/// Whether the homeserver signed the bot out (`Some(soft_logout)`).
fn signed_out(error: &matrix_sdk::Error) -> Option<bool> {
    let Some(ErrorKind::UnknownToken(token)) = error.client_api_error_kind() else {
        return None;
    };
    tracing::error!(
        soft_logout = token.soft_logout,
        "the homeserver no longer accepts the bot's access token: {error}"
    );
    Some(token.soft_logout)
}

/// The token the next sync starts from (none before the first sync).
async fn current_position(client: &Client) -> Option<String> {
    use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
    match client
        .state_store()
        .get_kv_data(StateStoreDataKey::SyncToken)
        .await
    {
        Ok(Some(StateStoreDataValue::SyncToken(token))) => Some(token),
        _ => None,
    }
}

/// Saves each position once everything before it is handled.
async fn save_positions(engine: Engine, checkpoints: Arc<Checkpoints>) {
    loop {
        let position = checkpoints.handled().await;
        if let Err(error) = engine.save_stream_position(PLATFORM, &position).await {
            // The next one will do: a restart then replays a little more.
            tracing::warn!("cannot save the sync position: {error}");
        }
    }
}

/// What the bot asks each sync for.
/// - Lazy-loaded members: member lists come only as needed (a room of
///   100,000 costs what its speakers cost), and the room summaries carry the
///   member counts that tell a private DM from a shared room.
/// - Not its own timeline events: the bot ignores them, and in a burst they
///   would come back by the thousand, each stored and decrypted for nothing.
/// - No receipts, typing or presence: nothing here reads them.
fn sync_filter(client: &Client) -> FilterDefinition {
    let mut filter = FilterDefinition::with_lazy_loading();
    if let Some(own) = client.user_id() {
        filter.room.timeline.not_senders = vec![own.to_owned()];
    }
    filter.room.ephemeral = RoomEventFilter::ignore_all();
    filter.presence = Filter::ignore_all();
    filter
}
