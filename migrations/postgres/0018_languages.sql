-- PostgreSQL's form of migrations/0018_languages.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- The language each member reads: the one they chose with `language`, else
-- the one their platform last reported for them (Discord's interaction
-- locale), else English. A group's posts have the group's own language.
ALTER TABLE users ADD COLUMN language TEXT;
ALTER TABLE users ADD COLUMN platform_language TEXT;
ALTER TABLE groups ADD COLUMN language TEXT;
