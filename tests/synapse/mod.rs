//! A real Synapse for the tests: installed from PyPI on first use into a
//! virtual environment in the user's cache folder, started on a free
//! 127.0.0.1 port with a generated config (rate limits raised, sync cache
//! off), stopped by PID on drop.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../postgres/mod.rs"]
mod postgres;
pub use postgres::Postgres;
use postgres::venv;

/// Where the homeserver keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// One SQLite file: what the tests use, quick to start.
    Sqlite,
    /// A PostgreSQL cluster of its own, as production homeservers run.
    Postgres,
}

/// The Python that runs Synapse: `UPRIGHT_SYNAPSE_PYTHON` if set, else a
/// venv under the cache folder, created and filled on first use.
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("UPRIGHT_SYNAPSE_PYTHON") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("upright");
    let venv = cache.join("synapse-venv");
    let python = venv.join("bin/python");
    if has_synapse(&python) {
        return python;
    }
    // Test binaries run in parallel: one installs, the others wait for it.
    std::fs::create_dir_all(&cache).unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
    let lock_path = cache.join("synapse-venv.lock");
    let lock = std::fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if !has_synapse(&python) {
        install_synapse(&venv);
    }
    python
}

fn has_synapse(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import synapse"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `python3 -m venv` and `pip install matrix-synapse` (about a minute), with
/// a message naming whatever is missing.
fn install_synapse(venv: &Path) {
    venv::install(
        venv,
        "matrix-synapse",
        &[],
        "set UPRIGHT_SYNAPSE_PYTHON to a Python that has matrix-synapse",
    );
}

/// Synapse's PostgreSQL driver, installed into its venv on first use.
fn ensure_postgres_driver(python: &Path) {
    let has_driver = Command::new(python)
        .args(["-c", "import psycopg2"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if has_driver {
        return;
    }
    let installed = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "psycopg2-binary",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        installed.status.success(),
        "pip could not install psycopg2-binary: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
}

pub struct Synapse {
    child: Child,
    pub url: String,
    config: PathBuf,
    dir: tempfile::TempDir,
    /// Dropped after the homeserver, which is stopped first.
    _postgres: Option<Postgres>,
}

const PATCH_CONFIG: &str = r#"
import sys, yaml
import json
path, port, data, database = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(path) as f:
    c = yaml.safe_load(f)
c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                   "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}]
c["database"] = json.loads(database) if database else {"name": "sqlite3", "args": {"database": data + "/homeserver.db"}}
c["registration_shared_secret"] = "upright-test-secret"
c["enable_registration"] = False
c["report_stats"] = False
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["use_presence"] = False
c["caches"] = {"sync_response_cache_duration": 0}
# Test accounts need no strong password hashing; registering hundreds stays quick.
c["bcrypt_rounds"] = 4
fast = {"per_second": 10000, "burst_count": 10000}
for key in ["rc_message", "rc_registration", "rc_admin_redaction", "rc_3pid_validation",
            "rc_room_creation", "rc_reports", "rc_presence", "rc_delayed_event_mgmt"]:
    c[key] = dict(fast)
c["rc_login"] = {"address": dict(fast), "account": dict(fast), "failed_attempts": dict(fast)}
c["rc_joins"] = {"local": dict(fast), "remote": dict(fast)}
c["rc_joins_per_room"] = dict(fast)
c["rc_invites"] = {"per_room": dict(fast), "per_user": dict(fast), "per_issuer": dict(fast)}
c["rc_key_requests"] = dict(fast)
c["rc_media_create"] = dict(fast)
with open(path, "w") as f:
    yaml.safe_dump(c, f)
"#;

impl Synapse {
    pub fn start() -> Synapse {
        Synapse::start_with(Storage::Sqlite)
    }

    pub fn start_with(storage: Storage) -> Synapse {
        let python = python();
        let postgres = (storage == Storage::Postgres).then(|| {
            ensure_postgres_driver(&python);
            Postgres::start()
        });
        let database = postgres
            .as_ref()
            .map(Postgres::synapse_database)
            .unwrap_or_default();
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("homeserver.yaml");
        let generated = Command::new(&python)
            .args([
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                "localhost",
                "--config-path",
            ])
            .arg(&config)
            .arg("--data-directory")
            .arg(dir.path())
            .args(["--generate-config", "--report-stats=no"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            generated.status.success(),
            "config: {}",
            String::from_utf8_lossy(&generated.stderr)
        );
        let patched = Command::new(&python)
            .args(["-c", PATCH_CONFIG])
            .arg(&config)
            .arg(port.to_string())
            .arg(dir.path())
            .arg(database)
            .output()
            .unwrap();
        assert!(
            patched.status.success(),
            "patch: {}",
            String::from_utf8_lossy(&patched.stderr)
        );
        let log = std::fs::File::create(dir.path().join("stdout.log")).unwrap();
        let child = Command::new(&python)
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(&config)
            .current_dir(dir.path())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let synapse = Synapse {
            child,
            url: format!("http://127.0.0.1:{port}"),
            config,
            dir,
            _postgres: postgres,
        };
        synapse.wait_until_ready(port);
        synapse
    }

    fn wait_until_ready(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                let request = "GET /_matrix/client/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                let mut response = String::new();
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut response).is_ok()
                    && response.starts_with("HTTP/1.1 200")
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "Synapse did not start; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log(&self) -> String {
        let mut text =
            std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default();
        text.push_str(
            &std::fs::read_to_string(self.dir.path().join("homeserver.log")).unwrap_or_default(),
        );
        text
    }

    /// Registers an account through the shared-secret admin API.
    pub fn register(&self, user: &str, password: &str) {
        let script = self
            .config
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let python = python();
        let register = python.with_file_name("register_new_matrix_user");
        let output = Command::new(register)
            .args(["-u", user, "-p", password, "--no-admin", "-c"])
            .arg(&self.config)
            .arg(&self.url)
            .current_dir(script)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "register {user}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Registers accounts through the shared-secret admin API (HMAC-SHA1 over
/// nonce, user, password, "notadmin"), printing `user token` per line.
const REGISTER_MANY: &str = r#"
import hashlib, hmac, json, sys, urllib.request
url, secret, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
for user in sys.stdin.read().split():
    endpoint = url + "/_synapse/admin/v1/register"
    nonce = json.load(urllib.request.urlopen(endpoint))["nonce"]
    mac = hmac.new(secret, digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
    body = json.dumps({"nonce": nonce, "username": user, "password": password,
                       "admin": False, "mac": mac.hexdigest()}).encode()
    request = urllib.request.Request(endpoint, body, {"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
    print(user, answer["access_token"], flush=True)
"#;

impl Synapse {
    /// Registers many accounts at once and returns an access token for each,
    /// in order (one Python process instead of one per account).
    pub fn register_many(&self, users: &[String], password: &str) -> Vec<String> {
        let mut child = Command::new(python())
            .args([
                "-c",
                REGISTER_MANY,
                &self.url,
                "upright-test-secret",
                password,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(users.join("\n").as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "register: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tokens: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once(' ').map(|(_, token)| token.to_string()))
            .collect();
        assert_eq!(tokens.len(), users.len(), "every account registered");
        tokens
    }

    /// One client-server API call as a plain HTTP client would make it
    /// (members without encryption): `method path` with `token`, JSON in and out.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.url.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        // HTTP/1.0: one request per connection, a plain body back.
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!("{method} {path}: {head} {body}"));
        }
        serde_json::from_str(body).map_err(|e| format!("{method} {path}: {e}: {body}"))
    }
}

/// A path segment with `!`, `:`, `@`, `$` … percent-encoded.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Synapse {
    fn drop(&mut self) {
        // Stopped by PID, always.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
