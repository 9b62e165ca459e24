-- When a member's reaction was remembered, so old ones can be purged after
-- the retention period (rows from before this migration count from now).
ALTER TABLE reaction_events ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE reaction_events SET created_at = CAST(strftime('%s', 'now') AS INTEGER);
CREATE INDEX reaction_events_by_age ON reaction_events (created_at);

-- Finished deliveries by age, for the retention purge.
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE state IN ('done', 'failed');
