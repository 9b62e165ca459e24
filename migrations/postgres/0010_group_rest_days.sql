-- PostgreSQL's form of migrations/0010_group_rest_days.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Days a group rests (`group skip`, `group pause`): no session, and neutral
-- for everyone's streak.
CREATE TABLE group_rest_days (
    group_id   BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    PRIMARY KEY (group_id, local_date)
);
