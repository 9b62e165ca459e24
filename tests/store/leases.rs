//! Leases alike on both engines: one holder at a time, renewed by its
//! holder, taken by another only once it has run out, given up at once.

use upright::store::leases::{current, release, take};

use crate::{Engines, at};

#[test]
fn a_lease_has_one_holder_until_it_runs_out_or_is_given_up() {
    let engines = Engines::start();
    for (engine, c) in engines.each() {
        assert!(take(c, "matrix", "a", at(0), at(20)).unwrap(), "{engine}");
        assert!(
            !take(c, "matrix", "b", at(5), at(25)).unwrap(),
            "{engine}: a holds it"
        );
        // Renewed by its holder, keeping when it was taken.
        assert!(take(c, "matrix", "a", at(10), at(30)).unwrap(), "{engine}");
        let lease = current(c, "matrix", at(10)).unwrap().unwrap();
        assert_eq!(
            (lease.holder.as_str(), lease.held_until, lease.taken_at),
            ("a", at(30), at(0))
        );
        assert!(
            !take(c, "matrix", "b", at(30), at(50)).unwrap(),
            "{engine}: not run out yet"
        );
        // Run out: b takes it, and a cannot renew.
        assert!(take(c, "matrix", "b", at(31), at(51)).unwrap(), "{engine}");
        assert!(!take(c, "matrix", "a", at(32), at(52)).unwrap(), "{engine}");
        let lease = current(c, "matrix", at(32)).unwrap().unwrap();
        assert_eq!((lease.holder.as_str(), lease.taken_at), ("b", at(31)));
        // Another lease is held apart.
        assert!(take(c, "discord", "a", at(32), at(52)).unwrap(), "{engine}");
        // Given up: taken at once; only the holder can give it up.
        assert!(!release(c, "matrix", "a").unwrap(), "{engine}");
        assert!(release(c, "matrix", "b").unwrap(), "{engine}");
        assert_eq!(current(c, "matrix", at(33)).unwrap(), None, "{engine}");
        assert!(take(c, "matrix", "c", at(33), at(53)).unwrap(), "{engine}");
        assert_eq!(
            current(c, "matrix", at(60)).unwrap(),
            None,
            "{engine}: run out"
        );
    }
}
