//! The database a test bot runs on: a SQLite file in the test's folder, or,
//! in the `core_postgres` binary (tests/core again) or with
//! `UPRIGHT_TEST_DATABASE=postgres`, a fresh database on the one throwaway
//! PostgreSQL server the test binary shares, stopped when the binary exits.

use std::path::Path;

use upright::store::Database;

/// Whether this test binary runs its bots on PostgreSQL.
pub fn on_postgres() -> bool {
    let named = std::env::current_exe().is_ok_and(|exe| {
        exe.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("core_postgres"))
    });
    named || std::env::var("UPRIGHT_TEST_DATABASE").is_ok_and(|engine| engine == "postgres")
}

/// A new, empty database for one bot: on PostgreSQL its own database on the
/// shared server, else `bot.sqlite3` in `dir`.
pub fn fresh(dir: &Path) -> Database {
    #[cfg(feature = "postgres")]
    if on_postgres() {
        // The sync client may not block a thread that drives async tests.
        return std::thread::spawn(on_server::fresh)
            .join()
            .expect("a fresh database");
    }
    Database::Sqlite(dir.join("bot.sqlite3"))
}

#[cfg(feature = "postgres")]
mod on_server {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Mutex, OnceLock};

    use super::super::postgres::Postgres;
    use super::*;
    use upright::store::sql::{Conn, PgConn};

    pub fn fresh() -> Database {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("bot_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let url = with_server(|server| {
            let admin = PgConn::connect(&server.url()).expect("the test server answers");
            admin
                .batch(&format!("CREATE DATABASE {name}"))
                .expect("a fresh database");
            server.url_of(&name)
        });
        Database::Postgres(url)
    }

    static SERVER: OnceLock<Mutex<Option<Postgres>>> = OnceLock::new();

    fn with_server<T>(work: impl FnOnce(&Postgres) -> T) -> T {
        let server = SERVER.get_or_init(|| {
            // Statics are never dropped: the server is stopped at exit instead.
            unsafe extern "C" {
                fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
            }
            // SAFETY: registers a plain function, once, as the C library allows.
            unsafe { atexit(stop_server) };
            Mutex::new(Some(Postgres::start()))
        });
        let server = server.lock().unwrap_or_else(|e| e.into_inner());
        work(server.as_ref().expect("the server runs until exit"))
    }

    extern "C" fn stop_server() {
        if let Some(server) = SERVER.get() {
            let stopped = server.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(stopped);
        }
    }
}
