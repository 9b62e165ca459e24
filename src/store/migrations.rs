//! Applies `migrations/NNNN_name.sql` in order, each in its own transaction,
//! recording each in `schema_migrations` so running again changes nothing.

use rusqlite::{Connection, OptionalExtension};

use super::{Result, StoreError};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. A new file in `migrations/` is added here, and
/// its PostgreSQL form under the same name in `migrations/postgres/`
/// (`tests/store` checks both give the same schema).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "members_and_schedules",
        sql: include_str!("../../migrations/0001_members_and_schedules.sql"),
    },
    Migration {
        version: 2,
        name: "sessions_outbox_check_ins",
        sql: include_str!("../../migrations/0002_sessions_outbox_check_ins.sql"),
    },
    Migration {
        version: 3,
        name: "reaction_events",
        sql: include_str!("../../migrations/0003_reaction_events.sql"),
    },
    Migration {
        version: 4,
        name: "groups",
        sql: include_str!("../../migrations/0004_groups.sql"),
    },
    Migration {
        version: 5,
        name: "direct_rooms",
        sql: include_str!("../../migrations/0005_direct_rooms.sql"),
    },
    Migration {
        version: 6,
        name: "retention",
        sql: include_str!("../../migrations/0006_retention.sql"),
    },
    Migration {
        version: 7,
        name: "group_names",
        sql: include_str!("../../migrations/0007_group_names.sql"),
    },
    Migration {
        version: 8,
        name: "missed_sessions",
        sql: include_str!("../../migrations/0008_missed_sessions.sql"),
    },
    Migration {
        version: 9,
        name: "later",
        sql: include_str!("../../migrations/0009_later.sql"),
    },
    Migration {
        version: 10,
        name: "group_rest_days",
        sql: include_str!("../../migrations/0010_group_rest_days.sql"),
    },
    Migration {
        version: 11,
        name: "followup",
        sql: include_str!("../../migrations/0011_followup.sql"),
    },
    Migration {
        version: 12,
        name: "stream_positions",
        sql: include_str!("../../migrations/0012_stream_positions.sql"),
    },
    Migration {
        version: 13,
        name: "pain_scores",
        sql: include_str!("../../migrations/0013_pain_scores.sql"),
    },
    Migration {
        version: 14,
        name: "reaction_rooms",
        sql: include_str!("../../migrations/0014_reaction_rooms.sql"),
    },
    Migration {
        version: 15,
        name: "post_names",
        sql: include_str!("../../migrations/0015_post_names.sql"),
    },
];

/// The latest migration recorded; 0 for a database that has none (read
/// only: a database opened for looking is never written).
pub fn recorded_version(connection: &Connection) -> Result<u32> {
    let has_table: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    let version: Option<u32> = connection
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .optional()?
        .flatten();
    Ok(version.unwrap_or(0))
}

fn ensure_table(connection: &Connection) -> Result<()> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT    NOT NULL,
             applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
         );",
    )?;
    Ok(())
}

/// Brings the database up to `target` (at most the latest migration).
pub fn apply(connection: &mut Connection, target: u32) -> Result<()> {
    ensure_table(connection)?;
    let found = recorded_version(connection)?;
    let known = MIGRATIONS.len() as u32;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute_batch(migration.sql).map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                (migration.version, migration.name),
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}
