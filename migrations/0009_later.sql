-- `later`: the local date a member moved their session on (once a day), and
-- when that day's first message is now due.
ALTER TABLE subscriptions ADD COLUMN later_date TEXT;
ALTER TABLE subscriptions ADD COLUMN later_at INTEGER;
