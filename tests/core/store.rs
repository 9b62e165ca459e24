//! The SQLite store: migrations, file permissions, PRAGMAs, constraint errors,
//! backups and refusing a database from a newer build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use upright::check_in::CheckInKind;
use upright::schedule::{Schedule, Weekdays, parse_time};
use upright::store::sql::{ConnExt, Row};
use upright::store::{Db, MIGRATIONS, StoreError, check_ins, sessions, subscriptions, users};

const TABLES: [&str; 7] = [
    "users",
    "subscriptions",
    "groups",
    "sessions",
    "deliveries",
    "check_ins",
    "stream_positions",
];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-03-01T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("upright.sqlite3")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn tables(db: &Db) -> Vec<String> {
    db.call_blocking(|c| {
        c.query_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            &[],
            |row| row.text(0),
        )
    })
    .unwrap()
}

fn schema(db: &Db) -> Vec<(String, String, Option<String>)> {
    db.call_blocking(|c| {
        c.query_all(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name",
            &[],
            |row| Ok((row.text(0)?, row.text(1)?, row.opt_text(2)?)),
        )
    })
    .unwrap()
}

/// The one value a query gives.
fn one<T: Send>(
    db: &Db,
    sql: &str,
    read: impl Fn(&dyn Row) -> upright::store::Result<T> + Sync,
) -> T {
    db.call_blocking(|c| c.query_opt(sql, &[], &read))
        .unwrap()
        .expect("a row")
}

fn count(db: &Db, table: &str) -> i64 {
    one(db, &format!("SELECT COUNT(*) FROM {table}"), |row| {
        row.int(0)
    })
}

fn daily_berlin() -> Schedule {
    Schedule::new(
        parse_time("07:30").unwrap(),
        Weekdays::DAILY,
        chrono_tz::Tz::Europe__Berlin,
    )
}

/// A member with a subscription and a running session; returns their ids.
fn member_with_session(db: &Db) -> (i64, i64, i64) {
    db.call_blocking(|c| {
        let user = users::upsert(c, "discord", "42", "Ada", now())?;
        let subscription =
            subscriptions::upsert(c, user.id, "upper-back", &daily_berlin(), 3, None, now())?;
        let session = sessions::insert(
            c,
            &sessions::NewSession {
                owner: sessions::Owner::Subscription(subscription.id),
                routine_id: "upper-back",
                local_date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
                scheduled_at: now(),
                started_at: Some(now()),
                status: sessions::Status::Running,
                loads: &[10, 10, 10, 10, 10],
                current_step: 0,
                next_step_at: None,
                missed_because: None,
            },
        )?
        .expect("a new session");
        Ok((user.id, subscription.id, session.id))
    })
    .unwrap()
}

#[test]
fn migrations_apply_to_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Db::open(&path).unwrap();
    assert!(path.is_file());
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert_eq!(MIGRATIONS.len(), 21);
    let found = tables(&db);
    for table in TABLES.iter().chain(&["schema_migrations"]) {
        assert!(
            found.iter().any(|t| t == table),
            "{table} missing: {found:?}"
        );
    }
    assert_eq!(count(&db, "schema_migrations"), MIGRATIONS.len() as i64);
    for (i, migration) in MIGRATIONS.iter().enumerate() {
        assert_eq!(migration.version, i as u32 + 1);
    }
}

#[test]
fn an_existing_empty_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::write(&path, b"").unwrap();
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert!(tables(&db).iter().any(|t| t == "check_ins"));
}

#[test]
fn opening_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (version, rows, before) = {
        let db = Db::open(&path).unwrap();
        (
            db.schema_version().unwrap(),
            count(&db, "schema_migrations"),
            schema(&db),
        )
    };
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), version);
    assert_eq!(count(&db, "schema_migrations"), rows);
    assert_eq!(schema(&db), before);
    // A second handle on the same file while the first is still open, too.
    let again = Db::open(&path).unwrap();
    assert_eq!(again.schema_version().unwrap(), version);
    assert_eq!(schema(&again), before);
}

#[test]
fn a_version_1_database_upgrades_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let old = Db::open_at_migration(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        let found = tables(&old);
        assert!(found.iter().any(|t| t == "subscriptions"), "{found:?}");
        assert!(!found.iter().any(|t| t == "sessions"), "{found:?}");
        old.call_blocking(|c| {
            c.execute(
                "INSERT INTO users (id, platform, platform_user_id, display_name, timezone, created_at)
                 VALUES (7, 'matrix', '@ada:example.org', 'Ada', 'Europe/Berlin', 1800000000)",
                &[],
            )?;
            c.execute(
                "INSERT INTO subscriptions (id, user_id, routine_id, cron, timezone, pace_minutes,
                                            state, next_run_at, created_at, updated_at)
                 VALUES (3, 7, 'upper-back', '0 30 7 * * Mon,Wed,Fri', 'Europe/Berlin', 3,
                         'active', 1800003600, 1800000000, 1800000000)",
                &[],
            )?;
            Ok(())
        })
        .unwrap();
    }
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as u32);
    for table in TABLES {
        assert!(tables(&db).iter().any(|t| t == table), "{table}");
    }
    let user = db
        .call_blocking(|c| users::find(c, "matrix", "@ada:example.org"))
        .unwrap()
        .expect("the user survived the upgrade");
    assert_eq!(user.id, 7);
    assert_eq!(user.display_name, "Ada");
    assert_eq!(user.timezone.as_deref(), Some("Europe/Berlin"));
    let subscription = db
        .call_blocking(|c| subscriptions::for_user(c, 7))
        .unwrap()
        .expect("the subscription survived the upgrade");
    assert_eq!(subscription.id, 3);
    assert_eq!(subscription.routine_id, "upper-back");
    assert_eq!(subscription.schedule.time(), parse_time("07:30").unwrap());
    assert_eq!(
        subscription.schedule.days(),
        upright::schedule::parse_days("mon,wed,fri").unwrap()
    );
    assert_eq!(subscription.schedule.zone(), chrono_tz::Tz::Europe__Berlin);
    let cron = one(&db, "SELECT cron FROM subscriptions WHERE id = 3", |r| {
        r.text(0)
    });
    assert_eq!(cron, "0 30 7 * * Mon,Wed,Fri");
    // The new tables work with the old rows.
    let session = db
        .call_blocking(|c| {
            sessions::insert(
                c,
                &sessions::NewSession {
                    owner: sessions::Owner::Subscription(3),
                    routine_id: "upper-back",
                    local_date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
                    scheduled_at: now(),
                    started_at: None,
                    status: sessions::Status::Running,
                    loads: &[10],
                    current_step: 0,
                    next_step_at: None,
                    missed_because: None,
                },
            )
        })
        .unwrap();
    assert!(session.is_some());
}

#[test]
fn the_file_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("upright.sqlite3");
    let db = Db::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    // Write something so the WAL exists; SQLite gives it the file's mode.
    member_with_session(&db);
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert!(wal.exists(), "journal_mode = WAL keeps {}", wal.display());
    assert_eq!(mode(&wal), 0o600);
    let shm = PathBuf::from(format!("{}-shm", path.display()));
    assert_eq!(mode(&shm), 0o600);
}

#[test]
fn the_connection_has_the_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let journal = one(&db, "PRAGMA journal_mode", |r| r.text(0));
    let foreign_keys = one(&db, "PRAGMA foreign_keys", |r| r.int(0));
    let busy_timeout = one(&db, "PRAGMA busy_timeout", |r| r.int(0));
    assert_eq!(journal.to_lowercase(), "wal");
    assert_eq!(foreign_keys, 1);
    assert!(busy_timeout > 0, "busy_timeout = {busy_timeout}");
}

#[test]
fn a_duplicate_member_is_a_constraint_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let user = db
        .call_blocking(|c| users::upsert(c, "discord", "42", "Ada", now()))
        .unwrap();
    // upsert itself never conflicts: it finds the same member.
    let again = db
        .call_blocking(|c| users::upsert(c, "discord", "42", "Ada L.", now()))
        .unwrap();
    assert_eq!(again.id, user.id);
    assert_eq!(again.display_name, "Ada L.");
    let result = db.call_blocking(|c| {
        c.execute(
            "INSERT INTO users (platform, platform_user_id, display_name, created_at)
             VALUES ('discord', '42', 'Copy', 0)",
            &[],
        )?;
        Ok(())
    });
    assert!(
        matches!(result, Err(StoreError::Constraint(_))),
        "{result:?}"
    );
    // The same member on another platform is someone else.
    let other = db
        .call_blocking(|c| users::upsert(c, "matrix", "42", "Ada", now()))
        .unwrap();
    assert_ne!(other.id, user.id);
}

#[test]
fn an_unknown_check_in_kind_is_a_constraint_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let (user, _, session) = member_with_session(&db);
    let result = db.call_blocking(|c| {
        c.execute(
            "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
             VALUES (?1, 1, ?2, 'maybe', 0)",
            upright::store::sql::args![session, user],
        )?;
        Ok(())
    });
    assert!(
        matches!(result, Err(StoreError::Constraint(_))),
        "{result:?}"
    );
    assert_eq!(count(&db, "check_ins"), 0);
    // The real kinds are accepted, once each.
    let recorded = db
        .call_blocking(|c| check_ins::record(c, session, 1, user, CheckInKind::Done, now()))
        .unwrap();
    assert!(recorded);
    let twice = db
        .call_blocking(|c| check_ins::record(c, session, 1, user, CheckInKind::Done, now()))
        .unwrap();
    assert!(!twice);
    assert_eq!(count(&db, "check_ins"), 1);
}

#[test]
fn a_check_in_for_a_missing_session_is_a_constraint_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let (user, _, session) = member_with_session(&db);
    let result = db
        .call_blocking(|c| check_ins::record(c, session + 1000, 1, user, CheckInKind::Pain, now()));
    assert!(
        matches!(result, Err(StoreError::Constraint(_))),
        "{result:?}"
    );
    let raw = db.call_blocking(|c| {
        c.execute(
            "INSERT INTO check_ins (session_id, step, user_id, kind, created_at)
             VALUES (9999, 1, ?1, 'done', 0)",
            upright::store::sql::args![user],
        )?;
        Ok(())
    });
    assert!(matches!(raw, Err(StoreError::Constraint(_))), "{raw:?}");
    assert_eq!(count(&db, "check_ins"), 0);
}

#[test]
fn deleting_a_member_cascades() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let (user, _, session) = member_with_session(&db);
    db.call_blocking(|c| check_ins::record(c, session, 1, user, CheckInKind::Done, now()))
        .unwrap();
    db.call_blocking(|c| users::delete(c, user)).unwrap();
    for table in ["users", "subscriptions", "sessions", "check_ins"] {
        assert_eq!(count(&db, table), 0, "{table}");
    }
}

#[test]
fn a_backup_is_a_private_copy_with_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    let (user, subscription, session) = member_with_session(&db);
    let target = dir.path().join("backup.sqlite3");
    db.backup(&target).unwrap();
    assert_eq!(mode(&target), 0o600);

    let copy = rusqlite::Connection::open(&target).unwrap();
    let names: i64 = copy
        .query_row(
            "SELECT COUNT(*) FROM users WHERE id = ?1 AND platform_user_id = '42'",
            [user],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(names, 1);
    let subscriptions: i64 = copy
        .query_row(
            "SELECT COUNT(*) FROM subscriptions WHERE id = ?1",
            [subscription],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(subscriptions, 1);
    drop(copy);

    // The copy opens as an upright database, at the same version.
    let restored = Db::open(&target).unwrap();
    assert_eq!(restored.schema_version().unwrap(), MIGRATIONS.len() as u32);
    let restored_session = restored
        .call_blocking(|c| sessions::get(c, session))
        .unwrap();
    assert_eq!(restored_session.routine_id, "upper-back");
}

#[test]
fn a_backup_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(&dir)).unwrap();
    member_with_session(&db);
    let target = dir.path().join("existing.sqlite3");
    std::fs::write(&target, b"precious").unwrap();
    let result = db.backup(&target);
    assert!(result.is_err(), "{result:?}");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    // Not even onto the live database itself.
    assert!(db.backup(&db_path(&dir)).is_err());
    assert_eq!(count(&db, "users"), 1);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let db = Db::open(&path).unwrap();
        db.call_blocking(|c| {
            c.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (99, 'from_the_future')",
                &[],
            )?;
            Ok(())
        })
        .unwrap();
    }
    match Db::open(&path) {
        Err(StoreError::TooNew { found, known }) => {
            assert_eq!(found, 99);
            assert_eq!(known, MIGRATIONS.len() as u32);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    // Refused at any target, and the file is left as it was.
    assert!(matches!(
        Db::open_at_migration(&path, 1),
        Err(StoreError::TooNew { .. })
    ));
    let rows: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, MIGRATIONS.len() as i64 + 1);
}

#[test]
fn a_remembered_reaction_is_taken_once() {
    use upright::store::reaction_events;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("reactions.sqlite3")).unwrap();
    db.call_blocking(|c| {
        for (message, emoji) in [("$message", "✅"), ("$other", "🤕")] {
            let reaction = reaction_events::Reaction {
                platform: "matrix",
                reaction_id: "$reaction",
                message_id: message,
                user_id: "@ana:example.org",
                emoji,
                room: Some("!dm:example.org"),
            };
            reaction_events::remember(c, &reaction, chrono::Utc::now())?;
        }
        let first = reaction_events::take(c, "matrix", "$reaction")?.expect("remembered");
        assert_eq!(first.message_id, "$message", "the first record wins");
        assert_eq!(first.emoji, "✅");
        assert_eq!(first.room.as_deref(), Some("!dm:example.org"));
        assert_eq!(
            reaction_events::take(c, "matrix", "$reaction")?,
            None,
            "taken once"
        );
        assert_eq!(reaction_events::take(c, "discord", "$reaction")?, None);
        Ok(())
    })
    .unwrap();
}
