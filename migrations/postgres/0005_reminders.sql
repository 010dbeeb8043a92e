-- Reminders derived from stored instants. Each due instant is the cached result of the
-- domain's schedule functions, indexed so the scanner finds what is due; claiming one is a
-- compare-and-set on its old value, so replicas never send one twice.

ALTER TABLE incidents ADD COLUMN reminder_due_at BIGINT;
ALTER TABLE incidents ADD COLUMN reminders_unanswered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN last_reminder_ts TEXT;
ALTER TABLE incidents ADD COLUMN snoozed_reminder_ts TEXT;
ALTER TABLE incidents ADD COLUMN lead_nudge_due_at BIGINT;
ALTER TABLE incidents ADD COLUMN retro_nudge_due_at BIGINT;
CREATE INDEX incidents_reminder_due ON incidents (reminder_due_at);
CREATE INDEX incidents_lead_nudge_due ON incidents (lead_nudge_due_at);
CREATE INDEX incidents_retro_nudge_due ON incidents (retro_nudge_due_at);

-- Scheduled posts (the digest): when each last fired, claimed by compare-and-set.
CREATE TABLE schedules (
    name          TEXT PRIMARY KEY,
    last_fired_at BIGINT NOT NULL
);
