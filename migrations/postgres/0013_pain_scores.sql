-- PostgreSQL's form of migrations/0013_pain_scores.sql, under the same version: the
-- same tables, columns and indexes; integers are BIGINT, row ids identities.
-- Graded pain: after a 🤕 the member says how strong (0–10) and where.
-- NULL until they answer (or if they never do).
ALTER TABLE check_ins ADD COLUMN pain_score BIGINT CHECK (pain_score BETWEEN 0 AND 10);
ALTER TABLE check_ins ADD COLUMN pain_where TEXT;
