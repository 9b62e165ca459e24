//! The bot's cross-signing identity and its recovery.
//!
//! Element shares room keys only with devices their owner has cross-signed,
//! and hides messages sent from any other device. So the bot's device must
//! be signed by the account's self-signing key, at every start, and the
//! identity must outlive the store that holds its private keys:
//!
//! - first start: create the identity (master, self-signing and
//!   user-signing keys), sign the device, and enable recovery (secret
//!   storage holding those keys, plus server-side key backup); the recovery
//!   key goes to `MATRIX_STORE_DIR/recovery-key`;
//! - every later start: the device is still signed by the current
//!   self-signing key, or it is signed again;
//! - a new or lost store: `MATRIX_RECOVERY_KEY` (or the key file) brings the
//!   same identity back, so members see no change; without it the identity
//!   is reset, with one warning, and the bot keeps working.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use matrix_sdk::Client;
use matrix_sdk::encryption::CrossSigningResetAuthType;
use matrix_sdk::encryption::recovery::RecoveryError;
use matrix_sdk::encryption::secret_storage::SecretStorageError;
use matrix_sdk::ruma::api::client::uiaa::{
    AuthData, MatrixUserIdentifier, Password, UserIdentifier,
};
use matrix_sdk::ruma::events::secret::request::SecretName;
use matrix_sdk_crypto::types::{CrossSigningSecrets, SecretsBundle};

use crate::config::{MatrixConfig, Secret};

/// Where the recovery key is written on first start, in `MATRIX_STORE_DIR`.
pub const RECOVERY_KEY_FILE: &str = "recovery-key";

/// What the start did about the identity; logged, and read by the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityOutcome {
    /// The account had no identity: one was made, with recovery.
    Created,
    /// The store held the identity's keys; the device is signed.
    Kept,
    /// A new store: the identity came back with the recovery key.
    Recovered,
    /// A new store and no (working) recovery key: a new identity.
    Reset,
}

/// Makes sure the device is cross-signed by the account's identity and
/// that recovery is set up. Called after login or restore, before the
/// first sync, so the bot never sends from an unsigned device.
pub async fn ensure(client: &Client, config: &MatrixConfig) -> anyhow::Result<IdentityOutcome> {
    let encryption = client.encryption();
    encryption.wait_for_e2ee_initialization_tasks().await;
    let own = client.user_id().context("not logged in")?.to_owned();
    // A fresh `/keys/query`: the crypto store forgets private keys that no
    // longer match the identity the homeserver publishes.
    let published = encryption
        .request_user_identity(&own)
        .await
        .context("cannot read the bot's identity from the homeserver")?;
    let holds_keys = encryption
        .cross_signing_status()
        .await
        .is_some_and(|status| status.is_complete());
    let auth = Uia::new(config);

    let outcome = match (published, holds_keys) {
        (None, _) => {
            auth.bootstrap(client).await?;
            IdentityOutcome::Created
        }
        (Some(_), true) => {
            if !device_is_signed(client).await? {
                tracing::warn!("the bot's device was not signed by its identity; signing it");
                sign_own_device(client).await?;
            }
            IdentityOutcome::Kept
        }
        (Some(_), false) => {
            if recover(client, config).await? {
                IdentityOutcome::Recovered
            } else {
                reset(client, &auth).await?;
                IdentityOutcome::Reset
            }
        }
    };
    ensure_recovery(client, config).await?;
    if !device_is_signed(client).await? {
        anyhow::bail!("the bot's device is still not cross-signed after setting up its identity");
    }
    tracing::info!(?outcome, "the bot's device is cross-signed");
    Ok(outcome)
}

/// Signs this device with the self-signing key the store holds.
async fn sign_own_device(client: &Client) -> anyhow::Result<()> {
    let device = client
        .encryption()
        .get_own_device()
        .await
        .context("cannot read the bot's device from the crypto store")?
        .context("the crypto store does not know the bot's own device")?;
    device
        .verify()
        .await
        .context("cannot upload the signature of the bot's device")
}

/// Whether the homeserver publishes this device signed by the account's
/// current self-signing key.
async fn device_is_signed(client: &Client) -> anyhow::Result<bool> {
    let encryption = client.encryption();
    if let Some(own) = client.user_id() {
        // Refreshes the device's signatures from the homeserver.
        encryption
            .request_user_identity(own)
            .await
            .context("cannot read the bot's identity from the homeserver")?;
    }
    let device = encryption
        .get_own_device()
        .await
        .context("cannot read the bot's device from the crypto store")?;
    Ok(device.is_some_and(|device| device.is_cross_signed_by_owner()))
}

/// Brings the identity's private keys from secret storage, with the
/// configured key or else the one in the store folder. `false` when there
/// is no key or it does not open the storage (logged); an error only when
/// the homeserver could not be asked, so a passing outage never resets.
async fn recover(client: &Client, config: &MatrixConfig) -> anyhow::Result<bool> {
    let (key, from) = match &config.recovery_key {
        Some(key) => (key.expose().trim().to_string(), "MATRIX_RECOVERY_KEY"),
        None => match std::fs::read_to_string(key_path(config)) {
            Ok(key) => (key.trim().to_string(), "the recovery-key file"),
            Err(_) => return Ok(false),
        },
    };
    let encryption = client.encryption();
    let storage = match encryption.secret_storage().open_secret_store(&key).await {
        Ok(storage) => storage,
        Err(SecretStorageError::Sdk(error)) => {
            return Err(error).context("cannot read the bot's secret storage from the homeserver");
        }
        Err(error) => {
            tracing::error!("{from} does not open the bot's secret storage: {error}");
            return Ok(false);
        }
    };
    let secret = |name| storage.get_secret(name);
    let (master, self_signing, user_signing) = (
        secret(SecretName::CrossSigningMasterKey).await,
        secret(SecretName::CrossSigningSelfSigningKey).await,
        secret(SecretName::CrossSigningUserSigningKey).await,
    );
    let (Some(master_key), Some(self_signing_key), Some(user_signing_key)) = (
        master.context("cannot read the bot's secret storage")?,
        self_signing.context("cannot read the bot's secret storage")?,
        user_signing.context("cannot read the bot's secret storage")?,
    ) else {
        tracing::error!("the bot's secret storage does not hold its cross-signing keys");
        return Ok(false);
    };
    // A new device's keys must be on the homeserver before it can be
    // signed: importing the identity as a bundle uploads them …
    let bundle = SecretsBundle {
        cross_signing: CrossSigningSecrets {
            master_key,
            user_signing_key,
            self_signing_key,
        },
        backup: None,
    };
    if let Err(error) = encryption.import_secrets_bundle(&bundle).await {
        tracing::error!("the keys in the bot's secret storage do not match its identity: {error}");
        return Ok(false);
    }
    // … then the whole import signs the device and joins the key backup.
    encryption
        .recovery()
        .recover(&key)
        .await
        .context("cannot restore the bot's identity from its secret storage")?;
    tracing::info!("restored the bot's identity with {from}");
    Ok(true)
}

/// A new identity when the old one's keys are gone: members are told by
/// their clients that the bot's identity changed.
async fn reset(client: &Client, auth: &Uia) -> anyhow::Result<()> {
    tracing::warn!(
        "the bot's store does not hold its cross-signing keys and no recovery key opens them: \
         resetting the bot's identity. Members' clients will show that the bot's identity \
         changed and may ask them to confirm it. Next time, keep a copy of the recovery key \
         (MATRIX_STORE_DIR/{RECOVERY_KEY_FILE}) outside the store and set MATRIX_RECOVERY_KEY \
         when the store is new."
    );
    let recovery = client.encryption().recovery();
    let handle = recovery
        .reset_identity()
        .await
        .context("cannot reset the bot's identity")?;
    if let Some(handle) = handle {
        let session = match handle.auth_type() {
            CrossSigningResetAuthType::Uiaa(info) => info.session.clone(),
            CrossSigningResetAuthType::OAuth(info) => anyhow::bail!(
                "the homeserver wants the identity reset approved at {}; approve it and start again",
                info.approval_url
            ),
        };
        handle
            .reset(Some(auth.password(session)))
            .await
            .context("the homeserver refused the new identity")?;
    }
    Ok(())
}

/// Secret storage and key backup, once: the recovery key is written to the
/// store folder and logged where it is, never what it is.
async fn ensure_recovery(client: &Client, config: &MatrixConfig) -> anyhow::Result<()> {
    let encryption = client.encryption();
    let enabled = encryption
        .secret_storage()
        .is_enabled()
        .await
        .context("cannot read the bot's secret storage")?;
    if enabled {
        if let Some(key) = &config.recovery_key
            && !key_path(config).exists()
        {
            write_key(&key_path(config), key.expose())?;
        }
        return Ok(());
    }
    let recovery = encryption.recovery();
    let key = match recovery.enable().await {
        Err(RecoveryError::BackupExistsOnServer) => {
            // A backup from an identity whose keys are gone: nothing can
            // read it any more.
            encryption
                .backups()
                .disable_and_delete()
                .await
                .context("cannot replace the bot's old key backup")?;
            recovery.enable().await
        }
        other => other,
    }
    .context("cannot enable recovery for the bot's identity")?;
    let path = key_path(config);
    write_key(&path, &key)?;
    tracing::warn!(
        "recovery is set up: the recovery key is in {}. Keep a copy outside the store: with it \
         (MATRIX_RECOVERY_KEY) a new store keeps the bot's identity",
        path.display()
    );
    Ok(())
}

fn key_path(config: &MatrixConfig) -> PathBuf {
    config.store_dir.join(RECOVERY_KEY_FILE)
}

/// Written private (0600) and whole: a temporary file renamed into place.
fn write_key(path: &Path, key: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// User-interactive auth with the bot's password, for uploading keys.
struct Uia {
    user: String,
    password: Secret,
}

impl Uia {
    fn new(config: &MatrixConfig) -> Uia {
        Uia {
            user: config.user.clone(),
            password: config.password.clone(),
        }
    }

    fn password(&self, session: Option<String>) -> AuthData {
        let identifier = UserIdentifier::Matrix(MatrixUserIdentifier::new(self.user.clone()));
        let mut password = Password::new(identifier, self.password.expose().to_string());
        password.session = session;
        AuthData::Password(password)
    }

    /// Uploads the identity (new, or the one whose keys the store holds)
    /// and signs the device; asks for the password only if the homeserver
    /// wants it (a first upload usually needs none).
    async fn bootstrap(&self, client: &Client) -> anyhow::Result<()> {
        let encryption = client.encryption();
        match encryption.bootstrap_cross_signing(None).await {
            Ok(()) => Ok(()),
            Err(error) => {
                let Some(info) = error.as_uiaa_response() else {
                    return Err(error).context("cannot upload the bot's cross-signing keys");
                };
                encryption
                    .bootstrap_cross_signing(Some(self.password(info.session.clone())))
                    .await
                    .context("the homeserver refused the bot's cross-signing keys (is MATRIX_PASSWORD right?)")
            }
        }
    }
}

fn as_json(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_default()
}

/// Whether the keys the homeserver published for `own` show `device`
/// signed by the account's self-signing key.
fn signed_by_self_signing_key(
    keys: &matrix_sdk::ruma::api::client::keys::get_keys::v3::Response,
    own: &matrix_sdk::ruma::UserId,
    device: &matrix_sdk::ruma::DeviceId,
) -> bool {
    let self_signing = keys
        .self_signing_keys
        .get(own)
        .map(|raw| as_json(raw.json().get()))
        .unwrap_or_default();
    let self_signing_ids: Vec<String> = self_signing["keys"]
        .as_object()
        .map(|keys| keys.keys().cloned().collect())
        .unwrap_or_default();
    let device_keys = keys
        .device_keys
        .get(own)
        .and_then(|devices| devices.get(device))
        .map(|raw| as_json(raw.json().get()))
        .unwrap_or_default();
    device_keys["signatures"][own.as_str()]
        .as_object()
        .is_some_and(|signatures| {
            self_signing_ids
                .iter()
                .any(|id| signatures.contains_key(id))
        })
}

/// `upright doctor`: whether the homeserver publishes `device` signed by
/// the account's self-signing key, and whether recovery is set up. Asks
/// the homeserver only: the store is not opened while the bot may run.
pub async fn report(
    client: &Client,
    config: &MatrixConfig,
    device: &matrix_sdk::ruma::DeviceId,
) -> Result<String, String> {
    use matrix_sdk::ruma::api::client::keys::get_keys;
    use matrix_sdk::ruma::events::GlobalAccountDataEventType;
    let own = client
        .user_id()
        .ok_or_else(|| "not signed in".to_string())?
        .to_owned();
    let mut query = get_keys::v3::Request::new();
    query
        .device_keys
        .insert(own.clone(), vec![device.to_owned()]);
    let keys = client
        .send(query)
        .await
        .map_err(|e| format!("cannot read the bot's keys: {e}"))?;
    if !keys.master_keys.contains_key(&own) {
        return Err(
            "the bot has no cross-signing identity, so Element members can neither read it nor \
             write to it; `upright run` creates one at its next start"
                .to_string(),
        );
    }
    if !signed_by_self_signing_key(&keys, &own, device) {
        return Err(format!(
            "device {device} is not signed by the bot's identity, so Element members cannot read \
             it; `upright run` signs it at its next start"
        ));
    }
    let default_key = client
        .account()
        .fetch_account_data(GlobalAccountDataEventType::SecretStorageDefaultKey)
        .await
        .map_err(|e| format!("cannot read the bot's secret storage: {e}"))?
        .map(|raw| as_json(raw.json().get()))
        .unwrap_or_default();
    if default_key["key"].as_str().is_none_or(str::is_empty) {
        return Err(format!(
            "device {device} is cross-signed, but recovery is not set up: a lost store would \
             change the bot's identity; `upright run` sets it up at its next start"
        ));
    }
    let key_file = key_path(config);
    let where_key = if key_file.exists() {
        format!(
            "the key is in {}; keep a copy outside the store",
            key_file.display()
        )
    } else {
        format!(
            "{} is missing: keep the recovery key you were given, or set MATRIX_RECOVERY_KEY",
            key_file.display()
        )
    };
    Ok(format!(
        "device {device} is cross-signed; recovery is set up ({where_key})"
    ))
}
