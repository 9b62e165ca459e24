//! When the homeserver no longer accepts the bot's access token
//! (`M_UNKNOWN_TOKEN`: an admin logged the device out, the password was
//! reset with "sign out everywhere", or the token expired): the bot signs
//! in again once with `MATRIX_PASSWORD`.
//!
//! - A soft logout keeps the device on the homeserver: the bot asks for a
//!   new token for the same device, and its keys stay as they were.
//! - Otherwise the device is gone, and with it the keys the homeserver
//!   knew: the store is set aside (kept, not deleted) and the bot signs in
//!   as a new device, which the recovery key signs into the same identity.
//!
//! If that fails, Matrix is marked down and its messages wait; the log
//! says what to do. It is never retried in a loop.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use matrix_sdk::Client;
use matrix_sdk::authentication::SessionTokens;
use matrix_sdk::ruma::api::client::session::login;
use matrix_sdk::ruma::api::client::uiaa::{MatrixUserIdentifier, UserIdentifier};

use super::{PLATFORM, RECOVERY_KEY_FILE, SESSION_FILE};
use crate::config::MatrixConfig;
use crate::engine::{Engine, SendError};
use crate::telemetry::Link;

/// Signs in again after the homeserver revoked the token of `old`, and
/// returns the client to go on with.
pub(super) async fn sign_in_again(
    old: &Client,
    config: &MatrixConfig,
    engine: &Engine,
    soft_logout: bool,
) -> anyhow::Result<Client> {
    let session_path = config.store_dir.join(SESSION_FILE);
    match old.matrix_auth().session() {
        Some(mut session) if soft_logout => {
            let login = password_login(config, &session.meta.device_id).await?;
            session.tokens = SessionTokens {
                access_token: login.access_token,
                refresh_token: None,
            };
            super::save_session(&session_path, &session)?;
            tracing::warn!(device = %session.meta.device_id, "signed in again as the same device after a soft logout");
        }
        _ => {
            // The old store is of no use to a deleted device; it is kept
            // only for the operator to look at.
            let aside = set_aside(&config.store_dir)?;
            tracing::warn!(
                "the homeserver signed the bot's device out; its old store is kept at {} \
                 (delete it once the bot works again); signing in as a new device",
                aside.display()
            );
        }
    }
    super::connect(config, engine)
        .await
        .context("cannot connect again after signing in")
}

/// Matrix stays down until a restart: the health check and the metrics say
/// so, messages wait within the grace window, and the log says what to do.
pub(super) fn stay_down(engine: &Engine, error: &anyhow::Error) {
    let reason = format!("signed out by the homeserver: {error:#}");
    engine
        .telemetry()
        .health
        .link(PLATFORM, Link::Lost(reason.clone()));
    engine
        .telemetry()
        .metrics
        .platform_error(PLATFORM, SendError::SignedOut(reason).kind());
    tracing::error!(
        "the homeserver signed the bot out and signing in again failed: {error:#}. Check \
         MATRIX_USER and MATRIX_PASSWORD (and MATRIX_RECOVERY_KEY if the store is new), then \
         restart Upright. Until then Matrix messages wait, and those older than UPRIGHT_GRACE \
         are dropped."
    );
}

/// A password login for `device` by a bare client, so nothing about the
/// bot's store or its session changes unless it succeeds.
async fn password_login(
    config: &MatrixConfig,
    device: &matrix_sdk::ruma::DeviceId,
) -> anyhow::Result<login::v3::Response> {
    let bare = super::bare_client(config).await?;
    let identifier = UserIdentifier::Matrix(MatrixUserIdentifier::new(config.user.clone()));
    let password = login::v3::Password::new(identifier, config.password.expose().to_string());
    let mut request = login::v3::Request::new(login::v3::LoginInfo::Password(password));
    request.device_id = Some(device.to_owned());
    request.initial_device_display_name = Some("Upright".to_string());
    bare.send(request)
        .await
        .with_context(|| format!("cannot sign in again as {}", config.user))
}

/// Moves the store to a sibling folder and starts a new one holding only
/// the recovery key, so the new device restores the same identity.
fn set_aside(store_dir: &Path) -> anyhow::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let mut aside = store_dir.as_os_str().to_owned();
    aside.push(format!(".signed-out-{stamp}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(store_dir, &aside)
        .with_context(|| format!("cannot move {} aside", store_dir.display()))?;
    super::make_private(store_dir)?;
    let key = aside.join(RECOVERY_KEY_FILE);
    if key.exists() {
        std::fs::copy(&key, store_dir.join(RECOVERY_KEY_FILE))
            .context("cannot keep the recovery key for the new device")?;
    }
    Ok(aside)
}
