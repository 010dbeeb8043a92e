-- The Slack time of the newest edit applied to a stored message (microseconds since the
-- epoch, from the edit's `edited.ts`): an older edit that arrives later (a retried delivery)
-- does not overwrite a newer one.
ALTER TABLE channel_messages ADD COLUMN edited_at BIGINT;
