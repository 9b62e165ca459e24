-- PostgreSQL's form of migrations/0006_retention.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- When a member's reaction was remembered, so old ones can be purged after
-- the retention period (rows from before this migration count from now).
ALTER TABLE reaction_events ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
UPDATE reaction_events SET created_at = EXTRACT(EPOCH FROM now())::BIGINT;
CREATE INDEX reaction_events_by_age ON reaction_events (created_at);

-- Finished deliveries by age, for the retention purge.
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE state IN ('done', 'failed');
