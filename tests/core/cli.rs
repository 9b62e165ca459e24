//! The `upright` binary, run as a member of the public would run it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in the project folder, with no platform configured and no
/// outside setting that could change what it does.
fn upright(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upright"));
    command.current_dir(manifest_dir()).args(args);
    for variable in [
        "DISCORD_TOKEN",
        "DISCORD_GUILD_ID",
        "DISCORD_API_BASE",
        "MATRIX_HOMESERVER",
        "MATRIX_USER",
        "MATRIX_PASSWORD",
        "MATRIX_STORE_DIR",
        "MATRIX_STORE_PASSPHRASE",
        "UPRIGHT_DATABASE",
        "UPRIGHT_CONTENT_DIR",
        "UPRIGHT_PACE",
        "UPRIGHT_GRACE",
        "UPRIGHT_SEND_CONCURRENCY",
        "UPRIGHT_LOG_FORMAT",
        "UPRIGHT_METRICS_ADDR",
        "RUST_LOG",
    ] {
        command.env_remove(variable);
    }
    command
}

fn run(mut command: impl std::borrow::BorrowMut<Command>) -> Output {
    command
        .borrow_mut()
        .output()
        .expect("the upright binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines(output: &Output) -> Vec<String> {
    stdout(output).lines().map(str::to_string).collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// --- schedule ---------------------------------------------------------------

#[test]
fn schedule_prints_the_spring_example() {
    let output = run(upright(&[
        "schedule",
        "--time",
        "02:30",
        "--timezone",
        "Europe/Berlin",
        "--from",
        "2027-03-27T00:00:00Z",
        "--count",
        "3",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        lines(&output),
        [
            "2027-03-27T02:30:00+01:00 2027-03-27T01:30:00Z",
            "2027-03-28T03:30:00+02:00 2027-03-28T01:30:00Z",
            "2027-03-29T02:30:00+02:00 2027-03-29T00:30:00Z",
        ]
    );
}

#[test]
fn schedule_prints_the_autumn_example() {
    let output = run(upright(&[
        "schedule",
        "--time",
        "02:30",
        "--timezone",
        "Europe/Berlin",
        "--from",
        "2027-10-30T00:00:00Z",
        "--count",
        "3",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        lines(&output),
        [
            "2027-10-30T02:30:00+02:00 2027-10-30T00:30:00Z",
            "2027-10-31T02:30:00+02:00 2027-10-31T00:30:00Z",
            "2027-11-01T02:30:00+01:00 2027-11-01T01:30:00Z",
        ]
    );
}

#[test]
fn schedule_accepts_days_and_a_city() {
    // 2027-01-08 is a Friday.
    let output = run(upright(&[
        "schedule",
        "--time",
        "7:30am",
        "--timezone",
        "berlin",
        "--days",
        "mon,wed,fri",
        "--from",
        "2027-01-08T18:00:00Z",
        "--count",
        "2",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        lines(&output),
        [
            "2027-01-11T07:30:00+01:00 2027-01-11T06:30:00Z",
            "2027-01-13T07:30:00+01:00 2027-01-13T06:30:00Z",
        ]
    );
}

#[test]
fn schedule_refuses_an_impossible_time() {
    let output = run(upright(&[
        "schedule",
        "--time",
        "25:61",
        "--timezone",
        "Europe/Berlin",
        "--from",
        "2027-03-27T00:00:00Z",
    ]));
    assert!(!output.status.success());
    let message = stderr(&output).to_lowercase();
    assert!(
        message.contains("minute") || message.contains("hour"),
        "{message}"
    );
    assert!(
        message.contains("61") || message.contains("25"),
        "{message}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
}

#[test]
fn schedule_refuses_an_unknown_zone() {
    let output = run(upright(&[
        "schedule",
        "--time",
        "07:30",
        "--timezone",
        "Mars/Olympus",
    ]));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("Mars/Olympus"),
        "{}",
        stderr(&output)
    );
}

// --- check-content --------------------------------------------------------------

#[test]
fn check_content_accepts_the_real_content() {
    let output = run(upright(&["check-content"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("1 routine(s), 5 exercises, 5 topics"),
        "{}",
        stdout(&output)
    );
}

fn copy_content(to: &Path) {
    for sub in ["routines", "topics"] {
        fs::create_dir_all(to.join(sub)).unwrap();
        for entry in fs::read_dir(manifest_dir().join("content").join(sub)).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), to.join(sub).join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn check_content_names_a_broken_routine() {
    let dir = tempfile::tempdir().unwrap();
    copy_content(dir.path());
    let routine = dir.path().join("routines").join("upper-back.toml");
    let text = fs::read_to_string(&routine).unwrap();
    assert!(text.contains("reps = { min = 10, max = 12 }"));
    fs::write(
        &routine,
        text.replacen(
            "reps = { min = 10, max = 12 }",
            "reps = { min = 14, max = 12 }",
            1,
        ),
    )
    .unwrap();

    // The copy as it was is fine; only the edit breaks it.
    let output = run(upright(&["check-content", dir.path().to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("upper-back.toml"), "{message}");
    assert!(message.contains("exercises[1].reps"), "{message}");
}

#[test]
fn check_content_reads_the_configured_folder() {
    let dir = tempfile::tempdir().unwrap();
    copy_content(dir.path());
    fs::remove_file(dir.path().join("topics").join("tips.toml")).unwrap();
    let output = run(upright(&["check-content"]).env("UPRIGHT_CONTENT_DIR", dir.path()));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stderr(&output).contains("tips.toml"), "{}", stderr(&output));
}

// --- migrate and backup -------------------------------------------------------------

/// A URL is never taken for a file name: an unknown scheme is refused, and
/// a PostgreSQL server that does not answer is said to be one, without its
/// password.
#[test]
fn a_database_url_is_never_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = "mysql://upright:secret@db.example.org/upright";
    // Port 1 on this machine: nothing listens there.
    let silent = "postgresql://upright:secret@127.0.0.1:1/upright";
    for (url, says) in [
        (unknown, "`mysql://` is not a database"),
        (silent, "postgresql://upright:***@127.0.0.1:1/upright"),
    ] {
        for args in [&["migrate"][..], &["demo", "--database", url][..]] {
            let output = run(upright(args)
                .current_dir(dir.path())
                .env("UPRIGHT_DATABASE", url)
                .env("UPRIGHT_CONTENT_DIR", manifest_dir().join("content")));
            assert!(!output.status.success(), "{args:?}");
            let said = stderr(&output);
            assert!(said.contains(says), "{args:?}: {said}");
            if url == silent {
                assert!(!said.contains("secret"), "{args:?}: {said}");
            }
        }
    }
    let created: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(created.is_empty(), "nothing is created: {created:?}");
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data").join("upright.sqlite3");
    let output = run(upright(&["migrate"]).env("UPRIGHT_DATABASE", &database));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(database.is_file());
    assert_eq!(mode(&database), 0o600);
    assert!(
        stdout(&output).contains(&format!("migration {}", upright::store::MIGRATIONS.len())),
        "{}",
        stdout(&output)
    );

    // Again: nothing to do, same answer.
    let again = run(upright(&["migrate"]).env("UPRIGHT_DATABASE", &database));
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains(&format!("migration {}", upright::store::MIGRATIONS.len())),
        "{}",
        stdout(&again)
    );
}

#[test]
fn backup_writes_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("upright.sqlite3");
    let migrated = run(upright(&["migrate"]).env("UPRIGHT_DATABASE", &database));
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute(
            "INSERT INTO users (platform, platform_user_id, display_name, created_at)
             VALUES ('console', 'me', 'Me', 0)",
            [],
        )
        .unwrap();

    let copy: PathBuf = dir.path().join("copy.sqlite3");
    let output =
        run(upright(&["backup", copy.to_str().unwrap()]).env("UPRIGHT_DATABASE", &database));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(copy.is_file());
    assert_eq!(mode(&copy), 0o600);
    let connection = rusqlite::Connection::open(&copy).unwrap();
    let users: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM users WHERE platform_user_id = 'me'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(users, 1);
    let version: i64 = connection
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, upright::store::MIGRATIONS.len() as i64);
    drop(connection);

    // A second backup to the same path is refused and leaves the copy alone.
    let before = fs::read(&copy).unwrap();
    let refused =
        run(upright(&["backup", copy.to_str().unwrap()]).env("UPRIGHT_DATABASE", &database));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("copy.sqlite3"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(fs::read(&copy).unwrap(), before);
}

/// A database that says it is at `version`, as a newer (or older) build left it.
fn database_at(path: &Path, version: u32) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT);",
        )
        .unwrap();
    connection
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'future')",
            [version],
        )
        .unwrap();
}

#[test]
fn backup_only_reads_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.sqlite3");
    let backup = |database: &Path| {
        run(upright(&["backup", copy.to_str().unwrap()]).env("UPRIGHT_DATABASE", database))
    };

    // Run from the wrong folder: no empty database is made, nothing is reported as saved.
    let missing = dir.path().join("missing.sqlite3");
    let output = backup(&missing);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no database at"),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists() && !copy.exists());

    // A database from a newer build is refused, not touched.
    let newer = dir.path().join("newer.sqlite3");
    database_at(&newer, 99);
    let output = backup(&newer);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("newer"), "{}", stderr(&output));
    assert!(!copy.exists());

    // An older one is copied as it is: migrating is for the running bot.
    let older = dir.path().join("older.sqlite3");
    let migrated = run(upright(&["migrate"]).env("UPRIGHT_DATABASE", &older));
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    rusqlite::Connection::open(&older)
        .unwrap()
        .execute("DELETE FROM schema_migrations WHERE version > 3", [])
        .unwrap();
    let output = backup(&older);
    assert!(output.status.success(), "{}", stderr(&output));
    let version = |path: &Path| -> i64 {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    assert_eq!(version(&older), 3, "the source is not migrated");
    assert_eq!(version(&copy), 3);
}

// --- doctor ---------------------------------------------------------------------------

#[test]
fn the_doctor_names_what_to_fix_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_content(&content);
    fs::remove_file(content.join("topics").join("tips.toml")).unwrap();
    let database = dir.path().join("newer.sqlite3");
    database_at(&database, 99);
    let before = fs::read(&database).unwrap();

    let output = run(upright(&["doctor"])
        .env("UPRIGHT_DATABASE", &database)
        .env("UPRIGHT_CONTENT_DIR", &content));
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    for (check, needle) in [
        ("configuration", "no platform is configured"),
        ("database", "newer than this binary"),
        ("content", "tips.toml"),
    ] {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("FAIL  {check}")))
            .unwrap_or_else(|| panic!("no failed {check} check: {report}"));
        assert!(line.contains(needle), "{line}");
    }
    assert_eq!(
        fs::read(&database).unwrap(),
        before,
        "the doctor only looks"
    );

    // A configuration that does not parse is the doctor's first finding too.
    let output = run(upright(&["doctor"]).env("UPRIGHT_PACE", "45m"));
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(
        report.starts_with("FAIL  configuration UPRIGHT_PACE"),
        "{report}"
    );
}

// --- run ------------------------------------------------------------------------------

#[test]
fn run_without_a_platform_points_to_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("upright.sqlite3");
    for args in [&["run"][..], &[][..]] {
        let output = run(upright(args).env("UPRIGHT_DATABASE", &database));
        assert!(!output.status.success(), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains(".env.example"), "{args:?}: {message}");
        assert!(message.contains("upright demo"), "{args:?}: {message}");
    }
}

#[cfg(feature = "discord")]
#[test]
fn json_logs_are_one_object_per_line() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // Discord behind an address where nothing listens: the bot logs its
    // start and keeps trying to connect until it is stopped.
    let mut child = upright(&["run"])
        .env("DISCORD_TOKEN", "token")
        .env("DISCORD_API_BASE", "http://127.0.0.1:9")
        .env("UPRIGHT_DATABASE", dir.path().join("bot.sqlite3"))
        .env("UPRIGHT_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let started = loop {
        let Ok(line) = received.recv_timeout(std::time::Duration::from_secs(60)) else {
            break false;
        };
        let log: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            log["timestamp"].is_string() && log["level"].is_string(),
            "{line}"
        );
        seen.push(line);
        if log["level"] == "INFO" && log["message"] == "Discord is starting" {
            break true;
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "no start logged: {seen:?}");
}

#[cfg(feature = "discord")]
use super::common::http;

#[cfg(feature = "discord")]
#[test]
fn a_running_bot_serves_health_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap()
    };
    // Discord behind an address where nothing listens: it never connects.
    let mut child = upright(&["run"])
        .env("DISCORD_TOKEN", "token")
        .env("DISCORD_API_BASE", "http://127.0.0.1:9")
        .env("UPRIGHT_DATABASE", dir.path().join("bot.sqlite3"))
        .env("UPRIGHT_METRICS_ADDR", addr.to_string())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut health = None;
    for _ in 0..600 {
        match http::get(addr, "/healthz") {
            Ok(answer) if answer.1.contains("discord") => {
                health = Some(answer);
                break;
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    let metrics = http::get(addr, "/metrics");
    child.kill().unwrap();
    child.wait().unwrap();

    let (status, body) = health.expect("/healthz answered within a minute");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("discord: still connecting"), "{body}");
    let (status, text) = metrics.unwrap();
    assert_eq!(status, 200);
    assert!(
        http::sample(&text, "upright_engine_passes_total").is_some_and(|n| n >= 1.0),
        "{text}"
    );
}

#[test]
fn only_the_working_directorys_env_file_is_read() {
    let outer = tempfile::tempdir().unwrap();
    let inner = outer.path().join("bot");
    std::fs::create_dir(&inner).unwrap();
    // Someone else's settings one folder up: not the bot's.
    std::fs::write(outer.path().join(".env"), "UPRIGHT_PACE=45m\n").unwrap();
    let output = run(upright(&["run"])
        .current_dir(&inner)
        .env("UPRIGHT_DATABASE", inner.join("upright.sqlite3")));
    let message = stderr(&output);
    assert!(!message.contains("UPRIGHT_PACE"), "{message}");
    assert!(message.contains(".env.example"), "{message}");
    // The working directory's own is read.
    std::fs::write(inner.join(".env"), "UPRIGHT_PACE=45m\n").unwrap();
    let output = run(upright(&["run"])
        .current_dir(&inner)
        .env("UPRIGHT_DATABASE", inner.join("upright.sqlite3")));
    assert!(
        stderr(&output).contains("UPRIGHT_PACE"),
        "{}",
        stderr(&output)
    );
}
