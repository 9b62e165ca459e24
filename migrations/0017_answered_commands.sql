-- Commands the bot has answered, by the platform's id for the command's
-- event. A listener that takes over from another replica, or restarts,
-- may be handed commands again (a new Matrix store's first sync holds each
-- room's latest events); those found here are neither run nor answered
-- twice. Only the event's id is kept, for a day: older commands are not
-- answered anyway.
CREATE TABLE answered_commands (
    platform    TEXT    NOT NULL,
    command_id  TEXT    NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (platform, command_id)
);
CREATE INDEX answered_commands_by_time ON answered_commands (answered_at);
