//! What the bot remembers: a SQLite file (the embedded default, opened with
//! the same PRAGMAs on every connection) or a PostgreSQL database that
//! several replicas share, migrated from `migrations/` at open.
//!
//! SQL lives in one file per concern (`users`, `subscriptions`, `sessions`,
//! `deliveries`, `check_ins`, …), written once for both engines through
//! [`sql`]; each function takes a `&dyn Conn` so it can run inside a
//! caller's transaction. Async code reaches the database through
//! [`Db::call`], which runs the closure on the blocking pool so the runtime
//! is never stalled by disk or network I/O.

pub mod answered_commands;
pub mod check_ins;
pub mod claims;
mod database;
pub mod deliveries;
pub mod early_reactions;
pub mod groups;
pub mod leases;
mod migrations;
pub mod outbox_figures;
#[cfg(feature = "postgres")]
mod pool;
pub mod post_names;
pub mod press_answers;
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

pub use database::Database;
pub use migrations::{MIGRATIONS, Migration};
use sql::Conn;

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
        source: Box<StoreError>,
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
    /// Two transactions met (PostgreSQL's serialisation failure or a
    /// deadlock): running the work again succeeds.
    #[error("concurrent transactions met: {0}")]
    Conflict(String),
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
            StoreError::Task(_) | StoreError::Conflict(_) => true,
            StoreError::Postgres { transient, .. } => *transient,
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A shared handle to the database. Clones share it: on SQLite one
/// connection (SQLite serialises writers anyway, and one connection keeps
/// transactions simple); on PostgreSQL a small pool of sessions.
#[derive(Clone)]
pub struct Db {
    backend: Arc<Backend>,
    database: Database,
}

enum Backend {
    Sqlite(Mutex<Connection>),
    #[cfg(feature = "postgres")]
    Postgres(pool::PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("database", &self.database)
            .finish()
    }
}

impl Db {
    /// Opens (creating if needed) and migrates to the latest schema.
    pub fn connect(database: &Database) -> Result<Db> {
        Self::connect_at_migration(database, MIGRATIONS.len() as u32)
    }

    /// Connects and migrates up to `target` only; tests use it to build old databases.
    pub fn connect_at_migration(database: &Database, target: u32) -> Result<Db> {
        let backend = match database {
            Database::Sqlite(path) => {
                create_private_file(path).map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
                })?;
                Backend::Sqlite(Mutex::new(open_connection(path)?))
            }
            Database::Postgres(url) => postgres_backend(database, url)?,
        };
        let db = Db {
            backend: Arc::new(backend),
            database: database.clone(),
        };
        db.call_blocking(|c| migrations::apply(c, target))?;
        Ok(db)
    }

    /// [`Db::connect`] for a SQLite file (tests, the demo).
    pub fn open(path: &Path) -> Result<Db> {
        Self::connect(&Database::Sqlite(path.to_path_buf()))
    }

    /// [`Db::connect_at_migration`] for a SQLite file.
    pub fn open_at_migration(path: &Path, target: u32) -> Result<Db> {
        Self::connect_at_migration(&Database::Sqlite(path.to_path_buf()), target)
    }

    /// Opens an existing database for looking without touching: never
    /// creates a SQLite file, never migrates, and refuses a database newer
    /// than this binary (`upright backup`, `upright doctor`).
    pub fn open_existing(database: &Database) -> Result<Db> {
        let backend = match database {
            Database::Sqlite(path) => {
                if !path.is_file() {
                    return Err(StoreError::Missing(path.to_path_buf()));
                }
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let connection = Connection::open_with_flags(path, flags).map_err(|source| {
                    StoreError::Open {
                        path: path.to_path_buf(),
                        source,
                    }
                })?;
                connection.busy_timeout(Duration::from_secs(5))?;
                Backend::Sqlite(Mutex::new(connection))
            }
            Database::Postgres(url) => postgres_backend(database, url)?,
        };
        let db = Db {
            backend: Arc::new(backend),
            database: database.clone(),
        };
        let found = db.schema_version()?;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        Ok(db)
    }

    /// What this handle is connected to.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Runs `work` with a connection on the blocking thread pool.
    pub async fn call<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&dyn Conn) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.run_here(&work))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `work` and waits for it; for synchronous callers (CLI, tests).
    pub fn call_blocking<T: Send>(
        &self,
        work: impl Fn(&dyn Conn) -> Result<T> + Sync,
    ) -> Result<T> {
        match &*self.backend {
            Backend::Sqlite(_) => self.run_here(&work),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => pool::off_runtime(|| self.run_here(&work)),
        }
    }

    /// Runs `work` on this thread, which may block. On PostgreSQL, work
    /// whose transaction met another's is run again.
    fn run_here<T>(&self, work: &dyn Fn(&dyn Conn) -> Result<T>) -> Result<T> {
        match &*self.backend {
            Backend::Sqlite(connection) => {
                let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                work(&*connection)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let mut met = 0;
                loop {
                    match pool.with(|conn| work(conn)) {
                        Err(StoreError::Conflict(why)) if met < CONFLICT_RETRIES => {
                            met += 1;
                            tracing::debug!(met, "running a transaction again: {why}");
                            std::thread::sleep(apart(met));
                        }
                        done => return done,
                    }
                }
            }
        }
    }

    /// Writes a consistent copy of the live SQLite database to `target`
    /// (VACUUM INTO), safe while the bot runs. The target must not exist; it
    /// is created with mode 0600 before any data is written to it.
    /// PostgreSQL is backed up with its own tools.
    pub fn backup(&self, target: &Path) -> Result<()> {
        // A single arm in a build without PostgreSQL.
        #[allow(clippy::infallible_destructuring_match)]
        let connection = match &*self.backend {
            Backend::Sqlite(connection) => connection,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {
                return Err(StoreError::Backup(format!(
                    "{} is PostgreSQL: back it up with its own tools, e.g. \
                     `pg_dump --format=custom --file={} '<the database URL>'`",
                    self.database,
                    target.display()
                )));
            }
        };
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(target)
            .map_err(|e| StoreError::Backup(format!("cannot create {}: {e}", target.display())))?;
        let target_text = target.to_string_lossy().into_owned();
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        connection.execute("VACUUM INTO ?1", [target_text])?;
        Ok(())
    }

    /// The latest migration applied.
    pub fn schema_version(&self) -> Result<u32> {
        self.call_blocking(migrations::recorded_version)
    }
}

/// How often work that met another transaction is run again.
#[cfg(feature = "postgres")]
const CONFLICT_RETRIES: u32 = 30;

/// A pause before running work again that met another transaction: random
/// (so the two do not meet again) and growing, up to a third of a second.
#[cfg(feature = "postgres")]
fn apart(met: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let ceiling = 5_u64 << met.min(6);
    Duration::from_millis(u64::from(nanos) % ceiling + 1)
}

#[cfg(feature = "postgres")]
fn postgres_backend(database: &Database, url: &str) -> Result<Backend> {
    let pool = pool::off_runtime(|| pool::PgPool::connect(url)).map_err(|error| match error {
        StoreError::Postgres { message, transient } => StoreError::Postgres {
            message: format!("cannot connect to {database}: {message}"),
            transient,
        },
        other => other,
    })?;
    Ok(Backend::Postgres(pool))
}

#[cfg(not(feature = "postgres"))]
fn postgres_backend(database: &Database, _url: &str) -> Result<Backend> {
    Err(StoreError::Postgres {
        message: format!(
            "{database}: this build of upright has no PostgreSQL (feature `postgres`)"
        ),
        transient: false,
    })
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
        use sql::{ConnExt, Value};
        // Every parameter NULL: the plan does not depend on them.
        let highest = sql
            .split('?')
            .skip(1)
            .filter_map(|after| {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .max()
            .unwrap_or(0);
        let nulls = vec![Value::Null; highest];
        let steps = db.call_blocking(|c| {
            c.query_all(&format!("EXPLAIN QUERY PLAN {sql}"), &nulls, |row| {
                row.text(3)
            })
        })?;
        Ok(steps.join("; "))
    }

    #[test]
    fn due_queries_use_their_indexes() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = Db::open(&dir.path().join("plans.sqlite3"))?;
        for (sql, index) in [
            (subscriptions::due_sql(Engine::Sqlite), "subscriptions_due"),
            (
                subscriptions::next_due_sql(Engine::Sqlite),
                "subscriptions_due",
            ),
            (deliveries::ready_sql(Engine::Sqlite), "deliveries_due"),
            (deliveries::next_due_sql(Engine::Sqlite), "deliveries_due"),
            (outbox_figures::depth_sql(Engine::Sqlite), "deliveries_due"),
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
            (users::weekly_due_sql(Engine::Sqlite), "users_weekly_due"),
            (
                subscriptions::followups_due_sql(Engine::Sqlite),
                "subscriptions_followup_due",
            ),
            (
                subscriptions::next_followup_sql(Engine::Sqlite),
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
