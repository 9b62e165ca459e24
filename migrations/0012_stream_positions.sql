-- Where a platform's event stream resumes after a restart (a Matrix sync
-- token). Saved only once every event before it has been handled, so a
-- crash replays what was received but not yet recorded.
CREATE TABLE stream_positions (
    platform TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    saved_at INTEGER NOT NULL
);
