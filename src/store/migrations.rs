//! Applies `migrations/NNNN_name.sql` (SQLite) or
//! `migrations/postgres/NNNN_name.sql` (PostgreSQL) in order, each in its
//! own transaction, recording each in `schema_migrations` so running again
//! changes nothing. Both engines have the same versions.

use super::sql::{Conn, ConnExt, Engine, args};
use super::{Result, StoreError};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
    pub postgres_sql: &'static str,
}

impl Migration {
    fn sql_for(&self, engine: Engine) -> &'static str {
        match engine {
            Engine::Sqlite => self.sql,
            Engine::Postgres => self.postgres_sql,
        }
    }
}

/// One migration from its two files, named once: `7 "0007" group_names`
/// reads `migrations/0007_group_names.sql` and its PostgreSQL form.
macro_rules! migrations {
    ($($version:literal $number:literal $name:ident,)*) => {
        &[$(Migration {
            version: $version,
            name: stringify!($name),
            sql: include_str!(concat!(
                "../../migrations/", $number, "_", stringify!($name), ".sql"
            )),
            postgres_sql: include_str!(concat!(
                "../../migrations/postgres/", $number, "_", stringify!($name), ".sql"
            )),
        },)*]
    };
}

/// Every migration, in order. A new file in `migrations/` is added here, and
/// its PostgreSQL form under the same name in `migrations/postgres/`
/// (`tests/store` checks both give the same schema).
pub const MIGRATIONS: &[Migration] = migrations![
    1 "0001" members_and_schedules,
    2 "0002" sessions_outbox_check_ins,
    3 "0003" reaction_events,
    4 "0004" groups,
    5 "0005" direct_rooms,
    6 "0006" retention,
    7 "0007" group_names,
    8 "0008" missed_sessions,
    9 "0009" later,
    10 "0010" group_rest_days,
    11 "0011" followup,
    12 "0012" stream_positions,
    13 "0013" pain_scores,
    14 "0014" reaction_rooms,
    15 "0015" post_names,
    16 "0016" leases,
    17 "0017" answered_commands,
    18 "0018" languages,
    19 "0019" press_answers,
    20 "0020" early_reactions,
    21 "0021" outbox_storage,
];

/// The lock replicas take on PostgreSQL while they migrate, so two starting
/// at once apply each migration once (any number, fixed for Upright).
const MIGRATION_LOCK: i64 = 0x7570_7269_6768_7401;

/// The latest migration recorded; 0 for a database that has none (read
/// only: a database opened for looking is never written).
pub fn recorded_version(c: &dyn Conn) -> Result<u32> {
    let exists = match c.engine() {
        Engine::Sqlite => {
            "SELECT EXISTS (SELECT 1 FROM sqlite_master
                            WHERE type = 'table' AND name = 'schema_migrations')"
        }
        Engine::Postgres => "SELECT to_regclass('schema_migrations') IS NOT NULL",
    };
    if c.query_opt(exists, &[], |row| row.int(0))? != Some(1) {
        return Ok(0);
    }
    let version = c
        .query_opt("SELECT MAX(version) FROM schema_migrations", &[], |row| {
            row.opt_int(0)
        })?
        .flatten()
        .unwrap_or(0);
    u32::try_from(version)
        .map_err(|_| StoreError::Corrupt(format!("migration version {version} is out of range")))
}

fn ensure_table(c: &dyn Conn) -> Result<()> {
    c.batch(match c.engine() {
        Engine::Sqlite => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT    NOT NULL,
                 applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             );"
        }
        Engine::Postgres => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY,
                 name       TEXT   NOT NULL,
                 applied_at TEXT   NOT NULL
                            DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             );"
        }
    })
}

/// Brings the database up to `target` (at most the latest migration). On
/// PostgreSQL, under a lock: a second replica starting at the same moment
/// waits, then finds nothing left to do.
pub fn apply(c: &dyn Conn, target: u32) -> Result<()> {
    if c.engine() == Engine::Postgres {
        c.execute("SELECT pg_advisory_lock(?1)", args![MIGRATION_LOCK])?;
        let applied = apply_unlocked(c, target);
        c.execute("SELECT pg_advisory_unlock(?1)", args![MIGRATION_LOCK])?;
        return applied;
    }
    apply_unlocked(c, target)
}

fn apply_unlocked(c: &dyn Conn, target: u32) -> Result<()> {
    ensure_table(c)?;
    let found = recorded_version(c)?;
    let known = MIGRATIONS.len() as u32;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        let failed = |source: StoreError| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source: Box::new(source),
        };
        let applied = (|| {
            let tx = c.transaction()?;
            tx.batch(migration.sql_for(c.engine()))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                args![migration.version, migration.name],
            )?;
            tx.commit()
        })();
        applied.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}
