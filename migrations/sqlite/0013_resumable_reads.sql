-- Long reads from Slack that resume where a rate limit stopped them instead of starting over.

-- Looking for our own channel after `name_taken`: where the paging of the bot's channels
-- continues. Set only while a look-up of the reserved name is under way.
ALTER TABLE incidents ADD COLUMN channel_lookup_cursor TEXT;
