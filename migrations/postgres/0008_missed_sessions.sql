-- PostgreSQL's form of migrations/0008_missed_sessions.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- A session that never reached its owner because the bot or the chat
-- service was down: why ('offline' or 'unreachable'), and the session whose
-- first message told the member (once; told again if that one is lost too).
ALTER TABLE sessions ADD COLUMN missed_reason TEXT;
ALTER TABLE sessions ADD COLUMN missed_told_in BIGINT;
