-- PostgreSQL's form of migrations/0012_stream_positions.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Where a platform's event stream resumes after a restart (a Matrix sync
-- token). Saved only once every event before it has been handled, so a
-- crash replays what was received but not yet recorded.
CREATE TABLE stream_positions (
    platform TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    saved_at BIGINT NOT NULL
);
