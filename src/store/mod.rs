//! What the bot remembers: one SQLite file, opened with the same PRAGMAs on
//! every connection, migrated from `migrations/` at open.
//!
//! SQL lives in one file per concern (`users`, `subscriptions`, `sessions`,
//! `deliveries`, `check_ins`); each function takes a `&Connection` so it can
//! run inside a caller's transaction. Async code reaches the database through
//! [`Db::call`], which runs the closure on the blocking pool so the runtime is
//! never stalled by disk I/O.

pub mod check_ins;
pub mod deliveries;
pub mod groups;
mod migrations;
pub mod post_names;
pub mod reaction_events;
mod retry;
pub mod sessions;
pub mod sql;
pub mod stream_positions;
pub mod subscriptions;
pub mod users;

pub use retry::{until_written, with_retries};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

pub use migrations::{MIGRATIONS, Migration};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("there is no database at {0}; check UPRIGHT_DATABASE and the working directory")]
    Missing(PathBuf),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "the database is at migration {found}, newer than this build knows ({known}); upgrade upright"
    )]
    TooNew { found: u32, known: u32 },
    #[error("a constraint was violated: {0}")]
    Constraint(String),
    #[error("backup: {0}")]
    Backup(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// A PostgreSQL error; `transient` when trying again may work (the
    /// connection lost, the server starting or shutting down, a deadlock).
    #[error("PostgreSQL: {message}")]
    Postgres { message: String, transient: bool },
    #[error("database task stopped: {0}")]
    Task(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        match &error {
            rusqlite::Error::SqliteFailure(code, message)
                if code.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Constraint(message.clone().unwrap_or_else(|| code.to_string()))
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

impl StoreError {
    /// Whether trying again later may work: the file busy or locked by
    /// another process, the disk full, an I/O error. A constraint or a row
    /// that does not decode fails the same way every time.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode::{
            CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, OutOfMemory, SystemIoFailure,
        };
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => matches!(
                failure.code,
                DatabaseBusy
                    | DatabaseLocked
                    | DiskFull
                    | SystemIoFailure
                    | OutOfMemory
                    | CannotOpen
            ),
            StoreError::Task(_) => true,
            StoreError::Postgres { transient, .. } => *transient,
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A shared handle to the database. Clones share one connection; SQLite
/// serialises writers anyway, and one connection keeps transactions simple.
#[derive(Clone)]
pub struct Db {
    connection: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

impl Db {
    /// Opens (creating with mode 0600 if needed) and migrates to the latest schema.
    pub fn open(path: &Path) -> Result<Db> {
        Self::open_at_migration(path, MIGRATIONS.len() as u32)
    }

    /// Opens and migrates up to `target` only; tests use it to build old databases.
    pub fn open_at_migration(path: &Path, target: u32) -> Result<Db> {
        create_private_file(path).map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let mut connection = open_connection(path)?;
        migrations::apply(&mut connection, target)?;
        Ok(Db {
            connection: Arc::new(Mutex::new(connection)),
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database read-only, for looking without touching:
    /// never creates the file, never migrates, and refuses a database newer
    /// than this binary (`upright backup`, `upright doctor`).
    pub fn open_read_only(path: &Path) -> Result<Db> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let found = migrations::recorded_version(&connection)?;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        Ok(Db {
            connection: Arc::new(Mutex::new(connection)),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` with the connection on the blocking thread pool.
    pub async fn call<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `work` right here; for synchronous callers (CLI, tests).
    pub fn call_blocking<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        work(&mut connection)
    }

    /// Writes a consistent copy of the live database to `target` (VACUUM INTO),
    /// safe while the bot runs. The target must not exist; it is created with
    /// mode 0600 before any data is written to it.
    pub fn backup(&self, target: &Path) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(target)
            .map_err(|e| StoreError::Backup(format!("cannot create {}: {e}", target.display())))?;
        let target_text = target.to_string_lossy().into_owned();
        self.call_blocking(|c| {
            c.execute("VACUUM INTO ?1", [target_text])?;
            Ok(())
        })
    }

    /// The latest migration applied.
    pub fn schema_version(&self) -> Result<u32> {
        self.call_blocking(|c| migrations::recorded_version(c))
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(connection)
}

/// Creates the file with mode 0600 before SQLite does, so it never exists
/// readable by others, even for a moment.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Instants are stored as unix seconds.
/// The running platforms as a JSON array, for `IN (SELECT value FROM json_each(?))`.
pub(crate) fn platform_list(platforms: &[String]) -> String {
    serde_json::Value::from(platforms.to_vec()).to_string()
}

pub fn to_db_time(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

pub fn from_db_time(seconds: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| StoreError::Corrupt(format!("instant {seconds} is out of range")))
}

#[cfg(test)]
mod query_plans {
    //! The due queries run on every engine pass; they must walk their
    //! partial indexes, never whole tables.
    use super::sql::Engine;
    use super::*;

    fn plan(db: &Db, sql: &str) -> Result<String> {
        db.call_blocking(|c| {
            let mut statement = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            // Parameters stay unbound: the plan does not depend on them.
            let mut rows = statement.raw_query();
            let mut steps = Vec::new();
            while let Some(row) = rows.next()? {
                steps.push(row.get::<_, String>(3)?);
            }
            Ok(steps.join("; "))
        })
    }

    #[test]
    fn due_queries_use_their_indexes() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = Db::open(&dir.path().join("plans.sqlite3"))?;
        for (sql, index) in [
            (subscriptions::due_sql(), "subscriptions_due"),
            (subscriptions::next_due_sql(), "subscriptions_due"),
            (deliveries::ready_sql(Engine::Sqlite), "deliveries_due"),
            (deliveries::next_due_sql(Engine::Sqlite), "deliveries_due"),
            (deliveries::depth_sql(Engine::Sqlite), "deliveries_due"),
            (
                groups::due_sql(Engine::Sqlite, groups::Event::Session),
                "groups_due",
            ),
            (
                groups::due_sql(Engine::Sqlite, groups::Event::Nudge),
                "groups_nudge_due",
            ),
            (
                groups::due_sql(Engine::Sqlite, groups::Event::Summary),
                "groups_summary_due",
            ),
            (users::weekly_due_sql(), "users_weekly_due"),
            (
                subscriptions::followups_due_sql(),
                "subscriptions_followup_due",
            ),
            (
                subscriptions::next_followup_sql(),
                "subscriptions_followup_due",
            ),
        ] {
            let plan = plan(&db, &sql)?;
            assert!(plan.contains(index), "{index} not used: {plan}");
            // Members are looked up per due row, never listed whole.
            assert!(!plan.contains("SCAN users"), "walks every member: {plan}");
            assert!(
                !plan.contains("sqlite_autoindex_users_1"),
                "lists the members of a platform: {plan}"
            );
        }
        Ok(())
    }
}
