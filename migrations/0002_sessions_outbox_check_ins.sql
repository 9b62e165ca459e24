-- Sessions (one local day's run of a routine), the delivery outbox, and check-ins.

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE CASCADE,
    group_id        INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    routine_id      TEXT    NOT NULL,
    local_date      TEXT    NOT NULL,
    scheduled_at    INTEGER NOT NULL,
    started_at      INTEGER,
    status          TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'missed', 'skipped', 'failed')),
    current_step    INTEGER NOT NULL DEFAULT 0,       -- exercise number last posted (1-based)
    next_step_at    INTEGER,                         -- when the pace runs out on the current step
    loads           TEXT    NOT NULL DEFAULT '[]',    -- JSON: repetitions per exercise, fixed at start
    CHECK ((subscription_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (subscription_id, local_date),
    UNIQUE (group_id, local_date)
);
CREATE INDEX sessions_next_step ON sessions (next_step_at) WHERE next_step_at IS NOT NULL;

-- Every message is written here before it is sent. State: 'pending' (not yet
-- confirmed by the platform), 'sent' (exists, reactions still to add), 'done',
-- 'failed' (given up; last_error says why).
CREATE TABLE deliveries (
    id                  INTEGER PRIMARY KEY,
    idempotency_key     TEXT    NOT NULL UNIQUE,
    platform            TEXT    NOT NULL,
    user_id             INTEGER REFERENCES users (id) ON DELETE CASCADE,  -- a DM to this member
    channel_id          TEXT,                                             -- or a post in this channel
    session_id          INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL,    -- 'opening', 'exercise', 'closing', 'disclaimer', 'advice'
    step                INTEGER,             -- exercise number for 'exercise' and 'advice'
    priority            INTEGER NOT NULL,    -- burst order: lower goes first
    body                TEXT    NOT NULL,    -- JSON of the rendered message
    reactions           TEXT    NOT NULL DEFAULT '',  -- emoji the bot adds, space separated
    state               TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'done', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    due_at              INTEGER NOT NULL,
    platform_message_id TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER,
    CHECK ((user_id IS NULL) <> (channel_id IS NULL))
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE state IN ('pending', 'sent');
CREATE INDEX deliveries_by_message ON deliveries (platform, platform_message_id);

CREATE TABLE check_ins (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('done', 'skip', 'pain')),
    created_at INTEGER NOT NULL,
    UNIQUE (session_id, step, user_id, kind)
);
CREATE INDEX check_ins_by_user ON check_ins (user_id, session_id);
