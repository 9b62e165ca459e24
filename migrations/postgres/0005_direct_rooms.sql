-- PostgreSQL's form of migrations/0005_direct_rooms.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- A member's DM room is looked up by its id when the room changes (someone
-- else joins it, and it stops being private).
CREATE INDEX users_by_dm ON users (platform, dm_target) WHERE dm_target IS NOT NULL;
