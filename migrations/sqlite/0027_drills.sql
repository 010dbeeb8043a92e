-- A drill is a practice incident (`declare --drill`): it runs like a real one inside Slack, but
-- is never shared broadly, never paged outside Slack, and is left out of stats, digests, search
-- and similar incidents. Existing incidents are real ones.
ALTER TABLE incidents ADD COLUMN is_drill INTEGER NOT NULL DEFAULT 0;
