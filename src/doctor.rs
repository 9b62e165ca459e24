//! `upright doctor`: looks at everything the bot needs before it runs — the
//! configuration, the database, the content, the Matrix store's permissions
//! and each platform's credentials — and says for each what to fix.
//! It only looks: nothing is created, migrated or changed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::config::Config;
use crate::content::{Content, TopicId};
use crate::store::{Database, Db, MIGRATIONS, StoreError};

/// One check's verdict: what is fine, or what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub verdict: Result<String, String>,
}

impl Finding {
    fn new(check: &'static str, verdict: Result<String, String>) -> Finding {
        Finding { check, verdict }
    }

    /// `ok    database   …` or `FAIL  database   …`.
    pub fn line(&self) -> String {
        match &self.verdict {
            Ok(detail) => format!("ok    {:<13} {detail}", self.check),
            Err(problem) => format!("FAIL  {:<13} {problem}", self.check),
        }
    }
}

/// Every check for this configuration, platforms last (they use the network).
pub async fn examine(config: &Config) -> Vec<Finding> {
    let mut findings = vec![
        Finding::new("configuration", platforms(config)),
        Finding::new("database", database(&config.database)),
        Finding::new("content", content(&config.content_dir)),
    ];
    if let Some(matrix) = &config.matrix {
        findings.push(Finding::new(
            "matrix store",
            private_folder(&matrix.store_dir),
        ));
    }
    #[cfg(feature = "discord")]
    if let Some(discord) = &config.discord {
        findings.push(Finding::new(
            "discord",
            crate::discord::check_credentials(discord).await,
        ));
    }
    #[cfg(feature = "matrix")]
    if let Some(matrix) = &config.matrix {
        for (check, verdict) in crate::matrix::doctor(matrix).await {
            findings.push(Finding::new(check, verdict));
        }
    }
    findings
}

fn platforms(config: &Config) -> Result<String, String> {
    let platforms: Vec<&str> = [
        config.discord.as_ref().map(|_| "Discord"),
        config.matrix.as_ref().map(|_| "Matrix"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if platforms.is_empty() {
        return Err(
            "no platform is configured: set DISCORD_TOKEN and/or MATRIX_HOMESERVER, MATRIX_USER, MATRIX_PASSWORD (see .env.example)"
                .to_string(),
        );
    }
    let unencrypted = config
        .matrix
        .as_ref()
        .is_some_and(|m| m.store_passphrase.is_none());
    Ok(format!(
        "valid; platforms: {}{}",
        platforms.join(", "),
        if unencrypted {
            "; the Matrix store is unencrypted (MATRIX_STORE_PASSPHRASE=none)"
        } else {
            ""
        }
    ))
}

fn database(database: &Database) -> Result<String, String> {
    let latest = MIGRATIONS.len() as u32;
    if let Database::Sqlite(path) = database
        && !path.exists()
    {
        return Ok(format!(
            "{} does not exist yet; `upright run` (or `upright migrate`) creates it",
            path.display()
        ));
    }
    let db = Db::open_existing(database).map_err(|error| match error {
        StoreError::TooNew { found, .. } => format!(
            "{database} is at migration {found}, newer than this binary knows ({latest}); run the newer upright"
        ),
        other => format!("{database}: {other}"),
    })?;
    let version = db.schema_version().map_err(|e| e.to_string())?;
    if let Database::Sqlite(path) = database {
        private_file(path)?;
    }
    Ok(if version == latest {
        format!("{database} is at migration {version}, the latest")
    } else if version == 0 {
        format!(
            "{database} answers and is empty; `upright run` (or `upright migrate`) creates the tables"
        )
    } else {
        format!("{database} is at migration {version}; `upright run` upgrades it to {latest}")
    })
}

fn content(dir: &Path) -> Result<String, String> {
    let content = Content::load(dir).map_err(|error| {
        let problems: Vec<String> = error.0.iter().map(ToString::to_string).collect();
        problems.join("; ")
    })?;
    let routines: Vec<_> = content.routines().collect();
    let exercises: usize = routines.iter().map(|r| r.exercises.len()).sum();
    Ok(format!(
        "{}: {} routine(s), {exercises} exercises, {} topics",
        dir.display(),
        routines.len(),
        TopicId::ALL.len()
    ))
}

/// Whether a file is readable by its owner alone.
fn private_file(path: &Path) -> Result<(), String> {
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is readable by others (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

/// The Matrix store holds the encryption keys: the folder 0700, every file
/// in it 0600.
fn private_folder(dir: &Path) -> Result<String, String> {
    if !dir.exists() {
        return Ok(format!(
            "{} does not exist yet; the first run creates it, private",
            dir.display()
        ));
    }
    let fix = format!("run `chmod -R go-rwx {}`", dir.display());
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mode = std::fs::metadata(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is open to others (mode {:o}); {fix}",
            dir.display(),
            mode & 0o777
        ));
    }
    for entry in entries.flatten() {
        let path = entry.path();
        if private_file(&path).is_err() {
            return Err(format!("{} is readable by others; {fix}", path.display()));
        }
    }
    Ok(format!("{} is private to this user", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn chmod(path: &Path, mode: u32) -> std::io::Result<()> {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }

    #[test]
    fn a_store_open_to_others_fails_with_the_fix() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("store");
        assert!(
            private_folder(&store).is_ok(),
            "missing is fine: created private"
        );
        fs::create_dir(&store)?;
        chmod(&store, 0o700)?;
        let keys = store.join("matrix-sdk-crypto.sqlite3");
        fs::write(&keys, b"keys")?;
        chmod(&keys, 0o600)?;
        assert!(private_folder(&store).is_ok());

        chmod(&keys, 0o644)?;
        let problem = private_folder(&store).err().unwrap_or_default();
        assert!(problem.contains("matrix-sdk-crypto.sqlite3"), "{problem}");
        assert!(problem.contains("chmod -R go-rwx"), "{problem}");
        chmod(&keys, 0o600)?;
        chmod(&store, 0o755)?;
        let problem = private_folder(&store).err().unwrap_or_default();
        assert!(problem.contains("mode 755"), "{problem}");
        Ok(())
    }
}
