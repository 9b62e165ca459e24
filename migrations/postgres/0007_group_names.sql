-- PostgreSQL's form of migrations/0007_group_names.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- A member's name as this group's server or room shows it (a Discord
-- server nickname, a Matrix room name); NULL: their name everywhere.
ALTER TABLE group_members ADD COLUMN display_name TEXT;
