-- Work that one process at a time may do, when several share a database:
-- a platform's listener and sender are held by a lease that its holder
-- renews; a holder that dies stops renewing, and another takes it once
-- `held_until` has passed.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    held_until INTEGER NOT NULL,
    taken_at INTEGER NOT NULL
);
-- A delivery being sent is claimed by its sender until `claimed_until`, so
-- no other sender takes it meanwhile, and one whose sender died is taken
-- again after that.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER;
