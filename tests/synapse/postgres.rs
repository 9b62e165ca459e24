//! A throwaway PostgreSQL for Synapse, as production homeservers run it
//! (Synapse's own documentation calls SQLite fit for testing only): a
//! fresh cluster in a temporary folder, on a free 127.0.0.1 port, stopped by
//! PID on drop. Needs PostgreSQL's server programs (Debian: `apt-get install
//! postgresql`); `UPRIGHT_PG_BIN` names their folder if they are not found.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Postgres {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// The user who owns the cluster: PostgreSQL refuses to run as root, so a
/// root caller runs it as the `postgres` user the Debian package creates.
const SYSTEM_USER: &str = "postgres";
pub const ROLE: &str = "synapse";

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("UPRIGHT_PG_BIN") {
        return PathBuf::from(dir);
    }
    let debian = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(debian).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .max()
    });
    match newest {
        Some(version) => debian.join(version.to_string()).join("bin"),
        None => panic!(
            "PostgreSQL's server programs are not installed (Debian: apt-get install postgresql), \
             or set UPRIGHT_PG_BIN to the folder holding initdb and postgres"
        ),
    }
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
        .arg(format!("--reuid={SYSTEM_USER}"))
        .arg(format!("--regid={SYSTEM_USER}"))
        .arg("--init-groups")
        .arg(program);
    command
}

fn give_to_owner(path: &Path) {
    if running_as_root() {
        let status = Command::new("chown")
            .arg(format!("{SYSTEM_USER}:{SYSTEM_USER}"))
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

impl Drop for Postgres {
    fn drop(&mut self) {
        // Stopped by PID; its backends exit when they see it gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
