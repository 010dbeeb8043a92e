-- Custom fields (`set FIELD VALUE`): the latest value of each field of each incident. Every
-- set is also a timeline entry; this is the current state the summary and reports read.
CREATE TABLE incident_fields (
    incident_id BIGINT NOT NULL,
    field       TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    set_at      BIGINT NOT NULL,
    PRIMARY KEY (incident_id, field)
);

-- The incident's first response action (`action KIND`): its kind and when (UTC
-- milliseconds), for MTTFA and the time to resolve by first-action kind.
ALTER TABLE incidents ADD COLUMN first_action_at BIGINT;
ALTER TABLE incidents ADD COLUMN first_action_kind TEXT;
