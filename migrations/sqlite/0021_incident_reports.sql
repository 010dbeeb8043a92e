-- Incident reports (`/incident report NAME`): where each published report of an incident
-- lives in Slack, how often it was published, whether it is final, and whether its deadline
-- nudge was sent (claimed once, by compare-and-set, across restarts and replicas).
CREATE TABLE incident_reports (
    incident_id  BIGINT NOT NULL,
    name         TEXT   NOT NULL,
    canvas_id    TEXT,
    file_id      TEXT,
    link         TEXT,
    versions     BIGINT NOT NULL DEFAULT 0,
    is_final     BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT,
    nudged_at    BIGINT,
    PRIMARY KEY (incident_id, name)
);
