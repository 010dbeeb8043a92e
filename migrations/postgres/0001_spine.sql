-- The first tables: incidents, their timeline, the durable outbox, processed Slack deliveries.
-- Times are UTC instants in milliseconds since the Unix epoch (portable across backends).

CREATE TABLE incidents (
    id             BIGSERIAL PRIMARY KEY,
    number         BIGINT  NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    is_private     BIGINT  NOT NULL DEFAULT 0,
    reporter       TEXT    NOT NULL,
    lead_user      TEXT,
    impact         TEXT,
    description    TEXT,
    services       TEXT    NOT NULL DEFAULT '[]',
    channel_id     TEXT    UNIQUE,
    channel_name   TEXT,
    declared_at    BIGINT  NOT NULL,
    last_update_at BIGINT  NOT NULL,
    resolved_at    BIGINT,
    closed_at      BIGINT,
    updated_at     BIGINT  NOT NULL
);

CREATE TABLE timeline_events (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT  NOT NULL REFERENCES incidents (id),
    kind        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    author      TEXT,
    body        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_events_by_incident ON timeline_events (incident_id, at);

CREATE TABLE outbox_jobs (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    incident_id BIGINT  REFERENCES incidents (id),
    dedupe_key  TEXT    UNIQUE,
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    BIGINT  NOT NULL DEFAULT 0,
    run_at      BIGINT  NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error  TEXT,
    created_at  BIGINT  NOT NULL,
    finished_at BIGINT
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (state, run_at);

CREATE TABLE slack_deliveries (
    event_id    TEXT    PRIMARY KEY,
    event_type  TEXT    NOT NULL,
    team_id     TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    retry_num   BIGINT  NOT NULL DEFAULT 0,
    received_at BIGINT  NOT NULL,
    handled_at  BIGINT
);
CREATE INDEX slack_deliveries_unhandled ON slack_deliveries (handled_at, received_at);
