-- Alerts from monitoring. An alert is active while its prompt is open or its incident runs;
-- the unique (source, fingerprint, active) index makes a repeat of an active alert update it
-- instead of posting again, even when two copies arrive at once.

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source         TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    active         TEXT,
    state          TEXT NOT NULL,
    status         TEXT NOT NULL,
    title          TEXT NOT NULL,
    summary        TEXT,
    labels         TEXT NOT NULL,
    link           TEXT,
    severity       TEXT NOT NULL,
    service        TEXT,
    started_at     INTEGER,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    seen           INTEGER NOT NULL DEFAULT 1,
    incident_id    INTEGER REFERENCES incidents (id),
    prompt_channel TEXT,
    prompt_ts      TEXT
);
CREATE UNIQUE INDEX alerts_one_active ON alerts (source, fingerprint, active);
CREATE INDEX alerts_by_prompt ON alerts (prompt_channel, prompt_ts);
CREATE INDEX alerts_by_incident ON alerts (incident_id);
