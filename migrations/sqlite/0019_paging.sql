-- Paging. One climb per incident, started by its first on-call page: level k of
-- paging.escalate_to is due at paged_at + k × ack_within (UTC milliseconds); next_due_at is
-- NULL once it was acknowledged, the incident resolved, or the announcements were told. The
-- reminder tick claims each level by compare-and-set on next_due_at, so replicas page once.
CREATE TABLE paging (
    incident_id     BIGINT  PRIMARY KEY,
    paged_at        BIGINT  NOT NULL,
    next_level      BIGINT  NOT NULL,
    next_due_at     BIGINT,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    -- 1 when the external alerts (PagerDuty, Opsgenie) were triggered for this incident.
    external        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX paging_due ON paging (next_due_at);

-- Every page sent: to whom, why (on_call, escalation, manual) and at which level. `dedupe`
-- makes paging the same person for the same reason twice a no-op (one on-call page per
-- person per incident, one page per level). The direct message's place is kept to edit it
-- when acknowledged.
CREATE TABLE pages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     BIGINT  NOT NULL,
    user_id         TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    level           BIGINT  NOT NULL,
    dedupe          TEXT    NOT NULL UNIQUE,
    paged_by        TEXT,
    paged_at        BIGINT  NOT NULL,
    dm_channel      TEXT,
    dm_ts           TEXT,
    acknowledged_at BIGINT
);
CREATE INDEX pages_by_incident ON pages (incident_id);

-- Who was on call for the incident's services when it was declared (or a service was
-- added): responders of the incident, invited to its channel, whatever the severity.
CREATE TABLE incident_oncall (
    incident_id BIGINT NOT NULL,
    service     TEXT   NOT NULL,
    schedule    TEXT   NOT NULL,
    user_id     TEXT   NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);
