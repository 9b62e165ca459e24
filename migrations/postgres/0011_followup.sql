-- PostgreSQL's form of migrations/0011_followup.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- `followup HH:MM`: one gentle message at that local time when the day's
-- session is not done yet. NULL: off, the default.
ALTER TABLE subscriptions ADD COLUMN followup_time TEXT;
ALTER TABLE subscriptions ADD COLUMN followup_at BIGINT;
CREATE INDEX subscriptions_followup_due ON subscriptions (followup_at) WHERE followup_at IS NOT NULL;
