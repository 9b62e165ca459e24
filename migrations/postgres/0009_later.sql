-- PostgreSQL's form of migrations/0009_later.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- `later`: the local date a member moved their session on (once a day), and
-- when that day's first message is now due.
ALTER TABLE subscriptions ADD COLUMN later_date TEXT;
ALTER TABLE subscriptions ADD COLUMN later_at BIGINT;
