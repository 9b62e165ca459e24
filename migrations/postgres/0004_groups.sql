-- PostgreSQL's form of migrations/0004_groups.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Accountability groups: whether a group runs, when its nudge goes out, who
-- takes part, and each member's group preferences.

ALTER TABLE groups ADD COLUMN active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE groups ADD COLUMN next_nudge_at BIGINT;
CREATE INDEX groups_nudge_due ON groups (next_nudge_at) WHERE next_nudge_at IS NOT NULL;

-- A member takes part by checking in on a group session; `left_at` is set
-- when the platform says they are no longer in the channel or room.
CREATE TABLE group_members (
    group_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    left_at   BIGINT,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

-- 1 = the member asked not to be mentioned in group nudges.
ALTER TABLE users ADD COLUMN nudges_off BIGINT NOT NULL DEFAULT 0 CHECK (nudges_off IN (0, 1));
-- Next weekly summary DM; NULL = not wanted.
ALTER TABLE users ADD COLUMN weekly_summary_at BIGINT;
CREATE INDEX users_weekly_due ON users (weekly_summary_at) WHERE weekly_summary_at IS NOT NULL;
