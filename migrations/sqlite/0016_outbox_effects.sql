-- When a job began the one effect Slack cannot tell us about afterwards (an ephemeral
-- message, a reply by response_url, a direct message by user id): recorded before it is
-- made, so an attempt after an uncertain outcome does not make it a second time.
ALTER TABLE outbox_jobs ADD COLUMN effect_begun BIGINT;
