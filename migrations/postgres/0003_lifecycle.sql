-- Running an incident: acknowledgement and resolution facts, and role holders.

ALTER TABLE incidents ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE incidents ADD COLUMN resolution TEXT;
-- Bumped by every lifecycle change: concurrent changes retry instead of overwriting each other.
ALTER TABLE incidents ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- Roles other than the lead (kept on the incident): comms, scribe, and the policy's roles.
CREATE TABLE incident_roles (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id),
    role        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    assigned_at BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, role)
);
