-- A delivery is updated four or five times on its way out (claimed, sent,
-- claimed for its reactions, done), and PostgreSQL writes a new copy of
-- the row each time. Its message (`body`, a kilobyte or two of JSON) is
-- kept out of the row, so each copy is small and only points at it; and a
-- fifth of each page is left free so an update can often stay on its page.
ALTER TABLE deliveries SET (toast_tuple_target = 128, fillfactor = 80);
