-- PostgreSQL's form of migrations/0015_post_names.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Who each channel post names, and exactly as the post shows them (the name
-- as it was then, escaped, or a mention): `privacy delete` takes a member
-- out of just these posts. `departed` marks a member who erased their data
-- and whose posts are still to be cleaned, a batch at a time.
CREATE TABLE post_names (
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    shown TEXT NOT NULL,
    departed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (delivery_id, user_id, shown)
);
CREATE INDEX post_names_by_user ON post_names (user_id);
CREATE INDEX post_names_departed ON post_names (delivery_id) WHERE departed = 1;
