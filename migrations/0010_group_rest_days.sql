-- Days a group rests (`group skip`, `group pause`): no session, and neutral
-- for everyone's streak.
CREATE TABLE group_rest_days (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    PRIMARY KEY (group_id, local_date)
);
