-- Pruning finds finished jobs and old event deliveries by age without scanning the tables.
CREATE INDEX outbox_jobs_finished ON outbox_jobs (state, finished_at);
CREATE INDEX slack_deliveries_by_time ON slack_deliveries (received_at);
