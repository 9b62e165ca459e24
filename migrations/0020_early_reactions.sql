-- Check-ins made on a message before the bot has recorded it as its own:
-- a member quicker than the outbox's write, or one who reacted while the
-- replica that sent the message was dying. Kept here for a while and
-- applied when the message is recorded; one row per member, message and
-- kind of check-in.
CREATE TABLE early_reactions (
    platform     TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    display_name TEXT,
    reaction_id  TEXT,
    room         TEXT,
    held_at      INTEGER NOT NULL,
    PRIMARY KEY (platform, message_id, user_id, kind)
);
CREATE INDEX early_reactions_by_id ON early_reactions (platform, reaction_id);
CREATE INDEX early_reactions_by_age ON early_reactions (held_at);
