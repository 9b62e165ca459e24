-- A message written because a member pressed a button can go out as the
-- answer to that press (Discord: a follow-up with the interaction's token),
-- which costs none of the bot's global rate limit. The press is recorded
-- with the message before anything is sent: its token, when it was made,
-- and the message pressed (where a follow-up whose fate is unknown is
-- looked for, never sent again blindly).
ALTER TABLE deliveries ADD COLUMN press_token TEXT;
ALTER TABLE deliveries ADD COLUMN press_at INTEGER;
ALTER TABLE deliveries ADD COLUMN press_message TEXT;
