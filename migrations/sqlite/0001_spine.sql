-- The first tables: incidents, their timeline, the durable outbox, processed Slack deliveries.
-- Times are UTC instants in milliseconds since the Unix epoch (portable across backends).

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         INTEGER NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    is_private     INTEGER NOT NULL DEFAULT 0,
    reporter       TEXT    NOT NULL,
    lead_user      TEXT,
    impact         TEXT,
    description    TEXT,
    services       TEXT    NOT NULL DEFAULT '[]',
    channel_id     TEXT    UNIQUE,
    channel_name   TEXT,
    declared_at    INTEGER NOT NULL,
    last_update_at INTEGER NOT NULL,
    resolved_at    INTEGER,
    closed_at      INTEGER,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE timeline_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    author      TEXT,
    body        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_events_by_incident ON timeline_events (incident_id, at);

CREATE TABLE outbox_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    incident_id INTEGER REFERENCES incidents (id),
    dedupe_key  TEXT    UNIQUE,
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (state, run_at);

CREATE TABLE slack_deliveries (
    event_id    TEXT    PRIMARY KEY,
    event_type  TEXT    NOT NULL,
    team_id     TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    retry_num   INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    handled_at  INTEGER
);
CREATE INDEX slack_deliveries_unhandled ON slack_deliveries (handled_at, received_at);
