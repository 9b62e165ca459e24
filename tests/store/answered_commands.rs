//! `store::answered_commands` alike on SQLite and PostgreSQL: a command
//! answered once is known to every replica, per platform, until a day has
//! passed.

use upright::store::answered_commands::{contains, purge_before, record};

use crate::{Engines, at};

#[test]
fn an_answered_command_is_known_until_it_is_purged() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        assert!(!contains(c, "matrix", "$command").unwrap(), "{engine}");
        record(c, "matrix", "$command", at(0)).unwrap();
        // Recorded again (a retry after a crash): still one, no error.
        record(c, "matrix", "$command", at(5)).unwrap();
        assert!(contains(c, "matrix", "$command").unwrap(), "{engine}");
        assert!(
            !contains(c, "discord", "$command").unwrap(),
            "{engine}: per platform"
        );
        record(c, "matrix", "$later", at(100)).unwrap();
        assert_eq!(purge_before(c, at(50)).unwrap(), 1, "{engine}");
        assert!(!contains(c, "matrix", "$command").unwrap(), "{engine}");
        assert!(contains(c, "matrix", "$later").unwrap(), "{engine}");
    }
}
