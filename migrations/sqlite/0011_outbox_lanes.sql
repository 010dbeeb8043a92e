-- A lane orders the jobs that post to one place (an incident's channel, one notice's thread):
-- a job waits while an earlier job of its lane is still to run.
ALTER TABLE outbox_jobs ADD COLUMN lane TEXT;
CREATE INDEX outbox_jobs_by_lane ON outbox_jobs (lane, id);
