-- PostgreSQL's form of migrations/0003_reaction_events.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Reactions members added, by the platform's id for the reaction itself.
-- Matrix withdraws a reaction by redacting that event, whose content is then
-- gone: this table remembers what it was.
CREATE TABLE reaction_events (
    platform    TEXT    NOT NULL,
    reaction_id TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    emoji       TEXT    NOT NULL,
    PRIMARY KEY (platform, reaction_id)
);
