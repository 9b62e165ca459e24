-- A member's DM room is looked up by its id when the room changes (someone
-- else joins it, and it stops being private).
CREATE INDEX users_by_dm ON users (platform, dm_target) WHERE dm_target IS NOT NULL;
