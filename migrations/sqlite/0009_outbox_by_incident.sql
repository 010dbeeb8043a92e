-- The outbox runs several jobs at once but one at a time per incident: a claim looks for a
-- running job of the same incident, and the steps that wait for one look for pending ones.
CREATE INDEX outbox_jobs_by_incident ON outbox_jobs (incident_id, state);
