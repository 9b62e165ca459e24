-- Members, their daily subscriptions, and accountability groups.
-- Instants are unix seconds (UTC); local dates are 'YYYY-MM-DD' in the schedule's zone.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,               -- 'discord', 'matrix', 'console'
    platform_user_id TEXT    NOT NULL,
    display_name     TEXT    NOT NULL DEFAULT '',
    dm_target        TEXT,                           -- cached DM channel / room id
    timezone         TEXT,                           -- the member's zone, once given
    agreed_at        INTEGER,                        -- disclaimer acknowledged
    created_at       INTEGER NOT NULL,
    UNIQUE (platform, platform_user_id)
);

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    routine_id   TEXT    NOT NULL,
    cron         TEXT    NOT NULL,                   -- 6 fields with day names, e.g. '0 30 7 * * Mon-Fri'
    timezone     TEXT    NOT NULL,                   -- IANA name
    pace_minutes INTEGER NOT NULL CHECK (pace_minutes BETWEEN 1 AND 30),
    state        TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
    paused_until TEXT,                               -- first local date to run again; NULL = until resumed
    pause_reason TEXT,                               -- set when the bot paused it (e.g. DMs closed)
    skip_date    TEXT,                               -- a local date the member chose to skip
    next_run_at  INTEGER,                            -- next session instant; NULL while nothing is scheduled
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE groups (
    id              INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    routine_id      TEXT    NOT NULL,
    cron            TEXT    NOT NULL,
    timezone        TEXT    NOT NULL,
    pace_minutes    INTEGER NOT NULL CHECK (pace_minutes BETWEEN 1 AND 30),
    summary_time    TEXT    NOT NULL,                -- 'HH:MM' local
    nudges          INTEGER NOT NULL DEFAULT 0 CHECK (nudges IN (0, 1)),
    next_run_at     INTEGER,
    next_summary_at INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (platform, channel_id)
);
CREATE INDEX groups_due ON groups (next_run_at) WHERE next_run_at IS NOT NULL;
CREATE INDEX groups_summary_due ON groups (next_summary_at) WHERE next_summary_at IS NOT NULL;
