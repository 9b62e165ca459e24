-- PostgreSQL's form of migrations/0014_reaction_rooms.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- The room a reaction was made in: a redaction withdraws a reaction only
-- from its own room. Reactions remembered before this have none and match
-- any room, as before.
ALTER TABLE reaction_events ADD COLUMN room TEXT;
