-- Graded pain: after a 🤕 the member says how strong (0–10) and where.
-- NULL until they answer (or if they never do).
ALTER TABLE check_ins ADD COLUMN pain_score INTEGER CHECK (pain_score BETWEEN 0 AND 10);
ALTER TABLE check_ins ADD COLUMN pain_where TEXT;
